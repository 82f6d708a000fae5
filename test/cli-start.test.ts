// The tkvm command's start (src/cli/start.ts): the bundle runs with V8's
// code cache, which is written once per bundle and command, taken back
// unchanged later, rewritten when V8 refuses it, and never in the way (a
// cache that cannot be written, or none at all, is only slower).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './support/host.js';

function tkvm(args: string[], cache: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, TKVM_COMPILE_CACHE: cache },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-cc-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const caches = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.v8cache')).sort();

test('a cache per command is written on the first start and taken back unchanged', () => withDir((dir) => {
  const v = tkvm(['--version'], dir);
  assert.deepEqual([v.status, v.stdout, v.stderr], [0, 'tkvm 0.1.0\n', '']);
  const [other] = caches(dir);
  assert.match(other, new RegExp(`^tkvm-[0-9a-f]{16}-other-node${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8cache$`));
  const first = readFileSync(join(dir, other));
  const mtime = statSync(join(dir, other)).mtimeMs;

  // Taken back: V8 accepts it, so it is not written again.
  const h = tkvm(['--help'], dir);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^usage: tkvm run /);
  assert.deepEqual(readFileSync(join(dir, other)), first);
  assert.equal(statSync(join(dir, other)).mtimeMs, mtime);

  // `run` has its own, covering what a run compiles.
  const r = tkvm(['run', '-m', '64', '-nographic', '-kernel', join(ROOT, 'guests/bin/hello.elf')], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /SUMMARY: PASS 3 tests/);
  const both = caches(dir);
  assert.equal(both.length, 2);
  const run = both.find((f) => f.includes('-run-'));
  assert.ok(run !== undefined, `no cache for run: ${both.join(', ')}`);
  assert.ok(statSync(join(dir, run)).size > first.length, 'the run cache holds more than --version compiled');
  assert.deepEqual(readdirSync(dir).filter((f) => !f.endsWith('.v8cache')), [], 'no temporary files left');
}));

test('a cache V8 refuses (garbage, short or as long as a real one) is written anew', () => withDir((dir) => {
  assert.equal(tkvm(['--version'], dir).status, 0);
  const [name] = caches(dir);
  const good = readFileSync(join(dir, name));
  for (const bad of [Buffer.from('not a code cache'), Buffer.alloc(good.length, 0x5a)]) {
    writeFileSync(join(dir, name), bad);
    const v = tkvm(['--version'], dir);
    assert.deepEqual([v.status, v.stdout, v.stderr], [0, 'tkvm 0.1.0\n', '']);
    const now = readFileSync(join(dir, name));
    assert.notDeepEqual(now, bad);
    // ... and this one V8 takes: the next start leaves it alone.
    assert.equal(tkvm(['--version'], dir).status, 0);
    assert.deepEqual(readFileSync(join(dir, name)), now);
  }
}));

test('no cache: off, or a directory that cannot be written, changes nothing but speed', () => withDir((dir) => {
  const off = tkvm(['--version'], 'off');
  assert.deepEqual([off.status, off.stdout, off.stderr], [0, 'tkvm 0.1.0\n', '']);
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  // A "directory" below a file cannot be made.
  const blocked = tkvm(['--version'], join(file, 'cache'));
  assert.deepEqual([blocked.status, blocked.stdout, blocked.stderr], [0, 'tkvm 0.1.0\n', '']);
  // A read-only directory (root may write anyway: then there is a cache, which is fine too).
  const ro = join(dir, 'ro');
  chmodSync(dir, 0o500);
  try {
    const r = tkvm(['bogus'], ro);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, "tkvm: unknown command 'bogus' (try: tkvm --help)\n");
  } finally {
    chmodSync(dir, 0o700);
  }
}));
