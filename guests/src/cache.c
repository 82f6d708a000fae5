/*
 * Cache management and synchronization instructions: dcbz zeroes exactly
 * its 64-byte line; dcbf, dcbst, dcbt, dcbtst, dcbi, icbi, icbt, sync,
 * lwsync, mbar, isync execute without side effects on data; dcbz, dcbf,
 * dcbst and icbi translate like loads/stores (DSI, data TLB error), the
 * touch hints (dcbt, dcbtst, icbt) never fault; self-modifying code takes
 * effect after the dcbst/sync/icbi/isync sequence; L1CSR0/1 flash
 * invalidate completes at once.
 *
 * Cache locking (dcbtls, dcbtstls, dcblc, icbtls, icblc): allowed in
 * supervisor mode, and in user mode with MSR[UCLE] = 1; in user mode with
 * MSR[UCLE] = 0 a cache-locking Data Storage interrupt with ESR[DLK]
 * (data cache) or ESR[ILK] (instruction cache) (Book E; e500 RM table 5-6).
 * Known QEMU 7.2 departure (allowlisted: cache-locking): QEMU treats dcbtls
 * as a no-op in any mode and the other four as illegal instructions.
 */
#include "runtime.h"

static u8 buf[512] __attribute__((aligned(64)));

#define UNMAPPED 0x50000000u

static void dcbz_line(void) {
  for (int i = 0; i < (int)sizeof buf; i++) buf[i] = 0xa5;
  __asm__ __volatile__("dcbz 0,%0" : : "r"(buf + 128 + 17) : "memory");
  int ok = 1;
  for (int i = 0; i < (int)sizeof buf; i++) {
    u8 want = (i >= 128 && i < 192) ? 0 : 0xa5;
    if (buf[i] != want) ok = 0;
  }
  report("dcbz zeroes exactly the aligned 64-byte line", ok);
  __asm__ __volatile__("dcbz %0,%1" : : "b"(buf), "r"(256 + 63) : "memory");
  report("dcbz rA,rB: EA = rA + rB", buf[256] == 0 && buf[319] == 0 && buf[320] == 0xa5 && buf[255] == 0xa5);
}

static void hints(void) {
  for (int i = 0; i < 64; i++) buf[i] = (u8)i;
  __asm__ __volatile__("dcbf 0,%0\n dcbst 0,%0\n dcbt 0,%0\n dcbtst 0,%0\n icbi 0,%0\n icbt 0,0,%0\n"
                       "sync\n lwsync\n mbar\n msync\n isync\n dcbi 0,%0"
                       : : "r"(buf) : "memory");
  int ok = 1;
  for (int i = 0; i < 64; i++) ok &= buf[i] == (u8)i;
  report("dcbf, dcbst, dcbt, dcbtst, icbi, icbt, sync, lwsync, mbar, msync, isync, dcbi keep data", ok);
  /* Touch hints on an unmapped address do nothing (no interrupt). */
  __asm__ __volatile__("dcbt 0,%0\n dcbtst 0,%0\n icbt 0,0,%0" : : "r"(UNMAPPED) : "memory");
  report("dcbt, dcbtst, icbt on an unmapped address: no interrupt", 1);
}

/* A cache op on an unmapped address takes a data TLB error (DEAR = EA). */
#define FAULTS(name, insn, esr)                                                  \
  do {                                                                          \
    u32 _at;                                                                    \
    rt_expect(IVOR_DTLB, RT_SKIP);                                              \
    __asm__ __volatile__("bl 1f\n1: mflr %0\n addi %0,%0,8\n " insn " 0,%1"     \
                         : "=&b"(_at) : "r"(UNMAPPED + 0x123) : "lr", "memory"); \
    if (rt_check_caught(name, IVOR_DTLB, _at, esr))                             \
      report_eq(name ": DEAR", rt_caught.dear & ~63u, UNMAPPED + 0x100);        \
  } while (0)

static void faults(void) {
  FAULTS("dcbz on an unmapped address: data TLB error, ESR[ST]", "dcbz", ESR_ST);
  FAULTS("dcbst on an unmapped address: data TLB error", "dcbst", 0);
  FAULTS("dcbf on an unmapped address: data TLB error", "dcbf", 0);
  FAULTS("icbi on an unmapped address: data TLB error", "icbi", 0);
  /* dcbz needs write permission: a read-only page gives a DSI with ESR[ST]. */
  u32 va = 0x30000000u, at;
  rt_map_tlb1(RT_TLB1_FREE, va, 0x00800000u, TSIZE_4K, 0, 0, MAS3_SR, 0);
  rt_expect(IVOR_DSI, RT_SKIP);
  __asm__ __volatile__("bl 1f\n1: mflr %0\n addi %0,%0,8\n dcbz 0,%1" : "=&b"(at) : "r"(va + 64) : "lr", "memory");
  if (rt_check_caught("dcbz on a read-only page: DSI, ESR[ST]", IVOR_DSI, at, ESR_ST))
    report_eq("dcbz on a read-only page: DEAR", rt_caught.dear & ~63u, va + 64);
  rt_unmap_tlb1(RT_TLB1_FREE);
}

/* Self-modifying code: patch "li r3,N" in a buffer, sync caches, call it. */
static u32 code[16] __attribute__((aligned(64)));

static u32 call_code(void) {
  u32 r;
  __asm__ __volatile__("mtctr %1\n bctrl\n mr %0,3" : "=r"(r) : "r"(code) : "r3", "ctr", "lr", "memory");
  return r;
}

static void patch(u32 insn) {
  code[0] = insn;
  code[1] = 0x4e800020u; /* blr */
  __asm__ __volatile__("dcbst 0,%0\n sync\n icbi 0,%0\n sync\n isync" : : "r"(code) : "memory");
}

static void smc(void) {
  patch(0x38600000u | 11); /* li r3,11 */
  u32 a = call_code();
  patch(0x38600000u | 22);
  u32 b = call_code();
  patch(0x38600000u | 33);
  u32 c = call_code();
  report("modified code runs after dcbst/sync/icbi/isync", a == 11 && b == 22 && c == 33);
}

static void l1csr(void) {
  /* Flash invalidate (CFI, bit 30 in LSB-0 terms 0x2) reads back as 0 once done. */
  mtspr(SPR_L1CSR0, mfspr(SPR_L1CSR0) | 0x2);
  isync();
  u32 v0 = mfspr(SPR_L1CSR0);
  mtspr(SPR_L1CSR1, mfspr(SPR_L1CSR1) | 0x2);
  isync();
  u32 v1 = mfspr(SPR_L1CSR1);
  report("L1CSR0/L1CSR1 flash invalidate completes (CFI reads 0)", (v0 & 2) == 0 && (v1 & 2) == 0);
}

/* One cache-locking instruction, in the current mode; reports. */
#define LOCK_FN(nm, insn)                                                        \
  static u32 nm(u32 ea) {                                                       \
    rt_expect(RT_ANY, RT_SKIP);                                                 \
    __asm__ __volatile__(insn " 0,0,%0" : : "r"(ea) : "memory");                \
    rt_expect_cancel();                                                         \
    return 0;                                                                   \
  }
LOCK_FN(l_dcbtls, "dcbtls")
LOCK_FN(l_dcbtstls, "dcbtstls")
LOCK_FN(l_dcblc, "dcblc")
LOCK_FN(l_icbtls, "icbtls")
LOCK_FN(l_icblc, "icblc")

static void cache_locking(void) {
  static const struct { const char *name; u32 (*f)(u32); u32 lk; } t[] = {
    {"dcbtls", l_dcbtls, ESR_DLK}, {"dcbtstls", l_dcbtstls, ESR_DLK}, {"dcblc", l_dcblc, ESR_DLK},
    {"icbtls", l_icbtls, ESR_ILK}, {"icblc", l_icblc, ESR_ILK},
  };
  char name[96];
  for (unsigned k = 0; k < 5; k++) {
    /* QEMU: dcbtls is a no-op, the others are illegal (in every mode). */
    int qemu_pil;
#define QEMU_LIKE(c) (k == 0 ? !(c)->taken : ((c)->taken && (c)->ivor == IVOR_PROGRAM && (c)->esr == ESR_PIL))
    t[k].f((u32)(uptr)buf);
    volatile struct rt_caught *c = &rt_caught;
    qemu_pil = QEMU_LIKE(c);
    snprintf(name, sizeof name, "%s in supervisor mode: no interrupt", t[k].name);
    report_arch(name, !c->taken, qemu_pil, "cache-locking");

    rt_user_call(t[k].f, (u32)(uptr)buf, RT_USER);
    c = &rt_caught;
    /* ESR[ST] is not checked for dcbtstls (a store-class touch). */
    int arch = c->taken && c->ivor == IVOR_DSI && (c->esr & ~(k == 1 ? ESR_ST : 0)) == t[k].lk &&
               c->srr1 == c->msr_armed;
    snprintf(name, sizeof name, "%s in user mode, MSR[UCLE] = 0: DSI with ESR[%s]", t[k].name,
             t[k].lk == ESR_DLK ? "DLK" : "ILK");
    report_arch(name, arch, QEMU_LIKE(c), "cache-locking");

    /* MSR[UCLE] = 1 (0x04000000) lets user mode lock. */
    mtmsr(mfmsr() | 0x04000000u);
    rt_user_call(t[k].f, (u32)(uptr)buf, RT_USER);
    c = &rt_caught;
    mtmsr(mfmsr() & ~0x04000000u);
    snprintf(name, sizeof name, "%s in user mode, MSR[UCLE] = 1: no interrupt", t[k].name);
    report_arch(name, !c->taken, QEMU_LIKE(c), "cache-locking");
  }
}

int main(void) {
  cache_locking();
  dcbz_line();
  hints();
  faults();
  smc();
  l1csr();
  return 0;
}
