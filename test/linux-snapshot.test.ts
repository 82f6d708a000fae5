// A Linux guest saved in the middle of its shell session and restored in
// another tkvm process (-loadvm) goes on with that session: its shell
// variables, working directory and programs are where they were.
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
import { Proc } from './support/cli.js';

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
