// Book E timer facilities of the e500mc: time base, decrementer (with DECAR
// auto-reload), fixed-interval timer and watchdog, driven by a Clock.
//
// Nothing ticks: the decrementer is kept as the time at which it reaches 0,
// FIT and watchdog events are counted as 0->1 transitions of the selected
// time-base bit between two updates. The core calls update() between slices
// and before any timer register is read.

import type { Clock } from './clock.js';
import type { Cpu } from './cpu.js';
import { SPR } from './spr.js';
import { TCR, TSR } from './regbits.js';

export class Timers {
  /** TB = clock ticks + tbOffset. */
  tbOffset = 0;
  decExpiry = 0;
  decRunning = false;
  /** DEC value while stopped. */
  decStopped = 0;
  /** Time base at the last update (for FIT and watchdog transitions). */
  lastTb = 0;
  /** Set when the watchdog's final time-out requests a reset (cleared by the API). */
  watchdogExpired = false;

  constructor(private readonly c: Cpu, public clock: Clock) {}

  reset(): void {
    this.tbOffset = -this.clock.now(this.c.icount);
    this.decRunning = false;
    this.decStopped = 0;
    this.decExpiry = 0;
    this.lastTb = 0;
    this.watchdogExpired = false;
  }

  now(): number {
    return this.clock.now(this.c.icount);
  }

  tb(): number {
    return this.now() + this.tbOffset;
  }

  /**
   * The time base as an instruction reads it: brought up to date first
   * (update), at the same clock reading (one read of the host clock, not
   * two; U-Boot polls the time base tens of thousands of times).
   */
  readTb(): number {
    return this.update() + this.tbOffset;
  }

  setTb(value: number): void {
    this.update();
    this.tbOffset = value - this.now();
    this.lastTb = value;
  }

  writeTbl(v: number): void {
    const tb = this.tb();
    this.setTb(Math.floor(tb / 0x100000000) * 0x100000000 + (v >>> 0));
  }

  writeTbu(v: number): void {
    const tb = this.tb();
    this.setTb((v >>> 0) * 0x100000000 + (tb % 0x100000000));
  }

  readDec(): number {
    const now = this.update();
    if (!this.decRunning) return this.decStopped | 0;
    return Math.max(0, this.decExpiry - now) | 0;
  }

  writeDec(v: number): void {
    this.update();
    const u = v >>> 0;
    if (u === 0) {
      this.decRunning = false;
      this.decStopped = 0;
    } else {
      this.decRunning = true;
      this.decExpiry = this.now() + u;
    }
    this.c.sliceEnd = 0;
  }

  /**
   * TCR[WRC]: each bit, once software has set it, stays set until reset
   * (Book E), so errant code cannot disable the watchdog reset.
   */
  writeTcr(v: number): void {
    const wrc = 3 << TCR.WRC_SHIFT;
    this.setTcr((v & ~wrc) | ((this.c.spr[SPR.TCR] | v) & wrc));
  }

  /**
   * Set TCR as it is, WRC included: the hypervisor restoring a vCPU's state
   * (KVM_SET_SREGS, ONE_REG), where a guest's mtspr keeps WRC bits once set.
   */
  setTcr(v: number): void {
    this.update();
    this.c.spr[SPR.TCR] = v;
    this.c.sliceEnd = 0;
  }

  /** TSR is write-one-to-clear. */
  writeTsr(v: number): void {
    this.update();
    this.c.spr[SPR.TSR] &= ~v;
  }

  /**
   * Bring TSR and DEC up to the present; returns the current clock time.
   * A newly raised timer status ends the slice, so an enabled interrupt is
   * taken before the next instruction: a guest that has seen the time base
   * pass an event (mftb, DEC, TSR reads call this) never runs on without it.
   */
  update(): number {
    const now = this.now();
    const spr = this.c.spr;
    const tsrBefore = spr[SPR.TSR];
    if (this.decRunning && now >= this.decExpiry) {
      spr[SPR.TSR] |= TSR.DIS;
      const decar = spr[SPR.DECAR] >>> 0;
      if ((spr[SPR.TCR] & TCR.ARE) !== 0 && decar !== 0) {
        const periods = Math.floor((now - this.decExpiry) / decar) + 1;
        this.decExpiry += periods * decar;
      } else {
        this.decRunning = false;
        this.decStopped = 0;
      }
    }
    const tb = now + this.tbOffset;
    const last = this.lastTb;
    if (tb > last) {
      const tcr = spr[SPR.TCR];
      if (transitions(last, tb, fitBit(tcr)) > 0) spr[SPR.TSR] |= TSR.FIS;
      let n = transitions(last, tb, wdtBit(tcr));
      while (n-- > 0) this.watchdogEvent();
      this.lastTb = tb;
    }
    if (spr[SPR.TSR] !== tsrBefore) this.c.sliceEnd = 0;
    return now;
  }

  private watchdogEvent(): void {
    const spr = this.c.spr;
    const tsr = spr[SPR.TSR];
    if ((tsr & TSR.ENW) === 0) {
      spr[SPR.TSR] = tsr | TSR.ENW;
    } else if ((tsr & TSR.WIS) === 0) {
      spr[SPR.TSR] = tsr | TSR.WIS;
    } else {
      const wrc = (spr[SPR.TCR] >>> TCR.WRC_SHIFT) & 3;
      if (wrc !== 0 && !this.watchdogExpired) {
        spr[SPR.TSR] = (tsr & ~(3 << TSR.WRS_SHIFT)) | (wrc << TSR.WRS_SHIFT);
        this.watchdogExpired = true;
      }
    }
  }

  /** The clock time of the next event that can raise an interrupt, or Infinity. */
  nextEvent(): number {
    const spr = this.c.spr;
    const tcr = spr[SPR.TCR];
    let t = Infinity;
    if (this.decRunning) t = this.decExpiry;
    const tb = this.now() + this.tbOffset;
    if ((tcr & TCR.FIE) !== 0) t = Math.min(t, nextTransition(tb, fitBit(tcr)) - this.tbOffset);
    if ((tcr & TCR.WIE) !== 0 || ((tcr >>> TCR.WRC_SHIFT) & 3) !== 0) {
      t = Math.min(t, nextTransition(tb, wdtBit(tcr)) - this.tbOffset);
    }
    return t;
  }

  /** How many instructions may run before the next timer event (deterministic clocks only). */
  insnsUntilEvent(now: number): number {
    const clock = this.clock;
    if (!clock.deterministic) return Infinity;
    const t = this.nextEvent();
    if (t === Infinity) return Infinity;
    const ticksPerInsn = (clock as unknown as { ticksPerInsn: number }).ticksPerInsn;
    return Math.max(1, Math.ceil((t - now) / ticksPerInsn));
  }
}

/** The time-base bit (LSB-0) selected by TCR[FPEXT||FP]. */
function fitBit(tcr: number): number {
  return 63 - ((((tcr >>> TCR.FPEXT_SHIFT) & 0xf) << 2) | ((tcr >>> TCR.FP_SHIFT) & 3));
}

/** The time-base bit (LSB-0) selected by TCR[WPEXT||WP]. */
function wdtBit(tcr: number): number {
  return 63 - ((((tcr >>> TCR.WPEXT_SHIFT) & 0xf) << 2) | ((tcr >>> TCR.WP_SHIFT) & 3));
}

/** 2^k for the 64 time-base bits (Math.pow was a tenth of an MMIO exit round trip). */
const POW2 = Float64Array.from({ length: 65 }, (_, k) => 2 ** k);

/** Number of 0->1 transitions of bit k of the time base in (a, b]. */
function transitions(a: number, b: number, k: number): number {
  const half = POW2[k], period = POW2[k + 1];
  return Math.floor((b - half) / period) - Math.floor((a - half) / period);
}

/** The first time-base value after tb at which bit k goes 0->1. */
function nextTransition(tb: number, k: number): number {
  const half = POW2[k], period = POW2[k + 1];
  return (Math.floor((tb - half) / period) + 1) * period + half;
}
