// The core's "hardware TLB": a direct-mapped cache from (virtual page,
// context) to a host DataView and offset, one for loads, one for stores, one
// for instruction fetch. The context is PID, address space and privilege
// (tag = page | PID << 2 | AS << 1 | PR), so interrupts, returns to user mode
// and process switches need no flush; only removing or changing a TLB entry
// does, and then only for the pages that entry covered.
//
// A page is cached only if the access is permitted for the context, the
// target is RAM (not MMIO), the page is big-endian, and, for stores, the
// slot is writable (and its dirty-log bit is set, so a cached store never
// skips the dirty log). Everything else takes the slow path in mem.ts.

import type { Cpu } from '../cpu.js';
import { IntClass } from '../cpu.js';
import { CodePage } from '../exec/pages.js';
import type { RamSlot } from '../physmem.js';
import { ESR, IVOR, MAS, MSR } from '../regbits.js';
import { SPR } from '../spr.js';
import { TLB0_WAYS } from './tlbarray.js';

export const TC_BITS = 10;
export const TC_SIZE = 1 << TC_BITS;
export const TC_MASK = TC_SIZE - 1;

export const enum Access {
  Load = 0,
  Store = 1,
  Fetch = 2,
}

/** Result codes of `walk` other than a physical address. */
export const WALK_MISS = -1;
export const WALK_DENIED = -2;

const DUMMY_VIEW = new DataView(new ArrayBuffer(8));

export class TranslationCache {
  readonly rTag = new Int32Array(TC_SIZE).fill(-1);
  readonly rOff = new Int32Array(TC_SIZE);
  readonly rView: DataView[] = new Array<DataView>(TC_SIZE).fill(DUMMY_VIEW);
  readonly wTag = new Int32Array(TC_SIZE).fill(-1);
  readonly wOff = new Int32Array(TC_SIZE);
  readonly wView: DataView[] = new Array<DataView>(TC_SIZE).fill(DUMMY_VIEW);
  readonly xTag = new Int32Array(TC_SIZE).fill(-1);
  readonly xOff = new Int32Array(TC_SIZE);
  readonly xView: DataView[] = new Array<DataView>(TC_SIZE).fill(DUMMY_VIEW);
  /** The decoded-block table of the physical page each fetch entry maps to. */
  readonly xCode: CodePage[] = new Array<CodePage>(TC_SIZE);

  /** Context bits of data and instruction accesses. */
  dctx = 0;
  ictx = 0;

  /** One-page fetch cache used by the loop. */
  fetchVa = -1;
  fetchCtx = -1;
  fetchView: DataView | null = DUMMY_VIEW;
  fetchOff = 0;

  /** Set while caching is disallowed (watchpoints): every access takes the slow path. */
  disabled = false;
  memGeneration = -1;

  /**
   * Accesses the cache did not serve (the slow paths: a tag miss, MMIO, an
   * access crossing a page, a store to a page with decoded code), and
   * flushes: counters for `info jit` (TKVM_GET_JIT_STATS), kept in the slow
   * paths only.
   */
  loadMisses = 0;
  storeMisses = 0;
  fetchMisses = 0;
  flushes = 0;
  /** Translated regions left before a load or store the cache did not serve (counted by the region, jit/translate.ts). */
  regionMissExits = 0;

  /**
   * translate's memo: per access kind, the page and translation context of
   * its last success (-1: none), the physical page, WIMGE and TLB entry.
   * Emptied with the cache (flush, invalidateRange), which every TLB and
   * memory map change does; the context is part of the key.
   */
  private readonly memoKey = new Int32Array(3).fill(-1);
  private readonly memoPa = new Float64Array(3);
  private readonly memoWimge = new Int32Array(3);
  private readonly memoEntry = new Int32Array(3);

  /** Outputs of the last successful `walk`. */
  lastWimge = 0;
  lastEntry = -1;

  constructor(private readonly c: Cpu) {
    c.mem.storeCaches.add(this);
  }

  contextChanged(): void {
    const msr = this.c.msr;
    const pr = (msr >>> 14) & 1;
    const pid = this.c.spr[SPR.PID] & 0xff;
    this.dctx = (pid << 2) | (((msr & MSR.DS) !== 0 ? 1 : 0) << 1) | pr;
    this.ictx = (pid << 2) | (((msr & MSR.IS) !== 0 ? 1 : 0) << 1) | pr;
    // Code running from a page was entered under the old context: stop it.
    this.c.sliceEnd = 0;
  }

  flush(): void {
    this.flushes++;
    this.memoKey.fill(-1);
    this.rTag.fill(-1);
    this.wTag.fill(-1);
    this.xTag.fill(-1);
    this.fetchVa = -1;
    this.fetchCtx = -1;
    this.memGeneration = this.c.mem.generation;
    this.c.sliceEnd = 0;
  }

  /** Forget cached stores only (after the dirty log was harvested). */
  flushWrites(): void {
    this.wTag.fill(-1);
  }

  /** Drop every cached translation of virtual range [ea, ea + size), in all contexts. */
  invalidateRange(ea: number, size: number): void {
    const pages = size / 4096;
    if (pages >= TC_SIZE) {
      this.flush();
      return;
    }
    this.memoKey.fill(-1);
    const first = ea >>> 12;
    for (let p = 0; p < pages; p++) {
      const i = (first + p) & TC_MASK;
      this.rTag[i] = -1;
      this.wTag[i] = -1;
      this.xTag[i] = -1;
    }
    this.fetchVa = -1;
    this.fetchCtx = -1;
    // The current page's translation may be among them.
    this.c.sliceEnd = 0;
  }

  /**
   * Translate without side effects. Returns the physical address, WALK_MISS
   * (no TLB entry) or WALK_DENIED (permission). Sets lastWimge/lastEntry.
   */
  walk(ea: number, as: number, pid: number, pr: number, access: Access): number {
    const tlb = this.c.tlb;
    const i = tlb.lookup(ea, as, pid);
    if (i < 0) return WALK_MISS;
    const mas3 = tlb.mas3(i);
    const bit = access === Access.Load ? (pr ? MAS.MAS3_UR : MAS.MAS3_SR)
      : access === Access.Store ? (pr ? MAS.MAS3_UW : MAS.MAS3_SW)
      : (pr ? MAS.MAS3_UX : MAS.MAS3_SX);
    this.lastEntry = i;
    this.lastWimge = tlb.mas2(i) & 0x1f;
    if ((mas3 & bit) === 0) return WALK_DENIED;
    const size = tlb.size(i);
    const off = size >= 0x100000000 ? ea >>> 0 : (ea & (size - 1)) >>> 0;
    return tlb.rpn(i) + off;
  }

  /**
   * Translate a guest access of the running instruction. On failure the
   * architected interrupt is delivered, `abort` is set and -1 returned.
   */
  translate(ea: number, access: Access): number {
    // The last successful translation per access kind, for accesses the
    // cache proper does not keep (MMIO: every device register access, twice
    // with its replay after the exit, walked the TLB).
    const key = (ea & 0xfffff000) | (access === Access.Fetch ? this.ictx : this.dctx);
    if (this.memoKey[access] === key) {
      this.lastWimge = this.memoWimge[access];
      this.lastEntry = this.memoEntry[access];
      return this.memoPa[access] + (ea & 0xfff);
    }
    const c = this.c;
    const msr = c.msr;
    const pr = (msr >>> 14) & 1;
    const as = access === Access.Fetch ? ((msr & MSR.IS) !== 0 ? 1 : 0) : ((msr & MSR.DS) !== 0 ? 1 : 0);
    const pid = c.spr[SPR.PID] & 0xff;
    const pa = this.walk(ea, as, pid, pr, access);
    if (pa >= 0) {
      this.memoKey[access] = key;
      this.memoPa[access] = pa - (ea & 0xfff);
      this.memoWimge[access] = this.lastWimge;
      this.memoEntry[access] = this.lastEntry;
      return pa;
    }
    if (pa === WALK_MISS) {
      this.tlbMissAutoload(ea, as, pid);
      if (access === Access.Fetch) {
        c.interrupt(IVOR.ITLB, c.pc, IntClass.Base);
      } else {
        c.spr[SPR.DEAR] = ea;
        c.spr[SPR.ESR] = (access === Access.Store ? ESR.ST : 0) | c.esrFp;
        c.interrupt(IVOR.DTLB, c.pc, IntClass.Base);
      }
    } else if (access === Access.Fetch) {
      c.spr[SPR.ESR] = 0;
      c.interrupt(IVOR.ISI, c.pc, IntClass.Base);
    } else {
      c.spr[SPR.DEAR] = ea;
      c.spr[SPR.ESR] = (access === Access.Store ? ESR.ST : 0) | c.esrFp;
      c.interrupt(IVOR.DSI, c.pc, IntClass.Base);
    }
    c.abort = true;
    return -1;
  }

  /** MAS registers after a TLB miss, from MAS4's defaults (MAV 1.0). */
  private tlbMissAutoload(ea: number, as: number, pid: number): void {
    const spr = this.c.spr;
    const mas4 = spr[SPR.MAS4];
    const tlbsel = (mas4 >>> 28) & 1;
    const victim = this.c.tlb0Nv;
    spr[SPR.MAS0] = (tlbsel << 28) | (tlbsel === 0 ? (victim << 16) | ((victim + 1) & (TLB0_WAYS - 1)) : 0);
    spr[SPR.MAS1] = MAS.MAS1_V | (pid << 16) | (as << 12) | (mas4 & 0xf00);
    spr[SPR.MAS2] = (ea & 0xfffff000) | (mas4 & 0x1f);
    spr[SPR.MAS3] = 0;
    spr[SPR.MAS6] = (pid << 16) | as;
    spr[SPR.MAS7] = 0;
  }

  // ---- filling ----

  fill(access: Access, ea: number, slot: RamSlot, pa: number): void {
    if (this.disabled || (this.lastWimge & MAS.WIMGE_E) !== 0) return;
    const i = (ea >>> 12) & TC_MASK;
    const off = pa - (pa % 4096) - slot.base;
    if (access === Access.Load) {
      this.rTag[i] = (ea & 0xfffff000) | this.dctx;
      this.rOff[i] = off;
      this.rView[i] = slot.view;
    } else if (access === Access.Store) {
      // Stores to pages holding decoded blocks must take the slow path, which drops the blocks.
      if (slot.readonly || slot.isCode(pa)) return;
      if (slot.logDirty) slot.markDirty(pa);
      this.wTag[i] = (ea & 0xfffff000) | this.dctx;
      this.wOff[i] = off;
      this.wView[i] = slot.view;
    } else {
      this.xTag[i] = (ea & 0xfffff000) | this.ictx;
      this.xOff[i] = off;
      this.xView[i] = slot.view;
      const page = off / 4096;
      let cp = slot.codePages[page];
      if (cp === undefined) cp = slot.codePages[page] = new CodePage(slot, page);
      this.xCode[i] = cp;
    }
  }

  // ---- instruction fetch ----

  /**
   * The decoded-block table for the page of `pc` after an xTag miss: translate
   * (ISI/ITLB abort the caller), fill the fetch cache. Returns undefined when
   * the page cannot be executed through blocks (little-endian page, caching
   * disabled) and the caller must interpret one instruction instead.
   */
  enterPage(pc: number): CodePage | undefined {
    const c = this.c;
    this.fetchMisses++;
    if (this.memGeneration !== c.mem.generation) this.flush();
    const pa = this.translate(pc, Access.Fetch);
    if (pa < 0) return undefined;
    const slot = c.mem.find(pa);
    if (slot === null || (this.lastWimge & MAS.WIMGE_E) !== 0 || this.disabled) return undefined;
    this.fill(Access.Fetch, pc, slot, pa);
    return this.xCode[(pc >>> 12) & TC_MASK];
  }


  /** Fetch through the caches (used by the debug loop and the slow path). */
  fetch(pc: number): number {
    if (((pc ^ this.fetchVa) & 0xfffff000) === 0 && this.fetchCtx === this.ictx) {
      return this.fetchView!.getInt32(this.fetchOff + (pc & 0xfff));
    }
    return this.fetchSlow(pc);
  }

  fetchSlow(pc: number): number {
    const c = this.c;
    if (this.memGeneration !== c.mem.generation) this.flush();
    const i = (pc >>> 12) & TC_MASK;
    if (this.xTag[i] === ((pc & 0xfffff000) | this.ictx)) {
      this.fetchVa = pc & 0xfffff000;
      this.fetchCtx = this.ictx;
      this.fetchView = this.xView[i];
      this.fetchOff = this.xOff[i];
      return this.fetchView.getInt32(this.fetchOff + (pc & 0xfff));
    }
    if ((pc & 3) !== 0) {
      // Only reachable through the API (a misaligned PC); branches clear the low bits.
      pc &= ~3;
    }
    const pa = this.translate(pc, Access.Fetch);
    if (pa < 0) return 0;
    const slot = c.mem.find(pa);
    if (slot === null) {
      // Executing from MMIO is not something the hardware does usefully:
      // deliver a machine check as e500mc does for an access that no
      // target claims.
      c.spr[SPR.MCAR] = pa;
      c.spr[SPR.MCSR] = 0x80000000 | 0;
      c.interrupt(IVOR.MACHINE_CHECK, pc, IntClass.MachineCheck);
      c.abort = true;
      return 0;
    }
    const off = pa - slot.base;
    if ((this.lastWimge & MAS.WIMGE_E) !== 0) {
      // Little-endian page: instructions are byte-reversed.
      return slot.view.getInt32(off, true);
    }
    this.fill(Access.Fetch, pc, slot, pa);
    if (!this.disabled) {
      this.fetchVa = pc & 0xfffff000;
      this.fetchCtx = this.ictx;
      this.fetchView = slot.view;
      this.fetchOff = off - (pc & 0xfff);
    }
    return slot.view.getInt32(off);
  }
}
