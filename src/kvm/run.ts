// The shared run structure: struct kvm_run for ppc, byte for byte, in a
// SharedArrayBuffer (big-endian, as on a ppc host), followed by tkvm's own
// words for cross-thread signalling. Userspace reads and writes it through
// KvmRun; the vCPU writes exits into it.
//
// Layout (offsets in bytes):
//   0    u8  request_interrupt_window
//   1    u8  immediate_exit
//   8    u32 exit_reason
//   12   u8  ready_for_interrupt_injection
//   14   u16 flags
//   32   union (256 bytes):
//          mmio         { u64 phys_addr @32; u8 data[8] @40; u32 len @48; u8 is_write @52 }
//          debug.arch   { u64 address @32; u32 status @40; u32 reserved @44 }
//          hypercall    { u64 nr @32; u64 args[6] @40; u64 ret @88; u32 longmode @96 }
//          internal     { u32 suberror @32; u32 ndata @36; u64 data[16] @40 }
//          epr          { u32 epr @32 }
//          system_event { u32 type @32; u32 ndata @36; u64 data[16] @40 }
//   288  u64 kvm_valid_regs, 296 u64 kvm_dirty_regs, 304 sync regs (2048 bytes)
//   --- tkvm extension (host byte order, for Atomics) ---
//   2368 i32 kick        nonzero: leave run() with KVM_EXIT_INTR (any thread may set it)
//   2372 i32 line[3]     interrupt input levels: external, critical, machine check
//   2384 i32 wake        generation counter bumped by every kick and line change (Atomics.wait target)
//   --- tkvm extension (big-endian) ---
//   2392 u64 hlt_wakeup_ns  with KVM_EXIT_HLT: ns until the next timer event, or 2^64-1 for none

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
  TKVM_WORDS: 2368,
  HLT_WAKEUP_NS: 2392,
} as const;

/** Index of the words in the Int32Array at TKVM_WORDS. */
export const Word = {
  KICK: 0,
  LINE_EXTERNAL: 1,
  LINE_CRITICAL: 2,
  LINE_MCHECK: 3,
  WAKE: 4,
} as const;

/** Typed access to a run structure. Any thread holding the buffer may use it. */
export class KvmRun {
  readonly dv: DataView;
  readonly u8: Uint8Array;
  /** The tkvm words (host byte order), for Atomics. */
  readonly words: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    if (buffer.byteLength < RUN_SIZE) throw new RangeError('run buffer too small');
    this.dv = new DataView(buffer, 0, RUN_SIZE);
    this.u8 = new Uint8Array(buffer, 0, RUN_SIZE);
    this.words = new Int32Array(buffer, RunOff.TKVM_WORDS, 6);
  }

  get immediateExit(): number { return Atomics.load(this.u8, RunOff.IMMEDIATE_EXIT); }
  set immediateExit(v: number) { Atomics.store(this.u8, RunOff.IMMEDIATE_EXIT, v); }
  get exitReason(): number { return this.dv.getUint32(RunOff.EXIT_REASON); }
  set exitReason(v: number) { this.dv.setUint32(RunOff.EXIT_REASON, v); }
  get readyForInterruptInjection(): number { return this.dv.getUint8(RunOff.READY_FOR_INTERRUPT_INJECTION); }
  set readyForInterruptInjection(v: number) { this.dv.setUint8(RunOff.READY_FOR_INTERRUPT_INJECTION, v); }

  // ---- mmio ----
  get mmioPhysAddr(): number { return Number(this.dv.getBigUint64(RunOff.MMIO_PHYS_ADDR)); }
  get mmioLen(): number { return this.dv.getUint32(RunOff.MMIO_LEN); }
  get mmioIsWrite(): boolean { return this.dv.getUint8(RunOff.MMIO_IS_WRITE) !== 0; }
  /** The 8 data bytes, in guest memory order. */
  get mmioData(): Uint8Array { return this.u8.subarray(RunOff.MMIO_DATA, RunOff.MMIO_DATA + 8); }
  /** The data as a big-endian number of mmioLen bytes (the guest's view of a register). */
  mmioValue(): number {
    const n = this.mmioLen;
    let v = 0;
    for (let k = 0; k < n && k < 8; k++) v = v * 256 + this.u8[RunOff.MMIO_DATA + k];
    return v;
  }
  /** Store a big-endian value of mmioLen bytes as the answer to an MMIO read. */
  setMmioValue(v: number): void {
    const n = this.mmioLen;
    for (let k = n - 1; k >= 0; k--) {
      this.u8[RunOff.MMIO_DATA + k] = v % 256;
      v = Math.floor(v / 256);
    }
  }

  // ---- debug ----
  get debugAddress(): number { return Number(this.dv.getBigUint64(RunOff.DEBUG_ADDRESS)); }
  get debugStatus(): number { return this.dv.getUint32(RunOff.DEBUG_STATUS); }

  // ---- hypercall ----
  get hypercallNr(): number { return Number(this.dv.getBigUint64(RunOff.HYPERCALL_NR)); }
  hypercallArg(i: number): number { return Number(this.dv.getBigUint64(RunOff.HYPERCALL_ARGS + 8 * i)); }
  get hypercallRet(): number { return Number(this.dv.getBigUint64(RunOff.HYPERCALL_RET)); }
  set hypercallRet(v: number) { this.dv.setBigUint64(RunOff.HYPERCALL_RET, BigInt(v)); }

  // ---- internal error ----
  get internalSuberror(): number { return this.dv.getUint32(RunOff.INTERNAL_SUBERROR); }
  get internalNdata(): number { return this.dv.getUint32(RunOff.INTERNAL_NDATA); }
  internalData(i: number): bigint { return this.dv.getBigUint64(RunOff.INTERNAL_DATA + 8 * i); }

  // ---- epr ----
  get epr(): number { return this.dv.getUint32(RunOff.EPR); }
  set epr(v: number) { this.dv.setUint32(RunOff.EPR, v); }

  // ---- system event ----
  get systemEventType(): number { return this.dv.getUint32(RunOff.SYSTEM_EVENT_TYPE); }

  // ---- tkvm ----
  /** With KVM_EXIT_HLT: nanoseconds until the next guest timer event (Infinity: none). */
  get hltWakeupNs(): number {
    const v = this.dv.getBigUint64(RunOff.HLT_WAKEUP_NS);
    return v === 0xffffffffffffffffn ? Infinity : Number(v);
  }
}

/**
 * Ask the vCPU that owns this run structure to leave run() (KVM_EXIT_INTR).
 * Safe from any thread; wakes a sleeping vCPU.
 */
export function kickRun(buffer: SharedArrayBuffer): void {
  const words = new Int32Array(buffer, RunOff.TKVM_WORDS, 6);
  Atomics.store(words, Word.KICK, 1);
  Atomics.add(words, Word.WAKE, 1);
  Atomics.notify(words, Word.WAKE);
}

/** Set an interrupt input level of the vCPU that owns this run structure; safe from any thread. */
export function setRunLine(buffer: SharedArrayBuffer, line: number, level: boolean): void {
  const words = new Int32Array(buffer, RunOff.TKVM_WORDS, 6);
  const idx = Word.LINE_EXTERNAL + line;
  if ((Atomics.exchange(words, idx, level ? 1 : 0) !== 0) === level) return;
  Atomics.add(words, Word.WAKE, 1);
  Atomics.notify(words, Word.WAKE);
}
