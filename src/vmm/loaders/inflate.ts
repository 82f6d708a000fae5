// DEFLATE (RFC 1951) decompression and the gzip (RFC 1952) container, for
// gzip-compressed uImages. Written here rather than taken from Node's zlib
// because the VMM runs without Node-only modules.
//
// The decoder is the textbook one: a bit reader, canonical Huffman tables
// built from code lengths (counts per length + symbols sorted by code), and
// a decode loop that walks the code one bit at a time. Simple and exact;
// fast enough for images of a few MiB.

import { crc32 } from '../crc32.js';

export class InflateError extends Error {
  override name = 'InflateError';
}

class BitReader {
  pos = 0;
  private bitBuf = 0;
  private bitCnt = 0;
  constructor(private readonly src: Uint8Array, start: number) {
    this.pos = start;
  }
  bits(n: number): number {
    while (this.bitCnt < n) {
      if (this.pos >= this.src.length) throw new InflateError('compressed data is truncated');
      this.bitBuf |= this.src[this.pos++] << this.bitCnt;
      this.bitCnt += 8;
    }
    const v = this.bitBuf & ((1 << n) - 1);
    this.bitBuf >>>= n;
    this.bitCnt -= n;
    return v;
  }
  /** Drop the bits left in the current byte (stored blocks start on a byte boundary). */
  align(): void {
    this.bitBuf = 0;
    this.bitCnt = 0;
  }
}

/** A canonical Huffman code: how many codes of each length, and the symbols in code order. */
class Huffman {
  readonly counts = new Uint16Array(16);
  readonly symbols: Uint16Array;
  constructor(lengths: ArrayLike<number>, n: number) {
    this.symbols = new Uint16Array(n);
    for (let s = 0; s < n; s++) this.counts[lengths[s]]++;
    this.counts[0] = 0;
    let left = 1;
    for (let len = 1; len < 16; len++) {
      left = left * 2 - this.counts[len];
      if (left < 0) throw new InflateError('invalid Huffman code (over-subscribed)');
    }
    const offs = new Uint16Array(16);
    for (let len = 1; len < 15; len++) offs[len + 1] = offs[len] + this.counts[len];
    for (let s = 0; s < n; s++) if (lengths[s] !== 0) this.symbols[offs[lengths[s]]++] = s;
  }
  decode(br: BitReader): number {
    let code = 0, first = 0, index = 0;
    for (let len = 1; len < 16; len++) {
      code |= br.bits(1);
      const count = this.counts[len];
      if (code - first < count) return this.symbols[index + (code - first)];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new InflateError('invalid Huffman code in compressed data');
  }
}

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
  4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

let fixedLit: Huffman | null = null;
let fixedDist: Huffman | null = null;
function fixedTables(): [Huffman, Huffman] {
  if (fixedLit === null || fixedDist === null) {
    const l = new Uint8Array(288);
    l.fill(8, 0, 144); l.fill(9, 144, 256); l.fill(7, 256, 280); l.fill(8, 280, 288);
    fixedLit = new Huffman(l, 288);
    fixedDist = new Huffman(new Uint8Array(30).fill(5), 30);
  }
  return [fixedLit, fixedDist];
}

/** A growable output buffer with a hard limit (a corrupt stream must not eat all memory). */
class Output {
  buf: Uint8Array;
  len = 0;
  constructor(private readonly limit: number) {
    this.buf = new Uint8Array(Math.min(limit, 1 << 16));
  }
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    if (this.len + n > this.limit) throw new InflateError(`decompressed data is larger than ${this.limit} bytes`);
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(Math.min(size, this.limit));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  byte(v: number): void {
    this.room(1);
    this.buf[this.len++] = v;
  }
  copy(dist: number, n: number): void {
    if (dist > this.len) throw new InflateError('compressed data refers before its start');
    this.room(n);
    const b = this.buf;
    for (let k = 0; k < n; k++, this.len++) b[this.len] = b[this.len - dist];
  }
  bytes(src: Uint8Array): void {
    this.room(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }
}

function codes(br: BitReader, out: Output, lit: Huffman, dist: Huffman): void {
  for (;;) {
    const sym = lit.decode(br);
    if (sym < 256) {
      out.byte(sym);
      continue;
    }
    if (sym === 256) return;
    const li = sym - 257;
    if (li >= 29) throw new InflateError('invalid length code in compressed data');
    const len = LEN_BASE[li] + br.bits(LEN_EXTRA[li]);
    const di = dist.decode(br);
    if (di >= 30) throw new InflateError('invalid distance code in compressed data');
    out.copy(DIST_BASE[di] + br.bits(DIST_EXTRA[di]), len);
  }
}

function dynamicTables(br: BitReader): [Huffman, Huffman] {
  const nlen = br.bits(5) + 257, ndist = br.bits(5) + 1, ncode = br.bits(4) + 4;
  if (nlen > 286 || ndist > 30) throw new InflateError('invalid dynamic block header');
  const cl = new Uint8Array(19);
  for (let k = 0; k < ncode; k++) cl[CL_ORDER[k]] = br.bits(3);
  const clh = new Huffman(cl, 19);
  const lengths = new Uint8Array(nlen + ndist);
  for (let k = 0; k < nlen + ndist;) {
    const sym = clh.decode(br);
    if (sym < 16) {
      lengths[k++] = sym;
      continue;
    }
    let rep: number, val = 0;
    if (sym === 16) {
      if (k === 0) throw new InflateError('invalid code-length repeat');
      val = lengths[k - 1];
      rep = 3 + br.bits(2);
    } else if (sym === 17) rep = 3 + br.bits(3);
    else rep = 11 + br.bits(7);
    if (k + rep > nlen + ndist) throw new InflateError('invalid code-length repeat');
    lengths.fill(val, k, k + rep);
    k += rep;
  }
  if (lengths[256] === 0) throw new InflateError('dynamic block has no end-of-block code');
  return [new Huffman(lengths.subarray(0, nlen), nlen), new Huffman(lengths.subarray(nlen), ndist)];
}

/** Decompress a raw DEFLATE stream starting at `start`; returns the data and where the stream ended. */
export function inflateRaw(src: Uint8Array, start = 0, limit = 1 << 30): { data: Uint8Array; end: number } {
  const br = new BitReader(src, start);
  const out = new Output(limit);
  let last = 0;
  do {
    last = br.bits(1);
    const type = br.bits(2);
    if (type === 0) {
      br.align();
      const p = br.pos;
      if (p + 4 > src.length) throw new InflateError('compressed data is truncated');
      const len = src[p] | (src[p + 1] << 8), nlen = src[p + 2] | (src[p + 3] << 8);
      if ((len ^ 0xffff) !== nlen) throw new InflateError('stored block length check failed');
      if (p + 4 + len > src.length) throw new InflateError('compressed data is truncated');
      out.bytes(src.subarray(p + 4, p + 4 + len));
      br.pos = p + 4 + len;
    } else if (type === 1) {
      const [l, d] = fixedTables();
      codes(br, out, l, d);
    } else if (type === 2) {
      const [l, d] = dynamicTables(br);
      codes(br, out, l, d);
    } else {
      throw new InflateError('invalid block type in compressed data');
    }
  } while (!last);
  return { data: out.buf.slice(0, out.len), end: br.pos };
}

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Decompress a gzip member, checking its CRC-32 and length trailer. */
export function gunzip(src: Uint8Array, limit = 1 << 30): Uint8Array {
  if (src.length < 18 || !isGzip(src)) throw new InflateError('not gzip data');
  if (src[2] !== 8) throw new InflateError(`unknown gzip compression method ${src[2]}`);
  const flg = src[3];
  let p = 10;
  if (flg & 4) p += 2 + (src[p] | (src[p + 1] << 8)); // FEXTRA
  if (flg & 8) { while (p < src.length && src[p] !== 0) p++; p++; } // FNAME
  if (flg & 16) { while (p < src.length && src[p] !== 0) p++; p++; } // FCOMMENT
  if (flg & 2) p += 2; // FHCRC
  if (p >= src.length) throw new InflateError('gzip header is truncated');
  const { data, end } = inflateRaw(src, p, limit);
  if (end + 8 > src.length) throw new InflateError('gzip trailer is missing');
  const dv = new DataView(src.buffer, src.byteOffset + end, 8);
  if (dv.getUint32(0, true) !== crc32(data)) throw new InflateError('gzip CRC mismatch (corrupt data)');
  if (dv.getUint32(4, true) !== (data.length >>> 0)) throw new InflateError('gzip length mismatch (corrupt data)');
  return data;
}
