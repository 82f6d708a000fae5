/*
 * FP unavailable: with MSR[FP] = 0 every floating-point instruction (loads,
 * stores, moves, arithmetic, FPSCR access) takes the FP-unavailable
 * interrupt (IVOR7) without executing: SRR0 = the instruction, SRR1 = the
 * MSR; in supervisor and in user mode. With MSR[FP] = 1 the same loads and
 * stores run. (Floating-point arithmetic itself is tested by the FPU's own
 * guest.)
 */
#include "runtime.h"

static u64 dbl[4] __attribute__((aligned(8)));

#define FP_INSNS(X)                                                              \
  X(lfd, "lfd 1,0(%[p])")                                                       \
  X(lfs, "lfs 1,0(%[p])")                                                       \
  X(lfdx, "lfdx 1,0,%[p]")                                                      \
  X(lfdu, "lfdu 1,8(%[q])")                                                     \
  X(stfd, "stfd 1,8(%[p])")                                                     \
  X(stfs, "stfs 1,8(%[p])")                                                     \
  X(stfiwx, "stfiwx 1,0,%[p]")                                                  \
  X(fmr, "fmr 1,2")                                                             \
  X(fneg, "fneg 1,2")                                                           \
  X(fadd, "fadd 1,2,3")                                                         \
  X(fmul, "fmul 1,2,3")                                                         \
  X(fdiv, "fdiv 1,2,3")                                                         \
  X(fmadd, "fmadd 1,2,3,4")                                                     \
  X(fcmpu, "fcmpu 0,1,2")                                                       \
  X(fctiwz, "fctiwz 1,2")                                                       \
  X(frsp, "frsp 1,2")                                                           \
  X(mffs, "mffs 1")                                                             \
  X(mtfsf, "mtfsf 0xff,1")                                                      \
  X(mtfsb0, "mtfsb0 31")                                                        \
  X(fadds, "fadds 1,2,3")

/* Each: arm the expectation (in the current mode), run the instruction at a known address. */
#define FN(name, insn)                                                           \
  static u32 fp_##name(u32 resume) {                                            \
    u32 at, q = (u32)(uptr)dbl;                                                 \
    rt_expect(IVOR_FP_UNAVAIL, (enum rt_resume)resume);                         \
    __asm__ __volatile__("bl 1f\n1: mflr %[at]\n addi %[at],%[at],8\n" insn     \
                         : [at] "=&b"(at), [q] "+b"(q) : [p] "b"(dbl) : "lr", "cr0", "memory"); \
    return at;                                                                  \
  }
FP_INSNS(FN)

#define ENTRY(name, insn) {#name, fp_##name},
static const struct { const char *name; u32 (*fn)(u32); } insns[] = {FP_INSNS(ENTRY)};

int main(void) {
  char name[80];
  mtmsr(mfmsr() & ~MSR_FP);
  for (unsigned i = 0; i < sizeof insns / sizeof insns[0]; i++) {
    u32 at = insns[i].fn(RT_SKIP);
    snprintf(name, sizeof name, "%s with MSR[FP] = 0: FP unavailable", insns[i].name);
    rt_check_caught(name, IVOR_FP_UNAVAIL, at, -1);
  }
  /* User mode. */
  for (unsigned i = 0; i < 3; i++) {
    u32 at = rt_user_call(insns[i * 7].fn, RT_SKIP, RT_USER);
    snprintf(name, sizeof name, "%s in user mode with MSR[FP] = 0: FP unavailable", insns[i * 7].name);
    rt_check_caught(name, IVOR_FP_UNAVAIL, at, -1);
  }
  /* lfdu with MSR[FP] = 0 did not update its base register. */
  u32 q = (u32)(uptr)dbl;
  rt_expect(IVOR_FP_UNAVAIL, RT_SKIP);
  __asm__ __volatile__("lfdu 1,8(%0)" : "+b"(q) : : "memory");
  rt_expect_end("lfdu with MSR[FP] = 0");
  report_eq("lfdu with MSR[FP] = 0 leaves rA", q, (u32)(uptr)dbl);

  /* MSR[FP] = 1: loads and stores run. */
  mtmsr(mfmsr() | MSR_FP);
  dbl[0] = 0x400921fb54442d18ull;
  dbl[1] = 0;
  __asm__ __volatile__("lfd 5,0(%0)\n fmr 6,5\n stfd 6,8(%0)" : : "b"(dbl) : "fr5", "fr6", "memory");
  report("with MSR[FP] = 1: lfd, fmr, stfd move a double", dbl[1] == 0x400921fb54442d18ull);
  mtmsr(mfmsr() & ~MSR_FP);
  return 0;
}
