// The FPU's rounding core (src/core/fpu: the fast paths and the exact path
// together, as the instructions use them) against an independent exact
// reference (test/support/fpref.ts: BigInt rationals), over random and edge
// operands, in all four rounding modes, for double and single results, with
// the overflow/underflow enables off and on. Checked: the result's bits, FI,
// FR, XX, OX, UX and FPRF.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, div, fctiw, fma, frsp, mul, type FpState } from '../src/core/fpu/ops.js';
import { R } from '../src/core/fpu/result.js';
import * as ref from './support/fpref.js';

const XX = 0x02000000, OX = 0x10000000, UX = 0x08000000, FR = 0x00040000, FI = 0x00020000;
const OE = 0x40, UE = 0x20, VXCVI = 0x100;

const buf = new ArrayBuffer(256);
const st: FpState = { fpr: new Float64Array(buf), fprw: new Uint32Array(buf), fpscr: 0 };

function setReg(r: number, bits: bigint): void {
  st.fprw[2 * r + 1] = Number(bits >> 32n);
  st.fprw[2 * r] = Number(bits & 0xffffffffn);
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const bitsOf = (v: number): bigint => { f64[0] = v; return u64[0]; };
const valOf = (b: bigint): number => { u64[0] = b; return f64[0]; };
const hex = (b: bigint | null) => (b === null ? 'none' : b.toString(16).padStart(16, '0'));

/** The outcome R holds, as bits and FPSCR pieces. */
function outcome(): { bits: bigint; exc: number; frfi: number; fprf: number } {
  assert.ok(R.write, 'a finite operation always writes its target');
  const bits = R.isBits ? (BigInt(R.hi >>> 0) << 32n) | BigInt(R.lo >>> 0) : bitsOf(R.val);
  return { bits, exc: R.exc, frfi: R.frfi, fprf: R.fprf };
}

function expectRounded(what: string, want: ref.Rounded, negate = false): boolean {
  if (want.bits === null) return false; // undefined by the ISA (a single result outside double range)
  const got = outcome();
  let bits = want.bits;
  let fprf = want.fprf;
  if (negate) {
    bits ^= 1n << 63n;
    fprf = fprf === 0x02 ? 0x12 : fprf === 0x12 ? 0x02 : (fprf & 0x10) | ((fprf & 0x08) >> 1) | ((fprf & 0x04) << 1) | (fprf & 1);
  }
  const exc = (want.xx ? XX : 0) | (want.ox ? OX : 0) | (want.ux ? UX : 0);
  const frfi = (want.fi ? FI : 0) | (want.fr ? FR : 0);
  const ok = got.bits === bits && got.exc === exc && got.frfi === frfi && got.fprf === fprf;
  if (!ok) {
    assert.fail(`${what}: got ${hex(got.bits)} exc ${got.exc.toString(16)} frfi ${got.frfi.toString(16)} fprf ${got.fprf.toString(16)}`
      + `, want ${hex(bits)} exc ${exc.toString(16)} frfi ${frfi.toString(16)} fprf ${fprf.toString(16)}`);
  }
  return true;
}

// ---- operands ----

let seed = 0x2545f491;
function rnd32(): number {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed;
}
const rnd = (n: number) => rnd32() % n;

const EDGES: bigint[] = [
  0x0000000000000000n, 0x8000000000000000n, 0x0000000000000001n, 0x000fffffffffffffn, 0x0010000000000000n,
  0x0010000000000001n, 0x3ff0000000000000n, 0x3ff0000000000001n, 0x3fefffffffffffffn, 0x3ca0000000000000n,
  0x3cb0000000000000n, 0x0170000000000000n, 0x7fefffffffffffffn, 0x7fe0000000000000n, 0x4008000000000000n,
  0x3fd5555555555555n, 0x4340000000000000n, 0x36a0000000000000n, 0x3690000000000000n, 0x3810000000000000n,
  0x380fffffc0000000n, 0x47efffffe0000000n, 0x47effffff0000000n, 0x47f0000000000000n, 0x3ff0000010000000n,
  0x3ff0000030000000n, 0x3ff0000010000001n, 0x0000000000000003n, 0x7fdfffffffffffffn, 0x1ff0000000000000n,
];

/** A random double: exponent field in [lo, hi], random or patterned fraction, random sign. */
function randBits(lo: number, hi: number, single = false): bigint {
  const e = BigInt(lo + rnd(hi - lo + 1));
  let f: bigint;
  switch (rnd(6)) {
    case 0: f = 0n; break;
    case 1: f = (1n << 52n) - 1n; break;
    case 2: f = 1n << BigInt(rnd(52)); break;
    default: f = (BigInt(rnd32() & 0xfffff) << 32n) | BigInt(rnd32());
  }
  if (single) f &= ~((1n << 29n) - 1n);
  return (BigInt(rnd(2)) << 63n) | (e << 52n) | f;
}

function edge(): bigint { return EDGES[rnd(EDGES.length)] ^ (BigInt(rnd(2)) << 63n); }

/** Operands: a mix of edges, wide-range, same-range and near values. */
function operand(kind: number, single: boolean, near?: bigint): bigint {
  switch (kind) {
    case 0: return edge();
    case 1: return randBits(1, 2046, single);
    case 2: return randBits(0, 60, single); // denormals and tiny
    case 3: return randBits(1960, 2046, single); // huge
    case 4: return single ? randBits(1023 - 140, 1023 + 127, true) : randBits(1023 - 40, 1023 + 40);
    default: {
      // close to `near`: same magnitude, a few ulps apart, either sign
      const b = near ?? randBits(1000, 1046, single);
      const delta = BigInt(rnd(9)) - 4n;
      return ((b & ~(1n << 63n)) + (single ? delta << 29n : delta)) | (BigInt(rnd(2)) << 63n);
    }
  }
}

function finite(b: bigint): boolean { return ((b >> 52n) & 0x7ffn) !== 0x7ffn; }

const MODES = [0, 1, 2, 3];
const ENABLES = [0, OE | UE];

// ---- tests ----

test('add and subtract round once, with the IEEE flags, in every mode', () => {
  let n = 0;
  for (let k = 0; k < 3000; k++) {
    const single = (k & 1) === 1;
    const a = operand(rnd(6), single && rnd(4) !== 0);
    const b = operand(rnd(6), single && rnd(4) !== 0, a);
    if (!finite(a) || !finite(b)) continue;
    setReg(1, a);
    setReg(2, b);
    for (const sub of [false, true]) for (const rn of MODES) for (const en of ENABLES) {
      st.fpscr = rn | en;
      add(st, 1, 2, sub, single);
      const ra = ref.ratOf(a)!, rb0 = ref.ratOf(b)!;
      const rb = sub ? ref.neg(rb0) : rb0;
      const sum = ref.add(ra, rb);
      // zero sum: the common sign of two like-signed zeros, else -0 only toward -inf
      const aNeg = (a >> 63n) === 1n, bNeg = ((b >> 63n) === 1n) !== sub;
      const zeroNeg = ra.n === 0n && rb.n === 0n && aNeg === bNeg ? aNeg : rn === 3;
      if (expectRounded(`${sub ? 'sub' : 'add'}${single ? 's' : ''} ${hex(a)} ${hex(b)} rn${rn} en${en}`,
        ref.round(sum, zeroNeg, single, rn, (en & OE) !== 0, (en & UE) !== 0))) n++;
    }
  }
  assert.ok(n > 40000, `only ${n} cases checked`);
});

test('multiply rounds once, with the IEEE flags, in every mode', () => {
  let n = 0;
  for (let k = 0; k < 3000; k++) {
    const single = (k & 1) === 1;
    let a: bigint, c: bigint;
    if (rnd(3) === 0) {
      // products near the overflow and underflow thresholds
      const target = rnd(2) === 0 ? 1023 + (single ? 127 : 1023) : 1023 + (single ? -126 : -1022);
      const ea = 1023 - 500 + rnd(1000);
      a = randBits(ea, ea, single);
      const ec = Math.min(2046, Math.max(0, target - ea + 1023 - rnd(3)));
      c = randBits(ec, ec, single);
    } else {
      a = operand(rnd(5), single && rnd(4) !== 0);
      c = operand(rnd(5), single && rnd(4) !== 0);
    }
    if (!finite(a) || !finite(c)) continue;
    setReg(1, a);
    setReg(3, c);
    for (const rn of MODES) for (const en of ENABLES) {
      st.fpscr = rn | en;
      mul(st, 1, 3, single);
      const p = ref.mul(ref.ratOf(a)!, ref.ratOf(c)!);
      if (expectRounded(`mul${single ? 's' : ''} ${hex(a)} ${hex(c)} rn${rn} en${en}`,
        ref.round(p, ((a ^ c) >> 63n) === 1n, single, rn, (en & OE) !== 0, (en & UE) !== 0))) n++;
    }
  }
  assert.ok(n > 20000, `only ${n} cases checked`);
});

test('divide rounds once, with the IEEE flags, in every mode', () => {
  let n = 0;
  for (let k = 0; k < 3000; k++) {
    const single = (k & 1) === 1;
    const a = operand(rnd(5), single && rnd(4) !== 0);
    const b = operand(rnd(5), single && rnd(4) !== 0);
    if (!finite(a) || !finite(b) || (b & ~(1n << 63n)) === 0n) continue;
    setReg(1, a);
    setReg(2, b);
    for (const rn of MODES) for (const en of ENABLES) {
      st.fpscr = rn | en;
      div(st, 1, 2, single);
      const q = ref.div(ref.ratOf(a)!, ref.ratOf(b)!);
      if (expectRounded(`div${single ? 's' : ''} ${hex(a)} ${hex(b)} rn${rn} en${en}`,
        ref.round(q, ((a ^ b) >> 63n) === 1n, single, rn, (en & OE) !== 0, (en & UE) !== 0))) n++;
    }
  }
  assert.ok(n > 20000, `only ${n} cases checked`);
});

test('multiply-add rounds the exact a*c+b once (fused), all four forms, every mode', () => {
  let n = 0;
  for (let k = 0; k < 2500; k++) {
    const single = (k & 1) === 1;
    const a = operand(rnd(5), single && rnd(4) !== 0);
    const c = operand(rnd(5), single && rnd(4) !== 0);
    let b: bigint;
    const kind = rnd(5);
    const pe = Number((a >> 52n) & 0x7ffn) + Number((c >> 52n) & 0x7ffn) - 1023;
    if (kind === 4 && pe > 150 && pe < 1900) {
      // b a little or far above or below the product: the sum's rounding error meets the product's
      const eb = Math.min(2046, Math.max(1, pe + rnd(221) - 110));
      b = randBits(eb, eb, single);
    } else if (kind <= 1) {
      // b = -(a*c) nearly: cancellation down to the product's rounding error
      const p = valOf(a) * valOf(c);
      b = Number.isFinite(p) ? (bitsOf(-p) + BigInt(rnd(5)) - 2n) & ((1n << 64n) - 1n) : operand(1, single);
      if (single && kind === 1) b = bitsOf(Math.fround(valOf(b)));
    } else {
      b = operand(rnd(6), single && rnd(4) !== 0, a);
    }
    if (!finite(a) || !finite(b) || !finite(c)) continue;
    setReg(1, a);
    setReg(2, b);
    setReg(3, c);
    const prod = ref.mul(ref.ratOf(a)!, ref.ratOf(c)!);
    const pNeg = ((a ^ c) >> 63n) === 1n;
    for (const subB of [false, true]) for (const negR of [false, true]) for (const rn of MODES) for (const en of ENABLES) {
      st.fpscr = rn | en;
      fma(st, 1, 3, 2, subB, negR, single);
      const rb = subB ? ref.neg(ref.ratOf(b)!) : ref.ratOf(b)!;
      const bNeg = ((b >> 63n) === 1n) !== subB;
      const zeroNeg = prod.n === 0n && rb.n === 0n && pNeg === bNeg ? pNeg : rn === 3;
      const name = `${negR ? 'fnm' : 'fm'}${subB ? 'sub' : 'add'}${single ? 's' : ''}`;
      if (expectRounded(`${name} ${hex(a)} ${hex(c)} ${hex(b)} rn${rn} en${en}`,
        ref.round(ref.add(prod, rb), zeroNeg, single, rn, (en & OE) !== 0, (en & UE) !== 0), negR)) n++;
    }
  }
  assert.ok(n > 40000, `only ${n} cases checked`);
});

test('frsp rounds to single precision with the Appendix A.1 flags and adjustments', () => {
  let n = 0;
  for (let k = 0; k < 6000; k++) {
    const b = k < EDGES.length * 2 ? EDGES[k >> 1] ^ (BigInt(k & 1) << 63n)
      : rnd(2) === 0 ? operand(rnd(6), false) : randBits(1023 - 160, 1023 + 140);
    if (!finite(b)) continue;
    setReg(2, b);
    for (const rn of MODES) for (const en of ENABLES) {
      st.fpscr = rn | en;
      frsp(st, 2);
      if (expectRounded(`frsp ${hex(b)} rn${rn} en${en}`,
        ref.round(ref.ratOf(b)!, (b >> 63n) === 1n, true, rn, (en & OE) !== 0, (en & UE) !== 0))) n++;
    }
  }
  assert.ok(n > 40000, `only ${n} cases checked`);
});

test('fctiw and fctiwz round to a 32-bit integer, saturating with VXCVI', () => {
  const vals: bigint[] = [];
  for (let i = -6; i <= 6; i++) for (const f of [0, 0.25, 0.5, 0.75]) vals.push(bitsOf(i + f), bitsOf(-(i + f)));
  for (const v of [2147483647, 2147483647.5, 2147483648, -2147483648, -2147483648.5, -2147483649, 4503599627370497, 1e20])
    vals.push(bitsOf(v), bitsOf(-v));
  for (let k = 0; k < 2000; k++) vals.push(randBits(1023 - 60, 1023 + 40));
  let n = 0;
  for (const b of vals) {
    setReg(2, b);
    for (const toZero of [false, true]) for (const rn of MODES) {
      st.fpscr = rn;
      fctiw(st, 2, toZero);
      const want = ref.toInt32(ref.ratOf(b)!, toZero ? 1 : rn);
      const got = { hi: R.hi >>> 0, lo: R.lo >>> 0 };
      const what = `fctiw${toZero ? 'z' : ''} ${hex(b)} rn${rn}`;
      assert.ok(R.write && R.isBits, what);
      if (want === null) {
        assert.equal(R.exc, VXCVI, what);
        assert.equal(R.frfi, 0, what);
        assert.equal(got.lo, (b >> 63n) === 1n ? 0x80000000 : 0x7fffffff, what);
      } else {
        assert.equal(got.lo, Number(BigInt.asUintN(32, want.v)), what);
        assert.equal(got.hi, want.v < 0n ? 0xffffffff : 0, what);
        assert.equal(R.exc, want.inexact ? XX : 0, what);
        assert.equal(R.frfi, (want.inexact ? FI : 0) | (want.inc ? FR : 0), what);
        assert.equal(R.fprf, -1, `${what}: FPRF unchanged`);
      }
      n++;
    }
  }
  assert.ok(n > 10000);
});
