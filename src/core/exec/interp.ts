// The page interpreter: runs guest code from the decoded-instruction cache
// (pages.ts) until it leaves the page, the slice ends or the budget is used.
//
// It is generated once from the instruction table: a loop around a `switch`
// on the instruction id whose cases each call one handler (the common
// instructions; the rest share a case, see hasOwnCase). Each such call site
// has a single target (V8 can inline small handlers), and branches that stay
// in the page are just the next loop iteration: no per-block dispatch, no
// per-instruction fetch or decode.
//
// Instructions that only compute on registers ("pure") continue straight to
// the next word. After any other instruction the loop checks `sliceEnd`
// (every interrupt, exit, change of the translation context, code-dropping
// store and slice-ending register write clears it) and follows c.nip. A
// taken branch to a target that has reached the translation threshold
// (CodePage.heat) returns to the dispatcher, which
// runs (or makes) its translation. Heat is in instructions: each entry is
// credited with the instructions run from it until the next taken branch,
// so a long loop body or straight run counts for what it costs. The budget is exact: the interpreter
// never runs more instructions than asked.

import type { Cpu } from '../cpu.js';
import { COMMON, PURE, type Decoder, type InsnDef } from '../isa/decode.js';
import type { CodePage } from './pages.js';

/**
 * Runs from c.pc inside `page` for at most `budget` instructions (at least one).
 * Returns the instructions attempted (the last one may have faulted); c.nip
 * holds the next PC.
 */
export type PageInterpreter = (c: Cpu, page: CodePage, budget: number) => number;

/** An instruction that only computes on registers: nothing needs checking after it. */
export function isPure(d: InsnDef | undefined): boolean {
  return d !== undefined && (d.flags & PURE) !== 0;
}

/**
 * True if the interpreter has a case of its own for the instruction (the
 * COMMON ones). Every other instruction shares one case that calls its
 * handler through a table.
 *
 * Why not a case for more: V8 compiles the interpreter in time
 * proportional to its cases, on a background thread while the guest runs
 * on the unoptimized interpreter. With all ~210 instructions that took
 * 70-100 ms; with the 90 of an earlier list 70-110 ms (and twice: on-stack
 * replacement, then the function); with these 41, 24-28 ms, and U-Boot
 * reaches its prompt about 10% sooner (median of 12 runs alternated: 245
 * against 273 ms), the Linux boot and bench-lcg the same. A shared case
 * costs an indirect call, which the other 3% do not notice.
 */
export function hasOwnCase(d: InsnDef): boolean {
  return (d.flags & COMMON) !== 0;
}

/** Decode word `o` of `page` into the cache; marks the page as code the first time. */
export function decodeInto(c: Cpu, page: CodePage, o: number): number {
  const slot = page.slot;
  const w = slot.view.getInt32(page.page * 4096 + o * 4);
  const id = c.decoder.idFor(w);
  page.words[o] = w;
  page.ids[o] = id;
  const word = page.page >>> 5, bit = 1 << (page.page & 31);
  if ((slot.codeBits[word] & bit) === 0) {
    slot.codeBits[word] |= bit;
    // Cached store translations to this page would bypass the code drop.
    for (const tc of c.mem.storeCaches) tc.flushWrites();
  }
  return id;
}

const cache = new WeakMap<Decoder, PageInterpreter>();

export function pageInterpreter(dec: Decoder): PageInterpreter {
  let fn = cache.get(dec);
  if (fn === undefined) {
    fn = generate(dec);
    cache.set(dec, fn);
  }
  return fn;
}

function generate(dec: Decoder): PageInterpreter {
  const handlers = dec.handlerById;
  // Id 1, "not an instruction", goes through the decoder's primary table at
  // run time (the illegal-instruction handler, or whatever a test installs).
  let cases = 'case 1: c.pc = pc; c.nip = (pc + 4) | 0; primary[w >>> 26](c, w); break;\n';
  for (let id = 2; id < handlers.length; id++) {
    const def = dec.defById[id];
    if (def === undefined || !hasOwnCase(def)) continue;
    if (isPure(def)) {
      // Needs neither the PC nor a check afterwards.
      cases += `case ${id}: h${id}(c, w); pc = (pc + 4) | 0; if (++o === 1024 || n >= budget) { c.nip = pc; break run; } continue;\n`;
    } else {
      cases += `case ${id}: c.pc = pc; c.nip = (pc + 4) | 0; h${id}(c, w); break;\n`;
    }
  }
  // Everything else: the handler from the table (an indirect call).
  cases += 'default: c.pc = pc; c.nip = (pc + 4) | 0; handlers[id](c, w);\n';
  const params = ['decodeInto', 'primary', 'handlers', ...handlers.map((_, id) => `h${id}`)];
  const src =
    'return function interpretPage(c, page, budget) {\n' +
    'const ids = page.ids, words = page.words, heat = page.heat, hot = c.jitThreshold;\n' +
    'let pc = c.pc;\nconst base = pc & -4096;\nlet o = (pc >>> 2) & 1023;\nlet n = 0;\n' +
    // The entry being credited with the instructions run since (e: its word, en: the count then).
    'let e = o, en = 0;\n' +
    // Every way out goes through the end of the loop (one credit site: a
    // site V8 has no type feedback for deoptimizes the interpreter when first
    // used, and it took 43 optimizations of 100-250 ms in a Linux boot).
    'run: for (;;) {\n' +
    // `| 0`: the id stays an int32 for the switch (a call's result is any value to V8).
    'let id = ids[o];\nif (id === 0) id = decodeInto(c, page, o) | 0;\n' +
    'const w = words[o];\nn++;\n' +
    `switch (id) {\n${cases}}\n` +
    'if (c.sliceEnd === 0) break;\n' +
    'const nip = c.nip;\nif ((nip & -4096) !== base || n >= budget) break;\no = (nip >>> 2) & 1023;\n' +
    'if (nip !== ((pc + 4) | 0)) { heat[e] += n - en; e = o; en = n; if (heat[o] >= hot) return n; }\npc = nip;\n' +
    '}\nheat[e] += n - en;\nreturn n;\n};';
  const factory = new Function(...params, src) as (...a: unknown[]) => PageInterpreter;
  return factory(decodeInto, dec.primary, handlers, ...handlers);
}
