/*
 * SPR access rules of Book E on the e500mc: mfspr/mtspr of an SPR whose
 * number has bit 0x10 set (SPR[5] in the ISA's numbering) in user mode is a
 * privileged-instruction program interrupt (ESR[PPR]), whether or not the
 * SPR exists; an SPR number the core does not implement is an illegal
 * instruction (ESR[PIL]) in supervisor mode, and in user mode when its
 * number is not privileged. User-level SPRs (XER, LR, CTR, USPRG0, the
 * read-only SPRG3-7 views, TBL/TBU) work in user mode. Values: PVR, the
 * SPRGs, the SPRG user views, IVPR/IVOR round trips, the MMU configuration.
 *
 * Known QEMU 7.2 departures (allowlisted in test/guests.test.ts):
 *  - undefined-spr: QEMU follows the server ISA 2.07 rule for SPR numbers it
 *    does not implement: a no-op in supervisor mode, and in user mode a
 *    program interrupt with ESR[PPR] (its "hypervisor emulation assist");
 *    the e500mc raises an illegal-instruction program interrupt;
 *  - mmucfg-zero: QEMU reads MMUCFG as 0; on the e500mc it describes the
 *    MMU (two TLBs, 8-bit PIDs, MMU architecture 1.0).
 */
#include "runtime.h"

/* mfspr/mtspr of SPR n (an immediate: one function each) in the current mode. */
#define MF(n)                                                                    \
  static u32 mf_##n(u32 arg) {                                                  \
    u32 v = arg;                                                                \
    __asm__ __volatile__("mfspr %0," #n : "+r"(v));                             \
    return v;                                                                   \
  }
#define MT(n)                                                                    \
  static u32 mt_##n(u32 arg) {                                                  \
    __asm__ __volatile__("mtspr " #n ",%0" : : "r"(arg) : "memory");            \
    return arg;                                                                 \
  }

/* Privileged SPRs (number & 0x10) that exist, and some that do not. */
#define PRIV_LIST(X) X(26) X(27) X(48) X(58) X(61) X(62) X(63) X(272) X(279) X(286) X(287) X(336) X(340) \
  X(400) X(406) X(624) X(1008) X(1015) X(1023) /* not implemented: */ X(30) X(31) X(700)
PRIV_LIST(MF)
PRIV_LIST(MT)
/* Non-privileged SPR numbers that the e500mc does not implement. */
#define NOSPR_LIST(X) X(2) X(3) X(7) X(10) X(15) X(100) X(288) X(1000)
NOSPR_LIST(MF)
NOSPR_LIST(MT)
/* User-level SPRs. */
MF(1) MF(8) MF(9) MF(256) MF(259) MF(260) MF(261) MF(262) MF(263) MF(268) MF(269)
MT(1) MT(8) MT(9) MT(256)

struct acc { int n; u32 (*mf)(u32); u32 (*mt)(u32); };
#define ACC(n) {n, mf_##n, mt_##n},
static const struct acc priv[] = {PRIV_LIST(ACC)};
static const struct acc nospr[] = {NOSPR_LIST(ACC)};

static volatile u32 caught_esr;
static int user_fault(u32 (*fn)(u32), u32 arg) {
  rt_expect(RT_ANY, RT_SKIP);
  rt_user_call(fn, arg, RT_USER);
  volatile struct rt_caught *c = rt_expect_cancel();
  caught_esr = c->esr;
  return c->taken ? c->ivor : -1;
}

static u32 u_user_sprs(u32 x) {
  /* Runs in user mode: XER, LR, CTR, USPRG0 read/write; SPRG3-7 and TB readable. */
  int ok = 1;
  u32 v;
  mt_1(0xa000007fu);
  v = mf_1(0);
  ok &= (v & 0xe000007fu) == 0xa000007fu;
  mt_9(0x12345678u);
  ok &= mf_9(0) == 0x12345678u;
  u32 lr;
  __asm__ __volatile__("mflr %0" : "=r"(lr));
  mt_8(0x9abcdef0u);
  ok &= mf_8(0) == 0x9abcdef0u;
  __asm__ __volatile__("mtlr %0" : : "r"(lr));
  mt_256(0xfeedf00du);
  ok &= mf_256(0) == 0xfeedf00du;
  ok &= mf_259(0) == 0x33333333u && mf_260(0) == 0x44444444u && mf_261(0) == 0x55555555u &&
        mf_262(0) == 0x66666666u && mf_263(0) == 0x77777777u;
  mf_268(0);
  mf_269(0);
  return ok + x;
}

int main(void) {
  char name[96];
  /* User mode: privileged numbers give ESR[PPR], existing or not. */
  for (unsigned i = 0; i < sizeof priv / sizeof priv[0]; i++) {
    int ivor = user_fault(priv[i].mf, 0);
    u32 esr = caught_esr;
    int ivor2 = user_fault(priv[i].mt, 0);
    u32 esr2 = caught_esr;
    snprintf(name, sizeof name, "user mfspr/mtspr %d: privileged (program, ESR[PPR])", priv[i].n);
    report(name, ivor == IVOR_PROGRAM && esr == ESR_PPR && ivor2 == IVOR_PROGRAM && esr2 == ESR_PPR);
  }
  /* Unimplemented non-privileged numbers: illegal in both modes. */
  for (unsigned i = 0; i < sizeof nospr / sizeof nospr[0]; i++) {
    int ivor = user_fault(nospr[i].mf, 0);
    u32 esr = caught_esr;
    int ivor2 = user_fault(nospr[i].mt, 0);
    u32 esr2 = caught_esr;
    snprintf(name, sizeof name, "user mfspr/mtspr %d (not implemented): illegal", nospr[i].n);
    report_arch(name, ivor == IVOR_PROGRAM && esr == ESR_PIL && ivor2 == IVOR_PROGRAM && esr2 == ESR_PIL,
                ivor == IVOR_PROGRAM && esr == ESR_PPR && ivor2 == IVOR_PROGRAM && esr2 == ESR_PPR, "undefined-spr");
    rt_expect(RT_ANY, RT_SKIP);
    nospr[i].mf(0);
    volatile struct rt_caught *c = rt_expect_cancel();
    int taken = c->taken, ok = c->taken && c->ivor == IVOR_PROGRAM && c->esr == ESR_PIL;
    rt_expect(RT_ANY, RT_SKIP);
    nospr[i].mt(0);
    c = rt_expect_cancel();
    taken += c->taken;
    ok &= c->taken && c->ivor == IVOR_PROGRAM && c->esr == ESR_PIL;
    snprintf(name, sizeof name, "supervisor mfspr/mtspr %d (not implemented): illegal", nospr[i].n);
    report_arch(name, ok, !taken, "undefined-spr");
  }
  /* Unimplemented privileged numbers: illegal in supervisor mode. */
  {
    rt_expect(RT_ANY, RT_SKIP);
    mf_30(0);
    volatile struct rt_caught *c = rt_expect_cancel();
    int taken = c->taken, ok = c->taken && c->ivor == IVOR_PROGRAM && c->esr == ESR_PIL;
    rt_expect(RT_ANY, RT_SKIP);
    mt_700(0);
    c = rt_expect_cancel();
    taken += c->taken;
    ok &= c->taken && c->ivor == IVOR_PROGRAM && c->esr == ESR_PIL;
    report_arch("supervisor mfspr 30, mtspr 700 (not implemented): illegal", ok, !taken, "undefined-spr");
  }

  /* User-level SPRs work in user mode. */
  mtspr(SPR_SPRG3, 0x33333333u);
  mtspr(SPR_SPRG4, 0x44444444u);
  mtspr(277, 0x55555555u);
  mtspr(278, 0x66666666u);
  mtspr(279, 0x77777777u);
  report("user mode: XER, LR, CTR, USPRG0 read/write; SPRG3-7 views and TB read", rt_user_call(u_user_sprs, 0, RT_USER) == 1);

  /* Supervisor values. */
  report_eq("PVR is the e500mc's", mfspr(SPR_PVR), 0x80230020u);
  report_eq("PIR of CPU 0", mfspr(SPR_PIR), 0);
  report_eq("TLB0CFG: 4-way, 512 entries", mfspr(SPR_TLB0CFG), 0x04110200u);
  report_eq("TLB1CFG: 64 entries, fully associative", mfspr(SPR_TLB1CFG), 0x401cc040u);
  int bad = 0;
  for (int i = 0; i < 8; i++) {
    u32 v = 0x01020304u * (u32)(i + 1);
    switch (i) {
    case 0: mtspr(272, v); bad += mfspr(272) != v; break;
    case 1: mtspr(273, v); bad += mfspr(273) != v; break;
    case 2: mtspr(274, v); bad += mfspr(274) != v; break;
    case 3: mtspr(275, v); bad += mfspr(275) != v || mfspr(259) != v; break;
    case 4: mtspr(276, v); bad += mfspr(276) != v || mfspr(260) != v; break;
    case 5: mtspr(277, v); bad += mfspr(277) != v || mfspr(261) != v; break;
    case 6: mtspr(278, v); bad += mfspr(278) != v || mfspr(262) != v; break;
    case 7: mtspr(279, v); bad += mfspr(279) != v || mfspr(263) != v; break;
    }
  }
  report("SPRG0-7 read/write; SPRG3-7 user views read the same", !bad);
  u32 ivpr = mfspr(SPR_IVPR), ivor6 = mfspr(SPR_IVOR(6));
  mtspr(SPR_SRR0, 0x12345678u);
  mtspr(SPR_CSRR1, 0x9abcdef0u);
  report("SRR0 and CSRR1 read back", mfspr(SPR_SRR0) == 0x12345678u && mfspr(SPR_CSRR1) == 0x9abcdef0u);
  report("IVPR and IVOR6 hold the runtime's vectors", (ivpr & 0xffff0000u) == 0x00100000u && (ivor6 & 0xfff0u) != 0);
  mtspr(SPR_PID, 0x5a);
  report_eq("PID read/write", mfspr(SPR_PID), 0x5a);
  mtspr(SPR_PID, 0);
  u32 mmucfg = mfspr(SPR_MMUCFG);
  /* NTLBS (bits 2:3 LSB-0) = 1: two TLBs; PIDSIZE (bits 6:10) = 7: 8-bit PIDs; MAVN (0:1) = 0. */
  report_arch("MMUCFG: two TLBs, 8-bit PIDs, MMU architecture 1.0",
              ((mmucfg >> 2) & 3) == 1 && ((mmucfg >> 6) & 0x1f) == 7 && (mmucfg & 3) == 0, mmucfg == 0, "mmucfg-zero");
  return 0;
}
