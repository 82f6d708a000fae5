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
import { RUNTIME } from '../isa/runtime.js';
import { TC_MASK } from '../mmu/tcache.js';

/** The instruction being translated and how its code leaves the function. */
export interface InsnSite {
  /** Its offset in the page (the function's `$base` is the page's virtual address), and its word. */
  off: number;
  w: number;
  fields: readonly FieldName[];
  /**
   * The GPRs a call for it may read or write (its register fields), or null
   * for all of them; the locals of other registers need no writing back.
   */
  gprs: readonly number[] | null;
  /**
   * Statement that leaves the function before the instruction, which the
   * interpreter then runs: its slow paths (an access the translation cache
   * does not hit, an interrupt) are the interpreter's, so translated code
   * has none of its own.
   */
  before: string;
  /** The same for a load or store the translation cache does not serve (counted apart). */
  miss: string;
  /** Statement that leaves the function after it, with `c.nip` set (by the core, or by the code). */
  after: string;
  /** Statement that leaves the function after it, to the next instruction. */
  next: string;
  /** Statement for a branch to a byte offset from the page (a jump inside the function, or a way out), or to an absolute address. */
  goto: (off: number) => string;
  gotoAbsolute: (target: number) => string;
}

/** Guest state a translated function keeps in locals: found in its code once generated. */
const SPECIALS = [['cr', 'cr'], ['lr', 'lr'], ['ctr', 'ctr'], ['so', 'xerSo'], ['ov', 'xerOv'], ['ca', 'xerCa']] as const;

export class Locals {
  private gprs: number[] = [];
  private written: number[] = [];
  private specials: (typeof SPECIALS)[number][] = [];
  private loads = false;
  private stores = false;

  /**
   * Statements that store the locals the function may have changed into the
   * Cpu (before a call: of the GPRs `gprs` names, all if null; and on the
   * way out), and that load them again (after a call). Which locals the
   * function has is known only when all of it has been generated: until
   * then these are markers that finish() replaces.
   */
  writeBack(gprs: readonly number[] | null = null, specials: readonly string[] | null = null): string {
    return `/*$wb:${gprs === null ? '*' : gprs.join(',')}:${specials === null ? '*' : specials.join(',')}*/`;
  }
  reload(gprs: readonly number[] | null = null, specials: readonly string[] | null = null): string {
    return `/*$rl:${gprs === null ? '*' : gprs.join(',')}:${specials === null ? '*' : specials.join(',')}*/`;
  }

  /** The function's source: its locals declared, the markers replaced. */
  finish(body: string): string {
    const used = new Set<number>(), written = new Set<number>();
    for (const m of body.matchAll(/\$r(\d+)\b( *[-+|&^]?=(?!=))?/g)) {
      used.add(Number(m[1]));
      if (m[2] !== undefined) written.add(Number(m[1]));
    }
    this.gprs = [...used].sort((a, b) => a - b);
    this.written = [...written].sort((a, b) => a - b);
    this.specials = SPECIALS.filter(([k]) => new RegExp(`\\$${k}\\b`).test(body));
    this.loads = body.includes('$rTag');
    this.stores = body.includes('$wTag');
    // A special named 'xer' stands for its three locals.
    const specialOf = (k: string): string => (k === 'so' || k === 'ov' || k === 'ca' ? 'xer' : k);
    const wb = (only: Set<number> | null, sp: Set<string> | null): string => {
      let t = '';
      for (const r of this.written) if (only === null || only.has(r)) t += `$g[${r}] = $r${r}; `;
      for (const [k, f] of this.specials) if (sp === null || sp.has(specialOf(k))) t += `c.${f} = $${k}; `;
      return t;
    };
    const rl = (only: Set<number> | null, sp: Set<string> | null): string => {
      let t = '';
      for (const r of this.gprs) if (only === null || only.has(r)) t += `$r${r} = $g[${r}]; `;
      for (const [k, f] of this.specials) if (sp === null || sp.has(specialOf(k))) t += `$${k} = c.${f}; `;
      return t;
    };
    const set = (list: string): Set<number> | null => (list === '*' ? null : new Set(list === '' ? [] : list.split(',').map(Number)));
    const sset = (list: string): Set<string> | null => (list === '*' ? null : new Set(list === '' ? [] : list.split(',')));
    let decl = this.gprs.length > 0 || body.includes('$g[') ? 'const $g = c.gpr;\n' : '';
    for (const r of this.gprs) decl += `let $r${r} = $g[${r}];\n`;
    for (const [k, f] of this.specials) decl += `let $${k} = c.${f};\n`;
    decl += 'const $base = c.pc & -4096;\n';
    if (this.loads || this.stores) decl += 'const $tc = c.tc, $dctx = $tc.dctx;\n';
    if (this.loads) decl += 'const $rTag = $tc.rTag, $rOff = $tc.rOff, $rView = $tc.rView;\n';
    if (this.stores) decl += 'const $wTag = $tc.wTag, $wOff = $tc.wOff, $wView = $tc.wView;\n';
    return body.split('/*$decl*/').join(decl)
      .replace(/\/\*\$wb:([0-9,*]*):([a-z,*]*)\*\//g, (_, l: string, k: string) => wb(set(l), sset(k)))
      .replace(/\/\*\$rl:([0-9,*]*):([a-z,*]*)\*\//g, (_, l: string, k: string) => rl(set(l), sset(k)));
  }
}

const LOAD_GET: Record<LoadKind, [string, number]> = { u8: ['getUint8', 1], u16: ['getUint16', 2], i32: ['getInt32', 4] };
const STORE_SET: Record<StoreKind, [string, number]> = { u8: ['setUint8', 1], u16: ['setUint16', 2], i32: ['setInt32', 4] };

/** The address at byte offset `off` from the function's page (an int32 whatever the page). */
export function at(off: number): string {
  return off >= 0 && off < 4096 ? `($base + ${off})` : `(($base + ${off}) | 0)`;
}

/** A JavaScript literal for an int32 or small number. */
export function lit(v: number): string {
  return v < 0 ? `(${v})` : String(v);
}

/** Marks code that called into the core (the slice may have ended). */
export const CALLED = '/*$called*/';

const evalCache = new Map<string, (...a: unknown[]) => unknown>();

export class TransEmit implements Emit {
  private site!: InsnSite;

  constructor(readonly locals: Locals) {}

  /** Start emitting an instruction. */
  begin(site: InsnSite): void {
    this.site = site;
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
  R(name: FieldName): string { return `$r${this.value(name)}`; }
  R0(name: FieldName): string { return this.value(name) === 0 ? '0' : this.R(name); }
  W(name: FieldName): string { return `$r${this.value(name)}`; }
  readonly CR = '$cr';
  readonly LR = '$lr';
  readonly CTR = '$ctr';
  readonly SO = '$so';
  readonly OV = '$ov';
  readonly CA = '$ca';
  get CIA(): string { return at(this.site.off); }
  get NIA(): string { return at(this.site.off + 4); }

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
    return fieldValue('aa', this.site.w) !== 0 ? this.site.gotoAbsolute(d) : this.site.goto(this.site.off + d);
  }
  jump(addr: string): string {
    return `c.nip = ${addr}; ${this.site.after}`;
  }
  /** Where the core finds the instruction when it is called. */
  private at(): string {
    return `c.pc = ${this.CIA}; c.nip = ${this.NIA};`;
  }
  // A load or store that misses the translation cache leaves the function
  // before the instruction: the interpreter runs it (and fills the cache).
  load(dst: string, kind: LoadKind, ea: string): string {
    const [get, size] = LOAD_GET[kind];
    const inPage = size === 1 ? '' : ` && ($a & 4095) <= ${4096 - size}`;
    return `let ${dst}; { const $a = ${ea}, $i = ($a >>> 12) & ${TC_MASK};
      if ($rTag[$i] === (($a & -4096) | $dctx)${inPage}) ${dst} = $rView[$i].${get}($rOff[$i] + ($a & 4095)); else ${this.site.miss} }`;
  }
  store(kind: StoreKind, ea: string, v: string): string {
    const [set, size] = STORE_SET[kind];
    const inPage = size === 1 ? '' : ` && ($a & 4095) <= ${4096 - size}`;
    return `{ const $a = ${ea}, $i = ($a >>> 12) & ${TC_MASK};
      if ($wTag[$i] === (($a & -4096) | $dctx)${inPage}) $wView[$i].${set}($wOff[$i] + ($a & 4095), ${v}); else ${this.site.miss} }`;
  }
  load64(hi: string, lo: string, ea: string): string {
    return `let ${hi}, ${lo}; { const $a = ${ea}, $i = ($a >>> 12) & ${TC_MASK};
      if ($rTag[$i] === (($a & -4096) | $dctx) && ($a & 4095) <= 4088) { const $o = $rOff[$i] + ($a & 4095), $d = $rView[$i]; ${hi} = $d.getInt32($o); ${lo} = $d.getInt32($o + 4); } else ${this.site.miss} }`;
  }
  store64(ea: string, hi: string, lo: string): string {
    return `{ const $a = ${ea}, $i = ($a >>> 12) & ${TC_MASK};
      if ($wTag[$i] === (($a & -4096) | $dctx) && ($a & 4095) <= 4088) { const $o = $wOff[$i] + ($a & 4095), $d = $wView[$i]; $d.setInt32($o, ${hi}); $d.setInt32($o + 4, ${lo}); } else ${this.site.miss} }`;
  }
  // Interrupts too: the semantics raise before they change anything (sem.ts).
  raise(_code: string): string {
    return this.site.before;
  }
  privileged(): string {
    return `if ((c.msr & 0x4000) !== 0) ${this.site.before}`;
  }
  call(code: string): string {
    const l = this.locals;
    // The locals are written back first and loaded again after: the call may read or write any of them.
    return `${l.writeBack(this.site.gprs)} ${this.at()} ${code}; ${l.reload(this.site.gprs)} if (c.abort) ${this.site.after} ${CALLED}`;
  }
}
