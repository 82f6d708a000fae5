// Fixed-point arithmetic, logical, compare, rotate and shift instructions.
// Registers are int32; unsigned views are taken with >>> 0 where needed.

import type { Cpu } from '../cpu.js';
import { ESR } from '../regbits.js';
import { debugTrap } from '../guest-debug.js';
import { A, P, X, XO, type InsnDef } from './decode.js';

// ---- field helpers (inlined by the JIT compiler) ----
const rD = (w: number) => (w >>> 21) & 31;
const rA = (w: number) => (w >>> 16) & 31;
const rB = (w: number) => (w >>> 11) & 31;
const simm = (w: number) => (w << 16) >> 16;
const uimm = (w: number) => w & 0xffff;

/** Set CR0 from a result (LT, GT, EQ, SO). */
export function setCr0(c: Cpu, v: number): void {
  c.cr = (c.cr & 0x0fffffff) | (v < 0 ? 0x80000000 : v > 0 ? 0x40000000 : 0x20000000) | (c.xerSo << 28);
}

/** Record a fixed-point result: CR0 if Rc. */
function rc(c: Cpu, w: number, v: number): void {
  if ((w & 1) !== 0) setCr0(c, v);
}

/** OE handling of XO-form instructions. */
function oe(c: Cpu, w: number, ov: boolean): void {
  if ((w & 0x400) !== 0) {
    c.xerOv = ov ? 1 : 0;
    if (ov) c.xerSo = 1;
  }
}

function addOv(a: number, b: number, r: number): boolean {
  return ((a ^ r) & (b ^ r)) < 0;
}

// ---- add / subtract ----

function addi(c: Cpu, w: number): void {
  const a = rA(w);
  c.gpr[rD(w)] = a === 0 ? simm(w) : (c.gpr[a] + simm(w)) | 0;
}
function addis(c: Cpu, w: number): void {
  const a = rA(w);
  c.gpr[rD(w)] = a === 0 ? w << 16 : (c.gpr[a] + (w << 16)) | 0;
}
function addic(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], b = simm(w);
  c.xerCa = (a >>> 0) + (b >>> 0) > 0xffffffff ? 1 : 0;
  c.gpr[rD(w)] = (a + b) | 0;
}
function addicDot(c: Cpu, w: number): void {
  addic(c, w);
  setCr0(c, c.gpr[rD(w)]);
}
function subfic(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], b = simm(w);
  c.xerCa = (~a >>> 0) + (b >>> 0) + 1 > 0xffffffff ? 1 : 0;
  c.gpr[rD(w)] = (b - a) | 0;
}
function add(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], b = c.gpr[rB(w)], r = (a + b) | 0;
  c.gpr[rD(w)] = r;
  oe(c, w, addOv(a, b, r));
  rc(c, w, r);
}
function subf(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], b = c.gpr[rB(w)], r = (b - a) | 0;
  c.gpr[rD(w)] = r;
  oe(c, w, addOv(~a, b, r));
  rc(c, w, r);
}
function addc(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], b = c.gpr[rB(w)], r = (a + b) | 0;
  c.xerCa = (a >>> 0) + (b >>> 0) > 0xffffffff ? 1 : 0;
  c.gpr[rD(w)] = r;
  oe(c, w, addOv(a, b, r));
  rc(c, w, r);
}
function subfc(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], b = c.gpr[rB(w)], r = (b - a) | 0;
  c.xerCa = (b >>> 0) >= (a >>> 0) ? 1 : 0;
  c.gpr[rD(w)] = r;
  oe(c, w, addOv(~a, b, r));
  rc(c, w, r);
}
/** Shared by adde, subfe, addme, subfme, addze, subfze: r = x + y + CA. */
function addExt(c: Cpu, w: number, x: number, y: number): void {
  const ca = c.xerCa;
  const r = (x + y + ca) | 0;
  c.xerCa = (x >>> 0) + (y >>> 0) + ca > 0xffffffff ? 1 : 0;
  c.gpr[rD(w)] = r;
  oe(c, w, addOv(x, y, r));
  rc(c, w, r);
}
function adde(c: Cpu, w: number): void { addExt(c, w, c.gpr[rA(w)], c.gpr[rB(w)]); }
function subfe(c: Cpu, w: number): void { addExt(c, w, ~c.gpr[rA(w)], c.gpr[rB(w)]); }
function addme(c: Cpu, w: number): void { addExt(c, w, c.gpr[rA(w)], -1); }
function subfme(c: Cpu, w: number): void { addExt(c, w, ~c.gpr[rA(w)], -1); }
function addze(c: Cpu, w: number): void { addExt(c, w, c.gpr[rA(w)], 0); }
function subfze(c: Cpu, w: number): void { addExt(c, w, ~c.gpr[rA(w)], 0); }
function neg(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], r = (-a) | 0;
  c.gpr[rD(w)] = r;
  oe(c, w, a === -0x80000000);
  rc(c, w, r);
}

// ---- multiply / divide ----

function mulli(c: Cpu, w: number): void {
  c.gpr[rD(w)] = Math.imul(c.gpr[rA(w)], simm(w));
}
function mullw(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], b = c.gpr[rB(w)], r = Math.imul(a, b);
  c.gpr[rD(w)] = r;
  // The exact product fits a double unless it is far beyond 32 bits.
  oe(c, w, a * b !== r);
  rc(c, w, r);
}
/** High word of the signed 64-bit product. */
export function mulhs(a: number, b: number): number {
  const al = a & 0xffff, ah = a >> 16, bl = b & 0xffff, bh = b >> 16;
  const mid = ah * bl + al * bh + ((al * bl) >>> 16);
  return (ah * bh + Math.floor(mid / 65536)) | 0;
}
/** High word of the unsigned 64-bit product. */
export function mulhu(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const mid = ah * bl + al * bh + ((al * bl) >>> 16);
  return (ah * bh + Math.floor(mid / 65536)) | 0;
}
function mulhw(c: Cpu, w: number): void {
  const r = mulhs(c.gpr[rA(w)], c.gpr[rB(w)]);
  c.gpr[rD(w)] = r;
  rc(c, w, r);
}
function mulhwu(c: Cpu, w: number): void {
  const r = mulhu(c.gpr[rA(w)], c.gpr[rB(w)]);
  c.gpr[rD(w)] = r;
  rc(c, w, r);
}
// Division by zero and -2^31 / -1 leave rD undefined in the architecture;
// like QEMU (the reference), the quotient is then the dividend.
function divw(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], b = c.gpr[rB(w)];
  const bad = b === 0 || (a === -0x80000000 && b === -1);
  const r = bad ? a : (a / b) | 0;
  c.gpr[rD(w)] = r;
  oe(c, w, bad);
  rc(c, w, r);
}
function divwu(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], b = c.gpr[rB(w)];
  const bad = b === 0;
  const r = bad ? a : ((a >>> 0) / (b >>> 0)) | 0;
  c.gpr[rD(w)] = r;
  oe(c, w, bad);
  rc(c, w, r);
}

// ---- compare ----

/** CR field value (LT GT EQ SO) for a comparison result. */
function crField(c: Cpu, lt: boolean, gt: boolean): number {
  return (lt ? 8 : gt ? 4 : 2) | c.xerSo;
}
export function setCrField(c: Cpu, bf: number, v: number): void {
  const sh = (7 - bf) * 4;
  c.cr = (c.cr & ~(0xf << sh)) | (v << sh);
}
function cmp(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], b = c.gpr[rB(w)];
  setCrField(c, (w >>> 23) & 7, crField(c, a < b, a > b));
}
function cmpl(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)] >>> 0, b = c.gpr[rB(w)] >>> 0;
  setCrField(c, (w >>> 23) & 7, crField(c, a < b, a > b));
}
function cmpi(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)], b = simm(w);
  setCrField(c, (w >>> 23) & 7, crField(c, a < b, a > b));
}
function cmpli(c: Cpu, w: number): void {
  const a = c.gpr[rA(w)] >>> 0, b = uimm(w);
  setCrField(c, (w >>> 23) & 7, crField(c, a < b, a > b));
}

// ---- traps ----

function trapCond(to: number, a: number, b: number): boolean {
  return ((to & 16) !== 0 && a < b) || ((to & 8) !== 0 && a > b) || ((to & 4) !== 0 && a === b) ||
    ((to & 2) !== 0 && (a >>> 0) < (b >>> 0)) || ((to & 1) !== 0 && (a >>> 0) > (b >>> 0));
}
function trap(c: Cpu): void {
  if (c.guestDebug && debugTrap(c)) return;
  c.raiseProgram(ESR.PTR);
}
function tw(c: Cpu, w: number): void {
  if (trapCond(rD(w), c.gpr[rA(w)], c.gpr[rB(w)])) trap(c);
}
function twi(c: Cpu, w: number): void {
  if (trapCond(rD(w), c.gpr[rA(w)], simm(w))) trap(c);
}

// ---- logical (rS is in the rD position, the result goes to rA) ----

function andiDot(c: Cpu, w: number): void { const r = c.gpr[rD(w)] & uimm(w); c.gpr[rA(w)] = r; setCr0(c, r); }
function andisDot(c: Cpu, w: number): void { const r = c.gpr[rD(w)] & (w << 16); c.gpr[rA(w)] = r; setCr0(c, r); }
function ori(c: Cpu, w: number): void { c.gpr[rA(w)] = c.gpr[rD(w)] | uimm(w); }
function oris(c: Cpu, w: number): void { c.gpr[rA(w)] = c.gpr[rD(w)] | (w << 16); }
function xori(c: Cpu, w: number): void { c.gpr[rA(w)] = c.gpr[rD(w)] ^ uimm(w); }
function xoris(c: Cpu, w: number): void { c.gpr[rA(w)] = c.gpr[rD(w)] ^ (w << 16); }

// Written out one by one (not made by a factory) so each stays monomorphic.
function and_(c: Cpu, w: number): void {
  const s = c.gpr[rD(w)], b = c.gpr[rB(w)], r = s & b;
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function andc_(c: Cpu, w: number): void {
  const s = c.gpr[rD(w)], b = c.gpr[rB(w)], r = s & ~b;
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function nor_(c: Cpu, w: number): void {
  const s = c.gpr[rD(w)], b = c.gpr[rB(w)], r = ~(s | b);
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function eqv_(c: Cpu, w: number): void {
  const s = c.gpr[rD(w)], b = c.gpr[rB(w)], r = ~(s ^ b);
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function xor_(c: Cpu, w: number): void {
  const s = c.gpr[rD(w)], b = c.gpr[rB(w)], r = s ^ b;
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function orc_(c: Cpu, w: number): void {
  const s = c.gpr[rD(w)], b = c.gpr[rB(w)], r = s | ~b;
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function or_(c: Cpu, w: number): void {
  const s = c.gpr[rD(w)], b = c.gpr[rB(w)], r = s | b;
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function nand_(c: Cpu, w: number): void {
  const s = c.gpr[rD(w)], b = c.gpr[rB(w)], r = ~(s & b);
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function cntlzw(c: Cpu, w: number): void {
  const s = c.gpr[rD(w)], r = Math.clz32(s);
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function extsh(c: Cpu, w: number): void {
  const s = c.gpr[rD(w)], r = (s << 16) >> 16;
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function extsb(c: Cpu, w: number): void {
  const s = c.gpr[rD(w)], r = (s << 24) >> 24;
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}

// ---- rotate and shift ----

/** The MASK(mb, me) of the rotate instructions (IBM bit numbering, wraps if mb > me). */
export function rotMask(mb: number, me: number): number {
  const m1 = 0xffffffff >>> mb, m2 = (0xffffffff << (31 - me)) | 0;
  return mb <= me ? m1 & m2 : m1 | m2;
}
function rotl(v: number, n: number): number {
  return n === 0 ? v : (v << n) | (v >>> (32 - n));
}
function rlwinm(c: Cpu, w: number): void {
  const r = rotl(c.gpr[rD(w)], rB(w)) & rotMask((w >>> 6) & 31, (w >>> 1) & 31);
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function rlwnm(c: Cpu, w: number): void {
  const r = rotl(c.gpr[rD(w)], c.gpr[rB(w)] & 31) & rotMask((w >>> 6) & 31, (w >>> 1) & 31);
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function rlwimi(c: Cpu, w: number): void {
  const m = rotMask((w >>> 6) & 31, (w >>> 1) & 31);
  const r = (rotl(c.gpr[rD(w)], rB(w)) & m) | (c.gpr[rA(w)] & ~m);
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function slw(c: Cpu, w: number): void {
  const n = c.gpr[rB(w)] & 0x3f;
  const r = n > 31 ? 0 : c.gpr[rD(w)] << n;
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function srw(c: Cpu, w: number): void {
  const n = c.gpr[rB(w)] & 0x3f;
  const r = n > 31 ? 0 : (c.gpr[rD(w)] >>> n) | 0;
  c.gpr[rA(w)] = r;
  rc(c, w, r);
}
function srawBy(c: Cpu, w: number, n: number): void {
  const s = c.gpr[rD(w)];
  let r: number, ca: boolean;
  if (n > 31) {
    r = s >> 31;
    ca = s < 0;
  } else {
    r = s >> n;
    ca = s < 0 && n > 0 && (s & ((1 << n) - 1)) !== 0;
  }
  c.gpr[rA(w)] = r;
  c.xerCa = ca ? 1 : 0;
  rc(c, w, r);
}
function sraw(c: Cpu, w: number): void { srawBy(c, w, c.gpr[rB(w)] & 0x3f); }
function srawi(c: Cpu, w: number): void { srawBy(c, w, rB(w)); }

// ---- select ----

function isel(c: Cpu, w: number): void {
  const bc = (w >>> 6) & 31;
  const a = rA(w);
  c.gpr[rD(w)] = ((c.cr >>> (31 - bc)) & 1) !== 0 ? (a === 0 ? 0 : c.gpr[a]) : c.gpr[rB(w)];
}

export const integerInsns: InsnDef[] = [
  P('twi', 3, 'to,ra,si', twi),
  P('mulli', 7, 'rt,ra,si', mulli),
  P('subfic', 8, 'rt,ra,si', subfic),
  P('cmpli', 10, 'bf,ra,ui', cmpli),
  P('cmpi', 11, 'bf,ra,si', cmpi),
  P('addic', 12, 'rt,ra,si', addic),
  P('addic.', 13, 'rt,ra,si', addicDot),
  P('addi', 14, 'rt,ra0,si', addi),
  P('addis', 15, 'rt,ra0,si', addis),
  P('rlwimi', 20, 'ra,rs,sh,mb,me', rlwimi),
  P('rlwinm', 21, 'ra,rs,sh,mb,me', rlwinm),
  P('rlwnm', 23, 'ra,rs,rb,mb,me', rlwnm),
  P('ori', 24, 'ra,rs,ui', ori),
  P('oris', 25, 'ra,rs,ui', oris),
  P('xori', 26, 'ra,rs,ui', xori),
  P('xoris', 27, 'ra,rs,ui', xoris),
  P('andi.', 28, 'ra,rs,ui', andiDot),
  P('andis.', 29, 'ra,rs,ui', andisDot),
  X('cmp', 31, 0, 'bf,ra,rb', cmp),
  X('tw', 31, 4, 'to,ra,rb', tw),
  XO('subfc', 31, 8, 'rt,ra,rb', subfc),
  XO('addc', 31, 10, 'rt,ra,rb', addc),
  XO('mulhwu', 31, 11, 'rt,ra,rb', mulhwu),
  X('slw', 31, 24, 'ra,rs,rb', slw, true),
  X('cntlzw', 31, 26, 'ra,rs', cntlzw, true),
  X('and', 31, 28, 'ra,rs,rb', and_, true),
  X('cmpl', 31, 32, 'bf,ra,rb', cmpl),
  XO('subf', 31, 40, 'rt,ra,rb', subf),
  X('andc', 31, 60, 'ra,rs,rb', andc_, true),
  XO('mulhw', 31, 75, 'rt,ra,rb', mulhw),
  XO('neg', 31, 104, 'rt,ra', neg),
  X('nor', 31, 124, 'ra,rs,rb', nor_, true),
  XO('subfe', 31, 136, 'rt,ra,rb', subfe),
  XO('adde', 31, 138, 'rt,ra,rb', adde),
  XO('subfze', 31, 200, 'rt,ra', subfze),
  XO('addze', 31, 202, 'rt,ra', addze),
  XO('subfme', 31, 232, 'rt,ra', subfme),
  XO('addme', 31, 234, 'rt,ra', addme),
  XO('mullw', 31, 235, 'rt,ra,rb', mullw),
  XO('add', 31, 266, 'rt,ra,rb', add),
  X('eqv', 31, 284, 'ra,rs,rb', eqv_, true),
  X('xor', 31, 316, 'ra,rs,rb', xor_, true),
  X('orc', 31, 412, 'ra,rs,rb', orc_, true),
  X('or', 31, 444, 'ra,rs,rb', or_, true),
  XO('divwu', 31, 459, 'rt,ra,rb', divwu),
  X('nand', 31, 476, 'ra,rs,rb', nand_, true),
  XO('divw', 31, 491, 'rt,ra,rb', divw),
  X('srw', 31, 536, 'ra,rs,rb', srw, true),
  X('sraw', 31, 792, 'ra,rs,rb', sraw, true),
  X('srawi', 31, 824, 'ra,rs,sh', srawi, true),
  X('extsh', 31, 922, 'ra,rs', extsh, true),
  X('extsb', 31, 954, 'ra,rs', extsb, true),
  A('isel', 31, 15, 'rt,ra0,rb,bc', isel, false),
];
