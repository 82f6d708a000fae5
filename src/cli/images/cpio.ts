// A writer for the "newc" cpio format that Linux unpacks as an initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst).
//
// Written here rather than driving cpio(1) so that an initramfs can hold
// device nodes (/dev/console) without root or fakeroot, and so that the
// archive is byte-for-byte reproducible: fixed owners (root), mtime 0, inode
// numbers in archive order.

export type CpioEntry =
  | { path: string; type: 'dir'; mode?: number }
  | { path: string; type: 'file'; mode?: number; data: Uint8Array }
  | { path: string; type: 'symlink'; target: string }
  | { path: string; type: 'char' | 'block'; mode?: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

const hex8 = (n: number): string => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
};

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function normalize(path: string): string {
  const p = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (p === '' || p.split('/').some((c) => c === '' || c === '.' || c === '..')) {
    throw new Error(`bad path in initramfs: '${path}'`);
  }
  return p;
}

function record(out: Uint8Array[], ino: number, mode: number, nlink: number, name: string, data: Uint8Array,
  rdev: [number, number] = [0, 0]): void {
  const nameBytes = new TextEncoder().encode(name + '\0');
  const header = '070701' + [
    ino, mode, 0 /* uid */, 0 /* gid */, nlink, 0 /* mtime */, data.length,
    0, 0 /* dev major, minor */, rdev[0], rdev[1], nameBytes.length, 0 /* check */,
  ].map(hex8).join('');
  out.push(new TextEncoder().encode(header), nameBytes, new Uint8Array(pad4(header.length + nameBytes.length)));
  out.push(data, new Uint8Array(pad4(data.length)));
}

/**
 * Packs the entries, in the order given, into one newc archive. Every
 * entry's parent directory must come before it (the kernel creates entries
 * as it reads them), and a path may appear only once.
 */
export function packCpio(entries: readonly CpioEntry[]): Uint8Array {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  let ino = 1;
  for (const e of entries) {
    const path = normalize(e.path);
    if (seen.has(path)) throw new Error(`duplicate path in initramfs: '${path}'`);
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (parent !== '' && !seen.has(parent)) throw new Error(`initramfs entry '${path}' comes before its directory '${parent}'`);
    seen.add(path);
    const perm = (m: number | undefined, dflt: number): number => (m ?? dflt) & 0o7777;
    switch (e.type) {
      case 'dir': record(out, ino++, S_IFDIR | perm(e.mode, 0o755), 2, path, new Uint8Array(0)); break;
      case 'file': record(out, ino++, S_IFREG | perm(e.mode, 0o644), 1, path, e.data); break;
      case 'symlink': record(out, ino++, S_IFLNK | 0o777, 1, path, new TextEncoder().encode(e.target)); break;
      case 'char': case 'block':
        record(out, ino++, (e.type === 'char' ? S_IFCHR : S_IFBLK) | perm(e.mode, 0o600), 1, path, new Uint8Array(0), [e.major, e.minor]);
        break;
    }
  }
  record(out, 0, 0, 1, 'TRAILER!!!', new Uint8Array(0));
  const total = out.reduce((n, b) => n + b.length, 0);
  const buf = new Uint8Array(total);
  let off = 0;
  for (const b of out) { buf.set(b, off); off += b.length; }
  return buf;
}

export interface CpioMember {
  name: string;
  mode: number;
  rdevMajor: number;
  rdevMinor: number;
  data: Uint8Array;
}

/** Reads a newc archive back (for tests and for listing an initramfs). */
export function readCpio(buf: Uint8Array): CpioMember[] {
  const members: CpioMember[] = [];
  const text = new TextDecoder();
  let off = 0;
  for (;;) {
    if (off + 110 > buf.length) throw new Error('truncated cpio archive');
    const h = text.decode(buf.subarray(off, off + 110));
    if (!h.startsWith('070701')) throw new Error(`bad cpio magic at offset ${off}`);
    const field = (i: number): number => parseInt(h.slice(6 + 8 * i, 14 + 8 * i), 16);
    const size = field(6), namesize = field(11);
    const nameStart = off + 110;
    const name = text.decode(buf.subarray(nameStart, nameStart + namesize - 1));
    const dataStart = nameStart + namesize + pad4(110 + namesize);
    if (dataStart + size > buf.length) throw new Error('truncated cpio archive');
    if (name === 'TRAILER!!!') return members;
    members.push({ name, mode: field(1), rdevMajor: field(9), rdevMinor: field(10), data: buf.slice(dataStart, dataStart + size) });
    off = dataStart + size + pad4(size);
  }
}
