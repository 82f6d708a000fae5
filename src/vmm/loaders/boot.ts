// Putting images into a fresh machine and setting up the boot CPU the way
// QEMU's ppce500 does, as observed from outside (monitor `info registers`,
// `info tlb`, the dumped device tree):
//
// Firmware (-bios FILE, or -kernel FILE without -bios, which QEMU boots the
// same way):
//   - an ELF is loaded at its physical addresses and entered at its entry;
//   - a uImage is checked (both CRCs), decompressed (gzip) to its load
//     address and entered at its entry point;
//   - a raw binary (e.g. u-boot.bin) is loaded at 0xf00000, where Debian's
//     qemu-ppce500 U-Boot is linked (uboot.elf's only segment and entry), and
//     entered at its first byte. QEMU refuses raw firmware ("could not load
//     firmware"); tkvm accepts it as -bios since u-boot.bin is that image's
//     bytes. A raw -kernel without -bios stays an error: it has no address.
// Kernel with -bios: the file is copied unchanged to 0x2000000 (32 MiB) for
//   the firmware to boot; /chosen/qemu,boot-kernel = <0x2000000 size>.
//   Without -bios, qemu,boot-kernel = <lowest address, loaded size> of the
//   image booted directly.
// Initrd: copied to ((0x2000000 + kernel size with -bios) + 32 MiB) rounded
//   down to 16 MiB; /chosen/linux,initrd-start and -end.
// Device tree: at (end of the firmware + 24 MiB) rounded down to 1 MiB,
//   with a total size of 1 MiB (room for the guest to edit it), or the
//   user's -dtb unchanged (its total size grown to (size + 10000) * 2, as
//   QEMU does).
// CPU: TLB1 entry 0 maps [0, IMA) read/write/execute for supervisor and user,
//   without IPROT, IMA the smallest power of 4 KiB pages covering the device
//   tree; r1 =
//   0xfffff8, r3 = device tree, r6 = ePAPR magic, r7 = IMA size, MSR = 0.
//
// Unlike QEMU, images that overlap each other or do not fit in RAM are an
// error (QEMU lets a large -kernel run over its device tree).

import { TIMEBASE_HZ } from '../../kvm/index.js';
import { isDtb, toDtb } from '../fdt/fdt.js';
import { buildTree } from '../machine/devicetree.js';
import type { Ppce500 } from '../machine/ppce500.js';
import { ImageError, isElf, parseElf } from './elf.js';
import { isUImage, parseUImage } from './uimage.js';

export const EPAPR_MAGIC = 0x45504150;
const MB = 0x100000;
/** QEMU puts the device tree 24 MiB past the firmware, on a 1 MiB boundary. */
const DTB_PAD = 0x1800000;
const DTB_SIZE = MB;
/** Where QEMU puts -kernel when firmware boots it, and the initrd placement rule. */
export const KERNEL_LOAD_ADDR = 0x2000000;
const INITRD_PAD = 0x2000000;
const INITRD_ALIGN = 0x1000000;
/** Where a raw firmware image is loaded and entered (Debian's qemu-ppce500 U-Boot's link address). */
export const RAW_FIRMWARE_ADDR = 0xf00000;
/** Initial stack pointer QEMU gives the boot CPU. */
const INITIAL_SP = 0xfffff8;

export interface InputFile {
  bytes: Uint8Array;
  /** The name used in messages (the path given on the command line). */
  name: string;
}

export interface BootOptions {
  bios?: InputFile;
  kernel?: InputFile;
  initrd?: InputFile;
  dtb?: InputFile;
  bootargs: string;
}

export interface BootInfo {
  entry: number;
  dtbAddr: number;
  imaSize: number;
  symbols: Map<string, number>;
  /** The device tree blob handed to the guest. */
  dtb: Uint8Array;
  /** Everything placed in RAM, for messages and tests. */
  regions: Region[];
}

interface Region {
  what: string;
  start: number;
  end: number;
  /** Bytes to copy at start (the rest up to end is zeroed). */
  parts: { at: number; data: Uint8Array; size: number }[];
}

const hex = (v: number) => `0x${v.toString(16)}`;

/** A firmware (or directly booted kernel) image: ELF, uImage or (for -bios) raw. */
function loadFirmware(f: InputFile, role: string, allowRaw: boolean, ramSize: number):
  { region: Region; entry: number; symbols: Map<string, number> } {
  const what = `${role} '${f.name}'`;
  if (isElf(f.bytes)) {
    const img = parseElf(f.bytes, what);
    return {
      region: {
        what, start: img.low, end: img.high,
        parts: img.segments.map((s) => ({ at: s.paddr, data: s.data, size: s.memsz })),
      },
      entry: img.entry,
      symbols: img.symbols,
    };
  }
  if (isUImage(f.bytes)) {
    const u = parseUImage(f.bytes, what, ramSize);
    return {
      region: { what, start: u.load, end: u.load + u.data.length, parts: [{ at: u.load, data: u.data, size: u.data.length }] },
      entry: u.entry,
      symbols: new Map(),
    };
  }
  if (!allowRaw) {
    throw new ImageError(`${what} is neither an ELF file nor a uImage (a raw image needs firmware: give -bios)`);
  }
  if (f.bytes.length === 0) throw new ImageError(`${what} is empty`);
  const start = RAW_FIRMWARE_ADDR;
  return {
    region: { what, start, end: start + f.bytes.length, parts: [{ at: start, data: f.bytes, size: f.bytes.length }] },
    entry: start,
    symbols: new Map(),
  };
}

function raw(f: InputFile, role: string, at: number): Region {
  return { what: `${role} '${f.name}'`, start: at, end: at + f.bytes.length, parts: [{ at, data: f.bytes, size: f.bytes.length }] };
}

/** Grow a user's device tree blob's total size, leaving free space at its end for the guest's edits. */
function padUserDtb(f: InputFile): Uint8Array {
  if (!isDtb(f.bytes)) throw new ImageError(`device tree '${f.name}' is not a flattened device tree (bad magic)`);
  const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
  const total = dv.getUint32(4);
  const version = dv.getUint32(20);
  if (total > f.bytes.length || total < 40) throw new ImageError(`device tree '${f.name}' is truncated`);
  if (version < 16) throw new ImageError(`device tree '${f.name}' has version ${version} (16 or later needed)`);
  const size = (total + 10000) * 2;
  const out = new Uint8Array(size);
  out.set(f.bytes.subarray(0, total));
  new DataView(out.buffer).setUint32(4, size);
  return out;
}

export function boot(m: Ppce500, o: BootOptions): BootInfo {
  const ramSize = m.ramU8.length;
  const firmwareFile = o.bios ?? o.kernel;
  if (!firmwareFile) throw new ImageError('nothing to boot: give -bios or -kernel');
  const fw = loadFirmware(firmwareFile, o.bios ? 'firmware' : 'kernel', !!o.bios, ramSize);
  const regions: Region[] = [fw.region];

  let curBase = KERNEL_LOAD_ADDR;
  let bootKernel: { base: number; size: number } | undefined;
  if (o.bios && o.kernel) {
    const k = raw(o.kernel, 'kernel', KERNEL_LOAD_ADDR);
    if (o.kernel.bytes.length === 0) throw new ImageError(`kernel '${o.kernel.name}' is empty`);
    regions.push(k);
    bootKernel = { base: KERNEL_LOAD_ADDR, size: o.kernel.bytes.length };
    curBase += o.kernel.bytes.length;
  } else if (!o.bios) {
    bootKernel = { base: fw.region.start, size: fw.region.end - fw.region.start };
  }

  let initrd: { start: number; end: number } | undefined;
  if (o.initrd) {
    const at = Math.floor((curBase + INITRD_PAD) / INITRD_ALIGN) * INITRD_ALIGN;
    const r = raw(o.initrd, 'initrd', at);
    regions.push(r);
    initrd = { start: r.start, end: r.end };
  }

  const dtbAddr = Math.floor((fw.region.end + DTB_PAD) / MB) * MB;
  let dtb: Uint8Array;
  if (o.dtb) {
    dtb = padUserDtb(o.dtb);
  } else {
    const tree = buildTree({
      ramBytes: ramSize, bootargs: o.bootargs, platform: m.platform, timebaseHz: TIMEBASE_HZ, clockHz: TIMEBASE_HZ, bootKernel, initrd,
    });
    dtb = toDtb(tree, { totalSize: DTB_SIZE });
  }
  regions.push({ what: 'device tree', start: dtbAddr, end: dtbAddr + dtb.length, parts: [{ at: dtbAddr, data: dtb, size: dtb.length }] });

  // Every image must fit in RAM and none may overlap another.
  for (const r of regions) {
    if (r.start < 0 || r.end > ramSize) {
      throw new ImageError(`${r.what} (${hex(r.start)}-${hex(r.end - 1)}) does not fit in ${ramSize / MB} MiB of RAM`);
    }
    for (const p of r.parts) {
      if (p.at + p.size > ramSize) {
        throw new ImageError(`${r.what}: part at ${hex(p.at)}+${hex(p.size)} does not fit in ${ramSize / MB} MiB of RAM`);
      }
    }
  }
  for (let a = 0; a < regions.length; a++) {
    for (let b = a + 1; b < regions.length; b++) {
      const x = regions[a], y = regions[b];
      if (x.start < y.end && y.start < x.end) {
        throw new ImageError(`${y.what} (${hex(y.start)}-${hex(y.end - 1)}) overlaps ${x.what} (${hex(x.start)}-${hex(x.end - 1)})`);
      }
    }
  }
  for (const r of regions) {
    for (const p of r.parts) {
      m.ramU8.fill(0, p.at, p.at + p.size);
      m.ramU8.set(p.data.subarray(0, Math.min(p.data.length, p.size)), p.at);
    }
  }

  // IMA: the smallest power-of-4 page (MAV 1.0 TSIZE) covering the device tree.
  let tsize = 1;
  while (1024 * Math.pow(4, tsize) < dtbAddr + dtb.length) tsize++;
  const imaSize = 1024 * Math.pow(4, tsize);
  // Valid, TID 0, TS 0, no IPROT (QEMU's entry has none), all permissions.
  m.setTlb1Entry(0, 0x80000000 | (tsize << 8), 0, 0x3f, 0);

  const regs = m.vcpu.getRegs();
  regs.pc = fw.entry;
  regs.msr = 0;
  regs.gpr.fill(0);
  regs.gpr[1] = INITIAL_SP;
  regs.gpr[3] = dtbAddr;
  regs.gpr[6] = EPAPR_MAGIC;
  regs.gpr[7] = imaSize;
  m.vcpu.setRegs(regs);
  return { entry: fw.entry, dtbAddr, imaSize, symbols: fw.symbols, dtb, regions };
}
