// The shared run structure: struct kvm_run for ppc, byte for byte, in a
// SharedArrayBuffer (big-endian, as on a ppc host), followed by tkvm's own
// words for cross-thread signalling. Userspace reads and writes it through
// KvmRun; the vCPU writes exits into it.
//
// Layout (offsets in bytes):
//   0    u8  request_interrupt_window      (unused on ppc)
//   1    u8  immediate_exit
//   8    u32 exit_reason
//   12   u8  ready_for_interrupt_injection (unused on ppc)
//   14   u16 flags                         (unused on ppc)
//   32   union (256 bytes):
//          mmio         { u64 phys_addr @32; u8 data[8] @40; u32 len @48; u8 is_write @52 }
//          debug.arch   { u64 address @32; u32 status @40; u32 reserved @44 }
//          hypercall    { u64 nr @32; u64 args[6] @40; u64 ret @88; u32 longmode @96 }
//          internal     { u32 suberror @32; u32 ndata @36; u64 data[16] @40 }
//          epr          { u32 epr @32 }
//          system_event { u32 type @32; u32 ndata @36; u64 data[16] @40 }
//   288  u64 kvm_valid_regs, 296 u64 kvm_dirty_regs
//   304  sync regs (2048 bytes): s.regs = struct kvm_regs (49 u64) with KVM_SYNC_PPC_REGS
//   --- tkvm extension (host byte order, for Atomics): i32 words[16] at 2368 ---
//   word 0  KICK       nonzero: leave run() with KVM_EXIT_INTR (any thread may set it)
//   word 1  LINE_EXT   external interrupt input level (KVM_INTERRUPT_SET_LEVEL / KVM_IRQ_LINE)
//   word 2  LINE_CRIT  critical interrupt input level
//   word 3  LINE_MCHK  machine check input level (the vCPU takes a machine check on each rising edge)
//   word 4  WAKE       generation counter bumped by every kick and input change (Atomics.wait target)
//   word 5  EXT_EDGE   an edge-triggered external interrupt request (KVM_INTERRUPT_SET)
//   word 6  EXT_UNSET  KVM_INTERRUPT_UNSET request: drop an edge request the vCPU already holds
//   word 7  MCHK_EDGE  a rising edge of LINE_MCHK not yet taken by the vCPU
//   words 8..15 USER   reserved for userspace (e.g. a thread handoff); the vCPU never touches them
//   --- tkvm extension (big-endian) ---
//   2432 u64 hlt_wakeup_ns  with KVM_EXIT_HLT: ns until the next timer event, or 2^64-1 for none
//   2560..4095  reserved for userspace (e.g. data of a thread handoff); the vCPU never touches it

import { KVM_INTERRUPT_SET, KVM_INTERRUPT_SET_LEVEL, KVM_INTERRUPT_UNSET } from './constants.js';
import { fail } from './errors.js';

export const RUN_SIZE = 4096;
export const RUN_STRUCT_SIZE = 2352;

export const RunOff = {
  REQUEST_INTERRUPT_WINDOW: 0,
  IMMEDIATE_EXIT: 1,
  EXIT_REASON: 8,
  READY_FOR_INTERRUPT_INJECTION: 12,
  FLAGS: 14,
  UNION: 32,
  MMIO_PHYS_ADDR: 32,
  MMIO_DATA: 40,
  MMIO_LEN: 48,
  MMIO_IS_WRITE: 52,
  DEBUG_ADDRESS: 32,
  DEBUG_STATUS: 40,
  HYPERCALL_NR: 32,
  HYPERCALL_ARGS: 40,
  HYPERCALL_RET: 88,
  HYPERCALL_LONGMODE: 96,
  INTERNAL_SUBERROR: 32,
  INTERNAL_NDATA: 36,
  INTERNAL_DATA: 40,
  EPR: 32,
  SYSTEM_EVENT_TYPE: 32,
  SYSTEM_EVENT_NDATA: 36,
  SYSTEM_EVENT_DATA: 40,
  KVM_VALID_REGS: 288,
  KVM_DIRTY_REGS: 296,
  SYNC_REGS: 304,
  TKVM_WORDS: 2368,
  HLT_WAKEUP_NS: 2432,
  USER_AREA: 2560,
} as const;

/** Index of the words in the Int32Array at TKVM_WORDS. */
export const Word = {
  KICK: 0,
  LINE_EXTERNAL: 1,
  LINE_CRITICAL: 2,
  LINE_MCHECK: 3,
  WAKE: 4,
  EXT_EDGE: 5,
  EXT_UNSET: 6,
  MCHK_EDGE: 7,
  /** First of the words reserved for userspace. */
  USER0: 8,
} as const;
export const TKVM_WORD_COUNT = 16;
export const USER_WORD_COUNT = 8;

/** Typed access to a run structure. Any thread holding the buffer may use it. */
export class KvmRun {
  readonly dv: DataView;
  readonly u8: Uint8Array;
  /** The tkvm words (host byte order), for Atomics. */
  readonly words: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < RUN_SIZE) {
      throw new RangeError(`a run structure is a SharedArrayBuffer of at least ${RUN_SIZE} bytes`);
    }
    this.dv = new DataView(buffer, 0, RUN_SIZE);
    this.u8 = new Uint8Array(buffer, 0, RUN_SIZE);
    this.words = new Int32Array(buffer, RunOff.TKVM_WORDS, TKVM_WORD_COUNT);
  }

  get immediateExit(): number { return Atomics.load(this.u8, RunOff.IMMEDIATE_EXIT); }
  set immediateExit(v: number) { Atomics.store(this.u8, RunOff.IMMEDIATE_EXIT, v); }
  get exitReason(): number { return this.dv.getUint32(RunOff.EXIT_REASON); }
  set exitReason(v: number) { this.dv.setUint32(RunOff.EXIT_REASON, v); }

  /** A u64 field as a number (exact below 2^53; the fields it is used for are addresses and 32-bit values). */
  u64(off: number): number {
    return this.dv.getUint32(off) * 0x100000000 + this.dv.getUint32(off + 4);
  }
  setU64(off: number, v: number): void {
    this.dv.setUint32(off, Math.floor(v / 0x100000000));
    this.dv.setUint32(off + 4, v >>> 0);
  }

  // ---- mmio ----
  get mmioPhysAddr(): number { return this.u64(RunOff.MMIO_PHYS_ADDR); }
  get mmioLen(): number { return this.dv.getUint32(RunOff.MMIO_LEN); }
  get mmioIsWrite(): boolean { return this.u8[RunOff.MMIO_IS_WRITE] !== 0; }
  /** The 8 data bytes, in guest memory order (a new view; mmioValue() does not allocate). */
  get mmioData(): Uint8Array { return this.u8.subarray(RunOff.MMIO_DATA, RunOff.MMIO_DATA + 8); }
  /** The data as a big-endian number of mmioLen bytes (the guest's view of a register; exact up to 2^53). */
  mmioValue(): number {
    const n = this.dv.getUint32(RunOff.MMIO_LEN);
    let v = 0;
    for (let k = 0; k < n && k < 8; k++) v = v * 256 + this.u8[RunOff.MMIO_DATA + k];
    return v;
  }
  /** Store a big-endian value of mmioLen bytes as the answer to an MMIO read. */
  setMmioValue(v: number): void {
    const n = this.dv.getUint32(RunOff.MMIO_LEN);
    for (let k = n - 1; k >= 0; k--) {
      this.u8[RunOff.MMIO_DATA + k] = v % 256;
      v = Math.floor(v / 256);
    }
  }

  // ---- debug ----
  get debugAddress(): number { return this.u64(RunOff.DEBUG_ADDRESS); }
  get debugStatus(): number { return this.dv.getUint32(RunOff.DEBUG_STATUS); }

  // ---- hypercall ----
  get hypercallNr(): number { return this.u64(RunOff.HYPERCALL_NR); }
  hypercallArg(i: number): number { return this.u64(RunOff.HYPERCALL_ARGS + 8 * i); }
  get hypercallRet(): number { return this.u64(RunOff.HYPERCALL_RET); }
  set hypercallRet(v: number) { this.setU64(RunOff.HYPERCALL_RET, v); }
  get hypercallLongmode(): number { return this.dv.getUint32(RunOff.HYPERCALL_LONGMODE); }

  // ---- internal error ----
  get internalSuberror(): number { return this.dv.getUint32(RunOff.INTERNAL_SUBERROR); }
  get internalNdata(): number { return this.dv.getUint32(RunOff.INTERNAL_NDATA); }
  internalData(i: number): bigint { return this.dv.getBigUint64(RunOff.INTERNAL_DATA + 8 * i); }

  // ---- epr ----
  get epr(): number { return this.dv.getUint32(RunOff.EPR); }
  set epr(v: number) { this.dv.setUint32(RunOff.EPR, v); }

  // ---- system event ----
  get systemEventType(): number { return this.dv.getUint32(RunOff.SYSTEM_EVENT_TYPE); }
  get systemEventNdata(): number { return this.dv.getUint32(RunOff.SYSTEM_EVENT_NDATA); }
  systemEventData(i: number): bigint { return this.dv.getBigUint64(RunOff.SYSTEM_EVENT_DATA + 8 * i); }

  // ---- sync regs (KVM_CAP_SYNC_REGS) ----
  get validRegs(): bigint { return this.dv.getBigUint64(RunOff.KVM_VALID_REGS); }
  set validRegs(v: bigint) { this.dv.setBigUint64(RunOff.KVM_VALID_REGS, v); }
  get dirtyRegs(): bigint { return this.dv.getBigUint64(RunOff.KVM_DIRTY_REGS); }
  set dirtyRegs(v: bigint) { this.dv.setBigUint64(RunOff.KVM_DIRTY_REGS, v); }

  // ---- tkvm ----
  /** With KVM_EXIT_HLT: nanoseconds until the next guest timer event (Infinity: none). */
  get hltWakeupNs(): number {
    const hi = this.dv.getUint32(RunOff.HLT_WAKEUP_NS), lo = this.dv.getUint32(RunOff.HLT_WAKEUP_NS + 4);
    return hi === 0xffffffff && lo === 0xffffffff ? Infinity : hi * 0x100000000 + lo;
  }
}

function wordsOf(buffer: SharedArrayBuffer): Int32Array {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < RUN_SIZE) {
    fail('EFAULT', `a run structure is a SharedArrayBuffer of at least ${RUN_SIZE} bytes`);
  }
  return new Int32Array(buffer, RunOff.TKVM_WORDS, TKVM_WORD_COUNT);
}

function wake(words: Int32Array): void {
  Atomics.add(words, Word.WAKE, 1);
  Atomics.notify(words, Word.WAKE);
}

/**
 * Ask the vCPU that owns this run structure to leave run() (KVM_EXIT_INTR).
 * Safe from any thread; wakes a sleeping vCPU.
 */
export function kickRun(buffer: SharedArrayBuffer): void {
  const words = wordsOf(buffer);
  Atomics.store(words, Word.KICK, 1);
  wake(words);
}

/** Interrupt input lines of a vCPU (KVM_IRQ_LINE's line numbers in tkvm's encoding). */
export const LINE_COUNT = 3;

/** Set an interrupt input level of the vCPU that owns this run structure; safe from any thread. */
export function setRunLine(buffer: SharedArrayBuffer, line: number, level: boolean): void {
  if (!Number.isInteger(line) || line < 0 || line >= LINE_COUNT) fail('EINVAL', `unknown interrupt line ${line}`);
  if (typeof level !== 'boolean') fail('EINVAL', 'level must be a boolean');
  const words = wordsOf(buffer);
  if ((Atomics.exchange(words, Word.LINE_EXTERNAL + line, level ? 1 : 0) !== 0) === level) return;
  // The machine-check input is edge-sensitive: remember the edge, however short the pulse.
  if (level && Word.LINE_EXTERNAL + line === Word.LINE_MCHECK) Atomics.store(words, Word.MCHK_EDGE, 1);
  wake(words);
}

/**
 * KVM_INTERRUPT on the vCPU that owns this run structure; safe from any
 * thread ("an asynchronous vcpu ioctl"). Book E semantics (booke.c):
 *  - KVM_INTERRUPT_SET: an edge; the external interrupt is taken once when
 *    MSR[EE] allows, then it is done;
 *  - KVM_INTERRUPT_SET_LEVEL: the input stays asserted until UNSET;
 *  - KVM_INTERRUPT_UNSET: drops both.
 */
export function interruptRun(buffer: SharedArrayBuffer, irq: number): void {
  // struct kvm_interrupt.irq is a u32: -1U and -1 name the same request.
  if (Number.isInteger(irq) && irq >= -0x80000000 && irq <= 0xffffffff) irq |= 0;
  if (irq !== KVM_INTERRUPT_SET && irq !== KVM_INTERRUPT_SET_LEVEL && irq !== KVM_INTERRUPT_UNSET) {
    fail('EINVAL', `unknown interrupt request ${String(irq)} (KVM_INTERRUPT_SET, _UNSET or _SET_LEVEL)`);
  }
  const words = wordsOf(buffer);
  if (irq === KVM_INTERRUPT_SET) {
    Atomics.store(words, Word.EXT_EDGE, 1);
  } else if (irq === KVM_INTERRUPT_SET_LEVEL) {
    Atomics.store(words, Word.LINE_EXTERNAL, 1);
  } else {
    Atomics.store(words, Word.LINE_EXTERNAL, 0);
    Atomics.store(words, Word.EXT_EDGE, 0);
    Atomics.store(words, Word.EXT_UNSET, 1);
  }
  wake(words);
}
