// The privilege check of the helpers (semantics use Emit.privileged()).

import type { Cpu } from '../cpu.js';
import { ESR, MSR } from '../regbits.js';

/** Privileged instructions in user mode raise a privileged-instruction program interrupt. */
export function privileged(c: Cpu): boolean {
  if ((c.msr & MSR.PR) !== 0) {
    c.raiseProgram(ESR.PPR);
    return false;
  }
  return true;
}
