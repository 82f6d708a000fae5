// Guest data accesses: a fast path through the translation cache, and a slow
// path that translates, handles page-crossing and little-endian (E) pages,
// fills the cache, and turns non-RAM accesses into MMIO exits.
//
// MMIO and restart. An MMIO access ends the instruction without effects
// (`abort`) and leaves the core with the access in cpu.mmio*. When userspace
// resumes the vCPU the same instruction runs again; its first accesses are
// served from `mmioLog` (loads get the data userspace supplied, stores are
// skipped because userspace has performed them), and the next MMIO access, if
// any, exits again. So multi-access instructions (lmw, stmw, string ops,
// misaligned or 8-byte FP accesses) need no special completion code.
//
// Values: loads return the value in the register's sense (big-endian
// interpretation of memory, or little-endian on an E page); 8-bit and 16-bit
// loads are zero-extended; 32-bit loads are int32.

import type { Cpu } from './cpu.js';
import { CoreExit, IntClass } from './cpu.js';
import { Access, TC_MASK } from './mmu/tcache.js';
import { ESR, IVOR, MAS } from './regbits.js';
import { SPR } from './spr.js';

export function ld8(c: Cpu, ea: number): number {
  const tc = c.tc, i = (ea >>> 12) & TC_MASK;
  if (tc.rTag[i] === ((ea & 0xfffff000) | tc.dctx)) return tc.rView[i].getUint8(tc.rOff[i] + (ea & 0xfff));
  return loadSlow(c, ea, 1);
}

export function ld16(c: Cpu, ea: number): number {
  const tc = c.tc, i = (ea >>> 12) & TC_MASK;
  if (tc.rTag[i] === ((ea & 0xfffff000) | tc.dctx) && (ea & 0xfff) <= 0xffe) {
    return tc.rView[i].getUint16(tc.rOff[i] + (ea & 0xfff));
  }
  return loadSlow(c, ea, 2);
}

export function ld32(c: Cpu, ea: number): number {
  const tc = c.tc, i = (ea >>> 12) & TC_MASK;
  if (tc.rTag[i] === ((ea & 0xfffff000) | tc.dctx) && (ea & 0xfff) <= 0xffc) {
    return tc.rView[i].getInt32(tc.rOff[i] + (ea & 0xfff));
  }
  return loadSlow(c, ea, 4);
}

/** 64-bit load into out[0] (high word) and out[1] (low word). */
export function ld64(c: Cpu, ea: number, out: Int32Array): void {
  const tc = c.tc, i = (ea >>> 12) & TC_MASK;
  if (tc.rTag[i] === ((ea & 0xfffff000) | tc.dctx) && (ea & 0xfff) <= 0xff8) {
    const v = tc.rView[i], o = tc.rOff[i] + (ea & 0xfff);
    out[0] = v.getInt32(o);
    out[1] = v.getInt32(o + 4);
    return;
  }
  loadSlow64(c, ea, out);
}

export function st8(c: Cpu, ea: number, v: number): void {
  const tc = c.tc, i = (ea >>> 12) & TC_MASK;
  if (tc.wTag[i] === ((ea & 0xfffff000) | tc.dctx)) {
    tc.wView[i].setUint8(tc.wOff[i] + (ea & 0xfff), v);
    return;
  }
  storeSlow(c, ea, 1, v, 0);
}

export function st16(c: Cpu, ea: number, v: number): void {
  const tc = c.tc, i = (ea >>> 12) & TC_MASK;
  if (tc.wTag[i] === ((ea & 0xfffff000) | tc.dctx) && (ea & 0xfff) <= 0xffe) {
    tc.wView[i].setUint16(tc.wOff[i] + (ea & 0xfff), v);
    return;
  }
  storeSlow(c, ea, 2, v, 0);
}

export function st32(c: Cpu, ea: number, v: number): void {
  const tc = c.tc, i = (ea >>> 12) & TC_MASK;
  if (tc.wTag[i] === ((ea & 0xfffff000) | tc.dctx) && (ea & 0xfff) <= 0xffc) {
    tc.wView[i].setInt32(tc.wOff[i] + (ea & 0xfff), v);
    return;
  }
  storeSlow(c, ea, 4, v, 0);
}

export function st64(c: Cpu, ea: number, hi: number, lo: number): void {
  const tc = c.tc, i = (ea >>> 12) & TC_MASK;
  if (tc.wTag[i] === ((ea & 0xfffff000) | tc.dctx) && (ea & 0xfff) <= 0xff8) {
    const v = tc.wView[i], o = tc.wOff[i] + (ea & 0xfff);
    v.setInt32(o, hi);
    v.setInt32(o + 4, lo);
    return;
  }
  storeSlow(c, ea, 8, hi, lo);
}

// ---- slow paths ----

/** Debug status of a watchpoint exit (Cpu.debugExitStatus). */
export const WATCH_READ_STATUS = 3;
export const WATCH_WRITE_STATUS = 4;

/**
 * Host watchpoints (KVM_SET_GUEST_DEBUG): stop before an access that touches
 * a watched range. The instruction does not complete and is executed again
 * when the vCPU resumes. Only reached with the translation cache disabled.
 */
function watchHit(c: Cpu, ea: number, size: number, store: boolean): boolean {
  const d = c.debug;
  if (d.skipWatch) return false;
  const k = d.watchAt(ea, size, store ? 2 : 1);
  if (k < 0) return false;
  d.watchHitAddr = d.watch[k].addr;
  c.debugExit(c.pc, store ? WATCH_WRITE_STATUS : WATCH_READ_STATUS);
  c.nip = c.pc;
  c.abort = true;
  return true;
}

const scratch = new Uint8Array(8);
const scratchView = new DataView(scratch.buffer);

/** Memory-order bytes of an access of `size` at ea into `scratch`; false if the instruction must stop. */
function readBytes(c: Cpu, ea: number, size: number): boolean {
  const tc = c.tc;
  if (tc.disabled && watchHit(c, ea, size, false)) return false;
  if (tc.memGeneration !== c.mem.generation) tc.flush();
  if (((ea & 0xfff) + size) > 0x1000) {
    // Crosses a page: translate both pages first so a fault leaves nothing done.
    const split = 0x1000 - (ea & 0xfff);
    const pa0 = tc.translate(ea, Access.Load);
    if (pa0 < 0) return false;
    const e0 = tc.lastWimge;
    const pa1 = tc.translate((ea + split) | 0, Access.Load);
    if (pa1 < 0) return false;
    const e1 = tc.lastWimge;
    if (((e0 ^ e1) & MAS.WIMGE_E) !== 0) {
      byteOrderingDsi(c, ea, false);
      return false;
    }
    for (let k = 0; k < size; k++) {
      const pa = k < split ? pa0 + k : pa1 + (k - split);
      if (!physRead(c, pa, 1, k)) return false;
    }
    return true;
  }
  const pa = tc.translate(ea, Access.Load);
  if (pa < 0) return false;
  const slot = c.mem.find(pa);
  if (slot !== null && pa + size <= slot.base + slot.size) {
    scratch.set(slot.u8.subarray(pa - slot.base, pa - slot.base + size));
    tc.fill(Access.Load, ea, slot, pa);
    return true;
  }
  return physRead(c, pa, size, 0);
}

/** Read `size` bytes at physical pa into scratch[at..]: RAM directly, otherwise MMIO. */
function physRead(c: Cpu, pa: number, size: number, at: number): boolean {
  const slot = c.mem.find(pa);
  if (slot !== null && pa + size <= slot.base + slot.size) {
    scratch.set(slot.u8.subarray(pa - slot.base, pa - slot.base + size), at);
    return true;
  }
  if (c.mmioLogPos < c.mmioLogLen) {
    // Byte by byte: a subarray would be an allocation per device register read.
    const log = c.mmioLog, from = c.mmioLogPos * 8;
    for (let k = 0; k < size; k++) scratch[at + k] = log[from + k];
    c.mmioLogPos++;
    return true;
  }
  mmioExit(c, pa, size, false);
  return false;
}

function physWrite(c: Cpu, pa: number, size: number, at: number): boolean {
  const slot = c.mem.find(pa);
  if (slot !== null && !slot.readonly && pa + size <= slot.base + slot.size) {
    slot.u8.set(scratch.subarray(at, at + size), pa - slot.base);
    if (slot.logDirty) slot.markDirty(pa);
    if (slot.dropCode(pa)) c.sliceEnd = 0;
    return true;
  }
  if (c.mmioLogPos < c.mmioLogLen) {
    c.mmioLogPos++; // userspace performed this store already
    return true;
  }
  const data = c.mmioData;
  for (let k = 0; k < size; k++) data[k] = scratch[at + k];
  mmioExit(c, pa, size, true);
  return false;
}

/**
 * An access that crosses from a page of one byte order into a page of the
 * other: the e500 takes a byte-ordering Data Storage interrupt (ESR[BO],
 * e500 RM 5.7.3), nothing is accessed.
 */
function byteOrderingDsi(c: Cpu, ea: number, store: boolean): void {
  c.spr[SPR.DEAR] = ea;
  c.spr[SPR.ESR] = ESR.BO | (store ? ESR.ST : 0) | c.esrFp;
  c.interrupt(IVOR.DSI, c.pc, IntClass.Base);
  c.abort = true;
}

function mmioExit(c: Cpu, pa: number, size: number, isWrite: boolean): void {
  if (c.mmioLogLen >= 64) {
    c.failInternal('instruction needs more than 64 MMIO accesses');
    return;
  }
  c.mmioPa = pa;
  c.mmioLen = size;
  c.mmioIsWrite = isWrite;
  c.exit = CoreExit.Mmio;
  c.nip = c.pc;
  c.abort = true;
  c.sliceEnd = 0;
}

function loadSlow(c: Cpu, ea: number, size: number): number {
  c.tc.loadMisses++;
  if (!readBytes(c, ea, size)) return 0;
  const le = (c.tc.lastWimge & MAS.WIMGE_E) !== 0;
  switch (size) {
    case 1: return scratch[0];
    case 2: return scratchView.getUint16(0, le);
    default: return scratchView.getInt32(0, le);
  }
}

function loadSlow64(c: Cpu, ea: number, out: Int32Array): void {
  c.tc.loadMisses++;
  if (!readBytes(c, ea, 8)) {
    out[0] = out[1] = 0;
    return;
  }
  if ((c.tc.lastWimge & MAS.WIMGE_E) !== 0) {
    out[0] = scratchView.getInt32(4, true);
    out[1] = scratchView.getInt32(0, true);
  } else {
    out[0] = scratchView.getInt32(0);
    out[1] = scratchView.getInt32(4);
  }
}

function storeSlow(c: Cpu, ea: number, size: number, v: number, lo: number): void {
  const tc = c.tc;
  tc.storeMisses++;
  if (tc.disabled && watchHit(c, ea, size, true)) return;
  if (tc.memGeneration !== c.mem.generation) tc.flush();
  const crosses = ((ea & 0xfff) + size) > 0x1000;
  const split = crosses ? 0x1000 - (ea & 0xfff) : size;
  const pa0 = tc.translate(ea, Access.Store);
  if (pa0 < 0) return;
  const wimge0 = tc.lastWimge;
  let pa1 = 0;
  if (crosses) {
    pa1 = tc.translate((ea + split) | 0, Access.Store);
    if (pa1 < 0) return;
    if (((wimge0 ^ tc.lastWimge) & MAS.WIMGE_E) !== 0) {
      byteOrderingDsi(c, ea, true);
      return;
    }
  }
  const le = (wimge0 & MAS.WIMGE_E) !== 0;
  switch (size) {
    case 1: scratch[0] = v; break;
    case 2: scratchView.setUint16(0, v, le); break;
    case 4: scratchView.setInt32(0, v, le); break;
    default:
      if (le) {
        scratchView.setInt32(0, lo, true);
        scratchView.setInt32(4, v, true);
      } else {
        scratchView.setInt32(0, v);
        scratchView.setInt32(4, lo);
      }
  }
  if (!crosses) {
    const slot = c.mem.find(pa0);
    if (slot !== null && !slot.readonly && pa0 + size <= slot.base + slot.size) {
      slot.u8.set(scratch.subarray(0, size), pa0 - slot.base);
      if (slot.logDirty) slot.markDirty(pa0);
      if (slot.dropCode(pa0)) c.sliceEnd = 0;
      tc.fill(Access.Store, ea, slot, pa0);
      return;
    }
    physWrite(c, pa0, size, 0);
    return;
  }
  for (let k = 0; k < size; k++) {
    const pa = k < split ? pa0 + k : pa1 + (k - split);
    if (!physWrite(c, pa, 1, k)) return;
  }
}

/** Physical address of a data access of `size` bytes without performing it (dcbz, stwcx.); -1 after a fault. */
export function translateData(c: Cpu, ea: number, store: boolean, size = 1): number {
  if (store && c.tc.disabled && watchHit(c, ea, size, true)) return -1;
  if (c.tc.memGeneration !== c.mem.generation) c.tc.flush();
  return c.tc.translate(ea, store ? Access.Store : Access.Load);
}
