// A vCPU handle: KVM's vCPU ioctls as methods. The vCPU runs in the thread
// that calls run(); other threads reach it only through the shared run
// structure (kick, interrupt inputs; see run.ts).

import { CoreExit, JIT_NEVER, type Cpu } from '../core/cpu.js';
import { InstructionClock } from '../core/clock.js';
import { WATCH_READ_STATUS, WATCH_WRITE_STATUS } from '../core/mem.js';
import { Access, WALK_DENIED, WALK_MISS } from '../core/mmu/tcache.js';
import { MAS, MSR } from '../core/regbits.js';
import { SPR } from '../core/spr.js';
import { hex, u64 } from './check.js';
import {
  Cap, EV_EPAPR_VENDOR_ID, EV_IDLE, EV_KVM_VENDOR_ID, EV_SUCCESS, EV_UNIMPLEMENTED, evHcallToken, ExitReason,
  InternalError, KVM_HC_FEATURES, KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES, KVM_SYNC_PPC_REGS,
  KVM_MP_STATE_HALTED, KVM_MP_STATE_RUNNABLE, KVMPPC_DEBUG_BREAKPOINT, KVMPPC_DEBUG_NONE, KVMPPC_DEBUG_WATCH_READ, KVMPPC_DEBUG_WATCH_WRITE, SystemEvent,
} from './constants.js';
import { setGuestDebug, type GuestDebug } from './debug.js';
import { fail } from './errors.js';
import { getOneReg, REG_LIST, setOneReg, type OneRegVcpu, type RegValue } from './onereg.js';
import { decodeRegs, encodeRegs, readRegs, writeRegs, type KvmRegs } from './regs.js';
import { interruptRun, KvmRun, RunOff, RUN_SIZE, setRunLine, Word } from './run.js';
import { getSregs, setSregs, type KvmSregs } from './sregs.js';
import { GuestTlb, type KvmConfigTlb, type TlbSyncScope } from './swtlb.js';

/** Instructions per core call between looks at the run structure's words. */
const CHUNK = 65536;

const HC_FEATURES = evHcallToken(EV_KVM_VENDOR_ID, KVM_HC_FEATURES);
const HC_IDLE = evHcallToken(EV_EPAPR_VENDOR_ID, EV_IDLE);

/** e500mc MCSR[MCP]: the machine check input was asserted. */
const MCSR_MCP = 0x80000000 | 0;

/** struct kvm_translation's outputs. */
export interface TranslationResult {
  physicalAddress: number;
  valid: boolean;
  /** tkvm: the entry allows a supervisor or user store (KVM leaves this 0 on Book E). */
  writeable: boolean;
  /** tkvm: the entry allows some user-mode access (KVM leaves this 0 on Book E). */
  usermode: boolean;
}

/** struct kvm_reg_list: `n` in and out, the ids in `reg`. */
export interface KvmRegList {
  n: number;
  reg: BigUint64Array;
}

/** What the vCPU needs from its VM. */
export interface VcpuHost {
  readonly destroyed: boolean;
  /** KVM_CAP_EXIT_HYPERCALL bits enabled on the VM. */
  readonly exitHypercall: number;
  hasMemory(): boolean;
}

/**
 * The core behind a vCPU, for the hypervisor's own modules (vm.ts) and for
 * tests: userspace never sees it (the Vcpu it gets has no such member, and
 * scripts/check-boundary.mjs keeps it from importing this module).
 */
const CORES = new WeakMap<Vcpu, Cpu>();
export function coreOf(v: Vcpu): Cpu {
  return CORES.get(v)!;
}

/** TKVM_GET_JIT_STATS: the translator's counters for one vCPU (docs/api.md). */
export interface JitStats {
  /** Instructions run from an entry into code before it is translated (TKVM_CAP_JIT; 0: never, 1: at once). */
  threshold: number;
  /** Regions translated, the guest instructions and JavaScript source bytes in them. */
  regions: number;
  instructions: number;
  sourceBytes: number;
  /** Milliseconds spent generating and compiling source (V8 optimizes it later, in the background). */
  translateMs: number;
  /** Entries into translated code that had to interpret instead (a block did not fit the remaining budget). */
  declined: number;
  /** Decoded pages with translations dropped (stores to code, icbi, host writes). */
  invalidations: number;
  /** Translations that failed (a tkvm bug: that code is interpreted instead), and the last failure's message. */
  failures: number;
  lastFailure: string;
  /** Instructions the vCPU has run (TKVM_ICOUNT), and how many of them ran in translated code. */
  icount: number;
  translatedInstructions: number;
  /** Entries into translated code that ran, and those that came straight from other translated code (through the dispatcher: no chaining). */
  regionRuns: number;
  regionToRegion: number;
  /** Translated code left before a load or store that the translation cache did not serve (the interpreter runs it). */
  regionMissExits: number;
  /**
   * The translation cache (effective page to guest memory, per access kind
   * and translation context): accesses it did not serve (a miss, MMIO, an
   * access crossing a page, a store to a page with code), entries into a code
   * page it did not serve, and flushes (context switches, TLB changes).
   */
  tlbCacheLoadMisses: number;
  tlbCacheStoreMisses: number;
  tlbCacheFetchMisses: number;
  tlbCacheFlushes: number;
}

export class Vcpu {
  readonly run_: KvmRun;
  /** The shared TLB (KVM_CAP_SW_TLB) and its synchronization. */
  private readonly gtlb: GuestTlb;
  private pendingMmio = false;
  private pendingMmioRead = false;
  private haltExit = false;
  private timesliceMs = 0;
  private watchdogCap = false;
  private destroyed = false;
  /** The WAKE generation whose input changes this vCPU has taken in. */
  private seenWake = -1;
  /** KVM_SYNC_PPC_REGS requested for this run. */
  private syncRegsOut = false;
  /** vCPU registers the API keeps itself (TKVM_ICOUNT_DEADLINE). */
  private readonly regx: OneRegVcpu = { icountDeadline: Infinity };

  constructor(readonly id: number, private readonly core: Cpu, runBuffer: SharedArrayBuffer, private readonly host: VcpuHost) {
    CORES.set(this, core);
    this.run_ = new KvmRun(runBuffer);
    this.gtlb = new GuestTlb(core);
  }

  /** The run structure (KVM: mmap of the vCPU fd). */
  get runStructure(): KvmRun { return this.run_; }
  get runBuffer(): SharedArrayBuffer { return this.run_.buffer; }
  static get runSize(): number { return RUN_SIZE; }

  // ---- registers ----

  /** KVM_GET_REGS. */
  getRegs(): KvmRegs {
    this.alive();
    return readRegs(this.core);
  }

  /** KVM_SET_REGS. */
  setRegs(regs: KvmRegs): void {
    this.alive();
    this.applyRegs(regs);
  }

  private applyRegs(regs: KvmRegs): void {
    const c = this.core;
    const pc = c.pc;
    writeRegs(c, regs);
    // An MMIO access still pending completes on the next run() by executing
    // its instruction again with the data userspace supplied; if userspace
    // moved the PC elsewhere, that instruction is abandoned.
    if (this.pendingMmio && c.pc !== pc) {
      this.pendingMmio = false;
      c.mmioLogLen = 0;
    }
  }

  /** KVM_GET_SREGS (Book E part, see sregs.ts). */
  getSregs(): KvmSregs {
    this.alive();
    return getSregs(this.core);
  }

  /** KVM_SET_SREGS. */
  setSregs(sregs: KvmSregs): void {
    this.alive();
    setSregs(this.core, sregs);
  }

  /** KVM_GET_ONE_REG: a number for a U32 id, a bigint for a U64 id. */
  getOneReg(id: bigint): RegValue {
    this.alive();
    return getOneReg(this.core, id, this.regx);
  }

  /** KVM_SET_ONE_REG. */
  setOneReg(id: bigint, value: RegValue): void {
    this.alive();
    setOneReg(this.core, id, value, this.regx);
  }

  /**
   * KVM_GET_REG_LIST. With a kvm_reg_list, fills it (E2BIG with `n` set to
   * the number needed if `reg` is too small); without, returns the ids.
   */
  getRegList(list?: KvmRegList): bigint[] {
    this.alive();
    if (list !== undefined) {
      if (list === null || typeof list !== 'object' || !(list.reg instanceof BigUint64Array)) {
        fail('EFAULT', 'kvm_reg_list must be { n, reg: BigUint64Array }');
      }
      if (!Number.isInteger(list.n) || list.n < 0 || list.n > list.reg.length) {
        fail('EFAULT', `kvm_reg_list.n ${String(list.n)} does not describe the reg array (${list.reg.length} entries)`);
      }
      if (list.n < REG_LIST.length) {
        list.n = REG_LIST.length;
        fail('E2BIG', `kvm_reg_list has room for fewer than the ${REG_LIST.length} registers`);
      }
      list.n = REG_LIST.length;
      list.reg.set(REG_LIST);
    }
    return [...REG_LIST];
  }

  /** KVM_GET_FPU: struct kvm_fpu, the FPRs as raw 64-bit values (FPSCR is KVM_REG_PPC_FPSCR). */
  getFpu(): { fpr: bigint[] } {
    this.alive();
    const w = this.core.fprw;
    const fpr: bigint[] = [];
    for (let i = 0; i < 32; i++) fpr.push((BigInt(w[2 * i + 1]) << 32n) | BigInt(w[2 * i]));
    return { fpr };
  }

  /** KVM_SET_FPU. */
  setFpu(fpu: { fpr: bigint[] }): void {
    this.alive();
    if (fpu === null || typeof fpu !== 'object') fail('EFAULT', 'kvm_fpu must be an object');
    for (const k of Object.keys(fpu)) if (k !== 'fpr') fail('EINVAL', `unknown field kvm_fpu.${k}`);
    if (!Array.isArray(fpu.fpr) || fpu.fpr.length !== 32) fail('EINVAL', 'kvm_fpu.fpr must have 32 entries');
    const v = fpu.fpr.map((x, i) => u64(x, `kvm_fpu.fpr[${i}]`));
    const w = this.core.fprw;
    for (let i = 0; i < 32; i++) {
      w[2 * i + 1] = Number(v[i] >> 32n);
      w[2 * i] = Number(v[i] & 0xffffffffn);
    }
  }

  /**
   * KVM_GET_MP_STATE (tkvm for Book E; KVM has it on x86, s390, arm64,
   * riscv): KVM_MP_STATE_HALTED while the guest waits (`wait`, MSR[WE],
   * EV_IDLE) for an interrupt, else KVM_MP_STATE_RUNNABLE.
   */
  getMpState(): { mpState: number } {
    this.alive();
    return { mpState: this.core.waiting ? KVM_MP_STATE_HALTED : KVM_MP_STATE_RUNNABLE };
  }

  /** KVM_SET_MP_STATE: RUNNABLE or HALTED (a checkpoint of a waiting guest restores it waiting). */
  setMpState(s: { mpState: number }): void {
    this.alive();
    if (s === null || typeof s !== 'object') fail('EFAULT', 'kvm_mp_state must be an object');
    for (const k of Object.keys(s)) if (k !== 'mpState') fail('EINVAL', `unknown field kvm_mp_state.${k}`);
    const v = s.mpState;
    if (v !== KVM_MP_STATE_RUNNABLE && v !== KVM_MP_STATE_HALTED) {
      fail('EINVAL', `kvm_mp_state.mp_state ${String(v)}: a Book E vCPU is RUNNABLE (0) or HALTED (3)`);
    }
    this.core.waiting = v === KVM_MP_STATE_HALTED;
    this.core.sliceEnd = 0;
  }

  // ---- interrupts ----

  /**
   * KVM_INTERRUPT: KVM_INTERRUPT_SET (edge: taken once), KVM_INTERRUPT_SET_LEVEL
   * (asserted until UNSET) or KVM_INTERRUPT_UNSET, on the external input.
   * Other threads use interruptRun(runBuffer, irq).
   */
  interrupt(irq: number): void {
    this.alive();
    interruptRun(this.run_.buffer, irq);
  }

  /** Set an input line level (0 external, 1 critical, 2 machine check); used by Vm.irqLine. */
  setLine(line: number, level: boolean): void {
    setRunLine(this.run_.buffer, line, level);
  }

  // ---- capabilities ----

  /**
   * KVM_ENABLE_CAP on the vCPU (struct kvm_enable_cap: cap, flags, args[4]).
   * KVM_CAP_SW_TLB takes its struct kvm_config_tlb instead of args (KVM: a
   * pointer to it in args[0]).
   */
  enableCap(cap: number, args: readonly number[] | KvmConfigTlb = [], flags = 0): void {
    this.alive();
    if (flags !== 0) fail('EINVAL', `kvm_enable_cap.flags must be 0 (got ${String(flags)})`);
    if (cap === Cap.SW_TLB) {
      this.gtlb.configure(args as KvmConfigTlb);
      return;
    }
    if (!Array.isArray(args) || args.length > 4) fail('EINVAL', `capability ${cap} takes up to 4 numeric arguments (kvm_enable_cap.args)`);
    const a = [0, 1, 2, 3].map((i) => {
      const v = args[i] ?? 0;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail('EINVAL', `kvm_enable_cap.args[${i}] must be a non-negative integer`);
      return v;
    });
    /** Arguments from `used` on must be zero: unknown arguments are rejected. */
    const only = (used: number): void => {
      for (let i = used; i < 4; i++) if (a[i] !== 0) fail('EINVAL', `capability ${cap} takes ${used} argument(s); args[${i}] must be 0`);
    };
    const flag = (what: string): boolean => {
      if (a[0] !== 0 && a[0] !== 1) fail('EINVAL', `${what}: args[0] must be 0 or 1`);
      return a[0] === 1;
    };
    const c = this.core;
    switch (cap) {
      case Cap.TKVM_HALT_EXIT:
        only(1);
        this.haltExit = flag('TKVM_CAP_HALT_EXIT');
        return;
      case Cap.TKVM_RUN_TIMESLICE:
        only(1);
        if (a[0] > 0xffffffff) fail('EINVAL', 'TKVM_CAP_RUN_TIMESLICE: args[0] (microseconds) must be a u32');
        this.timesliceMs = a[0] / 1000;
        return;
      case Cap.TKVM_LAZY_TLB:
        only(1);
        this.gtlb.setLazy(flag('TKVM_CAP_LAZY_TLB'));
        return;
      case Cap.TKVM_ICOUNT_CLOCK: {
        only(1);
        if (a[0] > 10) fail('EINVAL', 'TKVM_CAP_ICOUNT_CLOCK: args[0] is the shift N (2^N ns per instruction), 0 to 10');
        // Keep TB and the decrementer where they are; only the clock changes.
        const t = c.timers;
        const oldNow = t.update();
        const tb = oldNow + t.tbOffset;
        const decLeft = t.decExpiry - oldNow;
        t.clock = new InstructionClock(t.clock.hz, (t.clock.hz / 1e9) * Math.pow(2, a[0]));
        const now = t.now();
        t.tbOffset = tb - now;
        t.lastTb = tb;
        if (t.decRunning) t.decExpiry = now + decLeft;
        return;
      }
      case Cap.TKVM_JIT:
        only(1);
        if (a[0] > 0x7fffffff) fail('EINVAL', 'TKVM_CAP_JIT: args[0] (instructions before translation, 0: never) must be below 2^31');
        c.jitThreshold = a[0] === 0 ? JIT_NEVER : a[0] - 1;
        return;
      case Cap.PPC_BOOKE_WATCHDOG:
        only(0);
        this.watchdogCap = true;
        return;
      case Cap.PPC_EPR:
        only(1);
        c.eprEnabled = flag('KVM_CAP_PPC_EPR');
        return;
      case Cap.EXIT_HYPERCALL:
        fail('EINVAL', 'KVM_CAP_EXIT_HYPERCALL is a VM capability (KVM_ENABLE_CAP on the VM)');
      // eslint-disable-next-line no-fallthrough
      default:
        fail('EINVAL', `capability ${cap} cannot be enabled on a vCPU`);
    }
  }

  // ---- the shared TLB ----

  /** KVM_DIRTY_TLB: userspace changed the entries marked in `bitmap` (little-endian bits; null: all). */
  dirtyTlb(bitmap: Uint8Array | null, numDirty: number): void {
    this.alive();
    this.gtlb.dirty(bitmap, numDirty);
  }

  /**
   * TKVM_SYNC_TLB (TKVM_CAP_LAZY_TLB): copy the entries of `scope` that
   * changed since they were last synchronized into the shared array, mark
   * them in `changed` and return how many there were. Valid in both TLB modes.
   */
  syncTlb(scope?: TlbSyncScope, changed?: Uint8Array | null): number {
    this.alive();
    return this.gtlb.sync(scope, changed);
  }

  // ---- debugging ----

  /** KVM_SET_GUEST_DEBUG. */
  setGuestDebug(dbg: GuestDebug): void {
    this.alive();
    setGuestDebug(this.core, dbg);
  }

  // ---- address translation (KVM_TRANSLATE) ----

  /**
   * KVM_TRANSLATE as e500 KVM defines it: linear_address holds the effective
   * address in bits 0..31, the PID in bits 32..39 and the address space (TS)
   * in bit 40. A number or a bigint (both exact: it is at most 41 bits).
   */
  translate(linearAddress: number | bigint): TranslationResult {
    this.alive();
    let la: bigint;
    if (typeof linearAddress === 'number') {
      if (!Number.isSafeInteger(linearAddress) || linearAddress < 0) fail('EINVAL', `linear_address ${linearAddress} is not a u64`);
      la = BigInt(linearAddress);
    } else {
      la = u64(linearAddress, 'linear_address');
    }
    if (la >> 41n !== 0n) fail('EINVAL', `linear_address ${hex(la)}: only bits 0..40 (EA, PID, AS) have a meaning`);
    const ea = Number(la & 0xffffffffn) | 0;
    const pid = Number((la >> 32n) & 0xffn);
    const as = Number((la >> 40n) & 1n);
    const tlb = this.core.tlb;
    const i = tlb.lookup(ea, as, pid);
    if (i < 0) return { physicalAddress: 0, valid: false, writeable: false, usermode: false };
    const size = tlb.size(i);
    const off = size >= 0x100000000 ? ea >>> 0 : (ea & (size - 1)) >>> 0;
    const mas3 = tlb.mas3(i);
    return {
      physicalAddress: tlb.rpn(i) + off,
      valid: true,
      writeable: (mas3 & (MAS.MAS3_SW | MAS.MAS3_UW)) !== 0,
      usermode: (mas3 & (MAS.MAS3_UR | MAS.MAS3_UW | MAS.MAS3_UX)) !== 0,
    };
  }

  // ---- running ----

  /**
   * KVM_RUN. Returns the exit reason (also in the run structure). A kick or
   * immediate_exit gives KVM_EXIT_INTR (KVM's -EINTR with that reason).
   */
  run(): number {
    this.alive();
    const c = this.core;
    const r = this.run_;
    const dv = r.dv;
    if (!this.host.hasMemory()) fail('ENOEXEC', 'the VM has no memory: set a memory region before KVM_RUN');
    if (this.gtlb.badEntries.size > 0) {
      fail('EINVAL', `the shared TLB holds invalid entries (${[...this.gtlb.badEntries].join(', ')}); fix them and call KVM_DIRTY_TLB`);
    }
    // KVM_CAP_SYNC_REGS: registers in before anything else, as KVM does.
    const valid = dv.getUint32(RunOff.KVM_VALID_REGS + 4), dirty = dv.getUint32(RunOff.KVM_DIRTY_REGS + 4);
    if (dv.getUint32(RunOff.KVM_VALID_REGS) !== 0 || dv.getUint32(RunOff.KVM_DIRTY_REGS) !== 0 ||
      ((valid | dirty) & ~KVM_SYNC_PPC_REGS) !== 0) {
      fail('EINVAL', 'kvm_valid_regs/kvm_dirty_regs have bits other than KVM_SYNC_PPC_REGS');
    }
    if ((dirty & KVM_SYNC_PPC_REGS) !== 0) {
      this.applyRegs(decodeRegs(dv, RunOff.SYNC_REGS));
      dv.setUint32(RunOff.KVM_DIRTY_REGS + 4, 0);
    }
    this.syncRegsOut = (valid & KVM_SYNC_PPC_REGS) !== 0;

    // Complete what the last exit left to userspace (KVM's order: MMIO, then EPR).
    if (this.pendingMmio) {
      this.pendingMmio = false;
      if (this.pendingMmioRead) {
        const at = c.mmioLogLen * 8, n = c.mmioLen;
        for (let k = 0; k < n; k++) c.mmioLog[at + k] = r.u8[RunOff.MMIO_DATA + k];
      }
      c.debug.skipWatch = true;
      const exit = c.replayMmio(null);
      c.debug.skipWatch = false;
      if (exit !== CoreExit.None) return this.coreExit(exit);
      if (c.debug.singleStep) {
        c.debugExit(c.pc, 0);
        return this.coreExit(CoreExit.Debug);
      }
    }
    if (c.hcallPending) {
      c.hcallPending = false;
      c.gpr[3] = dv.getUint32(RunOff.HYPERCALL_RET + 4);
    }
    if (c.eprPending) {
      c.eprPending = false;
      c.spr[SPR.EPR] = dv.getUint32(RunOff.EPR);
    }
    if (Atomics.load(r.u8, RunOff.IMMEDIATE_EXIT) !== 0) return this.exitWith(ExitReason.INTR);

    if (c.debug.active) c.debug.resumePc = c.pc;
    const start = this.timesliceMs > 0 ? performance.now() : 0;
    const words = r.words;
    for (;;) {
      const gen = Atomics.load(words, Word.WAKE);
      if (gen !== this.seenWake) {
        this.seenWake = gen;
        if (this.takeInputs()) return this.exitWith(ExitReason.INTR);
      }
      let budget = CHUNK;
      if (this.regx.icountDeadline !== Infinity) {
        // TKVM_ICOUNT_DEADLINE: the core stops exactly there (every engine
        // runs exactly the instructions it is asked to).
        const left = this.regx.icountDeadline - c.icount;
        if (left <= 0) return this.exitWith(ExitReason.INTR);
        if (left < budget) budget = left;
      }
      const exit = c.execute(budget);
      let handled: boolean;
      switch (exit) {
        case CoreExit.None:
          handled = true;
          break;
        case CoreExit.Wait:
          if (this.idle()) return this.exitWith(ExitReason.HLT);
          handled = true;
          break;
        case CoreExit.Hcall:
          handled = this.hcallInKernel();
          if (handled && c.debug.singleStep) {
            // The `sc 1` the kernel answered was the step.
            c.debugExit(c.pc, 0);
            return this.coreExit(CoreExit.Debug);
          }
          break;
        case CoreExit.Watchdog:
          // Without KVM_CAP_PPC_BOOKE_WATCHDOG the final time-out does nothing (as KVM).
          handled = !this.watchdogCap;
          if (handled) c.timers.watchdogExpired = false;
          break;
        default:
          handled = false;
      }
      if (!handled) return this.coreExit(exit);
      if (this.timesliceMs > 0 && performance.now() - start >= this.timesliceMs) return this.exitWith(ExitReason.INTR);
    }
  }

  /** Read the input words into the core; true if the vCPU was kicked. */
  private takeInputs(): boolean {
    const c = this.core;
    const words = this.run_.words;
    if (Atomics.exchange(words, Word.EXT_UNSET, 0) !== 0) c.extEdge = false;
    if (Atomics.exchange(words, Word.EXT_EDGE, 0) !== 0) c.extEdge = true;
    c.extLevel = Atomics.load(words, Word.LINE_EXTERNAL) !== 0;
    c.critLevel = Atomics.load(words, Word.LINE_CRITICAL) !== 0;
    if (Atomics.exchange(words, Word.MCHK_EDGE, 0) !== 0) {
      c.mcheckPending = true;
      c.spr[SPR.MCSR] |= MCSR_MCP;
    }
    return Atomics.exchange(words, Word.KICK, 0) !== 0;
  }

  /**
   * The guest waits. With TKVM_CAP_HALT_EXIT, report KVM_EXIT_HLT (true);
   * otherwise sleep until the next timer event, an input change or a kick.
   */
  private idle(): boolean {
    const c = this.core;
    const timers = c.timers;
    const next = timers.nextEvent();
    const clock = timers.clock;
    if (clock instanceof InstructionClock) {
      // Deterministic time: jump to the next event (or the userspace
      // deadline, TKVM_ICOUNT_DEADLINE) instead of sleeping.
      let target = next === Infinity ? Infinity : clock.icountAt(next);
      if (this.regx.icountDeadline < target) target = this.regx.icountDeadline;
      if (target !== Infinity) {
        c.icount = Math.max(c.icount, target);
        return false;
      }
    }
    const ms = next === Infinity ? Infinity : clock.msUntil(next, c.icount);
    if (this.haltExit) {
      const dv = this.run_.dv;
      if (ms === Infinity) {
        dv.setUint32(RunOff.HLT_WAKEUP_NS, 0xffffffff);
        dv.setUint32(RunOff.HLT_WAKEUP_NS + 4, 0xffffffff);
      } else {
        const ns = Math.ceil(ms * 1e6);
        dv.setUint32(RunOff.HLT_WAKEUP_NS, Math.floor(ns / 0x100000000));
        dv.setUint32(RunOff.HLT_WAKEUP_NS + 4, ns >>> 0);
      }
      return true;
    }
    const words = this.run_.words;
    if (Atomics.load(words, Word.WAKE) !== this.seenWake) return false; // inputs changed: look first
    if (ms > 0) Atomics.wait(words, Word.WAKE, this.seenWake, ms === Infinity ? undefined : ms);
    return false;
  }

  /**
   * ePAPR hypercalls (sc 1 from supervisor state, token in r11, arguments in
   * r3..r8) the "kernel" answers itself, as KVM's kvmppc_kvm_pv does:
   * KVM_HC_FEATURES (no features: r3 = EV_SUCCESS, r4 = 0) and EV_IDLE (the
   * vCPU waits like `wait`). The rest exit with KVM_EXIT_HYPERCALL when the
   * VM enabled KVM_CAP_EXIT_HYPERCALL, else get EV_UNIMPLEMENTED. True if
   * handled here.
   */
  private hcallInKernel(): boolean {
    const c = this.core;
    const nr = c.gpr[11] >>> 0;
    if (nr === HC_FEATURES || nr === HC_IDLE) {
      c.hcallPending = false;
      c.gpr[3] = EV_SUCCESS;
      c.gpr[4] = 0;
      if (nr === HC_IDLE) {
        c.waiting = true;
        c.sliceEnd = 0;
      }
      return true;
    }
    if (this.host.exitHypercall === 0) {
      c.hcallPending = false;
      c.gpr[3] = EV_UNIMPLEMENTED;
      c.gpr[4] = 0;
      return true;
    }
    return false;
  }

  private coreExit(exit: CoreExit): number {
    const c = this.core;
    const r = this.run_;
    const dv = r.dv;
    switch (exit) {
      case CoreExit.Mmio: {
        r.setU64(RunOff.MMIO_PHYS_ADDR, c.mmioPa);
        const u8 = r.u8, n = c.mmioLen;
        for (let k = 0; k < 8; k++) u8[RunOff.MMIO_DATA + k] = c.mmioIsWrite && k < n ? c.mmioData[k] : 0;
        dv.setUint32(RunOff.MMIO_LEN, n);
        u8[RunOff.MMIO_IS_WRITE] = c.mmioIsWrite ? 1 : 0;
        this.pendingMmio = true;
        this.pendingMmioRead = !c.mmioIsWrite;
        return this.exitWith(ExitReason.MMIO);
      }
      case CoreExit.Debug: {
        const st = c.debugExitStatus;
        const watch = st === WATCH_READ_STATUS || st === WATCH_WRITE_STATUS;
        r.setU64(RunOff.DEBUG_ADDRESS, watch ? c.debug.watchHitAddr : c.debugExitPc >>> 0);
        dv.setUint32(RunOff.DEBUG_STATUS, st === 1 ? KVMPPC_DEBUG_BREAKPOINT
          : st === WATCH_READ_STATUS ? KVMPPC_DEBUG_WATCH_READ
            : st === WATCH_WRITE_STATUS ? KVMPPC_DEBUG_WATCH_WRITE : KVMPPC_DEBUG_NONE);
        dv.setUint32(RunOff.DEBUG_STATUS + 4, 0);
        return this.exitWith(ExitReason.DEBUG);
      }
      case CoreExit.Hcall:
        r.setU64(RunOff.HYPERCALL_NR, c.gpr[11] >>> 0);
        for (let i = 0; i < 6; i++) r.setU64(RunOff.HYPERCALL_ARGS + 8 * i, c.gpr[3 + i] >>> 0);
        r.setU64(RunOff.HYPERCALL_RET, 0);
        dv.setUint32(RunOff.HYPERCALL_LONGMODE, 0);
        return this.exitWith(ExitReason.HYPERCALL);
      case CoreExit.Watchdog:
        c.timers.watchdogExpired = false;
        return this.exitWith(ExitReason.WATCHDOG);
      case CoreExit.Epr:
        dv.setUint32(RunOff.EPR, 0);
        return this.exitWith(ExitReason.EPR);
      case CoreExit.Checkstop:
        dv.setUint32(RunOff.SYSTEM_EVENT_TYPE, SystemEvent.CRASH);
        dv.setUint32(RunOff.SYSTEM_EVENT_NDATA, 1);
        r.setU64(RunOff.SYSTEM_EVENT_DATA, c.pc >>> 0);
        c.internalError = `checkstop: machine check with MSR[ME] = 0 at pc ${hex(c.pc)}`;
        return this.exitWith(ExitReason.SYSTEM_EVENT);
      case CoreExit.Internal:
        this.emulationFailure();
        return this.exitWith(ExitReason.INTERNAL_ERROR);
      default:
        dv.setUint32(RunOff.INTERNAL_SUBERROR, InternalError.UNEXPECTED_EXIT_REASON);
        dv.setUint32(RunOff.INTERNAL_NDATA, 1);
        r.setU64(RunOff.INTERNAL_DATA, exit);
        c.internalError = `unexpected core exit ${exit}`;
        return this.exitWith(ExitReason.INTERNAL_ERROR);
    }
  }

  /**
   * KVM_INTERNAL_ERROR_EMULATION in the emulation_failure layout: data[0] =
   * flags (INSTRUCTION_BYTES when the instruction could be read), data[1..2] =
   * insn_size and insn_bytes (the big-endian instruction word), data[3] = the
   * instruction's address (debug information, not ABI).
   */
  private emulationFailure(): void {
    const c = this.core;
    const r = this.run_;
    const dv = r.dv;
    dv.setUint32(RunOff.INTERNAL_SUBERROR, InternalError.EMULATION);
    dv.setUint32(RunOff.INTERNAL_NDATA, 4);
    r.u8.fill(0, RunOff.INTERNAL_DATA, RunOff.INTERNAL_DATA + 32);
    const word = this.instructionAt(c.pc);
    if (word !== null) {
      r.setU64(RunOff.INTERNAL_DATA, KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES);
      r.u8[RunOff.INTERNAL_DATA + 8] = 4;
      dv.setUint32(RunOff.INTERNAL_DATA + 9, word >>> 0);
    }
    r.setU64(RunOff.INTERNAL_DATA + 24, c.pc >>> 0);
  }

  /** The instruction word at `pc` as the guest would fetch it now, or null. */
  private instructionAt(pc: number): number | null {
    const c = this.core;
    const msr = c.msr;
    const pa = c.tc.walk(pc, (msr & MSR.IS) !== 0 ? 1 : 0, c.spr[SPR.PID] & 0xff, (msr >>> 14) & 1, Access.Fetch);
    if (pa === WALK_MISS || pa === WALK_DENIED) return null;
    const slot = c.mem.find(pa);
    if (slot === null || pa + 4 > slot.base + slot.size) return null;
    return slot.view.getInt32(pa - slot.base, (c.tc.lastWimge & MAS.WIMGE_E) !== 0);
  }

  private exitWith(reason: number): number {
    const r = this.run_;
    r.dv.setUint32(RunOff.EXIT_REASON, reason);
    if (this.syncRegsOut) encodeRegs(this.core, r.dv, RunOff.SYNC_REGS);
    return reason;
  }

  /** The message of the last internal error or checkstop (tkvm extension: KVM only has the sub-error). */
  get internalErrorMessage(): string { return this.core.internalError; }

  /** TKVM_GET_JIT_STATS (tkvm): what the translator has done for this vCPU so far. */
  jitStats(): JitStats {
    this.alive();
    const c = this.core, s = c.translator.stats, t = c.jitThreshold;
    return {
      threshold: t === JIT_NEVER ? 0 : t + 1, regions: s.regions, instructions: s.instructions, sourceBytes: s.sourceBytes,
      translateMs: s.translateMs, declined: s.declined, invalidations: c.mem.slots.reduce((n, slot) => n + slot.invalidations, 0),
      failures: s.failures, lastFailure: s.lastFailure,
      icount: c.icount, translatedInstructions: s.ran, regionRuns: s.runs, regionToRegion: s.chained,
      regionMissExits: c.tc.regionMissExits, tlbCacheLoadMisses: c.tc.loadMisses, tlbCacheStoreMisses: c.tc.storeMisses,
      tlbCacheFetchMisses: c.tc.fetchMisses, tlbCacheFlushes: c.tc.flushes,
    };
  }

  /** Close the vCPU (KVM: close its fd). Every later call fails with EBADF. */
  destroy(): void { this.destroyed = true; }

  private alive(): void {
    if (this.destroyed || this.host.destroyed) fail('EBADF', 'vCPU was destroyed');
  }
}

export type { GuestDebug, KvmConfigTlb, TlbSyncScope, KvmRegs, KvmSregs, RegValue };
