// The VMM's gzip decoder (fflate plus our checks) against Node's zlib
// encoder: stored, fixed and dynamic blocks, every level, data from random to
// very repetitive; corrupt data; and the output bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { gunzip, InflateError } from '../src/vmm/loaders/inflate.js';
import { crc32 } from '../src/vmm/crc32.js';
import { crc32OfZeros, runBomb, zerosDeflate, zerosGzip, zerosZlib } from './support/bomb.js';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 16; };
}

function sample(kind: number, n: number, seed: number): Uint8Array {
  const r = prng(seed), b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 0: b[i] = r() & 0xff; break; // random: stored blocks
      case 1: b[i] = 'abcd'.charCodeAt(r() & 3); break; // small alphabet
      case 2: b[i] = i < 16 ? r() & 0xff : b[i - 1 - (r() % 16)]; break; // many short matches
      default: b[i] = (i % 251) & 0xff; // long repeats
    }
  }
  return b;
}

const LIMIT = 1 << 30;

test('gunzip decodes what zlib encodes, at every level', () => {
  for (let kind = 0; kind < 4; kind++) {
    for (const n of [0, 1, 100, 70_000, 300_000]) {
      const data = sample(kind, n, kind * 7 + n);
      for (const level of [0, 1, 6, 9]) {
        const out = gunzip(gzipSync(data, { level }), LIMIT);
        assert.deepEqual(Buffer.from(out), Buffer.from(data), `kind ${kind} n ${n} level ${level}`);
      }
    }
  }
});

test('fixed-Huffman blocks (zlib picks them for short inputs)', () => {
  const data = new TextEncoder().encode('hello hello hello, uImage!');
  const raw = deflateRawSync(data, { strategy: 4 /* Z_FIXED */ });
  assert.equal((raw[0] >> 1) & 3, 1, 'a fixed block');
  const gz = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), raw, Buffer.alloc(8)]);
  gz.writeUInt32LE(crc32(data), gz.length - 8);
  gz.writeUInt32LE(data.length, gz.length - 4);
  assert.deepEqual(Buffer.from(gunzip(gz, LIMIT)), Buffer.from(data));
});

test("the header's optional fields are skipped: FEXTRA, FNAME, FCOMMENT, FHCRC", () => {
  const data = sample(2, 5000, 3);
  const gz = gzipSync(data);
  const fields = Buffer.from([4, 0, 0xaa, 0xbb, 0xcc, 0xdd, ...Buffer.from('vmlinux\0'), ...Buffer.from('a comment\0'), 0x12, 0x34]);
  const withFields = Buffer.concat([gz.subarray(0, 10), fields, gz.subarray(10)]);
  withFields[3] = 4 | 8 | 16 | 2;
  assert.deepEqual(Buffer.from(gunzip(withFields, LIMIT)), Buffer.from(data));
});

test('crc32 has the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('corrupt or truncated gzip data is one clear InflateError, never garbage', () => {
  const data = sample(2, 5000, 1);
  const gz = gzipSync(data);
  const refused = (b: Uint8Array, msg: RegExp) => assert.throws(() => gunzip(b, LIMIT), (e: unknown) => e instanceof InflateError && msg.test(e.message));
  refused(gz.subarray(0, gz.length - 20), /compressed data is truncated/);
  refused(Buffer.concat([gz.subarray(0, 10), gz.subarray(gz.length - 8)]), /compressed data is truncated/); // no DEFLATE data at all
  const badLen = Buffer.from(gz); badLen[gz.length - 3] ^= 0x40;
  refused(badLen, /gzip length mismatch \(corrupt data\)/);
  const badCrc = Buffer.from(gz); badCrc[gz.length - 8] ^= 1;
  refused(badCrc, /gzip CRC mismatch \(corrupt data\)/);
  refused(new Uint8Array(10), /not gzip data/);
  const method = Buffer.from(gz); method[2] = 7;
  refused(method, /unknown gzip compression method 7/);
  const reserved = Buffer.from(gz); reserved[3] = 0x20;
  refused(reserved, /reserved flags/);
  const longName = Buffer.from(gz); longName[3] = 8; longName.fill(0x41, 10); // a file name that never ends
  refused(longName, /gzip header is truncated/);
  // Every single-bit error inside the compressed data: an InflateError each time (fflate's own error or our CRC check).
  for (let at = 10; at < gz.length - 8; at += 97) {
    for (const bit of [0, 3, 7]) {
      const bad = Buffer.from(gz); bad[at] ^= 1 << bit;
      assert.throws(() => gunzip(bad, LIMIT), InflateError, `byte ${at} bit ${bit}`);
    }
  }
});

test('output is bounded: exactly the limit passes, one byte more is refused', () => {
  const gz = gzipSync(new Uint8Array(5000));
  assert.equal(gunzip(gz, 5000).length, 5000);
  assert.throws(() => gunzip(gz, 4999), /decompressed data is larger than 4999 bytes/);
  assert.throws(() => gunzip(gzipSync(new Uint8Array(5 << 20)), 4 << 20), /decompressed data is larger than 4 MiB/);
});

test('the test bombs are valid streams (checked by zlib at small sizes)', () => {
  for (const n of [0, 1, 2, 258, 259, 260, 1000, 100_000]) {
    assert.deepEqual(inflateSync(zerosZlib(n)), Buffer.alloc(n), `zlib ${n}`);
    assert.deepEqual(gunzipSync(zerosGzip(n)), Buffer.alloc(n), `gzip ${n}`);
    assert.equal(crc32OfZeros(n), crc32(new Uint8Array(n)), `crc ${n}`);
  }
  // 1 GiB of zeros is 6.5 MB of DEFLATE: a bomb, not a test of patience.
  assert.ok(zerosDeflate(2 ** 30).length < 7_000_000);
});

test('a gzip bomb (1 GiB of zeros) is refused at the limit, without inflating it', () => {
  const r = runBomb('gzip');
  assert.match(r.message, /^decompressed data is larger than 1 MiB$/);
  // Inflated whole it would take 1024 MiB; a Node process alone takes about 50.
  assert.ok(r.maxRssMiB < 200, `peak RSS ${r.maxRssMiB.toFixed(0)} MiB`);
});
