// Branches, condition-register logic and CR moves.

import type { Cpu } from '../cpu.js';
import { ESR } from '../regbits.js';
import { P, X, type InsnDef } from './decode.js';
import { setCrField } from './integer.js';

function b(c: Cpu, w: number): void {
  const li = (w << 6) >> 6 & ~3;
  if ((w & 1) !== 0) c.lr = c.nip;
  c.nip = (w & 2) !== 0 ? li : (c.pc + li) | 0;
}

/** The BO/BI condition of bc, bclr, bcctr (decrements CTR when BO says so). */
function bcTaken(c: Cpu, w: number): boolean {
  const bo = (w >>> 21) & 31;
  if ((bo & 4) === 0) {
    const ctr = (c.ctr - 1) | 0;
    c.ctr = ctr;
    if ((ctr !== 0) === ((bo & 2) !== 0)) return false;
  }
  if ((bo & 16) !== 0) return true;
  return ((c.cr >>> (31 - ((w >>> 16) & 31))) & 1) === ((bo >>> 3) & 1);
}

function bc(c: Cpu, w: number): void {
  const taken = bcTaken(c, w);
  if ((w & 1) !== 0) c.lr = c.nip;
  if (taken) {
    const bd = (w << 16) >> 16 & ~3;
    c.nip = (w & 2) !== 0 ? bd : (c.pc + bd) | 0;
  }
}

function bclr(c: Cpu, w: number): void {
  const target = c.lr & ~3;
  const taken = bcTaken(c, w);
  if ((w & 1) !== 0) c.lr = c.nip;
  if (taken) c.nip = target;
}

function bcctr(c: Cpu, w: number): void {
  // BO[2] = 0 (decrement CTR) is an invalid form of bcctr.
  if ((w & 0x00800000) === 0) {
    c.raiseProgram(ESR.PIL);
    return;
  }
  const taken = bcTaken(c, w);
  if ((w & 1) !== 0) c.lr = c.nip;
  if (taken) c.nip = c.ctr & ~3;
}

// ---- CR logical: crbD <- f(crbA, crbB) ----

function crbit(c: Cpu, n: number): number {
  return (c.cr >>> (31 - n)) & 1;
}
function crop(c: Cpu, w: number, v: number): void {
  const d = 31 - ((w >>> 21) & 31);
  c.cr = (c.cr & ~(1 << d)) | ((v & 1) << d);
}
const ba = (c: Cpu, w: number) => crbit(c, (w >>> 16) & 31);
const bb = (c: Cpu, w: number) => crbit(c, (w >>> 11) & 31);

function crand(c: Cpu, w: number): void { crop(c, w, ba(c, w) & bb(c, w)); }
function cror(c: Cpu, w: number): void { crop(c, w, ba(c, w) | bb(c, w)); }
function crxor(c: Cpu, w: number): void { crop(c, w, ba(c, w) ^ bb(c, w)); }
function crnand(c: Cpu, w: number): void { crop(c, w, ~(ba(c, w) & bb(c, w))); }
function crnor(c: Cpu, w: number): void { crop(c, w, ~(ba(c, w) | bb(c, w))); }
function creqv(c: Cpu, w: number): void { crop(c, w, ~(ba(c, w) ^ bb(c, w))); }
function crandc(c: Cpu, w: number): void { crop(c, w, ba(c, w) & ~bb(c, w)); }
function crorc(c: Cpu, w: number): void { crop(c, w, ba(c, w) | ~bb(c, w)); }

function mcrf(c: Cpu, w: number): void {
  setCrField(c, (w >>> 23) & 7, (c.cr >>> ((7 - ((w >>> 18) & 7)) * 4)) & 0xf);
}

/** mfcr, or mfocrf when bit 11 is set (one field; the others read as 0). */
function mfcr(c: Cpu, w: number): void {
  if ((w & 0x00100000) !== 0) {
    const fxm = (w >>> 12) & 0xff;
    c.gpr[(w >>> 21) & 31] = c.cr & fxmMask(fxm);
  } else {
    c.gpr[(w >>> 21) & 31] = c.cr;
  }
}

function fxmMask(fxm: number): number {
  let m = 0;
  for (let f = 0; f < 8; f++) if ((fxm & (0x80 >>> f)) !== 0) m |= 0xf << ((7 - f) * 4);
  return m;
}

/** mtcrf / mtocrf: the fields selected by FXM. */
function mtcrf(c: Cpu, w: number): void {
  const m = fxmMask((w >>> 12) & 0xff);
  c.cr = (c.cr & ~m) | (c.gpr[(w >>> 21) & 31] & m);
}

/** mcrxr: CR field <- XER[SO,OV,CA,0]; those XER bits are cleared. */
function mcrxr(c: Cpu, w: number): void {
  setCrField(c, (w >>> 23) & 7, (c.xerSo << 3) | (c.xerOv << 2) | (c.xerCa << 1));
  c.xerSo = c.xerOv = c.xerCa = 0;
}

export const branchInsns: InsnDef[] = [
  P('bc', 16, 'bo,bi,bd', bc),
  P('b', 18, 'li', b),
  X('mcrf', 19, 0, 'bf,bfa', mcrf),
  X('bclr', 19, 16, 'bo,bi', bclr),
  X('crnor', 19, 33, 'cbt,cba,cbb', crnor),
  X('crandc', 19, 129, 'cbt,cba,cbb', crandc),
  X('crxor', 19, 193, 'cbt,cba,cbb', crxor),
  X('crnand', 19, 225, 'cbt,cba,cbb', crnand),
  X('crand', 19, 257, 'cbt,cba,cbb', crand),
  X('creqv', 19, 289, 'cbt,cba,cbb', creqv),
  X('crorc', 19, 417, 'cbt,cba,cbb', crorc),
  X('cror', 19, 449, 'cbt,cba,cbb', cror),
  X('bcctr', 19, 528, 'bo,bi', bcctr),
  X('mfcr', 31, 19, 'rt', mfcr),
  X('mtcrf', 31, 144, 'fxm,rs', mtcrf),
  X('mcrxr', 31, 512, 'bf', mcrxr),
];
