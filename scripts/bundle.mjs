#!/usr/bin/env node
// Bundles the `tkvm` command (run by `npm run build` after tsc) into
//  - dist/src/cli/tkvm-main.cjs: the command, src/cli/main.ts and all it
//    imports, in one file;
//  - dist/src/cli/tkvm.cjs: the package's bin, src/cli/start.ts, which runs
//    tkvm-main.cjs with V8's code cache (see there).
//
// Why one file: Node's ES module loader resolves, reads, compiles and links
// each module of a command separately, and a plain `tkvm run` loads about
// 90 of them; that took about 80 ms before the first line of tkvm ran (QEMU
// reaches U-Boot's prompt in 60-90 ms). One file is one read and one
// compile (and one code cache).
//
// What it bundles is tsc's output (dist/src/cli/*.js and what they import),
// so the command runs the same JavaScript the tests import; dist/src stays
// as it is for the tests and the package's library entry points (tkvm,
// tkvm/vmm, tkvm/node).
//
// CommonJS, not an ES module: esbuild turns each `await import()` of a
// bundled module into a call that initializes that module only then, and in
// CommonJS output a lazily initialized module's Node built-ins (node:net,
// node:zlib, node:child_process: a few ms each to load) are required only
// then too; in ES module output every built-in import is hoisted to the top
// of the bundle and loaded at start. (And node:vm runs a script, not a module.)
//
//   node scripts/bundle.mjs            build them (needs tsc's output)
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(root, 'dist/src/cli/tkvm-main.cjs');
const BIN = join(root, 'dist/src/cli/tkvm.cjs');

/**
 * fflate (gzip-compressed uImages) builds its decoding tables when it is
 * loaded, 5 to 10 ms here, on every start, though only a gzip uImage needs
 * it. In the bundle, the decoder's `import { Inflate } from 'fflate'` gets a
 * stand-in that loads fflate at the first `new Inflate`. fflate's browser
 * build: the same synchronous Inflate, without the Node build's
 * node:worker_threads (for asynchronous APIs tkvm does not use).
 */
const lazyFflate = {
  name: 'lazy-fflate',
  setup(b) {
    b.onResolve({ filter: /^fflate$/ }, () => ({ path: 'fflate', namespace: 'lazy-fflate' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-fflate' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: `
        let fflate = null;
        export class Inflate {
          constructor(ondata) {
            fflate ??= require('fflate/browser');
            return new fflate.Inflate(ondata);
          }
        }`,
    }));
  },
};

/**
 * import.meta.url in CommonJS: the bundle's own file URL (images/paths.ts
 * finds the package root from it). A plain banner would come before
 * esbuild's "use strict" and turn it into a no-op, so an injected module
 * provides it.
 */
const importMetaUrl = {
  name: 'import-meta-url',
  setup(b) {
    b.onResolve({ filter: /^tkvm:import-meta-url$/ }, () => ({ path: 'url', namespace: 'import-meta-url' }));
    b.onLoad({ filter: /.*/, namespace: 'import-meta-url' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: "export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;",
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  inject: ['tkvm:import-meta-url'],
  define: { 'import.meta.url': 'importMetaUrl' },
  logLevel: 'warning',
  // Readable stack traces in bug reports matter more than the few ms a smaller file would save.
  minify: false,
  // start.ts reads the bundle as latin1; esbuild escapes anything else (this is its default, said for that reason).
  charset: 'ascii',
};

export async function bundle() {
  await build({ ...common, entryPoints: [join(root, 'dist/src/cli/main.js')], outfile: MAIN, plugins: [lazyFflate, importMetaUrl] });
  const main = readFileSync(MAIN);
  // start.ts wraps the bundle in a function: no hashbang line, and only ASCII.
  if (main[0] === 0x23 && main[1] === 0x21) throw new Error(`${MAIN} starts with a hashbang line`);
  const nonAscii = main.findIndex((b) => b > 0x7f);
  if (nonAscii >= 0) throw new Error(`${MAIN} has a non-ASCII byte at offset ${nonAscii}`);
  const hash = createHash('sha256').update(main).digest('hex').slice(0, 16);
  await build({
    ...common,
    entryPoints: [join(root, 'dist/src/cli/start.js')],
    outfile: BIN,
    plugins: [importMetaUrl],
    define: { ...common.define, TKVM_BUNDLE_HASH: JSON.stringify(hash) },
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle();
}
