/*
 * Book E timers of the e500mc: decrementer (one-shot, auto-reload from
 * DECAR with TCR[ARE], stops at 0 without it, TSR[DIS] write-one-to-clear,
 * masked by TCR[DIE] and MSR[EE]), fixed-interval timer (TSR[FIS], TCR[FIE],
 * period from TCR[FP,FPEXT]) and watchdog (first time-out sets TSR[ENW],
 * the second TSR[WIS] and, with TCR[WIE] and MSR[CE], a critical-class
 * watchdog interrupt through CSRR0/CSRR1; TCR[WRC] = 0: no reset; set WRC
 * bits stay set), and the wait instruction ending on an interrupt.
 *
 * Timing is wall-clock on both tkvm and QEMU: checks wait for events with
 * generous time-outs and never depend on exact counts.
 *
 * Known QEMU 7.2 departures (allowlisted in test/guests.test.ts):
 *  - dec-read: mfspr DEC reads 0 while the decrementer is counting and
 *    negative values once it has passed 0 (the e500mc stops at 0 when
 *    TCR[ARE] = 0); the decrementer interrupts themselves work;
 *  - dec-zero-write: QEMU sets TSR[DIS] when software writes DEC = 0 (on the
 *    e500 only the decrement from 1 to 0 is a decrementer event);
 *  - tcr-wrc: QEMU lets software clear TCR[WRC] bits (Book E: once set by
 *    software, a WRC bit stays set until reset);
 *  - fit-watchdog-inert: on ppce500 QEMU never sets TSR[FIS], TSR[ENW] or
 *    TSR[WIS], whatever TCR[FP,FPEXT] and TCR[WP,WPEXT] select, so neither
 *    timer interrupts; each FIT/watchdog check that sees exactly that
 *    (nothing happened) reports the divergence.
 */
#include "runtime.h"

#define MS (RT_TB_HZ / 1000)

static volatile int n_dec, n_fit, n_wd;
static volatile u32 dec_tsr, dec_srr0, dec_srr1, fit_tsr, wd_tsr, wd_srr1, wd_msr;

static void dec_handler(struct rt_frame *f) {
  n_dec++;
  dec_tsr = mfspr(SPR_TSR);
  dec_srr0 = f->srr0;
  dec_srr1 = f->srr1;
  mtspr(SPR_TSR, TSR_DIS);
}

static void fit_handler(struct rt_frame *f) {
  (void)f;
  n_fit++;
  fit_tsr = mfspr(SPR_TSR);
  mtspr(SPR_TSR, TSR_FIS);
}

static void wd_handler(struct rt_frame *f) {
  n_wd++;
  wd_tsr = mfspr(SPR_TSR);
  wd_srr1 = f->srr1; /* CSRR1 */
  wd_msr = mfmsr();
  mtspr(SPR_TSR, TSR_WIS | TSR_ENW);
}

/* Spin until *count >= n or `ms` milliseconds pass; returns whether reached. */
static int wait_count(volatile int *count, int n, u32 ms) {
  u64 end = rt_tb() + (u64)ms * MS;
  while (*count < n)
    if (rt_tb() > end) return 0;
  return 1;
}

static void ee(int on) {
  if (on) __asm__ __volatile__("wrteei 1" : : : "memory");
  else __asm__ __volatile__("wrteei 0" : : : "memory");
}

static void decrementer(void) {
  rt_set_handler(IVOR_DECREMENTER, dec_handler);
  mtspr(SPR_TCR, 0);
  mtspr(SPR_TSR, 0xffffffffu);

  /* One shot. */
  n_dec = 0;
  mtspr(SPR_TCR, TCR_DIE);
  mtspr(SPR_DEC, 40000); /* 100 us */
  ee(1);
  int got = wait_count(&n_dec, 1, 200);
  rt_delay_ticks(2 * MS); /* no reload: no second interrupt */
  ee(0);
  report("decrementer interrupt (TCR[DIE], MSR[EE])", got);
  report("decrementer: TSR[DIS] set at the interrupt", (dec_tsr & TSR_DIS) != 0);
  report("decrementer: SRR1 has MSR[EE]", (dec_srr1 & MSR_EE) != 0);
  report_eq("decrementer without TCR[ARE] fires once", n_dec, 1);
  u32 d = mfspr(SPR_DEC);
  report_arch("decrementer without TCR[ARE] stops at 0", d == 0, (s32)d < 0, "dec-read");

  /* Status without the enable: TSR[DIS] set, no interrupt until TCR[DIE]. */
  n_dec = 0;
  mtspr(SPR_TCR, 0);
  mtspr(SPR_TSR, TSR_DIS);
  mtspr(SPR_DEC, 4000);
  ee(1);
  rt_delay_ticks(MS);
  u32 tsr = mfspr(SPR_TSR);
  report("TSR[DIS] set without TCR[DIE], no interrupt", (tsr & TSR_DIS) && n_dec == 0);
  mtspr(SPR_TCR, TCR_DIE);
  got = wait_count(&n_dec, 1, 50);
  ee(0);
  report("setting TCR[DIE] with TSR[DIS] pending interrupts", got);
  mtspr(SPR_TSR, TSR_DIS);
  report("TSR is write-one-to-clear", (mfspr(SPR_TSR) & TSR_DIS) == 0);

  /* A pending decrementer interrupt is taken right after wrteei 1 enables it. */
  n_dec = 0;
  mtspr(SPR_TCR, TCR_DIE);
  mtspr(SPR_DEC, 400);
  rt_delay_ticks(MS / 10);
  u32 at;
  __asm__ __volatile__("bl 1f\n1: mflr %0\n addi %0,%0,12\n wrteei 1\n nop\n nop\n wrteei 0"
                       : "=&b"(at) : : "lr", "memory");
  report("wrteei 1 with a decrementer interrupt pending: taken before the next instruction",
         n_dec == 1 && dec_srr0 == at);

  /* Auto-reload from DECAR. */
  n_dec = 0;
  mtspr(SPR_DECAR, 40000);
  mtspr(SPR_TCR, TCR_DIE | TCR_ARE);
  mtspr(SPR_DEC, 40000);
  ee(1);
  got = wait_count(&n_dec, 5, 500);
  ee(0);
  reportf(got, "decrementer with TCR[ARE] reloads from DECAR (%d interrupts)", n_dec);
  d = mfspr(SPR_DEC);
  report_arch("reloaded DEC counts down from DECAR", d > 0 && d <= 40000, d == 0 || (s32)d < 0, "dec-read");
  mtspr(SPR_TCR, 0);
  mtspr(SPR_DEC, 0);
  mtspr(SPR_TSR, TSR_DIS);

  /* DEC counts at the time-base rate. The reads of TB and DEC are not
     simultaneous (and a busy host may pause the guest between them): within
     5%, in one of up to 5 tries. */
  int rate_ok = 0, dec_zero = 1;
  for (int k = 0; k < 5 && !rate_ok; k++) {
    mtspr(SPR_DEC, 0x7fffffff);
    u64 t0 = rt_tb();
    u32 d0 = mfspr(SPR_DEC);
    rt_delay_ticks(2 * MS);
    u32 d1 = mfspr(SPR_DEC);
    u64 t1 = rt_tb();
    u32 dtb = (u32)(t1 - t0), ddec = d0 - d1;
    rate_ok = ddec <= dtb && ddec > dtb - dtb / 20;
    dec_zero &= d0 == 0 && d1 == 0;
  }
  report_arch("DEC counts down at the time-base rate", rate_ok, dec_zero, "dec-read");
  mtspr(SPR_DEC, 0);
  mtspr(SPR_TSR, TSR_DIS);

  /* Writing 0 to DEC is no decrementer event (only the 1 -> 0 decrement is). */
  mtspr(SPR_TCR, 0);
  mtspr(SPR_TSR, TSR_DIS);
  mtspr(SPR_DEC, 0);
  rt_delay_ticks(MS / 10);
  u32 tsr0 = mfspr(SPR_TSR);
  report_arch("writing DEC = 0 does not set TSR[DIS]", (tsr0 & TSR_DIS) == 0, (tsr0 & TSR_DIS) != 0, "dec-zero-write");
  mtspr(SPR_TSR, TSR_DIS);

  /* wait ends on the interrupt. The decrementer reloads, so an interrupt
     that comes before the wait (a busy host) is followed by another. */
  n_dec = 0;
  mtspr(SPR_DECAR, 40000);
  mtspr(SPR_TCR, TCR_DIE | TCR_ARE);
  mtspr(SPR_DEC, 40000);
  __asm__ __volatile__("wrteei 1\n wait\n wrteei 0" : : : "memory");
  mtspr(SPR_TCR, 0);
  mtspr(SPR_DEC, 0);
  report("wait returns after a decrementer interrupt", n_dec >= 1);
  mtspr(SPR_TSR, TSR_DIS);
}

/* TCR FP/FPEXT (and WP/WPEXT) selecting time-base bit b (LSB-0 numbering). */
#define FIT_BIT(b) (TCR_FP((63 - (b)) & 3) | TCR_FPEXT((63 - (b)) >> 2))
#define WDT_BIT(b) (TCR_WP((63 - (b)) & 3) | TCR_WPEXT((63 - (b)) >> 2))

static void fit(void) {
  rt_set_handler(IVOR_FIT, fit_handler);
  mtspr(SPR_TSR, TSR_FIS);
  mtspr(SPR_TCR, FIT_BIT(14)); /* every 2^15 ticks = 82 us */
  u64 end = rt_tb() + 20 * MS;
  u32 tsr;
  ee(1);
  while (!((tsr = mfspr(SPR_TSR)) & TSR_FIS) && rt_tb() < end)
    ;
  rt_delay_ticks(MS / 10);
  ee(0);
  int inert = !(tsr & TSR_FIS) && n_fit == 0;
  report_arch("fixed-interval timer: TSR[FIS] set, no interrupt without TCR[FIE]", (tsr & TSR_FIS) && n_fit == 0,
              inert, "fit-watchdog-inert");
  mtspr(SPR_TCR, FIT_BIT(14) | TCR_FIE);
  ee(1);
  int got = wait_count(&n_fit, 4, inert ? 20 : 500);
  ee(0);
  report_arch("fixed-interval timer interrupts (TCR[FIE], MSR[EE])", got, inert && n_fit == 0, "fit-watchdog-inert");
  report_arch("fixed-interval timer: TSR[FIS] set at the interrupt", (fit_tsr & TSR_FIS) != 0, inert && n_fit == 0,
              "fit-watchdog-inert");
  mtspr(SPR_TCR, 0);
  mtspr(SPR_TSR, TSR_FIS);
}

static void watchdog(void) {
  rt_set_handler(IVOR_WATCHDOG, wd_handler);
  /* Time-out every 2^23 ticks (21 ms); no reset (TCR[WRC] = 0). */
  mtspr(SPR_TCR, WDT_BIT(22) | TCR_WIE);
  /* With MSR[CE] = 0 (no interrupt possible), the first time-out must set
     TSR[ENW] alone. A busy host may pause the guest across two time-outs:
     then both bits appear at once and the try is repeated. */
  u32 first = 0, tsr;
  for (int k = 0; k < 3 && first != TSR_ENW; k++) {
    mtspr(SPR_TSR, TSR_ENW | TSR_WIS);
    u64 end = rt_tb() + 200 * MS;
    while (!((tsr = mfspr(SPR_TSR)) & (TSR_ENW | TSR_WIS)) && rt_tb() < end)
      ;
    first = tsr & (TSR_ENW | TSR_WIS);
    if (!first) break; /* nothing at all: no point in retrying */
  }
  int inert = first == 0;
  report_arch("watchdog: the first time-out sets TSR[ENW] (not TSR[WIS])", first == TSR_ENW, inert, "fit-watchdog-inert");
  report("watchdog: no interrupt with MSR[CE] = 0", n_wd == 0);
  /* Enabling MSR[CE]: the second time-out sets TSR[WIS] and interrupts. */
  mtmsr(mfmsr() | MSR_CE);
  int got = wait_count(&n_wd, 1, inert ? 5 : 200);
  mtmsr(mfmsr() & ~MSR_CE);
  inert = inert && n_wd == 0;
  report_arch("watchdog: the second time-out sets TSR[WIS] and interrupts (TCR[WIE], MSR[CE])", got, inert,
              "fit-watchdog-inert");
  report_arch("watchdog: TSR[ENW] and TSR[WIS] at the interrupt",
              (wd_tsr & (TSR_ENW | TSR_WIS)) == (TSR_ENW | TSR_WIS), inert, "fit-watchdog-inert");
  report_arch("watchdog: critical class (CSRR1 has MSR[CE], MSR[CE] cleared)", (wd_srr1 & MSR_CE) && !(wd_msr & MSR_CE),
              inert, "fit-watchdog-inert");

  /* MSR[CE] = 0 masks it: TSR[WIS] stays pending until CE is set. */
  n_wd = 0;
  mtspr(SPR_TSR, TSR_ENW | TSR_WIS);
  u64 end = rt_tb() + (inert ? 5 : 200) * MS;
  while (!((tsr = mfspr(SPR_TSR)) & TSR_WIS) && rt_tb() < end)
    ;
  report_arch("watchdog: TSR[WIS] pending with MSR[CE] = 0, no interrupt", (tsr & TSR_WIS) && n_wd == 0,
              inert && !(tsr & TSR_WIS), "fit-watchdog-inert");
  mtspr(SPR_TCR, 0); /* stop further time-outs; the pending WIS needs TCR[WIE] */
  mtmsr(mfmsr() | MSR_CE);
  rt_delay_ticks(MS);
  report("watchdog: no interrupt with TCR[WIE] = 0", n_wd == 0);
  mtspr(SPR_TCR, TCR_WIE | WDT_BIT(40)); /* the next time-out is far away */
  got = wait_count(&n_wd, 1, inert ? 5 : 50);
  mtmsr(mfmsr() & ~MSR_CE);
  report_arch("watchdog: setting TCR[WIE] with TSR[WIS] pending interrupts", got, inert && n_wd == 0,
              "fit-watchdog-inert");
  mtspr(SPR_TCR, 0);
  mtspr(SPR_TSR, TSR_ENW | TSR_WIS);
}

/* TCR[WRC]: once software sets a bit of it, only a reset clears it (Book E). */
static void wrc_sticky(void) {
  /* The watchdog is set to time out on TB bit 62: never, for this program. */
  mtspr(SPR_TSR, TSR_ENW | TSR_WIS);
  mtspr(SPR_TCR, WDT_BIT(62) | TCR_WRC(1));
  u32 a = mfspr(SPR_TCR);
  mtspr(SPR_TCR, WDT_BIT(62));
  u32 b = mfspr(SPR_TCR);
  report("TCR[WRC] can be set", ((a >> 28) & 3) == 1);
  report_arch("TCR[WRC] cannot be cleared by software", ((b >> 28) & 3) == 1, ((b >> 28) & 3) == 0, "tcr-wrc");
}

int main(void) {
  decrementer();
  fit();
  watchdog();
  wrc_sticky(); /* last: WRC stays set until reset */
  return 0;
}
