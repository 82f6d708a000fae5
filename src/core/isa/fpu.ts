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
import { ESR, MSR } from '../regbits.js';
import { A, FAULT, P, X, helper, type InsnDef } from './decode.js';
import { defineRuntime } from './runtime.js';
import type { Emit, Sem } from './sem.js';

const fD = (w: number) => (w >>> 21) & 31;
const fA = (w: number) => (w >>> 16) & 31;
const fB = (w: number) => (w >>> 11) & 31;
const fC = (w: number) => (w >>> 6) & 31;

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

defineRuntime({ setSingle, singleWord });

// ---- loads and stores (semantics as in sem.ts) ----
//
// Their accesses are floating-point accesses: a DSI or data TLB error they
// take has ESR[FP] in its syndrome, with ESR[ST] for stores (Book E; Power
// ISA III-E). MSR[FP] = 0 makes them FP-unavailable interrupts; update
// forms with rA = 0 are invalid forms: illegal instruction, as on QEMU.

const fpAvailable = (x: Emit): string => `if ((c.msr & ${MSR.FP}) === 0) { ${x.raise('c.raiseFpUnavailable()')} }`;
const eaD_ = (x: Emit): string => `(${x.R0('ra')} + ${x.f('d')}) | 0`;
const eaDU_ = (x: Emit): string => `(${x.R('ra')} + ${x.f('d')}) | 0`;
const eaX_ = (x: Emit): string => `(${x.R0('ra')} + ${x.R('rb')}) | 0`;
const eaXU_ = (x: Emit): string => `(${x.R('ra')} + ${x.R('rb')}) | 0`;

/** The access itself, from `ea`: a load into FRT or a store of FRS. */
type Access = (x: Emit) => string;
const loadSingle: Access = (x) => `${x.load('v', 'i32', 'ea', true)} setSingle(c, ${x.f('frt')}, v);`;
const loadDouble: Access = (x) =>
  `${x.load64('hi', 'lo', 'ea', true)} c.fprw[${x.k('2 * frt + 1')}] = hi; c.fprw[${x.k('2 * frt')}] = lo;`;
const storeSingle: Access = (x) => x.store('i32', 'ea', `singleWord(c.fprw[${x.k('2 * frs + 1')}], c.fprw[${x.k('2 * frs')}])`, true);
const storeDouble: Access = (x) => x.store64('ea', `c.fprw[${x.k('2 * frs + 1')}]`, `c.fprw[${x.k('2 * frs')}]`, true);
const storeWord: Access = (x) => x.store('i32', 'ea', `c.fprw[${x.k('2 * frs')}]`, true);

const fpAccess = (access: Access, ea: (x: Emit) => string): Sem => (x) =>
  `${fpAvailable(x)} const ea = ${ea(x)}; ${access(x)}`;
const fpAccessUpdate = (access: Access, ea: (x: Emit) => string): Sem => (x) =>
  `${fpAvailable(x)} ${x.if('ra === 0', x.raise(`c.raiseProgram(${ESR.PIL})`), `const ea = ${ea(x)}; ${access(x)} ${x.W('ra')} = ea;`)}`;

export const fpuInsns: InsnDef[] = [
  P('lfs', 48, 'frt,d(ra0)', FAULT, fpAccess(loadSingle, eaD_)),
  P('lfsu', 49, 'frt,d(ra)', FAULT, fpAccessUpdate(loadSingle, eaDU_)),
  P('lfd', 50, 'frt,d(ra0)', FAULT, fpAccess(loadDouble, eaD_)),
  P('lfdu', 51, 'frt,d(ra)', FAULT, fpAccessUpdate(loadDouble, eaDU_)),
  P('stfs', 52, 'frs,d(ra0)', FAULT, fpAccess(storeSingle, eaD_)),
  P('stfsu', 53, 'frs,d(ra)', FAULT, fpAccessUpdate(storeSingle, eaDU_)),
  P('stfd', 54, 'frs,d(ra0)', FAULT, fpAccess(storeDouble, eaD_)),
  P('stfdu', 55, 'frs,d(ra)', FAULT, fpAccessUpdate(storeDouble, eaDU_)),
  X('lfsx', 31, 535, 'frt,ra0,rb', FAULT, fpAccess(loadSingle, eaX_)),
  X('lfsux', 31, 567, 'frt,ra,rb', FAULT, fpAccessUpdate(loadSingle, eaXU_)),
  X('lfdx', 31, 599, 'frt,ra0,rb', FAULT, fpAccess(loadDouble, eaX_)),
  X('lfdux', 31, 631, 'frt,ra,rb', FAULT, fpAccessUpdate(loadDouble, eaXU_)),
  X('stfsx', 31, 663, 'frs,ra0,rb', FAULT, fpAccess(storeSingle, eaX_)),
  X('stfsux', 31, 695, 'frs,ra,rb', FAULT, fpAccessUpdate(storeSingle, eaXU_)),
  X('stfdx', 31, 727, 'frs,ra0,rb', FAULT, fpAccess(storeDouble, eaX_)),
  X('stfdux', 31, 759, 'frs,ra,rb', FAULT, fpAccessUpdate(storeDouble, eaXU_)),
  X('stfiwx', 31, 983, 'frs,ra0,rb', FAULT, fpAccess(storeWord, eaX_)),

  A('fdivs', 59, 18, 'frt,fra,frb', FAULT, helper(fdivs, 'cr')),
  A('fsubs', 59, 20, 'frt,fra,frb', FAULT, helper(fsubs, 'cr')),
  A('fadds', 59, 21, 'frt,fra,frb', FAULT, helper(fadds, 'cr')),
  A('fres', 59, 24, 'frt,frb', FAULT, helper(fresI, 'cr')),
  A('fmuls', 59, 25, 'frt,fra,frc', FAULT, helper(fmuls, 'cr')),
  A('fmsubs', 59, 28, 'frt,fra,frc,frb', FAULT, helper(fmsubs, 'cr')),
  A('fmadds', 59, 29, 'frt,fra,frc,frb', FAULT, helper(fmadds, 'cr')),
  A('fnmsubs', 59, 30, 'frt,fra,frc,frb', FAULT, helper(fnmsubs, 'cr')),
  A('fnmadds', 59, 31, 'frt,fra,frc,frb', FAULT, helper(fnmadds, 'cr')),

  A('fdiv', 63, 18, 'frt,fra,frb', FAULT, helper(fdiv, 'cr')),
  A('fsub', 63, 20, 'frt,fra,frb', FAULT, helper(fsub, 'cr')),
  A('fadd', 63, 21, 'frt,fra,frb', FAULT, helper(fadd, 'cr')),
  A('fsel', 63, 23, 'frt,fra,frc,frb', FAULT, helper(fsel, 'cr')),
  A('fmul', 63, 25, 'frt,fra,frc', FAULT, helper(fmul, 'cr')),
  A('frsqrte', 63, 26, 'frt,frb', FAULT, helper(frsqrteI, 'cr')),
  A('fmsub', 63, 28, 'frt,fra,frc,frb', FAULT, helper(fmsub, 'cr')),
  A('fmadd', 63, 29, 'frt,fra,frc,frb', FAULT, helper(fmadd, 'cr')),
  A('fnmsub', 63, 30, 'frt,fra,frc,frb', FAULT, helper(fnmsub, 'cr')),
  A('fnmadd', 63, 31, 'frt,fra,frc,frb', FAULT, helper(fnmadd, 'cr')),
  X('fcmpu', 63, 0, 'bf,fra,frb', FAULT, helper(fcmpu, 'cr')),
  X('frsp', 63, 12, 'frt,frb', FAULT, helper(frspI, 'cr'), 'rc'),
  X('fctiw', 63, 14, 'frt,frb', FAULT, helper(fctiwI, 'cr'), 'rc'),
  X('fctiwz', 63, 15, 'frt,frb', FAULT, helper(fctiwz, 'cr'), 'rc'),
  X('fcmpo', 63, 32, 'bf,fra,frb', FAULT, helper(fcmpo, 'cr')),
  X('mtfsb1', 63, 38, 'bt', FAULT, helper(mtfsb1, 'cr'), 'rc'),
  X('fneg', 63, 40, 'frt,frb', FAULT, helper(fneg, 'cr'), 'rc'),
  X('mcrfs', 63, 64, 'bf,bfa', FAULT, helper(mcrfs, 'cr')),
  X('mtfsb0', 63, 70, 'bt', FAULT, helper(mtfsb0, 'cr'), 'rc'),
  X('fmr', 63, 72, 'frt,frb', FAULT, helper(fmr, 'cr'), 'rc'),
  X('mtfsfi', 63, 134, 'bf,u', FAULT, helper(mtfsfi, 'cr'), 'rc'),
  X('fnabs', 63, 136, 'frt,frb', FAULT, helper(fnabs, 'cr'), 'rc'),
  X('fabs', 63, 264, 'frt,frb', FAULT, helper(fabs, 'cr'), 'rc'),
  X('mffs', 63, 583, 'frt', FAULT, helper(mffs, 'cr'), 'rc'),
  X('mtfsf', 63, 711, 'flm,frb', FAULT, helper(mtfsf, 'cr'), 'rc'),
];

