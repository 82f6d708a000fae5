// The life of a machine, as QEMU's main loop and run states have it: start
// (or wait, -S), run, pause and resume (monitor, debugger), reset, save and
// restore, quit. A reset or a restore replaces the Ppce500 with a freshly
// built one (a restore into a machine that has not run, swapped in only if
// everything loaded), so whatever follows the machine (console, debugger,
// monitors) asks the session for the current one.
//
// Everything here runs on one thread: the machine runs between the event
// loop's turns, so a monitor command or a debugger packet always finds the
// vCPU between two KVM_RUNs and can look at it (or save it) at once.

import { SnapshotError, type Codec } from '../snapshot/format.js';
import { prepareSnapshot, readChain, restoreChain, type SnapshotRef } from '../snapshot/machine.js';
import type { Ppce500 } from './ppce500.js';

/** QEMU's run states, as query-status and `info status` name them. */
export type RunState = 'prelaunch' | 'running' | 'paused' | 'debug' | 'shutdown' | 'guest-panicked' | 'internal-error';

/** QEMU's -action panic=...: see src/cli/args.ts. */
export type PanicAction = 'exit-failure' | 'shutdown' | 'pause' | 'none';

export const TKVM_VERSION = '0.1.0';

export interface SessionHost {
  /** Build a machine (devices, vCPU; nothing loaded). */
  create(): Ppce500;
  /** Load the images into a fresh machine (what a reset does again). */
  boot(m: Ppce500): void;
  /** Snapshot files (the platform's); both throw an Error with a message for the user. */
  readFile(name: string): Uint8Array;
  writeFile(name: string, data: Uint8Array): void;
  codec: Codec | null;
  /** -no-reboot: a reset ends tkvm. */
  noReboot: boolean;
  /** -no-shutdown: a power-off stops the guest (state shutdown) instead of ending tkvm. */
  noShutdown?: boolean;
  /** What a guest panic does (default exit-failure). */
  panicAction?: PanicAction;
  /** The guest stopped for good and tkvm waits (-no-shutdown, panic=pause): tell the user. */
  stopped?(why: string): void;
  /** How a child snapshot names its parent (e.g. relative to the child's directory); default: as given. */
  parentName?(child: string, parent: string): string;
  /** The file a child's recorded parent name refers to; default: the name itself. */
  resolveParent?(child: string, recorded: string): string;
}

export type StopCause = 'debug' | 'pause' | 'user';

export interface SessionListener {
  /** A new machine replaced the old one (reset, loadvm). */
  machineReplaced?(m: Ppce500): void;
  /** The guest stopped: a debug exit, or a pause (`cause` says who asked). */
  stopped?(cause: StopCause, tag: unknown): void;
  resumed?(): void;
  /** The machine was reset: by the guest, or by a monitor (`guest` false). */
  reset?(guest: boolean): void;
  /** The session ends: the guest powered off (or reset with -no-reboot), quit, or an error. */
  shutdown?(why: 'poweroff' | 'quit' | 'error' | 'reset'): void;
}

export interface SessionEnd {
  status: number;
  message?: string;
}

export class Session {
  machine: Ppce500;
  state: RunState;
  /** The snapshot this machine last saved or restored: the parent of an incremental savevm. */
  baseline: SnapshotRef | null = null;
  private readonly listeners = new Set<SessionListener>();
  private wake: (() => void) | null = null;
  private end: SessionEnd | null = null;
  /** A pause was asked for while running: the state to enter, and for whom. */
  private pauseReq: { state: RunState; cause: StopCause; tag: unknown; done: (() => void)[] } | null = null;

  constructor(private readonly host: SessionHost, opts: { startPaused: boolean; machine?: Ppce500 }) {
    this.machine = opts.machine ?? this.fresh();
    this.state = opts.startPaused ? 'prelaunch' : 'running';
    if (this.state !== 'running') this.machine.freezeTime();
  }

  private fresh(): Ppce500 {
    const m = this.host.create();
    this.host.boot(m);
    m.zeroTimeBase();
    return m;
  }

  listen(l: SessionListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit<K extends keyof SessionListener>(k: K, ...args: Parameters<NonNullable<SessionListener[K]>>): void {
    for (const l of [...this.listeners]) (l[k] as ((...a: unknown[]) => void) | undefined)?.(...args);
  }

  get running(): boolean { return this.state === 'running'; }

  /** The session is over (quit, power-off, error): no machine to talk to any more. */
  get ended(): boolean { return this.end !== null; }

  /** What quit ends with: 1 after a guest panic (panic=pause), as QEMU's exit-failure. */
  private quitStatus = 0;

  /** Run until the guest powers off, quit, or a fatal error. */
  async run(): Promise<SessionEnd> {
    for (;;) {
      if (this.end !== null) return this.end;
      if (this.state !== 'running') {
        await new Promise<void>((res) => { this.wake = res; });
        this.wake = null;
        continue;
      }
      const m = this.machine;
      const ev = await m.runUntilEvent();
      if (this.end !== null) return this.end;
      if (m !== this.machine) continue; // replaced while it ran (loadvm, system_reset)
      switch (ev) {
        case 'stop': {
          const req = this.pauseReq;
          this.pauseReq = null;
          m.completePending();
          m.freezeTime();
          this.state = req?.state ?? 'paused';
          this.emit('stopped', req?.cause ?? 'pause', req?.tag);
          for (const f of req?.done ?? []) f();
          break;
        }
        case 'debug':
          m.freezeTime();
          this.state = 'debug';
          this.emit('stopped', 'debug', undefined);
          this.settlePause();
          break;
        case 'poweroff':
          if (this.host.noShutdown) {
            this.stopFor('shutdown', 'guest powered off (-no-shutdown)');
            break;
          }
          this.finish({ status: 0 }, 'poweroff');
          break;
        case 'panic': {
          // The kernel has printed its panic message on the console by now.
          const action = this.host.panicAction ?? 'exit-failure';
          if (action === 'none') break;
          if (action === 'shutdown') this.finish({ status: 0 }, 'poweroff');
          else if (action === 'pause') {
            this.quitStatus = 1;
            this.stopFor('guest-panicked', 'guest panicked');
          } else this.finish({ status: 1, message: 'guest panicked' }, 'error');
          break;
        }
        case 'reset':
          if (this.host.noReboot) {
            this.finish({ status: 0 }, 'reset');
          } else {
            this.replace(this.fresh());
            this.emit('reset', true);
          }
          break;
        case 'error':
          this.state = 'internal-error';
          this.finish({ status: 1, message: m.errorMessage }, 'error');
          break;
      }
    }
  }

  /** The guest stopped for good; tkvm stays (QEMU's -no-shutdown): the monitor still works, quit ends. */
  private stopFor(state: RunState, why: string): void {
    this.machine.completePending();
    this.machine.freezeTime();
    this.state = state;
    this.emit('stopped', 'pause', undefined);
    this.settlePause();
    this.host.stopped?.(why);
  }

  private finish(end: SessionEnd, why: 'poweroff' | 'quit' | 'error' | 'reset'): void {
    if (this.end !== null) return;
    this.end = end;
    if (why !== 'error') this.state = 'shutdown';
    this.emit('shutdown', why);
    this.machine.stop();
    this.settlePause();
    this.wake?.();
  }

  /** The guest stopped for another reason than a pending pause: whoever waits for it is done. */
  private settlePause(): void {
    const req = this.pauseReq;
    this.pauseReq = null;
    for (const f of req?.done ?? []) f();
  }

  private replace(m: Ppce500): void {
    const old = this.machine;
    this.machine = m;
    if (this.state !== 'running') m.freezeTime();
    this.baseline = null;
    old.stop();
    this.emit('machineReplaced', m);
  }

  /**
   * Stop the guest (monitor `stop`, a debugger's Ctrl-C). Resolves once it
   * is stopped; `state` is what the session reports then ('paused', or
   * 'debug' for the debugger).
   */
  pause(cause: StopCause = 'user', state: RunState = 'paused', tag?: unknown): Promise<void> {
    if (this.state !== 'running' || this.end !== null) {
      if (this.state === 'prelaunch' || this.state === 'paused' || this.state === 'debug') {
        if (state !== 'paused') this.state = state;
      }
      return Promise.resolve();
    }
    return new Promise<void>((res) => {
      if (this.pauseReq === null) this.pauseReq = { state, cause, tag, done: [] };
      this.pauseReq.done.push(res);
      this.machine.stop();
    });
  }

  /** Run the guest again (monitor `cont`, a debugger's continue or step). */
  resume(): void {
    if (this.end !== null || this.state === 'running' || this.state === 'internal-error') return;
    if (this.state === 'shutdown' || this.state === 'guest-panicked') {
      throw new Error('resetting the virtual machine is required (system_reset)');
    }
    this.state = 'running';
    this.machine.thawTime();
    this.emit('resumed');
    this.wake?.();
  }

  /** system_reset: the guest restarts from its images (or tkvm ends with -no-reboot, as QEMU). */
  reset(): void {
    if (this.end !== null) return;
    if (this.host.noReboot) {
      this.finish({ status: 0 }, 'reset');
      return;
    }
    // After a power-off or panic that left the guest stopped, a reset leaves it stopped (QEMU).
    if (this.state === 'shutdown' || this.state === 'guest-panicked') this.state = 'paused';
    this.quitStatus = 0;
    this.replace(this.fresh());
    this.emit('reset', false);
  }

  quit(): void {
    this.finish({ status: this.quitStatus }, 'quit');
  }

  /**
   * Save the machine to `file` (savevm). Incremental: only what changed since
   * the snapshot this machine last saved or restored, which the new one
   * names as its parent. Returns a one-line report.
   */
  savevm(file: string, incremental = false): string {
    if (incremental && this.baseline === null) {
      throw new SnapshotError('no parent for an incremental snapshot: save a full one first (savevm FILE), or loadvm one');
    }
    const m = this.machine;
    const b = this.baseline;
    const parent = incremental && b !== null ? { id: b.id, file: this.host.parentName?.(file, b.file) ?? b.file } : null;
    const snap = prepareSnapshot(m, { codec: this.host.codec, parent, tkvmVersion: TKVM_VERSION });
    try {
      this.host.writeFile(file, snap.bytes);
    } catch (e) {
      snap.abort();
      throw e;
    }
    snap.commit();
    this.baseline = { id: snap.ref.id, file };
    const st = snap.stats;
    return `${incremental ? 'incremental ' : ''}snapshot saved to ${file}: ${snap.bytes.length} bytes, ` +
      `${st.pagesStored} pages stored, ${st.pagesZero} zero, ${st.tlbEntries} TLB entries`;
  }

  /**
   * Restore `file` (loadvm): everything is read and checked, and loaded into
   * a new machine, before it replaces the running one; on any error the
   * running guest is untouched. The run state stays what it was.
   */
  loadvm(file: string): void {
    const bytes = this.host.readFile(file);
    // Parents are named relative to their child; follow the chain from file to file.
    let child = file;
    const chain = readChain(bytes, this.host.codec, (name) => {
      const path = this.host.resolveParent?.(child, name) ?? name;
      child = path;
      return this.host.readFile(path);
    });
    const m = this.host.create();
    restoreChain(m, chain);
    this.replace(m);
    this.baseline = { id: chain[chain.length - 1].meta.id, file };
  }
}
