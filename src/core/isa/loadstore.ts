// Fixed-point loads and stores: D and X forms, with update, byte-reverse,
// multiple, and the lwarx/stwcx. reservation pair.
//
// The e500mc has no load/store string instructions (lswi, lswx, stswi,
// stswx: the Move Assist category): they are illegal instructions, as on
// the hardware and in QEMU (Linux emulates them for user programs).
//
// Every handler performs its memory accesses first and returns at once if
// one of them aborted the instruction (interrupt or MMIO exit), so nothing
// architected changes before the instruction can complete.

import type { Cpu } from '../cpu.js';
import { IntClass } from '../cpu.js';
import { ld32, st32 } from '../mem.js';
import { ESR, IVOR } from '../regbits.js';
import { SPR } from '../spr.js';
import { ALLGPR, COMMON, FAULT, helper, P, X, type InsnDef } from './decode.js';
import { bswap16, bswap32, defineRuntime } from './runtime.js';
import type { Emit, LoadKind, Sem, StoreKind } from './sem.js';

const rD = (w: number) => (w >>> 21) & 31;
const rA = (w: number) => (w >>> 16) & 31;
const rB = (w: number) => (w >>> 11) & 31;

/** EA of a D-form access: (rA|0) + d (for the helpers of other modules). */
export function eaD(c: Cpu, w: number): number {
  const a = rA(w);
  return a === 0 ? (w << 16) >> 16 : (c.gpr[a] + ((w << 16) >> 16)) | 0;
}
/** EA of an X-form access: (rA|0) + rB. */
export function eaX(c: Cpu, w: number): number {
  const a = rA(w);
  return a === 0 ? c.gpr[rB(w)] : (c.gpr[a] + c.gpr[rB(w)]) | 0;
}

export function raiseAlignment(c: Cpu, ea: number, store: boolean): void {
  c.spr[SPR.DEAR] = ea;
  c.spr[SPR.ESR] = store ? ESR.ST : 0;
  c.interrupt(IVOR.ALIGNMENT, c.pc, IntClass.Base);
  c.abort = true;
}
defineRuntime({ raiseAlignment });

// ---- semantics ----

/** The effective address of a D form, (rA|0) + d, or an update form, rA + d; then X forms. */
const eaDSem = (x: Emit): string => `(${x.R0('ra')} + ${x.f('d')}) | 0`;
const eaDUSem = (x: Emit): string => `(${x.R('ra')} + ${x.f('d')}) | 0`;
const eaXSem = (x: Emit): string => `(${x.R0('ra')} + ${x.R('rb')}) | 0`;
const eaXUSem = (x: Emit): string => `(${x.R('ra')} + ${x.R('rb')}) | 0`;

/** Load forms: `fix` turns the loaded value into the register's (sign extension, byte reversal). */
const load = (kind: LoadKind, ea: (x: Emit) => string, fix = (v: string) => v): Sem => (x) =>
  `const ea = ${ea(x)}; ${x.load('v', kind, 'ea')} ${x.W('rt')} = ${fix('v')};`;
/**
 * Load with update. rA = 0 and rA = rD are invalid forms; like QEMU they
 * are illegal instructions. The access comes first: a fault changes nothing.
 */
const loadUpdate = (kind: LoadKind, ea: (x: Emit) => string, fix = (v: string) => v): Sem => (x) =>
  x.if('ra === 0 || ra === rt', x.raise(`c.raiseProgram(${ESR.PIL})`),
    `const ea = ${ea(x)}; ${x.load('v', kind, 'ea')} ${x.W('rt')} = ${fix('v')}; ${x.W('ra')} = ea;`);
const store = (kind: StoreKind, ea: (x: Emit) => string, val: (s: string) => string): Sem => (x) =>
  `const ea = ${ea(x)}; ${x.store(kind, 'ea', val(x.R('rs')))}`;
/** Store with update; rA = 0 is an invalid form (illegal, as in QEMU). */
const storeUpdate = (kind: StoreKind, ea: (x: Emit) => string, val: (s: string) => string): Sem => (x) =>
  x.if('ra === 0', x.raise(`c.raiseProgram(${ESR.PIL})`),
    `const ea = ${ea(x)}; ${x.store(kind, 'ea', val(x.R('rs')))} ${x.W('ra')} = ea;`);

const half = (v: string) => `(${v} << 16) >> 16`;
const byte = (s: string) => `${s} & 0xff`;
const low16 = (s: string) => `${s} & 0xffff`;
const word = (s: string) => s;

// ---- multiple and string ----

/** lmw: rD..r31 from consecutive words. Loaded into a buffer first, so a fault changes no register. */
const multi = new Int32Array(32);
function lmw(c: Cpu, w: number): void {
  const d = rD(w);
  const ea = eaD(c, w);
  if ((ea & 3) !== 0) {
    raiseAlignment(c, ea, false);
    return;
  }
  for (let r = d; r < 32; r++) {
    multi[r] = ld32(c, (ea + (r - d) * 4) | 0);
    if (c.abort) return;
  }
  for (let r = d; r < 32; r++) c.gpr[r] = multi[r];
}
function stmw(c: Cpu, w: number): void {
  const s = rD(w);
  const ea = eaD(c, w);
  if ((ea & 3) !== 0) {
    raiseAlignment(c, ea, true);
    return;
  }
  for (let r = s; r < 32; r++) {
    st32(c, (ea + (r - s) * 4) | 0, c.gpr[r]);
    if (c.abort) return;
  }
}

// ---- reservation ----

// Like QEMU, the reservation is the effective address; a stwcx. to another
// address is undefined in the architecture and fails here. A failed stwcx.
// still checks that the store would be permitted.
const lwarx: Sem = (x) =>
  `const ea = ${eaXSem(x)}; if ((ea & 3) !== 0) { ${x.raise('raiseAlignment(c, ea, false)')} }
   ${x.load('v', 'i32', 'ea')} ${x.W('rt')} = v; c.resv = ea >>> 0;`;
const stwcx: Sem = (x) =>
  `const ea = ${eaXSem(x)}; if ((ea & 3) !== 0) { ${x.raise('raiseAlignment(c, ea, true)')} }
   if (c.resv === (ea >>> 0)) {
     ${x.store('i32', 'ea', x.R('rs'))} ${x.CR} = (${x.CR} & 0x0fffffff) | 0x20000000 | (${x.SO} << 28);
   } else {
     ${x.call('translateData(c, ea, true)')} ${x.CR} = (${x.CR} & 0x0fffffff) | (${x.SO} << 28);
   }
   c.resv = -1;`;

export const loadStoreInsns: InsnDef[] = [
  P('lwz', 32, 'rt,d(ra0)', COMMON | FAULT, load('i32', eaDSem)),
  P('lwzu', 33, 'rt,d(ra)', COMMON | FAULT, loadUpdate('i32', eaDUSem)),
  P('lbz', 34, 'rt,d(ra0)', COMMON | FAULT, load('u8', eaDSem)),
  P('lbzu', 35, 'rt,d(ra)', FAULT, loadUpdate('u8', eaDUSem)),
  P('stw', 36, 'rs,d(ra0)', COMMON | FAULT, store('i32', eaDSem, word)),
  P('stwu', 37, 'rs,d(ra)', COMMON | FAULT, storeUpdate('i32', eaDUSem, word)),
  P('stb', 38, 'rs,d(ra0)', COMMON | FAULT, store('u8', eaDSem, byte)),
  P('stbu', 39, 'rs,d(ra)', FAULT, storeUpdate('u8', eaDUSem, byte)),
  P('lhz', 40, 'rt,d(ra0)', COMMON | FAULT, load('u16', eaDSem)),
  P('lhzu', 41, 'rt,d(ra)', FAULT, loadUpdate('u16', eaDUSem)),
  P('lha', 42, 'rt,d(ra0)', FAULT, load('u16', eaDSem, half)),
  P('lhau', 43, 'rt,d(ra)', FAULT, loadUpdate('u16', eaDUSem, half)),
  P('sth', 44, 'rs,d(ra0)', COMMON | FAULT, store('u16', eaDSem, low16)),
  P('sthu', 45, 'rs,d(ra)', FAULT, storeUpdate('u16', eaDUSem, low16)),
  P('lmw', 46, 'rt,d(ra0)', FAULT | ALLGPR, helper(lmw)),
  P('stmw', 47, 'rs,d(ra0)', FAULT | ALLGPR, helper(stmw)),
  X('lwarx', 31, 20, 'rt,ra0,rb', FAULT, lwarx),
  X('lwzx', 31, 23, 'rt,ra0,rb', COMMON | FAULT, load('i32', eaXSem)),
  X('lwzux', 31, 55, 'rt,ra,rb', FAULT, loadUpdate('i32', eaXUSem)),
  X('lbzx', 31, 87, 'rt,ra0,rb', COMMON | FAULT, load('u8', eaXSem)),
  X('lbzux', 31, 119, 'rt,ra,rb', FAULT, loadUpdate('u8', eaXUSem)),
  X('stwcx.', 31, 150, 'rs,ra0,rb', FAULT, stwcx),
  X('stwx', 31, 151, 'rs,ra0,rb', COMMON | FAULT, store('i32', eaXSem, word)),
  X('stwux', 31, 183, 'rs,ra,rb', FAULT, storeUpdate('i32', eaXUSem, word)),
  X('stbx', 31, 215, 'rs,ra0,rb', COMMON | FAULT, store('u8', eaXSem, byte)),
  X('stbux', 31, 247, 'rs,ra,rb', FAULT, storeUpdate('u8', eaXUSem, byte)),
  X('lhzx', 31, 279, 'rt,ra0,rb', COMMON | FAULT, load('u16', eaXSem)),
  X('lhzux', 31, 311, 'rt,ra,rb', FAULT, loadUpdate('u16', eaXUSem)),
  X('lhax', 31, 343, 'rt,ra0,rb', FAULT, load('u16', eaXSem, half)),
  X('lhaux', 31, 375, 'rt,ra,rb', FAULT, loadUpdate('u16', eaXUSem, half)),
  X('sthx', 31, 407, 'rs,ra0,rb', COMMON | FAULT, store('u16', eaXSem, low16)),
  X('sthux', 31, 439, 'rs,ra,rb', FAULT, storeUpdate('u16', eaXUSem, low16)),
  X('lwbrx', 31, 534, 'rt,ra0,rb', FAULT, load('i32', eaXSem, (v) => `bswap32(${v})`)),
  X('stwbrx', 31, 662, 'rs,ra0,rb', FAULT, store('i32', eaXSem, (s) => `bswap32(${s})`)),
  X('lhbrx', 31, 790, 'rt,ra0,rb', FAULT, load('u16', eaXSem, (v) => `bswap16(${v})`)),
  X('sthbrx', 31, 918, 'rs,ra0,rb', FAULT, store('u16', eaXSem, (s) => `bswap16(${s})`)),
];

export { bswap32, bswap16 };
