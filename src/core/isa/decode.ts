// Declarative instruction decoding, in the spirit of QEMU's decodetree: every
// instruction is one table line (mnemonic, form, opcodes, operand syntax,
// handler); the decoder tables are generated from the lines at start-up and
// any two lines that claim the same encoding are an error.

import type { Cpu } from '../cpu.js';

/** Executes one instruction. `w` is the instruction word (int32). */
export type Handler = (c: Cpu, w: number) => void;

/**
 * Instruction forms, as far as decoding is concerned:
 *  - P:  primary opcode only (I, B, SC, D forms)
 *  - X:  10-bit extended opcode in bits 21..30 (X, XL, XFX, XFL forms)
 *  - XO: 9-bit extended opcode in bits 22..30, OE in bit 21 (both OE values decode)
 *  - A:  5-bit extended opcode in bits 26..30 (A form: bits 21..25 are an operand)
 */
export type Form = 'P' | 'X' | 'XO' | 'A';

export interface InsnDef {
  readonly name: string;
  readonly form: Form;
  readonly op: number;
  readonly xo: number;
  /** Operand syntax for the disassembler, e.g. 'rt,ra,si' or 'rt,d(ra)'. */
  readonly args: string;
  readonly exec: Handler;
  /** Has an Rc bit (bit 31) that appends '.'. */
  readonly rc: boolean;
}

export function P(name: string, op: number, args: string, exec: Handler): InsnDef {
  return { name, form: 'P', op, xo: -1, args, exec, rc: false };
}
export function X(name: string, op: number, xo: number, args: string, exec: Handler, rc = false): InsnDef {
  return { name, form: 'X', op, xo, args, exec, rc };
}
export function XO(name: string, op: number, xo: number, args: string, exec: Handler): InsnDef {
  return { name, form: 'XO', op, xo, args, exec, rc: true };
}
export function A(name: string, op: number, xo: number, args: string, exec: Handler, rc = true): InsnDef {
  return { name, form: 'A', op, xo, args, exec, rc };
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
