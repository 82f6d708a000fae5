// TKVM disassembler (tkvm extension): one e500mc instruction word as text,
// from the same instruction table the vCPU decodes with, so whatever the
// vCPU executes has a name here. The style is that of QEMU's monitor and
// objdump-like tools (mnemonic, then operands separated by ", ", immediates
// in hex, branch targets absolute), with the common simplified mnemonics
// (li, lis, mr, nop, blr, bctr, beq/bne/..., bdnz, mflr/mtctr, cmpwi, ...).

import { e500mcDecoder } from '../core/isa/index.js';

const CR_TRUE = ['lt', 'gt', 'eq', 'so'];
const CR_FALSE = ['ge', 'le', 'ne', 'ns'];

const hexs = (v: number): string => (v === 0 ? '0' : v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);
const hexu = (v: number): string => `0x${(v >>> 0).toString(16)}`;
const s16 = (v: number): number => (v << 16) >> 16;

export interface Disassembly {
  mnemonic: string;
  operands: string;
}

function field(w: number, hi: number, len: number): number {
  return (w >>> hi) & ((1 << len) - 1);
}

/** The text of one operand token of the table's syntax. */
function operand(tok: string, w: number, addr: number): string {
  const rt = field(w, 21, 5), ra = field(w, 16, 5), rb = field(w, 11, 5);
  switch (tok) {
    case 'rt': case 'rs': return `r${rt}`;
    case 'ra': return `r${ra}`;
    case 'ra0': return ra === 0 ? '0' : `r${ra}`;
    case 'rb': return `r${rb}`;
    case 'frt': case 'frs': return `f${rt}`;
    case 'fra': return `f${ra}`;
    case 'frb': return `f${rb}`;
    case 'frc': return `f${field(w, 6, 5)}`;
    case 'bf': return `cr${field(w, 23, 3)}`;
    case 'bfa': return `cr${field(w, 18, 3)}`;
    case 'si': return hexs(s16(w));
    case 'ui': return hexu(w & 0xffff);
    case 'sh': return String(rb);
    case 'mb': return String(field(w, 6, 5));
    case 'me': return String(field(w, 1, 5));
    case 'bo': case 'to': case 'bt': case 'cbt': case 'ct': case 't': case 'mo': return String(rt);
    case 'bi': case 'cba': return String(ra);
    case 'cbb': return String(rb);
    case 'bc': return String(field(w, 6, 5));
    case 'bd': return hexu((w & 2) !== 0 ? s16(w & 0xfffc) : addr + s16(w & 0xfffc));
    case 'li': {
      const off = ((w & 0x3fffffc) << 6) >> 6;
      return hexu((w & 2) !== 0 ? off : addr + off);
    }
    case 'spr': case 'tbr': return hexu((rb << 5) | ra);
    case 'lev': return String(field(w, 5, 7));
    case 'fxm': return hexu(field(w, 12, 8));
    case 'flm': return hexu(field(w, 17, 8));
    case 'u': return String(field(w, 12, 4));
    case 'e': return String(field(w, 15, 1));
    case 'oc': return String(field(w, 11, 15));
    case 'l': return String(field(w, 21, 2));
    default: {
      // d(ra) and d(ra0)
      const m = /^d\((ra0?)\)$/.exec(tok);
      if (m) return `${hexs(s16(w))}(${m[1] === 'ra0' && ra === 0 ? '0' : `r${ra}`})`;
      return '?';
    }
  }
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
