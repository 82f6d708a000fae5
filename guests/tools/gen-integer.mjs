#!/usr/bin/env node
// Generates guests/src/integer.vectors.h: test vectors for the fixed-point
// arithmetic, logical, rotate, shift and compare instructions, computed
// here with BigInt from the Power ISA's definitions (independently of
// tkvm's implementation). guests/src/integer.c runs every vector in every
// form of its instruction (plain, '.', 'o', 'o.') and derives the expected
// XER and CR of each form from the vector, as the architecture says.
//
// Usage: node guests/tools/gen-integer.mjs > guests/src/integer.vectors.h
// (test/guests.test.ts checks that the committed header is up to date).

const M32 = (1n << 32n) - 1n;
const u = (x) => BigInt.asUintN(32, BigInt(x));
const s = (x) => BigInt.asIntN(32, BigInt(x));
const fits = (x) => x >= -(1n << 31n) && x < (1n << 31n);
const rotl = (a, n) => u((a << BigInt(n)) | (a >> BigInt((32 - n) % 32)));
/** MASK(mb, me) with IBM bit numbering (bit 0 = MSB); wraps when mb > me. */
function mask(mb, me) {
  let m = 0n;
  for (let i = mb; ; i = (i + 1) % 32) {
    m |= 1n << BigInt(31 - i);
    if (i === me) break;
  }
  return m;
}

// Kinds (how integer.c runs an op):
//  XO4  binary, forms "", ".", "o", "o."      XO4U unary, same forms
//  RC2  binary, forms "", "."                 RC2U unary, forms "", "."
//  INS2 rlwimi: rA is also an input (b), forms "", "."
//  D1   one form, immediate in the template; rc: the op sets CR0 (addic., andi., andis.)
//  CMP  compare into CR field `crf` (one form)
// Each op: name, kind, mnemonic, operand template (%0 = result, %1 = a, %2 = b),
// the semantics f(a, b, ca) -> { r, ca?, ov?, undef? }, and input domain.

const ops = [];
const op = (name, kind, mn, args, f, extra = {}) => ops.push({ name, kind, mn, args, f, ...extra });

const add3 = (x, y, c) => { // x + y + c with carry and signed overflow
  const full = u(x) + u(y) + c;
  return { r: u(full), ca: full > M32 ? 1 : 0, ov: fits(s(x) + s(y) + c) ? 0 : 1 };
};
const not = (x) => u(~x);

op('add', 'XO4', 'add', '%0,%1,%2', (a, b) => ({ ...add3(a, b, 0n), ca: undefined }));
op('addc', 'XO4', 'addc', '%0,%1,%2', (a, b) => add3(a, b, 0n));
op('adde', 'XO4', 'adde', '%0,%1,%2', (a, b, c) => add3(a, b, c), { usesCa: true });
op('addme', 'XO4U', 'addme', '%0,%1', (a, b, c) => add3(a, M32, c), { usesCa: true });
op('addze', 'XO4U', 'addze', '%0,%1', (a, b, c) => add3(a, 0n, c), { usesCa: true });
op('subf', 'XO4', 'subf', '%0,%1,%2', (a, b) => ({ ...add3(not(a), b, 1n), ca: undefined }));
op('subfc', 'XO4', 'subfc', '%0,%1,%2', (a, b) => add3(not(a), b, 1n));
op('subfe', 'XO4', 'subfe', '%0,%1,%2', (a, b, c) => add3(not(a), b, c), { usesCa: true });
op('subfme', 'XO4U', 'subfme', '%0,%1', (a, b, c) => add3(not(a), M32, c), { usesCa: true });
op('subfze', 'XO4U', 'subfze', '%0,%1', (a, b, c) => add3(not(a), 0n, c), { usesCa: true });
op('neg', 'XO4U', 'neg', '%0,%1', (a) => ({ r: u(-s(a)), ov: a === 0x80000000n ? 1 : 0 }));
op('mullw', 'XO4', 'mullw', '%0,%1,%2', (a, b) => {
  const p = s(a) * s(b);
  return { r: u(p), ov: fits(p) ? 0 : 1 };
});
op('mulhw', 'RC2', 'mulhw', '%0,%1,%2', (a, b) => ({ r: u((s(a) * s(b)) >> 32n) }));
op('mulhwu', 'RC2', 'mulhwu', '%0,%1,%2', (a, b) => ({ r: u((a * b) >> 32n) }));
// Division by zero and 0x80000000 / -1: rD and CR0[LT,GT,EQ] undefined, OV = 1.
op('divw', 'XO4', 'divw', '%0,%1,%2', (a, b) => {
  if (b === 0n || (a === 0x80000000n && b === M32)) return { undef: true, r: 0n, ov: 1 };
  const q = s(a) / s(b); // BigInt division truncates toward zero, as divw does
  return { r: u(q), ov: 0 };
});
op('divwu', 'XO4', 'divwu', '%0,%1,%2', (a, b) => (b === 0n ? { undef: true, r: 0n, ov: 1 } : { r: a / b, ov: 0 }));

// D-form arithmetic (immediate in the instruction).
const simm = (v) => u(v);
for (const [nm, imm] of [['addi_m1', -1], ['addi_7fff', 0x7fff], ['addi_m8000', -0x8000]]) {
  op(nm, 'D1', 'addi', `%0,%1,${imm}`, (a) => ({ r: u(a + simm(imm)) }));
}
op('li_m5', 'D1', 'addi', '%0,0,-5', () => ({ r: u(-5) }));
op('addis_m1', 'D1', 'addis', '%0,%1,-1', (a) => ({ r: u(a + u(-1n << 16n)) }));
op('addis_7fff', 'D1', 'addis', '%0,%1,0x7fff', (a) => ({ r: u(a + (0x7fffn << 16n)) }));
op('lis_8000', 'D1', 'addis', '%0,0,-0x8000', () => ({ r: 0x80000000n }));
for (const [nm, imm] of [['addic_1', 1], ['addic_m1', -1], ['addic_m8000', -0x8000]]) {
  op(nm, 'D1', 'addic', `%0,%1,${imm}`, (a) => add3(a, simm(imm), 0n));
  op(nm.replace('addic', 'addicdot'), 'D1', 'addic.', `%0,%1,${imm}`, (a) => add3(a, simm(imm), 0n), { rc: true });
}
for (const [nm, imm] of [['subfic_0', 0], ['subfic_m1', -1], ['subfic_5', 5], ['subfic_m8000', -0x8000]]) {
  op(nm, 'D1', 'subfic', `%0,%1,${imm}`, (a) => add3(not(a), simm(imm), 1n));
}
for (const [nm, imm] of [['mulli_m3', -3], ['mulli_7fff', 0x7fff], ['mulli_m8000', -0x8000]]) {
  op(nm, 'D1', 'mulli', `%0,%1,${imm}`, (a) => ({ r: u(s(a) * BigInt(imm)) }));
}

// Logical.
op('and', 'RC2', 'and', '%0,%1,%2', (a, b) => ({ r: a & b }));
op('andc', 'RC2', 'andc', '%0,%1,%2', (a, b) => ({ r: a & not(b) }));
op('or', 'RC2', 'or', '%0,%1,%2', (a, b) => ({ r: a | b }));
op('orc', 'RC2', 'orc', '%0,%1,%2', (a, b) => ({ r: a | not(b) }));
op('xor', 'RC2', 'xor', '%0,%1,%2', (a, b) => ({ r: a ^ b }));
op('nand', 'RC2', 'nand', '%0,%1,%2', (a, b) => ({ r: not(a & b) }));
op('nor', 'RC2', 'nor', '%0,%1,%2', (a, b) => ({ r: not(a | b) }));
op('eqv', 'RC2', 'eqv', '%0,%1,%2', (a, b) => ({ r: not(a ^ b) }));
op('andi_f0f0', 'D1', 'andi.', '%0,%1,0xf0f0', (a) => ({ r: a & 0xf0f0n }), { rc: true });
op('andis_8001', 'D1', 'andis.', '%0,%1,0x8001', (a) => ({ r: a & 0x80010000n }), { rc: true });
op('ori_8001', 'D1', 'ori', '%0,%1,0x8001', (a) => ({ r: a | 0x8001n }));
op('oris_8001', 'D1', 'oris', '%0,%1,0x8001', (a) => ({ r: a | 0x80010000n }));
op('xori_ffff', 'D1', 'xori', '%0,%1,0xffff', (a) => ({ r: a ^ 0xffffn }));
op('xoris_ffff', 'D1', 'xoris', '%0,%1,0xffff', (a) => ({ r: a ^ 0xffff0000n }));
op('cntlzw', 'RC2U', 'cntlzw', '%0,%1', (a) => {
  let n = 0n;
  while (n < 32n && !((a >> (31n - n)) & 1n)) n++;
  return { r: n };
});
op('extsb', 'RC2U', 'extsb', '%0,%1', (a) => ({ r: u(BigInt.asIntN(8, a)) }));
op('extsh', 'RC2U', 'extsh', '%0,%1', (a) => ({ r: u(BigInt.asIntN(16, a)) }));

// Shifts: the amount is rB[26:31]; 32..63 shift everything out.
op('slw', 'RC2', 'slw', '%0,%1,%2', (a, b) => {
  const n = b & 63n;
  return { r: n > 31n ? 0n : u(a << n) };
});
op('srw', 'RC2', 'srw', '%0,%1,%2', (a, b) => {
  const n = b & 63n;
  return { r: n > 31n ? 0n : a >> n };
});
const sra = (a, n) => {
  const neg = s(a) < 0n;
  if (n > 31n) return { r: neg ? M32 : 0n, ca: neg ? 1 : 0 };
  const lost = a & ((1n << n) - 1n);
  return { r: u(s(a) >> n), ca: neg && lost !== 0n ? 1 : 0 };
};
op('sraw', 'RC2', 'sraw', '%0,%1,%2', (a, b) => sra(a, b & 63n));
for (const n of [0, 1, 4, 31]) op(`srawi_${n}`, 'RC2U', 'srawi', `%0,%1,${n}`, (a) => sra(a, BigInt(n)));

// Rotates.
for (const [sh, mb, me] of [[0, 0, 31], [1, 0, 30], [31, 1, 31], [8, 24, 31], [16, 16, 15], [5, 31, 0], [0, 5, 5], [24, 0, 7], [3, 28, 3]]) {
  op(`rlwinm_${sh}_${mb}_${me}`, 'RC2U', 'rlwinm', `%0,%1,${sh},${mb},${me}`, (a) => ({ r: rotl(a, sh) & mask(mb, me) }));
}
for (const [mb, me] of [[0, 31], [4, 27], [28, 3], [16, 16]]) {
  op(`rlwnm_${mb}_${me}`, 'RC2', 'rlwnm', `%0,%1,%2,${mb},${me}`, (a, b) => ({ r: rotl(a, Number(b & 31n)) & mask(mb, me) }));
}
for (const [sh, mb, me] of [[0, 0, 31], [8, 16, 23], [4, 28, 3], [31, 0, 0], [16, 8, 7]]) {
  op(`rlwimi_${sh}_${mb}_${me}`, 'INS2', 'rlwimi', `%0,%1,${sh},${mb},${me}`, (a, b) => {
    const m = mask(mb, me);
    return { r: (rotl(a, sh) & m) | (b & not(m)) };
  });
}

// Compares (into a CR field; the other fields unchanged; SO copied from XER).
const cmpRes = (lt, gt) => ({ cr: lt ? 8 : gt ? 4 : 2 });
for (const crf of [0, 1, 5, 7]) {
  op(`cmpw_cr${crf}`, 'CMP', 'cmpw', `${crf},%1,%2`, (a, b) => cmpRes(s(a) < s(b), s(a) > s(b)), { crf });
  op(`cmplw_cr${crf}`, 'CMP', 'cmplw', `${crf},%1,%2`, (a, b) => cmpRes(a < b, a > b), { crf });
}
for (const [crf, imm] of [[0, -1], [3, 0], [6, 0x7fff], [2, -0x8000]]) {
  op(`cmpwi_cr${crf}_${imm < 0 ? 'm' : ''}${Math.abs(imm).toString(16)}`, 'CMP', 'cmpwi', `${crf},%1,${imm}`,
    (a) => cmpRes(s(a) < BigInt(imm), s(a) > BigInt(imm)), { crf });
}
for (const [crf, imm] of [[0, 0xffff], [4, 0], [7, 0x8000]]) {
  op(`cmplwi_cr${crf}_${imm.toString(16)}`, 'CMP', 'cmplwi', `${crf},%1,${imm}`, (a) => cmpRes(a < BigInt(imm), a > BigInt(imm)), { crf });
}

// ---- inputs ----

// Operand domains (a and b of a vector are indices into one of these).
const DOMAINS = {
  V: [0n, 1n, 2n, M32, M32 - 1n, 0x7fffffffn, 0x80000000n, 0x80000001n, 0x12345678n, 0x0000ffffn, 0xffff0000n],
  S: [0n, 1n, 4n, 31n, 32n, 33n, 63n, 64n, 0xffffffe1n],
  C: [0n, 1n, M32, 0x7fffn, 0x8000n, 0xffffn, 0xffff8000n, 0x7fffffffn, 0x80000000n],
  Z: [0n],
};
const DOMAIN_IDS = Object.keys(DOMAINS);

let seed = 12345;
const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed >>> 16; };

const vectors = [];
for (let k = 0; k < ops.length; k++) {
  const o = ops[k];
  const unary = o.kind === 'XO4U' || o.kind === 'RC2U' || o.kind === 'D1';
  const isShift = ['slw', 'srw', 'sraw'].includes(o.name) || o.name.startsWith('rlwnm');
  o.adom = o.kind === 'CMP' ? 'C' : 'V';
  o.bdom = unary || (o.kind === 'CMP' && !o.args.includes('%2')) ? 'Z' : isShift ? 'S' : o.kind === 'CMP' ? 'C' : 'V';
  const as = DOMAINS[o.adom], bs = DOMAINS[o.bdom];
  for (let ai = 0; ai < as.length; ai++) {
    for (let bi = 0; bi < bs.length; bi++) {
      const a = as[ai], b = bs[bi];
      for (const ca of o.usesCa ? [0n, 1n] : [BigInt(rnd() & 1)]) {
        const so = rnd() & 1, ov = rnd() & 1;
        const res = o.f(a, b, ca);
        const r = res.r ?? 0n;
        const caOut = res.ca === undefined ? Number(ca) : res.ca;
        const ovOut = res.ov ?? 0;
        let crc;
        if (o.kind === 'CMP') crc = res.cr === 8 ? 0 : res.cr === 4 ? 1 : 2;
        else crc = s(r) < 0n ? 0 : s(r) > 0n ? 1 : 2;
        const flags = so | (ov << 1) | (Number(ca) << 2) | (caOut << 3) | (ovOut << 4) | ((res.undef ? 1 : 0) << 5) | (crc << 6) |
          ((res.ca !== undefined ? 1 : 0) << 8);
        vectors.push(`  {0x${r.toString(16)}, 0x${flags.toString(16)}, OP_${o.name}, 0x${((ai << 4) | bi).toString(16)}},`);
      }
    }
  }
}

const out = [];
out.push('/* Generated by guests/tools/gen-integer.mjs: do not edit. */');
out.push('/* X(name, kind, mnemonic, operands, crf, rc) */');
out.push('#define INTEGER_OPS(X) \\');
const named = (a) => a.replace('%0', '%[r]').replace('%1', '%[a]').replace('%2', '%[b]');
for (const o of ops) out.push(`  X(${o.name}, ${o.kind}, "${o.mn}", "${named(o.args)}", ${o.crf ?? 0}, ${o.rc ? 1 : 0}) \\`);
out.push('');
out.push('enum {');
for (const o of ops) out.push(`  OP_${o.name},`);
out.push('  OP_COUNT');
out.push('};');
out.push('');
out.push('/* flags: 0 SO in, 1 OV in, 2 CA in, 3 CA out, 4 OV out (o forms), 5 result undefined,');
out.push('   6-7 CR code of the result (0 LT, 1 GT, 2 EQ), 8 the op writes CA */');
for (const d of DOMAIN_IDS) {
  out.push(`static const u32 dom_${d}[] = {${DOMAINS[d].map((v) => '0x' + v.toString(16)).join(', ')}};`);
}
out.push('static const u32 *const op_adom[OP_COUNT] = {' + ops.map((o) => `dom_${o.adom}`).join(', ') + '};');
out.push('static const u32 *const op_bdom[OP_COUNT] = {' + ops.map((o) => `dom_${o.bdom}`).join(', ') + '};');
out.push('');
out.push('/* a = op_adom[op][ab >> 4], b = op_bdom[op][ab & 15] */');
out.push('static const struct vec { u32 r; u16 flags; u8 op, ab; } vectors[] = {');
out.push(...vectors);
out.push('};');
process.stdout.write(out.join('\n') + '\n');
