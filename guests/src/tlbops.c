/*
 * TLB management instructions (MMU architecture 1.0 as on the e500mc):
 * tlbwe/tlbre round trips for TLB0 (set chosen by the EPN, way by ESEL,
 * 4 KiB pages) and TLB1; tlbsx hits (MAS0 TLBSEL/ESEL, MAS1..3, MAS7) by
 * MAS6 SPID/SAS; tlbivax (by address, TLB0 or TLB1, and all) sparing
 * IPROT entries; tlbilx (all, by PID, by address); MMUCSR0 flash
 * invalidation sparing IPROT; TLB1 page sizes from 4 KiB to 256 MiB;
 * little-endian (E) pages.
 *
 * The operations that invalidate all of TLB1 run from a trampoline page
 * mapped through TLB0, which checks that the runtime's IPROT entries
 * survived and puts them back if not, so a core that ignores IPROT fails
 * the check instead of losing the whole program.
 *
 * Known QEMU 7.2 departure (allowlisted in test/guests.test.ts):
 *  - le-pages: QEMU ignores the E (little-endian) page attribute.
 */
#include "runtime.h"

#define VA 0x48000000u
#define PA 0x01000000u
#define PERM (MAS3_SR | MAS3_SW)

static u32 ld(u32 ea) {
  u32 v;
  __asm__ __volatile__("lwz %0,0(%1)" : "=r"(v) : "b"(ea) : "memory");
  return v;
}

/* Does a load at ea translate? (a data TLB error says no) */
static int mapped(u32 ea) {
  rt_expect(IVOR_DTLB, RT_SKIP);
  ld(ea);
  return !rt_expect_cancel()->taken;
}

static void tlb0_entry(int way, u32 va, u32 pa, int tid, int as, u32 perms, u32 wimge) {
  rt_tlbwe(MAS0_TLBSEL(0) | MAS0_ESEL(way), MAS1_V | MAS1_TID(tid) | (as ? MAS1_TS : 0) | MAS1_TSIZE(TSIZE_4K),
           va | wimge, pa | perms, 0);
}
static void tlb1_entry(int esel, u32 va, u32 pa, int tsize, int iprot) {
  rt_tlbwe(MAS0_TLBSEL(1) | MAS0_ESEL(esel), MAS1_V | (iprot ? MAS1_IPROT : 0) | MAS1_TSIZE(tsize), va, pa | PERM, 0);
}

static void write_read(void) {
  struct rt_mas m;
  /* TLB0: way 2 of the set of VA + 0x5000. */
  u32 va = VA + 0x5000;
  tlb0_entry(2, va, PA + 0x7000, 0x21, 1, MAS3_SR | MAS3_UR | MAS3_SX, MAS2_M | MAS2_G);
  rt_tlbre(MAS0_TLBSEL(0) | MAS0_ESEL(2), va, &m);
  report_eq("tlbre TLB0: MAS1 (V, TID, TS, TSIZE = 4K)", m.mas1, MAS1_V | MAS1_TID(0x21) | MAS1_TS | MAS1_TSIZE(TSIZE_4K));
  report_eq("tlbre TLB0: MAS2 (EPN, WIMGE)", m.mas2, va | MAS2_M | MAS2_G);
  report_eq("tlbre TLB0: MAS3 (RPN, permissions)", m.mas3 & ~0x3c0u, (PA + 0x7000) | MAS3_SR | MAS3_UR | MAS3_SX);
  report_eq("tlbre TLB0: MAS7", m.mas7, 0);
  rt_tlbre(MAS0_TLBSEL(0) | MAS0_ESEL(1), va, &m);
  report("tlbre TLB0: another way of the set is not the entry", (m.mas1 & MAS1_V) == 0 || (m.mas2 & ~0xfffu) != va);
  rt_tlbre(MAS0_TLBSEL(0) | MAS0_ESEL(2), va + 0x1000, &m);
  report("tlbre TLB0: the set comes from MAS2[EPN]", (m.mas1 & MAS1_V) == 0 || (m.mas2 & ~0xfffu) != va);
  tlb0_entry(2, va, 0, 0, 0, 0, 0);
  rt_tlbwe(MAS0_TLBSEL(0) | MAS0_ESEL(2), 0, va, 0, 0); /* invalidate */

  /* TLB1: a 1 MiB entry with IPROT and a 36-bit RPN. */
  rt_tlbwe(MAS0_TLBSEL(1) | MAS0_ESEL(9), MAS1_V | MAS1_IPROT | MAS1_TID(3) | MAS1_TSIZE(TSIZE_1M),
           0x4a100000u | MAS2_I | MAS2_G, 0x12300000u | MAS3_SR | MAS3_SW, 0x5);
  rt_tlbre(MAS0_TLBSEL(1) | MAS0_ESEL(9), 0, &m);
  report_eq("tlbre TLB1: MAS1 (V, IPROT, TID, TSIZE)", m.mas1, MAS1_V | MAS1_IPROT | MAS1_TID(3) | MAS1_TSIZE(TSIZE_1M));
  report_eq("tlbre TLB1: MAS2", m.mas2, 0x4a100000u | MAS2_I | MAS2_G);
  report_eq("tlbre TLB1: MAS3", m.mas3 & ~0x3c0u, 0x12300000u | MAS3_SR | MAS3_SW);
  report_eq("tlbre TLB1: MAS7 (RPN bits 32-35)", m.mas7, 0x5);
  rt_unmap_tlb1(9);
  rt_tlbre(MAS0_TLBSEL(1) | MAS0_ESEL(9), 0, &m);
  report("tlbwe with MAS1[V] = 0 invalidates", (m.mas1 & MAS1_V) == 0);
}

static void search(void) {
  struct rt_mas m;
  tlb0_entry(1, VA + 0x3000, PA, 0x11, 0, PERM, 0);
  tlb0_entry(3, VA + 0x3000, PA + 0x1000, 0x12, 0, PERM, 0);
  tlb0_entry(0, VA + 0x3000, PA + 0x2000, 0x11, 1, PERM, 0);
  rt_tlbsx(VA + 0x3abc, MAS6_SPID(0x11), &m);
  report("tlbsx hit by SPID (TLB0): MAS0 TLBSEL 0, ESEL 1; MAS1 V", (m.mas0 >> 28) == 0 && ((m.mas0 >> 16) & 0xfff) == 1 &&
         (m.mas1 & MAS1_V) && ((m.mas1 >> 16) & 0xff) == 0x11);
  report_eq("tlbsx hit: MAS3 is the entry's", m.mas3 & 0xfffff03fu, PA | PERM);
  rt_tlbsx(VA + 0x3abc, MAS6_SPID(0x12), &m);
  report("tlbsx selects by SPID", ((m.mas0 >> 16) & 0xfff) == 3 && (m.mas3 & 0xfffff000u) == PA + 0x1000);
  rt_tlbsx(VA + 0x3abc, MAS6_SPID(0x11) | MAS6_SAS, &m);
  report("tlbsx selects by SAS", ((m.mas0 >> 16) & 0xfff) == 0 && (m.mas1 & MAS1_TS) && (m.mas3 & 0xfffff000u) == PA + 0x2000);
  rt_tlbsx(VA + 0x3abc, MAS6_SPID(0x13), &m);
  report("tlbsx miss: MAS1[V] = 0", (m.mas1 & MAS1_V) == 0);
  /* TLB1 hit; an entry with TID 0 matches any SPID. */
  tlb1_entry(10, 0x4b000000u, PA, TSIZE_16M, 0);
  rt_tlbsx(0x4bfedcbau, MAS6_SPID(0x77), &m);
  report("tlbsx hit in TLB1 (TID 0, any SPID): MAS0 TLBSEL 1, ESEL 10",
         (m.mas0 >> 28) == 1 && ((m.mas0 >> 16) & 0xfff) == 10 && (m.mas1 & MAS1_V) && (m.mas2 & 0xfffff000u) == 0x4b000000u);
  rt_unmap_tlb1(10);
  mtspr(SPR_MMUCSR0, 0x4);
}

/*
 * u32 tramp(u32 kind, u32 arg, u32 e0mas1, u32 e0mas2, u32 e0mas3, u32 e1mas1, u32 e1mas2, u32 e1mas3)
 * kind 0: tlbivax 0,arg; kind 1: mtspr MMUCSR0,arg; kind 2: tlbilx 0 (all).
 * Then: returns 1 if TLB1 entry 0 is still valid, else rewrites TLB1 entries
 * 0 and 1 (MAS7 of entry 1 = 0xf: CCSR) from the arguments and returns 0.
 * Position independent, no memory accesses: it runs from its own page.
 */
__asm__(".section .text.tramp,\"ax\"\n"
        " .balign 4096\n"
        "tramp:\n"
        " cmpwi 3,0\n bne 1f\n tlbivax 0,4\n tlbsync\n msync\n b 3f\n"
        "1: cmpwi 3,1\n bne 2f\n mtspr 1012,4\n b 3f\n"
        "2: tlbilx 0,0,4\n"
        "3: isync\n"
        " lis 0,0x1000\n mtspr 624,0\n isync\n tlbre\n isync\n mfspr 0,625\n"
        " andis. 0,0,0x8000\n beq 4f\n li 3,1\n blr\n"
        "4: lis 0,0x1000\n mtspr 624,0\n mtspr 625,5\n mtspr 626,6\n mtspr 627,7\n li 0,0\n mtspr 944,0\n"
        " isync\n tlbwe\n isync\n"
        " lis 0,0x1001\n mtspr 624,0\n mtspr 625,8\n mtspr 626,9\n mtspr 627,10\n li 0,15\n mtspr 944,0\n"
        " isync\n tlbwe\n isync\n"
        " li 3,0\n blr\n"
        " .balign 4096\n"
        " .text\n");
extern u8 tramp[];
#define TRAMP_VA 0x4f000000u

/* Run one TLB1-wide invalidation through the trampoline; returns whether the runtime's IPROT entries survived. */
static int tlb1_wide(u32 kind, u32 arg) {
  struct rt_mas e0, e1;
  rt_tlbre(MAS0_TLBSEL(1) | MAS0_ESEL(0), 0, &e0);
  rt_tlbre(MAS0_TLBSEL(1) | MAS0_ESEL(1), 0, &e1);
  /* tlbilx 0 also empties TLB0: that one runs from an IPROT TLB1 entry instead. */
  if (kind == 2) rt_map_tlb1(13, TRAMP_VA, (u32)(uptr)tramp, TSIZE_4K, 0, 0, MAS3_SX | MAS3_SR, 0);
  else tlb0_entry(0, TRAMP_VA, (u32)(uptr)tramp, 0, 0, MAS3_SX | MAS3_SR, 0);
  u32 r;
  register u32 r3 __asm__("r3") = kind;
  register u32 r4 __asm__("r4") = arg;
  register u32 r5 __asm__("r5") = e0.mas1;
  register u32 r6 __asm__("r6") = e0.mas2;
  register u32 r7 __asm__("r7") = e0.mas3;
  register u32 r8 __asm__("r8") = e1.mas1;
  register u32 r9 __asm__("r9") = e1.mas2;
  register u32 r10 __asm__("r10") = e1.mas3;
  __asm__ __volatile__("mtctr %8\n bctrl"
                       : "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6), "+r"(r7), "+r"(r8), "+r"(r9), "+r"(r10)
                       : "r"(TRAMP_VA)
                       : "r0", "r11", "r12", "ctr", "lr", "cr0", "memory");
  r = r3;
  if (kind == 2) rt_unmap_tlb1(13);
  else rt_tlbwe(MAS0_TLBSEL(0) | MAS0_ESEL(0), 0, TRAMP_VA, 0, 0);
  return (int)r;
}

static void invalidation(void) {
  u32 a = VA, b = VA + 0x1000, c = 0x4c000000u, d = 0x4d000000u;
  /* tlbivax by address in TLB0 */
  tlb0_entry(0, a, PA, 0, 0, PERM, 0);
  tlb0_entry(0, b, PA, 0, 0, PERM, 0);
  __asm__ __volatile__("tlbivax 0,%0\n tlbsync\n msync\n isync" : : "r"(a) : "memory");
  report("tlbivax EA (TLB0): that page only", !mapped(a) && mapped(b));
  /* tlbivax with EA[0x8] selects TLB1, by address; IPROT entries stay */
  tlb1_entry(10, c, PA, TSIZE_1M, 0);
  tlb1_entry(11, d, PA, TSIZE_1M, 1);
  __asm__ __volatile__("tlbivax 0,%0\n tlbivax 0,%1\n tlbsync\n msync\n isync" : : "r"(c + 0x8 + 0x4000), "r"(d + 0x8) : "memory");
  report("tlbivax EA|8 (TLB1): the entry covering EA is invalidated", !mapped(c));
  report("tlbivax spares an IPROT entry", mapped(d));
  report("tlbivax of TLB1 leaves TLB0 alone", mapped(b));
  /* tlbivax "all" (EA[0x4]) */
  tlb1_entry(10, c, PA, TSIZE_1M, 0);
  int kept = tlb1_wide(0, 0x4 | 0x8);
  report("tlbivax all of TLB1: non-IPROT entries go, TLB0 stays", !mapped(c) && mapped(b));
  report("tlbivax all of TLB1 spares IPROT entries", kept && mapped(d));
  __asm__ __volatile__("tlbivax 0,%0\n tlbsync\n msync\n isync" : : "r"(0x4) : "memory");
  report("tlbivax all of TLB0", !mapped(b) && mapped(d));
  rt_unmap_tlb1(11);

  /* tlbilx: T = 0 all, T = 1 by PID (MAS6[SPID]), T = 3 by address and SPID/SAS */
  tlb0_entry(0, a, PA, 0, 0, PERM, 0);
  tlb1_entry(10, c, PA, TSIZE_1M, 0);
  kept = tlb1_wide(2, 0);
  report("tlbilx 0 (all): TLB0 and non-IPROT TLB1 entries", !mapped(a) && !mapped(c));
  report("tlbilx 0 (all) spares IPROT entries (the runtime's)", kept);
  mtspr(SPR_PID, 5);
  tlb0_entry(0, a, PA, 5, 0, PERM, 0);
  tlb0_entry(1, b, PA, 6, 0, PERM, 0);
  tlb0_entry(2, VA + 0x2000, PA, 5, 0, PERM, 0);
  mtspr(SPR_MAS6, MAS6_SPID(5));
  __asm__ __volatile__("tlbilx 1,0,%0\n isync" : : "r"(0) : "memory");
  report("tlbilx 1 (by PID): entries with TID = SPID go", !mapped(a) && !mapped(VA + 0x2000));
  mtspr(SPR_PID, 6);
  report("tlbilx 1 (by PID): other TIDs stay", mapped(b));
  mtspr(SPR_PID, 5);
  tlb0_entry(0, a, PA, 5, 0, PERM, 0);
  tlb0_entry(2, VA + 0x2000, PA, 5, 0, PERM, 0);
  __asm__ __volatile__("tlbilx 3,0,%0\n isync" : : "r"(a + 0x123) : "memory");
  report("tlbilx 3 (by address): only that page", !mapped(a) && mapped(VA + 0x2000));
  mtspr(SPR_PID, 0);

  /* MMUCSR0 flash invalidation */
  tlb0_entry(0, a, PA, 0, 0, PERM, 0);
  tlb1_entry(10, c, PA, TSIZE_1M, 0);
  tlb1_entry(11, d, PA, TSIZE_1M, 1);
  mtspr(SPR_MMUCSR0, 0x4);
  isync();
  u32 csr = mfspr(SPR_MMUCSR0);
  report("MMUCSR0[TLB0_FI]: TLB0 invalidated, TLB1 kept, bit reads 0", !mapped(a) && mapped(c) && (csr & 0x4) == 0);
  kept = tlb1_wide(1, 0x2);
  csr = mfspr(SPR_MMUCSR0);
  report("MMUCSR0[TLB1_FI]: non-IPROT TLB1 entries invalidated, bit reads 0", !mapped(c) && (csr & 0x2) == 0);
  report("MMUCSR0[TLB1_FI] spares IPROT entries", kept && mapped(d));
  rt_unmap_tlb1(11);
}

static void sizes(void) {
  /* TLB1 page sizes: the last word inside maps, the first word after does not. */
  static const struct { int tsize; u32 size; } t[] = {
    {TSIZE_4K, 0x1000}, {TSIZE_16K, 0x4000}, {TSIZE_64K, 0x10000}, {TSIZE_256K, 0x40000},
    {TSIZE_1M, 0x100000}, {6, 0x400000}, {TSIZE_16M, 0x1000000}, {TSIZE_64M, 0x4000000}, {9, 0x10000000},
  };
  for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
    u32 va = 0x80000000u, pa = 0;
    tlb1_entry(12, va, pa, t[i].tsize, 0);
    /* RAM at pa + size - 4 (the 256 MiB page ends exactly at the end of RAM). */
    int ok = mapped(va + t[i].size - 4) && !mapped(va + t[i].size) && mapped(va);
    u32 probe = t[i].size - 0x100;
    ok &= ld(va + probe) == (probe < 0x04000000u ? *(volatile u32 *)probe : ld(va + probe));
    reportf(ok, "TLB1 page size %u KiB", t[i].size >> 10);
  }
  rt_unmap_tlb1(12);
}

static void little_endian(void) {
  volatile u32 *w = (volatile u32 *)(PA + 0x100);
  *w = 0x11223344u;
  tlb1_entry(12, VA, PA, TSIZE_4K, 0);
  u32 be = ld(VA + 0x100);
  rt_tlbwe(MAS0_TLBSEL(1) | MAS0_ESEL(12), MAS1_V | MAS1_TSIZE(TSIZE_4K), VA | MAS2_E, PA | PERM, 0);
  u32 le = ld(VA + 0x100);
  u16 h = *(volatile u16 *)(VA + 0x100);
  *(volatile u32 *)(VA + 0x104) = 0xaabbccddu;
  u32 stored = w[1];
  rt_unmap_tlb1(12);
  report_eq("big-endian page: lwz", be, 0x11223344u);
  report_arch("little-endian (E) page: lwz byte-reversed", le == 0x44332211u, le == 0x11223344u, "le-pages");
  report_arch("little-endian (E) page: lhz", h == 0x2211u, h == 0x1122u, "le-pages");
  report_arch("little-endian (E) page: stw", stored == 0xddccbbaau, stored == 0xaabbccddu, "le-pages");

  /* An access crossing from a big-endian into a little-endian page: the
     e500 takes a byte-ordering DSI (ESR[BO]) (e500 RM 5.7.3). */
  tlb1_entry(12, VA, PA, TSIZE_4K, 0);
  rt_tlbwe(MAS0_TLBSEL(1) | MAS0_ESEL(13), MAS1_V | MAS1_TSIZE(TSIZE_4K), (VA + 0x1000) | MAS2_E, (PA + 0x1000) | PERM, 0);
  u32 v = 0x1234, at;
  rt_expect(RT_ANY, RT_SKIP);
  __asm__ __volatile__("bl 1f\n1: mflr %1\n addi %1,%1,8\n lwz %0,0(%2)" : "+r"(v), "=&b"(at) : "b"(VA + 0xffe) : "lr", "memory");
  volatile struct rt_caught *c = rt_expect_cancel();
  report_arch("load crossing into a page of the other byte order: DSI with ESR[BO]",
              c->taken && c->ivor == IVOR_DSI && c->srr0 == at && (c->esr & ESR_BO) && !(c->esr & ESR_ST) && v == 0x1234,
              !c->taken, "le-pages");
  rt_expect(RT_ANY, RT_SKIP);
  __asm__ __volatile__("bl 1f\n1: mflr %0\n addi %0,%0,8\n stw %0,0(%1)" : "=&b"(at) : "b"(VA + 0xfff) : "lr", "memory");
  c = rt_expect_cancel();
  report_arch("store crossing into a page of the other byte order: DSI with ESR[BO|ST]",
              c->taken && c->ivor == IVOR_DSI && c->srr0 == at && (c->esr & (ESR_BO | ESR_ST)) == (ESR_BO | ESR_ST),
              !c->taken, "le-pages");
  rt_unmap_tlb1(13);

  /* Instructions from a little-endian page are byte-reversed in memory. */
  volatile u32 *code = (volatile u32 *)(PA + 0x800);
  code[0] = 0x4d006038u; /* li r3,77 (0x3860004d), little-endian */
  code[1] = 0x2000804eu; /* blr */
  __asm__ __volatile__("dcbst 0,%0\n sync\n icbi 0,%0\n sync\n isync" : : "r"(code) : "memory");
  rt_tlbwe(MAS0_TLBSEL(1) | MAS0_ESEL(12), MAS1_V | MAS1_TSIZE(TSIZE_4K), VA | MAS2_E, PA | PERM | MAS3_SX, 0);
  u32 r = 0;
  rt_expect(RT_ANY, RT_RETURN_LR);
  __asm__ __volatile__("li 3,0\n mtctr %1\n bctrl\n mr %0,3" : "=r"(r) : "r"(VA + 0x800) : "r3", "ctr", "lr", "memory");
  c = rt_expect_cancel();
  report_arch("instructions fetched from a little-endian page", !c->taken && r == 77,
              c->taken && c->ivor == IVOR_PROGRAM, "le-pages");
  rt_unmap_tlb1(12);
}

int main(void) {
  write_read();
  search();
  invalidation();
  sizes();
  little_endian();
  return 0;
}
