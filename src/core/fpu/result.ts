// The outcome of one floating-point operation, filled by the operations in
// this directory and committed to the architected state by the instruction
// handlers (isa/fpu.ts). One shared record, so the hot path allocates nothing.

export class FpResult {
  /** The result when it is not a NaN. */
  val = 0;
  /** The result's bits (high, low word) when `isBits` (NaN results, raw moves). */
  hi = 0;
  lo = 0;
  isBits = false;
  /** False when an enabled invalid-operation or zero-divide exception suppresses the result. */
  write = true;
  /** Exception bits this operation raises (OX UX ZX XX VX*). */
  exc = 0;
  /** The new FR and FI bits. */
  frfi = 0;
  /** The new FPRF, or -1 to leave it unchanged. */
  fprf = 0;
}

export const R = new FpResult();

/** A numeric result with its flags. */
export function setVal(v: number, exc: number, frfi: number, fprf: number): void {
  R.val = v;
  R.isBits = false;
  R.write = true;
  R.exc = exc;
  R.frfi = frfi;
  R.fprf = fprf;
}

/** A result given by its bits (a NaN). */
export function setBits(hi: number, lo: number, exc: number, fprf: number): void {
  R.hi = hi;
  R.lo = lo;
  R.isBits = true;
  R.write = true;
  R.exc = exc;
  R.frfi = 0;
  R.fprf = fprf;
}

/**
 * An enabled invalid-operation or zero-divide exception: the target and FPRF
 * are unchanged, FR and FI are cleared (Book I 4.4.1, 4.4.2).
 */
export function setSuppressed(exc: number): void {
  R.isBits = false;
  R.write = false;
  R.exc = exc;
  R.frfi = 0;
  R.fprf = -1;
}

/** Scratch views for moving between doubles and their bits (little-endian host). */
export const scratchF64 = new Float64Array(1);
export const scratchU32 = new Uint32Array(scratchF64.buffer);

export function bitsHi(v: number): number {
  scratchF64[0] = v;
  return scratchU32[1];
}
export function bitsLo(v: number): number {
  scratchF64[0] = v;
  return scratchU32[0];
}
export function fromBits(hi: number, lo: number): number {
  scratchU32[0] = lo;
  scratchU32[1] = hi;
  return scratchF64[0];
}
