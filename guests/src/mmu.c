/*
 * Storage protection: DSI for loads/stores without the UR/UW/SR/SW
 * permission of the page (SRR0 the instruction, DEAR the EA, ESR[ST] for
 * stores, the instruction has no effect), ISI for instruction fetch
 * without UX/SX (SRR0 the fetch address), in supervisor and user mode;
 * data and instruction TLB errors for unmapped addresses (DEAR, ESR[ST]);
 * translation of the page number through the TLB, 36-bit real addresses
 * (MAS7), address space (MSR[IS,DS] against the entry's TS) and process ID
 * (PID against TID; TID 0 matches every PID).
 */
#include "runtime.h"

#define VA 0x40000000u      /* test pages: 16 KiB window, 4 pages */
#define PA 0x01000000u      /* RAM behind them */
#define ESEL RT_TLB1_FREE

static void map4k(u32 va, u32 pa, u32 perms, int as, int tid) {
  rt_map_tlb1(ESEL, va, pa, TSIZE_4K, as, tid, perms, 0);
}

/* Load/store at EA in the current mode; reports whether the expected interrupt came with the right state. */
static u32 ld(u32 ea) {
  u32 v;
  __asm__ __volatile__("lwz %0,0(%1)" : "=r"(v) : "b"(ea) : "memory");
  return v;
}
static void st(u32 ea, u32 v) { __asm__ __volatile__("stw %0,0(%1)" : : "r"(v), "b"(ea) : "memory"); }

/* User-mode wrappers arm the expectation themselves (so it records the user MSR). */
static volatile int u_ivor;
static volatile enum rt_resume u_resume;
static u32 u_ld(u32 ea) { rt_expect(u_ivor, u_resume); return ld(ea); }
static u32 u_st(u32 ea) { rt_expect(u_ivor, u_resume); st(ea, 0xbad0bad0u); return 0; }

/* Returns 1 if the access took `ivor` with SRR0 inside fn, DEAR = ea and the given ESR. */
static int check(volatile struct rt_caught *c, int ivor, u32 ea, u32 esr) {
  if (!c->taken) return 0;
  if (c->ivor != ivor || c->dear != ea || c->esr != esr) {
    printf("  got %s SRR0 0x%08x DEAR 0x%08x ESR 0x%08x\n", rt_ivor_name(c->ivor), c->srr0, c->dear, c->esr);
    return 0;
  }
  return c->srr1 == c->msr_armed;
}

static void data_permissions(void) {
  volatile u32 *backing = (volatile u32 *)(PA + 0x10);
  static const struct { u32 perms; int user, store, fault; const char *name; } t[] = {
    {MAS3_SR | MAS3_SW, 0, 0, 0, "supervisor load with SR"},
    {MAS3_SW | MAS3_UR, 0, 0, 1, "supervisor load without SR: DSI"},
    {MAS3_SR | MAS3_SW, 0, 1, 0, "supervisor store with SW"},
    {MAS3_SR | MAS3_UW, 0, 1, 1, "supervisor store without SW: DSI, ESR[ST]"},
    {MAS3_UR, 1, 0, 0, "user load with UR"},
    {MAS3_SR | MAS3_SW | MAS3_UW, 1, 0, 1, "user load without UR: DSI"},
    {MAS3_UR | MAS3_UW, 1, 1, 0, "user store with UW"},
    {MAS3_UR | MAS3_SR | MAS3_SW, 1, 1, 1, "user store without UW: DSI, ESR[ST]"},
  };
  for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
    *backing = 0x600d0000u + i;
    map4k(VA, PA, t[i].perms, 0, 0);
    u32 ea = VA + 0x10, v = 0;
    u_ivor = IVOR_DSI;
    u_resume = RT_SKIP;
    rt_expect(IVOR_DSI, RT_SKIP);
    if (t[i].user) v = rt_user_call(t[i].store ? u_st : u_ld, ea, RT_USER);
    else if (t[i].store) st(ea, 0xbad0bad0u);
    else v = ld(ea);
    volatile struct rt_caught *c = rt_expect_cancel();
    int ok;
    if (t[i].fault)
      ok = check(c, IVOR_DSI, ea, t[i].store ? ESR_ST : 0) && *backing == 0x600d0000u + i;
    else
      ok = !c->taken && (t[i].store ? *backing == 0xbad0bad0u : v == 0x600d0000u + i);
    report(t[i].name, ok);
  }
  rt_unmap_tlb1(ESEL);
}

/* Code for the instruction-side tests: "li r3,77; blr" copied to the test page. */
static const u32 li77_blr[2] = {0x3860004du, 0x4e800020u};

static u32 call(u32 target) {
  u32 r;
  __asm__ __volatile__("li 3,0\n mtctr %1\n bctrl\n mr %0,3" : "=r"(r) : "r"(target) : "r3", "ctr", "lr", "memory");
  return r;
}
static u32 u_call(u32 target) { rt_expect(u_ivor, u_resume); return call(target); }

static void instruction_permissions(void) {
  u32 *code = (u32 *)PA;
  code[0] = li77_blr[0];
  code[1] = li77_blr[1];
  __asm__ __volatile__("dcbst 0,%0\n sync\n icbi 0,%0\n sync\n isync" : : "r"(code) : "memory");
  static const struct { u32 perms; int user, fault; const char *name; } t[] = {
    {MAS3_SX | MAS3_SR, 0, 0, "supervisor fetch with SX"},
    {MAS3_SR | MAS3_UX, 0, 1, "supervisor fetch without SX: ISI"},
    {MAS3_UX | MAS3_UR, 1, 0, "user fetch with UX"},
    {MAS3_SX | MAS3_UR | MAS3_SR, 1, 1, "user fetch without UX: ISI"},
  };
  for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
    map4k(VA, PA, t[i].perms, 0, 0);
    u_ivor = IVOR_ISI;
    u_resume = RT_RETURN_LR;
    rt_expect(IVOR_ISI, RT_RETURN_LR);
    u32 r = t[i].user ? rt_user_call(u_call, VA, RT_USER) : call(VA);
    volatile struct rt_caught *c = rt_expect_cancel();
    int ok;
    if (t[i].fault) ok = c->taken && c->ivor == IVOR_ISI && c->srr0 == VA && r == 0 && c->srr1 == c->msr_armed;
    else ok = !c->taken && r == 77;
    if (c->taken && t[i].fault) report_eq("ISI: ESR", c->esr, 0);
    report(t[i].name, ok);
  }
  rt_unmap_tlb1(ESEL);
}

static void tlb_errors(void) {
  u32 ea = 0x7ff00ffcu, at;
  rt_expect(IVOR_DTLB, RT_SKIP);
  __asm__ __volatile__("bl 1f\n1: mflr %0\n addi %0,%0,8\n lwz 0,0(%1)" : "=&b"(at) : "b"(ea) : "r0", "lr", "memory");
  if (rt_check_caught("load from an unmapped address: data TLB error", IVOR_DTLB, at, 0))
    report_eq("data TLB error: DEAR = EA", rt_caught.dear, ea);
  rt_expect(IVOR_DTLB, RT_SKIP);
  __asm__ __volatile__("bl 1f\n1: mflr %0\n addi %0,%0,8\n stb 0,0(%1)" : "=&b"(at) : "b"(ea + 3) : "lr", "memory");
  if (rt_check_caught("store to an unmapped address: data TLB error, ESR[ST]", IVOR_DTLB, at, ESR_ST))
    report_eq("data TLB error on a store: DEAR = EA", rt_caught.dear, ea + 3);
  rt_expect(IVOR_ITLB, RT_RETURN_LR);
  u32 r = call(0x7ff00000u);
  volatile struct rt_caught *c = rt_expect_end("fetch from an unmapped address: instruction TLB error");
  report("instruction TLB error: SRR0 = fetch address, SRR1 = MSR", c->taken && c->ivor == IVOR_ITLB &&
         c->srr0 == 0x7ff00000u && c->srr1 == c->msr_armed && r == 0);
  /* A misaligned load whose second half is unmapped faults as a whole. */
  map4k(VA, PA, MAS3_SR | MAS3_SW, 0, 0);
  u32 v = 0x1234;
  rt_expect(IVOR_DTLB, RT_SKIP);
  __asm__ __volatile__("lwz %0,0(%1)" : "+r"(v) : "b"(VA + 0xffe) : "memory");
  c = rt_expect_cancel();
  report("load crossing into an unmapped page: data TLB error, rD unchanged", c->taken && c->ivor == IVOR_DTLB && v == 0x1234);
  rt_unmap_tlb1(ESEL);
}

static void translation(void) {
  /* Page number translation and offsets. */
  volatile u32 *b0 = (volatile u32 *)PA, *b1 = (volatile u32 *)(PA + 0x3000);
  b0[5] = 0x11111111u;
  b1[5] = 0x22222222u;
  map4k(VA, PA + 0x3000, MAS3_SR | MAS3_SW, 0, 0);
  report_eq("VA page -> RPN page, offset kept", ld(VA + 20), 0x22222222u);
  st(VA + 24, 0x33333333u);
  report_eq("stores go to the RPN page", b1[6], 0x33333333u);
  map4k(VA, PA, MAS3_SR | MAS3_SW, 0, 0);
  report_eq("rewriting the entry retranslates", ld(VA + 20), 0x11111111u);

  /* 36-bit real address: CCSR at 0xf_e000_0000 through MAS7 (the UART's scratch register SCR, +7). */
  rt_map_tlb1(ESEL, VA, 0xfe0004000ull, TSIZE_4K, 0, 0, MAS3_SR | MAS3_SW, MAS2_I | MAS2_G);
  volatile u8 *scr_va = (volatile u8 *)(VA + 0x500 + 7), *scr_ccsr = (volatile u8 *)(CCSR_VA + 0x4500 + 7);
  *scr_va = 0x5a;
  int ok = *scr_ccsr == 0x5a;
  *scr_ccsr = 0xa5;
  ok &= *scr_va == 0xa5;
  report("MAS7 supplies the real address bits above 4 GiB (CCSR's UART scratch register)", ok);

  /* Address space: an AS1 entry does not translate AS0 accesses. */
  map4k(VA, PA, MAS3_SR | MAS3_SW, 1, 0);
  rt_expect(IVOR_DTLB, RT_SKIP);
  ld(VA + 20);
  volatile struct rt_caught *c = rt_expect_cancel();
  report("an entry with TS = 1 does not translate MSR[DS] = 0 accesses", c->taken && c->ivor == IVOR_DTLB);

  /* Process ID: TID must match PID unless it is 0. */
  map4k(VA, PA, MAS3_SR | MAS3_SW, 0, 0x42);
  mtspr(SPR_PID, 0x42);
  isync();
  report_eq("TID = PID translates", ld(VA + 20), 0x11111111u);
  mtspr(SPR_PID, 0x43);
  isync();
  rt_expect(IVOR_DTLB, RT_SKIP);
  ld(VA + 20);
  c = rt_expect_cancel();
  report("TID != PID does not translate", c->taken && c->ivor == IVOR_DTLB);
  map4k(VA, PA, MAS3_SR | MAS3_SW, 0, 0);
  report_eq("TID = 0 translates for any PID", ld(VA + 20), 0x11111111u);
  mtspr(SPR_PID, 0);
  isync();
  rt_unmap_tlb1(ESEL);
}

/* Faulting update forms change neither rD nor rA; MSR[DS] alone selects the data address space. */
static void update_forms_and_ds(void) {
  map4k(VA, PA, MAS3_SR, 0, 0); /* read-only */
  u32 base = VA + 0x100, v = 0x1111;
  rt_expect(IVOR_DSI, RT_SKIP);
  __asm__ __volatile__("stwu %1,8(%0)" : "+b"(base) : "r"(v) : "memory");
  rt_expect_cancel();
  report("faulting stwu leaves rA", rt_caught.taken && base == VA + 0x100);
  map4k(VA, PA, MAS3_SW, 0, 0); /* write-only */
  base = VA + 0x100;
  rt_expect(IVOR_DSI, RT_SKIP);
  __asm__ __volatile__("lwzu %1,8(%0)" : "+b"(base), "+r"(v) : : "memory");
  rt_expect_cancel();
  report("faulting lwzu leaves rD and rA", rt_caught.taken && base == VA + 0x100 && v == 0x1111);

  /* The same VA in AS0 and AS1 to different pages; MSR[DS] = 1 with MSR[IS] = 0. */
  *(volatile u32 *)(PA + 0x40) = 0xa5a50000u;
  *(volatile u32 *)(PA + 0x1040) = 0xa5a50001u;
  map4k(VA, PA, MAS3_SR | MAS3_SW, 0, 0);
  rt_map_tlb1(ESEL + 1, VA, PA + 0x1000, TSIZE_4K, 1, 0, MAS3_SR | MAS3_SW, 0);
  rt_map_as1(); /* the stack and the runtime in AS1 too */
  u32 msr = mfmsr(), a0, a1, a2;
  __asm__ __volatile__("mtmsr %3\n isync\n lwz %0,0x40(%4)\n mtmsr %5\n isync\n lwz %1,0x40(%4)\n"
                       "mtmsr %3\n isync\n lwz %2,0x40(%4)\n mtmsr %5\n isync"
                       : "=&r"(a1), "=&r"(a2), "=&r"(a0)
                       : "r"(msr | MSR_DS), "b"(VA), "r"(msr)
                       : "memory");
  report("MSR[DS] selects the data address space, instruction fetch stays in AS0",
         a1 == 0xa5a50001u && a2 == 0xa5a50000u && a0 == 0xa5a50001u);
  rt_unmap_tlb1(ESEL + 1);
  rt_unmap_tlb1(ESEL);
}

int main(void) {
  update_forms_and_ds();
  data_permissions();
  instruction_permissions();
  tlb_errors();
  translation();
  return 0;
}
