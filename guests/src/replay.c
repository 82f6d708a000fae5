/*
 * Deterministic execution (tkvm -icount, QEMU -icount): a workload whose
 * output depends on exactly when interrupts land. The decrementer
 * (auto-reload) and MPIC global timer 0 interrupt a computing loop that
 * also waits for interrupts now and then; every event prints the time base
 * and the loop's progress. With time derived from the instruction count,
 * two runs print the same bytes, and so does a run restored from a snapshot
 * taken anywhere in it (test/replay.test.ts). On host time the lines differ
 * from run to run; the checks below hold either way.
 */
#include "runtime.h"

#define MPIC(o) (*(volatile u32 *)(CCSR_VA + 0x40000u + (o)))
#define GCR 0x1020u
#define GTBCR0 0x1110u
#define GTVPR0 0x1120u
#define GTDR0 0x1130u
#define CTPR0 0x20080u
#define IACK0 0x200a0u
#define EOI0 0x200b0u
#define TIMER_VECTOR 0x77u
#define TICKS 40

static volatile u32 n_dec, n_mpic, work, spurious;
static volatile u32 shared;

static u32 tbl(void) { return mfspr(SPR_TBL); }

static void dec_handler(struct rt_frame *f) {
  (void)f;
  n_dec++;
  mtspr(SPR_TSR, TSR_DIS);
  if ((n_dec & 3) == 0) printf("dec %u tb %x work %u\n", n_dec, tbl(), work);
}

static void ext_handler(struct rt_frame *f) {
  (void)f;
  u32 v = MPIC(IACK0);
  if (v == TIMER_VECTOR) {
    n_mpic++;
    printf("mpic %u tb %x work %u dec %u\n", n_mpic, tbl(), work, n_dec);
  } else {
    spurious++;
  }
  MPIC(EOI0) = 0;
}

/* An atomic increment: lwarx/stwcx. (an interrupt between them makes the store fail once). */
static void atomic_inc(volatile u32 *p) {
  u32 t;
  __asm__ __volatile__("1: lwarx %0,0,%1\n addi %0,%0,1\n stwcx. %0,0,%1\n bne- 1b" : "=&r"(t) : "r"(p) : "cr0", "memory");
}

int main(void) {
  rt_set_handler(IVOR_DECREMENTER, dec_handler);
  rt_set_handler(IVOR_EXTERNAL, ext_handler);
  MPIC(GCR) = 0x20000000u; /* mixed mode */
  MPIC(GTVPR0) = (5u << 16) | TIMER_VECTOR;
  MPIC(GTDR0) = 1;
  MPIC(CTPR0) = 0;
  MPIC(GTBCR0) = 2500; /* 100 us at 25 MHz */
  mtspr(SPR_DECAR, 13000);
  mtspr(SPR_DEC, 13000);
  mtspr(SPR_TCR, TCR_DIE | TCR_ARE);
  mtmsr(mfmsr() | MSR_EE);

  u32 x = 12345;
  while (n_mpic < TICKS) {
    for (int k = 0; k < 200; k++) x = x * 1103515245u + 12345u;
    work++;
    atomic_inc(&shared);
    if ((x >> 28) == 3) __asm__ __volatile__("wait" ::: "memory"); /* until the next interrupt */
  }

  mtmsr(mfmsr() & ~MSR_EE);
  MPIC(GTBCR0) = 0x80000000u;
  mtspr(SPR_TCR, 0);
  printf("done: work %u shared %u dec %u mpic %u x %x\n", work, shared, n_dec, n_mpic, x);
  report("MPIC timer ticks", n_mpic >= TICKS);
  report("decrementer ticks", n_dec > 0);
  report("atomic counter", shared == work);
  report_eq("spurious vectors", spurious, 0);
  return 0;
}
