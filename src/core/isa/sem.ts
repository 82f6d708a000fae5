// Instruction semantics, written once, for two products: the interpreter's
// handlers (one function per instruction, fields extracted at run time) and
// the translator's code (src/core/jit: fields known, so everything that
// depends only on them is decided while translating: Rc, OE, LK, rA = 0,
// immediates, rotate masks, SPR numbers).
//
// A semantic is a function of an `Emit` that returns JavaScript source. It
// names architected state only through the emitter (x.R('ra') reads the GPR
// the ra field names, x.W('rt') is the GPR to assign, x.CR, x.CA, ...), and
// the things that need a back end's own code through it too: branches,
// memory accesses, interrupts, calls into the rest of the core. Plain
// JavaScript around that computes values; it may call the pure functions of
// runtime.ts by name. Local names in a semantic must not be field names
// (they are bound as constants in the interpreter's handlers).
//
// The interpreter's emitter (InterpEmit) produces the handler; CheckEmit
// records what a semantic uses, so the table's flags can be checked against
// the semantics when the decoder is built (decode.ts).

import type { FieldName } from './fields.js';
import { fieldExpr, operandFields } from './fields.js';
import { RUNTIME } from './runtime.js';
import type { Cpu } from '../cpu.js';

/** Executes one instruction. `w` is the instruction word (int32). */
export type Handler = (c: Cpu, w: number) => void;

export type LoadKind = 'u8' | 'u16' | 'i32';
export type StoreKind = 'u8' | 'u16' | 'i32';

export interface Emit {
  /** A field's value (a literal when translating). */
  f(name: FieldName): string;
  /** The GPR a register field names, as a value. */
  R(name: FieldName): string;
  /** (rA|0): 0 if the field names r0, else that GPR's value. */
  R0(name: FieldName): string;
  /** The GPR a register field names, to assign to. */
  W(name: FieldName): string;
  /** Condition register, LR, CTR, XER[SO], XER[OV], XER[CA] (0 or 1): values and assignment targets. */
  readonly CR: string;
  readonly LR: string;
  readonly CTR: string;
  readonly SO: string;
  readonly OV: string;
  readonly CA: string;
  /** The address of this instruction, and of the next one in sequence. */
  readonly CIA: string;
  readonly NIA: string;
  /** `then` if `cond` holds, else `els`; `cond` is an expression over field names, decided when translating. */
  if(cond: string, then: string, els?: string): string;
  /** The expression `a` if `cond` holds, else `b` (`cond` over field names, decided when translating). */
  sel(cond: string, a: string, b: string): string;
  /** A value computed from fields only (an expression over field names and runtime functions). */
  k(expr: string): string;
  /** Branch to the target of a displacement field (li, bd): absolute if AA, else relative to this instruction. */
  branch(disp: FieldName): string;
  /** Branch to a computed address. */
  jump(addr: string): string;
  /**
   * `const dst = ` the value loaded from `ea`; a fault or an MMIO exit ends
   * the instruction there. `fp`: a floating-point access (ESR[FP] in the
   * syndrome of a DSI or data TLB error it takes).
   */
  load(dst: string, kind: LoadKind, ea: string, fp?: boolean): string;
  /** Store `v` at `ea`; a fault or an MMIO exit ends the instruction there. */
  store(kind: StoreKind, ea: string, v: string, fp?: boolean): string;
  /** A doubleword load into `const hi, lo` (one access: a fault in either half loads nothing). */
  load64(hi: string, lo: string, ea: string, fp?: boolean): string;
  /** A doubleword store of hi:lo (one access: a fault in either half stores nothing). */
  store64(ea: string, hi: string, lo: string, fp?: boolean): string;
  /** Run `code`, which delivers an interrupt; the instruction ends there. */
  raise(code: string): string;
  /** A privileged instruction: in user mode, the privileged-instruction program interrupt. */
  privileged(): string;
  /** Run `code`, a call into the core that may read or write any architected state, fault, or end the slice. */
  call(code: string): string;
}

export type Sem = (x: Emit) => string;

/** The fields a table line's semantic may name: its operands and its form's mode bits. */
export function semFields(args: string, modes: readonly FieldName[]): FieldName[] {
  return [...new Set([...operandFields(args), ...modes])];
}

const PR = 0x4000;
const ESR_PPR = 0x04000000;
const ESR_FP = 0x01000000;

/**
 * The interpreter's back end: fields come from `w` at run time. `leave` is
 * the statement that ends the instruction early (it faulted or exited):
 * `return;` in a handler, a `break` out of its block where the page
 * interpreter has the code inline.
 */
class InterpEmit implements Emit {
  constructor(private readonly leave = 'return;') {}
  readonly CR = 'c.cr';
  readonly LR = 'c.lr';
  readonly CTR = 'c.ctr';
  readonly SO = 'c.xerSo';
  readonly OV = 'c.xerOv';
  readonly CA = 'c.xerCa';
  readonly CIA = 'c.pc';
  readonly NIA = '((c.pc + 4) | 0)';
  f(name: FieldName): string { return name; }
  R(name: FieldName): string { return `g[${name}]`; }
  R0(name: FieldName): string { return `(${name} === 0 ? 0 : g[${name}])`; }
  W(name: FieldName): string { return `g[${name}]`; }
  if(cond: string, then: string, els = ''): string {
    return els === '' ? `if (${cond}) { ${then} }` : `if (${cond}) { ${then} } else { ${els} }`;
  }
  sel(cond: string, a: string, b: string): string { return `((${cond}) ? (${a}) : (${b}))`; }
  k(expr: string): string { return `(${expr})`; }
  branch(disp: FieldName): string { return `c.nip = aa !== 0 ? ${disp} : (c.pc + ${disp}) | 0;`; }
  jump(addr: string): string { return `c.nip = ${addr};`; }
  load(dst: string, kind: LoadKind, ea: string, fp = false): string {
    if (fp) return `c.esrFp = ${ESR_FP}; const ${dst} = ${LOAD_FN[kind]}(c, ${ea}); c.esrFp = 0; if (c.abort) ${this.leave}`;
    return `const ${dst} = ${LOAD_FN[kind]}(c, ${ea}); if (c.abort) ${this.leave}`;
  }
  store(kind: StoreKind, ea: string, v: string, fp = false): string {
    if (fp) return `c.esrFp = ${ESR_FP}; ${STORE_FN[kind]}(c, ${ea}, ${v}); c.esrFp = 0; if (c.abort) ${this.leave}`;
    return `${STORE_FN[kind]}(c, ${ea}, ${v}); if (c.abort) ${this.leave}`;
  }
  load64(hi: string, lo: string, ea: string, fp = false): string {
    return `c.esrFp = ${fp ? ESR_FP : 0}; ld64(c, ${ea}, dw64); c.esrFp = 0; if (c.abort) ${this.leave} const ${hi} = dw64[0], ${lo} = dw64[1];`;
  }
  store64(ea: string, hi: string, lo: string, fp = false): string {
    return `c.esrFp = ${fp ? ESR_FP : 0}; st64(c, ${ea}, ${hi}, ${lo}); c.esrFp = 0; if (c.abort) ${this.leave}`;
  }
  raise(code: string): string { return `${code}; ${this.leave}`; }
  privileged(): string { return `if ((c.msr & ${PR}) !== 0) { c.raiseProgram(${ESR_PPR}); ${this.leave} }`; }
  call(code: string): string { return `${code}; if (c.abort) ${this.leave}`; }
}

export const LOAD_FN: Record<LoadKind, string> = { u8: 'ld8', u16: 'ld16', i32: 'ld32' };
export const STORE_FN: Record<StoreKind, string> = { u8: 'st8', u16: 'st16', i32: 'st32' };

/** What a semantic uses, for checking the table's flags. */
export interface SemUse {
  memory: boolean;
  raise: boolean;
  privileged: boolean;
  branch: boolean;
  call: boolean;
}

class CheckEmit extends InterpEmit {
  readonly use: SemUse = { memory: false, raise: false, privileged: false, branch: false, call: false };
  override branch(disp: FieldName): string { this.use.branch = true; return super.branch(disp); }
  override jump(addr: string): string { this.use.branch = true; return super.jump(addr); }
  override load(dst: string, kind: LoadKind, ea: string): string { this.use.memory = true; return super.load(dst, kind, ea); }
  override store(kind: StoreKind, ea: string, v: string): string { this.use.memory = true; return super.store(kind, ea, v); }
  override load64(hi: string, lo: string, ea: string): string { this.use.memory = true; return super.load64(hi, lo, ea); }
  override store64(ea: string, hi: string, lo: string): string { this.use.memory = true; return super.store64(ea, hi, lo); }
  override raise(code: string): string { this.use.raise = true; return super.raise(code); }
  override privileged(): string { this.use.privileged = true; return super.privileged(); }
  override call(code: string): string { this.use.call = true; return super.call(code); }
}

/** What `sem` uses (every arm of its conditions is emitted, so every use is seen). */
export function semUse(sem: Sem): SemUse {
  const x = new CheckEmit();
  sem(x);
  return x.use;
}

/** Compiles `src` (the body of a factory) with every runtime function in scope by name. */
export function withRuntime(src: string): unknown {
  const names = Object.keys(RUNTIME);
  return new Function(...names, src)(...names.map((k) => RUNTIME[k]));
}

/** The words of `src` that are identifiers (to bind only the fields a body uses). */
function identifiers(src: string): Set<string> {
  return new Set(src.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []);
}

/**
 * The interpreter's code for a semantic: its fields (those the code uses)
 * taken from the instruction word `w`, then the code; `leave` ends the
 * instruction early (see InterpEmit).
 */
export function interpSource(sem: Sem, fields: readonly FieldName[], leave = 'return;'): string {
  const body = sem(new InterpEmit(leave));
  const used = identifiers(body);
  let binds = used.has('g') ? 'const g = c.gpr;\n' : '';
  for (const fd of fields) if (used.has(fd)) binds += `const ${fd} = ${fieldExpr(fd)};\n`;
  return `${binds}${body}`;
}

/** The interpreter's handler for a semantic, with the table line's fields. */
export function interpHandler(name: string, sem: Sem, fields: readonly FieldName[]): Handler {
  const fn = `h_${name.replace(/\W/g, '_')}`;
  const src = `return function ${fn}(c, w) {\n${interpSource(sem, fields)}\n};`;
  try {
    return withRuntime(src) as Handler;
  } catch (e) {
    throw new Error(`semantics of ${name}: ${(e as Error).message}\n${src}`);
  }
}
