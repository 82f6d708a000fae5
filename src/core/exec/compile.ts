// The compiler tier: a chunk of guest code (64 instructions, 256 bytes of a
// page) that runs a lot becomes one JavaScript function. Chunks keep the
// functions small, so V8 optimizes them soon after they are made (a whole
// page compiled at once could take V8 longer than the code's useful life,
// and runs slowly until then).
//
// The function is the chunk's decoded instructions in address order as the
// cases of a `switch` on the word offset, falling through from one to the
// next, inside a loop: any decoded instruction is an entry point, straight-
// line code runs without dispatch, and a branch within the chunk is the next
// loop iteration. Each instruction calls its handler with the instruction
// word as a constant; every call site has a single target, so V8 inlines the
// handler and folds the constant fields. Semantics stay in the handlers (one
// source of truth): this is the page interpreter (interp.ts) unrolled, and a
// test checks that both agree with single stepping.
//
// The contract is the interpreter's: run from c.pc for about `budget`
// instructions, return the count attempted, leave the next PC in c.nip. A
// word not decoded when the chunk was compiled returns to the interpreter,
// which decodes it; the chunk is compiled again once it has run enough more.

import type { Cpu } from '../cpu.js';
import type { Handler } from '../isa/decode.js';
import { isPure } from './interp.js';
import type { CodePage } from './pages.js';

export type ChunkFn = (c: Cpu, budget: number) => number;

export const CHUNK_SHIFT = 8;
export const CHUNK_WORDS = 64;
export const CHUNKS_PER_PAGE = 16;
/**
 * Instructions interpreted from a chunk before it is compiled. A new chunk
 * function runs unoptimized (slower than the optimized interpreter) until V8
 * has optimized it, and deoptimizes once per case that first runs after
 * that, so compiling pays only for code that runs a lot longer: in a Linux
 * boot 3 M took ~5% less CPU time than 1 M (10 M about the same as 3 M,
 * 300 K ~20% more); U-Boot and the LCG benchmark did not change.
 */
export const COMPILE_AFTER = 3_000_000;
/** Compilations of one chunk at most (guards against churn). */
export const MAX_COMPILES = 4;

export function compileChunk(c: Cpu, page: CodePage, chunk: number): ChunkFn {
  const dec = c.decoder;
  const names = new Map<Handler, string>();
  const args: Handler[] = [];
  const nameOf = (h: Handler): string => {
    let n = names.get(h);
    if (n === undefined) {
      n = `h${args.length}`;
      names.set(h, n);
      args.push(h);
    }
    return n;
  };
  let cases = '';
  const ids = page.ids, words = page.words;
  const first = chunk * CHUNK_WORDS, end = first + CHUNK_WORDS;
  for (let o = first; o < end; o++) {
    const id = ids[o];
    if (id === 0) {
      // Reached by falling through from a decoded word: let the interpreter decode it.
      if (o > first && ids[o - 1] !== 0) cases += `case ${o}: c.nip = (base + ${o * 4}) | 0; return n;\n`;
      continue;
    }
    // Not an instruction: through the decoder's primary table at run time, as the interpreter does.
    const h = id === 1 ? 'notInsn' : nameOf(dec.handlerById[id]);
    const w = words[o] | 0;
    const next = o * 4 + 4;
    if (isPure(dec.defById[id])) {
      cases += `case ${o}: n++; ${h}(c, ${w});\n`;
    } else {
      cases += `case ${o}: n++; c.pc = (base + ${o * 4}) | 0; c.nip = (base + ${next}) | 0; ${h}(c, ${w});\n` +
        `if (c.sliceEnd === 0) return n;\nif (c.nip !== ((base + ${next}) | 0)) break;\n`;
    }
    if (o === end - 1) cases += `c.nip = (base + ${end * 4}) | 0; return n;\n`;
  }
  const src =
    'return function compiledChunk(c, budget) {\n' +
    'let pc = c.pc;\nconst base = pc & -4096;\nlet n = 0;\n' +
    'for (;;) {\n' +
    `switch ((pc >>> 2) & 1023) {\n${cases}default: c.nip = pc; return n;\n}\n` +
    `pc = c.nip;\nif ((pc & -${CHUNK_WORDS * 4}) !== ((base + ${first * 4}) | 0) || n >= budget) return n;\n` +
    '}\n};';
  const notInsn: Handler = (cpu, w) => dec.primary[w >>> 26](cpu, w);
  const factory = new Function('notInsn', ...args.map((_, i) => `h${i}`), src) as (...h: Handler[]) => ChunkFn;
  return factory(notInsn, ...args);
}
