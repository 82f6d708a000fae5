import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { readSnapshot, writeSnapshot, SnapshotError } from '../src/vmm/snapshot/format.js';
import { crc32 } from '../src/vmm/crc32.js';
import { zlibCodec as codec } from '../src/platform/node/snapshot-io.js';
import { snapshotWithSection } from './support/bomb-child.js';
import { runBomb } from './support/bomb.js';

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

test('a compressed section must inflate to exactly its declared size', () => {
  const data = new Uint8Array(1000).fill(5);
  const z = new Uint8Array(deflateSync(data));
  assert.deepEqual(readSnapshot(snapshotWithSection('RAM0', z, 1000), codec)[0].data, data);
  assert.throws(() => readSnapshot(snapshotWithSection('RAM0', z, 1001), codec), /snapshot section RAM0 has the wrong size/);
  assert.throws(() => readSnapshot(snapshotWithSection('RAM0', z, 999), codec),
    (e: unknown) => e instanceof SnapshotError && e.message === 'snapshot section RAM0 inflates to more than its declared 999 bytes');
  assert.throws(() => readSnapshot(snapshotWithSection('RAM0', z.subarray(0, 5), 1000), codec), /snapshot section RAM0 does not decompress/);
});

test('a section of 1 GiB of zeros declared as 100 bytes is refused at 100 bytes, not inflated', () => {
  const r = runBomb('snapshot');
  assert.equal(r.message, 'snapshot section RAM0 inflates to more than its declared 100 bytes');
  // Inflated whole it would take 1024 MiB; a Node process alone takes about 50.
  assert.ok(r.maxRssMiB < 200, `peak RSS ${r.maxRssMiB.toFixed(0)} MiB`);
});
