// Debian's U-Boot for qemu-ppce500, unmodified, boots on tkvm's ppce500 to
// its prompt (as ELF and as the raw u-boot.bin), powers the machine off,
// and `reset` restarts the machine (or ends tkvm with -no-reboot).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drive, machineArgs, requireUboot, tkvmCommand, UBOOT_BIN, UBOOT_ELF } from './support/uboot.js';

const BANNER = /U-Boot 2\d{3}\.\d{2}[^\n]*\n/g;

test('uboot.elf boots to the prompt, and poweroff ends tkvm with status 0', async (t) => {
  if (!requireUboot(t)) return;
  const s = await drive(tkvmCommand(machineArgs(['-bios', UBOOT_ELF])), { commands: ['poweroff'], stopAutoboot: true });
  assert.match(s.transcript, /DRAM:\s+256 MiB/);
  assert.match(s.transcript, /In:\s+serial@4500/);
  assert.match(s.transcript, /Hit any key to stop autoboot/);
  assert.match(s.transcript, /\n=> poweroff\n/);
  assert.equal(s.status, 0, s.stderr);
  assert.equal(s.stderr, '');
});

test('the raw u-boot.bin boots as -bios too', async (t) => {
  if (!requireUboot(t)) return;
  const s = await drive(tkvmCommand(machineArgs(['-bios', UBOOT_BIN])), { commands: ['version', 'poweroff'], stopAutoboot: true });
  assert.match(s.transcript, /=> version\nU-Boot 2\d{3}/);
  assert.equal(s.status, 0, s.stderr);
});

test('reset restarts the machine', async (t) => {
  if (!requireUboot(t)) return;
  const s = await drive(tkvmCommand(machineArgs(['-bios', UBOOT_ELF])),
    { commands: ['setenv marker before-reset', 'reset', 'printenv marker', 'poweroff'], stopAutoboot: true });
  assert.equal(s.transcript.match(BANNER)?.length, 2, s.transcript);
  // A real restart: the environment is back to its defaults.
  assert.match(s.transcript, /## Error: "marker" not defined/);
  assert.equal(s.status, 0, s.stderr);
});

test('reset with -no-reboot ends tkvm with status 0', async (t) => {
  if (!requireUboot(t)) return;
  const s = await drive(tkvmCommand(machineArgs(['-bios', UBOOT_ELF, '-no-reboot'])), { commands: ['reset'], stopAutoboot: true });
  assert.equal(s.transcript.match(BANNER)?.length, 1, s.transcript);
  assert.equal(s.status, 0, s.stderr);
});
