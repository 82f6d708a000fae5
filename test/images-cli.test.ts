// `tkvm images`: argument handling and its one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseImagesArgs } from '../src/cli/images/command.js';
import { cacheDir, REPO_ROOT } from '../src/cli/images/paths.js';
import { ImagesError, Progress, runLogged } from '../src/cli/images/host.js';
import { CLI } from './support/host.js';

test('parseImagesArgs', () => {
  assert.deepEqual(parseImagesArgs(['uboot']), { what: 'uboot', check: false, quiet: false });
  assert.deepEqual(parseImagesArgs(['linux', '--check', '-q', '--cache-dir', '/c', '-j', '3']),
    { what: 'linux', check: true, quiet: true, cacheDir: '/c', jobs: 3 });
  assert.equal(parseImagesArgs(['linux', '-j4']).jobs, 4);
  assert.equal(parseImagesArgs(['linux', '--jobs=2']).jobs, 2);
  assert.equal(parseImagesArgs(['linux', '--cache-dir=/x']).cacheDir, '/x');
  assert.throws(() => parseImagesArgs([]), /what to make\? \(uboot or linux\)/);
  assert.throws(() => parseImagesArgs(['kernel']), /unknown image 'kernel'/);
  assert.throws(() => parseImagesArgs(['linux', '--fast']), /unknown option '--fast'/);
  assert.throws(() => parseImagesArgs(['linux', 'extra']), /unexpected argument 'extra'/);
  assert.throws(() => parseImagesArgs(['linux', '-j', '0']), /invalid job count '0'/);
  assert.throws(() => parseImagesArgs(['linux', '-j']), /option -j needs an argument/);
  assert.throws(() => parseImagesArgs(['uboot', '-j', '2']), /for 'images linux' only/);
  assert.throws(() => parseImagesArgs(['uboot', '--cache-dir']), /needs an argument/);
});

test('cacheDir: option, then $TKVM_CACHE_DIR, then .cache/images in the repository', () => {
  assert.equal(cacheDir('/a', { TKVM_CACHE_DIR: '/b' }), '/a');
  assert.equal(cacheDir(undefined, { TKVM_CACHE_DIR: '/b' }), '/b');
  assert.equal(cacheDir(undefined, {}), join(REPO_ROOT, '.cache', 'images'));
  // An installed package keeps its images in the user's cache, not in node_modules.
  assert.equal(cacheDir(undefined, { HOME: '/home/u' }, '/p/node_modules/tkvm'), '/home/u/.cache/tkvm/images');
  assert.equal(cacheDir(undefined, { HOME: '/home/u', XDG_CACHE_HOME: '/x' }, '/p/node_modules/tkvm'), '/x/tkvm/images');
});

function tkvm(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLine(r: { status: number | null; stderr: string }, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
}

test('usage errors are one line, exit status 2', () => {
  oneLine(tkvm(['images', 'kernel']), 2, /^tkvm: images: unknown image 'kernel'/);
  oneLine(tkvm(['images', 'linux', '-j', 'x']), 2, /^tkvm: invalid job count 'x'/);
});

test('--help prints the usage', () => {
  const r = tkvm(['images', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /tkvm images uboot/);
  assert.match(r.stdout, /tkvm images linux/);
});

test('without apt: one-line errors, exit status 1', (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'tkvm-noapt-'));
  t.after(() => rmSync(cache, { recursive: true, force: true }));
  const env = { ...process.env, PATH: '/nonexistent' };
  oneLine(tkvm(['images', 'uboot', '--cache-dir', cache], env), 1, /^tkvm: apt-get not found: fetching U-Boot needs Debian's package tools/);
  oneLine(tkvm(['images', 'linux', '--cache-dir', cache], env), 1, /^tkvm: apt-get not found: building the Linux images needs/);
});

test('--check with an empty cache: one line naming the command to run', (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'tkvm-empty-'));
  t.after(() => rmSync(cache, { recursive: true, force: true }));
  const r = tkvm(['images', 'linux', '--check', '--cache-dir', cache]);
  oneLine(r, 1, /not in the cache .* \(run: tkvm images linux\)$/);
  assert.equal(r.stdout, '');
  oneLine(tkvm(['images', 'uboot', '--check', '--cache-dir', cache]), 1, /U-Boot is not in the cache .* \(run: tkvm images uboot\)$/);
});

test('a failing build step: one-line error naming the log, which has the output', async (t) => {
  const logDir = mkdtempSync(join(tmpdir(), 'tkvm-log-'));
  t.after(() => rmSync(logDir, { recursive: true, force: true }));
  const log = join(logDir, 'step.log');
  const progress = new Progress(process.stderr, true);
  await runLogged(progress, log, 'sh', ['-c', 'echo step one'], { what: 'step one' });
  await assert.rejects(
    runLogged(progress, log, 'sh', ['-c', 'echo compiling; echo "oops: no such thing" >&2; exit 3'], { what: 'make vmlinux' }),
    (e: Error) => e instanceof ImagesError && e.message === `make vmlinux failed (exit 3); see ${log}`,
  );
  assert.match(readFileSync(log, 'utf8'), /^step one\ncompiling\noops: no such thing\n$/);
  await assert.rejects(runLogged(progress, log, 'no-such-tool-tkvm', [], { what: 'frobnicate' }),
    (e: Error) => e instanceof ImagesError && e.message === "frobnicate: cannot run 'no-such-tool-tkvm': not installed");
});
