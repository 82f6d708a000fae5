// A Linux guest saved in the middle of its shell session and restored in
// another tkvm process (-loadvm) goes on with that session: its shell
// variables, working directory and programs are where they were, and so are
// its virtio devices (console, read-only disk, entropy source).
//
// Uses the Linux images when they are cached for the current inputs (CI
// builds them first with `npm run images:linux`) and skips loudly otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedLinux, type LinuxImages } from '../src/cli/images/linux.js';
import { cacheDir } from '../src/cli/images/paths.js';
import { spawnSync } from 'node:child_process';
import { Proc } from './support/cli.js';
import { requireTool } from './support/host.js';

function requireImages(t: { skip: (msg: string) => void }): LinuxImages | null {
  const images = cachedLinux(cacheDir());
  if (images) return images;
  const msg = '!!! THE LINUX IMAGES ARE NOT BUILT for the current inputs: this test did NOT run (run: npm run images:linux) !!!';
  process.stderr.write(`\n${msg}\n`);
  t.skip(msg);
  return null;
}

test('a Linux guest restored from a snapshot continues its shell session', async (t) => {
  const images = requireImages(t);
  if (images === null) return;
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-linux-snap-'));
  const snap = join(dir, 'linux.snap');
  const args = ['run', '-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-serial', 'mon:stdio',
    '-kernel', images.vmlinux, '-initrd', images.initramfs, '-append', 'console=ttyS0'];
  const a = new Proc(args);
  let b: Proc | null = null;
  try {
    let at = await a.waitFor('tkvm:/root# ', 0, 120_000);
    a.write('X=kept-$((6*7)); cd /tests; echo set $X\n');
    at = await a.waitFor('set kept-42', at);
    at = await a.waitFor('tkvm:/tests# ', at);
    a.write('\x01c');
    at = await a.waitFor('(qemu) ', at);
    a.write(`savevm ${snap}\n`);
    at = await a.waitFor(/snapshot saved to .*: \d+ bytes/, at);
    a.write('\x01x');
    assert.equal(await a.exited, 0);
    assert.ok(statSync(snap).size < 64 << 20, 'zero pages are not stored');

    b = new Proc([...args, '-loadvm', snap]);
    b.write('echo restored $X in $(pwd)\n');
    at = await b.waitFor('restored kept-42 in /tests', 0, 60_000);
    b.write('./integer\n');
    at = await b.waitFor(/== integer: ok/, at, 60_000);
    b.write('poweroff\n');
    assert.equal(await b.exited, 0, b.err);
  } finally {
    a.kill();
    b?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Linux guest on the virtio console with a virtio disk and entropy source, restored, goes on using them', async (t) => {
  const images = requireImages(t);
  if (images === null) return;
  if (!requireTool(t, 'mke2fs') || !requireTool(t, 'debugfs')) return;
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-linux-snap-'));
  const disk = join(dir, 'ro.img');
  assert.equal(spawnSync('mke2fs', ['-q', '-t', 'ext2', '-F', disk, '4M']).status, 0);
  const snap = join(dir, 'linux.snap');
  const args = ['run', '-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-serial', 'mon:stdio',
    '-kernel', images.vmlinux, '-initrd', images.initramfs, '-append', 'console=hvc0',
    '-drive', `file=${disk},format=raw,if=virtio,readonly=on`, '-device', 'virtio-serial-device', '-device', 'virtio-rng-device'];
  const a = new Proc(args);
  let b: Proc | null = null;
  const sum = 'dd if=/dev/vda bs=1024 skip=1 count=2 2>/dev/null | md5sum';
  try {
    let at = await a.waitFor('tkvm:/root# ', 0, 120_000);
    a.write(`X=v-$((6*7)); tty; ${sum}\n`);
    at = await a.waitFor('/dev/hvc0', at);
    const end = await a.waitFor(/[0-9a-f]{32} {2}-/, at);
    const md5 = a.out.slice(end - 35, end - 3);
    assert.match(md5, /^[0-9a-f]{32}$/);
    at = end;
    at = await a.waitFor('tkvm:/root# ', at);
    a.write('\x01c'); // input to the serial port...
    a.write('\x01c'); // ...then to the monitor
    at = await a.waitFor('(qemu) ', at);
    a.write(`savevm ${snap}\n`);
    at = await a.waitFor(/snapshot saved to .*: \d+ bytes/, at);
    a.write('\x01x');
    assert.equal(await a.exited, 0);

    b = new Proc([...args, '-loadvm', snap]);
    b.write(`echo restored $X; tty; ${sum}; head -c 16 /dev/hwrng | wc -c\n`);
    at = await b.waitFor('restored v-42', 0, 60_000);
    at = await b.waitFor('/dev/hvc0', at);
    at = await b.waitFor(`${md5}  -`, at, 30_000);
    at = await b.waitFor(/\n16\r?\n/, at, 30_000);
    b.write('poweroff\n');
    assert.equal(await b.exited, 0, b.err);
  } finally {
    a.kill();
    b?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
