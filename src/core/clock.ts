// The clock that drives the time base and the timers. The core asks it for
// the current time in time-base ticks, passing its retired-instruction count,
// so one interface serves both a wall-clock-backed clock and a deterministic
// instruction-count-backed one (QEMU's -icount).

export interface Clock {
  /** Time-base frequency in Hz. */
  readonly hz: number;
  /** True if time depends only on executed instructions (deterministic). */
  readonly deterministic: boolean;
  /** Current time in whole time-base ticks. */
  now(icount: number): number;
  /** Milliseconds of host time until tick `t` (0 if it is due); used to sleep an idle vCPU. */
  msUntil(t: number, icount: number): number;
}

/** Time base derived from the host's monotonic clock. */
export class WallClock implements Clock {
  readonly deterministic = false;
  private readonly startMs: number;
  private readonly ticksPerMs: number;
  constructor(readonly hz: number, startMs = performance.now()) {
    this.startMs = startMs;
    this.ticksPerMs = hz / 1000;
  }
  now(_icount: number): number {
    return Math.floor((performance.now() - this.startMs) * this.ticksPerMs);
  }
  msUntil(t: number, icount: number): number {
    return Math.max(0, (t - this.now(icount)) / this.ticksPerMs);
  }
}

/**
 * Time base derived from the retired-instruction count: `ticksPerInsn` ticks
 * per instruction (QEMU's -icount shift=0 runs 1 instruction per ns, i.e. 0.4
 * ticks of a 400 MHz time base). An idle vCPU's instruction count is warped
 * forward by the core, so this clock never needs to sleep.
 */
export class InstructionClock implements Clock {
  readonly deterministic = true;
  constructor(readonly hz: number, readonly ticksPerInsn: number) {}
  now(icount: number): number {
    return Math.floor(icount * this.ticksPerInsn);
  }
  msUntil(_t: number, _icount: number): number {
    return 0;
  }
  /** Instruction count at which tick `t` is reached. */
  icountAt(t: number): number {
    return Math.ceil(t / this.ticksPerInsn);
  }
}
