// ELF loader for 32-bit big-endian PowerPC images (executables and vmlinux).

export class ImageError extends Error {
  override name = 'ImageError';
}

export interface ElfSegment {
  /** Physical load address (p_paddr; QEMU loads PowerPC ELFs at p_paddr). */
  paddr: number;
  vaddr: number;
  /** Bytes from the file, followed by memsz - data.length zero bytes. */
  data: Uint8Array;
  memsz: number;
}

export interface ElfImage {
  entry: number;
  segments: ElfSegment[];
  /** Lowest and highest (exclusive) physical addresses loaded. */
  low: number;
  high: number;
  /** Symbols (from .symtab), if any, by name. */
  symbols: Map<string, number>;
}

const EM_PPC = 20;
const PT_LOAD = 1;

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Parse an ELF image; throws ImageError with a one-line reason for anything unusable. */
export function parseElf(bytes: Uint8Array, what = 'ELF image'): ElfImage {
  if (!isElf(bytes)) throw new ImageError(`${what}: not an ELF file`);
  if (bytes.length < 52) throw new ImageError(`${what}: truncated ELF header`);
  if (bytes[4] !== 1) throw new ImageError(`${what}: not a 32-bit ELF (class ${bytes[4]})`);
  if (bytes[5] !== 2) throw new ImageError(`${what}: not a big-endian ELF`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = dv.getUint16(18);
  if (machine !== EM_PPC) throw new ImageError(`${what}: not a PowerPC ELF (machine ${machine})`);
  const entry = dv.getUint32(24);
  const phoff = dv.getUint32(28);
  const shoff = dv.getUint32(32);
  const phentsize = dv.getUint16(42);
  const phnum = dv.getUint16(44);
  const shentsize = dv.getUint16(46);
  const shnum = dv.getUint16(48);
  if (phnum === 0) throw new ImageError(`${what}: no program headers`);
  if (phentsize < 32 || phoff + phnum * phentsize > bytes.length) {
    throw new ImageError(`${what}: truncated program headers`);
  }
  const segments: ElfSegment[] = [];
  let low = Infinity, high = 0;
  for (let k = 0; k < phnum; k++) {
    const o = phoff + k * phentsize;
    if (dv.getUint32(o) !== PT_LOAD) continue;
    const offset = dv.getUint32(o + 4);
    const vaddr = dv.getUint32(o + 8);
    const paddr = dv.getUint32(o + 12);
    const filesz = dv.getUint32(o + 16);
    const memsz = dv.getUint32(o + 20);
    if (memsz === 0) continue;
    if (filesz > memsz) throw new ImageError(`${what}: segment ${k} has filesz > memsz`);
    if (offset + filesz > bytes.length) throw new ImageError(`${what}: truncated (segment ${k} extends past end of file)`);
    segments.push({ paddr, vaddr, data: bytes.subarray(offset, offset + filesz), memsz });
    low = Math.min(low, paddr);
    high = Math.max(high, paddr + memsz);
  }
  if (segments.length === 0) throw new ImageError(`${what}: no loadable segments`);
  const symbols = new Map<string, number>();
  if (shoff !== 0 && shentsize >= 40 && shoff + shnum * shentsize <= bytes.length) {
    readSymbols(dv, shoff, shnum, shentsize, symbols);
  }
  return { entry, segments, low, high, symbols };
}

/** For names that are not ASCII (a vmlinux has ~17,000 symbols, all ASCII, decoded without it). */
const utf8 = new TextDecoder();

function readSymbols(dv: DataView, shoff: number, shnum: number, shentsize: number, out: Map<string, number>): void {
  const SHT_SYMTAB = 2;
  for (let k = 0; k < shnum; k++) {
    const o = shoff + k * shentsize;
    if (dv.getUint32(o + 4) !== SHT_SYMTAB) continue;
    const off = dv.getUint32(o + 16), size = dv.getUint32(o + 20);
    const link = dv.getUint32(o + 24), entsize = dv.getUint32(o + 36) || 16;
    const so = shoff + link * shentsize;
    if (link >= shnum) return;
    const strOff = dv.getUint32(so + 16), strSize = dv.getUint32(so + 20);
    if (off + size > dv.byteLength || strOff + strSize > dv.byteLength) return;
    for (let s = off; s + 16 <= off + size; s += entsize) {
      const nameOff = dv.getUint32(s);
      const value = dv.getUint32(s + 4);
      if (nameOff === 0 || nameOff >= strSize) continue;
      let end = strOff + nameOff;
      let ascii = true;
      for (let b; end < strOff + strSize && (b = dv.getUint8(end)) !== 0; end++) if (b >= 0x80) ascii = false;
      const bytes = new Uint8Array(dv.buffer, dv.byteOffset + strOff + nameOff, end - strOff - nameOff);
      const name = ascii ? String.fromCharCode.apply(null, bytes as unknown as number[]) : utf8.decode(bytes);
      if (!out.has(name)) out.set(name, value);
    }
  }
}
