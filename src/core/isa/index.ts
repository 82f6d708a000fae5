// The e500mc instruction set: every table line, and the decoder built from them.

import type { Cpu } from '../cpu.js';
import { ESR } from '../regbits.js';
import { branchInsns } from './branch.js';
import { Decoder, type InsnDef } from './decode.js';
import { fpuInsns } from './fpu.js';
import { integerInsns } from './integer.js';
import { loadStoreInsns } from './loadstore.js';
import { softwareBreakpoint, SW_BREAKPOINT_INST, systemInsns } from './system.js';
import { tlbInsns } from './tlb.js';

export const allInsns: readonly InsnDef[] = [
  ...integerInsns,
  ...branchInsns,
  ...loadStoreInsns,
  ...systemInsns,
  ...tlbInsns,
  ...fpuInsns,
];

/** Any encoding that is not an e500mc instruction: illegal-instruction program interrupt. */
function illegal(c: Cpu, w: number): void {
  if (w === SW_BREAKPOINT_INST && c.debug.swBreak) {
    softwareBreakpoint(c);
    return;
  }
  c.raiseProgram(ESR.PIL);
}

let shared: Decoder | null = null;

/** The decoder (built once; it holds no per-CPU state). */
export function e500mcDecoder(): Decoder {
  if (shared === null) shared = new Decoder(allInsns, illegal);
  return shared;
}
