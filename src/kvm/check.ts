// Argument checks shared by the API operations. Every check fails with an
// errno-style KvmError and a message that names the field; operations run
// all of them before changing anything.

import { fail } from './errors.js';

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `v` must be an object (EFAULT, like a bad user pointer) with no fields outside `known` (EINVAL). */
export function checkFields(v: unknown, known: readonly string[], what: string): Record<string, unknown> {
  if (!isObject(v)) fail('EFAULT', `${what} must be an object`);
  // for-in rather than Object.keys: no array per call (syncTlb is on userspace's hot path).
  for (const k in v) {
    if (Object.prototype.hasOwnProperty.call(v, k) && !known.includes(k)) fail('EINVAL', `unknown field ${what}.${k}`);
  }
  return v;
}

/** A __u32 value as a number. */
export function u32(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    fail('EINVAL', `${what} must be an integer in [0, 2^32) (got ${describe(v)})`);
  }
  return v;
}

/** A __u64 value as a bigint. */
export function u64(v: unknown, what: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) {
    fail('EINVAL', `${what} must be a bigint in [0, 2^64) (got ${describe(v)})`);
  }
  return v;
}

/** A __u64 field that holds a 32-bit register of the e500mc: the upper half must be zero. */
export function u64Low(v: unknown, what: string): number {
  const b = u64(v, what);
  if (b > 0xffffffffn) fail('EINVAL', `${what} = 0x${b.toString(16)} does not fit the 32-bit register of an e500mc`);
  return Number(b);
}

/** Only the bits in `mask` exist in the register. */
export function inMask(v: number, mask: number, what: string): number {
  const extra = (v & ~mask) >>> 0;
  if (extra !== 0) fail('EINVAL', `${what} = 0x${(v >>> 0).toString(16)} sets bits the register does not implement (0x${extra.toString(16)})`);
  return v;
}

export function u32Array(v: unknown, n: number, what: string): number[] {
  if (!Array.isArray(v) || v.length !== n) fail('EINVAL', `${what} must be an array of ${n} numbers`);
  return v.map((x, i) => u32(x, `${what}[${i}]`));
}

export function u8(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xff) {
    fail('EINVAL', `${what} must be an integer in [0, 256) (got ${describe(v)})`);
  }
  return v;
}

export function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  return String(v);
}

export function hex(v: number | bigint): string {
  return `0x${(typeof v === 'bigint' ? v : v >>> 0).toString(16)}`;
}

/** Number of set bits in the first `bits` bits of a little-endian bitmap. */
export function popcount(bitmap: Uint8Array, bits: number): number {
  let n = 0;
  for (let i = 0; i < bits; i++) if ((bitmap[i >>> 3] >> (i & 7)) & 1) n++;
  return n;
}
