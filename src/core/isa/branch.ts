// Branches, condition-register logic and CR moves (semantics as in sem.ts).

import { ESR } from '../regbits.js';
import { BRANCH, COMMON, FAULT, P, PURE, X, type InsnDef } from './decode.js';
import type { Emit, Sem } from './sem.js';

/**
 * The BO/BI condition of bc, bclr, bcctr, as statements that decrement CTR
 * when BO says so and leave the outcome in `taken`.
 */
const condition = (x: Emit): string =>
  `${x.if('(bo & 4) === 0', `${x.CTR} = (${x.CTR} - 1) | 0;`)}
   const taken = ${x.sel('(bo & 4) !== 0', 'true', x.sel('(bo & 2) !== 0', `${x.CTR} === 0`, `${x.CTR} !== 0`))} &&
     ${x.sel('(bo & 16) !== 0', 'true', `((${x.CR} >>> ${x.k('31 - bi')}) & 1) === ${x.k('(bo >>> 3) & 1')}`)};`;

const link = (x: Emit): string => x.if('lk !== 0', `${x.LR} = ${x.NIA};`);

// ---- CR logical: crbD <- f(crbA, crbB) ----

const crLogical = (op: string): Sem => (x) =>
  `const a = (${x.CR} >>> ${x.k('31 - cba')}) & 1, b = (${x.CR} >>> ${x.k('31 - cbb')}) & 1;
   ${x.CR} = (${x.CR} & ${x.k('~(1 << (31 - cbt))')}) | (((${op}) & 1) << ${x.k('31 - cbt')});`;

export const branchInsns: InsnDef[] = [
  P('bc', 16, 'bo,bi,bd', COMMON | BRANCH, (x) => `${condition(x)} ${link(x)} if (taken) { ${x.branch('bd')} }`, 'aa,lk'),
  P('b', 18, 'li', COMMON | BRANCH, (x) => `${link(x)} ${x.branch('li')}`, 'aa,lk'),
  X('mcrf', 19, 0, 'bf,bfa', PURE, (x) =>
    `const v = (${x.CR} >>> ${x.k('(7 - bfa) * 4')}) & 15;
     ${x.CR} = (${x.CR} & ${x.k('~(15 << ((7 - bf) * 4))')}) | (v << ${x.k('(7 - bf) * 4')});`),
  // The target is LR as it was before the instruction (bclrl links too).
  X('bclr', 19, 16, 'bo,bi', COMMON | BRANCH, (x) =>
    `const target = ${x.LR} & ~3; ${condition(x)} ${link(x)} if (taken) { ${x.jump('target')} }`, 'lk'),
  X('crnor', 19, 33, 'cbt,cba,cbb', PURE, crLogical('~(a | b)')),
  X('crandc', 19, 129, 'cbt,cba,cbb', PURE, crLogical('a & ~b')),
  X('crxor', 19, 193, 'cbt,cba,cbb', PURE, crLogical('a ^ b')),
  X('crnand', 19, 225, 'cbt,cba,cbb', PURE, crLogical('~(a & b)')),
  X('crand', 19, 257, 'cbt,cba,cbb', PURE, crLogical('a & b')),
  X('creqv', 19, 289, 'cbt,cba,cbb', PURE, crLogical('~(a ^ b)')),
  X('crorc', 19, 417, 'cbt,cba,cbb', PURE, crLogical('a | ~b')),
  X('cror', 19, 449, 'cbt,cba,cbb', PURE, crLogical('a | b')),
  // BO[2] = 0 (decrement CTR) is an invalid form of bcctr.
  X('bcctr', 19, 528, 'bo,bi', BRANCH | FAULT, (x) => x.if('(bo & 4) === 0', x.raise(`c.raiseProgram(${ESR.PIL})`),
    `const target = ${x.CTR} & ~3; ${condition(x)} ${link(x)} if (taken) { ${x.jump('target')} }`), 'lk'),
  // mfcr, or mfocrf (one field; the others read as 0).
  X('mfcr', 31, 19, 'rt', PURE, (x) =>
    `${x.W('rt')} = ${x.sel('ocrf !== 0', `${x.CR} & ${x.k('fxmMask(fxm)')}`, x.CR)};`, 'ocrf,fxm'),
  // mtcrf and mtocrf: the fields FXM selects.
  X('mtcrf', 31, 144, 'fxm,rs', PURE, (x) =>
    `const m = ${x.k('fxmMask(fxm)')}; ${x.CR} = (${x.CR} & ~m) | (${x.R('rs')} & m);`, 'ocrf'),
  // mcrxr: CR field <- XER[SO,OV,CA,0]; those XER bits are cleared.
  X('mcrxr', 31, 512, 'bf', PURE, (x) =>
    `const v = (${x.SO} << 3) | (${x.OV} << 2) | (${x.CA} << 1);
     ${x.CR} = (${x.CR} & ${x.k('~(15 << ((7 - bf) * 4))')}) | (v << ${x.k('(7 - bf) * 4')});
     ${x.SO} = 0; ${x.OV} = 0; ${x.CA} = 0;`),
];
