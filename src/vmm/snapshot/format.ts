// The snapshot container: a versioned sequence of checksummed sections.
//
//   "TKVMSNAP" | u32 version | u32 section count
//   per section: 4-byte tag | u32 flags | u64 length | u32 crc32 of payload | payload
//   "TEND" | u32 crc32 of everything before
//
// All integers big-endian. Flag bit 0: the payload is compressed with the
// codec given to the reader/writer (the platform's deflate). A reader checks
// the magic, version, every length and checksum before anything is used, so
// a corrupt or truncated file is refused as a whole with one clear message.

import { crc32 } from '../crc32.js';

export const SNAPSHOT_MAGIC = 'TKVMSNAP';
export const SNAPSHOT_VERSION = 1;
const FLAG_COMPRESSED = 1;

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/** Compression supplied by the platform (node:zlib at the edge; a browser has its own). */
export interface Codec {
  deflate(data: Uint8Array): Uint8Array;
  /**
   * Decompress `data`, which the file says holds `size` bytes. Data that
   * inflates to more must be refused with an InflateLimitError once the
   * output passes `size`, not after inflating it whole: a section of a few
   * MiB can inflate to gigabytes.
   */
  inflate(data: Uint8Array, size: number): Uint8Array;
}

/** Thrown by Codec.inflate for data that inflates to more than the size given. */
export class InflateLimitError extends Error {
  override name = 'InflateLimitError';
}

export interface Section {
  tag: string;
  data: Uint8Array;
}

export function writeSnapshot(sections: Section[], codec: Codec | null): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(16);
  head.set(new TextEncoder().encode(SNAPSHOT_MAGIC));
  const hv = new DataView(head.buffer);
  hv.setUint32(8, SNAPSHOT_VERSION);
  hv.setUint32(12, sections.length);
  parts.push(head);
  for (const s of sections) {
    if (!/^[A-Z0-9]{4}$/.test(s.tag)) throw new Error(`bad section tag '${s.tag}'`);
    let payload = s.data, flags = 0;
    if (codec !== null && s.data.length > 64) {
      const z = codec.deflate(s.data);
      if (z.length < s.data.length) {
        payload = z;
        flags = FLAG_COMPRESSED;
      }
    }
    const h = new Uint8Array(24);
    h.set(new TextEncoder().encode(s.tag));
    const dv = new DataView(h.buffer);
    dv.setUint32(4, flags);
    dv.setBigUint64(8, BigInt(payload.length));
    dv.setUint32(16, crc32(payload));
    dv.setUint32(20, s.data.length);
    parts.push(h, payload);
  }
  const bodyLen = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(bodyLen + 8);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  out.set(new TextEncoder().encode('TEND'), o);
  new DataView(out.buffer).setUint32(o + 4, crc32(out.subarray(0, o)));
  return out;
}

export function readSnapshot(file: Uint8Array, codec: Codec | null): Section[] {
  if (file.length < 24 || new TextDecoder().decode(file.subarray(0, 8)) !== SNAPSHOT_MAGIC) {
    throw new SnapshotError('not a tkvm snapshot');
  }
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = dv.getUint32(8);
  if (version !== SNAPSHOT_VERSION) throw new SnapshotError(`snapshot format version ${version} is not supported (expected ${SNAPSHOT_VERSION})`);
  const end = file.length - 8;
  if (new TextDecoder().decode(file.subarray(end, end + 4)) !== 'TEND') throw new SnapshotError('snapshot is truncated');
  if (dv.getUint32(end + 4) !== crc32(file.subarray(0, end))) throw new SnapshotError('snapshot is corrupt (checksum mismatch)');
  const count = dv.getUint32(12);
  const out: Section[] = [];
  let o = 16;
  for (let k = 0; k < count; k++) {
    if (o + 24 > end) throw new SnapshotError('snapshot is truncated');
    const tag = new TextDecoder().decode(file.subarray(o, o + 4));
    const flags = dv.getUint32(o + 4);
    const len = Number(dv.getBigUint64(o + 8));
    const crc = dv.getUint32(o + 16);
    const rawLen = dv.getUint32(o + 20);
    o += 24;
    if (o + len > end) throw new SnapshotError(`snapshot section ${tag} is truncated`);
    const payload = file.subarray(o, o + len);
    if (crc32(payload) !== crc) throw new SnapshotError(`snapshot section ${tag} is corrupt`);
    let data = payload;
    if ((flags & FLAG_COMPRESSED) !== 0) {
      if (codec === null) throw new SnapshotError('snapshot is compressed but no codec is available');
      try {
        data = codec.inflate(payload, rawLen);
      } catch (e) {
        if (e instanceof InflateLimitError) throw new SnapshotError(`snapshot section ${tag} inflates to more than its declared ${rawLen} bytes`);
        throw new SnapshotError(`snapshot section ${tag} does not decompress`);
      }
      if (data.length !== rawLen) throw new SnapshotError(`snapshot section ${tag} has the wrong size`);
    }
    out.push({ tag, data: data.slice() });
    o += len;
  }
  if (o !== end) throw new SnapshotError('snapshot has trailing data');
  return out;
}
