// U-Boot's default bootcmd boots the -kernel image QEMU-style
// (/chosen/qemu,boot-kernel -> $qemu_kernel_addr): a uImage of the bootm
// test guest, made with mkimage, plain and gzip-compressed. The guest checks
// it got the device tree and the ePAPR magic, prints, and powers off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool, runTkvm, requireQemu } from './support/host.js';
import { buildBootmGuest, CROSS_CC } from './support/build-guest.js';
import { drive, machineArgs, requireUboot, qemuCommand, tkvmCommand, UBOOT_ELF } from './support/uboot.js';

const ENTERED = 'bootm-hello: entered, device tree found, ePAPR magic ok';

function tools(t: { skip: (msg: string) => void }): boolean {
  return requireTool(t, CROSS_CC) && requireTool(t, 'mkimage') &&
    requireUboot(t);
}

test('U-Boot boots a gzip-compressed uImage given with -kernel, as under QEMU', async (t) => {
  if (!tools(t)) return;
  const g = buildBootmGuest();
  const args = machineArgs(['-bios', UBOOT_ELF, '-kernel', g.uimageGz]);
  // No commands: the default bootcmd runs bootm, the guest powers off.
  const k = await drive(tkvmCommand(args), { commands: [], timeoutMs: 30_000 });
  assert.equal(k.status, 0, k.stderr);
  assert.match(k.transcript, /## Booting kernel from Legacy Image at 02000000 \.\.\./);
  assert.match(k.transcript, /Uncompressing Kernel Image/);
  assert.ok(k.transcript.includes(ENTERED), k.transcript);
  assert.match(k.transcript, /bootm-hello: powering off\n$/);
  if (!requireQemu(t)) return;
  const q = await drive(qemuCommand(args), { commands: [], timeoutMs: 30_000 });
  assert.equal(q.transcript, k.transcript);
});

test('bootm by hand: an uncompressed uImage loaded with -kernel, iminfo, bootm', async (t) => {
  if (!tools(t)) return;
  const g = buildBootmGuest();
  const k = await drive(tkvmCommand(machineArgs(['-bios', UBOOT_ELF, '-kernel', g.uimage])),
    { commands: ['iminfo $qemu_kernel_addr', 'bootm $qemu_kernel_addr - $fdtcontroladdr'], stopAutoboot: true, timeoutMs: 30_000 });
  assert.equal(k.status, 0, k.stderr);
  assert.match(k.transcript, /Image Name:\s+bootm-hello/);
  assert.match(k.transcript, /Verifying Checksum \.\.\. OK/);
  assert.ok(k.transcript.includes(ENTERED), k.transcript);
});

test('a uImage boots directly as -kernel (no firmware), gzip-compressed too', (t) => {
  if (!tools(t)) return;
  const g = buildBootmGuest();
  for (const img of [g.uimage, g.uimageGz, g.elf]) {
    const r = runTkvm(['run', ...machineArgs(['-kernel', img])], { timeoutMs: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(ENTERED), r.stdout);
  }
});

test('-dtb: the guest gets the user\'s device tree, grown as QEMU grows it', async (t) => {
  if (!tools(t) || !requireTool(t, 'dtc')) return;
  const g = buildBootmGuest();
  const dts = join(g.dir, 'mine.dts'), dtb = join(g.dir, 'mine.dtb');
  writeFileSync(dts, '/dts-v1/;\n/ { model = "mine"; #address-cells = <2>; #size-cells = <2>; chosen { }; };\n');
  execFileSync('dtc', ['-I', 'dts', '-O', 'dtb', '-o', dtb, dts]);
  const size = (statSync(dtb).size + 10000) * 2;
  const args = machineArgs(['-kernel', g.elf, '-dtb', dtb]);
  const k = await drive(tkvmCommand(args), { commands: [], timeoutMs: 20_000 });
  assert.equal(k.status, 0, k.stderr);
  assert.ok(k.transcript.includes(`total size 0x${size.toString(16).padStart(8, '0')}`), k.transcript);
  if (!requireQemu(t)) return;
  const q = await drive(qemuCommand(args), { commands: [], timeoutMs: 20_000 });
  assert.equal(k.transcript, q.transcript);
});
