#!/usr/bin/env node
// Bundles the `tkvm` command into one file, dist/src/cli/tkvm.cjs (run by
// `npm run build` after tsc; the package's bin).
//
// Why: Node's ES module loader resolves, reads, compiles and links each
// module of a command separately, and a plain `tkvm run` loads about 90 of
// them; that took about 100 ms before the first line of tkvm ran, a third
// of U-Boot's time to its prompt. One file is one read and one compile.
//
// What it bundles is tsc's output (dist/src/cli/main.js and what it
// imports), so the command runs the same JavaScript the tests import;
// dist/src stays as it is for the tests and the package's library entry
// points (tkvm, tkvm/vmm, tkvm/node).
//
// CommonJS, not an ES module: esbuild turns each `await import()` of a
// bundled module into a call that initializes that module only then, and in
// CommonJS output a lazily initialized module's Node built-ins (node:net,
// node:zlib, node:child_process: a few ms each to load) are required only
// then too; in ES module output every built-in import is hoisted to the top
// of the bundle and loaded at start.
//
//   node scripts/bundle.mjs            build it (needs tsc's output)
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE = join(root, 'dist/src/cli/tkvm.cjs');

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

export async function bundle() {
  await build({
    entryPoints: [join(root, 'dist/src/cli/main.js')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    inject: ['tkvm:import-meta-url'],
    define: { 'import.meta.url': 'importMetaUrl' },
    plugins: [lazyFflate, importMetaUrl],
    logLevel: 'warning',
    // Readable stack traces in bug reports matter more than the few ms a smaller file would save.
    minify: false,
    legalComments: 'inline',
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle();
}
