// A vCPU handle: KVM's vCPU ioctls as methods. The vCPU runs in the thread
// that calls run(); other threads reach it only through the shared run
// structure (kick, interrupt lines).

import { CoreExit, type Cpu } from '../core/cpu.js';
import { InstructionClock } from '../core/clock.js';
import { Access, WALK_DENIED, WALK_MISS } from '../core/mmu/tcache.js';
import {
  Cap, ExitReason, InternalError, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW_BP, KVM_GUESTDBG_USE_SW_BP, KVM_INTERRUPT_SET, KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET, KVMPPC_DEBUG_BREAKPOINT, KVMPPC_DEBUG_NONE,
} from './constants.js';
import { fail } from './errors.js';
import { applyDirty, checkConfig, type KvmConfigTlb } from './swtlb.js';
import { readRegs, writeRegs, type KvmRegs } from './regs.js';
import { KvmRun, RunOff, RUN_SIZE, Word } from './run.js';

/** Instructions per core call between checks of the kick word and interrupt lines. */
const CHUNK = 65536;

/** ePAPR hypercall numbers handled in the "kernel" (KVM_HC_FEATURES in KVM's numbering). */
const KVM_HC_FEATURES = 0x42000003 | 0; // KVM_HCALL_TOKEN(3): vendor KVM (42) function 3
const EV_UNIMPLEMENTED = 12;

export interface GuestDebug {
  control: number;
  /** Hardware breakpoint addresses (with KVM_GUESTDBG_USE_HW_BP). */
  hwBreakpoints?: number[];
}

export interface TranslationResult {
  physicalAddress: number;
  valid: boolean;
  writeable: boolean;
}

export class Vcpu {
  readonly run_: KvmRun;
  private pendingMmioRead = false;
  private pendingMmio = false;
  private haltExit = false;
  private timesliceMs = 0;
  private exitHypercall = false;
  private watchdogCap = false;
  private destroyed = false;

  constructor(readonly id: number, readonly core: Cpu, runBuffer: SharedArrayBuffer) {
    this.run_ = new KvmRun(runBuffer);
  }

  /** The run structure (KVM: mmap of the vCPU fd). */
  get runStructure(): KvmRun { return this.run_; }
  get runBuffer(): SharedArrayBuffer { return this.run_.buffer; }
  static get runSize(): number { return RUN_SIZE; }

  // ---- registers ----

  getRegs(): KvmRegs {
    this.alive();
    return readRegs(this.core);
  }

  setRegs(regs: KvmRegs): void {
    this.alive();
    writeRegs(this.core, regs);
    // New registers void an unfinished MMIO instruction (it is not re-executed).
    this.pendingMmio = false;
    this.core.mmioLogLen = 0;
  }

  /** FPRs as raw 64-bit values (struct kvm_fpu) and FPSCR. */
  getFpu(): { fpr: bigint[]; fpscr: number } {
    this.alive();
    const w = this.core.fprw;
    const fpr: bigint[] = [];
    for (let i = 0; i < 32; i++) fpr.push((BigInt(w[2 * i + 1]) << 32n) | BigInt(w[2 * i]));
    return { fpr, fpscr: this.core.fpscr >>> 0 };
  }

  // ---- interrupts ----

  /** KVM_INTERRUPT: KVM_INTERRUPT_SET, KVM_INTERRUPT_UNSET or KVM_INTERRUPT_SET_LEVEL for the external input. */
  interrupt(irq: number): void {
    this.alive();
    if (irq === KVM_INTERRUPT_SET || irq === KVM_INTERRUPT_SET_LEVEL) this.setLine(0, true);
    else if (irq === KVM_INTERRUPT_UNSET) this.setLine(0, false);
    else fail('EINVAL', `unknown interrupt request ${irq}`);
  }

  /** Set an input line level (0 external, 1 critical, 2 machine check). */
  setLine(line: number, level: boolean): void {
    const words = this.run_.words;
    if ((Atomics.exchange(words, Word.LINE_EXTERNAL + line, level ? 1 : 0) !== 0) !== level) {
      Atomics.add(words, Word.WAKE, 1);
      Atomics.notify(words, Word.WAKE);
    }
  }

  // ---- capabilities ----

  /**
   * KVM_ENABLE_CAP on the vCPU. `args` are the capability's numeric
   * arguments; KVM_CAP_SW_TLB takes its struct kvm_config_tlb instead.
   */
  enableCap(cap: number, args: readonly number[] | KvmConfigTlb = []): void {
    this.alive();
    if (cap === Cap.SW_TLB) {
      const array = checkConfig(args as KvmConfigTlb);
      this.core.tlb.attach(array);
      this.core.tc.flush();
      return;
    }
    if (!Array.isArray(args)) fail('EINVAL', `capability ${cap} takes numeric arguments`);
    switch (cap) {
      case Cap.TKVM_HALT_EXIT: this.haltExit = (args[0] ?? 1) !== 0; return;
      case Cap.TKVM_RUN_TIMESLICE: {
        const us = args[0] ?? 0;
        if (!Number.isInteger(us) || us < 0) fail('EINVAL', 'timeslice must be a non-negative number of microseconds');
        this.timesliceMs = us / 1000;
        return;
      }
      case Cap.EXIT_HYPERCALL: this.exitHypercall = (args[0] ?? 1) !== 0; return;
      case Cap.PPC_BOOKE_WATCHDOG: this.watchdogCap = true; return;
      case Cap.PPC_EPR: this.core.eprEnabled = (args[0] ?? 1) !== 0; return;
      case Cap.TKVM_ICOUNT_CLOCK: {
        const ticksPerInsn = args[0] ?? 0.4;
        if (!(ticksPerInsn > 0)) fail('EINVAL', 'ticks per instruction must be positive');
        this.core.timers.clock = new InstructionClock(this.core.timers.clock.hz, ticksPerInsn);
        this.core.timers.reset();
        return;
      }
      default: fail('EINVAL', `capability ${cap} cannot be enabled on a vCPU`);
    }
  }

  /** KVM_DIRTY_TLB: userspace changed the entries marked in `bitmap` (little-endian bits; null: all). */
  dirtyTlb(bitmap: Uint8Array | null, numDirty: number): void {
    this.alive();
    applyDirty(this.core, bitmap, numDirty);
  }

  // ---- debugging ----

  setGuestDebug(dbg: GuestDebug): void {
    this.alive();
    const known = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP;
    if ((dbg.control & ~known) !== 0) fail('EINVAL', `unknown guest debug flags 0x${(dbg.control & ~known).toString(16)}`);
    const hw = dbg.hwBreakpoints ?? [];
    if (hw.length > 4) fail('EINVAL', 'at most 4 hardware breakpoints');
    const d = this.core.debug;
    const on = (dbg.control & KVM_GUESTDBG_ENABLE) !== 0;
    d.singleStep = on && (dbg.control & KVM_GUESTDBG_SINGLESTEP) !== 0;
    d.swBreak = on && (dbg.control & KVM_GUESTDBG_USE_SW_BP) !== 0;
    d.hwBreaks = on && (dbg.control & KVM_GUESTDBG_USE_HW_BP) !== 0 ? hw.map((a) => a | 0) : [];
    d.update();
  }

  // ---- address translation (KVM_TRANSLATE) ----

  translate(gva: number): TranslationResult {
    this.alive();
    const c = this.core;
    const msr = c.msr;
    const as = (msr >>> 4) & 1, pr = (msr >>> 14) & 1, pid = c.spr[48] & 0xff;
    const pa = c.tc.walk(gva | 0, as, pid, pr, Access.Load);
    if (pa === WALK_MISS) return { physicalAddress: 0, valid: false, writeable: false };
    const pa2 = pa === WALK_DENIED ? -1 : pa;
    const w = c.tc.walk(gva | 0, as, pid, pr, Access.Store);
    return { physicalAddress: pa2 < 0 ? 0 : pa2, valid: pa2 >= 0, writeable: w >= 0 };
  }

  // ---- running ----

  /**
   * KVM_RUN. Returns the exit reason (also in the run structure). A kick or
   * immediate_exit gives ExitReason.INTR (KVM's -EINTR).
   */
  run(): number {
    this.alive();
    const c = this.core;
    const r = this.run_;
    const words = r.words;
    if (r.immediateExit !== 0) return this.exitWith(ExitReason.INTR);
    if (this.pendingMmio) {
      this.pendingMmio = false;
      const data = this.pendingMmioRead ? r.mmioData.slice(0, c.mmioLen) : null;
      const exit = c.replayMmio(data);
      if (exit !== CoreExit.None) return this.coreExit(exit);
      if (c.debug.singleStep) {
        c.debugExit(c.pc, 0);
        return this.coreExit(CoreExit.Debug);
      }
    }
    if (c.hcallPending) {
      c.hcallPending = false;
      c.gpr[3] = r.hypercallRet | 0;
    }
    if (c.eprPending) c.spr[702] = r.epr;
    c.debug.resumePc = c.debug.hwBreaks.length > 0 ? c.pc : -1;
    const start = this.timesliceMs > 0 ? performance.now() : 0;
    for (;;) {
      c.extLevel = Atomics.load(words, Word.LINE_EXTERNAL) !== 0;
      c.critLevel = Atomics.load(words, Word.LINE_CRITICAL) !== 0;
      if (Atomics.load(words, Word.LINE_MCHECK) !== 0) {
        c.mcheckPending = true;
        Atomics.store(words, Word.LINE_MCHECK, 0);
      }
      if (Atomics.exchange(words, Word.KICK, 0) !== 0) return this.exitWith(ExitReason.INTR);
      const exit = c.execute(CHUNK);
      if (exit === CoreExit.None) {
        if (this.timesliceMs > 0 && performance.now() - start >= this.timesliceMs) return this.exitWith(ExitReason.INTR);
        continue;
      }
      if (exit === CoreExit.Wait) {
        if (this.idle()) return this.exitWith(ExitReason.HLT);
        continue;
      }
      if (exit === CoreExit.Hcall && this.hcallInKernel()) continue;
      if (exit === CoreExit.Watchdog && !this.watchdogCap) {
        c.timers.watchdogExpired = false;
        continue;
      }
      return this.coreExit(exit);
    }
  }

  /**
   * The guest waits. With TKVM_CAP_HALT_EXIT, report KVM_EXIT_HLT (true);
   * otherwise sleep until the next timer event, a line change or a kick.
   */
  private idle(): boolean {
    const c = this.core;
    const timers = c.timers;
    const next = timers.nextEvent();
    const clock = timers.clock;
    if (clock instanceof InstructionClock) {
      // Deterministic time: jump to the next event instead of sleeping.
      if (next !== Infinity) {
        c.icount = Math.max(c.icount, clock.icountAt(next));
        return false;
      }
    }
    const ms = next === Infinity ? Infinity : clock.msUntil(next, c.icount);
    if (this.haltExit) {
      const ns = ms === Infinity ? 0xffffffffffffffffn : BigInt(Math.ceil(ms * 1e6));
      this.run_.dv.setBigUint64(RunOff.HLT_WAKEUP_NS, ns);
      return true;
    }
    const words = this.run_.words;
    const gen = Atomics.load(words, Word.WAKE);
    if (this.anyLine() || Atomics.load(words, Word.KICK) !== 0) return false;
    if (ms > 0) Atomics.wait(words, Word.WAKE, gen, ms === Infinity ? undefined : ms);
    return false;
  }

  private anyLine(): boolean {
    const w = this.run_.words;
    return Atomics.load(w, Word.LINE_EXTERNAL) !== 0 || Atomics.load(w, Word.LINE_CRITICAL) !== 0 ||
      Atomics.load(w, Word.LINE_MCHECK) !== 0;
  }

  /** Hypercalls the "kernel" answers itself; true if handled. */
  private hcallInKernel(): boolean {
    const c = this.core;
    const nr = c.gpr[11];
    if (nr === KVM_HC_FEATURES) {
      c.hcallPending = false;
      c.gpr[3] = 0;
      c.gpr[4] = 0;
      return true;
    }
    if (!this.exitHypercall) {
      c.hcallPending = false;
      c.gpr[3] = EV_UNIMPLEMENTED;
      return true;
    }
    return false;
  }

  private coreExit(exit: CoreExit): number {
    const c = this.core;
    const r = this.run_;
    const dv = r.dv;
    switch (exit) {
      case CoreExit.Mmio:
        dv.setBigUint64(RunOff.MMIO_PHYS_ADDR, BigInt(c.mmioPa));
        r.u8.fill(0, RunOff.MMIO_DATA, RunOff.MMIO_DATA + 8);
        if (c.mmioIsWrite) r.u8.set(c.mmioData.subarray(0, c.mmioLen), RunOff.MMIO_DATA);
        dv.setUint32(RunOff.MMIO_LEN, c.mmioLen);
        dv.setUint8(RunOff.MMIO_IS_WRITE, c.mmioIsWrite ? 1 : 0);
        this.pendingMmio = true;
        this.pendingMmioRead = !c.mmioIsWrite;
        return this.exitWith(ExitReason.MMIO);
      case CoreExit.Debug:
        dv.setBigUint64(RunOff.DEBUG_ADDRESS, BigInt(c.debugExitPc >>> 0));
        dv.setUint32(RunOff.DEBUG_STATUS, c.debugExitStatus === 0 ? KVMPPC_DEBUG_NONE : KVMPPC_DEBUG_BREAKPOINT);
        return this.exitWith(ExitReason.DEBUG);
      case CoreExit.Hcall:
        dv.setBigUint64(RunOff.HYPERCALL_NR, BigInt(c.gpr[11] >>> 0));
        for (let i = 0; i < 6; i++) dv.setBigUint64(RunOff.HYPERCALL_ARGS + 8 * i, BigInt(c.gpr[3 + i] >>> 0));
        dv.setBigUint64(RunOff.HYPERCALL_RET, 0n);
        return this.exitWith(ExitReason.HYPERCALL);
      case CoreExit.Watchdog:
        c.timers.watchdogExpired = false;
        return this.exitWith(ExitReason.WATCHDOG);
      case CoreExit.Epr:
        dv.setUint32(RunOff.EPR, 0);
        return this.exitWith(ExitReason.EPR);
      case CoreExit.Internal:
      default:
        dv.setUint32(RunOff.INTERNAL_SUBERROR, InternalError.EMULATION);
        dv.setUint32(RunOff.INTERNAL_NDATA, 1);
        dv.setBigUint64(RunOff.INTERNAL_DATA, BigInt(c.pc >>> 0));
        return this.exitWith(ExitReason.INTERNAL_ERROR);
    }
  }

  private exitWith(reason: number): number {
    this.run_.exitReason = reason;
    return reason;
  }

  /** The message of the last internal error (tkvm extension: KVM only has the sub-error). */
  get internalErrorMessage(): string { return this.core.internalError; }

  destroy(): void { this.destroyed = true; }

  private alive(): void {
    if (this.destroyed) fail('EBADF', 'vCPU was destroyed');
  }
}
