// Rounding: the exact core and the fast finishers.
//
// Every arithmetic result is "the exact result, rounded once" (Book I 4.3.6),
// to double or to single precision, in the mode FPSCR[RN], with the IEEE
// flags the FPSCR records: FI (inexact), FR (the fraction was incremented,
// i.e. the rounded magnitude exceeds the exact one), XX, OX, UX (tininess
// detected before rounding), and the exponent adjustment of enabled
// overflow/underflow (Book I 4.4.4, 4.4.5).
//
// Two ways in:
//  - roundExact(): the exact value as sign * m * 2^e (m a BigInt) plus a
//    sticky bit for anything below m's last bit. Handles every case; slow.
//  - finishD()/finishS(): the value as s = RN(exact) (a double, which plain JS
//    arithmetic gives for + - * /) and `err`, any number with the sign of
//    exact - s (0 iff s is exact), which error-free transformations give
//    cheaply (TwoSum, Dekker's product, the division remainder). They handle
//    all four modes in the common range and return false for the edges
//    (overflow, tiny results, zeros they cannot sign), where the caller falls
//    back to roundExact().
//
// Why (s, err) suffices. For a double target, RN is s itself; a directed mode
// rounds to s or its neighbour on the exact value's side. For a single
// target, the grid points and midpoints of single precision are doubles, so
// no such point lies strictly between the exact value and s = RN(exact); the
// single rounding is decided by s's low 29 bits, with err breaking ties and
// the case where s is itself a single-precision number.

import { classD, classS, Fpscr, Fprf } from './fpscr.js';
import { R, scratchF64, scratchU32 } from './result.js';

const MIN_NORMAL_D = 2 ** -1022;
const MAX_D = Number.MAX_VALUE;
const MAX_S = (2 - 2 ** -23) * 2 ** 127;
const TWO_M1021 = 2 ** -1021;
const TWO_1023 = 2 ** 1023;
const TWO_M125 = 2 ** -125;
const TWO_127 = 2 ** 127;

// Doubles cross function boundaries through these arrays, not as arguments
// or return values: a double passed to or returned from a call the JIT does
// not inline is boxed in a new heap number, and the hot path must not allocate.

/** The finishers' inputs: fin[0] = s = RN(exact), fin[1] = a number with the sign of exact - s. */
export const fin = new Float64Array(2);
/** Dekker's product: prod[0] * prod[1], rounded to prod[2], has the exact error prod[3]. */
export const prod = new Float64Array(4);

/** scratchF64[0] moved one unit in the last place away from zero (+1) or toward zero (-1), by its bits. */
export function stepScratch(dir: number): void {
  const lo = scratchU32[0];
  scratchU32[0] = lo + dir;
  if (dir > 0 ? lo === 0xffffffff : lo === 0) scratchU32[1] += dir;
}

/**
 * Double-precision result from fin[0] = s = RN(exact) and fin[1], the sign
 * of exact - s. Returns false (nothing set) when the slow path must decide.
 */
export function finishD(fpscr: number): boolean {
  const s = fin[0];
  const err = fin[1];
  const a = s < 0 ? -s : s;
  if (err === 0) {
    // Exact. A tiny exact result is an underflow only when UE = 1 (then scaled).
    if (a < MIN_NORMAL_D && a !== 0 && (fpscr & Fpscr.UE) !== 0) return false;
    R.val = s;
    R.isBits = false;
    R.write = true;
    R.exc = 0;
    R.frfi = 0;
    R.fprf = classD(s);
    return true;
  }
  // Inexact: stay clear of tiny results and of overflow in the directed modes.
  if (!(a >= TWO_M1021 && a < TWO_1023)) return false;
  const below = (err < 0) === (s > 0); // |exact| < |s|
  let fr = 0;
  scratchF64[0] = s;
  switch (fpscr & 3) {
    case 0: fr = below ? Fpscr.FR : 0; break;
    case 1: if (below) stepScratch(-1); break;
    case 2:
      if (err > 0) stepScratch(s > 0 ? 1 : -1);
      fr = scratchF64[0] > 0 ? Fpscr.FR : 0;
      break;
    default:
      if (err < 0) stepScratch(s < 0 ? 1 : -1);
      fr = scratchF64[0] < 0 ? Fpscr.FR : 0;
      break;
  }
  R.val = scratchF64[0];
  R.isBits = false;
  R.write = true;
  R.exc = Fpscr.XX;
  R.frfi = Fpscr.FI | fr;
  R.fprf = s > 0 ? Fprf.PNORM : Fprf.NNORM;
  return true;
}

/**
 * Single-precision result from fin[0] = s = RN_double(exact) and fin[1], the
 * sign of exact - s. Returns false when the slow path must decide (zero,
 * tiny, near overflow).
 */
export function finishS(fpscr: number): boolean {
  const s = fin[0];
  const err = fin[1];
  const a = s < 0 ? -s : s;
  if (!(a >= TWO_M125 && a < TWO_127)) return false;
  scratchF64[0] = s;
  let lo = scratchU32[0];
  const d = lo & 0x1fffffff; // the bits below single precision
  if (d === 0 && err === 0) {
    R.val = s;
    R.isBits = false;
    R.write = true;
    R.exc = 0;
    R.frfi = 0;
    R.fprf = s > 0 ? Fprf.PNORM : Fprf.NNORM;
    return true;
  }
  // em: +1 if |exact| > |s|, -1 if smaller, 0 if equal.
  const em = err === 0 ? 0 : (err > 0) === (s > 0) ? 1 : -1;
  const rn = fpscr & 3;
  const away = rn === 2 ? s > 0 : rn === 3 ? s < 0 : false; // directed away from zero
  let up: boolean;
  lo &= 0xe0000000; // truncated magnitude T
  if (d === 0) {
    // s is a single; the exact value is a hair beyond it (em > 0) or below it
    // (em < 0: then the truncation is T - ulp and the rest is nearly a whole ulp).
    if (em > 0) {
      up = away;
    } else {
      // truncate to T - ulp, then round up to T except when rounding toward zero
      up = rn === 0 || away;
      if (!up) {
        if (lo === 0) scratchU32[1] -= 1;
        lo = (lo - 0x20000000) >>> 0;
      }
      scratchU32[0] = lo;
      const r = scratchF64[0];
      R.val = r;
      R.isBits = false;
      R.write = true;
      R.exc = Fpscr.XX;
      R.frfi = Fpscr.FI | (up ? Fpscr.FR : 0);
      R.fprf = s > 0 ? Fprf.PNORM : Fprf.NNORM;
      return true;
    }
  } else if (rn === 0) {
    up = d > 0x10000000 || (d === 0x10000000 && (em > 0 || (em === 0 && (lo & 0x20000000) !== 0)));
  } else {
    up = away;
  }
  if (up) {
    lo = (lo + 0x20000000) >>> 0;
    if (lo === 0) scratchU32[1] += 1;
  }
  scratchU32[0] = lo;
  R.val = scratchF64[0];
  R.isBits = false;
  R.write = true;
  R.exc = Fpscr.XX;
  R.frfi = Fpscr.FI | (up ? Fpscr.FR : 0);
  R.fprf = s > 0 ? Fprf.PNORM : Fprf.NNORM;
  return true;
}

// ---- the exact core ----

/** v * 2^k, exact whenever the result is representable. */
export function ldexp(v: number, k: number): number {
  if (k > 1023) {
    v *= 2 ** 1023;
    k -= 1023;
    if (k > 1023) return v * Infinity;
    return v * 2 ** k;
  }
  if (k < -1022) {
    // two steps, the first one keeping v normal, so that only the last can round
    v *= 2 ** (k + 600);
    return v * 2 ** -600;
  }
  return v * 2 ** k;
}

/** Number of significant bits of m > 0. */
export function bitLength(m: bigint): number {
  const h = m.toString(16);
  return (h.length - 1) * 4 + (32 - Math.clz32(parseInt(h[0], 16)));
}

/**
 * Round the exact value (neg ? -1 : 1) * (m + sticky') * 2^e, where sticky
 * says there is something non-zero below m's last bit, to double or single
 * precision in the FPSCR's mode, and set R with the value and flags.
 * An exact zero (m = 0, no sticky) gives a zero with the given sign; callers
 * give enough bits that sticky never comes with m = 0.
 */
export function roundExact(neg: boolean, m: bigint, e: number, sticky: boolean, single: boolean, fpscr: number): void {
  R.isBits = false;
  R.write = true;
  if (m === 0n && !sticky) {
    R.val = neg ? -0 : 0;
    R.exc = 0;
    R.frfi = 0;
    R.fprf = neg ? Fprf.NZERO : Fprf.PZERO;
    return;
  }
  const p = single ? 24 : 53;
  const emin = single ? -126 : -1022;
  const emax = single ? 127 : 1023;
  const adjust = single ? 192 : 1536;
  const rn = fpscr & 3;
  const top = e + bitLength(m) - 1; // exponent of the leading bit
  const tiny = top < emin;
  const ue = (fpscr & Fpscr.UE) !== 0;
  let lsb = tiny && !ue ? emin - p + 1 : top - p + 1;
  const shift = lsb - e;
  let q: bigint;
  // rest: 0 exact, 1 below half an ulp, 2 exactly half, 3 above half
  let rest: number;
  if (shift <= 0) {
    q = m << BigInt(-shift);
    rest = sticky ? 1 : 0;
  } else {
    const sh = BigInt(shift);
    q = m >> sh;
    const r = m - (q << sh);
    const half = 1n << (sh - 1n);
    if (r === 0n) rest = sticky ? 1 : 0;
    else if (r < half) rest = 1;
    else if (r === half) rest = sticky ? 3 : 2;
    else rest = 3;
  }
  let up = false;
  if (rest !== 0) {
    if (rn === 0) up = rest === 3 || (rest === 2 && (q & 1n) === 1n);
    else if (rn === 2) up = !neg;
    else if (rn === 3) up = neg;
  }
  if (up) {
    q += 1n;
    if (q === 1n << BigInt(p)) {
      q >>= 1n;
      lsb += 1;
    }
  }
  let exc = rest !== 0 ? Fpscr.XX : 0;
  const frfi = (rest !== 0 ? Fpscr.FI : 0) | (up ? Fpscr.FR : 0);
  let scaled = false;
  if (!tiny && lsb + p - 1 > emax) {
    exc |= Fpscr.OX;
    if ((fpscr & Fpscr.OE) !== 0) {
      lsb -= adjust;
      scaled = true;
    } else {
      // Disabled overflow: XX and FI set, FR undefined (0, as QEMU); the
      // result is infinity or the format's largest number, by the mode.
      const toInf = rn === 0 || (rn === 2 && !neg) || (rn === 3 && neg);
      const v = toInf ? Infinity : single ? MAX_S : MAX_D;
      R.val = neg ? -v : v;
      R.exc = exc | Fpscr.XX;
      R.frfi = Fpscr.FI;
      R.fprf = toInf ? (neg ? Fprf.NINF : Fprf.PINF) : neg ? Fprf.NNORM : Fprf.PNORM;
      return;
    }
  } else if (tiny) {
    if (ue) {
      exc |= Fpscr.UX;
      lsb += adjust;
      scaled = true;
    } else if (rest !== 0) {
      exc |= Fpscr.UX;
    }
  }
  const mag = ldexp(Number(q), lsb);
  const v = neg ? -mag : mag;
  R.val = v;
  R.exc = exc;
  R.frfi = frfi;
  // An adjusted result is a normal number by definition (Book I 4.4.4, 4.4.5),
  // even where single-precision arithmetic on double operands leaves it outside the single range.
  R.fprf = scaled ? (neg ? Fprf.NNORM : Fprf.PNORM) : single ? classS(v) : classD(v);
}

/** Dekker's product: prod[3] = x*y - p exactly (x, y, p = fl(x*y) in prod[0..2], in the range the callers check). */
export function twoProd(): void {
  const x = prod[0], y = prod[1], p = prod[2];
  let t = 134217729 * x; // 2^27 + 1
  const xh = t - (t - x);
  const xl = x - xh;
  t = 134217729 * y;
  const yh = t - (t - y);
  const yl = y - yh;
  prod[3] = ((xh * yh - p) + xh * yl + xl * yh) + xl * yl;
}
