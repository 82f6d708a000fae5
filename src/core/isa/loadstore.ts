// Fixed-point loads and stores: D and X forms, with update, byte-reverse,
// multiple, and the lwarx/stwcx. reservation pair.
//
// The e500mc has no load/store string instructions (lswi, lswx, stswi,
// stswx: the Move Assist category): they are illegal instructions, as on
// the hardware and in QEMU (Linux emulates them for user programs).
//
// Every handler performs its memory accesses first and returns at once if
// one of them aborted the instruction (interrupt or MMIO exit), so nothing
// architected changes before the instruction can complete.

import type { Cpu } from '../cpu.js';
import { IntClass } from '../cpu.js';
import { ld16, ld32, ld8, st16, st32, st8, translateData } from '../mem.js';
import { ESR, IVOR } from '../regbits.js';
import { SPR } from '../spr.js';
import { P, X, type InsnDef } from './decode.js';

const rD = (w: number) => (w >>> 21) & 31;
const rA = (w: number) => (w >>> 16) & 31;
const rB = (w: number) => (w >>> 11) & 31;

/** EA of a D-form access: (rA|0) + d. */
export function eaD(c: Cpu, w: number): number {
  const a = rA(w);
  return a === 0 ? (w << 16) >> 16 : (c.gpr[a] + ((w << 16) >> 16)) | 0;
}
/** EA of an X-form access: (rA|0) + rB. */
export function eaX(c: Cpu, w: number): number {
  const a = rA(w);
  return a === 0 ? c.gpr[rB(w)] : (c.gpr[a] + c.gpr[rB(w)]) | 0;
}
/** EA of an update form: rA + d (rA = 0 is an invalid form, checked by the caller). */
function eaDU(c: Cpu, w: number): number {
  return (c.gpr[rA(w)] + ((w << 16) >> 16)) | 0;
}
function eaXU(c: Cpu, w: number): number {
  return (c.gpr[rA(w)] + c.gpr[rB(w)]) | 0;
}

/**
 * Update forms with rA = 0, and loads with update with rA = rD, are invalid
 * forms; like QEMU we make them illegal instructions.
 */
function badLoadUpdate(c: Cpu, w: number): boolean {
  const a = rA(w);
  if (a === 0 || a === rD(w)) {
    c.raiseProgram(ESR.PIL);
    return true;
  }
  return false;
}
function badStoreUpdate(c: Cpu, w: number): boolean {
  if (rA(w) === 0) {
    c.raiseProgram(ESR.PIL);
    return true;
  }
  return false;
}

export function raiseAlignment(c: Cpu, ea: number, store: boolean): void {
  c.spr[SPR.DEAR] = ea;
  c.spr[SPR.ESR] = store ? ESR.ST : 0;
  c.interrupt(IVOR.ALIGNMENT, c.pc, IntClass.Base);
  c.abort = true;
}

function bswap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}
function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | ((v >>> 24) & 0xff);
}

// ---- loads ----

function lwz(c: Cpu, w: number): void { const v = ld32(c, eaD(c, w)); if (c.abort) return; c.gpr[rD(w)] = v; }
function lbz(c: Cpu, w: number): void { const v = ld8(c, eaD(c, w)); if (c.abort) return; c.gpr[rD(w)] = v; }
function lhz(c: Cpu, w: number): void { const v = ld16(c, eaD(c, w)); if (c.abort) return; c.gpr[rD(w)] = v; }
function lha(c: Cpu, w: number): void { const v = ld16(c, eaD(c, w)); if (c.abort) return; c.gpr[rD(w)] = (v << 16) >> 16; }
function lwzx(c: Cpu, w: number): void { const v = ld32(c, eaX(c, w)); if (c.abort) return; c.gpr[rD(w)] = v; }
function lbzx(c: Cpu, w: number): void { const v = ld8(c, eaX(c, w)); if (c.abort) return; c.gpr[rD(w)] = v; }
function lhzx(c: Cpu, w: number): void { const v = ld16(c, eaX(c, w)); if (c.abort) return; c.gpr[rD(w)] = v; }
function lhax(c: Cpu, w: number): void { const v = ld16(c, eaX(c, w)); if (c.abort) return; c.gpr[rD(w)] = (v << 16) >> 16; }
function lwbrx(c: Cpu, w: number): void { const v = ld32(c, eaX(c, w)); if (c.abort) return; c.gpr[rD(w)] = bswap32(v); }
function lhbrx(c: Cpu, w: number): void { const v = ld16(c, eaX(c, w)); if (c.abort) return; c.gpr[rD(w)] = bswap16(v); }

function lwzu(c: Cpu, w: number): void {
  if (badLoadUpdate(c, w)) return;
  const ea = eaDU(c, w), v = ld32(c, ea);
  if (c.abort) return;
  c.gpr[rD(w)] = v;
  c.gpr[rA(w)] = ea;
}
function lbzu(c: Cpu, w: number): void {
  if (badLoadUpdate(c, w)) return;
  const ea = eaDU(c, w), v = ld8(c, ea);
  if (c.abort) return;
  c.gpr[rD(w)] = v;
  c.gpr[rA(w)] = ea;
}
function lhzu(c: Cpu, w: number): void {
  if (badLoadUpdate(c, w)) return;
  const ea = eaDU(c, w), v = ld16(c, ea);
  if (c.abort) return;
  c.gpr[rD(w)] = v;
  c.gpr[rA(w)] = ea;
}
function lhau(c: Cpu, w: number): void {
  if (badLoadUpdate(c, w)) return;
  const ea = eaDU(c, w), v = ld16(c, ea);
  if (c.abort) return;
  c.gpr[rD(w)] = (v << 16) >> 16;
  c.gpr[rA(w)] = ea;
}
function lwzux(c: Cpu, w: number): void {
  if (badLoadUpdate(c, w)) return;
  const ea = eaXU(c, w), v = ld32(c, ea);
  if (c.abort) return;
  c.gpr[rD(w)] = v;
  c.gpr[rA(w)] = ea;
}
function lbzux(c: Cpu, w: number): void {
  if (badLoadUpdate(c, w)) return;
  const ea = eaXU(c, w), v = ld8(c, ea);
  if (c.abort) return;
  c.gpr[rD(w)] = v;
  c.gpr[rA(w)] = ea;
}
function lhzux(c: Cpu, w: number): void {
  if (badLoadUpdate(c, w)) return;
  const ea = eaXU(c, w), v = ld16(c, ea);
  if (c.abort) return;
  c.gpr[rD(w)] = v;
  c.gpr[rA(w)] = ea;
}
function lhaux(c: Cpu, w: number): void {
  if (badLoadUpdate(c, w)) return;
  const ea = eaXU(c, w), v = ld16(c, ea);
  if (c.abort) return;
  c.gpr[rD(w)] = (v << 16) >> 16;
  c.gpr[rA(w)] = ea;
}

// ---- stores ----

function stw(c: Cpu, w: number): void { st32(c, eaD(c, w), c.gpr[rD(w)]); }
function stb(c: Cpu, w: number): void { st8(c, eaD(c, w), c.gpr[rD(w)] & 0xff); }
function sth(c: Cpu, w: number): void { st16(c, eaD(c, w), c.gpr[rD(w)] & 0xffff); }
function stwx(c: Cpu, w: number): void { st32(c, eaX(c, w), c.gpr[rD(w)]); }
function stbx(c: Cpu, w: number): void { st8(c, eaX(c, w), c.gpr[rD(w)] & 0xff); }
function sthx(c: Cpu, w: number): void { st16(c, eaX(c, w), c.gpr[rD(w)] & 0xffff); }
function stwbrx(c: Cpu, w: number): void { st32(c, eaX(c, w), bswap32(c.gpr[rD(w)])); }
function sthbrx(c: Cpu, w: number): void { st16(c, eaX(c, w), bswap16(c.gpr[rD(w)])); }

function stwu(c: Cpu, w: number): void {
  if (badStoreUpdate(c, w)) return;
  const ea = eaDU(c, w);
  st32(c, ea, c.gpr[rD(w)]);
  if (c.abort) return;
  c.gpr[rA(w)] = ea;
}
function stbu(c: Cpu, w: number): void {
  if (badStoreUpdate(c, w)) return;
  const ea = eaDU(c, w);
  st8(c, ea, c.gpr[rD(w)] & 0xff);
  if (c.abort) return;
  c.gpr[rA(w)] = ea;
}
function sthu(c: Cpu, w: number): void {
  if (badStoreUpdate(c, w)) return;
  const ea = eaDU(c, w);
  st16(c, ea, c.gpr[rD(w)] & 0xffff);
  if (c.abort) return;
  c.gpr[rA(w)] = ea;
}
function stwux(c: Cpu, w: number): void {
  if (badStoreUpdate(c, w)) return;
  const ea = eaXU(c, w);
  st32(c, ea, c.gpr[rD(w)]);
  if (c.abort) return;
  c.gpr[rA(w)] = ea;
}
function stbux(c: Cpu, w: number): void {
  if (badStoreUpdate(c, w)) return;
  const ea = eaXU(c, w);
  st8(c, ea, c.gpr[rD(w)] & 0xff);
  if (c.abort) return;
  c.gpr[rA(w)] = ea;
}
function sthux(c: Cpu, w: number): void {
  if (badStoreUpdate(c, w)) return;
  const ea = eaXU(c, w);
  st16(c, ea, c.gpr[rD(w)] & 0xffff);
  if (c.abort) return;
  c.gpr[rA(w)] = ea;
}

// ---- multiple and string ----

/** lmw: rD..r31 from consecutive words. Loaded into a buffer first, so a fault changes no register. */
const multi = new Int32Array(32);
function lmw(c: Cpu, w: number): void {
  const d = rD(w);
  const ea = eaD(c, w);
  if ((ea & 3) !== 0) {
    raiseAlignment(c, ea, false);
    return;
  }
  for (let r = d; r < 32; r++) {
    multi[r] = ld32(c, (ea + (r - d) * 4) | 0);
    if (c.abort) return;
  }
  for (let r = d; r < 32; r++) c.gpr[r] = multi[r];
}
function stmw(c: Cpu, w: number): void {
  const s = rD(w);
  const ea = eaD(c, w);
  if ((ea & 3) !== 0) {
    raiseAlignment(c, ea, true);
    return;
  }
  for (let r = s; r < 32; r++) {
    st32(c, (ea + (r - s) * 4) | 0, c.gpr[r]);
    if (c.abort) return;
  }
}

// ---- reservation ----

function lwarx(c: Cpu, w: number): void {
  const ea = eaX(c, w);
  if ((ea & 3) !== 0) {
    raiseAlignment(c, ea, false);
    return;
  }
  const v = ld32(c, ea);
  if (c.abort) return;
  c.gpr[rD(w)] = v;
  // Like QEMU, the reservation is the effective address; a stwcx. to another
  // address is undefined in the architecture and fails here.
  c.resv = ea >>> 0;
}
function stwcx(c: Cpu, w: number): void {
  const ea = eaX(c, w);
  if ((ea & 3) !== 0) {
    raiseAlignment(c, ea, true);
    return;
  }
  if (c.resv === (ea >>> 0)) {
    st32(c, ea, c.gpr[rD(w)]);
    if (c.abort) return;
    c.cr = (c.cr & 0x0fffffff) | 0x20000000 | (c.xerSo << 28);
  } else {
    // A failed stwcx. still checks that the store would be permitted.
    if (translateData(c, ea, true) < 0) return;
    c.cr = (c.cr & 0x0fffffff) | (c.xerSo << 28);
  }
  c.resv = -1;
}

export const loadStoreInsns: InsnDef[] = [
  P('lwz', 32, 'rt,d(ra0)', lwz),
  P('lwzu', 33, 'rt,d(ra)', lwzu),
  P('lbz', 34, 'rt,d(ra0)', lbz),
  P('lbzu', 35, 'rt,d(ra)', lbzu),
  P('stw', 36, 'rs,d(ra0)', stw),
  P('stwu', 37, 'rs,d(ra)', stwu),
  P('stb', 38, 'rs,d(ra0)', stb),
  P('stbu', 39, 'rs,d(ra)', stbu),
  P('lhz', 40, 'rt,d(ra0)', lhz),
  P('lhzu', 41, 'rt,d(ra)', lhzu),
  P('lha', 42, 'rt,d(ra0)', lha),
  P('lhau', 43, 'rt,d(ra)', lhau),
  P('sth', 44, 'rs,d(ra0)', sth),
  P('sthu', 45, 'rs,d(ra)', sthu),
  P('lmw', 46, 'rt,d(ra0)', lmw),
  P('stmw', 47, 'rs,d(ra0)', stmw),
  X('lwarx', 31, 20, 'rt,ra0,rb', lwarx),
  X('lwzx', 31, 23, 'rt,ra0,rb', lwzx),
  X('lwzux', 31, 55, 'rt,ra,rb', lwzux),
  X('lbzx', 31, 87, 'rt,ra0,rb', lbzx),
  X('lbzux', 31, 119, 'rt,ra,rb', lbzux),
  X('stwcx.', 31, 150, 'rs,ra0,rb', stwcx),
  X('stwx', 31, 151, 'rs,ra0,rb', stwx),
  X('stwux', 31, 183, 'rs,ra,rb', stwux),
  X('stbx', 31, 215, 'rs,ra0,rb', stbx),
  X('stbux', 31, 247, 'rs,ra,rb', stbux),
  X('lhzx', 31, 279, 'rt,ra0,rb', lhzx),
  X('lhzux', 31, 311, 'rt,ra,rb', lhzux),
  X('lhax', 31, 343, 'rt,ra0,rb', lhax),
  X('lhaux', 31, 375, 'rt,ra,rb', lhaux),
  X('sthx', 31, 407, 'rs,ra0,rb', sthx),
  X('sthux', 31, 439, 'rs,ra,rb', sthux),
  X('lwbrx', 31, 534, 'rt,ra0,rb', lwbrx),
  X('stwbrx', 31, 662, 'rs,ra0,rb', stwbrx),
  X('lhbrx', 31, 790, 'rt,ra0,rb', lhbrx),
  X('sthbrx', 31, 918, 'rs,ra0,rb', sthbrx),
];

export { bswap32, bswap16 };
