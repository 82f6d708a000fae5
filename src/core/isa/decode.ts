// Declarative instruction decoding, in the spirit of QEMU's decodetree: every
// instruction is one table line (mnemonic, form, opcodes, operand syntax,
// flags, semantics); the decoder tables are generated from the lines at
// start-up and any two lines that claim the same encoding are an error.
//
// The semantics are either a `Sem` (sem.ts: written once, from which both
// the interpreter's handler and the translator's code are generated) or a
// `helper(fn)`: a handler function that both call, for instructions whose
// work is too big to inline (floating point, TLB management, most SPRs).
//
// Flags say what an instruction can do, for the execution engines: PURE
// (computes on registers only: no memory, interrupt, branch or call), BRANCH
// (may change the next instruction address), FAULT (may deliver an
// interrupt or leave the core), PRIV (privileged), SYNC (changes what later
// instructions mean, or ends the slice: the translator ends a block after
// it), COMMON (frequent: see below), ALLGPR (touches GPRs its fields do not
// name), RETURN (what the debug RET event watches). For a `Sem` the first four are checked
// against what the semantic uses when the decoder is built; a helper's are
// its author's word.

import type { FieldName } from './fields.js';
import { fieldMask, operandFields } from './fields.js';
import { interpHandler, semFields, semUse, type Handler, type Sem } from './sem.js';

export type { Handler } from './sem.js';

/**
 * Instruction forms, as far as decoding is concerned:
 *  - P:  primary opcode only (I, B, SC, D forms)
 *  - X:  10-bit extended opcode in bits 21..30 (X, XL, XFX, XFL forms)
 *  - XO: 9-bit extended opcode in bits 22..30, OE in bit 21 (both OE values decode)
 *  - A:  5-bit extended opcode in bits 26..30 (A form: bits 21..25 are an operand)
 */
export type Form = 'P' | 'X' | 'XO' | 'A';

export { PURE, BRANCH, FAULT, PRIV, SYNC, COMMON, ALLGPR, RETURN } from './flags.js';
import { BRANCH, FAULT, PRIV, PURE } from './flags.js';

/** The special registers a helper may read or write (besides GPRs its fields name, and state no engine caches). */
export type Special = 'cr' | 'xer' | 'lr' | 'ctr';

/** Semantics as a handler both engines call. */
export interface Helper {
  readonly helper: Handler;
  readonly specials: readonly Special[];
}
/**
 * A helper, and the special registers it may touch (`helper(fadd, 'cr')`:
 * it writes CR1 when Rc is set). A translator keeps those in locals and
 * must hand them over around the call; a wrong list shows in the
 * translator's differential tests.
 */
export function helper(fn: Handler, ...specials: Special[]): Helper {
  return { helper: fn, specials };
}

export interface InsnDef {
  readonly name: string;
  readonly form: Form;
  readonly op: number;
  readonly xo: number;
  /** Operand syntax for the disassembler, e.g. 'rt,ra,si' or 'rt,d(ra0)'. */
  readonly args: string;
  /** Mode bits besides the operands (rc, oe, lk, aa, ...). */
  readonly modes: readonly FieldName[];
  /** Every field the semantics may name: the operands and the mode bits. */
  readonly fields: readonly FieldName[];
  readonly flags: number;
  /** The semantics to generate code from, or null for a helper. */
  readonly sem: Sem | null;
  /** The interpreter's handler (generated from `sem`, or the helper). */
  readonly exec: Handler;
  /** A helper's special registers (see helper()); empty for semantics. */
  readonly specials: readonly Special[];
  /** Has an Rc bit (bit 31) that appends '.'. */
  readonly rc: boolean;
  /** Bits no field, opcode or mode bit covers (reserved: 0 in valid forms). */
  readonly reserved: number;
}

function opcodeMask(form: Form): number {
  switch (form) {
    case 'P': return 0xfc000000 | 0;
    case 'X': return 0xfc0007fe | 0;
    case 'XO': return 0xfc0003fe | 0;
    case 'A': return 0xfc00003e | 0;
  }
}

function define(name: string, form: Form, op: number, xo: number, args: string, flags: number,
  impl: Sem | Helper, modes: readonly FieldName[]): InsnDef {
  const fields = semFields(args, modes);
  let covered = opcodeMask(form);
  for (const fd of fields) covered |= fieldMask(fd);
  const sem = typeof impl === 'function' ? impl : null;
  if (sem !== null) checkFlags(name, flags, sem);
  else if ((flags & PURE) !== 0) throw new Error(`${name}: a helper cannot be PURE (the engines cannot see what it does)`);
  const exec = sem !== null ? interpHandler(name, sem, fields) : (impl as Helper).helper;
  const specials = sem !== null ? [] : (impl as Helper).specials;
  return { name, form, op, xo, args, modes, fields, flags, sem, exec, specials, rc: modes.includes('rc'), reserved: ~covered };
}

/** The declared flags must be what the semantic uses. */
function checkFlags(name: string, flags: number, sem: Sem): void {
  const u = semUse(sem);
  const want = (u.memory || u.raise || u.privileged || u.call ? FAULT : 0) | (u.branch ? BRANCH : 0) |
    (u.privileged ? PRIV : 0) | (u.memory || u.raise || u.privileged || u.call || u.branch ? 0 : PURE);
  const declared = flags & (FAULT | BRANCH | PRIV | PURE);
  if (declared !== want) {
    const show = (f: number) => ['PURE', 'BRANCH', 'FAULT', 'PRIV'].filter((_, i) => (f & (1 << i)) !== 0).join('|') || '0';
    throw new Error(`${name}: flags ${show(declared)} but its semantics say ${show(want)}`);
  }
}

const modeList = (m: string): FieldName[] => (m === '' ? [] : operandFields(m));

export function P(name: string, op: number, args: string, flags: number, impl: Sem | Helper, modes = ''): InsnDef {
  return define(name, 'P', op, -1, args, flags, impl, modeList(modes));
}
export function X(name: string, op: number, xo: number, args: string, flags: number, impl: Sem | Helper, modes = ''): InsnDef {
  return define(name, 'X', op, xo, args, flags, impl, modeList(modes));
}
export function XO(name: string, op: number, xo: number, args: string, flags: number, impl: Sem | Helper): InsnDef {
  return define(name, 'XO', op, xo, args, flags, impl, ['oe', 'rc']);
}
export function A(name: string, op: number, xo: number, args: string, flags: number, impl: Sem | Helper, modes = 'rc'): InsnDef {
  return define(name, 'A', op, xo, args, flags, impl, modeList(modes));
}

/** The generated decoder: 64 primary entries, four 1024-entry extended tables. */
export class Decoder {
  /** Handler per primary opcode; extended opcodes dispatch through a second level. */
  readonly primary: Handler[] = new Array(64);
  /** Table line per primary opcode (for the disassembler), or per extended opcode. */
  private readonly primaryDef: (InsnDef | undefined)[] = new Array(64);
  private readonly extDef = new Map<number, (InsnDef | undefined)[]>();
  private readonly extHandlers = new Map<number, Handler[]>();

  constructor(defs: readonly InsnDef[], illegal: Handler) {
    this.primary.fill(illegal);
    for (const d of defs) {
      if (d.form === 'P') {
        if (this.primaryDef[d.op] || this.extDef.has(d.op)) throw new Error(`decode conflict: ${d.name} (opcode ${d.op})`);
        this.primaryDef[d.op] = d;
        this.primary[d.op] = d.exec;
        continue;
      }
      let defsFor = this.extDef.get(d.op);
      let handlers = this.extHandlers.get(d.op);
      if (!defsFor || !handlers) {
        if (this.primaryDef[d.op]) throw new Error(`decode conflict: ${d.name} (opcode ${d.op})`);
        defsFor = new Array(1024);
        handlers = new Array<Handler>(1024).fill(illegal);
        this.extDef.set(d.op, defsFor);
        this.extHandlers.set(d.op, handlers);
        this.primary[d.op] = makeSecondLevel(handlers);
      }
      for (const slot of slotsOf(d)) {
        const prev = defsFor[slot];
        if (prev) throw new Error(`decode conflict: ${d.name} and ${prev.name} (opcode ${d.op}/${slot})`);
        defsFor[slot] = d;
        handlers[slot] = d.exec;
      }
    }
    this.assignIds(illegal);
  }

  /**
   * Instruction ids: every table line has a small integer id (from 2), id 1
   * is "not an instruction" (the illegal handler) and 0 is reserved for
   * "not decoded yet" in the decoded-instruction cache. `handlerById[id]`
   * executes it; `defById[id]` describes it.
   */
  readonly handlerById: Handler[] = [];
  readonly defById: (InsnDef | undefined)[] = [];
  private idOfDef = new Map<InsnDef, number>();

  private assignIds(illegal: Handler): void {
    this.handlerById.push(illegal, illegal);
    this.defById.push(undefined, undefined);
    for (const d of this.allDefs()) {
      this.idOfDef.set(d, this.handlerById.length);
      this.handlerById.push(d.exec);
      this.defById.push(d);
    }
  }

  /** The id of the instruction word `w` (1 if it is not an instruction). */
  idFor(w: number): number {
    const d = this.lookup(w);
    return d === undefined ? 1 : this.idOfDef.get(d)!;
  }

  /** The table line for an instruction word, or undefined if it is not an instruction. */
  lookup(w: number): InsnDef | undefined {
    const op = w >>> 26;
    const ext = this.extDef.get(op);
    if (ext) return ext[(w >>> 1) & 0x3ff];
    return this.primaryDef[op];
  }

  /** The handler that executes `w` (never a second-level dispatcher). */
  handlerFor(w: number): Handler {
    const op = w >>> 26;
    const ext = this.extHandlers.get(op);
    return ext !== undefined ? ext[(w >>> 1) & 0x3ff] : this.primary[op];
  }

  /** Every (mnemonic, encoding) pair, for tests and documentation. */
  allDefs(): InsnDef[] {
    const out = new Set<InsnDef>();
    for (const d of this.primaryDef) if (d) out.add(d);
    for (const t of this.extDef.values()) for (const d of t) if (d) out.add(d);
    return [...out];
  }
}

function slotsOf(d: InsnDef): number[] {
  switch (d.form) {
    case 'X': return [d.xo];
    case 'XO': return [d.xo, d.xo | 0x200];
    case 'A': {
      const s: number[] = [];
      for (let k = 0; k < 32; k++) s.push((k << 5) | d.xo);
      return s;
    }
    default: return [];
  }
}

function makeSecondLevel(handlers: Handler[]): Handler {
  return (c, w) => handlers[(w >>> 1) & 0x3ff](c, w);
}
