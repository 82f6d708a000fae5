import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, inflateSync } from 'node:zlib';
import { readSnapshot, writeSnapshot, SnapshotError, type Codec } from '../src/vmm/snapshot/format.js';
import { crc32 } from '../src/vmm/crc32.js';

const codec: Codec = { deflate: (d) => new Uint8Array(deflateSync(d)), inflate: (d) => new Uint8Array(inflateSync(d)) };

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('sections round-trip, compressed when that helps', () => {
  const big = new Uint8Array(100000).fill(7);
  const small = Uint8Array.of(1, 2, 3);
  const file = writeSnapshot([{ tag: 'META', data: small }, { tag: 'RAM0', data: big }], codec);
  assert.ok(file.length < 2000, 'zero-ish data compresses');
  const s = readSnapshot(file, codec);
  assert.deepEqual(s.map((x) => x.tag), ['META', 'RAM0']);
  assert.deepEqual(s[0].data, small);
  assert.deepEqual(s[1].data, big);
});

test('corrupt, truncated and foreign files are refused with one clear message', () => {
  const file = writeSnapshot([{ tag: 'META', data: new Uint8Array(1000).fill(3) }], codec);
  const flip = file.slice(); flip[40] ^= 1;
  assert.throws(() => readSnapshot(flip, codec), (e: unknown) => e instanceof SnapshotError && /corrupt/.test(e.message));
  assert.throws(() => readSnapshot(file.subarray(0, file.length - 10), codec), (e: unknown) => e instanceof SnapshotError && /truncated|corrupt/.test(e.message));
  assert.throws(() => readSnapshot(new TextEncoder().encode('hello world, not a snapshot'), codec), /not a tkvm snapshot/);
  const v = file.slice(); new DataView(v.buffer).setUint32(8, 99);
  assert.throws(() => readSnapshot(v, codec), /version 99/);
  for (let cut = 0; cut < file.length; cut += 7) {
    assert.throws(() => readSnapshot(file.subarray(0, cut), codec), SnapshotError);
  }
});
