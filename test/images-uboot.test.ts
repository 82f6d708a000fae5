// `tkvm images uboot`: a real fetch with apt into a fresh cache, then the
// no-op. Needs apt and the network to Debian's archive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, requireTool } from './support/host.js';

test('tkvm images uboot fetches u-boot-qemu into the cache, then is a no-op', (t) => {
  if (!requireTool(t, 'apt-get') || !requireTool(t, 'dpkg-deb')) return;
  const cache = mkdtempSync(join(tmpdir(), 'tkvm-uboot-'));
  t.after(() => rmSync(cache, { recursive: true, force: true }));
  const run = () => spawnSync(process.execPath, [CLI, 'images', 'uboot', '--cache-dir', cache], { encoding: 'utf8', timeout: 300_000 });
  const first = run();
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /downloading u-boot-qemu/);
  const paths = first.stdout.trim().split('\n');
  assert.equal(paths.length, 2);
  assert.match(paths[0], /\/qemu-ppce500\/u-boot\.bin$/);
  assert.match(paths[1], /\/qemu-ppce500\/uboot\.elf$/);
  for (const p of paths) assert.ok(p.startsWith(cache) && existsSync(p), p);
  const elf = readFileSync(paths[1]);
  assert.deepEqual([...elf.subarray(0, 6)], [0x7f, 0x45, 0x4c, 0x46, 1, 2], 'a 32-bit big-endian ELF');
  assert.equal(elf.readUInt16BE(18), 20, 'EM_PPC');

  const second = run();
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stdout, first.stdout);
  assert.match(second.stderr, /already in the cache/);
  assert.doesNotMatch(second.stderr, /downloading/);
});
