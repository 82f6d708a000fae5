// Bad disks and virtio devices on the command line: one clear line on
// stderr, a non-zero exit, no stack trace, no guest started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CLI, ROOT, runTkvm } from './support/host.js';
import { requireLinuxImages } from './support/linux.js';

const dir = mkdtempSync(join(tmpdir(), 'tkvm-disk-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const KERNEL = join(ROOT, 'guests/bin/hello.elf');
const base = ['run', '-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-kernel', KERNEL];

function oneLineError(r: { status: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.notEqual(r.status, 0, 'must fail');
  assert.equal(r.stdout, '', 'no guest output');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}
const bad = (args: string[], pattern: RegExp) => oneLineError(runTkvm([...base, ...args], { timeoutMs: 20_000 }), pattern);

const disk = join(dir, 'disk.img');
writeFileSync(disk, Buffer.alloc(1 << 20));

test('a disk image that is missing, a directory, empty, or in another format', () => {
  bad(['-drive', `file=${join(dir, 'nope.img')},format=raw,if=virtio`], /^tkvm: disk image '.*nope\.img': no such file$/);
  bad(['-drive', `file=${dir},format=raw`], /disk image '.*': is a directory/);
  const empty = join(dir, 'empty.img');
  writeFileSync(empty, '');
  bad(['-drive', `file=${empty},format=raw`], /disk image '.*empty\.img': empty/);
  // A qcow2 header: refused unless the user says the bytes are raw.
  const qcow = join(dir, 'disk.qcow2');
  const q = Buffer.alloc(4096);
  q.write('QFI\xfb', 0, 'latin1');
  writeFileSync(qcow, q);
  bad(['-drive', `file=${qcow}`], /disk image '.*disk\.qcow2' is in qcow2 format; tkvm reads raw images only/);
  bad(['-drive', `file=${disk},format=qcow2`], /-drive: unsupported format 'qcow2' \(only raw\)/);
});

test('a disk image that must be written but cannot be', (t) => {
  const ro = join(dir, 'ro.img');
  writeFileSync(ro, Buffer.alloc(1 << 20));
  chmodSync(ro, 0o444);
  let r;
  if (process.getuid?.() === 0) {
    // root may write any file: run tkvm as nobody, who may read this one only.
    // nobody runs a copy of the built command and the guest from this
    // directory: the checkout may be in one only its owner can enter (a
    // `mktemp -d` directory is).
    chmodSync(dir, 0o755);
    cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    const kernel = join(dir, 'hello.elf');
    copyFileSync(KERNEL, kernel);
    const asNobody = [...base.slice(0, -1), kernel];
    const p = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath,
      join(dir, relative(ROOT, CLI)), ...asNobody, '-drive', `file=${ro},format=raw`], { encoding: 'utf8', timeout: 20_000 });
    if (p.error) {
      t.skip(`cannot run as another user (setpriv: ${p.error.message})`);
      return;
    }
    r = { status: p.status, stdout: p.stdout, stderr: p.stderr };
  } else {
    r = runTkvm([...base, '-drive', `file=${ro},format=raw`], { timeoutMs: 20_000 });
  }
  oneLineError(r, /disk image '.*ro\.img': not writable \(add readonly=on to use it read-only\)/);
});

test('malformed -drive and -device options', () => {
  bad(['-drive', `file=${disk},if=ide`], /-drive: unsupported interface 'ide'/);
  bad(['-drive', `file=${disk},cache=none`], /-drive: unknown option 'cache'/);
  bad(['-drive', `file=${disk},readonly=maybe`], /-drive: readonly must be on or off/);
  bad(['-drive', `file=${disk},media=cdrom`], /-drive: unsupported media 'cdrom'/);
  bad(['-drive', 'format=raw'], /-drive: file= is required/);
  bad(['-drive', `${disk}`], /-drive: expected key=value/);
  bad(['-drive', `file=${disk},if=none`], /-drive if=none needs an id=/);
  bad(['-device', 'virtio-blk-device,drive=d0'], /no -drive if=none with id 'd0' before it/);
  bad(['-device', 'virtio-blk-device'], /needs drive=ID/);
  bad(['-drive', `file=${disk},if=none,id=d0`, '-device', 'virtio-blk-device,drive=d0', '-device', 'virtio-blk-device,drive=d0'],
    /drive 'd0' is already in use/);
  bad(['-device', 'virtio-blk-pci,drive=d0'], /virtio-mmio \(use virtio-blk-device\)/);
  bad(['-device', 'e1000'], /unsupported -device 'e1000'/);
  bad(['-device', 'virtio-rng-device,max-bytes=10'], /-device virtio-rng-device: unsupported option 'max-bytes'/);
  bad(Array.from({ length: 11 }, () => ['-drive', `file=${disk},format=raw,readonly=on`]).flat(),
    /too many virtio devices \(11\): the machine has interrupt sources for 10/);
  bad(['-action', 'panic=explode'], /invalid -action panic='explode'/);
  bad(['-action', 'reboot=shutdown'], /unsupported -action 'reboot=shutdown'/);
});

test('a kernel for another architecture', () => {
  // A 32-bit little-endian i386 ELF header.
  const x86 = Buffer.alloc(52);
  x86.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]);
  x86.writeUInt16LE(2, 16); // ET_EXEC
  x86.writeUInt16LE(3, 18); // EM_386
  x86.writeUInt32LE(1, 20);
  const f = join(dir, 'vmlinux-x86');
  writeFileSync(f, x86);
  oneLineError(runTkvm(['run', '-m', '256', '-kernel', f], { timeoutMs: 20_000 }), /kernel '.*vmlinux-x86'.*(not a PowerPC|big-endian|not a 32-bit)/);
  // An arm64 Linux Image (raw, "ARM\x64" at byte 56): no PowerPC kernel either.
  const arm = Buffer.alloc(4096);
  arm.write('ARM\x64', 56, 'latin1');
  const a = join(dir, 'Image-arm64');
  writeFileSync(a, arm);
  oneLineError(runTkvm(['run', '-m', '256', '-kernel', a], { timeoutMs: 20_000 }), /kernel '.*Image-arm64' is neither an ELF file nor a uImage/);
});

test('the Linux images with too little RAM for the initrd', (t) => {
  const images = requireLinuxImages(t);
  if (!images) return;
  // The initrd goes at 64 MiB (QEMU's placement), past the end of 64 MiB of RAM.
  oneLineError(runTkvm(['run', '-M', 'ppce500', '-m', '64', '-kernel', images.vmlinux, '-initrd', images.initramfs, '-append', 'console=ttyS0'],
    { timeoutMs: 20_000 }), /^tkvm: initrd '.*initramfs\.cpio\.gz' \(0x4000000-0x4[0-9a-f]{6}\) does not fit in 64 MiB of RAM$/);
});
