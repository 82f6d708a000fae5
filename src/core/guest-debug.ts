// The guest's own debug facility (Book E internal debug mode): DBCR0/1 and
// DBSR with instruction-complete, branch-taken, instruction-address-compare,
// trap, return and interrupt events raising the Debug interrupt. Active only
// while MSR[DE] and DBCR0[IDM] are set and an event is enabled; the core
// then runs its per-instruction debug loop, which calls in here.
// (Data address compare needs the data path and is not modelled yet.)

import { BRANCH, RETURN, SYNC } from './isa/flags.js';
import type { Cpu } from './cpu.js';
import { IntClass } from './cpu.js';
import { DBCR0, DBSR, IVOR, MSR } from './regbits.js';
import { SPR } from './spr.js';

const EVENTS = DBCR0.ICMP | DBCR0.BRT | DBCR0.IAC1 | DBCR0.IAC2 | DBCR0.RET | DBCR0.IRPT | DBCR0.TRAP;
/** DBCR1 IAC1US/IAC2US: 00 any mode, 10 supervisor only, 11 user only. */
const DBCR1_IAC1US_SHIFT = 30, DBCR1_IAC2US_SHIFT = 28;

export function guestDebugEnabled(c: Cpu): boolean {
  const dbcr0 = c.spr[SPR.DBCR0];
  return (c.msr & MSR.DE) !== 0 && (dbcr0 & DBCR0.IDM) !== 0 && (dbcr0 & EVENTS) !== 0;
}

function enabled(c: Cpu, event: number): boolean {
  return (c.msr & MSR.DE) !== 0 && (c.spr[SPR.DBCR0] & (DBCR0.IDM | event)) === (DBCR0.IDM | event);
}

/** Record `dbsr` bits and take the Debug interrupt, returning to `srr0`. */
export function debugInterrupt(c: Cpu, dbsr: number, srr0: number): void {
  c.spr[SPR.DBSR] |= dbsr;
  c.interrupt(IVOR.DEBUG, srr0, IntClass.Debug);
}

function iacMatches(c: Cpu, pc: number, iac: number, usShift: number): boolean {
  if ((c.spr[iac] & ~3) !== (pc & ~3)) return false;
  const us = (c.spr[SPR.DBCR1] >>> usShift) & 3;
  const user = (c.msr & MSR.PR) !== 0;
  return us === 0 || us === 1 || (us === 2 && !user) || (us === 3 && user);
}

/**
 * Events before the instruction at pc executes (instruction address compare,
 * return). True if a Debug interrupt was taken instead.
 */
export function debugBefore(c: Cpu, pc: number, flags: number): boolean {
  let dbsr = 0;
  if (enabled(c, DBCR0.IAC1) && iacMatches(c, pc, SPR.IAC1, DBCR1_IAC1US_SHIFT)) dbsr |= DBSR.IAC1;
  if (enabled(c, DBCR0.IAC2) && iacMatches(c, pc, SPR.IAC2, DBCR1_IAC2US_SHIFT)) dbsr |= DBSR.IAC2;
  if (enabled(c, DBCR0.RET) && (flags & RETURN) !== 0) dbsr |= DBSR.RET;
  if (dbsr === 0) return false;
  debugInterrupt(c, dbsr, pc);
  return true;
}

/** Events after an instruction completed (instruction complete, branch taken). */
export function debugAfter(c: Cpu, pc: number, flags: number): void {
  if ((c.msr & MSR.DE) === 0) return;
  let dbsr = 0;
  const nip = c.nip;
  // Branches (not sc and the interrupt returns, which change the context too)
  // cause the branch-taken event; those do not cause instruction complete.
  const system = (flags & (BRANCH | SYNC)) === (BRANCH | SYNC);
  if ((flags & BRANCH) !== 0 && !system && nip !== ((pc + 4) | 0) && enabled(c, DBCR0.BRT)) dbsr |= DBSR.BRT;
  if (!system && enabled(c, DBCR0.ICMP)) dbsr |= DBSR.ICMP;
  if (dbsr !== 0) debugInterrupt(c, dbsr, nip);
}

/** A trap condition held: the Debug interrupt instead of a program interrupt when DBCR0[TRAP]. */
export function debugTrap(c: Cpu): boolean {
  if (!enabled(c, DBCR0.TRAP)) return false;
  debugInterrupt(c, DBSR.TRAP, c.pc);
  c.abort = true;
  return true;
}

/** An interrupt of the base class was taken: the IRPT event follows it at once. */
export function debugIrpt(c: Cpu): void {
  if (enabled(c, DBCR0.IRPT)) debugInterrupt(c, DBSR.IRPT, c.nip);
}
