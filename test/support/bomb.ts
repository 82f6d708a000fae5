// Decompression bombs made to order: valid DEFLATE, zlib and gzip streams of
// n zero bytes, written directly (n = 1 GiB without ever holding 1 GiB, and
// without spending seconds in an encoder).
//
// The DEFLATE stream is one fixed-Huffman block: a literal 0, then length-258
// distance-1 copies (13 bits each, so 1 GiB is 6.5 MB), then literal zeros for
// the remainder and the end-of-block code.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../../src/vmm/crc32.js';

class BitWriter {
  readonly buf: Uint8Array;
  private pos = 0;
  private acc = 0;
  private accBits = 0;
  constructor(bits: number) {
    this.buf = new Uint8Array(Math.ceil(bits / 8));
  }
  /** Append `n` (at most 24) bits of `v`, least significant first (DEFLATE's bit order). */
  put(v: number, n: number): void {
    this.acc |= v << this.accBits;
    this.accBits += n;
    while (this.accBits >= 8) {
      this.buf[this.pos++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.accBits -= 8;
    }
  }
  end(): Uint8Array {
    if (this.accBits > 0) this.buf[this.pos++] = this.acc & 0xff;
    return this.buf.subarray(0, this.pos);
  }
}

/** A fixed Huffman code of `len` bits, reversed: DEFLATE sends codes most significant bit first. */
function huff(code: number, len: number): number {
  let r = 0;
  for (let k = 0; k < len; k++) r |= ((code >> k) & 1) << (len - 1 - k);
  return r;
}
const LIT0 = huff(0x30, 8); // literal 0: codes 0x30.. for 0..143
const LEN258_DIST1 = huff(0xc5, 8); // symbol 285 (length 258, no extra bits), then distance code 0 (5 zero bits)
const EOB = huff(0, 7); // symbol 256

/** Raw DEFLATE of `n` zero bytes. */
export function zerosDeflate(n: number): Uint8Array {
  const copies = n > 0 ? Math.floor((n - 1) / 258) : 0;
  const tail = n > 0 ? (n - 1) % 258 : 0;
  const w = new BitWriter(3 + 8 + copies * 13 + tail * 8 + 7);
  w.put(1, 1); // BFINAL
  w.put(1, 2); // BTYPE 01: fixed Huffman codes
  if (n > 0) w.put(LIT0, 8);
  for (let k = 0; k < copies; k++) w.put(LEN258_DIST1, 13);
  for (let k = 0; k < tail; k++) w.put(LIT0, 8);
  w.put(EOB, 7);
  return w.end();
}

/**
 * CRC-32 of n zero bytes without reading them: a zero byte is a linear map of
 * the CRC register over GF(2), so n of them are its n-th power, by repeated
 * squaring (as zlib's crc32_combine).
 */
export function crc32OfZeros(n: number): number {
  const step = (c: number): number => ~crc32(new Uint8Array(1), ~c >>> 0) >>> 0; // one zero byte on the raw register
  const times = (m: number[], v: number): number => {
    let r = 0;
    for (let i = 0; v !== 0; i++, v >>>= 1) if (v & 1) r ^= m[i];
    return r >>> 0;
  };
  let m = Array.from({ length: 32 }, (_, i) => step((1 << i) >>> 0));
  let reg = 0xffffffff;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) reg = times(m, reg);
    m = m.map((col) => times(m, col));
  }
  return ~reg >>> 0;
}

/** A zlib stream (RFC 1950) of n zero bytes, its Adler-32 included. */
export function zerosZlib(n: number): Uint8Array {
  const body = zerosDeflate(n);
  const out = new Uint8Array(2 + body.length + 4);
  out[0] = 0x78; out[1] = 0x01; // deflate, 32 KiB window; (0x7801 % 31) === 0
  out.set(body, 2);
  // Adler-32 of zeros: a stays 1, b adds it once per byte.
  new DataView(out.buffer).setUint32(2 + body.length, (((n % 65521) << 16) | 1) >>> 0);
  return out;
}

/** A gzip file (RFC 1952) of n zero bytes, its CRC-32 and length included. */
export function zerosGzip(n: number): Uint8Array {
  const body = zerosDeflate(n);
  const out = new Uint8Array(10 + body.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  out.set(body, 10);
  const dv = new DataView(out.buffer);
  dv.setUint32(10 + body.length, crc32OfZeros(n), true);
  dv.setUint32(14 + body.length, n >>> 0, true);
  return out;
}

/** Run a bomb in a child process (test/support/bomb-child.ts): its peak RSS is that decompression's alone. */
export function runBomb(which: 'gzip' | 'snapshot'): { message: string; ms: number; maxRssMiB: number } {
  const script = fileURLToPath(new URL('./bomb-child.js', import.meta.url));
  const r = spawnSync(process.execPath, [script, which], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `bomb child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
