// The floating-point operations of the e500mc, on register values: each one
// fills the shared result record R (result.ts) from the operands and the
// FPSCR, following Power ISA 2.06 Book I chapter 4 and its Appendix A
// (the Floating-Point Round to Single-Precision and Convert to Integer models).
//
// Each operation tries a fast path on JS doubles (the common, finite case:
// the hardware's double arithmetic gives RN(exact), an error-free
// transformation gives the sign of the error, round.ts's finishers do the
// rest) and otherwise takes the exact path on the operands' bits: NaNs,
// infinities, zeros, invalid operations, and BigInt arithmetic for the
// finite edge cases (overflow, tiny results, denormal operands).
//
// Operands are read as doubles from fpr for the fast path and as bits from
// fprw for the exact path, so NaN payloads are never moved through a double.

import { Fpscr, Fprf } from './fpscr.js';
import { bitsHi, bitsLo, R, scratchF64, scratchU32, setBits, setSuppressed, setVal } from './result.js';
import { bitLength, fin, finishD, finishS, prod, roundExact, stepScratch, twoProd } from './round.js';

/** What the operations need of the core: the FPRs (two views) and the FPSCR. */
export interface FpState {
  readonly fpr: Float64Array;
  readonly fprw: Uint32Array;
  fpscr: number;
}

const TWO_M1022 = 2 ** -1022;
const TWO_M968 = 2 ** -968;
const TWO_995 = 2 ** 995;
const TWO_1020 = 2 ** 1020;
const TWO_1022 = 2 ** 1022;
const TWO_1023 = 2 ** 1023;
const TWO_M1021 = 2 ** -1021;

// ---- unpacked operands (exact path) ----

const enum Kind { Zero, Finite, Inf, QNaN, SNaN }

class Unpacked {
  kind = Kind.Zero;
  neg = false;
  hi = 0;
  lo = 0;
  /** Finite: value = m * 2^e. */
  m = 0n;
  e = 0;
}

const ua = new Unpacked();
const ub = new Unpacked();
const uc = new Unpacked();

function unpack(u: Unpacked, hi: number, lo: number): Unpacked {
  hi >>>= 0;
  lo >>>= 0;
  u.hi = hi;
  u.lo = lo;
  u.neg = hi >= 0x80000000;
  const ex = (hi >>> 20) & 0x7ff;
  const fh = hi & 0xfffff;
  if (ex === 0x7ff) {
    u.kind = (fh | lo) === 0 ? Kind.Inf : (fh & 0x80000) !== 0 ? Kind.QNaN : Kind.SNaN;
  } else if (ex === 0) {
    if ((fh | lo) === 0) {
      u.kind = Kind.Zero;
      u.m = 0n;
      u.e = 0;
    } else {
      u.kind = Kind.Finite;
      u.m = (BigInt(fh) << 32n) | BigInt(lo);
      u.e = -1074;
    }
  } else {
    u.kind = Kind.Finite;
    u.m = (BigInt(fh | 0x100000) << 32n) | BigInt(lo);
    u.e = ex - 1075;
  }
  return u;
}

function regHi(s: FpState, r: number): number { return s.fprw[2 * r + 1]; }
function regLo(s: FpState, r: number): number { return s.fprw[2 * r]; }

function isNaN_(u: Unpacked): boolean { return u.kind >= Kind.QNaN; }

/**
 * The NaN result of an operation with NaN operands: the first NaN operand in
 * the architected order (the caller passes them in that order), quieted.
 * Single-precision results keep the bits single precision can hold (the
 * ISA leaves non-single NaN operands of single instructions undefined, and
 * specifies this truncation for frsp; QEMU does it for all of them).
 */
function nanResult(first: Unpacked, exc: number, single: boolean, fpscr: number): void {
  if ((exc & Fpscr.VX_ALL) !== 0 && (fpscr & Fpscr.VE) !== 0) {
    setSuppressed(exc);
    return;
  }
  setBits(first.hi | 0x00080000, single ? first.lo & 0xe0000000 : first.lo, exc, Fprf.QNAN);
}

/** An invalid operation without NaN operands: the default QNaN, or no result when VE = 1. */
function invalidResult(exc: number, fpscr: number): void {
  if ((fpscr & Fpscr.VE) !== 0) setSuppressed(exc);
  else setBits(0x7ff80000, 0, exc, Fprf.QNAN);
}

function infResult(neg: boolean): void {
  setVal(neg ? -Infinity : Infinity, 0, 0, neg ? Fprf.NINF : Fprf.PINF);
}

/** A signed zero result (exact). */
function zeroResult(neg: boolean): void {
  setVal(neg ? -0 : 0, 0, 0, neg ? Fprf.NZERO : Fprf.PZERO);
}

/** Exact sum of two finite values (sign, m, e), rounded. `zeroNeg` is the sign of an exact zero sum. */
function roundSum(an: boolean, am: bigint, ae: number, bn: boolean, bm: bigint, be: number,
  single: boolean, fpscr: number): void {
  let e: number;
  if (am === 0n) e = be;
  else if (bm === 0n) e = ae;
  else e = ae < be ? ae : be;
  const a = am << BigInt(ae - e < 0 ? 0 : ae - e);
  const b = bm << BigInt(be - e < 0 ? 0 : be - e);
  let sum = (an ? -a : a) + (bn ? -b : b);
  if (sum === 0n) {
    // Exact zero: the common sign of two zeros of the same sign, else +0 (-0 when rounding toward -inf).
    zeroResult(am === 0n && bm === 0n && an === bn ? an : (fpscr & 3) === 3);
    return;
  }
  const neg = sum < 0n;
  if (neg) sum = -sum;
  roundExact(neg, sum, e, false, single, fpscr);
}

// ---- add, subtract ----

/** fadd/fsub(s): frA + frB, or frA - frB when `sub`. */
export function add(s: FpState, ra: number, rb: number, sub: boolean, single: boolean): void {
  const f = s.fpscr;
  const x = s.fpr[ra];
  const y = sub ? -s.fpr[rb] : s.fpr[rb];
  const r = x + y;
  if (r - r === 0) {
    if (r !== 0) {
      const bb = r - x;
      fin[0] = r;
      fin[1] = (x - (r - bb)) + (y - bb);
      if (single ? finishS(f) : finishD(f)) return;
    } else {
      // Sums of doubles are exact near zero, so this zero is exact; JS gives
      // the IEEE sign for RN, RZ and RP; toward -inf a cancellation is -0.
      const v = (f & 3) === 3 ? -(-x + -y) : r;
      zeroResult(1 / v < 0);
      return;
    }
  }
  addBits(regHi(s, ra), regLo(s, ra), regHi(s, rb), regLo(s, rb), sub, single, f);
}

export function addBits(ahi: number, alo: number, bhi: number, blo: number, sub: boolean, single: boolean, f: number): void {
  const a = unpack(ua, ahi, alo);
  const b = unpack(ub, bhi, blo);
  if (isNaN_(a) || isNaN_(b)) {
    const exc = a.kind === Kind.SNaN || b.kind === Kind.SNaN ? Fpscr.VXSNAN : 0;
    nanResult(isNaN_(a) ? a : b, exc, single, f);
    return;
  }
  const bneg = b.neg !== sub;
  if (a.kind === Kind.Inf) {
    if (b.kind === Kind.Inf && a.neg !== bneg) invalidResult(Fpscr.VXISI, f);
    else infResult(a.neg);
    return;
  }
  if (b.kind === Kind.Inf) {
    infResult(bneg);
    return;
  }
  roundSum(a.neg, a.m, a.e, bneg, b.m, b.e, single, f);
}

// ---- multiply ----

/** fmul(s): frA * frC. */
export function mul(s: FpState, ra: number, rc: number, single: boolean): void {
  const f = s.fpscr;
  const x = s.fpr[ra];
  const y = s.fpr[rc];
  const p = x * y;
  const ap = p < 0 ? -p : p;
  if (ap >= TWO_M968 && ap < TWO_1023) {
    const ax = x < 0 ? -x : x;
    const ay = y < 0 ? -y : y;
    if (ax >= TWO_M1022 && ax <= TWO_995 && ay >= TWO_M1022 && ay <= TWO_995) {
      prod[0] = x;
      prod[1] = y;
      prod[2] = p;
      twoProd();
      fin[0] = p;
      fin[1] = prod[3];
      if (single ? finishS(f) : finishD(f)) return;
    }
  } else if (p === 0 && (x === 0 || y === 0)) {
    zeroResult(1 / p < 0);
    return;
  }
  mulBits(regHi(s, ra), regLo(s, ra), regHi(s, rc), regLo(s, rc), single, f);
}

export function mulBits(ahi: number, alo: number, chi: number, clo: number, single: boolean, f: number): void {
  const a = unpack(ua, ahi, alo);
  const c = unpack(uc, chi, clo);
  if (isNaN_(a) || isNaN_(c)) {
    const exc = a.kind === Kind.SNaN || c.kind === Kind.SNaN ? Fpscr.VXSNAN : 0;
    nanResult(isNaN_(a) ? a : c, exc, single, f);
    return;
  }
  const neg = a.neg !== c.neg;
  if (a.kind === Kind.Inf || c.kind === Kind.Inf) {
    if (a.kind === Kind.Zero || c.kind === Kind.Zero) invalidResult(Fpscr.VXIMZ, f);
    else infResult(neg);
    return;
  }
  if (a.kind === Kind.Zero || c.kind === Kind.Zero) {
    zeroResult(neg);
    return;
  }
  roundExact(neg, a.m * c.m, a.e + c.e, false, single, f);
}

// ---- divide ----

/** fdiv(s): frA / frB. */
export function div(s: FpState, ra: number, rb: number, single: boolean): void {
  const f = s.fpscr;
  fin[0] = s.fpr[ra];
  fin[1] = s.fpr[rb];
  if (divValues(single, f)) return;
  divBits(regHi(s, ra), regLo(s, ra), regHi(s, rb), regLo(s, rb), single, f);
}

/** The fast path of x / y (x, y in fin[0], fin[1]); false if the exact path must decide. */
export function divValues(single: boolean, f: number): boolean {
  const x = fin[0], y = fin[1];
  const q = x / y;
  const aq = q < 0 ? -q : q;
  if (aq >= TWO_M1021 && aq <= TWO_995) {
    const ax = x < 0 ? -x : x;
    const ay = y < 0 ? -y : y;
    if (ax >= TWO_M968 && ax < TWO_1022 && ay >= TWO_M1022 && ay <= TWO_995) {
      // The remainder x - q*y is a double, and exactly (x - ph) - pl.
      const ph = q * y;
      prod[0] = q;
      prod[1] = y;
      prod[2] = ph;
      twoProd();
      const rem = (x - ph) - prod[3];
      fin[0] = q;
      fin[1] = rem === 0 ? 0 : (rem > 0) === (y > 0) ? 1 : -1;
      return single ? finishS(f) : finishD(f);
    }
  } else if (q === 0 && x === 0) {
    zeroResult(1 / q < 0);
    return true;
  }
  return false;
}

export function divBits(ahi: number, alo: number, bhi: number, blo: number, single: boolean, f: number): void {
  const a = unpack(ua, ahi, alo);
  const b = unpack(ub, bhi, blo);
  if (isNaN_(a) || isNaN_(b)) {
    const exc = a.kind === Kind.SNaN || b.kind === Kind.SNaN ? Fpscr.VXSNAN : 0;
    nanResult(isNaN_(a) ? a : b, exc, single, f);
    return;
  }
  const neg = a.neg !== b.neg;
  if (a.kind === Kind.Inf) {
    if (b.kind === Kind.Inf) invalidResult(Fpscr.VXIDI, f);
    else infResult(neg);
    return;
  }
  if (b.kind === Kind.Inf) {
    zeroResult(neg);
    return;
  }
  if (b.kind === Kind.Zero) {
    if (a.kind === Kind.Zero) {
      invalidResult(Fpscr.VXZDZ, f);
    } else if ((f & Fpscr.ZE) !== 0) {
      setSuppressed(Fpscr.ZX);
    } else {
      infResult(neg);
      R.exc = Fpscr.ZX;
    }
    return;
  }
  if (a.kind === Kind.Zero) {
    zeroResult(neg);
    return;
  }
  // Enough quotient bits for any rounding (p + 2 and more), the remainder as sticky.
  const k = 60 + bitLength(b.m) - bitLength(a.m);
  const num = a.m << BigInt(k < 0 ? 0 : k);
  const q = num / b.m;
  roundExact(neg, q, a.e - b.e - (k < 0 ? 0 : k), q * b.m !== num, single, f);
}

// ---- fused multiply-add ----

/**
 * fmadd family: frA * frC + frB, rounded once; `subB` negates frB (fmsub),
 * `negR` negates the rounded result (fnmadd, fnmsub; NaN results keep their sign).
 */
export function fma(s: FpState, ra: number, rc: number, rb: number, subB: boolean, negR: boolean, single: boolean): void {
  const f = s.fpscr;
  prod[0] = s.fpr[ra];
  prod[1] = s.fpr[rc];
  fin[0] = subB ? -s.fpr[rb] : s.fpr[rb];
  if (!fmaValues(single, f)) {
    fmaBits(regHi(s, ra), regLo(s, ra), regHi(s, rc), regLo(s, rc), regHi(s, rb), regLo(s, rb), subB, single, f);
  }
  if (negR && R.write && !R.isBits) {
    R.val = -R.val;
    R.fprf = negatedClass(R.fprf);
  }
}

/**
 * Fast x*y + z: Dekker's product gives x*y = ph + pl exactly, TwoSum gives
 * z + ph = th + tl, and RN(th + RO(tl + pl)), with RO rounding to odd, is
 * RN(x*y + z) (Boldo and Melquiond, "Emulation of FMA and correctly rounded
 * sums: proved algorithms using rounding to odd", IEEE TC 2008). The error
 * of that sum, kept exactly in three pieces, gives the sign the finishers need.
 */
export function fmaValues(single: boolean, f: number): boolean {
  const x = prod[0], y = prod[1], z = fin[0];
  const p = x * y;
  const ap = p < 0 ? -p : p;
  const az = z < 0 ? -z : z;
  if (ap >= TWO_M968 && ap < TWO_1020 && az < TWO_1020) {
    const ax = x < 0 ? -x : x;
    const ay = y < 0 ? -y : y;
    if (!(ax >= TWO_M1022 && ax <= TWO_995 && ay >= TWO_M1022 && ay <= TWO_995)) return false;
    prod[2] = p;
    twoProd();
    const pl = prod[3];
    const th = z + p;
    let bb = th - z;
    const tl = (z - (th - bb)) + (p - bb);
    const u = tl + pl;
    bb = u - tl;
    const ue = (tl - (u - bb)) + (pl - bb);
    // v = u rounded to odd: the neighbour toward the exact sum when u is inexact and even
    scratchF64[0] = u;
    if (ue !== 0 && (scratchU32[0] & 1) === 0) stepScratch((ue > 0) === (u > 0) ? 1 : -1);
    const v = scratchF64[0];
    const r = th + v;
    if (r === 0 || r - r !== 0) return false;
    bb = r - th;
    const e1 = (th - (r - bb)) + (v - bb);
    fin[0] = r;
    fin[1] = e1 + ((u - v) + ue);
    return single ? finishS(f) : finishD(f);
  }
  if (p === 0 && (x === 0 || y === 0) && az <= Number.MAX_VALUE) {
    // An exactly zero product: the result is z, or a signed zero.
    const r = p + z;
    if (r !== 0) {
      fin[0] = r;
      fin[1] = 0;
      return single ? finishS(f) : finishD(f);
    }
    const v = (f & 3) === 3 ? -(-p + -z) : r;
    zeroResult(1 / v < 0);
    return true;
  }
  return false;
}

/** The FPRF class of the negated value. */
function negatedClass(c: number): number {
  switch (c) {
    case Fprf.PZERO: return Fprf.NZERO;
    case Fprf.NZERO: return Fprf.PZERO;
    case Fprf.PDEN: return Fprf.NDEN;
    case Fprf.NDEN: return Fprf.PDEN;
    case Fprf.PNORM: return Fprf.NNORM;
    case Fprf.NNORM: return Fprf.PNORM;
    case Fprf.PINF: return Fprf.NINF;
    case Fprf.NINF: return Fprf.PINF;
    default: return c;
  }
}

export function fmaBits(ahi: number, alo: number, chi: number, clo: number, bhi: number, blo: number,
  subB: boolean, single: boolean, f: number): void {
  const a = unpack(ua, ahi, alo);
  const c = unpack(uc, chi, clo);
  const b = unpack(ub, bhi, blo);
  const imz = (a.kind === Kind.Inf && c.kind === Kind.Zero) || (a.kind === Kind.Zero && c.kind === Kind.Inf);
  if (isNaN_(a) || isNaN_(b) || isNaN_(c)) {
    // VXIMZ is signalled even when frB is a NaN (inf * 0 + QNaN), as on QEMU.
    let exc = a.kind === Kind.SNaN || b.kind === Kind.SNaN || c.kind === Kind.SNaN ? Fpscr.VXSNAN : 0;
    if (imz) exc |= Fpscr.VXIMZ;
    nanResult(isNaN_(a) ? a : isNaN_(b) ? b : c, exc, single, f);
    return;
  }
  if (imz) {
    invalidResult(Fpscr.VXIMZ, f);
    return;
  }
  const pneg = a.neg !== c.neg;
  const bneg = b.neg !== subB;
  if (a.kind === Kind.Inf || c.kind === Kind.Inf) {
    if (b.kind === Kind.Inf && bneg !== pneg) invalidResult(Fpscr.VXISI, f);
    else infResult(pneg);
    return;
  }
  if (b.kind === Kind.Inf) {
    infResult(bneg);
    return;
  }
  roundSum(pneg, a.m * c.m, a.e + c.e, bneg, b.m, b.e, single, f);
}

// ---- round to single ----

/** frsp: Book I Appendix A.1. */
export function frsp(s: FpState, rb: number): void {
  const f = s.fpscr;
  const x = s.fpr[rb];
  if (x === 0) {
    zeroResult(1 / x < 0);
    return;
  }
  fin[0] = x;
  fin[1] = 0;
  if (finishS(f)) return;
  const b = unpack(ub, regHi(s, rb), regLo(s, rb));
  if (isNaN_(b)) {
    nanResult(b, b.kind === Kind.SNaN ? Fpscr.VXSNAN : 0, true, f);
    return;
  }
  if (b.kind === Kind.Inf) {
    infResult(b.neg);
    return;
  }
  roundExact(b.neg, b.m, b.e, false, true, f);
}

// ---- convert to integer word ----

/**
 * fctiw, fctiwz (Book I Appendix A.2): the low word of the result is the
 * integer; the high word is undefined by the ISA, and here is what QEMU puts
 * there: the sign extension of the integer, except 0 for a NaN operand.
 * FPRF is undefined: unchanged for a valid conversion, "QNaN" for an invalid
 * one with VE = 0 (QEMU's choices as well).
 */
export function fctiw(s: FpState, rb: number, toZero: boolean): void {
  const f = s.fpscr;
  const x = s.fpr[rb];
  const rn = toZero ? 1 : f & 3;
  if (x !== x) {
    const snan = (regHi(s, rb) & 0x00080000) === 0;
    convertInvalid(0, 0x80000000, Fpscr.VXCVI | (snan ? Fpscr.VXSNAN : 0), f);
    return;
  }
  let r: number;
  if (x >= 4503599627370496 || x <= -4503599627370496) {
    r = x; // an integer already (or an infinity)
  } else {
    const t = Math.floor(x);
    const d = x - t; // exact, in [0, 1)
    switch (rn) {
      case 0: r = d > 0.5 || (d === 0.5 && t % 2 !== 0) ? t + 1 : t; break;
      case 1: r = x < 0 ? Math.ceil(x) : t; break;
      case 2: r = d !== 0 ? t + 1 : t; break;
      default: r = t; break;
    }
  }
  if (r > 2147483647) {
    convertInvalid(0, 0x7fffffff, Fpscr.VXCVI, f);
    return;
  }
  if (r < -2147483648) {
    convertInvalid(0xffffffff, 0x80000000, Fpscr.VXCVI, f);
    return;
  }
  const inexact = r !== x;
  R.hi = r < 0 ? 0xffffffff : 0;
  R.lo = r | 0;
  R.isBits = true;
  R.write = true;
  R.exc = inexact ? Fpscr.XX : 0;
  R.frfi = inexact ? Fpscr.FI | ((r < 0 ? -r : r) > (x < 0 ? -x : x) ? Fpscr.FR : 0) : 0;
  R.fprf = -1;
}

function convertInvalid(hi: number, lo: number, exc: number, f: number): void {
  if ((f & Fpscr.VE) !== 0) {
    setSuppressed(exc);
    return;
  }
  setBits(hi, lo, exc, Fprf.QNAN);
}

// ---- estimates ----

/**
 * fres: the single-precision reciprocal estimate. The ISA allows any value
 * within 1/256 of 1/x (and leaves FR, FI, XX undefined); like QEMU we give
 * the correctly rounded 1/x, i.e. exactly fdivs(1.0, frB), including the
 * architected specials (+-0 -> +-inf with ZX, +-inf -> +-0, NaN propagation).
 */
export function fres(s: FpState, rb: number): void {
  const f = s.fpscr;
  fin[0] = 1;
  fin[1] = s.fpr[rb];
  if (divValues(true, f)) return;
  divBits(0x3ff00000, 0, regHi(s, rb), regLo(s, rb), true, f);
}

const TWO_M900 = 2 ** -900;
const TWO_1000 = 2 ** 1000;

/** Set by roundedSqrt: whether the square root was inexact. */
let sqrtInexact = false;

/** sqrt(x) for finite x > 0, rounded to double in mode rn (the remainder x - s*s gives the direction). */
function roundedSqrt(x: number, rn: number): number {
  let scale = 1;
  if (x < TWO_M900) {
    x *= 2 ** 200;
    scale = 2 ** -100;
  } else if (x >= TWO_1000) {
    x *= 2 ** -200;
    scale = 2 ** 100;
  }
  const r = Math.sqrt(x);
  const pp = r * r;
  prod[0] = r;
  prod[1] = r;
  prod[2] = pp;
  twoProd();
  const rem = (x - pp) - prod[3];
  sqrtInexact = rem !== 0;
  scratchF64[0] = r;
  if ((rn === 1 || rn === 3) && rem < 0) stepScratch(-1);
  else if (rn === 2 && rem > 0) stepScratch(1);
  return scratchF64[0] * scale;
}

/**
 * frsqrte: the reciprocal square root estimate, double precision. The ISA
 * allows any value within 1/32 of 1/sqrt(x) and leaves FR, FI, XX undefined;
 * like QEMU we give 1/(sqrt(x)), each step rounded in the current mode, with
 * FI and XX if either step was inexact, FR from the division.
 */
export function frsqrte(s: FpState, rb: number): void {
  const f = s.fpscr;
  const x = s.fpr[rb];
  if (x > 0 && x < Infinity) {
    const sq = roundedSqrt(x, f & 3);
    // 1/sq is always in the fast range (sq is in [2^-537, 2^512]); the exact path is only a safety net.
    fin[0] = 1;
    fin[1] = sq;
    if (!divValues(false, f)) divBits(0x3ff00000, 0, bitsHi(sq), bitsLo(sq), false, f);
    if (sqrtInexact) {
      R.exc |= Fpscr.XX;
      R.frfi |= Fpscr.FI;
    }
    return;
  }
  const b = unpack(ub, regHi(s, rb), regLo(s, rb));
  if (isNaN_(b)) {
    nanResult(b, b.kind === Kind.SNaN ? Fpscr.VXSNAN : 0, false, f);
  } else if (b.kind === Kind.Zero) {
    if ((f & Fpscr.ZE) !== 0) {
      setSuppressed(Fpscr.ZX);
    } else {
      infResult(b.neg);
      R.exc = Fpscr.ZX;
    }
  } else if (b.neg) {
    invalidResult(Fpscr.VXSQRT, f);
  } else {
    zeroResult(false); // 1/sqrt(+inf)
  }
}

// ---- compare ----

/**
 * fcmpu/fcmpo: the condition code (8 <, 4 >, 2 =, 1 unordered) and, in
 * `cmpExc`, the invalid-operation bits: VXSNAN for a signaling NaN; for the
 * ordered compare also VXVC for a quiet NaN, or for a signaling NaN when VE = 0.
 */
export let cmpExc = 0;
export function compare(s: FpState, ra: number, rb: number, ordered: boolean): number {
  const x = s.fpr[ra];
  const y = s.fpr[rb];
  if (x < y) { cmpExc = 0; return 8; }
  if (x > y) { cmpExc = 0; return 4; }
  if (x === y) { cmpExc = 0; return 2; }
  const snan = isSnanBits(regHi(s, ra), regLo(s, ra)) || isSnanBits(regHi(s, rb), regLo(s, rb));
  let exc = snan ? Fpscr.VXSNAN : 0;
  if (ordered && (!snan || (s.fpscr & Fpscr.VE) === 0)) exc |= Fpscr.VXVC;
  cmpExc = exc;
  return 1;
}

function isSnanBits(hi: number, lo: number): boolean {
  return (hi & 0x7ff80000) === 0x7ff00000 && ((hi & 0x7ffff) | lo) !== 0;
}
