// tkvm's ppce500 device tree decompiles cleanly with dtc and has QEMU's node
// structure for everything both machines have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, runTkvm } from './support/host.js';
import { buildTree } from '../src/vmm/machine/devicetree.js';
import { toDtb } from '../src/vmm/fdt/fdt.js';

const dir = mkdtempSync(join(tmpdir(), 'tkvm-dtb-'));

/** Node paths of a decompiled tree, in order. */
function nodePaths(dts: string): string[] {
  const paths: string[] = [];
  const stack: string[] = [];
  for (const line of dts.split('\n')) {
    const open = /^\s*([^\s=;]*)\s*\{$/.exec(line);
    if (open) {
      stack.push(open[1]);
      paths.push(stack.length === 1 ? '/' : '/' + stack.slice(1).join('/'));
    } else if (/^\s*\};$/.test(line)) {
      stack.pop();
    }
  }
  return paths;
}

function decompile(dtb: string): { dts: string; warnings: string[] } {
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', dtb], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { dts: r.stdout, warnings: r.stderr.split('\n').filter((l) => l.includes('Warning')) };
}

/** dtc warnings QEMU's tree has too, kept for QEMU's names (see devicetree.ts). */
const KNOWN_WARNINGS = [/unit_address_vs_reg\): \/memory: node has a reg/, /simple_bus_reg\): \/soc@fe0000000\/power-off: missing or empty reg/];

/** QEMU nodes tkvm's machine does not have, each left out for the reason in devicetree.ts. */
const QEMU_ONLY: string[] = [];

test('the device tree decompiles cleanly with dtc', (t) => {
  if (!requireTool(t, 'dtc')) return;
  const f = join(dir, 'tkvm.dtb');
  writeFileSync(f, toDtb(buildTree({
    ramBytes: 256 << 20, bootargs: 'console=ttyS0', timebaseHz: 400e6, clockHz: 400e6,
    bootKernel: { base: 0x2000000, size: 0x1234 }, initrd: { start: 0x4000000, end: 0x4001000 },
  }), { totalSize: 1 << 20 }));
  const { warnings } = decompile(f);
  const unexpected = warnings.filter((w) => !KNOWN_WARNINGS.some((k) => k.test(w)));
  assert.deepEqual(unexpected, []);
});

test('node structure matches QEMU\'s ppce500 tree', (t) => {
  if (!requireTool(t, 'dtc') || !requireTool(t, 'qemu-system-ppc')) return;
  const q = join(dir, 'qemu.dtb'), k = join(dir, 'tkvm-q.dtb');
  const common = ['-cpu', 'e500mc', '-m', '256', '-kernel', '/usr/lib/u-boot/qemu-ppce500/uboot.elf', '-append', 'console=ttyS0', '-nographic'];
  const qr = spawnSync('qemu-system-ppc', ['-M', `ppce500,dumpdtb=${q}`, ...common, '-nic', 'none'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(qr.status, 0, qr.stderr);
  const kr = runTkvm(['run', '-M', `ppce500,dumpdtb=${k}`, ...common]);
  assert.equal(kr.status, 0, kr.stderr);
  const qd = decompile(q).dts, kd = decompile(k).dts;
  const qPaths = nodePaths(qd), kPaths = nodePaths(kd);
  assert.deepEqual(kPaths, qPaths.filter((p) => !QEMU_ONLY.includes(p)));
  // The properties of shared nodes: the same names, in the same order,
  // apart from the documented departures.
  const props = (dts: string) => dts.split('\n').map((l) => l.trim()).filter((l) => /^[#\w,.-]+( =|;)/.test(l))
    .map((l) => l.replace(/ =.*$/, '').replace(/;$/, ''));
  const drop = new Set(['rng-seed', '#address-cells', '#size-cells']);
  const qProps = props(qd).filter((p) => !drop.has(p));
  const kProps = props(kd).filter((p) => !drop.has(p));
  assert.deepEqual(kProps, qProps);
  // Values that must agree exactly.
  for (const re of [/qemu,boot-kernel = <[^>]*>/, /bootargs = [^;]*/, /memory \{\n\t\treg = <[^>]*>/, /interrupt-map = <[^>]*>/,
    /timebase-frequency = <[^>]*>/, /pci@fe0008000 \{[\s\S]*?ranges = <[^>]*>/, /msi@41600 \{[^}]*\}/]) {
    assert.equal(kd.match(re)?.[0], qd.match(re)?.[0], String(re));
  }
});

test('/chosen for firmware with -kernel, -initrd and -append is QEMU\'s', (t) => {
  if (!requireTool(t, 'dtc') || !requireTool(t, 'qemu-system-ppc')) return;
  const kernel = join(dir, 'kernel.bin'), initrd = join(dir, 'initrd.bin');
  writeFileSync(kernel, Buffer.alloc(0x12345, 1));
  writeFileSync(initrd, Buffer.alloc(0x6789, 2));
  const q = join(dir, 'qemu-c.dtb'), k = join(dir, 'tkvm-c.dtb');
  const common = ['-cpu', 'e500mc', '-m', '256', '-bios', '/usr/lib/u-boot/qemu-ppce500/uboot.elf', '-kernel', kernel,
    '-initrd', initrd, '-append', 'root=/dev/ram console=ttyS0', '-nographic'];
  const qr = spawnSync('qemu-system-ppc', ['-M', `ppce500,dumpdtb=${q}`, ...common, '-nic', 'none'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(qr.status, 0, qr.stderr);
  const kr = runTkvm(['run', '-M', `ppce500,dumpdtb=${k}`, ...common]);
  assert.equal(kr.status, 0, kr.stderr);
  const chosen = (dts: string) => /\tchosen \{[\s\S]*?\n\t\};/.exec(dts)?.[0].split('\n').filter((l) => !l.includes('rng-seed')).join('\n');
  const kc = chosen(decompile(k).dts);
  assert.ok(kc?.includes('qemu,boot-kernel = <0x00 0x2000000 0x00 0x12345>'), kc);
  assert.ok(kc?.includes('linux,initrd-start = <0x4000000>'), kc);
  assert.equal(kc, chosen(decompile(q).dts));
});
