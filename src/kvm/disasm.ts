// TKVM disassembler (tkvm extension): one e500mc instruction word as text,
// from the same instruction table the vCPU decodes with, so whatever the
// vCPU executes has a name here. The style is that of QEMU's monitor and
// objdump-like tools (mnemonic, then operands separated by ", ", immediates
// in hex, branch targets absolute), with the common simplified mnemonics
// (li, lis, mr, nop, blr, bctr, beq/bne/..., bdnz, mflr/mtctr, cmpwi, ...).

import { e500mcDecoder } from '../core/isa/index.js';
import { fieldValue, isFieldName, type FieldName } from '../core/isa/fields.js';

const CR_TRUE = ['lt', 'gt', 'eq', 'so'];
const CR_FALSE = ['ge', 'le', 'ne', 'ns'];

const hexs = (v: number): string => (v === 0 ? '0' : v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);
const hexu = (v: number): string => `0x${(v >>> 0).toString(16)}`;

export interface Disassembly {
  mnemonic: string;
  operands: string;
}

function field(w: number, hi: number, len: number): number {
  return (w >>> hi) & ((1 << len) - 1);
}

/** How each field shows as an operand (its value comes from the field table, fields.ts). */
const SHOW: Partial<Record<FieldName, (v: number) => string>> = {
  rt: (v) => `r${v}`, rs: (v) => `r${v}`, ra: (v) => `r${v}`, rb: (v) => `r${v}`,
  frt: (v) => `f${v}`, frs: (v) => `f${v}`, fra: (v) => `f${v}`, frb: (v) => `f${v}`, frc: (v) => `f${v}`,
  bf: (v) => `cr${v}`, bfa: (v) => `cr${v}`,
  si: hexs, d: hexs, ui: hexu, spr: hexu, tbr: hexu, fxm: hexu, flm: hexu,
};

/** The text of one operand token of the table's syntax. */
function operand(tok: string, w: number, addr: number): string {
  const m = /^d\((ra0?)\)$/.exec(tok);
  if (m) {
    const ra = fieldValue('ra', w);
    return `${hexs(fieldValue('d', w))}(${m[1] === 'ra0' && ra === 0 ? '0' : `r${ra}`})`;
  }
  if (tok === 'ra0') return fieldValue('ra', w) === 0 ? '0' : `r${fieldValue('ra', w)}`;
  if (!isFieldName(tok)) return '?';
  const v = fieldValue(tok, w);
  // Branch targets are absolute, AA or not.
  if (tok === 'bd' || tok === 'li') return hexu((w & 2) !== 0 ? v : addr + v);
  return (SHOW[tok] ?? String)(v);
}

/** Conditional branch mnemonic stem for BO/BI, or null if none fits. */
function branchStem(bo: number, bi: number): { stem: string; cr: number } | null {
  const cr = bi >>> 2, bit = bi & 3;
  switch (bo & 0x1e) {
    case 12: return { stem: `b${CR_TRUE[bit]}`, cr };
    case 4: return { stem: `b${CR_FALSE[bit]}`, cr };
    case 16: return { stem: 'bdnz', cr: -1 };
    case 18: return { stem: 'bdz', cr: -1 };
    case 20: return { stem: 'b', cr: -1 };
    default: return null;
  }
}

/** Disassemble one instruction word (big-endian value) at `address`. */
export function disassemble(word: number, address: number): Disassembly {
  const w = word | 0;
  const addr = address >>> 0;
  const d = e500mcDecoder().lookup(w);
  if (d === undefined) return { mnemonic: '.long', operands: hexu(w) };
  const toks = d.args === '' ? [] : d.args.split(',');
  let mn = d.name;
  if (d.form === 'XO' && (w & 0x400) !== 0) mn += 'o';
  if (d.rc && (w & 1) !== 0 && !mn.endsWith('.')) mn += '.';
  let ops = toks.map((t) => operand(t, w, addr));
  const rt = field(w, 21, 5), ra = field(w, 16, 5), rb = field(w, 11, 5);
  const lk = (w & 1) !== 0, aa = (w & 2) !== 0;

  // Simplified mnemonics.
  switch (d.name) {
    case 'addi': if (ra === 0) { mn = 'li'; ops = [ops[0], ops[2]]; } break;
    case 'addis': if (ra === 0) { mn = 'lis'; ops = [ops[0], hexu(w & 0xffff)]; } break;
    case 'ori': if (w === 0x60000000) { mn = 'nop'; ops = []; } break;
    case 'or': if (rt === rb && (w & 1) === 0) { mn = 'mr'; ops = [ops[0], ops[1]]; } break;
    case 'b': mn = 'b' + (lk ? 'l' : '') + (aa ? 'a' : ''); break;
    case 'sc': if (field(w, 5, 7) === 0) ops = []; break;
    case 'bc': case 'bclr': case 'bcctr': {
      const br = branchStem(rt, ra);
      const suffix = (d.name === 'bclr' ? 'lr' : d.name === 'bcctr' ? 'ctr' : '') + (lk ? 'l' : '') + (d.name === 'bc' && aa ? 'a' : '');
      if (br === null) { mn = d.name + (lk ? 'l' : '') + (d.name === 'bc' && aa ? 'a' : ''); break; }
      mn = br.stem + suffix;
      ops = [];
      if (br.cr > 0) ops.push(`cr${br.cr}`);
      if (d.name === 'bc') ops.push(operand('bd', w, addr));
      break;
    }
    case 'cmpi': case 'cmpli': case 'cmp': case 'cmpl': {
      if ((rt & 1) !== 0) break; // L = 1: 64-bit compare, left as is
      mn = { cmpi: 'cmpwi', cmpli: 'cmplwi', cmp: 'cmpw', cmpl: 'cmplw' }[d.name]!;
      if (field(w, 23, 3) === 0) ops = ops.slice(1);
      break;
    }
    case 'mfspr': case 'mtspr': {
      const spr = (rb << 5) | ra;
      const name = spr === 8 ? 'lr' : spr === 9 ? 'ctr' : spr === 1 ? 'xer' : null;
      if (name !== null) { mn = d.name.slice(0, 2) + name; ops = [`r${rt}`]; }
      break;
    }
  }
  return { mnemonic: mn, operands: ops.join(', ') };
}

/** One line: mnemonic padded to 8 columns, then the operands. */
export function disassembleText(word: number, address: number): string {
  const d = disassemble(word, address);
  return d.operands === '' ? d.mnemonic : `${d.mnemonic.padEnd(8)} ${d.operands}`;
}
