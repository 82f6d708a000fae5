// An independent reference for floating-point rounding: exact rational
// arithmetic on BigInts (value = n / d), rounded to double or single
// precision by the definitions of Power ISA Book I 4.3.6 and 4.4 (no
// shortcuts, no host floating point). Finite operands only.

export interface Rat { n: bigint; d: bigint }

export interface Rounded {
  /** The result as a 64-bit double-format image, or null if it has none (undefined cases). */
  bits: bigint | null;
  xx: boolean;
  fi: boolean;
  fr: boolean;
  ox: boolean;
  ux: boolean;
  /** FPRF class (C FL FG FE FU). */
  fprf: number;
}

const bitlen = (x: bigint): number => (x === 0n ? 0 : x.toString(2).length);

/** The value of a finite double image; null for infinities and NaNs. */
export function ratOf(bits: bigint): Rat | null {
  const e = Number((bits >> 52n) & 0x7ffn);
  const f = bits & ((1n << 52n) - 1n);
  const neg = (bits >> 63n) === 1n;
  if (e === 0x7ff) return null;
  const m = e === 0 ? f : f | (1n << 52n);
  const ex = (e === 0 ? 1 : e) - 1075;
  let n = neg ? -m : m;
  let d = 1n;
  if (ex >= 0) n <<= BigInt(ex);
  else d <<= BigInt(-ex);
  return { n, d };
}

export const isNegZero = (bits: bigint) => bits === 1n << 63n;

export function add(a: Rat, b: Rat): Rat { return { n: a.n * b.d + b.n * a.d, d: a.d * b.d }; }
export function mul(a: Rat, b: Rat): Rat { return { n: a.n * b.n, d: a.d * b.d }; }
export function neg(a: Rat): Rat { return { n: -a.n, d: a.d }; }
export function div(a: Rat, b: Rat): Rat {
  return b.n < 0n ? { n: -a.n * b.d, d: a.d * -b.n } : { n: a.n * b.d, d: a.d * b.n };
}

/** n / d compared with 2^k: -1, 0, 1 (n, d > 0). */
function cmpPow2(n: bigint, d: bigint, k: number): number {
  const l = k >= 0 ? n : n << BigInt(-k);
  const r = k >= 0 ? d << BigInt(k) : d;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** The double image of (neg ? -1 : 1) * i * 2^q, or null if not representable. */
function encode(negative: boolean, i: bigint, q: number): bigint | null {
  const s = negative ? 1n << 63n : 0n;
  if (i === 0n) return s;
  const l = bitlen(i);
  let top = q + l - 1;
  if (top > 1023) return null;
  if (top >= -1022) {
    // normalize to 53 bits
    const sh = 53 - l;
    if (sh < 0) {
      if ((i & ((1n << BigInt(-sh)) - 1n)) !== 0n) return null;
      i >>= BigInt(-sh);
    } else {
      i <<= BigInt(sh);
    }
    top = q + l - 1;
    return s | (BigInt(top + 1023) << 52n) | (i - (1n << 52n));
  }
  // double denormal: i * 2^q must be a multiple of 2^-1074
  if (q < -1074) {
    const sh = BigInt(-1074 - q);
    if ((i & ((1n << sh) - 1n)) !== 0n) return null;
    return s | (i >> sh);
  }
  return s | (i << BigInt(q + 1074));
}

const MAX_D = (1n << 53n) - 1n; // * 2^971
const MAX_S = (1n << 24n) - 1n; // * 2^104

/**
 * Round q (nonzero, or zero with the sign `zeroNeg`) to double or single
 * precision in mode rn (0 nearest-even, 1 zero, 2 +inf, 3 -inf), with the
 * FPSCR enables OE and UE.
 */
export function round(q: Rat, zeroNeg: boolean, single: boolean, rn: number, oe: boolean, ue: boolean): Rounded {
  const p = single ? 24 : 53, emin = single ? -126 : -1022, emax = single ? 127 : 1023, adj = single ? 192 : 1536;
  const out: Rounded = { bits: 0n, xx: false, fi: false, fr: false, ox: false, ux: false, fprf: 0 };
  if (q.n === 0n) {
    out.bits = zeroNeg ? 1n << 63n : 0n;
    out.fprf = zeroNeg ? 0x12 : 0x02;
    return out;
  }
  const negative = q.n < 0n;
  const n = negative ? -q.n : q.n, d = q.d;
  let e = bitlen(n) - bitlen(d); // floor(log2(n/d)) is e or e - 1
  if (cmpPow2(n, d, e) < 0) e -= 1;
  const tiny = e < emin;
  let qe = tiny && !ue ? emin - p + 1 : e - p + 1;
  const num = qe >= 0 ? n : n << BigInt(-qe);
  const den = qe >= 0 ? d << BigInt(qe) : d;
  let i = num / den;
  const r = num - i * den;
  const inexact = r !== 0n;
  let inc = false;
  if (inexact) {
    if (rn === 0) inc = 2n * r > den || (2n * r === den && (i & 1n) === 1n);
    else if (rn === 2) inc = !negative;
    else if (rn === 3) inc = negative;
  }
  if (inc) {
    i += 1n;
    if (i === 1n << BigInt(p)) {
      i >>= 1n;
      qe += 1;
    }
  }
  out.xx = out.fi = inexact;
  out.fr = inc;
  let scaled = false;
  if (!tiny && qe + bitlen(i) - 1 > emax) {
    out.ox = true;
    if (oe) {
      qe -= adj;
      scaled = true;
    } else {
      const toInf = rn === 0 || (rn === 2 && !negative) || (rn === 3 && negative);
      out.xx = out.fi = true;
      out.fr = false;
      out.fprf = toInf ? (negative ? 0x09 : 0x05) : negative ? 0x08 : 0x04;
      out.bits = toInf ? (negative ? 0xfff0000000000000n : 0x7ff0000000000000n)
        : single ? encode(negative, MAX_S, 104) : encode(negative, MAX_D, 971);
      return out;
    }
  } else if (tiny) {
    if (ue) {
      out.ux = true;
      qe += adj;
      scaled = true;
    } else {
      out.ux = inexact;
    }
  }
  out.bits = encode(negative, i, qe);
  if (i === 0n) out.fprf = negative ? 0x12 : 0x02;
  else if (scaled || qe + bitlen(i) - 1 >= emin) out.fprf = negative ? 0x08 : 0x04;
  else out.fprf = negative ? 0x18 : 0x14;
  return out;
}

/** The integer fctiw gives for q in mode rn, or null when it is out of the 32-bit range. */
export function toInt32(q: Rat, rn: number): { v: bigint; inexact: boolean; inc: boolean } | null {
  const negative = q.n < 0n;
  const n = negative ? -q.n : q.n;
  let i = n / q.d;
  const r = n - i * q.d;
  let inc = false;
  if (r !== 0n) {
    if (rn === 0) inc = 2n * r > q.d || (2n * r === q.d && (i & 1n) === 1n);
    else if (rn === 2) inc = !negative;
    else if (rn === 3) inc = negative;
  }
  if (inc) i += 1n;
  const v = negative ? -i : i;
  if (v > 2147483647n || v < -2147483648n) return null;
  return { v, inexact: r !== 0n, inc };
}
