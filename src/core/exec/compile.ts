// Compiling hot code pages to JavaScript.
//
// A page with hot blocks becomes one function holding those blocks as cases of
// a `switch` on the page offset, inside a loop: a branch to another block of
// the same page is a loop iteration, not a return to the dispatcher. Most
// guest loops (memcpy, inflate, string functions, idle and delay loops) stay
// inside one page, and V8 optimizes such a function quickly (its loop is hot)
// instead of warming up thousands of tiny per-block functions.
//
// Each instruction calls its handler with the instruction word as a
// constant; every call site has a single target, so V8 inlines the handler
// and folds the constant fields. Semantics stay in the handlers (one source
// of truth). Instructions that only compute on registers need neither the PC
// nor a check; the others get the PC and next-PC the interpreter would give
// them and a check of `sliceEnd`, which every interrupt, exit, slice-ending
// change and code-dropping store clears.

import type { Handler } from '../isa/decode.js';
import type { Cpu } from '../cpu.js';
import { HOT_BLOCK, endsBlockOnly, type CodePage } from './blocks.js';

/**
 * Runs compiled blocks from c.pc for at most about `budget` instructions.
 * Returns the instructions it attempted (the last one may have faulted);
 * c.nip holds the next PC. Returns 0, with c.nip = c.pc, if no block of the
 * page starts at c.pc.
 */
export type PageFn = (c: Cpu, budget: number) => number;

export function compilePage(page: CodePage): PageFn {
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
  for (let slot = 0; slot < 1024; slot++) {
    const b = page.blocks[slot];
    // Cold blocks stay interpreted: a smaller function compiles (and optimizes) sooner.
    if (b === undefined || b.execs < HOT_BLOCK) continue;
    const start = slot * 4;
    let body = '';
    const n = b.length;
    for (let k = 0; k < n; k++) {
      const h = nameOf(b.handlers[k]);
      const w = b.words[k] | 0;
      const off = start + 4 * k;
      if (b.checks[k] === 0) {
        body += `${h}(c, ${w});\n`;
        if (k === n - 1) body += `c.nip = (base + ${off + 4}) | 0;\n`;
      } else {
        body += `c.pc = (base + ${off}) | 0; c.nip = (base + ${off + 4}) | 0; ${h}(c, ${w});\n`;
        body += `if (c.sliceEnd === 0) return n + ${k + 1};\n`;
      }
    }
    body += `n += ${n};\n`;
    // After an interrupt return, MSR/TLB/SPR write, sc, isync or wait the
    // translation context may differ: back to the dispatcher.
    if (endsBlockOnly(b.defs[n - 1])) body += 'return n;\n';
    cases += `case ${slot}: {\n${body}break;\n}\n`;
  }
  const src =
    `return function page(c, budget) {\n` +
    `let n = 0;\nlet pc = c.pc;\nconst base = pc & -4096;\n` +
    `for (;;) {\nswitch ((pc & 4095) >>> 2) {\n${cases}` +
    `default:\nc.nip = pc;\nreturn n;\n}\n` +
    `pc = c.nip;\nif ((pc & -4096) !== base || n >= budget) return n;\n}\n};`;
  const factory = new Function(...args.map((_, i) => `h${i}`), src) as (...h: Handler[]) => PageFn;
  return factory(...args);
}
