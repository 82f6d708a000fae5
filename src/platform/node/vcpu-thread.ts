// A vCPU running in its own thread (worker_threads), seen from the thread
// that handles its exits. Guest RAM, the run structure and the shared TLB
// are SharedArrayBuffers both threads use directly; the handoff of the run
// structure is in vcpu-handoff.ts.
//
// Another thread stops the vCPU with kick() (KVM_EXIT_INTR), then inspects
// it without a message round trip: its registers are in kvm_run.s.regs
// (KVM_CAP_SYNC_REGS, `syncRegs: true`), its TLB in the shared array (after
// syncTlb() in the lazy mode), its memory in the RAM buffers.

import { Worker } from 'node:worker_threads';
import {
  KvmRun, KVM_REGS_BYTES, RunOff, TLB_BITMAP_BYTES, decodeKvmRegs, interruptRun, kickRun, setRunLine,
  type KvmRegs, type KvmSregs, type UserMemoryRegion,
} from '../../kvm/index.js';
import { CHANGED_BITMAP_OFFSET, Command, DEFAULT_SPIN, H, State, publish, Waiter } from './vcpu-handoff.js';

export interface VcpuThreadConfig {
  vcpuId?: number;
  /** Memory slots; `memory` must be a SharedArrayBuffer. */
  regions: (UserMemoryRegion & { memory: SharedArrayBuffer })[];
  /** KVM_CAP_SW_TLB with this array (its contents become the TLB), optionally lazy. */
  tlb?: { array: SharedArrayBuffer; byteOffset?: number; lazy?: boolean };
  vmCaps?: [number, number[]][];
  vcpuCaps?: [number, number[]][];
  sregs?: KvmSregs;
  regs?: KvmRegs;
  /** Mirror kvm_regs into the run structure at every exit (KVM_CAP_SYNC_REGS). */
  syncRegs?: boolean;
  /** Most spin iterations before a blocking wait, on both sides (adaptive; 0: always block). */
  spin?: number;
}

/** Atomics.waitAsync (ES2024; in Node 20, not in this project's ES2022 typings). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

export class VcpuThreadError extends Error {
  override name = 'VcpuThreadError';
}

export class VcpuThread {
  readonly run: KvmRun;
  private readonly words: Int32Array;
  private readonly waiter: Waiter;

  private constructor(readonly worker: Worker, runBuffer: SharedArrayBuffer, spin: number) {
    this.run = new KvmRun(runBuffer);
    this.words = this.run.words;
    this.waiter = new Waiter(spin);
  }

  /** Start the thread; resolves once the vCPU exists and is running. */
  static start(cfg: VcpuThreadConfig): Promise<VcpuThread> {
    const worker = new Worker(new URL('./vcpu-worker.js', import.meta.url), { workerData: cfg });
    return new Promise((resolve, reject) => {
      const fail = (e: unknown) => reject(e instanceof Error ? e : new VcpuThreadError(String(e)));
      worker.once('error', fail);
      worker.once('exit', (code) => fail(new VcpuThreadError(`vCPU thread exited with code ${code} before starting`)));
      worker.once('message', (m: { runBuffer: SharedArrayBuffer }) => {
        worker.removeAllListeners('error');
        worker.removeAllListeners('exit');
        resolve(new VcpuThread(worker, m.runBuffer, cfg.spin ?? DEFAULT_SPIN));
      });
    });
  }

  /** The published exit reason; throws if KVM_RUN itself failed in the vCPU thread. */
  private published(): number {
    const res = Atomics.load(this.words, H.RESULT);
    if (res < 0) throw new VcpuThreadError(`KVM_RUN failed with errno ${-res}`);
    return this.run.exitReason;
  }

  /**
   * Block until the vCPU publishes an exit; returns its reason (or -1 on
   * timeout). The run structure is then this thread's until resume().
   */
  waitExit(timeoutMs = Infinity): number {
    // COMMAND: the vCPU thread has not yet taken the last resume().
    const s = this.waiter.wait(this.words, State.RUNNING, timeoutMs, State.COMMAND);
    if (s === State.RUNNING || s === State.COMMAND) return -1;
    if (s === State.STOPPED) throw new VcpuThreadError('the vCPU thread stopped');
    return this.published();
  }

  /** Like waitExit, without blocking this thread's event loop. */
  async waitExitAsync(): Promise<number> {
    for (;;) {
      const s = Atomics.load(this.words, H.STATE);
      if (s === State.EXITED) return this.published();
      if (s === State.STOPPED) throw new VcpuThreadError('the vCPU thread stopped');
      const w = waitAsync(this.words, H.STATE, s);
      if (w.async) await w.value;
    }
  }

  private command(cmd: number): void {
    if (Atomics.load(this.words, H.STATE) !== State.EXITED) throw new VcpuThreadError('the vCPU has not exited');
    Atomics.store(this.words, H.CMD, cmd);
    publish(this.words, State.COMMAND);
  }

  /** KVM_RUN again (after handling the exit in the run structure). */
  resume(): void {
    this.command(Command.RUN);
  }

  /** Ask the vCPU to leave KVM_RUN (KVM_EXIT_INTR); any thread, any time. */
  kick(): void {
    kickRun(this.run.buffer);
  }

  /** KVM_INTERRUPT from this thread. */
  interrupt(irq: number): void {
    interruptRun(this.run.buffer, irq);
  }

  /** An interrupt input line (KVM_IRQ_LINE's lines). */
  setLine(line: number, level: boolean): void {
    setRunLine(this.run.buffer, line, level);
  }

  /** While exited: the vCPU's registers from kvm_run.s.regs (needs `syncRegs`). */
  regs(): KvmRegs {
    if (this.run.validRegs === 0n) throw new VcpuThreadError('the thread was started without syncRegs');
    return decodeKvmRegs(this.run.dv, RunOff.SYNC_REGS);
  }

  /** Raw kvm_regs bytes of the last exit (big-endian, 392 bytes). */
  regsBytes(): Uint8Array {
    return this.run.u8.subarray(RunOff.SYNC_REGS, RunOff.SYNC_REGS + KVM_REGS_BYTES);
  }

  /**
   * While exited: have the vCPU thread synchronize the whole shared TLB
   * (TKVM_SYNC_TLB); returns the number of changed entries, their bitmap in
   * `changed` if given.
   */
  syncTlb(changed?: Uint8Array): number {
    this.command(Command.SYNC_TLB);
    const s = this.waiter.wait(this.words, State.COMMAND);
    if (s !== State.EXITED) throw new VcpuThreadError('the vCPU thread stopped');
    const n = Atomics.load(this.words, H.RESULT);
    if (n < 0) throw new VcpuThreadError(`TKVM_SYNC_TLB failed with errno ${-n}`);
    changed?.set(this.run.u8.subarray(CHANGED_BITMAP_OFFSET, CHANGED_BITMAP_OFFSET + TLB_BITMAP_BYTES));
    return n;
  }

  /** Number of exits the vCPU published. */
  get exits(): number {
    return Atomics.load(this.words, H.EXITS);
  }

  /** Stop the thread: kick it if it runs, then end its loop (or terminate it after `timeoutMs`). */
  async stop(timeoutMs = 5000): Promise<void> {
    const done = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const timer = setTimeout(() => void this.worker.terminate(), timeoutMs);
    try {
      const s = Atomics.load(this.words, H.STATE);
      if (s === State.RUNNING || s === State.COMMAND) {
        this.kick();
        await this.waitExitAsync().catch(() => undefined);
      }
      if (Atomics.load(this.words, H.STATE) === State.EXITED) this.command(Command.STOP);
      await done;
    } finally {
      clearTimeout(timer);
    }
  }
}
