// The initramfs writer: the newc format as Linux and cpio(1) read it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packCpio, readCpio, type CpioEntry } from '../src/cli/images/cpio.js';
import { initramfsEntries } from '../src/cli/images/linux.js';
import { requireTool } from './support/host.js';

const entries: CpioEntry[] = [
  { path: 'dev', type: 'dir' },
  { path: 'dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 },
  { path: 'init', type: 'file', mode: 0o755, data: new TextEncoder().encode('#!/bin/sh\necho hi\n') },
  { path: 'bin', type: 'dir' },
  { path: 'bin/sh', type: 'symlink', target: '/bin/busybox' },
  { path: 'tmp', type: 'dir', mode: 0o1777 },
  { path: 'odd', type: 'file', data: new Uint8Array([1, 2, 3]) },
];

test('packCpio: a newc archive with 4-byte alignment and a trailer, read back the same', () => {
  const buf = packCpio(entries);
  assert.equal(buf.length % 4, 0);
  assert.equal(new TextDecoder().decode(buf.subarray(0, 6)), '070701');
  const m = readCpio(buf);
  assert.deepEqual(m.map((x) => x.name), ['dev', 'dev/console', 'init', 'bin', 'bin/sh', 'tmp', 'odd']);
  assert.equal(m[0].mode, 0o040755);
  assert.deepEqual([m[1].mode, m[1].rdevMajor, m[1].rdevMinor], [0o020600, 5, 1]);
  assert.equal(m[2].mode, 0o100755);
  assert.equal(new TextDecoder().decode(m[2].data), '#!/bin/sh\necho hi\n');
  assert.equal(m[4].mode, 0o120777);
  assert.equal(new TextDecoder().decode(m[4].data), '/bin/busybox');
  assert.equal(m[5].mode, 0o041777);
  assert.deepEqual([...m[6].data], [1, 2, 3]);
  assert.deepEqual(packCpio(entries), buf, 'reproducible');
});

test('packCpio rejects what the kernel would mis-unpack', () => {
  assert.throws(() => packCpio([{ path: 'a/b', type: 'dir' }]), /comes before its directory 'a'/);
  assert.throws(() => packCpio([{ path: 'a', type: 'dir' }, { path: '/a/', type: 'dir' }]), /duplicate path/);
  assert.throws(() => packCpio([{ path: 'a/../b', type: 'dir' }]), /bad path/);
  assert.throws(() => packCpio([{ path: '', type: 'dir' }]), /bad path/);
});

test('cpio(1) lists the archive and the device node', (t) => {
  if (!requireTool(t, 'cpio')) return;
  const r = spawnSync('cpio', ['-itv', '--quiet'], { input: packCpio(entries), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, entries.length);
  assert.match(lines[1], /^crw------- .* 5,\s+1 .*dev\/console$/);
  assert.match(lines[4], /^lrwxrwxrwx .* bin\/sh -> \/bin\/busybox$/);
});

test('initramfsEntries: skeleton, console, init, BusyBox links and test programs, parents first', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-initramfs-'));
  writeFileSync(join(dir, 'busybox'), 'BB');
  writeFileSync(join(dir, 'busybox.links'), '/bin/sh\n/usr/bin/top\n/sbin/poweroff\n/bin/busybox\n/usr/share/x/y\n');
  writeFileSync(join(dir, 'integer'), 'T');
  const es = initramfsEntries('#!/bin/sh\n', dir, dir, ['integer']);
  const m = readCpio(packCpio(es)); // packCpio checks the parents-first order
  const byName = new Map(m.map((x) => [x.name, x]));
  for (const d of ['bin', 'sbin', 'usr/bin', 'dev', 'proc', 'sys', 'tmp', 'root', 'tests', 'usr/share/x']) assert.ok(byName.has(d), d);
  assert.equal(byName.get('tmp')?.mode, 0o041777);
  assert.equal(byName.get('root')?.mode, 0o040700);
  assert.equal(byName.get('init')?.mode, 0o100755);
  assert.equal(byName.get('dev/console')?.rdevMajor, 5);
  assert.equal(new TextDecoder().decode(byName.get('usr/bin/top')?.data), '/bin/busybox');
  assert.equal(new TextDecoder().decode(byName.get('bin/busybox')?.data), 'BB');
  assert.equal(byName.get('tests/integer')?.mode, 0o100755);
});
