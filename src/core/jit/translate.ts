// The translator: hot code of one physical page becomes one JavaScript
// function (a "region"), generated from the instruction semantics with every
// field a constant (emit.ts) and compiled with `new Function`.
//
// A region starts at an entry (the address execution entered the page at,
// or a hot branch target) and takes in the blocks reachable from it inside
// the page by fall-through and direct branches, as far as they have been
// executed (decoded) before. Its blocks are the cases of a `switch` inside
// a loop: a branch to a block of the region is `continue` to that case, so
// a loop in the guest is a loop in the function, with the guest registers
// in locals; anything else leaves the function with the next address in
// `c.nip`, as the interpreter does.
//
// The contract is the interpreter's (exec/interp.ts): run from c.pc (the
// entry) for at most `budget` instructions, exactly: a block runs only if it
// fits in what is left; return the instructions attempted (the last one may
// have faulted: c.abort), with the next address in c.nip. Running fewer
// than asked is always allowed; 0 means "interpret instead".

import type { Cpu } from '../cpu.js';
import type { Decoder, InsnDef } from '../isa/decode.js';
import { BRANCH, SYNC } from '../isa/decode.js';
import { fieldValue } from '../isa/fields.js';
import { withRuntime } from '../isa/sem.js';
import type { Handler } from '../isa/sem.js';
import { decodeInto } from '../exec/interp.js';
import type { CodePage } from '../exec/pages.js';
import { Locals, TransEmit, lit, type InsnSite } from './emit.js';

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
    const blocks = this.findBlocks(c, page, entry, base);
    const src = this.generate(page, blocks, base);
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

  /** The blocks of the region: the entry's, then what direct branches and fall-through reach in the page. */
  private findBlocks(c: Cpu, page: CodePage, entry: number, base: number): Block[] {
    const ids = page.ids, words = page.words, defs = this.dec.defById;
    const starts = new Set<number>([entry]);
    const work = [entry];
    let budget = MAX_REGION_INSNS;
    const add = (o: number): void => {
      if (o >= 0 && o < 1024 && ids[o] !== 0 && !starts.has(o)) {
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
          const pc = (base + o * 4) | 0;
          const t = directTarget(d, words[o], pc);
          if (t !== null && ((t - base) & ~4095) === 0) add((t - base) >> 2);
          if (mayFallThrough(d, words[o])) add(o + 1);
        }
        break;
      }
    }
    // Blocks: from each start to the first block end, the next start, or an undecoded word.
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
    // The entry's block comes first: it is case 0.
    blocks.sort((a, b) => (a.start === entry ? -1 : b.start === entry ? 1 : a.start - b.start));
    return blocks;
  }

  private generate(page: CodePage, blocks: Block[], base: number): string {
    this.helpers = [];
    this.helperIndex = new Map();
    const locals = new Locals();
    const x = new TransEmit(locals);
    const index = new Map<number, number>();
    blocks.forEach((b, i) => index.set(b.start, i));
    const defs = this.dec.defById, ids = page.ids, words = page.words;
    let cases = '';
    for (let bi = 0; bi < blocks.length; bi++) {
      const b = blocks[bi];
      const blockPc = (base + b.start * 4) | 0;
      let code = `case ${bi}: if ($n + ${b.len} > $budget) { c.nip = ${lit(blockPc)}; break $L; } $n += ${b.len};\n`;
      for (let k = 0; k < b.len; k++) {
        const o = b.start + k;
        const pc = (base + o * 4) | 0;
        const w = words[o];
        const d = defs[ids[o]];
        const back = b.len - 1 - k;
        const adjust = back === 0 ? '' : `$n -= ${back}; `;
        const site: InsnSite = {
          pc, w, fields: d?.fields ?? [],
          fault: `${adjust}break $L;`,
          leave: `${adjust}break $L;`,
          goto: (target) => {
            const to = target - base;
            const j = to >= 0 && to < 4096 && (to & 3) === 0 ? index.get(to >> 2) : undefined;
            if (j !== undefined && back === 0) return `{ $s = ${j}; continue $L; }`;
            return `{ c.nip = ${lit(target)}; ${adjust}break $L; }`;
          },
        };
        x.begin(site);
        const next = lit((pc + 4) | 0);
        if (d !== undefined && d.sem !== null) {
          let body = d.sem(x);
          if (/\bw\b/.test(body)) body = `const w = ${lit(w)}; ${body}`;
          code += `{ ${body} }\n`;
          if (x.storeCheck) code += `if ($se) { $se = false; if (c.sliceEnd === 0) { c.nip = ${next}; ${adjust}break $L; } }\n`;
          if (x.callCheck) code += `if (c.sliceEnd === 0) { c.nip = ${next}; ${adjust}break $L; }\n`;
        } else {
          // A helper, or not an instruction (the decoder's primary table raises the interrupt).
          const h = d !== undefined ? d.exec : this.dec.primary[w >>> 26];
          code += `${locals.writeBack()} c.pc = ${lit(pc)}; c.nip = ${next}; ${this.helperName(h)}(c, ${lit(w)}); ${locals.reload()}\n` +
            `if (c.abort || c.sliceEnd === 0 || c.nip !== ${next}) { ${adjust}break $L; }\n`;
        }
      }
      // The end of the block: on to the next block in sequence, or out.
      const after = b.start + b.len;
      const j = index.get(after);
      if (j === bi + 1) code += '';
      else if (j !== undefined) code += `$s = ${j}; continue $L;\n`;
      else code += `c.nip = ${lit((base + after * 4) | 0)}; break $L;\n`;
      cases += code;
    }
    // Helper calls are `$hN(...)`: bind them as constants.
    const binds = this.helpers.map((_, i) => `const $h${i} = $h[${i}];`).join(' ');
    return locals.finish(`${binds}\nreturn function region(c, $budget) {\n${locals.declare()}let $n = 0, $s = 0;\n` +
      `$L: for (;;) {\nswitch ($s) {\n${cases}}\nbreak;\n}\n${locals.writeBack()}\nreturn $n;\n};`);
  }
}
