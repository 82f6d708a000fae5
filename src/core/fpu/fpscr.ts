// The FPSCR (Power ISA 2.06 Book I, 4.2.2) and the result classes of FPRF.
// Bit n of the ISA's numbering (32..63 for the 32-bit FPSCR) is 1 << (63 - n).

export const enum Fpscr {
  FX = 0x80000000 | 0,
  FEX = 0x40000000,
  VX = 0x20000000,
  OX = 0x10000000,
  UX = 0x08000000,
  ZX = 0x04000000,
  XX = 0x02000000,
  VXSNAN = 0x01000000,
  VXISI = 0x00800000,
  VXIDI = 0x00400000,
  VXZDZ = 0x00200000,
  VXIMZ = 0x00100000,
  VXVC = 0x00080000,
  FR = 0x00040000,
  FI = 0x00020000,
  FPRF = 0x0001f000,
  /** FPRF[C], the class bit. */
  C = 0x00010000,
  /** FPRF[FL FG FE FU], the condition code compares set. */
  FPCC = 0x0000f000,
  /** Bit 52: reserved; no instruction sets it (QEMU's e500mc neither). */
  RESERVED = 0x00000800,
  VXSOFT = 0x00000400,
  VXSQRT = 0x00000200,
  VXCVI = 0x00000100,
  VE = 0x80,
  OE = 0x40,
  UE = 0x20,
  ZE = 0x10,
  XE = 0x08,
  NI = 0x04,
  RN = 0x03,
  /** All invalid-operation causes (their OR is VX). */
  VX_ALL = 0x01f80700,
  /** All exception bits: the ones whose 0 -> 1 change sets FX. */
  EXC_ALL = 0x1ff80700,
}

/** FPRF values (C FL FG FE FU), Power ISA Book I 4.2.2 "Floating-Point Result Flags". */
export const enum Fprf {
  QNAN = 0x11,
  NINF = 0x09,
  NNORM = 0x08,
  NDEN = 0x18,
  NZERO = 0x12,
  PZERO = 0x02,
  PDEN = 0x14,
  PNORM = 0x04,
  PINF = 0x05,
}

/** Recompute the summary bits VX and FEX from the others. */
export function summarize(f: number): number {
  f &= ~(Fpscr.VX | Fpscr.FEX);
  if ((f & Fpscr.VX_ALL) !== 0) f |= Fpscr.VX;
  // VX OX UX ZX XX (bits 34..38) line up with VE OE UE ZE XE (bits 56..60) 22 places down.
  if (((f >>> 22) & f & 0xf8) !== 0) f |= Fpscr.FEX;
  return f;
}

/**
 * The exception bits in `exc` whose enable bit is set in `f` (non-zero: the
 * instruction caused an enabled exception).
 */
export function enabledExceptions(exc: number, f: number): number {
  let s = exc & (Fpscr.OX | Fpscr.UX | Fpscr.ZX | Fpscr.XX);
  if ((exc & Fpscr.VX_ALL) !== 0) s |= Fpscr.VX;
  return (s >>> 22) & f & 0xf8;
}

const MIN_NORMAL_D = 2 ** -1022;
const MIN_NORMAL_S = 2 ** -126;

/** FPRF class of a double-precision result (not NaN). */
export function classD(v: number): number {
  if (v === 0) return 1 / v < 0 ? Fprf.NZERO : Fprf.PZERO;
  if (v > 0) return v === Infinity ? Fprf.PINF : v < MIN_NORMAL_D ? Fprf.PDEN : Fprf.PNORM;
  return v === -Infinity ? Fprf.NINF : v > -MIN_NORMAL_D ? Fprf.NDEN : Fprf.NNORM;
}

/** FPRF class of a single-precision result (not NaN): denormal means denormal in single format. */
export function classS(v: number): number {
  if (v === 0) return 1 / v < 0 ? Fprf.NZERO : Fprf.PZERO;
  if (v > 0) return v === Infinity ? Fprf.PINF : v < MIN_NORMAL_S ? Fprf.PDEN : Fprf.PNORM;
  return v === -Infinity ? Fprf.NINF : v > -MIN_NORMAL_S ? Fprf.NDEN : Fprf.NNORM;
}
