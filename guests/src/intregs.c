/*
 * ESR and DEAR across interrupts: every synchronous interrupt kind of the
 * e500mc, each taken after every other, so that state left behind by one
 * interrupt (kind A) shows up if the next one (kind B) fails to replace it.
 *
 * The architecture (e500 core RM 2.7.1.6 and 5.7, Book E):
 *  - ESR: an interrupt with a syndrome (DSI, ISI, alignment, program, data
 *    TLB error) sets the bits of its exception and clears all others; the
 *    other interrupt types (FP unavailable, system call, instruction TLB
 *    error, debug, ...) do not affect ESR;
 *  - DEAR: written by the data-side interrupts only (DSI, alignment, data
 *    TLB error), with the EA of a byte within the access (of the cache
 *    block for cache instructions); every other interrupt leaves it alone.
 * ESR[ST] marks a store, ESR[FP] a floating-point load or store (Book E,
 * Power ISA III-E: DSI, alignment and data TLB error syndromes).
 *
 * For each B the guest reports three lines over all A: B was taken, ESR
 * after B, DEAR after B. The value expected after B is B's own (if B sets
 * the register) or the one the register held after A (read just before B).
 *
 * Known QEMU 7.2 departures (tags allowlisted in test/guests.test.ts):
 *  - alignment-esr: QEMU's alignment interrupt for a misaligned lwarx
 *    leaves ESR as it was (it sets DEAR only);
 *  - itlb-esr-dear: QEMU clears ESR and writes the fetch address to DEAR
 *    on an instruction TLB error (not on the ISI here);
 *  - fp-access-esr: QEMU never sets ESR[FP] for floating-point loads and
 *    stores;
 *  - debug-trap-event: QEMU has no trap debug event (see k_debug);
 *  - interrupts QEMU does not take at all (stwcx-misaligned,
 *    lmw-stmw-misaligned, dcbz-cache-inhibited, cache-locking, le-pages):
 *    as in alignment.c, cache.c and tlbops.c.
 */
#include "runtime.h"

#define PA_PAGES 0x00800000u  /* RAM behind the test pages (8 MiB, past the program) */
#define VA_NOREAD 0x30000000u /* SW only: loads take a DSI */
#define VA_RDONLY 0x30001000u /* SR only: stores take a DSI */
#define VA_NOEXEC 0x30002000u /* SR|SW, no SX: fetches take an ISI */
#define VA_NOTLB 0x30003000u  /* never mapped: fetches and data take TLB errors */
#define VA_BE 0x30005000u     /* a big-endian page followed by ... */
#define VA_LE 0x30006000u     /* ... a little-endian one: a word across takes a byte-ordering DSI */
#define VA_CI 0x30007000u     /* cache-inhibited: dcbz takes an alignment interrupt */
#define MSR_FE0 0x00000800u
#define MSR_FE1 0x00000100u
#define DBCR0_IDM 0x40000000u
#define DBCR0_TRAP 0x01000000u
#define KEEP (-1LL)

static u8 buf[256] __attribute__((aligned(64)));
static const u64 fpk[2] = {0x3ff0000000000000ull, 0}; /* 1.0, +0.0 */

/* ---- one interrupt of each kind: what it left in ESR and DEAR, as its handler saw them ---- */

struct got { int taken, ivor; u32 esr, dear; };

/* The runtime's record of the expected interrupt (armed with RT_ANY). */
static struct got caught(void) {
  volatile struct rt_caught *c = rt_expect_cancel();
  struct got g = {c->taken, c->ivor, c->esr, c->dear};
  return g;
}

#define DATA(nm, insn, ea, ...)                                                  \
  static struct got nm(void) {                                                  \
    rt_expect(RT_ANY, RT_SKIP);                                                 \
    __asm__ __volatile__(insn : : "b"(ea) : __VA_ARGS__, "memory");             \
    return caught();                                                            \
  }
DATA(k_dsi_load, "lwz 3,0(%0)", VA_NOREAD + 0x104, "r3")
DATA(k_dsi_store, "stw 3,0(%0)", VA_RDONLY + 0x208, "r3")
DATA(k_dsi_bo, "lwz 3,0(%0)", VA_BE + 0xffe, "r3")
DATA(k_dtlb_load, "lwz 3,0(%0)", VA_NOTLB + 0x10c, "r3")
DATA(k_dtlb_store, "stw 3,0(%0)", VA_NOTLB + 0x410, "r3")
DATA(k_align_lwarx, "lwarx 3,0,%0", (u32)(uptr)buf + 0x21, "r3")
DATA(k_align_stwcx, "stwcx. 3,0,%0", (u32)(uptr)buf + 0x42, "cr0")
DATA(k_align_lmw, "lmw 30,0(%0)", (u32)(uptr)buf + 0x83, "r30", "r31")
DATA(k_align_dcbz, "dcbz 0,%0", VA_CI + 0x84, "r0")
/* (The address operand of these two is unused.) */
DATA(k_prog_illegal, ".long 0", 0, "r0")
DATA(k_prog_trap, "tw 31,0,0", 0, "r0")

/* Floating-point loads and stores need MSR[FP] = 1. */
#define FPMEM(nm, insn, ea)                                                      \
  static struct got nm(void) {                                                  \
    u32 msr = mfmsr();                                                          \
    mtmsr(msr | MSR_FP);                                                        \
    rt_expect(RT_ANY, RT_SKIP);                                                 \
    __asm__ __volatile__(insn : : "b"(ea) : "fr1", "memory");                   \
    mtmsr(msr);                                                                 \
    return caught();                                                            \
  }
FPMEM(k_dsi_fp_load, "lfd 1,0(%0)", VA_NOREAD + 0x318)
FPMEM(k_dsi_fp_store, "stfd 1,0(%0)", VA_RDONLY + 0x520)
FPMEM(k_dtlb_fp_load, "lfd 1,0(%0)", VA_NOTLB + 0x628)

/* A branch to a page that cannot be fetched; the runtime returns to LR. */
#define FETCH(nm, va)                                                            \
  static struct got nm(void) {                                                  \
    rt_expect(RT_ANY, RT_RETURN_LR);                                            \
    __asm__ __volatile__("mtctr %0\n bctrl" : : "r"(va) : "ctr", "lr", "memory"); \
    return caught();                                                            \
  }
FETCH(k_isi, VA_NOEXEC + 0x30)
FETCH(k_itlb, VA_NOTLB + 0x40)

static u32 u_mfmsr(u32 a) {
  rt_expect(RT_ANY, RT_SKIP);
  __asm__ __volatile__("mfmsr 3" : : : "r3", "memory");
  return a;
}
static struct got k_prog_priv(void) {
  rt_user_call(u_mfmsr, 0, RT_USER);
  return caught();
}

/* dcbtls in user mode with MSR[UCLE] = 0: a cache-locking DSI (ESR[DLK]). */
static u32 u_dcbtls(u32 ea) {
  rt_expect(RT_ANY, RT_SKIP);
  __asm__ __volatile__("dcbtls 0,0,%0" : : "r"(ea) : "memory");
  return 0;
}
static struct got k_dsi_lock(void) {
  rt_user_call(u_dcbtls, (u32)(uptr)buf + 0xc4, RT_USER);
  return caught();
}

/* 1/0 with FPSCR[ZE] = 1 and MSR[FE0,FE1] = 1,1: a precise FP-enabled program interrupt. */
static struct got k_prog_fp(void) {
  u32 msr = mfmsr();
  mtmsr(msr | MSR_FP);
  __asm__ __volatile__("lfd 1,0(%0)\n lfd 2,8(%0)\n mtfsf 0xff,2\n mtfsb1 27" : : "b"(fpk) : "fr1", "fr2", "memory");
  mtmsr(msr | MSR_FP | MSR_FE0 | MSR_FE1);
  rt_expect(RT_ANY, RT_SKIP);
  __asm__ __volatile__("fdiv 3,1,2" : : : "fr3");
  /* Clear FPSCR with exceptions disabled, so nothing is left pending. */
  mtmsr(msr | MSR_FP);
  __asm__ __volatile__("mtfsf 0xff,2" : : : "memory");
  mtmsr(msr);
  return caught();
}

static struct got k_fp_unavail(void) {
  mtmsr(mfmsr() & ~MSR_FP);
  rt_expect(RT_ANY, RT_SKIP);
  __asm__ __volatile__("fmr 1,1" : : : "fr1");
  return caught();
}

static struct got k_syscall(void) {
  rt_expect(RT_ANY, RT_RETRY); /* SRR0 is already the next instruction */
  __asm__ __volatile__("li 0,0\n sc" : : : "r0", "memory");
  return caught();
}

/*
 * Debug: a trap with DBCR0[IDM,TRAP] and MSR[DE] takes the Debug interrupt
 * (critical class here, CSRR0 = the trap) instead of a program interrupt.
 * Its handler skips the trap and ends the events (DBCR0 = 0, DBSR cleared,
 * MSR[DE] = 0 in CSRR1). QEMU 7.2 has no trap debug event and takes the
 * program interrupt (debug-trap-event); its instruction-complete and
 * branch-taken events stop QEMU under -icount ("Raised interrupt while not
 * in I/O function"), so they cannot be used here.
 */
static volatile struct got dbg;
static void debug_handler(struct rt_frame *f) {
  mtspr(SPR_DBCR0, 0);
  mtspr(SPR_DBSR, mfspr(SPR_DBSR)); /* write-one-to-clear */
  f->srr0 += 4;
  f->srr1 &= ~MSR_DE;
  dbg.taken++;
  dbg.ivor = (int)f->ivor;
  dbg.esr = f->esr;
  dbg.dear = f->dear;
}
static struct got k_debug(void) {
  u32 msr = mfmsr();
  dbg.taken = 0;
  mtspr(SPR_DBCR0, DBCR0_IDM | DBCR0_TRAP);
  mtmsr(msr | MSR_DE);
  rt_expect(RT_ANY, RT_SKIP); /* QEMU's program interrupt */
  __asm__ __volatile__("tw 31,0,0" : : : "memory");
  mtmsr(msr);
  mtspr(SPR_DBCR0, 0);
  struct got g = caught();
  if (dbg.taken) {
    struct got d = {dbg.taken + g.taken, dbg.ivor, dbg.esr, dbg.dear};
    return d;
  }
  return g;
}

/* ---- the kinds: what the e500mc sets, and what QEMU 7.2 does instead ---- */

#define SAME (-2LL) /* QEMU: as the architecture */
struct qemu {
  const char *tag; /* its known divergence (test/guests.test.ts), or NULL: QEMU follows the e500mc */
  int ivor;        /* the interrupt QEMU takes (-1: none) */
  long long esr;   /* the ESR QEMU leaves: SAME, KEEP, or a value */
  u32 dear;        /* the DEAR QEMU sets, or 0: as the architecture */
};
struct kind {
  const char *name;
  struct got (*run)(void);
  int ivor;
  long long esr; /* the ESR it sets; KEEP: leaves ESR as it was */
  u32 ea, span;  /* DEAR within [ea, ea + span); span 0: leaves DEAR as it was */
  struct qemu q;
};

#define BUF(o) ((u32)(uptr)buf + (o))
#define ASARCH(ivor) {0, ivor, SAME, 0}
#define ABSENT(tag) {tag, -1, SAME, 0}
static const struct kind kinds[] = {
  {"DSI load", k_dsi_load, IVOR_DSI, 0, VA_NOREAD + 0x104, 4, ASARCH(IVOR_DSI)},
  {"DSI store", k_dsi_store, IVOR_DSI, ESR_ST, VA_RDONLY + 0x208, 4, ASARCH(IVOR_DSI)},
  {"DSI FP load", k_dsi_fp_load, IVOR_DSI, ESR_FP, VA_NOREAD + 0x318, 8, {"fp-access-esr", IVOR_DSI, 0, 0}},
  {"DSI FP store", k_dsi_fp_store, IVOR_DSI, ESR_FP | ESR_ST, VA_RDONLY + 0x520, 8,
   {"fp-access-esr", IVOR_DSI, ESR_ST, 0}},
  {"DSI byte order", k_dsi_bo, IVOR_DSI, ESR_BO, VA_BE + 0xffe, 4, ABSENT("le-pages")},
  {"DSI cache locking", k_dsi_lock, IVOR_DSI, ESR_DLK, BUF(0xc0), 64, ABSENT("cache-locking")},
  {"ISI", k_isi, IVOR_ISI, 0, 0, 0, ASARCH(IVOR_ISI)},
  {"ITLB", k_itlb, IVOR_ITLB, KEEP, 0, 0, {"itlb-esr-dear", IVOR_ITLB, 0, VA_NOTLB + 0x40}},
  {"DTLB load", k_dtlb_load, IVOR_DTLB, 0, VA_NOTLB + 0x10c, 4, ASARCH(IVOR_DTLB)},
  {"DTLB store", k_dtlb_store, IVOR_DTLB, ESR_ST, VA_NOTLB + 0x410, 4, ASARCH(IVOR_DTLB)},
  {"DTLB FP load", k_dtlb_fp_load, IVOR_DTLB, ESR_FP, VA_NOTLB + 0x628, 8, {"fp-access-esr", IVOR_DTLB, 0, 0}},
  {"alignment lwarx", k_align_lwarx, IVOR_ALIGNMENT, 0, BUF(0x21), 4, {"alignment-esr", IVOR_ALIGNMENT, KEEP, 0}},
  {"alignment stwcx.", k_align_stwcx, IVOR_ALIGNMENT, ESR_ST, BUF(0x42), 4, ABSENT("stwcx-misaligned")},
  {"alignment lmw", k_align_lmw, IVOR_ALIGNMENT, 0, BUF(0x83), 8, ABSENT("lmw-stmw-misaligned")},
  {"alignment dcbz", k_align_dcbz, IVOR_ALIGNMENT, ESR_ST, VA_CI + 0x80, 64, ABSENT("dcbz-cache-inhibited")},
  {"program illegal", k_prog_illegal, IVOR_PROGRAM, ESR_PIL, 0, 0, ASARCH(IVOR_PROGRAM)},
  {"program privileged", k_prog_priv, IVOR_PROGRAM, ESR_PPR, 0, 0, ASARCH(IVOR_PROGRAM)},
  {"program trap", k_prog_trap, IVOR_PROGRAM, ESR_PTR, 0, 0, ASARCH(IVOR_PROGRAM)},
  {"program FP enabled", k_prog_fp, IVOR_PROGRAM, ESR_FP, 0, 0, ASARCH(IVOR_PROGRAM)},
  {"FP unavailable", k_fp_unavail, IVOR_FP_UNAVAIL, KEEP, 0, 0, ASARCH(IVOR_FP_UNAVAIL)},
  {"system call", k_syscall, IVOR_SYSCALL, KEEP, 0, 0, ASARCH(IVOR_SYSCALL)},
  {"debug (trap event)", k_debug, IVOR_DEBUG, KEEP, 0, 0, {"debug-trap-event", IVOR_PROGRAM, SAME, 0}},
};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

/* ---- the pairs ---- */

struct seen { struct got b; u32 prev_esr, prev_dear; };

/* A, then B: what B's handler saw, and ESR and DEAR as A left them (read just before B). */
static struct seen take_after(const struct kind *a, const struct kind *b) {
  struct seen s;
  a->run();
  s.prev_esr = mfspr(SPR_ESR);
  s.prev_dear = mfspr(SPR_DEAR);
  s.b = b->run();
  return s;
}

static u32 esr_after(long long esr, u32 prev) { return esr == KEEP ? prev : (u32)esr; }

/* One line: arch_ok for every pair, or QEMU's documented departure (q_ok) where it has one. */
static void verdict(const char *name, int arch_ok, int q_ok, const char *tag) {
  if (tag) report_arch(name, arch_ok, q_ok, tag);
  else report(name, arch_ok);
}

static void check_kind(const struct kind *b) {
  const struct qemu *q = &b->q;
  int taken_all = 1, q_taken_all = 1, esr_ok = 1, q_esr_ok = 1, dear_ok = 1, q_dear_ok = 1, shown = 0;
  for (int i = 0; i < NKINDS; i++) {
    struct seen s = take_after(&kinds[i], b);
    int taken = s.b.taken == 1 && s.b.ivor == b->ivor;
    taken_all &= taken;
    q_taken_all &= q->ivor < 0 ? !s.b.taken : s.b.taken == 1 && s.b.ivor == q->ivor;
    if (!taken) continue;
    u32 want = esr_after(b->esr, s.prev_esr);
    int e = s.b.esr == want;
    int qe = e || (q->esr != SAME && s.b.esr == esr_after(q->esr, s.prev_esr));
    int d = b->span ? s.b.dear - b->ea < b->span : s.b.dear == s.prev_dear;
    int qd = d || (q->dear && s.b.dear == q->dear);
    if ((!qe || !qd) && shown++ < 4)
      printf("  after %s: ESR 0x%08x (want 0x%08x), DEAR 0x%08x (before 0x%08x)\n", kinds[i].name, s.b.esr, want,
             s.b.dear, s.prev_dear);
    esr_ok &= e;
    q_esr_ok &= qe;
    dear_ok &= d;
    q_dear_ok &= qd;
  }
  char name[120];
  snprintf(name, sizeof name, "%s after every kind: taken", b->name);
  verdict(name, taken_all, q_taken_all, q->ivor != b->ivor ? q->tag : 0);
  if (!taken_all) return;
  snprintf(name, sizeof name, "%s after every kind: ESR %s", b->name, b->esr == KEEP ? "unchanged" : "= its own bits");
  verdict(name, esr_ok, q_esr_ok, q->esr != SAME ? q->tag : 0);
  snprintf(name, sizeof name, "%s after every kind: DEAR %s", b->name, b->span ? "= its EA" : "unchanged");
  verdict(name, dear_ok, q_dear_ok, q->dear ? q->tag : 0);
}

int main(void) {
  rt_set_handler(IVOR_DEBUG, debug_handler);
  rt_map_tlb1(RT_TLB1_FREE + 0, VA_NOREAD, PA_PAGES + 0x0000, TSIZE_4K, 0, 0, MAS3_SW, 0);
  rt_map_tlb1(RT_TLB1_FREE + 1, VA_RDONLY, PA_PAGES + 0x1000, TSIZE_4K, 0, 0, MAS3_SR, 0);
  rt_map_tlb1(RT_TLB1_FREE + 2, VA_NOEXEC, PA_PAGES + 0x2000, TSIZE_4K, 0, 0, MAS3_SR | MAS3_SW, 0);
  rt_map_tlb1(RT_TLB1_FREE + 3, VA_BE, PA_PAGES + 0x5000, TSIZE_4K, 0, 0, MAS3_SR | MAS3_SW, 0);
  rt_map_tlb1(RT_TLB1_FREE + 4, VA_LE, PA_PAGES + 0x6000, TSIZE_4K, 0, 0, MAS3_SR | MAS3_SW, MAS2_E);
  rt_map_tlb1(RT_TLB1_FREE + 5, VA_CI, PA_PAGES + 0x7000, TSIZE_4K, 0, 0, MAS3_SR | MAS3_SW, MAS2_I | MAS2_G);
  for (int i = 0; i < NKINDS; i++) check_kind(&kinds[i]);
  for (int e = 0; e < 6; e++) rt_unmap_tlb1(RT_TLB1_FREE + e);
  return 0;
}
