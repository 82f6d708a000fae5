// Fixed-point arithmetic, logical, compare, rotate and shift instructions.
// Registers are int32; unsigned views are taken with >>> 0 where needed.
// Semantics in the form sem.ts describes: written once, for the
// interpreter and the translator.

import type { Cpu } from '../cpu.js';
import { ESR } from '../regbits.js';
import { debugTrap } from '../guest-debug.js';
import { A, COMMON, FAULT, P, PURE, X, XO, type InsnDef } from './decode.js';
import { defineRuntime, mulhs, mulhu, rotMask } from './runtime.js';
import type { Emit, Sem } from './sem.js';

export { mulhs, mulhu, rotMask };

/** Set CR0 from a result (LT, GT, EQ, SO), for the rest of the core. */
export function setCr0(c: Cpu, v: number): void {
  c.cr = (c.cr & 0x0fffffff) | (v < 0 ? 0x80000000 : v > 0 ? 0x40000000 : 0x20000000) | (c.xerSo << 28);
}

/** Set CR field `bf` (0..7) to `v` (4 bits). */
export function setCrField(c: Cpu, bf: number, v: number): void {
  const sh = (7 - bf) * 4;
  c.cr = (c.cr & ~(0xf << sh)) | (v << sh);
}

/** A trap instruction's condition held: the trap-type program interrupt (or a guest debug event). */
function trap(c: Cpu): void {
  if (c.guestDebug && debugTrap(c)) return;
  c.raiseProgram(ESR.PTR);
}
defineRuntime({ trap });

// ---- pieces of semantics ----

/** CR0 <- LT GT EQ of r, and SO. */
export const setCr0Sem = (x: Emit, r: string): string =>
  `${x.CR} = (${x.CR} & 0x0fffffff) | (${r} < 0 ? -0x80000000 : ${r} > 0 ? 0x40000000 : 0x20000000) | (${x.SO} << 28);`;
/** CR0 if Rc. */
const rc = (x: Emit, r: string): string => x.if('rc !== 0', setCr0Sem(x, r));
/** XER[OV] (and SO) if OE. */
const oe = (x: Emit, ov: string): string => x.if('oe !== 0', `const ov = ${ov}; ${x.OV} = ov ? 1 : 0; ${x.SO} |= ${x.OV};`);
/** Signed overflow of r = a + b. */
const addOv = (a: string, b: string, r: string): string => `((${a} ^ ${r}) & (${b} ^ ${r})) < 0`;
/** CR field bf <- (a < b ? LT : a > b ? GT : EQ) | SO. */
export const compareSem = (x: Emit, a: string, b: string): string =>
  `${x.CR} = (${x.CR} & ${x.k('~(15 << ((7 - bf) * 4))')}) | (((${a} < ${b} ? 8 : ${a} > ${b} ? 4 : 2) | ${x.SO}) << ${x.k('(7 - bf) * 4')});`;

/** A logical instruction rA <- f(rS, rB), CR0 if Rc. */
const logical = (op: (s: string, b: string) => string): Sem => (x) =>
  `const s = ${x.R('rs')}, b = ${x.R('rb')}, r = ${op('s', 'b')}; ${x.W('ra')} = r; ${rc(x, 'r')}`;
/** A unary instruction rA <- f(rS), CR0 if Rc. */
const unary = (op: (s: string) => string): Sem => (x) =>
  `const s = ${x.R('rs')}, r = ${op('s')}; ${x.W('ra')} = r; ${rc(x, 'r')}`;
/** rD <- p + q + CA (adde, subfe, addme, subfme, addze, subfze), CA, OV if OE, CR0 if Rc. */
const addExtended = (p: (x: Emit) => string, q: (x: Emit) => string): Sem => (x) =>
  `const p = ${p(x)}, q = ${q(x)}, ca = ${x.CA}, r = (p + q + ca) | 0;
   ${x.CA} = (p >>> 0) + (q >>> 0) + ca > 0xffffffff ? 1 : 0; ${x.W('rt')} = r; ${oe(x, addOv('p', 'q', 'r'))} ${rc(x, 'r')}`;
/** sraw/srawi: rA <- rS >> n (n: 0..63), CA if a negative value lost one bits. */
const shiftRightAlgebraic = (n: (x: Emit) => string): Sem => (x) =>
  `const s = ${x.R('rs')}, n = ${n(x)};
   const r = n > 31 ? s >> 31 : s >> n;
   ${x.CA} = s < 0 && (n > 31 || (n > 0 && (s & ((1 << n) - 1)) !== 0)) ? 1 : 0;
   ${x.W('ra')} = r; ${rc(x, 'r')}`;
const trapSem = (b: (x: Emit) => string): Sem => (x) =>
  `if (trapCond(${x.f('to')}, ${x.R('ra')}, ${b(x)})) { ${x.raise('trap(c)')} }`;

// Division by zero and -2^31 / -1 leave rD undefined in the architecture;
// like QEMU (the reference), the quotient is then the dividend.

export const integerInsns: InsnDef[] = [
  P('twi', 3, 'to,ra,si', FAULT, trapSem((x) => x.f('si'))),
  P('mulli', 7, 'rt,ra,si', PURE, (x) => `${x.W('rt')} = Math.imul(${x.R('ra')}, ${x.f('si')});`),
  P('subfic', 8, 'rt,ra,si', PURE, (x) =>
    `const a = ${x.R('ra')}, b = ${x.f('si')}; ${x.CA} = (~a >>> 0) + (b >>> 0) + 1 > 0xffffffff ? 1 : 0; ${x.W('rt')} = (b - a) | 0;`),
  P('cmpli', 10, 'bf,ra,ui', COMMON | PURE, (x) => `const a = ${x.R('ra')} >>> 0, b = ${x.f('ui')}; ${compareSem(x, 'a', 'b')}`),
  P('cmpi', 11, 'bf,ra,si', COMMON | PURE, (x) => `const a = ${x.R('ra')}, b = ${x.f('si')}; ${compareSem(x, 'a', 'b')}`),
  P('addic', 12, 'rt,ra,si', PURE, (x) =>
    `const a = ${x.R('ra')}, b = ${x.f('si')}; ${x.CA} = (a >>> 0) + (b >>> 0) > 0xffffffff ? 1 : 0; ${x.W('rt')} = (a + b) | 0;`),
  P('addic.', 13, 'rt,ra,si', PURE, (x) =>
    `const a = ${x.R('ra')}, b = ${x.f('si')}, r = (a + b) | 0; ${x.CA} = (a >>> 0) + (b >>> 0) > 0xffffffff ? 1 : 0;
     ${x.W('rt')} = r; ${setCr0Sem(x, 'r')}`),
  P('addi', 14, 'rt,ra0,si', COMMON | PURE, (x) => `${x.W('rt')} = (${x.R0('ra')} + ${x.f('si')}) | 0;`),
  P('addis', 15, 'rt,ra0,si', COMMON | PURE, (x) => `${x.W('rt')} = (${x.R0('ra')} + ${x.k('si << 16')}) | 0;`),
  P('rlwimi', 20, 'ra,rs,sh,mb,me', COMMON | PURE, (x) =>
    `const m = ${x.k('rotMask(mb, me)')}, r = (rotl(${x.R('rs')}, ${x.f('sh')}) & m) | (${x.R('ra')} & ~m); ${x.W('ra')} = r; ${rc(x, 'r')}`, 'rc'),
  P('rlwinm', 21, 'ra,rs,sh,mb,me', COMMON | PURE, (x) =>
    `const r = rotl(${x.R('rs')}, ${x.f('sh')}) & ${x.k('rotMask(mb, me)')}; ${x.W('ra')} = r; ${rc(x, 'r')}`, 'rc'),
  P('rlwnm', 23, 'ra,rs,rb,mb,me', PURE, (x) =>
    `const r = rotl(${x.R('rs')}, ${x.R('rb')} & 31) & ${x.k('rotMask(mb, me)')}; ${x.W('ra')} = r; ${rc(x, 'r')}`, 'rc'),
  P('ori', 24, 'ra,rs,ui', COMMON | PURE, (x) => `${x.W('ra')} = ${x.R('rs')} | ${x.f('ui')};`),
  P('oris', 25, 'ra,rs,ui', PURE, (x) => `${x.W('ra')} = ${x.R('rs')} | ${x.k('ui << 16')};`),
  P('xori', 26, 'ra,rs,ui', PURE, (x) => `${x.W('ra')} = ${x.R('rs')} ^ ${x.f('ui')};`),
  P('xoris', 27, 'ra,rs,ui', PURE, (x) => `${x.W('ra')} = ${x.R('rs')} ^ ${x.k('ui << 16')};`),
  P('andi.', 28, 'ra,rs,ui', COMMON | PURE, (x) => `const r = ${x.R('rs')} & ${x.f('ui')}; ${x.W('ra')} = r; ${setCr0Sem(x, 'r')}`),
  P('andis.', 29, 'ra,rs,ui', PURE, (x) => `const r = ${x.R('rs')} & ${x.k('ui << 16')}; ${x.W('ra')} = r; ${setCr0Sem(x, 'r')}`),
  X('cmp', 31, 0, 'bf,ra,rb', COMMON | PURE, (x) => `const a = ${x.R('ra')}, b = ${x.R('rb')}; ${compareSem(x, 'a', 'b')}`),
  X('tw', 31, 4, 'to,ra,rb', FAULT, trapSem((x) => x.R('rb'))),
  XO('subfc', 31, 8, 'rt,ra,rb', PURE, (x) =>
    `const a = ${x.R('ra')}, b = ${x.R('rb')}, r = (b - a) | 0; ${x.CA} = (b >>> 0) >= (a >>> 0) ? 1 : 0;
     ${x.W('rt')} = r; ${oe(x, addOv('~a', 'b', 'r'))} ${rc(x, 'r')}`),
  XO('addc', 31, 10, 'rt,ra,rb', PURE, (x) =>
    `const a = ${x.R('ra')}, b = ${x.R('rb')}, r = (a + b) | 0; ${x.CA} = (a >>> 0) + (b >>> 0) > 0xffffffff ? 1 : 0;
     ${x.W('rt')} = r; ${oe(x, addOv('a', 'b', 'r'))} ${rc(x, 'r')}`),
  XO('mulhwu', 31, 11, 'rt,ra,rb', PURE, (x) => `const r = mulhu(${x.R('ra')}, ${x.R('rb')}); ${x.W('rt')} = r; ${rc(x, 'r')}`),
  X('slw', 31, 24, 'ra,rs,rb', COMMON | PURE, (x) =>
    `const n = ${x.R('rb')} & 0x3f, r = n > 31 ? 0 : ${x.R('rs')} << n; ${x.W('ra')} = r; ${rc(x, 'r')}`, 'rc'),
  X('cntlzw', 31, 26, 'ra,rs', PURE, unary((s) => `Math.clz32(${s})`), 'rc'),
  X('and', 31, 28, 'ra,rs,rb', COMMON | PURE, logical((s, b) => `${s} & ${b}`), 'rc'),
  X('cmpl', 31, 32, 'bf,ra,rb', COMMON | PURE, (x) => `const a = ${x.R('ra')} >>> 0, b = ${x.R('rb')} >>> 0; ${compareSem(x, 'a', 'b')}`),
  XO('subf', 31, 40, 'rt,ra,rb', COMMON | PURE, (x) =>
    `const a = ${x.R('ra')}, b = ${x.R('rb')}, r = (b - a) | 0; ${x.W('rt')} = r; ${oe(x, addOv('~a', 'b', 'r'))} ${rc(x, 'r')}`),
  X('andc', 31, 60, 'ra,rs,rb', COMMON | PURE, logical((s, b) => `${s} & ~${b}`), 'rc'),
  XO('mulhw', 31, 75, 'rt,ra,rb', PURE, (x) => `const r = mulhs(${x.R('ra')}, ${x.R('rb')}); ${x.W('rt')} = r; ${rc(x, 'r')}`),
  XO('neg', 31, 104, 'rt,ra', COMMON | PURE, (x) =>
    `const a = ${x.R('ra')}, r = (-a) | 0; ${x.W('rt')} = r; ${oe(x, 'a === -0x80000000')} ${rc(x, 'r')}`),
  X('nor', 31, 124, 'ra,rs,rb', PURE, logical((s, b) => `~(${s} | ${b})`), 'rc'),
  XO('subfe', 31, 136, 'rt,ra,rb', PURE, addExtended((x) => `~${x.R('ra')}`, (x) => x.R('rb'))),
  XO('adde', 31, 138, 'rt,ra,rb', PURE, addExtended((x) => x.R('ra'), (x) => x.R('rb'))),
  XO('subfze', 31, 200, 'rt,ra', PURE, addExtended((x) => `~${x.R('ra')}`, () => '0')),
  XO('addze', 31, 202, 'rt,ra', PURE, addExtended((x) => x.R('ra'), () => '0')),
  XO('subfme', 31, 232, 'rt,ra', PURE, addExtended((x) => `~${x.R('ra')}`, () => '-1')),
  XO('addme', 31, 234, 'rt,ra', PURE, addExtended((x) => x.R('ra'), () => '-1')),
  // The exact product fits a double unless it is far beyond 32 bits.
  XO('mullw', 31, 235, 'rt,ra,rb', COMMON | PURE, (x) =>
    `const a = ${x.R('ra')}, b = ${x.R('rb')}, r = Math.imul(a, b); ${x.W('rt')} = r; ${oe(x, 'a * b !== r')} ${rc(x, 'r')}`),
  XO('add', 31, 266, 'rt,ra,rb', COMMON | PURE, (x) =>
    `const a = ${x.R('ra')}, b = ${x.R('rb')}, r = (a + b) | 0; ${x.W('rt')} = r; ${oe(x, addOv('a', 'b', 'r'))} ${rc(x, 'r')}`),
  X('eqv', 31, 284, 'ra,rs,rb', PURE, logical((s, b) => `~(${s} ^ ${b})`), 'rc'),
  X('xor', 31, 316, 'ra,rs,rb', COMMON | PURE, logical((s, b) => `${s} ^ ${b}`), 'rc'),
  X('orc', 31, 412, 'ra,rs,rb', PURE, logical((s, b) => `${s} | ~${b}`), 'rc'),
  X('or', 31, 444, 'ra,rs,rb', COMMON | PURE, logical((s, b) => `${s} | ${b}`), 'rc'),
  XO('divwu', 31, 459, 'rt,ra,rb', PURE, (x) =>
    `const a = ${x.R('ra')}, b = ${x.R('rb')}, bad = b === 0, r = bad ? a : ((a >>> 0) / (b >>> 0)) | 0;
     ${x.W('rt')} = r; ${oe(x, 'bad')} ${rc(x, 'r')}`),
  X('nand', 31, 476, 'ra,rs,rb', PURE, logical((s, b) => `~(${s} & ${b})`), 'rc'),
  XO('divw', 31, 491, 'rt,ra,rb', PURE, (x) =>
    `const a = ${x.R('ra')}, b = ${x.R('rb')}, bad = b === 0 || (a === -0x80000000 && b === -1), r = bad ? a : (a / b) | 0;
     ${x.W('rt')} = r; ${oe(x, 'bad')} ${rc(x, 'r')}`),
  X('srw', 31, 536, 'ra,rs,rb', COMMON | PURE, (x) =>
    `const n = ${x.R('rb')} & 0x3f, r = n > 31 ? 0 : (${x.R('rs')} >>> n) | 0; ${x.W('ra')} = r; ${rc(x, 'r')}`, 'rc'),
  X('sraw', 31, 792, 'ra,rs,rb', PURE, shiftRightAlgebraic((x) => `${x.R('rb')} & 0x3f`), 'rc'),
  X('srawi', 31, 824, 'ra,rs,sh', COMMON | PURE, shiftRightAlgebraic((x) => x.f('sh')), 'rc'),
  X('extsh', 31, 922, 'ra,rs', COMMON | PURE, unary((s) => `(${s} << 16) >> 16`), 'rc'),
  X('extsb', 31, 954, 'ra,rs', PURE, unary((s) => `(${s} << 24) >> 24`), 'rc'),
  A('isel', 31, 15, 'rt,ra0,rb,bc', PURE, (x) =>
    `${x.W('rt')} = ((${x.CR} >>> ${x.k('31 - bc')}) & 1) !== 0 ? ${x.R0('ra')} : ${x.R('rb')};`, ''),
];
