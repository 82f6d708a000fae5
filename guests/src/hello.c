/*
 * The demo guest (npm start): greets, shows the machine, takes a system
 * call and a few decrementer interrupts, and reports like every test.
 */
#include "runtime.h"

static volatile int ticks;
static void tick(struct rt_frame *f) {
  (void)f;
  ticks++;
  mtspr(SPR_TSR, TSR_DIS);
}

static void syscall(struct rt_frame *f) { f->gpr[3] = f->gpr[3] * 2; }

int main(void) {
  printf("Hello from an e500mc guest on the ppce500 machine!\n");
  printf("PVR 0x%08x, TLB0CFG 0x%08x, TLB1CFG 0x%08x, MSR 0x%08x\n", mfspr(SPR_PVR), mfspr(SPR_TLB0CFG),
         mfspr(SPR_TLB1CFG), mfmsr());
  report_eq("PVR is e500mc", mfspr(SPR_PVR), 0x80230020);

  rt_set_handler(IVOR_SYSCALL, syscall);
  register u32 r3 __asm__("r3") = 21;
  __asm__ __volatile__("sc" : "+r"(r3) : : "r0", "memory");
  printf("A system call doubled 21: %u\n", r3);
  report_eq("system call", r3, 42);

  rt_set_handler(IVOR_DECREMENTER, tick);
  mtspr(SPR_DECAR, RT_TB_HZ / 1000);
  mtspr(SPR_TCR, TCR_DIE | TCR_ARE);
  mtspr(SPR_DEC, RT_TB_HZ / 1000);
  u64 t0 = rt_tb();
  mtmsr(mfmsr() | MSR_EE);
  while (ticks < 10 && rt_tb() - t0 < RT_TB_HZ)
    ;
  mtmsr(mfmsr() & ~MSR_EE);
  mtspr(SPR_TCR, 0);
  printf("%d decrementer interrupts from a 1 ms auto-reloading decrementer\n", ticks);
  report("decrementer interrupts", ticks >= 10);
  return 0;
}
