// tkvm's ppce500 device tree decompiles cleanly with dtc and has QEMU's node
// structure for everything both machines have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, runTkvm, requireQemu } from './support/host.js';
import { buildTree } from '../src/vmm/machine/devicetree.js';
import { toDtb } from '../src/vmm/fdt/fdt.js';
import { spawnQemuSync } from '../src/platform/node/qemu.js';

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
/** tkvm's additions (devicetree.ts): the pvpanic register on the platform bus. */
const TKVM_ONLY = ['/platform@f00000000/pvpanic@10000'];

/** A decompiled tree without the named nodes (given by their last path component). */
function withoutNodes(dts: string, paths: string[]): string {
  let out = dts;
  for (const p of paths) {
    const name = p.slice(p.lastIndexOf('/') + 1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`\n(\t+)${name} \\{[\\s\\S]*?\\n\\1\\};`), '');
  }
  return out;
}

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
  if (!requireTool(t, 'dtc') || !requireQemu(t)) return;
  const q = join(dir, 'qemu.dtb'), k = join(dir, 'tkvm-q.dtb');
  const common = ['-cpu', 'e500mc', '-m', '256', '-kernel', '/usr/lib/u-boot/qemu-ppce500/uboot.elf', '-append', 'console=ttyS0', '-nographic'];
  const qr = spawnQemuSync(['-M', `ppce500,dumpdtb=${q}`, ...common, '-nic', 'none'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(qr.status, 0, qr.stderr);
  const kr = runTkvm(['run', '-M', `ppce500,dumpdtb=${k}`, ...common]);
  assert.equal(kr.status, 0, kr.stderr);
  const qd = decompile(q).dts, kdFull = decompile(k).dts;
  assert.deepEqual(nodePaths(kdFull).filter((p) => TKVM_ONLY.includes(p)), TKVM_ONLY);
  const kd = withoutNodes(kdFull, TKVM_ONLY);
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
  if (!requireTool(t, 'dtc') || !requireQemu(t)) return;
  const kernel = join(dir, 'kernel.bin'), initrd = join(dir, 'initrd.bin');
  writeFileSync(kernel, Buffer.alloc(0x12345, 1));
  writeFileSync(initrd, Buffer.alloc(0x6789, 2));
  const q = join(dir, 'qemu-c.dtb'), k = join(dir, 'tkvm-c.dtb');
  const common = ['-cpu', 'e500mc', '-m', '256', '-bios', '/usr/lib/u-boot/qemu-ppce500/uboot.elf', '-kernel', kernel,
    '-initrd', initrd, '-append', 'root=/dev/ram console=ttyS0', '-nographic'];
  const qr = spawnQemuSync(['-M', `ppce500,dumpdtb=${q}`, ...common, '-nic', 'none'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(qr.status, 0, qr.stderr);
  const kr = runTkvm(['run', '-M', `ppce500,dumpdtb=${k}`, ...common]);
  assert.equal(kr.status, 0, kr.stderr);
  const chosen = (dts: string) => /\tchosen \{[\s\S]*?\n\t\};/.exec(dts)?.[0].split('\n').filter((l) => !l.includes('rng-seed')).join('\n');
  const kc = chosen(decompile(k).dts);
  assert.ok(kc?.includes('qemu,boot-kernel = <0x00 0x2000000 0x00 0x12345>'), kc);
  assert.ok(kc?.includes('linux,initrd-start = <0x4000000>'), kc);
  assert.equal(kc, chosen(decompile(q).dts));
});

test('virtio devices and pvpanic on the platform bus: nodes for Linux\'s virtio-mmio and pvpanic-mmio bindings', (t) => {
  if (!requireTool(t, 'dtc')) return;
  const disk = join(dir, 'disk.img');
  writeFileSync(disk, Buffer.alloc(1 << 20));
  const k = join(dir, 'tkvm-virtio.dtb');
  const r = runTkvm(['run', '-M', `ppce500,dumpdtb=${k}`, '-m', '256', '-kernel', '/usr/lib/u-boot/qemu-ppce500/uboot.elf',
    '-drive', `file=${disk},format=raw,if=virtio`, '-drive', `file=${disk},format=raw,if=none,id=d1,readonly=on`,
    '-device', 'virtio-rng-device', '-device', 'virtio-blk-device,drive=d1', '-device', 'virtio-serial-device']);
  assert.equal(r.status, 0, r.stderr);
  const { dts, warnings } = decompile(k);
  assert.deepEqual(warnings.filter((w) => !KNOWN_WARNINGS.some((x) => x.test(w))), []);
  const platform = /\tplatform@f00000000 \{[\s\S]*?\n\t\};/.exec(dts)?.[0] ?? '';
  // Drives first, in command-line order, then the console, then the entropy source;
  // MPIC sources 5, 6, ... (QEMU's platform-bus range), level-sensitive active-high (sense 2).
  const nodes = [...platform.matchAll(/\t\t(virtio_mmio@\w+) \{\n\t\t\tcompatible = "virtio,mmio";\n\t\t\treg = <(\w+) (\w+)>;\n\t\t\tinterrupts = <(\w+) (\w+)>;/g)]
    .map((m) => m.slice(1).join(' '));
  assert.deepEqual(nodes, [
    'virtio_mmio@0 0x00 0x200 0x05 0x02', 'virtio_mmio@200 0x200 0x200 0x06 0x02',
    'virtio_mmio@400 0x400 0x200 0x07 0x02', 'virtio_mmio@600 0x600 0x200 0x08 0x02',
  ]);
  assert.match(platform, /pvpanic@10000 \{\n\t+compatible = "qemu,pvpanic-mmio";\n\t+reg = <0x10000 0x01>;/);
  assert.match(platform, /interrupt-parent = <0x8003>;/);
});
