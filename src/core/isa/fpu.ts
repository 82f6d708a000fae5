// The e500mc's floating-point instructions (Power ISA 2.06 Book I chapter 4,
// the Floating-Point category, plus the optional fres, frsqrte, fsel and
// stfiwx the e500mc implements).
//
// Which optional instructions: executed on qemu-system-ppc -M ppce500 -cpu
// e500mc, fres, frsqrte, fsel and stfiwx run; fsqrt, fsqrts, fre, frsqrtes,
// fcfid, fctid, fctidz, fcpsgn, frin/friz/frip/frim, fctiwu, fcfidu, fcfids,
// ftdiv, ftsqrt, lfiwax take the illegal-instruction program interrupt. That
// matches the e500mc's Power ISA categories as GCC knows them (-mcpu=e500mc
// has the "graphics" group: fres, frsqrte, fsel, stfiwx; not the "general
// purpose" group's fsqrt) and the e500mc reference manual's instruction list.
// mtfsf with L = 1 writes all eight fields and mtfsf/mtfsfi with W = 1 are
// illegal, as on QEMU: the e500mc has no FPSCR bits beyond the 32-bit one.
// FPSCR[NI] is kept but changes nothing (non-IEEE mode is optional and its
// effects implementation-dependent; QEMU ignores it too): results are IEEE.
//
// Exceptions. MSR[FP] = 0 makes every instruction here an FP-unavailable
// interrupt. An instruction that causes an enabled exception (an exception
// bit set whose enable bit is set) when MSR[FE0] | MSR[FE1] is non-zero
// completes (target and FPSCR updated as the ISA specifies for enabled
// exceptions) and then takes the program interrupt with ESR[FP], SRR0
// pointing at it: the e500mc runs every non-zero FE0/FE1 combination as
// precise mode. mtfsf, mtfsfi and mtfsb1 interrupt when they leave FEX set.

import type { Cpu } from '../cpu.js';
import { enabledExceptions, Fpscr, summarize } from '../fpu/fpscr.js';
import { add, cmpExc, compare, div, fctiw, fma, fres, frsp, frsqrte, mul } from '../fpu/ops.js';
import { R } from '../fpu/result.js';
import { ld32, ld64, st32, st64 } from '../mem.js';
import { ESR, MSR } from '../regbits.js';
import { A, FAULT, P, X, helper, type InsnDef } from './decode.js';
import { eaD, eaX } from './loadstore.js';

const fD = (w: number) => (w >>> 21) & 31;
const fA = (w: number) => (w >>> 16) & 31;
const fB = (w: number) => (w >>> 11) & 31;
const fC = (w: number) => (w >>> 6) & 31;
const rA = (w: number) => (w >>> 16) & 31;
const rB = (w: number) => (w >>> 11) & 31;

/** MSR[FP] = 0: FP-unavailable interrupt, the instruction does nothing. */
function fpOff(c: Cpu): boolean {
  if ((c.msr & MSR.FP) !== 0) return false;
  c.raiseFpUnavailable();
  return true;
}

/** CR1 <- FPSCR[FX FEX VX OX] when Rc = 1. */
function setCr1(c: Cpu, w: number): void {
  if ((w & 1) !== 0) c.cr = (c.cr & ~0x0f000000) | ((c.fpscr >>> 4) & 0x0f000000);
}

/**
 * Commit R (the operation's outcome) to FRT and the FPSCR, CR1 if Rc, then
 * take the enabled-exception program interrupt if there is one.
 */
function commit(c: Cpu, t: number, w: number): void {
  const old = c.fpscr;
  const exc = R.exc;
  let f = ((old | exc) & ~(Fpscr.FR | Fpscr.FI)) | R.frfi;
  if (R.fprf >= 0) f = (f & ~Fpscr.FPRF) | (R.fprf << 12);
  if ((exc & ~old) !== 0) f |= Fpscr.FX;
  f = summarize(f);
  c.fpscr = f;
  if (R.write) {
    if (R.isBits) {
      c.fprw[2 * t] = R.lo;
      c.fprw[2 * t + 1] = R.hi;
    } else {
      c.fpr[t] = R.val;
    }
  }
  if ((w & 1) !== 0) c.cr = (c.cr & ~0x0f000000) | ((f >>> 4) & 0x0f000000);
  if (exc !== 0 && (c.msr & (MSR.FE0 | MSR.FE1)) !== 0 && enabledExceptions(exc, f) !== 0) {
    c.raiseProgram(ESR.FP);
  }
}

// ---- arithmetic ----

function fadd(c: Cpu, w: number): void { if (fpOff(c)) return; add(c, fA(w), fB(w), false, false); commit(c, fD(w), w); }
function fsub(c: Cpu, w: number): void { if (fpOff(c)) return; add(c, fA(w), fB(w), true, false); commit(c, fD(w), w); }
function fmul(c: Cpu, w: number): void { if (fpOff(c)) return; mul(c, fA(w), fC(w), false); commit(c, fD(w), w); }
function fdiv(c: Cpu, w: number): void { if (fpOff(c)) return; div(c, fA(w), fB(w), false); commit(c, fD(w), w); }
function fadds(c: Cpu, w: number): void { if (fpOff(c)) return; add(c, fA(w), fB(w), false, true); commit(c, fD(w), w); }
function fsubs(c: Cpu, w: number): void { if (fpOff(c)) return; add(c, fA(w), fB(w), true, true); commit(c, fD(w), w); }
function fmuls(c: Cpu, w: number): void { if (fpOff(c)) return; mul(c, fA(w), fC(w), true); commit(c, fD(w), w); }
function fdivs(c: Cpu, w: number): void { if (fpOff(c)) return; div(c, fA(w), fB(w), true); commit(c, fD(w), w); }

function fmadd(c: Cpu, w: number): void { if (fpOff(c)) return; fma(c, fA(w), fC(w), fB(w), false, false, false); commit(c, fD(w), w); }
function fmsub(c: Cpu, w: number): void { if (fpOff(c)) return; fma(c, fA(w), fC(w), fB(w), true, false, false); commit(c, fD(w), w); }
function fnmadd(c: Cpu, w: number): void { if (fpOff(c)) return; fma(c, fA(w), fC(w), fB(w), false, true, false); commit(c, fD(w), w); }
function fnmsub(c: Cpu, w: number): void { if (fpOff(c)) return; fma(c, fA(w), fC(w), fB(w), true, true, false); commit(c, fD(w), w); }
function fmadds(c: Cpu, w: number): void { if (fpOff(c)) return; fma(c, fA(w), fC(w), fB(w), false, false, true); commit(c, fD(w), w); }
function fmsubs(c: Cpu, w: number): void { if (fpOff(c)) return; fma(c, fA(w), fC(w), fB(w), true, false, true); commit(c, fD(w), w); }
function fnmadds(c: Cpu, w: number): void { if (fpOff(c)) return; fma(c, fA(w), fC(w), fB(w), false, true, true); commit(c, fD(w), w); }
function fnmsubs(c: Cpu, w: number): void { if (fpOff(c)) return; fma(c, fA(w), fC(w), fB(w), true, true, true); commit(c, fD(w), w); }

function frspI(c: Cpu, w: number): void { if (fpOff(c)) return; frsp(c, fB(w)); commit(c, fD(w), w); }
function fctiwI(c: Cpu, w: number): void { if (fpOff(c)) return; fctiw(c, fB(w), false); commit(c, fD(w), w); }
function fctiwz(c: Cpu, w: number): void { if (fpOff(c)) return; fctiw(c, fB(w), true); commit(c, fD(w), w); }
function fresI(c: Cpu, w: number): void { if (fpOff(c)) return; fres(c, fB(w)); commit(c, fD(w), w); }
function frsqrteI(c: Cpu, w: number): void { if (fpOff(c)) return; frsqrte(c, fB(w)); commit(c, fD(w), w); }

// ---- moves and select: bits only, no FPSCR change ----

function move(c: Cpu, w: number, hi: number): void {
  const t = fD(w), b = fB(w);
  c.fprw[2 * t] = c.fprw[2 * b];
  c.fprw[2 * t + 1] = hi;
  setCr1(c, w);
}
function fmr(c: Cpu, w: number): void { if (fpOff(c)) return; move(c, w, c.fprw[2 * fB(w) + 1]); }
function fneg(c: Cpu, w: number): void { if (fpOff(c)) return; move(c, w, c.fprw[2 * fB(w) + 1] ^ 0x80000000); }
function fabs(c: Cpu, w: number): void { if (fpOff(c)) return; move(c, w, c.fprw[2 * fB(w) + 1] & 0x7fffffff); }
function fnabs(c: Cpu, w: number): void { if (fpOff(c)) return; move(c, w, c.fprw[2 * fB(w) + 1] | 0x80000000); }

/** fsel: FRT <- FRA >= 0 (either zero included, NaN excluded) ? FRC : FRB. */
function fsel(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  const t = fD(w);
  const s = c.fpr[fA(w)] >= 0 ? fC(w) : fB(w);
  c.fprw[2 * t] = c.fprw[2 * s];
  c.fprw[2 * t + 1] = c.fprw[2 * s + 1];
  setCr1(c, w);
}

// ---- compare ----

function fcmp(c: Cpu, w: number, ordered: boolean): void {
  if (fpOff(c)) return;
  const cc = compare(c, fA(w), fB(w), ordered);
  const exc = cmpExc;
  const sh = 28 - 4 * ((w >>> 23) & 7);
  c.cr = (c.cr & ~(0xf << sh)) | (cc << sh);
  const old = c.fpscr;
  let f = (old & ~Fpscr.FPCC) | (cc << 12) | exc;
  if ((exc & ~old) !== 0) f |= Fpscr.FX;
  f = summarize(f);
  c.fpscr = f;
  if (exc !== 0 && (c.msr & (MSR.FE0 | MSR.FE1)) !== 0 && enabledExceptions(exc, f) !== 0) {
    c.raiseProgram(ESR.FP);
  }
}
function fcmpu(c: Cpu, w: number): void { fcmp(c, w, false); }
function fcmpo(c: Cpu, w: number): void { fcmp(c, w, true); }

// ---- FPSCR moves ----

/** mffs: FRT <- 0x00000000 || FPSCR (the high word is undefined in the ISA; QEMU's 0). */
function mffs(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  const t = fD(w);
  c.fprw[2 * t] = c.fpscr;
  c.fprw[2 * t + 1] = 0;
  setCr1(c, w);
}

/** Write an explicitly set FPSCR value: FEX and VX follow the other bits; the reserved bit stays 0. */
function mtfs(c: Cpu, w: number, f: number, interrupt: boolean): void {
  f = summarize(f & ~Fpscr.RESERVED);
  c.fpscr = f;
  setCr1(c, w);
  if (interrupt && (f & Fpscr.FEX) !== 0 && (c.msr & (MSR.FE0 | MSR.FE1)) !== 0) c.raiseProgram(ESR.FP);
}

/** mtfsf FLM,FRB (L = 1: all fields). FX and OX are written like any bit, with no implicit FX. */
function mtfsf(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  if ((w & 0x00010000) !== 0) {
    c.raiseProgram(ESR.PIL); // W = 1
    return;
  }
  let mask = -1;
  if ((w & 0x02000000) === 0) {
    const flm = (w >>> 17) & 0xff;
    mask = 0;
    for (let k = 0; k < 8; k++) if ((flm & (0x80 >>> k)) !== 0) mask |= 0xf0000000 >>> (4 * k);
  }
  mtfs(c, w, (c.fpscr & ~mask) | (c.fprw[2 * fB(w)] & mask), true);
}

/** mtfsfi BF,U. */
function mtfsfi(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  if ((w & 0x00010000) !== 0) {
    c.raiseProgram(ESR.PIL); // W = 1
    return;
  }
  const sh = 28 - 4 * ((w >>> 23) & 7);
  mtfs(c, w, (c.fpscr & ~(0xf << sh)) | (((w >>> 12) & 0xf) << sh), true);
}

/** mtfsb0 BT: FEX and VX cannot be cleared explicitly. */
function mtfsb0(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  const bt = fD(w);
  let f = c.fpscr;
  if (bt !== 1 && bt !== 2) f &= ~(0x80000000 >>> bt);
  mtfs(c, w, f, false);
}

/**
 * mtfsb1 BT: FEX and VX cannot be set explicitly. Setting an exception bit
 * that was 0 also sets FX: only mtfsf and mtfsfi are exempt from that rule
 * (Book I 4.2.2, FPSCR[FX]); QEMU departs here and never sets FX.
 */
function mtfsb1(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  const bt = fD(w);
  let f = c.fpscr;
  if (bt !== 1 && bt !== 2) {
    const bit = 0x80000000 >>> bt;
    if ((bit & Fpscr.EXC_ALL & ~f) !== 0) f |= Fpscr.FX;
    f |= bit;
  }
  mtfs(c, w, f, true);
}

/** mcrfs BF,BFA: CR field BF <- FPSCR field BFA, whose exception bits (and FX) are then cleared. */
function mcrfs(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  const ssh = 28 - 4 * ((w >>> 18) & 7);
  const dsh = 28 - 4 * ((w >>> 23) & 7);
  const f = c.fpscr;
  c.cr = (c.cr & ~(0xf << dsh)) | (((f >>> ssh) & 0xf) << dsh);
  c.fpscr = summarize(f & ~((0xf << ssh) & (Fpscr.FX | Fpscr.EXC_ALL)));
}

// ---- loads and stores ----

const f32 = new Float32Array(1);
const f32u = new Uint32Array(f32.buffer);
const dw = new Int32Array(2);

/** Load-single conversion (Book I 4.6.2): exact; infinities and NaNs by their bits (payloads kept). */
function setSingle(c: Cpu, t: number, v: number): void {
  if ((v & 0x7f800000) === 0x7f800000) {
    c.fprw[2 * t + 1] = (v & 0x80000000) | 0x7ff00000 | ((v & 0x7fffff) >>> 3);
    c.fprw[2 * t] = v << 29;
  } else {
    f32u[0] = v;
    c.fpr[t] = f32[0];
  }
}

/**
 * Store-single conversion (Book I 4.6.3): no rounding. Single-range values,
 * zeros, infinities and NaNs (and, as architected, out-of-range values) by
 * bit selection; values in the single denormal range denormalized by
 * truncation; smaller ones (undefined in the ISA) as a zero of their sign,
 * like QEMU.
 */
export function singleWord(hi: number, lo: number): number {
  const ex = (hi >>> 20) & 0x7ff;
  if (ex > 896 || ((hi & 0x7fffffff) | lo) === 0) {
    return (hi & 0xc0000000) | ((hi << 3) & 0x3ffffff8) | (lo >>> 29);
  }
  if (ex >= 874) {
    const m = (hi & 0xfffff) * 4294967296 + (lo >>> 0) + 4503599627370496;
    return (hi & 0x80000000) | Math.floor(m / 2 ** (926 - ex));
  }
  return hi & 0x80000000;
}

// The memory accesses of FP loads and stores: a DSI or data TLB error they
// take has ESR[FP] in its syndrome, with ESR[ST] for stores (Book E; Power
// ISA III-E), so the translation sees c.esrFp while they access memory.
function fld32(c: Cpu, ea: number): number {
  c.esrFp = ESR.FP;
  const v = ld32(c, ea);
  c.esrFp = 0;
  return v;
}
function fld64(c: Cpu, ea: number, out: Int32Array): void {
  c.esrFp = ESR.FP;
  ld64(c, ea, out);
  c.esrFp = 0;
}
function fst32(c: Cpu, ea: number, v: number): void {
  c.esrFp = ESR.FP;
  st32(c, ea, v);
  c.esrFp = 0;
}
function fst64(c: Cpu, ea: number, hi: number, lo: number): void {
  c.esrFp = ESR.FP;
  st64(c, ea, hi, lo);
  c.esrFp = 0;
}

function lfs(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  const v = fld32(c, eaD(c, w));
  if (c.abort) return;
  setSingle(c, fD(w), v);
}
function lfsx(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  const v = fld32(c, eaX(c, w));
  if (c.abort) return;
  setSingle(c, fD(w), v);
}
function lfd(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  fld64(c, eaD(c, w), dw);
  if (c.abort) return;
  const t = fD(w);
  c.fprw[2 * t + 1] = dw[0];
  c.fprw[2 * t] = dw[1];
}
function lfdx(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  fld64(c, eaX(c, w), dw);
  if (c.abort) return;
  const t = fD(w);
  c.fprw[2 * t + 1] = dw[0];
  c.fprw[2 * t] = dw[1];
}

/** Update forms with rA = 0 are invalid forms: illegal instruction, as on QEMU. */
function badUpdate(c: Cpu, w: number): boolean {
  if (rA(w) !== 0) return false;
  c.raiseProgram(ESR.PIL);
  return true;
}
function eaDU(c: Cpu, w: number): number { return (c.gpr[rA(w)] + ((w << 16) >> 16)) | 0; }
function eaXU(c: Cpu, w: number): number { return (c.gpr[rA(w)] + c.gpr[rB(w)]) | 0; }

function lfsu(c: Cpu, w: number): void {
  if (fpOff(c) || badUpdate(c, w)) return;
  const ea = eaDU(c, w), v = fld32(c, ea);
  if (c.abort) return;
  setSingle(c, fD(w), v);
  c.gpr[rA(w)] = ea;
}
function lfsux(c: Cpu, w: number): void {
  if (fpOff(c) || badUpdate(c, w)) return;
  const ea = eaXU(c, w), v = fld32(c, ea);
  if (c.abort) return;
  setSingle(c, fD(w), v);
  c.gpr[rA(w)] = ea;
}
function lfdu(c: Cpu, w: number): void {
  if (fpOff(c) || badUpdate(c, w)) return;
  const ea = eaDU(c, w);
  fld64(c, ea, dw);
  if (c.abort) return;
  const t = fD(w);
  c.fprw[2 * t + 1] = dw[0];
  c.fprw[2 * t] = dw[1];
  c.gpr[rA(w)] = ea;
}
function lfdux(c: Cpu, w: number): void {
  if (fpOff(c) || badUpdate(c, w)) return;
  const ea = eaXU(c, w);
  fld64(c, ea, dw);
  if (c.abort) return;
  const t = fD(w);
  c.fprw[2 * t + 1] = dw[0];
  c.fprw[2 * t] = dw[1];
  c.gpr[rA(w)] = ea;
}

function stfsWord(c: Cpu, s: number): number { return singleWord(c.fprw[2 * s + 1], c.fprw[2 * s]); }

function stfs(c: Cpu, w: number): void { if (fpOff(c)) return; fst32(c, eaD(c, w), stfsWord(c, fD(w))); }
function stfsx(c: Cpu, w: number): void { if (fpOff(c)) return; fst32(c, eaX(c, w), stfsWord(c, fD(w))); }
function stfd(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  const s = fD(w);
  fst64(c, eaD(c, w), c.fprw[2 * s + 1], c.fprw[2 * s]);
}
function stfdx(c: Cpu, w: number): void {
  if (fpOff(c)) return;
  const s = fD(w);
  fst64(c, eaX(c, w), c.fprw[2 * s + 1], c.fprw[2 * s]);
}
function stfiwx(c: Cpu, w: number): void { if (fpOff(c)) return; fst32(c, eaX(c, w), c.fprw[2 * fD(w)]); }

function stfsu(c: Cpu, w: number): void {
  if (fpOff(c) || badUpdate(c, w)) return;
  const ea = eaDU(c, w);
  fst32(c, ea, stfsWord(c, fD(w)));
  if (c.abort) return;
  c.gpr[rA(w)] = ea;
}
function stfsux(c: Cpu, w: number): void {
  if (fpOff(c) || badUpdate(c, w)) return;
  const ea = eaXU(c, w);
  fst32(c, ea, stfsWord(c, fD(w)));
  if (c.abort) return;
  c.gpr[rA(w)] = ea;
}
function stfdu(c: Cpu, w: number): void {
  if (fpOff(c) || badUpdate(c, w)) return;
  const ea = eaDU(c, w), s = fD(w);
  fst64(c, ea, c.fprw[2 * s + 1], c.fprw[2 * s]);
  if (c.abort) return;
  c.gpr[rA(w)] = ea;
}
function stfdux(c: Cpu, w: number): void {
  if (fpOff(c) || badUpdate(c, w)) return;
  const ea = eaXU(c, w), s = fD(w);
  fst64(c, ea, c.fprw[2 * s + 1], c.fprw[2 * s]);
  if (c.abort) return;
  c.gpr[rA(w)] = ea;
}

export const fpuInsns: InsnDef[] = [
  P('lfs', 48, 'frt,d(ra0)', FAULT, helper(lfs)),
  P('lfsu', 49, 'frt,d(ra)', FAULT, helper(lfsu)),
  P('lfd', 50, 'frt,d(ra0)', FAULT, helper(lfd)),
  P('lfdu', 51, 'frt,d(ra)', FAULT, helper(lfdu)),
  P('stfs', 52, 'frs,d(ra0)', FAULT, helper(stfs)),
  P('stfsu', 53, 'frs,d(ra)', FAULT, helper(stfsu)),
  P('stfd', 54, 'frs,d(ra0)', FAULT, helper(stfd)),
  P('stfdu', 55, 'frs,d(ra)', FAULT, helper(stfdu)),
  X('lfsx', 31, 535, 'frt,ra0,rb', FAULT, helper(lfsx)),
  X('lfsux', 31, 567, 'frt,ra,rb', FAULT, helper(lfsux)),
  X('lfdx', 31, 599, 'frt,ra0,rb', FAULT, helper(lfdx)),
  X('lfdux', 31, 631, 'frt,ra,rb', FAULT, helper(lfdux)),
  X('stfsx', 31, 663, 'frs,ra0,rb', FAULT, helper(stfsx)),
  X('stfsux', 31, 695, 'frs,ra,rb', FAULT, helper(stfsux)),
  X('stfdx', 31, 727, 'frs,ra0,rb', FAULT, helper(stfdx)),
  X('stfdux', 31, 759, 'frs,ra,rb', FAULT, helper(stfdux)),
  X('stfiwx', 31, 983, 'frs,ra0,rb', FAULT, helper(stfiwx)),

  A('fdivs', 59, 18, 'frt,fra,frb', FAULT, helper(fdivs)),
  A('fsubs', 59, 20, 'frt,fra,frb', FAULT, helper(fsubs)),
  A('fadds', 59, 21, 'frt,fra,frb', FAULT, helper(fadds)),
  A('fres', 59, 24, 'frt,frb', FAULT, helper(fresI)),
  A('fmuls', 59, 25, 'frt,fra,frc', FAULT, helper(fmuls)),
  A('fmsubs', 59, 28, 'frt,fra,frc,frb', FAULT, helper(fmsubs)),
  A('fmadds', 59, 29, 'frt,fra,frc,frb', FAULT, helper(fmadds)),
  A('fnmsubs', 59, 30, 'frt,fra,frc,frb', FAULT, helper(fnmsubs)),
  A('fnmadds', 59, 31, 'frt,fra,frc,frb', FAULT, helper(fnmadds)),

  A('fdiv', 63, 18, 'frt,fra,frb', FAULT, helper(fdiv)),
  A('fsub', 63, 20, 'frt,fra,frb', FAULT, helper(fsub)),
  A('fadd', 63, 21, 'frt,fra,frb', FAULT, helper(fadd)),
  A('fsel', 63, 23, 'frt,fra,frc,frb', FAULT, helper(fsel)),
  A('fmul', 63, 25, 'frt,fra,frc', FAULT, helper(fmul)),
  A('frsqrte', 63, 26, 'frt,frb', FAULT, helper(frsqrteI)),
  A('fmsub', 63, 28, 'frt,fra,frc,frb', FAULT, helper(fmsub)),
  A('fmadd', 63, 29, 'frt,fra,frc,frb', FAULT, helper(fmadd)),
  A('fnmsub', 63, 30, 'frt,fra,frc,frb', FAULT, helper(fnmsub)),
  A('fnmadd', 63, 31, 'frt,fra,frc,frb', FAULT, helper(fnmadd)),
  X('fcmpu', 63, 0, 'bf,fra,frb', FAULT, helper(fcmpu)),
  X('frsp', 63, 12, 'frt,frb', FAULT, helper(frspI), 'rc'),
  X('fctiw', 63, 14, 'frt,frb', FAULT, helper(fctiwI), 'rc'),
  X('fctiwz', 63, 15, 'frt,frb', FAULT, helper(fctiwz), 'rc'),
  X('fcmpo', 63, 32, 'bf,fra,frb', FAULT, helper(fcmpo)),
  X('mtfsb1', 63, 38, 'bt', FAULT, helper(mtfsb1), 'rc'),
  X('fneg', 63, 40, 'frt,frb', FAULT, helper(fneg), 'rc'),
  X('mcrfs', 63, 64, 'bf,bfa', FAULT, helper(mcrfs)),
  X('mtfsb0', 63, 70, 'bt', FAULT, helper(mtfsb0), 'rc'),
  X('fmr', 63, 72, 'frt,frb', FAULT, helper(fmr), 'rc'),
  X('mtfsfi', 63, 134, 'bf,u', FAULT, helper(mtfsfi), 'rc'),
  X('fnabs', 63, 136, 'frt,frb', FAULT, helper(fnabs), 'rc'),
  X('fabs', 63, 264, 'frt,frb', FAULT, helper(fabs), 'rc'),
  X('mffs', 63, 583, 'frt', FAULT, helper(mffs), 'rc'),
  X('mtfsf', 63, 711, 'flm,frb', FAULT, helper(mtfsf), 'rc'),
];

