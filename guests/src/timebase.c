/*
 * Time base: mftb (TBL 268, TBU 269) and mfspr of the same registers agree
 * and are readable in user mode; the 64-bit time base never goes backwards
 * and advances while code runs; supervisor writes through TBL/TBU (284,
 * 285) set it, and TBL carries into TBU.
 */
#include "runtime.h"

static u32 u_mftb(u32 x) {
  u32 lo, hi, lo2;
  __asm__ __volatile__("mftbu %0\n mftb %1\n mfspr %2,268" : "=r"(hi), "=r"(lo), "=r"(lo2));
  (void)hi;
  return x + (lo2 - lo < 0x1000000u); /* both reads of TBL close together */
}

static u64 tb_mftb(void) {
  u32 hi, lo, hi2;
  do {
    __asm__ __volatile__("mftbu %0\n mftb %1\n mftbu %2" : "=r"(hi), "=r"(lo), "=r"(hi2));
  } while (hi != hi2);
  return (u64)hi << 32 | lo;
}

int main(void) {
  u64 first = rt_tb(), prev = first;
  int backwards = 0;
  for (int i = 0; i < 20000; i++) {
    u64 t = (i & 1) ? rt_tb() : tb_mftb();
    if (t < prev) backwards++;
    prev = t;
  }
  report("time base never goes backwards (20000 reads, mftb and mfspr)", !backwards);
  report("time base advances while code runs", prev > first);

  report("mftb, mftbu and mfspr TBL work in user mode", rt_user_call(u_mftb, 0, RT_USER) == 1);

  /* Writes: TBL = 0 first, so no carry happens between the two writes. */
  mtspr(SPR_TBWL, 0);
  mtspr(SPR_TBWU, 0x12345);
  mtspr(SPR_TBWL, 0x100);
  u64 t = rt_tb();
  report("mtspr TBU/TBL set the time base", (t >> 32) == 0x12345 && (u32)t >= 0x100 && (u32)t < 0x10000000u);
  mtspr(SPR_TBWL, 0);
  mtspr(SPR_TBWU, 7);
  mtspr(SPR_TBWL, 0xffffff00u);
  u64 end = 0;
  while (end++ < 10000000 && (rt_tb() >> 32) == 7)
    ;
  t = rt_tb();
  report("TBL carries into TBU", (t >> 32) == 8 && (u32)t < 0x10000000u);
  return 0;
}
