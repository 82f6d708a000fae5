#!/usr/bin/env node
// The first code of the `tkvm` command (the package's bin, bundled to
// dist/src/cli/tkvm.cjs): it runs the bundled command, tkvm-main.cjs (see
// scripts/bundle.mjs), from V8's code cache.
//
// Why: V8 compiles the top level of the 700 KB bundle at every start (about
// 15 ms) and then each function the first time it is called (a `tkvm run`
// calls hundreds before the guest's first instruction). V8 can serialize
// what it compiled and take it back on a later start: with that cache a
// `tkvm run` reaches the guest about 30-40 ms sooner. Node 22 offers this
// for the files it loads (module.enableCompileCache); Node 20 does not, so
// this does it through node:vm, as Node's own CommonJS loader would run the
// file, with the cache.
//
// The cache: one file per bundle, command, Node version and architecture, in
// $TKVM_COMPILE_CACHE (a directory; `off` or `0`: no cache), else
// $XDG_CACHE_HOME/tkvm/compile, else ~/.cache/tkvm/compile. Per command
// because each covers what its command compiled: a cache written by `tkvm
// --help` holds little of what `tkvm run` needs. The bundle's
// content hash (put here by scripts/bundle.mjs) is in its name: V8 checks
// only the length of the source against a cache, not its content. V8 also
// checks its own version and flags, and a cache it refuses (or a missing
// one) is written anew, once the start-up has run (after SAVE_AFTER_MS, or
// at exit if that comes first), atomically (a temporary file, renamed). Any
// failure to read or write it only means running without it.

import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** The bundle's content hash, defined by scripts/bundle.mjs (absent in tsc's output: no cache). */
declare const TKVM_BUNDLE_HASH: string | undefined;

/** The start-up a cache should cover: module set-up, the machine, the warm-up, the guest's first steps. */
const SAVE_AFTER_MS = 300;
/** Caches kept (commands, other bundles, other Node versions), the most recently written. */
const KEEP = 32;
/** The commands with a cache of their own (`demo` is a `run`); the rest share one. */
const COMMANDS: Record<string, string> = { run: 'run', demo: 'run', images: 'images', lockstep: 'lockstep' };

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, 'tkvm-main.cjs');

function cacheFile(env: NodeJS.ProcessEnv, command: string | undefined): string | null {
  if (typeof TKVM_BUNDLE_HASH !== 'string') return null;
  const opt = env.TKVM_COMPILE_CACHE;
  if (opt === 'off' || opt === '0') return null;
  let dir = opt;
  if (!dir) {
    const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
    dir = join(base, 'tkvm', 'compile');
  }
  const kind = (command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : 'other');
  return join(dir, `tkvm-${TKVM_BUNDLE_HASH}-${kind}-node${process.version}-${process.arch}.v8cache`);
}

/** Write the cache atomically, then drop the oldest beyond KEEP. */
function save(file: string, data: Buffer): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
  const caches = readdirSync(dir).filter((f) => f.endsWith('.v8cache')).map((f) => join(dir, f));
  if (caches.length <= KEEP) return;
  const byAge = caches.map((f) => ({ f, t: statSync(f).mtimeMs })).sort((a, b) => b.t - a.t);
  for (const { f } of byAge.slice(KEEP)) unlinkSync(f);
}

let file: string | null = null;
try {
  file = cacheFile(process.env, process.argv[2]);
} catch {
  // No home directory: no cache.
}
let cached: Buffer | undefined;
if (file !== null) {
  try {
    cached = readFileSync(file);
  } catch {
    // None yet.
  }
}

// The bundle is ASCII (scripts/bundle.mjs checks), so latin1 reads it as
// utf8 would, without decoding. The wrapper is Node's CommonJS wrapper.
const source = readFileSync(bundle, 'latin1');
const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n});`, {
  filename: bundle,
  cachedData: cached,
});

if (file !== null && (cached === undefined || script.cachedDataRejected === true)) {
  const target = file;
  let done = false;
  const write = () => {
    if (done) return;
    done = true;
    try {
      save(target, script.createCachedData());
    } catch {
      // A read-only or full disk: the next start compiles again.
    }
  };
  setTimeout(write, SAVE_AFTER_MS).unref();
  process.on('exit', write);
}

const module = { exports: {} };
(script.runInThisContext() as (...a: unknown[]) => void)
  .call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
