// Compiling hot blocks to JavaScript: one function per block that calls each
// instruction's handler with its instruction word as a constant. Each call
// site has a single target, so V8 can inline the handler and fold the
// constant fields; per-instruction fetch, decode and dispatch disappear.
// Semantics stay in the handlers (one source of truth): the compiled block
// is the interpreter's loop unrolled, nothing more. Instructions that only
// compute on registers need neither the PC nor a check; the others get the
// PC/next-PC they would see in the interpreter and a check of `sliceEnd`
// (every interrupt, exit and slice-ending change clears it).

import type { Block, CompiledBlock } from './blocks.js';

export function compileBlock(b: Block): CompiledBlock {
  const n = b.length;
  const params: string[] = [];
  let body = 'const p = c.pc;\n';
  for (let k = 0; k < n; k++) {
    params.push(`h${k}`);
    const w = b.words[k] | 0;
    if (b.checks[k] === 0) {
      body += `h${k}(c, ${w});\n`;
      continue;
    }
    const at = k === 0 ? 'p' : `(p + ${k * 4}) | 0`;
    body += `c.pc = ${at}; c.nip = (p + ${(k + 1) * 4}) | 0; h${k}(c, ${w});\n`;
    if (k < n - 1) body += `if (c.sliceEnd === 0) return ${k + 1};\n`;
  }
  if (b.checks[n - 1] === 0) body += `c.nip = (p + ${n * 4}) | 0;\n`;
  body += `return ${n};`;
  const factory = new Function(...params, `return function block(c) {\n${body}\n};`) as (...h: unknown[]) => CompiledBlock;
  return factory(...b.handlers);
}
