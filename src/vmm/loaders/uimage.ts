// U-Boot legacy images ("uImage", made by mkimage): a 64-byte big-endian
// header followed by the data.
//
//   0  u32 magic 0x27051956     4  u32 header CRC (computed with this field 0)
//   8  u32 time                12  u32 data size
//  16  u32 load address        20  u32 entry point
//  24  u32 data CRC            28  u8 OS, 29 u8 arch, 30 u8 type, 31 u8 compression
//  32  char name[32]
//
// Both CRCs are checked: a corrupt image is one clear error, never a guest
// that runs garbage.

import { crc32 } from '../crc32.js';
import { ImageError } from './elf.js';
import { gunzip, InflateError } from './inflate.js';

export const UIMAGE_MAGIC = 0x27051956;
const HEADER = 64;

const ARCH_PPC = 7;
const TYPE_STANDALONE = 1, TYPE_KERNEL = 2, TYPE_RAMDISK = 3, TYPE_MULTI = 4, TYPE_FIRMWARE = 5, TYPE_SCRIPT = 6;
const TYPE_KERNEL_NOLOAD = 14;
const COMP_NONE = 0, COMP_GZIP = 1;
const TYPE_NAMES: Record<number, string> = {
  [TYPE_STANDALONE]: 'standalone', [TYPE_KERNEL]: 'kernel', [TYPE_RAMDISK]: 'ramdisk', [TYPE_MULTI]: 'multi',
  [TYPE_FIRMWARE]: 'firmware', [TYPE_SCRIPT]: 'script', [TYPE_KERNEL_NOLOAD]: 'kernel_noload',
};
const COMP_NAMES = ['none', 'gzip', 'bzip2', 'lzma', 'lzo', 'lz4', 'zstd'];

export interface UImage {
  name: string;
  load: number;
  entry: number;
  type: number;
  /** The image data, decompressed. */
  data: Uint8Array;
}

export function isUImage(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) === UIMAGE_MAGIC;
}

/**
 * Parse and check a uImage; `what` names it in errors. `maxBytes` is the
 * largest decompressed image the caller takes (boot: the RAM size): gzip data
 * that inflates to more is refused when it passes that size.
 */
export function parseUImage(bytes: Uint8Array, what: string, maxBytes: number): UImage {
  if (bytes.length < HEADER) throw new ImageError(`${what}: truncated uImage header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0) !== UIMAGE_MAGIC) throw new ImageError(`${what}: bad uImage magic 0x${dv.getUint32(0).toString(16)}`);
  const hdr = bytes.slice(0, HEADER);
  new DataView(hdr.buffer).setUint32(4, 0);
  const hcrc = dv.getUint32(4);
  if (crc32(hdr) !== hcrc) throw new ImageError(`${what}: uImage header CRC mismatch (corrupt image)`);
  const size = dv.getUint32(12);
  if (HEADER + size > bytes.length) {
    throw new ImageError(`${what}: uImage is truncated (header says ${size} data bytes, file has ${bytes.length - HEADER})`);
  }
  const payload = bytes.subarray(HEADER, HEADER + size);
  if (crc32(payload) !== dv.getUint32(24)) throw new ImageError(`${what}: uImage data CRC mismatch (corrupt image)`);
  const arch = bytes[29], type = bytes[30], comp = bytes[31];
  if (arch !== ARCH_PPC) throw new ImageError(`${what}: uImage is not for PowerPC (architecture ${arch})`);
  if (type !== TYPE_KERNEL && type !== TYPE_FIRMWARE && type !== TYPE_STANDALONE && type !== TYPE_KERNEL_NOLOAD) {
    throw new ImageError(`${what}: uImage of type ${TYPE_NAMES[type] ?? type} cannot be booted (kernel, firmware or standalone)`);
  }
  let data: Uint8Array;
  if (comp === COMP_NONE) data = payload;
  else if (comp === COMP_GZIP) {
    try {
      data = gunzip(payload, maxBytes);
    } catch (e) {
      if (e instanceof InflateError) throw new ImageError(`${what}: ${e.message}`);
      throw e;
    }
  } else {
    throw new ImageError(`${what}: uImage compression '${COMP_NAMES[comp] ?? comp}' is not supported (none or gzip)`);
  }
  let end = 32;
  while (end < 64 && bytes[end] !== 0) end++;
  const name = new TextDecoder().decode(bytes.subarray(32, end));
  return { name, load: dv.getUint32(16), entry: dv.getUint32(20), type, data };
}
