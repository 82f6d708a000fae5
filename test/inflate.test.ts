// The VMM's own gzip/DEFLATE decoder against Node's zlib encoder: stored,
// fixed and dynamic blocks, every level, data from random to very repetitive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { gunzip, inflateRaw, InflateError } from '../src/vmm/loaders/inflate.js';
import { crc32 } from '../src/vmm/crc32.js';

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

test('gunzip decodes what zlib encodes, at every level', () => {
  for (let kind = 0; kind < 4; kind++) {
    for (const n of [0, 1, 100, 70_000]) {
      const data = sample(kind, n, kind * 7 + n);
      for (const level of [0, 1, 6, 9]) {
        const out = gunzip(gzipSync(data, { level }));
        assert.deepEqual(Buffer.from(out), Buffer.from(data), `kind ${kind} n ${n} level ${level}`);
      }
    }
  }
});

test('fixed-Huffman blocks (zlib picks them for short inputs)', () => {
  const data = new TextEncoder().encode('hello hello hello, uImage!');
  const raw = deflateRawSync(data, { strategy: 4 /* Z_FIXED */ });
  assert.equal((raw[0] >> 1) & 3, 1, 'a fixed block');
  assert.deepEqual(Buffer.from(inflateRaw(raw).data), Buffer.from(data));
});

test('crc32 has the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('corrupt or truncated gzip data is an InflateError, never garbage', () => {
  const gz = gzipSync(sample(2, 5000, 1));
  assert.throws(() => gunzip(gz.subarray(0, gz.length - 20)), InflateError);
  const bad = Buffer.from(gz); bad[gz.length - 3] ^= 0x40; // length trailer
  assert.throws(() => gunzip(bad), /length mismatch/);
  const bad2 = Buffer.from(gz); bad2[20] ^= 0xff; // inside the compressed stream
  assert.throws(() => gunzip(bad2), InflateError);
  assert.throws(() => gunzip(new Uint8Array(10)), /not gzip data/);
  assert.throws(() => gunzip(gzipSync(new Uint8Array(5000)), 1000), /larger than 1000 bytes/);
});
