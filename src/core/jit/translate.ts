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
import { CALLED, Locals, STORED, TransEmit, at, lit, type InsnSite } from './emit.js';

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
    const src = this.generate(page, blocks);
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

  private generate(page: CodePage, blocks: Block[]): string {
    this.helpers = [];
    this.helperIndex = new Map();
    const locals = new Locals();
    const x = new TransEmit(locals);
    const index = new Map<number, number>();
    blocks.forEach((b, i) => index.set(b.start, i));
    const defs = this.dec.defById, ids = page.ids, words = page.words;
    /** Blocks that forward branches reach (each gets a labeled JavaScript block ending just before it). */
    const targets = new Set<number>();
    let loops = false;
    const code: string[] = [];
    for (let bi = 0; bi < blocks.length; bi++) {
      const b = blocks[bi];
      let out = `if ($n + ${b.len} > $budget) { c.nip = ${at(b.start * 4)}; break $out; } $n += ${b.len};\n`;
      for (let k = 0; k < b.len; k++) {
        const o = b.start + k;
        const w = words[o];
        const d = defs[ids[o]];
        const back = b.len - 1 - k;
        const leave = back === 0 ? 'break $out;' : `$n -= ${back}; break $out;`;
        const site: InsnSite = {
          off: o * 4, w, fields: d?.fields ?? [], gprs: d === undefined ? [] : gprsOf(d, w),
          fault: leave,
          leave,
          goto: (to) => {
            const j = back === 0 && to >= 0 && to < 4096 ? index.get(to >> 2) : undefined;
            if (j === 0) {
              loops = true;
              return 'continue $loop;';
            }
            if (j !== undefined && j > bi) {
              targets.add(j);
              return `break $b${j};`;
            }
            return `{ c.nip = ${at(to)}; ${leave} }`;
          },
          gotoAbsolute: (target) => `{ c.nip = ${lit(target)}; ${leave} }`,
        };
        x.begin(site);
        const next = at(o * 4 + 4);
        if (d !== undefined && d.sem !== null) {
          let body = d.sem(x);
          if (/\bw\b/.test(body)) body = `const w = ${lit(w)}; ${body}`;
          out += `{ ${body} }\n`;
          if (body.includes(STORED)) out += `if ($se) { $se = false; if (c.sliceEnd === 0) { c.nip = ${next}; ${leave} } }\n`;
          if (body.includes(CALLED)) out += `if (c.sliceEnd === 0) { c.nip = ${next}; ${leave} }\n`;
        } else {
          // A helper, or not an instruction (the decoder's primary table raises the interrupt).
          const h = d !== undefined ? d.exec : this.dec.primary[w >>> 26];
          const gprs = d === undefined ? [] : gprsOf(d, w);
          out += `${locals.writeBack(gprs)} c.pc = ${at(o * 4)}; c.nip = ${next}; ${this.helperName(h)}(c, ${lit(w)}); ${locals.reload(gprs)}\n` +
            `if (c.abort || c.sliceEnd === 0 || c.nip !== ${next}) { ${leave} }\n`;
        }
      }
      // The end of the block: on to the next block if it follows in sequence, or out.
      const after = b.start + b.len;
      if (!(bi + 1 < blocks.length && blocks[bi + 1].start === after)) {
        out += `c.nip = ${at(after * 4)}; break $out;\n`;
      }
      code.push(out);
    }
    // The ladder: block j's label opens at the top and closes just before it.
    const sortedTargets = [...targets].sort((a, b) => b - a);
    let body = sortedTargets.map((j) => `$b${j}: {`).join(' ') + '\n';
    for (let bi = 0; bi < blocks.length; bi++) {
      if (targets.has(bi)) body += '}\n';
      body += code[bi];
    }
    body = loops ? `$out: { $loop: for (;;) {\n${body}} }` : `$out: {\n${body}}`;
    // Helper calls are `$hN(...)`: bind them as constants.
    const binds = this.helpers.map((_, i) => `const $h${i} = $h[${i}];`).join(' ');
    return locals.finish(`${binds}\nreturn function region(c, $budget) {\n/*$decl*/let $n = 0;\n` +
      `${body}\n${locals.writeBack()}\nreturn $n;\n};`);
  }
}
