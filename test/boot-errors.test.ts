// Bad input to `tkvm run`: one clear line on stderr, a non-zero exit, no
// stack trace, no guest started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runTkvm } from './support/host.js';
import { crc32 } from '../src/vmm/crc32.js';
import { requireUboot, UBOOT_ELF } from './support/uboot.js';
import { zerosGzip } from './support/bomb.js';

const dir = mkdtempSync(join(tmpdir(), 'tkvm-bad-'));
const base = ['run', '-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic'];

function oneLineError(args: string[], pattern: RegExp): void {
  const r = runTkvm(args, { timeoutMs: 20_000 });
  assert.notEqual(r.status, 0, `must fail: ${args.join(' ')}`);
  assert.equal(r.stdout, '', 'no guest output');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

/** A uImage as mkimage makes it (PowerPC, kernel, load/entry 0x100000). */
function uimage(data: Uint8Array, comp = 0, load = 0x100000): Buffer {
  const h = Buffer.alloc(64);
  h.writeUInt32BE(0x27051956, 0);
  h.writeUInt32BE(1700000000, 8);
  h.writeUInt32BE(data.length, 12);
  h.writeUInt32BE(load, 16);
  h.writeUInt32BE(load, 20);
  h.writeUInt32BE(crc32(data), 24);
  h[28] = 5; h[29] = 7; h[30] = 2; h[31] = comp;
  h.write('test', 32);
  h.writeUInt32BE(crc32(h), 4);
  return Buffer.concat([h, data]);
}

// A tiny valid guest (branch to self), for the cases where the image is fine.
const LOOP = Buffer.from([0x48, 0x00, 0x00, 0x00]);

test('unknown and malformed flags', () => {
  oneLineError([...base, '-frobnicate', '-kernel', 'x'], /unknown option '-frobnicate'/);
  oneLineError([...base, '-kernel'], /option -kernel needs an argument/);
  oneLineError([...base, 'stray', '-kernel', 'x'], /unexpected argument 'stray'/);
  oneLineError(['run', '-M', 'pc', '-kernel', 'x'], /unsupported machine 'pc'/);
  oneLineError(['run', '-M', 'ppce500,frob=1', '-kernel', 'x'], /unknown machine option 'frob=1'/);
  oneLineError(['run', '-cpu', 'e6500', '-kernel', 'x'], /unsupported cpu 'e6500'/);
  oneLineError(['run', '-serial', 'tcp::4444', '-kernel', 'x'], /unsupported -serial/);
  oneLineError(['run', '-monitor', 'vc', '-kernel', 'x'], /unsupported -monitor 'vc'/);
  oneLineError(['run', '-nic', 'user', '-kernel', 'x'], /unsupported -nic 'user'/);
  oneLineError(['run', '-d', 'mmio,bogus', '-kernel', 'x'], /unknown trace event 'bogus'/);
  oneLineError(['run', '-icount', 'x', '-kernel', 'x'], /invalid -icount/);
  oneLineError(['run', '-m', '256'], /nothing to run/);
  oneLineError(['run', '-bios', 'x', '-initrd', 'y'], /-initrd needs -kernel \(as in QEMU\)/);
  oneLineError(['frobnicate'], /unknown command 'frobnicate'/);
});

test('memory sizes out of range or malformed', () => {
  oneLineError(['run', '-m', '4T', '-kernel', 'x'], /memory size 4T out of range/);
  oneLineError(['run', '-m', '8M', '-kernel', 'x'], /memory size 8M out of range/);
  oneLineError(['run', '-m', '3G', '-kernel', 'x'], /memory size 3G out of range/);
  oneLineError(['run', '-m', 'lots', '-kernel', 'x'], /invalid size 'lots'/);
  oneLineError(['run', '-m', '100.5', '-kernel', 'x'], /not a whole number of MiB/);
});

test('missing or unreadable files', () => {
  oneLineError([...base, '-kernel', join(dir, 'nope')], /cannot read kernel .*nope': no such file/);
  oneLineError([...base, '-bios', join(dir, 'nope')], /cannot read firmware .*: no such file/);
  const k = join(dir, 'loop.uimg');
  writeFileSync(k, uimage(LOOP));
  oneLineError([...base, '-kernel', k, '-initrd', join(dir, 'nope')], /cannot read initrd .*: no such file/);
  oneLineError([...base, '-kernel', k, '-dtb', join(dir, 'nope')], /cannot read device tree .*: no such file/);
  const d = join(dir, 'adir');
  mkdirSync(d, { recursive: true });
  oneLineError([...base, '-kernel', d], /cannot read kernel .*: is a directory/);
  const notDtb = join(dir, 'not.dtb');
  writeFileSync(notDtb, 'not a device tree');
  oneLineError([...base, '-kernel', k, '-dtb', notDtb], /device tree .* is not a flattened device tree/);
});

test('a kernel that is neither ELF nor uImage, without firmware', () => {
  const f = join(dir, 'raw.bin');
  writeFileSync(f, LOOP);
  oneLineError([...base, '-kernel', f], /neither an ELF file nor a uImage \(a raw image needs firmware: give -bios\)/);
});

test('corrupt uImages: bad magic, header CRC, data CRC, truncation, bad gzip', () => {
  const good = uimage(LOOP);
  const write = (name: string, b: Buffer) => { const f = join(dir, name); writeFileSync(f, b); return f; };
  // Bad magic: not recognised as a uImage at all.
  const badMagic = Buffer.from(good); badMagic[0] ^= 0xff;
  oneLineError([...base, '-kernel', write('magic.uimg', badMagic)], /neither an ELF file nor a uImage/);
  const badHdr = Buffer.from(good); badHdr[40] ^= 1; // in the name: only the header CRC can tell
  oneLineError([...base, '-kernel', write('hdr.uimg', badHdr)], /uImage header CRC mismatch \(corrupt image\)/);
  const badData = Buffer.from(good); badData[64] ^= 1;
  oneLineError([...base, '-kernel', write('data.uimg', badData)], /uImage data CRC mismatch \(corrupt image\)/);
  oneLineError([...base, '-kernel', write('trunc.uimg', good.subarray(0, 66))], /uImage is truncated/);
  // gzip whose CRCs in the uImage header are right but whose own trailer is wrong.
  const gz = gzipSync(Buffer.alloc(1000, 7));
  gz[gz.length - 8] ^= 1;
  oneLineError([...base, '-kernel', write('gz.uimg', uimage(gz, 1))], /gzip CRC mismatch/);
  oneLineError([...base, '-kernel', write('lzma.uimg', uimage(LOOP, 3))], /compression 'lzma' is not supported/);
});

test('a gzip uImage that inflates to more than RAM is refused when it passes the RAM size', () => {
  // 1 GiB of zeros in 6.5 MB of gzip, with correct CRCs; the machine has 64 MiB.
  const f = join(dir, 'bomb.uimg');
  writeFileSync(f, uimage(zerosGzip(2 ** 30), 1));
  oneLineError([...base.slice(0, 5), '-m', '64', '-kernel', f], /kernel '.*bomb\.uimg': decompressed data is larger than 64 MiB$/);
});

test('images that do not fit in RAM', () => {
  const f = join(dir, 'high.uimg');
  writeFileSync(f, uimage(LOOP, 0, 0x0ff00000)); // loads at 255 MiB: fits in 256, not in 64
  oneLineError([...base.slice(0, 5), '-m', '64', '-kernel', f], /kernel .* \(0xff00000-0xff00003\) does not fit in 64 MiB of RAM/);
  // The initrd goes to 64 MiB: past the end of 32 MiB of RAM.
  const k = join(dir, 'small.uimg');
  writeFileSync(k, uimage(LOOP));
  oneLineError([...base.slice(0, 5), '-m', '32', '-kernel', k, '-initrd', k], /initrd .* \(0x4000000-0x4000043\) does not fit in 32 MiB of RAM/);
});

test('firmware whose device tree does not fit in RAM', (t) => {
  if (!requireUboot(t)) return;
  // U-Boot fits in 16 MiB, but its device tree goes 24 MiB past it.
  oneLineError(['run', '-m', '16', '-bios', UBOOT_ELF], /device tree \(0x2700000-0x27fffff\) does not fit in 16 MiB of RAM/);
});

test('images that overlap each other', (t) => {
  if (!requireUboot(t)) return;
  // QEMU puts -kernel at 32 MiB and the device tree at 39 MiB: a 10 MiB kernel runs over it.
  const big = join(dir, 'big10.bin');
  writeFileSync(big, Buffer.alloc(10 << 20));
  oneLineError(['run', '-m', '256', '-bios', UBOOT_ELF, '-kernel', big], /device tree \(0x2700000-0x27fffff\) overlaps kernel .* \(0x2000000-0x29fffff\)/);
  // A kernel loaded where the initrd goes (64 MiB).
  const f = join(dir, 'overlap.uimg');
  writeFileSync(f, uimage(Buffer.alloc(0x20000), 0, 0x3ff0000));
  oneLineError(['run', '-m', '256', '-kernel', f, '-initrd', big], /initrd .* \(0x4000000-0x49fffff\) overlaps kernel .* \(0x3ff0000-0x400ffff\)/);
});
