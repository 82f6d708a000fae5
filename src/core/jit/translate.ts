// The translator: hot code of one physical page becomes one JavaScript
// function (a "region"), generated from the instruction semantics with every
// field a constant (emit.ts) and compiled with `new Function`.
//
// A region starts at an entry (the address execution entered the page at,
// or a hot branch target) and takes in the blocks that follow it in the page
// and that fall-through and direct branches reach from it, as far as they
// have been executed (decoded) before. Its shape is what V8's optimizing
// compiler handles cheaply: the blocks in address order, a branch forward to
// one of them a `break` out of a labeled block that ends just before it, a
// branch back to the entry `continue` of a loop around everything (so a
// guest loop is a JavaScript loop, the guest registers in locals), and
// anything else leaves the function with the next address in `c.nip`, as the
// interpreter does. (A `switch` over every block in a loop made V8's
// compiler take a median 13 ms, up to 750 ms, per region on a Linux boot.)
//
// The contract is the interpreter's (exec/interp.ts): run from c.pc (the
// entry) for at most `budget` instructions, exactly: a block runs only if it
// fits in what is left; return the instructions attempted (the last one may
// have faulted: c.abort), with the next address in c.nip. Running fewer
// than asked is always allowed; 0 means "interpret instead".

import type { Cpu } from '../cpu.js';
import type { Decoder, InsnDef } from '../isa/decode.js';
import { ALLGPR, BRANCH, SYNC } from '../isa/decode.js';
import { fieldValue } from '../isa/fields.js';
import { withRuntime } from '../isa/sem.js';
import type { Handler } from '../isa/sem.js';
import { decodeInto } from '../exec/interp.js';
import type { CodePage } from '../exec/pages.js';
import { CALLED, Locals, TransEmit, at, lit, type InsnSite } from './emit.js';

/** A translated region: the interpreter's contract (see above). */
export type RegionFn = (c: Cpu, budget: number) => number;

/** Instructions in a region at most (bounds the time V8 takes to compile it). */
export const MAX_REGION_INSNS = 256;

interface Block {
  /** Word offset in the page of its first instruction, and its length. */
  start: number;
  len: number;
}

/** Statistics of the translator, for `-d jit` and the monitor's `info jit`. */
export class JitStats {
  regions = 0;
  instructions = 0;
  sourceBytes = 0;
  /** Milliseconds spent generating and compiling source (not V8's later optimization). */
  translateMs = 0;
  /** Region entries that ran, and that returned at once (not enough budget). */
  runs = 0;
  declined = 0;
  /** Instructions run in translated code (the last of a run may have faulted), and runs that came straight after another region's. */
  ran = 0;
  chained = 0;
  /** Translations that failed (translator bugs; the code is interpreted), and the last one's message. */
  failures = 0;
  lastFailure = '';
}

/** Where a block ends: after a branch, an instruction that changes the context, or a word that is not an instruction. */
function endsBlock(d: InsnDef | undefined): boolean {
  return d === undefined || (d.flags & (BRANCH | SYNC)) !== 0;
}

/** The constant target of a direct branch (the li or bd field), or null. */
function directTarget(d: InsnDef, w: number, pc: number): number | null {
  const disp = d.fields.includes('li') ? 'li' : d.fields.includes('bd') ? 'bd' : null;
  if (disp === null) return null;
  const v = fieldValue(disp, w);
  return fieldValue('aa', w) !== 0 ? v : (pc + v) | 0;
}

/** The GPRs a helper or a call of the instruction may read or write: its register fields, or all (null) for ALLGPR ones. */
function gprsOf(d: InsnDef, w: number): number[] | null {
  if ((d.flags & ALLGPR) !== 0) return null;
  const out: number[] = [];
  for (const f of d.fields) if (f === 'rt' || f === 'rs' || f === 'ra' || f === 'rb') out.push(fieldValue(f, w));
  return out;
}

/** True if a branch may fall through to the next instruction (conditional, BO says so). */
function mayFallThrough(d: InsnDef, w: number): boolean {
  if ((d.flags & BRANCH) === 0) return (d.flags & SYNC) === 0;
  if (!d.fields.includes('bo')) return false;
  return (fieldValue('bo', w) & 0x14) !== 0x14;
}

export class Translator {
  readonly stats = new JitStats();
  /** Count a failed translation (see Cpu.translateAt). */
  failed(e: unknown): void {
    this.stats.failures++;
    this.stats.lastFailure = e instanceof Error ? e.message.split('\n')[0] : String(e);
  }

  /** Called with each region's address and source (tools: `-d jit` style dumps). */
  onTranslate: ((pc: number, src: string) => void) | null = null;

  constructor(private readonly dec: Decoder) {}

  /**
   * Translate the region entered at word `entry` of `page`, whose virtual
   * page starts at `base`; the entry's block is decoded here (it is about
   * to run), other blocks are included only if already decoded.
   */
  translate(c: Cpu, page: CodePage, entry: number, base: number): RegionFn {
    const t0 = performance.now();
    const blocks = this.findBlocks(c, page, entry);
    const src = this.generate(page, blocks, ((base + entry * 4) >>> 0).toString(16));
    const helpers = this.helpers;
    let fn: RegionFn;
    try {
      fn = (withRuntime(`return function($h) { ${src} };`) as (h: Handler[]) => RegionFn)(helpers);
    } catch (e) {
      throw new Error(`translation of 0x${(base + entry * 4 >>> 0).toString(16)} failed: ${(e as Error).message}\n${src}`);
    }
    this.onTranslate?.((base + entry * 4) | 0, src);
    const s = this.stats;
    s.regions++;
    for (const b of blocks) s.instructions += b.len;
    s.sourceBytes += src.length;
    s.translateMs += performance.now() - t0;
    return fn;
  }

  /** The helpers the current function calls ($h[i]), collected while generating. */
  private helpers: Handler[] = [];
  private helperIndex = new Map<Handler, number>();

  private helperName(h: Handler): string {
    let i = this.helperIndex.get(h);
    if (i === undefined) {
      i = this.helpers.length;
      this.helpers.push(h);
      this.helperIndex.set(h, i);
    }
    return `$h${i}`;
  }

  /** The blocks of the region: the entry's, then those after it that direct branches and fall-through reach. */
  private findBlocks(c: Cpu, page: CodePage, entry: number): Block[] {
    const ids = page.ids, words = page.words, defs = this.dec.defById;
    const starts = new Set<number>([entry]);
    const work = [entry];
    let budget = MAX_REGION_INSNS;
    const add = (o: number): void => {
      if (o > entry && o < 1024 && ids[o] !== 0 && !starts.has(o)) {
        starts.add(o);
        work.push(o);
      }
    };
    while (work.length > 0 && budget > 0) {
      const o0 = work.pop()!;
      for (let o = o0; o < 1024 && budget > 0; o++) {
        if (ids[o] === 0) {
          // The entry's block is about to run: decode it. Elsewhere only what has run before.
          if (o0 !== entry) break;
          decodeInto(c, page, o);
        }
        budget--;
        const d = defs[ids[o]];
        if (!endsBlock(d)) continue;
        if (d !== undefined) {
          // Relative branches only: the code must not depend on the page's virtual address
          // (the same physical page may run at several), and an absolute target does.
          const t = fieldValue('aa', words[o]) === 0 ? directTarget(d, words[o], o * 4) : null;
          if (t !== null && (t & ~4095) === 0) add(t >> 2);
          if (mayFallThrough(d, words[o])) add(o + 1);
        }
        break;
      }
    }
    // Blocks in address order: from each start to the first block end, the next start, or an undecoded word.
    const sorted = [...starts].sort((a, b) => a - b);
    const blocks: Block[] = [];
    let total = 0;
    for (let i = 0; i < sorted.length && total < MAX_REGION_INSNS; i++) {
      const start = sorted[i];
      const next = i + 1 < sorted.length ? sorted[i + 1] : 1024;
      let o = start;
      while (o < next && ids[o] !== 0 && total < MAX_REGION_INSNS) {
        total++;
        if (endsBlock(defs[ids[o++]])) break;
      }
      if (o > start) blocks.push({ start, len: o - start });
    }
    return blocks;
  }

  private generate(page: CodePage, blocks: Block[], name: string): string {
    this.helpers = [];
    this.helperIndex = new Map();
    const locals = new Locals();
    const x = new TransEmit(locals);
    const defs = this.dec.defById, ids = page.ids, words = page.words;
    const index = new Map<number, number>();
    blocks.forEach((b, i) => index.set(b.start, i));
    const shape = structure(blocks, (i) => {
      const b = blocks[i], o = b.start + b.len - 1, d = defs[ids[o]];
      const t = d !== undefined && fieldValue('aa', words[o]) === 0 ? directTarget(d, words[o], o * 4) : null;
      return t !== null && t >= 0 && t < 4096 ? index.get(t >> 2) : undefined;
    });

    // The ways out: $x is set to one and the epilogue does the rest, so that
    // leaving needs no operation V8 would want type feedback for (a cold
    // path without feedback deoptimizes the whole function when first taken).
    // kind 0: c.nip is set already; 1: $base + v; 2: the absolute address v.
    // miss: 1 for the ways out before a load or store the translation cache did not serve (counted).
    const exitKind: number[] = [], exitValue: number[] = [], exitBack: number[] = [], exitMiss: number[] = [];
    const exitIndex = new Map<string, number>();
    const exit = (kind: number, value: number, back: number, miss = 0): string => {
      const key = `${kind},${value},${back},${miss}`;
      let k = exitIndex.get(key);
      if (k === undefined) {
        k = exitKind.length;
        exitKind.push(kind);
        exitValue.push(value);
        exitBack.push(back);
        exitMiss.push(miss);
        exitIndex.set(key, k);
      }
      return `{ $x = ${k}; break $out; }`;
    };

    const code: string[] = [];
    for (let bi = 0; bi < blocks.length; bi++) {
      const b = blocks[bi];
      let out = `if ($n + ${b.len} > $budget) ${exit(1, b.start * 4, 0)} $n += ${b.len};\n`;
      for (let k = 0; k < b.len; k++) {
        const o = b.start + k;
        const w = words[o];
        const d = defs[ids[o]];
        const back = b.len - 1 - k;
        const site: InsnSite = {
          off: o * 4, w, fields: d?.fields ?? [], gprs: d === undefined ? [] : gprsOf(d, w),
          before: exit(1, o * 4, back + 1),
          miss: exit(1, o * 4, back + 1, 1),
          after: exit(0, 0, back),
          next: exit(1, o * 4 + 4, back),
          goto: (to) => {
            const j = back === 0 && to >= 0 && to < 4096 ? index.get(to >> 2) : undefined;
            if (j !== undefined && shape.loopAt.has(j) && j <= bi) return `continue $l${j};`;
            // To the next block, which follows this one: just go on.
            if (j === bi + 1 && b.start + b.len === blocks[j].start) return '';
            if (j !== undefined && shape.blockAt.has(j) && j > bi) return `break $b${j};`;
            return exit(1, to, back);
          },
          gotoAbsolute: (target) => exit(2, target, back),
        };
        x.begin(site);
        if (d !== undefined && d.sem !== null) {
          let body = d.sem(x);
          if (/\bw\b/.test(body)) body = `const w = ${lit(w)}; ${body}`;
          out += `{ ${body} }\n`;
          if (body.includes(CALLED)) out += `if (c.sliceEnd === 0) ${site.next}\n`;
        } else if (d === undefined) {
          // Not an instruction: the interpreter raises the interrupt.
          out += `${site.before}\n`;
        } else {
          // A helper.
          const gprs = gprsOf(d, w);
          const next = at(o * 4 + 4);
          out += `${locals.writeBack(gprs, d.specials)} c.pc = ${at(o * 4)}; c.nip = ${next}; ${this.helperName(d.exec)}(c, ${lit(w)}); ${locals.reload(gprs, d.specials)}\n` +
            `if (c.abort || c.sliceEnd === 0 || c.nip !== ${next}) ${site.after}\n`;
        }
      }
      // The end of the block: on to the next block if it follows in sequence, or out.
      const after = b.start + b.len;
      if (!(bi + 1 < blocks.length && blocks[bi + 1].start === after)) out += `${exit(1, after * 4, 0)}\n`;
      code.push(out);
    }
    const body = shape.emit(code);
    // Helper calls are `$hN(...)`, the exit table $xk/$xv/$xb: constants of the function.
    const binds = this.helpers.map((_, i) => `const $h${i} = $h[${i}];`).join(' ') +
      `\nconst $xk = [${exitKind.join(',')}], $xv = [${exitValue.join(',')}], $xb = [${exitBack.join(',')}], $xm = [${exitMiss.join(',')}];`;
    // Code with loads or stores has miss exits (counted on the way out).
    const countMiss = exitMiss.includes(1) ? 'c.tc.regionMissExits += $xm[$x];\n' : '';
    return locals.finish(`${binds}\nreturn function region_${name}(c, $budget) {\n/*$decl*/let $n = 0, $x = 0;\n` +
      `$out: {\n${body}}\n${locals.writeBack()}\n${countMiss}` +
      'const $k = $xk[$x];\nif ($k !== 0) c.nip = ($k === 1 ? ($base + $xv[$x]) | 0 : $xv[$x]);\nreturn $n - $xb[$x];\n};');
  }
}

/** A scope of the generated code: a loop whose header is block `start`, or a labeled block that ends before block `end`. */
interface Scope {
  kind: 'loop' | 'block';
  start: number;
  /** Exclusive. */
  end: number;
  /** The block it is for: the loop's header, or the forward branch target. */
  target: number;
}

/**
 * The structure of a region's code (as compilers to WebAssembly do it, for
 * a fixed order of blocks): a branch back to block h becomes `continue` of
 * a loop around blocks h.. (as far as its last branch back), a branch
 * forward to block j a `break` out of a labeled block that ends just before
 * j. Scopes must nest; a branch that would need crossing scopes stays a way
 * out of the function instead.
 */
function structure(blocks: Block[], branchTarget: (i: number) => number | undefined): { loopAt: Set<number>; blockAt: Set<number>; emit(code: string[]): string } {
  const n = blocks.length;
  const loops: Scope[] = [];
  const forward = new Map<number, number[]>(); // target -> sources
  for (let i = 0; i < n; i++) {
    const j = branchTarget(i);
    if (j === undefined) continue;
    if (j <= i) {
      const l = loops.find((s) => s.target === j);
      if (l) l.end = Math.max(l.end, i + 1);
      else loops.push({ kind: 'loop', start: j, end: i + 1, target: j });
    } else if (!(j === i + 1 && blocks[i].start + blocks[i].len === blocks[j].start)) {
      forward.set(j, [...(forward.get(j) ?? []), i]);
    }
  }
  // Loops that cross each other: keep the one that starts first.
  loops.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Scope[] = [];
  for (const l of loops) {
    if (kept.every((k) => l.start >= k.end || (l.start >= k.start && l.end <= k.end))) kept.push(l);
  }
  const nests = (a: Scope, b: Scope): boolean =>
    a.end <= b.start || b.end <= a.start || (a.start <= b.start && b.end <= a.end) || (b.start <= a.start && a.end <= b.end);
  const scopes: Scope[] = [...kept];
  for (const [j, sources] of [...forward].sort((a, b) => a[0] - b[0])) {
    // The labeled block must contain every source, end at j, and nest with the loops and the other blocks:
    // start it earlier if that makes it nest; drop sources for which nothing works.
    for (let start = Math.min(...sources); start >= 0; start--) {
      const s: Scope = { kind: 'block', start, end: j, target: j };
      if (scopes.every((o) => nests(s, o))) {
        scopes.push(s);
        break;
      }
    }
  }
  const loopAt = new Set(kept.map((l) => l.target));
  const blockAt = new Set(scopes.filter((s) => s.kind === 'block').map((s) => s.target));
  return {
    loopAt, blockAt,
    emit(code: string[]): string {
      let out = '';
      for (let i = 0; i <= n; i++) {
        // Close the scopes that end here (innermost first), then open those that start here (outermost first).
        const closing = scopes.filter((s) => s.end === i).sort((a, b) => b.start - a.start || a.end - b.end);
        // Falling off the end of a loop's last block goes on after the loop, not round it.
        for (const s of closing) out += s.kind === 'loop' ? `break $l${s.target};\n}\n` : '}\n';
        if (i === n) break;
        const opening = scopes.filter((s) => s.start === i).sort((a, b) => b.end - a.end || (a.kind === 'block' ? -1 : 1));
        for (const s of opening) out += s.kind === 'loop' ? `$l${s.target}: for (;;) {\n` : `$b${s.target}: {\n`;
        out += code[i];
      }
      return out;
    },
  };
}
