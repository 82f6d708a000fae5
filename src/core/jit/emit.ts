// The translator's back end for the semantics (isa/sem.ts): every field is
// a constant, so conditions on fields are decided here and values that
// depend only on fields become literals; guest registers are locals of the
// translated function ($r0..$r31, $cr, $lr, $ctr, $so, $ov, $ca), loaded on
// entry and written back on every way out; loads and stores that hit the
// translation cache are a few typed-array operations inline.
//
// Names the translator introduces start with `$`; semantics never use `$`.

import { fieldValue, type FieldName } from '../isa/fields.js';
import type { Emit, LoadKind, StoreKind } from '../isa/sem.js';
import { LOAD_FN, STORE_FN } from '../isa/sem.js';
import { RUNTIME } from '../isa/runtime.js';
import { TC_MASK } from '../mmu/tcache.js';

/** The instruction being translated and how its code leaves the function. */
export interface InsnSite {
  /** Its address (int32) and word. */
  pc: number;
  w: number;
  fields: readonly FieldName[];
  /** Statement that ends the function after this instruction faulted (the interrupt or exit is set up). */
  fault: string;
  /** Statement that ends the function with the next address in `c.nip` (already set). */
  leave: string;
  /** Statement for a branch to a constant address: a jump inside the function, or a way out. */
  goto: (target: number) => string;
}

/** Guest state a translated function keeps in locals. */
export class Locals {
  readonly gprRead = new Set<number>();
  readonly gprWritten = new Set<number>();
  readonly special = new Set<'cr' | 'lr' | 'ctr' | 'so' | 'ov' | 'ca'>();
  usesMemory = false;

  /**
   * Statements that store the locals the function may have changed into the
   * Cpu. Which locals is known only when the whole function has been
   * generated: until then this is a marker that finish() replaces.
   */
  writeBack(): string {
    return '/*$writeBack*/';
  }
  /** Statements that load every local from the Cpu again (after a call that may change anything); a marker too. */
  reload(): string {
    return '/*$reload*/';
  }
  /** The function's source with the markers replaced. */
  finish(src: string): string {
    return src.split('/*$writeBack*/').join(this.writeBackCode()).split('/*$reload*/').join(this.reloadCode());
  }
  private writeBackCode(): string {
    let s = '';
    for (const r of [...this.gprWritten].sort((a, b) => a - b)) s += `$g[${r}] = $r${r}; `;
    for (const k of this.special) s += `c.${SPECIAL_FIELD[k]} = $${k}; `;
    return s;
  }
  private reloadCode(): string {
    let s = '';
    for (const r of this.allGprs()) s += `$r${r} = $g[${r}]; `;
    for (const k of this.special) s += `$${k} = c.${SPECIAL_FIELD[k]}; `;
    return s;
  }
  /** Declarations of the locals, loaded. */
  declare(): string {
    let s = 'const $g = c.gpr;\n';
    for (const r of this.allGprs()) s += `let $r${r} = $g[${r}];\n`;
    for (const k of this.special) s += `let $${k} = c.${SPECIAL_FIELD[k]};\n`;
    if (this.usesMemory) {
      s += 'const $tc = c.tc, $dctx = $tc.dctx, $rTag = $tc.rTag, $rOff = $tc.rOff, $rView = $tc.rView, ' +
        '$wTag = $tc.wTag, $wOff = $tc.wOff, $wView = $tc.wView;\nlet $se = false;\n';
    }
    return s;
  }
  private allGprs(): number[] {
    return [...new Set([...this.gprRead, ...this.gprWritten])].sort((a, b) => a - b);
  }
}

const SPECIAL_FIELD = { cr: 'cr', lr: 'lr', ctr: 'ctr', so: 'xerSo', ov: 'xerOv', ca: 'xerCa' } as const;

const LOAD_GET: Record<LoadKind, [string, number]> = { u8: ['getUint8', 1], u16: ['getUint16', 2], i32: ['getInt32', 4] };
const STORE_SET: Record<StoreKind, [string, number]> = { u8: ['setUint8', 1], u16: ['setUint16', 2], i32: ['setInt32', 4] };

/** A JavaScript literal for an int32 or small number. */
export function lit(v: number): string {
  return v < 0 ? `(${v})` : String(v);
}

const evalCache = new Map<string, (...a: unknown[]) => unknown>();

export class TransEmit implements Emit {
  /** The instruction's code needs `if ($se)` (a store took the slow path) or a slice check (a call) after it. */
  storeCheck = false;
  callCheck = false;
  private site!: InsnSite;

  constructor(readonly locals: Locals) {}

  /** Start emitting an instruction. */
  begin(site: InsnSite): void {
    this.site = site;
    this.storeCheck = false;
    this.callCheck = false;
  }

  private value(name: FieldName): number {
    return fieldValue(name, this.site.w);
  }

  /** Evaluate an expression over the instruction's fields (and runtime functions) now. */
  private evaluate(expr: string): unknown {
    const names = this.site.fields;
    const key = `${names.join(',')}|${expr}`;
    let fn = evalCache.get(key);
    if (fn === undefined) {
      const rt = Object.keys(RUNTIME);
      const f = new Function(...rt, ...names, `return (${expr});`) as (...a: unknown[]) => unknown;
      const vals = rt.map((k) => RUNTIME[k]);
      fn = (...a: unknown[]) => f(...vals, ...a);
      evalCache.set(key, fn);
    }
    return fn(...names.map((n) => this.value(n)));
  }

  f(name: FieldName): string { return lit(this.value(name)); }
  R(name: FieldName): string {
    const r = this.value(name);
    this.locals.gprRead.add(r);
    return `$r${r}`;
  }
  R0(name: FieldName): string { return this.value(name) === 0 ? '0' : this.R(name); }
  W(name: FieldName): string {
    const r = this.value(name);
    this.locals.gprWritten.add(r);
    return `$r${r}`;
  }
  private sp(k: 'cr' | 'lr' | 'ctr' | 'so' | 'ov' | 'ca'): string {
    this.locals.special.add(k);
    return `$${k}`;
  }
  get CR(): string { return this.sp('cr'); }
  get LR(): string { return this.sp('lr'); }
  get CTR(): string { return this.sp('ctr'); }
  get SO(): string { return this.sp('so'); }
  get OV(): string { return this.sp('ov'); }
  get CA(): string { return this.sp('ca'); }
  get CIA(): string { return lit(this.site.pc); }
  get NIA(): string { return lit((this.site.pc + 4) | 0); }

  if(cond: string, then: string, els = ''): string {
    const code = this.evaluate(cond) ? then : els;
    return code === '' ? '' : `{ ${code} }`;
  }
  sel(cond: string, a: string, b: string): string {
    return `(${this.evaluate(cond) ? a : b})`;
  }
  k(expr: string): string {
    const v = this.evaluate(expr);
    if (typeof v !== 'number') throw new Error(`constant ${expr} is not a number`);
    return lit(v);
  }
  branch(disp: FieldName): string {
    const d = this.value(disp);
    const target = fieldValue('aa', this.site.w) !== 0 ? d : (this.site.pc + d) | 0;
    return this.site.goto(target);
  }
  jump(addr: string): string {
    return `c.nip = ${addr}; ${this.site.leave}`;
  }
  /** Where the core's slow paths and interrupts find the instruction. */
  private at(): string {
    return `c.pc = ${this.CIA}; c.nip = ${this.NIA};`;
  }
  load(dst: string, kind: LoadKind, ea: string): string {
    this.locals.usesMemory = true;
    const [get, size] = LOAD_GET[kind];
    const inPage = size === 1 ? '' : ` && ($a & 4095) <= ${4096 - size}`;
    return `let ${dst}; { const $a = ${ea}, $i = ($a >>> 12) & ${TC_MASK};
      if ($rTag[$i] === (($a & -4096) | $dctx)${inPage}) ${dst} = $rView[$i].${get}($rOff[$i] + ($a & 4095));
      else { ${this.at()} ${dst} = ${LOAD_FN[kind]}(c, $a); if (c.abort) { ${this.site.fault} } } }`;
  }
  store(kind: StoreKind, ea: string, v: string): string {
    this.locals.usesMemory = true;
    this.storeCheck = true;
    const [set, size] = STORE_SET[kind];
    const inPage = size === 1 ? '' : ` && ($a & 4095) <= ${4096 - size}`;
    return `{ const $a = ${ea}, $v = ${v}, $i = ($a >>> 12) & ${TC_MASK};
      if ($wTag[$i] === (($a & -4096) | $dctx)${inPage}) $wView[$i].${set}($wOff[$i] + ($a & 4095), $v);
      else { ${this.at()} ${STORE_FN[kind]}(c, $a, $v); if (c.abort) { ${this.site.fault} } $se = true; } }`;
  }
  raise(code: string): string {
    return `${this.at()} ${code}; ${this.site.fault}`;
  }
  privileged(): string {
    return `if ((c.msr & 0x4000) !== 0) { ${this.at()} c.raiseProgram(0x04000000); ${this.site.fault} }`;
  }
  call(code: string): string {
    this.callCheck = true;
    const l = this.locals;
    // The locals are written back first and loaded again after: the call may read or write any of them.
    return `${l.writeBack()} ${this.at()} ${code}; ${l.reload()} if (c.abort) { ${this.site.fault} }`;
  }
}
