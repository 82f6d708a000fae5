// A Linux guest that panics (here: its initramfs has no /nonexistent for
// rdinit=, so it looks for a root device it does not have): the panic message
// on the console, then what `-action panic=...` says. The kernel reports the
// panic through the pvpanic device in tkvm's device tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runTkvm } from './support/host.js';
import { MACHINE, TkvmConsole, requireLinuxImages } from './support/linux.js';

const PANIC = /Kernel panic - not syncing: VFS: Unable to mount root fs/;

function args(images: { vmlinux: string; initramfs: string }, append: string, ...more: string[]): string[] {
  return [...MACHINE, '-kernel', images.vmlinux, '-initrd', images.initramfs, '-append', `console=ttyS0 rdinit=/nonexistent ${append}`, ...more];
}

test('a kernel panic is reported on the console and ends tkvm with status 1', (t) => {
  const images = requireLinuxImages(t);
  if (!images) return;
  const r = runTkvm(['run', ...args(images, '')], { timeoutMs: 180_000 });
  assert.match(r.stdout, PANIC);
  assert.match(r.stdout, /Call Trace:/);
  assert.equal(r.stderr, 'tkvm: guest panicked\n');
  assert.equal(r.status, 1);
});

test('-no-shutdown: a panic stops the guest and tkvm waits', async (t) => {
  const images = requireLinuxImages(t);
  if (!images) return;
  const g = new TkvmConsole(args(images, '', '-no-shutdown'));
  try {
    await g.expect(PANIC, 180_000);
    await g.expect(/tkvm: guest panicked; the guest is stopped \(Ctrl-A X or a signal ends tkvm\)\n/, 30_000);
    // Still there after the guest stopped; it ends when told to.
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(await Promise.race([g.exit.then(() => 'exited'), Promise.resolve('running')]), 'running');
  } finally {
    g.kill();
  }
});

test('-action panic=none lets the guest go on: its panic= timeout reboots it, and -no-reboot then ends tkvm with status 0', (t) => {
  const images = requireLinuxImages(t);
  if (!images) return;
  const r = runTkvm(['run', ...args(images, 'panic=1', '-action', 'panic=none', '-no-reboot')], { timeoutMs: 180_000 });
  assert.match(r.stdout, PANIC);
  assert.match(r.stdout, /Rebooting in 1 seconds/);
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
});

