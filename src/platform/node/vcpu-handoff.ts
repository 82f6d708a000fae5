// The handoff of a vCPU's run structure between the thread that runs the
// vCPU and the thread that handles its exits, with Atomics on the words the
// run structure reserves for userspace (run.ts: words USER0.., and the user
// area from RunOff.USER_AREA). Pure JavaScript (no Node API): both sides
// import it.
//
//   STATE  RUNNING  the vCPU thread owns the run structure (in KVM_RUN or about to be)
//          EXITED   an exit (or a command's result) is published; the handler owns it
//          COMMAND  the handler posted a command in CMD; the vCPU thread owns it again
//          STOPPED  the vCPU thread left its loop
//   CMD    RUN (KVM_RUN again), SYNC_TLB (full TLB synchronization, changed
//          bitmap in the user area, count in RESULT), STOP
//   RESULT a command's result, or -errno when KVM_RUN failed (EXIT_REASON then invalid)
//   EXITS  number of exits published (for statistics)
//
// Waiting spins briefly before Atomics.wait: a round trip between two busy
// threads then costs no futex wake-up, and an idle one costs no CPU.

import { RunOff, RunWord } from '../../kvm/index.js';

export const H = {
  STATE: RunWord.USER0,
  CMD: RunWord.USER0 + 1,
  RESULT: RunWord.USER0 + 2,
  EXITS: RunWord.USER0 + 3,
} as const;

export const State = { RUNNING: 0, EXITED: 1, COMMAND: 2, STOPPED: 3 } as const;
export const Command = { RUN: 1, SYNC_TLB: 2, STOP: 3 } as const;

/** Where SYNC_TLB leaves its changed-entry bitmap (TLB_BITMAP_BYTES). */
export const CHANGED_BITMAP_OFFSET = RunOff.USER_AREA;

/** Spin iterations before sleeping in Atomics.wait (the most an adaptive waiter spins). */
export const DEFAULT_SPIN = 2000;

/**
 * A waiter that spins only while spinning pays: after a wait that had to
 * sleep it halves its spin budget, after one that ended while spinning it
 * doubles it (up to `max`). With an idle core for each thread a round trip
 * then costs no futex wake-up; on a machine with no idle core, where a spin
 * only burns the other thread's time slice, it soon blocks at once.
 */
export class Waiter {
  private budget: number;
  constructor(readonly max: number) {
    this.budget = max;
  }
  wait(words: Int32Array, a: number, timeoutMs = Infinity, b = a): number {
    const n = this.budget;
    for (let i = 0; i < n; i++) {
      const s = Atomics.load(words, H.STATE);
      if (s !== a && s !== b) {
        this.budget = Math.min(this.max, Math.max(16, n * 2));
        return s;
      }
    }
    this.budget = n >>> 1;
    return waitWhile(words, a, 0, timeoutMs, b);
  }
}

/**
 * Wait while words[STATE] is `a` or `b` (the states in which the other side
 * owns the run structure); returns the state that ended the wait, or the
 * current one on timeout.
 */
export function waitWhile(words: Int32Array, a: number, spin: number, timeoutMs = Infinity, b = a): number {
  for (let i = 0; i < spin; i++) {
    const s = Atomics.load(words, H.STATE);
    if (s !== a && s !== b) return s;
  }
  const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
  for (;;) {
    const s = Atomics.load(words, H.STATE);
    if (s !== a && s !== b) return s;
    const left = deadline === Infinity ? undefined : deadline - performance.now();
    if (left !== undefined && left <= 0) return s;
    Atomics.wait(words, H.STATE, s, left);
  }
}

export function publish(words: Int32Array, state: number): void {
  Atomics.store(words, H.STATE, state);
  Atomics.notify(words, H.STATE);
}
