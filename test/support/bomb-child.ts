// Run in a child process by test/decompression-bound.test.ts, so that its
// peak memory (maxRSS) is this one decompression's: a 1 GiB bomb given to
// gunzip (limit 1 MiB) or to a snapshot section that declares 100 bytes.
// Prints one JSON line: the error message and the peak RSS in MiB.
import { readSnapshot } from '../../src/vmm/snapshot/format.js';
import { gunzip } from '../../src/vmm/loaders/inflate.js';
import { zlibCodec } from '../../src/platform/node/snapshot-io.js';
import { crc32 } from '../../src/vmm/crc32.js';
import { zerosGzip, zerosZlib } from './bomb.js';

const GiB = 2 ** 30;

/** A snapshot container (format.ts) with one section, compressed, whose header declares `rawLen` bytes. */
export function snapshotWithSection(tag: string, payload: Uint8Array, rawLen: number): Uint8Array {
  const out = new Uint8Array(16 + 24 + payload.length + 8);
  const dv = new DataView(out.buffer);
  const enc = new TextEncoder();
  out.set(enc.encode('TKVMSNAP'));
  dv.setUint32(8, 1); // version
  dv.setUint32(12, 1); // one section
  out.set(enc.encode(tag), 16);
  dv.setUint32(20, 1); // compressed
  dv.setBigUint64(24, BigInt(payload.length));
  dv.setUint32(32, crc32(payload));
  dv.setUint32(36, rawLen);
  out.set(payload, 40);
  const end = 40 + payload.length;
  out.set(enc.encode('TEND'), end);
  dv.setUint32(end + 4, crc32(out.subarray(0, end)));
  return out;
}

function main(): void {
  const which = process.argv[2];
  const t0 = performance.now();
  let message = 'no error';
  try {
    if (which === 'gzip') gunzip(zerosGzip(GiB), 1 << 20);
    else if (which === 'snapshot') readSnapshot(snapshotWithSection('RAM0', zerosZlib(GiB), 100), zlibCodec);
    else throw new Error(`unknown bomb '${which}'`);
  } catch (e) {
    message = (e as Error).message;
  }
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ message, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
}

if (process.argv[1] === new URL(import.meta.url).pathname) main();
