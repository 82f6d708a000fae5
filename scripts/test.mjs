#!/usr/bin/env node
// `npm test` (after the build): every test, with translation as it is by
// default; then the tests that run guest code again with translation forced
// on every piece of code from its first execution (TKVM_JIT=force) and with
// translation off (TKVM_JIT=off), so both engines pass everything that runs
// guests (docs/jit.md). Tests that never run guest code through the
// execution engines (parsers, the lockstep tool's single steps, the package
// and the image builder) run once.
//
//   node scripts/test.mjs [--modes default,force,off] [test files...]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Test files whose guests do not go through the page interpreter or the translator. */
const ONCE = new Set([
  'decode', 'jit-diff', 'jit-icount', 'boot-errors', 'cli-errors', 'devicetree', 'disasm', 'gdb-protocol', 'images-cli', 'images-cpio', 'images-keys', 'images-linux',
  'images-uboot', 'inflate', 'integer-helpers', 'lockstep', 'package', 'qemu-command', 'snapshot-format', 'uart16550',
  'mpic', 'fpu-insn', 'fpu-round', 'bench-snapshot',
]);

const args = process.argv.slice(2);
let modes = ['default', 'force', 'off'];
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--modes') modes = args[++i].split(',');
  else files.push(args[i]);
}
const all = files.length > 0 ? files : readdirSync('dist/test').filter((f) => f.endsWith('.test.js')).sort().map((f) => join('dist/test', f));
const name = (f) => f.replace(/^.*\//, '').replace(/\.test\.js$/, '');

let failed = false;
for (const mode of modes) {
  const list = mode === 'default' ? all : all.filter((f) => !ONCE.has(name(f)));
  if (list.length === 0) continue;
  process.stdout.write(`\n=== tests with TKVM_JIT=${mode === 'default' ? '(default)' : mode}: ${list.length} files ===\n`);
  const env = { ...process.env };
  if (mode === 'default') delete env.TKVM_JIT; else env.TKVM_JIT = mode;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', ...list], { stdio: 'inherit', env });
  if (r.status !== 0) {
    process.stdout.write(`\n=== tests with TKVM_JIT=${mode} FAILED ===\n`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
