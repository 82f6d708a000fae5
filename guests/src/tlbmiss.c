/*
 * Software TLB-miss handling: data and instruction TLB error handlers
 * refill TLB0 from a page table with tlbwe, using the MAS registers the
 * core loads on the miss from MAS4 (defaults) and the access:
 *   MAS0: TLBSEL = MAS4[TLBSELD], ESEL = the next victim, NV = ESEL + 1
 *   MAS1: V = 1, TID = PID, TS = MSR[DS] (MSR[IS] for fetches), TSIZE = MAS4[TSIZED]
 *   MAS2: EPN = the page of the EA, WIMGE = MAS4[WIMGED]
 *   MAS3 = 0, MAS7 = 0; MAS6: SPID = PID, SAS = the address space
 * Covered: data loads and stores, instruction fetch, address space 1, a
 * non-zero PID, round-robin victims in a full TLB0 set, tlbsx misses.
 */
#include "runtime.h"

#define VBASE 0x60000000u     /* the page-table-mapped window: 1024 pages */
#define NPAGES 1024
#define PBASE 0x04000000u     /* RAM behind it (64 MiB..68 MiB, outside the boot mapping) */
#define DIRECT 0x20000000u    /* a TLB1 window onto PBASE, to check the memory directly */
#define D(pa) ((pa) - PBASE + DIRECT)

/* The page table: RPN | permissions per page (0: not mapped). */
static u32 ptab[NPAGES];

static volatile int n_dmiss, n_imiss, bad_mas;
static volatile u32 last_mas0, last_mas1, last_mas2, last_mas6;
static volatile u32 expect_pid, expect_as, expect_tsize, expect_wimge;

static void check_mas(u32 ea, int fetch) {
  struct rt_mas m;
  rt_read_mas(&m);
  u32 mas6 = mfspr(SPR_MAS6);
  last_mas0 = m.mas0;
  last_mas1 = m.mas1;
  last_mas2 = m.mas2;
  last_mas6 = mas6;
  u32 esel = (m.mas0 >> 16) & 0xfff, nv = m.mas0 & 0xfff;
  int ok = (m.mas0 >> 28) == 0 && esel < 4 && nv == ((esel + 1) & 3);
  ok &= m.mas1 == (MAS1_V | MAS1_TID(expect_pid) | (expect_as ? MAS1_TS : 0) | MAS1_TSIZE(expect_tsize));
  ok &= m.mas2 == ((ea & 0xfffff000u) | expect_wimge);
  ok &= m.mas3 == 0 && m.mas7 == 0;
  ok &= mas6 == (MAS6_SPID(expect_pid) | (expect_as ? MAS6_SAS : 0));
  if (!ok) {
    if (bad_mas++ < 3)
      printf("  %s miss at 0x%08x: MAS0 %08x MAS1 %08x MAS2 %08x MAS3 %08x MAS6 %08x MAS7 %08x\n",
             fetch ? "instruction" : "data", ea, m.mas0, m.mas1, m.mas2, m.mas3, mas6, m.mas7);
  }
}

/* Refill from the page table; returns 0 if the page is not mapped. */
static int refill(u32 ea) {
  if (ea - VBASE >= NPAGES * 4096u) return 0;
  u32 pte = ptab[(ea - VBASE) >> 12];
  if (!pte) return 0;
  /* Keep MAS0/MAS1/MAS2 as the core loaded them; TLB0 pages are 4 KiB. */
  mtspr(SPR_MAS1, (mfspr(SPR_MAS1) & ~0xf00u) | MAS1_TSIZE(TSIZE_4K));
  mtspr(SPR_MAS3, pte);
  mtspr(SPR_MAS7, 0);
  __asm__ __volatile__("isync; tlbwe; isync" : : : "memory");
  return 1;
}

static void dtlb_handler(struct rt_frame *f) {
  n_dmiss++;
  check_mas(f->dear, 0);
  if (!refill(f->dear)) rt_abort("data TLB miss outside the page table");
}

static void itlb_handler(struct rt_frame *f) {
  n_imiss++;
  check_mas(f->srr0, 1);
  if (!refill(f->srr0)) rt_abort("instruction TLB miss outside the page table");
}

static void set_mas4(u32 tsize, u32 wimge) {
  expect_tsize = tsize;
  expect_wimge = wimge;
  mtspr(SPR_MAS4, MAS4_TLBSELD(0) | MAS4_TSIZED(tsize) | wimge);
}

static u32 as1_sum(u32 n) {
  /* Runs with MSR[IS] = MSR[DS] = 1 (supervisor): touch n pages. */
  u32 s = 0;
  for (u32 i = 0; i < n; i++) s += *(volatile u32 *)(VBASE + 0x80000u + i * 4096u + 8);
  return s;
}

int main(void) {
  rt_map_tlb1(RT_TLB1_FREE, DIRECT, PBASE, TSIZE_16M, 0, 0, MAS3_SR | MAS3_SW, 0);
  for (int i = 0; i < NPAGES; i++) ptab[i] = (PBASE + (u32)i * 4096u) | MAS3_SR | MAS3_SW | MAS3_SX | MAS3_UR | MAS3_UW;
  for (int i = 0; i < NPAGES; i++) *(volatile u32 *)D(PBASE + (u32)i * 4096u + 8) = 0xa0000000u + (u32)i;
  rt_set_handler(IVOR_DTLB, dtlb_handler);
  rt_set_handler(IVOR_ITLB, itlb_handler);
  set_mas4(TSIZE_4K, MAS2_M);

  /* Loads: one miss per page, then none. */
  u32 sum = 0, want = 0;
  for (u32 i = 0; i < 8; i++) {
    sum += *(volatile u32 *)(VBASE + i * 4096u + 8);
    want += 0xa0000000u + i;
  }
  report_eq("loads through refilled TLB0 entries read the right pages", sum, want);
  report_eq("one data TLB miss per page", n_dmiss, 8);
  for (u32 i = 0; i < 8; i++) sum += *(volatile u32 *)(VBASE + i * 4096u + 8);
  report_eq("no more misses once the pages are in TLB0", n_dmiss, 8);
  report("MAS registers loaded on data TLB misses (MAS0..3, MAS6, MAS7)", !bad_mas);

  /* Stores. */
  n_dmiss = 0;
  *(volatile u32 *)(VBASE + 20 * 4096u + 12) = 0x5701e;
  report("a store refills and completes", n_dmiss == 1 && *(volatile u32 *)D(PBASE + 20 * 4096u + 12) == 0x5701e);
  report("MAS registers loaded on a store miss", !bad_mas);

  /* MAS4 defaults: TSIZED and WIMGED are what the core loads. */
  set_mas4(TSIZE_16K, MAS2_M | MAS2_G);
  n_dmiss = 0;
  sum = *(volatile u32 *)(VBASE + 30 * 4096u + 8);
  report("MAS4[TSIZED] and MAS4[WIMGED] appear in MAS1 and MAS2", n_dmiss == 1 && !bad_mas &&
         ((last_mas1 >> 8) & 0xf) == TSIZE_16K && (last_mas2 & 0x1f) == (MAS2_M | MAS2_G));
  set_mas4(TSIZE_4K, MAS2_M);

  /* Instruction fetch from a refilled page. */
  u32 *code = (u32 *)D(PBASE + 40 * 4096u);
  code[0] = 0x38600000u | 123; /* li r3,123 */
  code[1] = 0x4e800020u;       /* blr */
  __asm__ __volatile__("dcbst 0,%0\n sync\n icbi 0,%0\n sync\n isync" : : "r"(code) : "memory");
  u32 r;
  __asm__ __volatile__("mtctr %1\n bctrl\n mr %0,3" : "=r"(r) : "r"(VBASE + 40 * 4096u) : "r3", "ctr", "lr", "memory");
  report("instruction fetch through a refilled entry", r == 123 && n_imiss == 1);
  report("MAS registers loaded on an instruction TLB miss", !bad_mas && (last_mas2 & 0xfffff000u) == VBASE + 40 * 4096u);

  /* Address space 1: MAS1[TS] and MAS6[SAS] come from MSR[DS]. */
  rt_map_as1();
  for (int i = 0x80; i < 0x84; i++) ptab[i] = (PBASE + (u32)i * 4096u) | MAS3_SR | MAS3_SW;
  n_dmiss = 0;
  expect_as = 1;
  r = rt_user_call(as1_sum, 4, RT_AS1);
  expect_as = 0;
  want = 0;
  for (u32 i = 0x80; i < 0x84; i++) want += 0xa0000000u + i;
  if (!report("address space 1: misses refill TS = 1 entries", r == want && n_dmiss == 4))
    printf("  sum 0x%08x (want 0x%08x), %d misses\n", r, want, n_dmiss);
  report("address space 1: MAS1[TS] = 1 and MAS6[SAS] = 1", !bad_mas && (last_mas1 & MAS1_TS) && (last_mas6 & MAS6_SAS));

  /* A non-zero PID: MAS1[TID] and MAS6[SPID]. */
  expect_pid = 0x37;
  mtspr(SPR_PID, 0x37);
  isync();
  n_dmiss = 0;
  sum = *(volatile u32 *)(VBASE + 50 * 4096u + 8);
  mtspr(SPR_PID, 0);
  isync();
  expect_pid = 0;
  report("PID 0x37: MAS1[TID] = 0x37, MAS6[SPID] = 0x37", n_dmiss == 1 && !bad_mas && sum == 0xa0000000u + 50);

  /* Round-robin victims: 6 pages of one unused TLB0 set (set 99; 128 sets: 512 KiB apart). */
  n_dmiss = 0;
  u32 esels[6];
  for (u32 i = 0; i < 6; i++) {
    (void)*(volatile u32 *)(VBASE + (99 + i * 128) * 4096u);
    esels[i] = (last_mas0 >> 16) & 3;
  }
  int rr = 1;
  for (int i = 1; i < 6; i++) rr &= esels[i] == ((esels[i - 1] + 1) & 3);
  if (!report("TLB0 victims: each miss after a tlbwe picks the next way", n_dmiss == 6 && rr && !bad_mas))
    printf("  %d misses, ways %u %u %u %u %u %u\n", n_dmiss, esels[0], esels[1], esels[2], esels[3], esels[4], esels[5]);
  /* The fifth and sixth pages evicted the first two; the last four still hit. */
  n_dmiss = 0;
  for (u32 i = 2; i < 6; i++) (void)*(volatile u32 *)(VBASE + (99 + i * 128) * 4096u);
  report_eq("the four most recent pages of the set still hit", n_dmiss, 0);
  (void)*(volatile u32 *)(VBASE + 99 * 4096u);
  report_eq("the oldest page was evicted", n_dmiss, 1);

  /* tlbsx misses load the MAS registers from MAS4 and MAS6 too (V = 0). */
  set_mas4(TSIZE_64K, MAS2_I | MAS2_G);
  struct rt_mas m;
  rt_tlbsx(0x7f654321u, MAS6_SPID(9) | MAS6_SAS, &m);
  report("tlbsx miss: MAS1 = TID/TS from MAS6, TSIZE from MAS4, V = 0",
         m.mas1 == (MAS1_TID(9) | MAS1_TS | MAS1_TSIZE(TSIZE_64K)));
  /* (What a miss leaves in MAS2[EPN] differs between implementations: not checked.) */
  report_eq("tlbsx miss: MAS2[WIMGE] = MAS4[WIMGED]", m.mas2 & 0x1f, MAS2_I | MAS2_G);
  report("tlbsx miss: MAS0[TLBSEL] = MAS4[TLBSELD], NV = ESEL + 1, MAS3 = MAS7 = 0",
         (m.mas0 >> 28) == 0 && (m.mas0 & 0xfff) == ((((m.mas0 >> 16) & 0xfff) + 1) & 3) && m.mas3 == 0 && m.mas7 == 0);
  set_mas4(TSIZE_4K, MAS2_M);
  mtspr(SPR_MMUCSR0, 0x4); /* flash-invalidate TLB0 */
  rt_unmap_tlb1(RT_TLB1_FREE);
  return 0;
}
