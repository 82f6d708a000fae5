// The e500mc core: architected state, the execution loop, interrupts.
//
// Execution model. Instructions run in slices: a slice ends after a number of
// instructions, or early when an instruction sets `sliceEnd = 0` (it raised
// an interrupt, changed MSR in a way that may unmask one, or needs to leave
// the core). Between slices the core updates timers, delivers pending
// asynchronous interrupts and reports exits. Inside a slice the only work per
// instruction is fetch (through a one-page fetch cache), a two-level table
// dispatch and the handler.
//
// An instruction that faults calls one of the `raise*` functions, which
// delivers the interrupt, sets `abort` and ends the slice; the handler then
// returns without touching architected state. An instruction that touches
// MMIO does the same with an exit instead of an interrupt, and is executed
// again when the vCPU resumes, with the data of its MMIO accesses replayed
// from a log (see mem.ts): so every load and store form works on MMIO
// without per-instruction completion code.

import type { Clock } from './clock.js';
import { WallClock } from './clock.js';
import type { Decoder } from './isa/decode.js';
import { PhysMemory } from './physmem.js';
import { TlbArray } from './mmu/tlbarray.js';
import { HID0_DAPUEN, IVOR, MSR, TCR, TSR } from './regbits.js';
import { SPR, sprDefs } from './spr.js';
import { Timers } from './timers.js';
import { TC_MASK, TranslationCache } from './mmu/tcache.js';
import { debugAfter, debugBefore, debugIrpt, guestDebugEnabled } from './guest-debug.js';
import { pageInterpreter, type PageInterpreter } from './exec/interp.js';
import type { CodePage } from './exec/pages.js';
import { Translator, type RegionFn } from './jit/translate.js';

export const enum CoreExit {
  /** The instruction budget ran out; nothing to report. */
  None = 0,
  Mmio = 1,
  /** A guest-debug event (single step, breakpoint, watchpoint) for the debugger. */
  Debug = 2,
  /** An ePAPR hypercall (sc 1) that the core does not handle itself. */
  Hcall = 3,
  /** The guest waits for an interrupt (`wait`, MSR[WE]) and none is pending. */
  Wait = 4,
  /** The watchdog's final time-out asks for a reset. */
  Watchdog = 5,
  /** An external interrupt was delivered and the proxy (EPR) needs its vector before the handler runs. */
  Epr = 6,
  /** Something the core cannot emulate; see `internalError`. */
  Internal = 7,
  /** A machine check with MSR[ME] = 0: the core stops (checkstop); the instruction at pc did not complete. */
  Checkstop = 8,
}

/** Interrupt classes: which save/restore register pair an interrupt uses. */
export const enum IntClass {
  Base = 0,
  Critical = 1,
  MachineCheck = 2,
  Debug = 3,
}

export const DEFAULT_SLICE = 65536;

/**
 * Guest instructions run from an entry into code (a branch target, or where
 * execution entered its page) after which the code there is translated
 * (CodePage.heat; 0: at once). High, because translating is dear: V8
 * optimizes each translated function on its own, a few ms of a background
 * thread per function, and until then runs it slower than the (optimized)
 * interpreter; only code that runs a great deal repays that (docs/jit.md).
 */
export const DEFAULT_JIT_THRESHOLD = 200_000;
/**
 * jitThreshold meaning "never translate": an int32 like every other value
 * (Infinity made V8 compare the interpreter's heat as doubles).
 */
export const JIT_NEVER = 0x7fffffff;

export class Cpu {
  // ---- user-level state ----
  readonly gpr = new Int32Array(32);
  /** FPRs as doubles (arithmetic) and as raw 32-bit halves (loads, stores, NaN payloads). */
  readonly fpr: Float64Array;
  /** fprw[2n] is the low word of FPR n, fprw[2n+1] the high word (little-endian host). */
  readonly fprw: Uint32Array;
  pc = 0;
  /** Address of the next instruction; handlers that branch set it. */
  nip = 0;
  cr = 0;
  lr = 0;
  ctr = 0;
  xerSo = 0;
  xerOv = 0;
  xerCa = 0;
  /** XER bits other than SO, OV, CA (the string byte count in bits 0..6). */
  xerRest = 0;
  fpscr = 0;
  msr = 0;
  /** Implemented SPRs without side effects, indexed by SPR number. */
  readonly spr = new Int32Array(1024);
  /** Reservation of lwarx: physical address of the reserved granule, or -1. */
  resv = -1;

  // ---- memory ----
  readonly tlb = new TlbArray();
  readonly tc: TranslationCache;
  /** TLB0 next-victim way (MAS0[NV] on a TLB miss). */
  tlb0Nv = 0;

  // ---- execution ----
  abort = false;
  /**
   * ESR[FP] while a floating-point load or store accesses memory, else 0:
   * the data storage and data TLB error interrupts such an access takes add
   * it to their syndrome (Book E; Power ISA III-E, ESR[FP]).
   */
  esrFp = 0;
  sliceEnd = 0;
  /** Retired instructions since reset. */
  icount = 0;
  /** In the wait state (`wait` or MSR[WE]) until an interrupt. */
  waiting = false;
  exit: CoreExit = CoreExit.None;
  internalError = '';

  // ---- MMIO exit and replay (see mem.ts) ----
  mmioPa = 0;
  mmioLen = 0;
  mmioIsWrite = false;
  readonly mmioData = new Uint8Array(8);
  /** Data of the MMIO accesses the current instruction has already completed. */
  readonly mmioLog = new Uint8Array(8 * 64);
  mmioLogLen = 0;
  mmioLogPos = 0;

  // ---- interrupt inputs (driven by the interrupt controller through the API) ----
  extLevel = false;
  /** An edge-triggered external interrupt request, cleared when it is delivered. */
  extEdge = false;
  critLevel = false;
  /** A pending machine check (set by the host, e.g. on an access no slot or MMIO can take). */
  mcheckPending = false;
  /** External proxy: when enabled, taking an external interrupt needs its vector from userspace. */
  eprEnabled = false;
  /** An external interrupt was taken with the proxy enabled; EPR must be filled in before the guest runs. */
  eprPending = false;

  // ---- hypercalls, debug ----
  /** ePAPR hypercall: set by `sc 1`; userspace completes it. */
  hcallPending = false;
  /** Guest debugging by the host (KVM_SET_GUEST_DEBUG). */
  readonly debug = new HostDebug();
  debugExitPc = 0;
  debugExitStatus = 0;

  readonly timers: Timers;
  readonly mem: PhysMemory;
  /** The page interpreter generated from the decoder's table. */
  readonly interpret: PageInterpreter;
  /** The translator (src/core/jit) and when it translates: instructions run from an entry before it does (JIT_NEVER: never). */
  readonly translator: Translator;
  jitThreshold = DEFAULT_JIT_THRESHOLD;

  constructor(
    readonly decoder: Decoder,
    mem: PhysMemory | null = null,
    clock: Clock = new WallClock(400_000_000),
    readonly pir = 0,
  ) {
    const fb = new ArrayBuffer(256);
    this.fpr = new Float64Array(fb);
    this.fprw = new Uint32Array(fb);
    this.mem = mem ?? new PhysMemory();
    this.interpret = pageInterpreter(decoder);
    this.translator = new Translator(decoder);
    this.tc = new TranslationCache(this);
    this.timers = new Timers(this, clock);
    this.reset();
  }

  /** Architected reset state (then the loader sets PC, registers and TLB). */
  reset(): void {
    this.gpr.fill(0);
    this.fpr.fill(0);
    this.pc = this.nip = 0xfffffffc | 0;
    this.cr = this.lr = this.ctr = 0;
    this.xerSo = this.xerOv = this.xerCa = this.xerRest = 0;
    this.fpscr = 0;
    this.msr = 0;
    this.spr.fill(0);
    for (const d of sprDefs) this.spr[d.num] = d.reset;
    this.spr[SPR.PIR] = this.pir;
    this.resv = -1;
    this.tlb.bytes.fill(0);
    this.tlb.rebuildTlb1Index();
    this.tlb.markAllChanged();
    this.tlb0Nv = 0;
    this.waiting = false;
    this.abort = false;
    this.esrFp = 0;
    this.exit = CoreExit.None;
    this.mmioLogLen = this.mmioLogPos = 0;
    this.extLevel = this.extEdge = this.critLevel = this.mcheckPending = false;
    this.eprPending = this.hcallPending = false;
    this.timers.reset();
    this.tc.contextChanged();
    this.tc.flush();
  }

  // ---- register helpers ----

  getXer(): number {
    return (this.xerSo << 31) | (this.xerOv << 30) | (this.xerCa << 29) | (this.xerRest & 0x1fffffff);
  }
  setXer(v: number): void {
    this.xerSo = (v >>> 31) & 1;
    this.xerOv = (v >>> 30) & 1;
    this.xerCa = (v >>> 29) & 1;
    this.xerRest = v & 0x1fffff7f & 0x7f; // only the byte count is implemented
  }

  /** Write the MSR (mtmsr, rfi, interrupts, API): keeps translation contexts in step. */
  setMsr(v: number): void {
    const old = this.msr;
    this.msr = v;
    if (((old ^ v) & (MSR.PR | MSR.IS | MSR.DS)) !== 0) this.tc.contextChanged();
    // A newly enabled interrupt class may be pending: let the loop look.
    if (((v & ~old) & (MSR.EE | MSR.CE | MSR.ME | MSR.DE)) !== 0) this.sliceEnd = 0;
    if ((v & MSR.WE) !== 0) {
      this.waiting = true;
      this.sliceEnd = 0;
    }
    if (((old ^ v) & MSR.DE) !== 0) this.debugChanged();
  }

  /** True while the guest's own debug events need the per-instruction debug loop. */
  guestDebug = false;

  /** MSR[DE] or a debug control register changed. */
  debugChanged(): void {
    this.guestDebug = guestDebugEnabled(this);
    this.sliceEnd = 0;
  }

  setPid(v: number): void {
    this.spr[SPR.PID] = v & 0xff;
    this.tc.contextChanged();
  }

  // ---- interrupts ----

  /**
   * Deliver an interrupt: save state in the class's save/restore pair, build
   * the new MSR, vector through IVPR|IVORn. `srr0` is the address to return to.
   * An instruction that faults (did not complete) also sets `abort`.
   */
  interrupt(ivor: number, srr0: number, cls: IntClass): void {
    const spr = this.spr;
    const msr = this.msr;
    let keep: number;
    switch (cls) {
      case IntClass.Base:
        spr[SPR.SRR0] = srr0;
        spr[SPR.SRR1] = msr;
        keep = MSR.CE | MSR.ME | MSR.DE;
        break;
      case IntClass.Critical:
        spr[SPR.CSRR0] = srr0;
        spr[SPR.CSRR1] = msr;
        keep = MSR.ME;
        break;
      case IntClass.MachineCheck:
        if ((msr & MSR.ME) === 0) {
          // Book E: a machine check while MSR[ME] = 0 puts the processor in
          // the checkstop state instead of taking the interrupt.
          this.exit = CoreExit.Checkstop;
          this.nip = this.pc;
          this.sliceEnd = 0;
          return;
        }
        spr[SPR.MCSRR0] = srr0;
        spr[SPR.MCSRR1] = msr;
        keep = 0;
        break;
      default:
        if ((spr[SPR.HID0] & HID0_DAPUEN) !== 0) {
          spr[SPR.DSRR0] = srr0;
          spr[SPR.DSRR1] = msr;
        } else {
          spr[SPR.CSRR0] = srr0;
          spr[SPR.CSRR1] = msr;
        }
        keep = MSR.ME;
        break;
    }
    this.setMsr(msr & keep);
    this.waiting = false;
    this.nip = (spr[SPR.IVPR] & 0xffff0000) | (this.ivor(ivor) & 0xfff0);
    this.sliceEnd = 0;
    if (cls === IntClass.Base && this.guestDebug) debugIrpt(this);
  }

  ivor(n: number): number {
    if (n < 16) return this.spr[SPR.IVOR0 + n];
    if (n <= 37) return this.spr[SPR.IVOR32 + (n - 32)];
    return this.spr[SPR.IVOR38 + (n - 38)];
  }

  /** Program interrupt with the given ESR bits (illegal, privileged, trap, FP, unimplemented). */
  raiseProgram(esr: number): void {
    this.spr[SPR.ESR] = esr;
    this.interrupt(IVOR.PROGRAM, this.pc, IntClass.Base);
    this.abort = true;
  }

  raiseFpUnavailable(): void {
    this.interrupt(IVOR.FP_UNAVAILABLE, this.pc, IntClass.Base);
    this.abort = true;
  }

  /**
   * The highest-priority enabled asynchronous interrupt, delivered now.
   * Returns true if one was taken.
   */
  deliverAsync(): boolean {
    const msr = this.msr;
    if (this.mcheckPending && (msr & MSR.ME) !== 0) {
      this.mcheckPending = false;
      this.interrupt(IVOR.MACHINE_CHECK, this.nip, IntClass.MachineCheck);
      return true;
    }
    if ((msr & MSR.CE) !== 0) {
      if (this.critLevel) {
        this.interrupt(IVOR.CRITICAL, this.nip, IntClass.Critical);
        return true;
      }
      const spr = this.spr;
      if ((spr[SPR.TSR] & TSR.WIS) !== 0 && (spr[SPR.TCR] & TCR.WIE) !== 0) {
        this.interrupt(IVOR.WATCHDOG, this.nip, IntClass.Critical);
        return true;
      }
    }
    if ((msr & MSR.EE) !== 0) {
      if (this.extLevel || this.extEdge) {
        // An edge-triggered request is consumed by its delivery; a level stays.
        this.extEdge = false;
        this.interrupt(IVOR.EXTERNAL, this.nip, IntClass.Base);
        if (this.eprEnabled) {
          // External proxy: the interrupt is taken, and the vector (EPR) comes
          // from userspace before the handler runs (KVM_EXIT_EPR).
          this.eprPending = true;
          this.exit = CoreExit.Epr;
        }
        return true;
      }
      const spr = this.spr;
      const tsr = spr[SPR.TSR], tcr = spr[SPR.TCR];
      if ((tsr & TSR.FIS) !== 0 && (tcr & TCR.FIE) !== 0) {
        this.interrupt(IVOR.FIT, this.nip, IntClass.Base);
        return true;
      }
      if ((tsr & TSR.DIS) !== 0 && (tcr & TCR.DIE) !== 0) {
        this.interrupt(IVOR.DECREMENTER, this.nip, IntClass.Base);
        return true;
      }
    }
    return false;
  }

  /** True if any asynchronous interrupt condition is pending, enabled or not (ends a wait). */
  anyAsyncPending(): boolean {
    const tsr = this.spr[SPR.TSR], tcr = this.spr[SPR.TCR];
    return this.extLevel || this.extEdge || this.critLevel || this.mcheckPending ||
      ((tsr & TSR.DIS) !== 0 && (tcr & TCR.DIE) !== 0) ||
      ((tsr & TSR.FIS) !== 0 && (tcr & TCR.FIE) !== 0) ||
      ((tsr & TSR.WIS) !== 0 && (tcr & TCR.WIE) !== 0);
  }

  // ---- the loop ----

  /**
   * Run until an exit or until about `budget` instructions have retired.
   * Returns the exit (CoreExit.None when the budget ran out).
   */
  execute(budget: number): CoreExit {
    this.exit = CoreExit.None;
    const stopAt = this.icount + budget;
    const timers = this.timers;
    // Slices that retire nothing (every instruction faults, e.g. a vector in
    // unmapped memory) still count against the budget, so the caller gets
    // control back (kicks, time slices) even in an interrupt storm.
    let stalls = 0;
    while (this.icount < stopAt) {
      const now = timers.update();
      if (timers.watchdogExpired) {
        this.exit = CoreExit.Watchdog;
        return this.exit;
      }
      if (this.deliverAsync()) {
        this.pc = this.nip;
        this.abort = false;
      }
      if (this.exit !== CoreExit.None) return this.exit;
      if (this.waiting) {
        if (this.anyAsyncPending()) {
          // A masked condition ends the wait; execution goes on after `wait`.
          this.waiting = false;
          this.msr &= ~MSR.WE;
        } else {
          this.exit = CoreExit.Wait;
          return this.exit;
        }
      }
      let n = stopAt - this.icount;
      if (n > DEFAULT_SLICE) n = DEFAULT_SLICE;
      const untilEvent = timers.insnsUntilEvent(now);
      if (n > untilEvent) n = untilEvent < 1 ? 1 : untilEvent;
      const before = this.icount;
      if (this.debug.active || this.guestDebug) this.runSliceDebug(n);
      else this.runSlicePages(n);
      if (this.exit !== CoreExit.None) return this.exit;
      if (this.icount !== before) stalls = 0;
      else if (++stalls >= budget) break;
    }
    return this.exit;
  }

  /** The hot loop. Keep it small: it is what the JIT will replace. */
  runSlice(n: number): void {
    const tc = this.tc;
    const primary = this.decoder.primary;
    let pc = this.pc;
    let i = 0;
    this.sliceEnd = n;
    while (i < this.sliceEnd) {
      let w: number;
      this.pc = pc;
      if (((pc ^ tc.fetchVa) & 0xfffff000) === 0 && tc.fetchCtx === tc.ictx) {
        w = tc.fetchView!.getInt32(tc.fetchOff + (pc & 0xfff));
      } else {
        w = tc.fetchSlow(pc);
        if (this.abort) {
          // ISI/ITLB, or an instruction fetch from MMIO.
          this.abort = false;
          pc = this.nip;
          break;
        }
      }
      this.nip = (pc + 4) | 0;
      primary[w >>> 26](this, w);
      pc = this.nip;
      i++;
    }
    if (this.abort) {
      this.abort = false;
      i--;
    }
    this.pc = pc;
    this.icount += i;
  }

  /**
   * The loop over the decoded-instruction cache (exec/pages.ts): the fetch
   * translation is checked once per page entry through the fetch entries of
   * the translation cache, then the translated region that starts at the
   * address (src/core/jit), or the page interpreter (exec/interp.ts), runs
   * until the code leaves it or the slice ends. Code whose entry has been
   * taken `jitThreshold` times is translated here.
   */
  runSlicePages(n: number): void {
    const tc = this.tc;
    const xTag = tc.xTag, xCode = tc.xCode;
    const interpret = this.interpret;
    const stats = this.translator.stats;
    let pc = this.pc;
    let i = 0;
    this.sliceEnd = n;
    // Whether the last entry ran translated code (statistics: region to region).
    let fromRegion = false;
    // The page the last entry was in: within a slice a virtual page keeps
    // its translation (whatever could change it ends the slice).
    let lastBase = 1, lastPage: CodePage | undefined;
    while (i < this.sliceEnd) {
      this.pc = pc;
      let page: CodePage | undefined;
      if ((pc & -4096) === lastBase) {
        page = lastPage;
      } else {
        const x = (pc >>> 12) & TC_MASK;
        page = xTag[x] === ((pc & 0xfffff000) | tc.ictx) ? xCode[x] : tc.enterPage(pc);
        if (page !== undefined) {
          lastBase = pc & -4096;
          lastPage = page;
        }
      }
      if (page === undefined) {
        if (this.abort) {
          // ISI or ITLB error on the fetch.
          this.abort = false;
          pc = this.nip;
          continue;
        }
        // Not executable from the cache (little-endian page, MMIO): one instruction at a time.
        fromRegion = false;
        const before = this.icount, end = this.sliceEnd;
        this.runSlice(1);
        i += this.icount - before;
        this.icount = before;
        if (this.sliceEnd !== 0) this.sliceEnd = end;
        pc = this.pc;
        if (this.exit !== CoreExit.None) break;
        continue;
      }
      const o = (pc >>> 2) & 1023;
      const regions = page.regions;
      let fn = regions !== null ? regions[o] : null;
      if (fn === null && page.heat[o] >= this.jitThreshold && this.jitThreshold !== JIT_NEVER) fn = this.translateAt(page, o, pc & -4096);
      if (fn !== null) {
        const k = fn(this, this.sliceEnd - i);
        if (k !== 0) {
          stats.runs++;
          stats.ran += k;
          if (fromRegion) stats.chained++;
          fromRegion = true;
          i += k;
          pc = this.nip;
          continue;
        }
        stats.declined++;
      }
      fromRegion = false;
      const k = interpret(this, page, this.sliceEnd - i);
      i += k;
      pc = this.nip;
    }
    if (this.abort) {
      this.abort = false;
      i--;
    }
    this.pc = pc;
    this.icount += i;
  }

  /**
   * Translate the region entered at word `o` of `page` (virtual page `base`)
   * and keep it there. A translation that fails (a translator bug: it is
   * counted and its message kept, `JitStats`) leaves the code to the
   * interpreter for good; the guest runs on.
   */
  private translateAt(page: CodePage, o: number, base: number): RegionFn | null {
    let fn: RegionFn;
    try {
      fn = this.translator.translate(this, page, o, base);
    } catch (e) {
      this.translator.failed(e);
      page.heat[o] = -0x80000000;
      return null;
    }
    if (page.regions === null) page.regions = new Array<RegionFn | null>(1024).fill(null);
    page.regions[o] = fn;
    return fn;
  }

  /** The loop with host debug checks (breakpoints, single step) before and after each instruction. */
  runSliceDebug(n: number): void {
    const tc = this.tc;
    const primary = this.decoder.primary;
    const dbg = this.debug;
    let pc = this.pc;
    let i = 0;
    this.sliceEnd = n;
    while (i < this.sliceEnd) {
      // The instruction a resumed vCPU stopped at runs once without
      // re-triggering its breakpoint or watchpoint.
      const resuming = dbg.resumeOver(pc);
      if (!resuming && dbg.hwBreakAt(pc)) {
        this.debugExit(pc, 1);
        break;
      }
      dbg.resumePc = -1;
      this.pc = pc;
      const w = tc.fetch(pc);
      if (this.abort) {
        this.abort = false;
        pc = this.nip;
        break;
      }
      const flags = this.guestDebug ? this.decoder.lookup(w)?.flags ?? 0 : 0;
      if (this.guestDebug && debugBefore(this, pc, flags)) {
        pc = this.nip;
        break;
      }
      this.nip = (pc + 4) | 0;
      dbg.skipWatch = resuming;
      primary[w >>> 26](this, w);
      dbg.skipWatch = false;
      if (this.guestDebug && !this.abort && this.exit === CoreExit.None) debugAfter(this, pc, flags);
      pc = this.nip;
      i++;
      if (this.exit !== CoreExit.None) break;
      if (dbg.singleStep && !this.abort) {
        this.pc = pc;
        this.debugExit(pc, 0);
        break;
      }
    }
    if (this.abort) {
      this.abort = false;
      i--;
    }
    this.pc = pc;
    this.icount += i;
  }

  /**
   * Resume after an MMIO exit: execute the interrupted instruction again with
   * the completed accesses replayed from the log (`data`: what userspace
   * answered to a read; null after a write).
   */
  replayMmio(data: Uint8Array | null): CoreExit {
    if (data !== null) this.mmioLog.set(data, this.mmioLogLen * 8);
    this.mmioLogLen++;
    this.mmioLogPos = 0;
    this.exit = CoreExit.None;
    if (this.debug.active || this.guestDebug) {
      // Debug events of the completed instruction still happen; a host
      // breakpoint on it has already been reported.
      this.debug.resumePc = this.pc;
      this.runSliceDebug(1);
    } else {
      this.runSlice(1);
    }
    this.mmioLogPos = 0;
    if ((this.exit as CoreExit) !== CoreExit.Mmio) this.mmioLogLen = 0;
    return this.exit;
  }

  /** Leave the core for the host debugger at `pc` (instruction not executed). */
  debugExit(pc: number, status: number): void {
    this.debugExitPc = pc;
    this.debugExitStatus = status;
    this.exit = CoreExit.Debug;
    this.sliceEnd = 0;
  }

  /** Leave the core with an emulation failure (the instruction at pc is not executed). */
  failInternal(message: string): void {
    this.internalError = message;
    this.exit = CoreExit.Internal;
    this.nip = this.pc;
    this.abort = true;
    this.sliceEnd = 0;
  }
}

/** Host-side debugging state (KVM_SET_GUEST_DEBUG): single step and hardware breakpoints. */
export class HostDebug {
  active = false;
  singleStep = false;
  swBreak = false;
  /** Hardware breakpoint addresses (instruction). */
  hwBreaks: number[] = [];
  /**
   * Data watchpoints (kind bits: WATCH_READ, WATCH_WRITE). While any exist the
   * translation cache is disabled, so every data access takes the slow path
   * in mem.ts, which checks them before the access.
   */
  watch: { addr: number; len: number; kind: number }[] = [];
  /** The address a resumed vCPU must execute once without re-triggering its breakpoint. */
  resumePc = -1;
  /** Set while the instruction being executed must not trigger watchpoints (resumed, or replayed after MMIO). */
  skipWatch = false;
  /** The watchpoint address of the last watchpoint exit. */
  watchHitAddr = 0;

  hwBreakAt(pc: number): boolean {
    const b = this.hwBreaks;
    for (let k = 0; k < b.length; k++) if (b[k] === pc) return true;
    return false;
  }
  resumeOver(pc: number): boolean {
    return this.resumePc === pc;
  }
  update(): void {
    this.active = this.singleStep || this.hwBreaks.length > 0 || this.watch.length > 0;
  }
  /** The index of a watchpoint of `kind` that the access [ea, ea + size) touches, or -1. */
  watchAt(ea: number, size: number, kind: number): number {
    const w = this.watch;
    const lo = ea >>> 0;
    for (let k = 0; k < w.length; k++) {
      const p = w[k];
      if ((p.kind & kind) === 0) continue;
      // Overlap of [lo, lo + size) and [addr, addr + len), without wrapping at 2^32.
      if (lo < p.addr + p.len && p.addr < lo + size) return k;
    }
    return -1;
  }
}
