// The functions generated code may call by name: the interpreter's handlers
// and the translator's code both get them as constants (sem.ts). Pure
// helpers of the semantics live here; the memory accesses come from mem.ts;
// the instruction modules add the helpers their semantics call
// (defineRuntime) before their table lines are built.

import { ld16, ld32, ld64, ld8, st16, st32, st64, st8, translateData } from '../mem.js';

/** The MASK(mb, me) of the rotate instructions (IBM bit numbering, wraps if mb > me). */
export function rotMask(mb: number, me: number): number {
  const m1 = 0xffffffff >>> mb, m2 = (0xffffffff << (31 - me)) | 0;
  return mb <= me ? m1 & m2 : m1 | m2;
}

/** Rotate left by n (0..31). */
export function rotl(v: number, n: number): number {
  return n === 0 ? v : (v << n) | (v >>> (32 - n));
}

/** High word of the signed 64-bit product. */
export function mulhs(a: number, b: number): number {
  const al = a & 0xffff, ah = a >> 16, bl = b & 0xffff, bh = b >> 16;
  const mid = ah * bl + al * bh + ((al * bl) >>> 16);
  return (ah * bh + Math.floor(mid / 65536)) | 0;
}

/** High word of the unsigned 64-bit product. */
export function mulhu(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const mid = ah * bl + al * bh + ((al * bl) >>> 16);
  return (ah * bh + Math.floor(mid / 65536)) | 0;
}

/** The trap condition of tw/twi: TO bits lt, gt, eq, logical lt, logical gt. */
export function trapCond(to: number, a: number, b: number): boolean {
  return ((to & 16) !== 0 && a < b) || ((to & 8) !== 0 && a > b) || ((to & 4) !== 0 && a === b) ||
    ((to & 2) !== 0 && (a >>> 0) < (b >>> 0)) || ((to & 1) !== 0 && (a >>> 0) > (b >>> 0));
}

export function bswap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}
export function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | ((v >>> 24) & 0xff);
}

/** The CR mask of an FXM field (mtcrf, mfocrf): 4 bits per selected field. */
export function fxmMask(fxm: number): number {
  let m = 0;
  for (let f = 0; f < 8; f++) if ((fxm & (0x80 >>> f)) !== 0) m |= 0xf << ((7 - f) * 4);
  return m;
}

/** CR0 for a result: LT, GT, EQ from the signed value, SO from XER[SO] (so: 0 or 1). */
export function cr0Bits(v: number, so: number): number {
  return (v < 0 ? 0x80000000 : v > 0 ? 0x40000000 : 0x20000000) | (so << 28);
}

/** The doubleword a 64-bit load of the semantics lands in (hi, lo). */
const dw64 = new Int32Array(2);

export const RUNTIME: Record<string, unknown> = {
  ld8, ld16, ld32, ld64, st8, st16, st32, st64, translateData, dw64,
  rotMask, rotl, mulhs, mulhu, trapCond, bswap16, bswap32, fxmMask, cr0Bits,
};

/** Add the helpers a module's semantics call by name. */
export function defineRuntime(fns: Record<string, unknown>): void {
  for (const [k, fn] of Object.entries(fns)) {
    if (k in RUNTIME && RUNTIME[k] !== fn) throw new Error(`runtime function '${k}' defined twice`);
    RUNTIME[k] = fn;
  }
}
