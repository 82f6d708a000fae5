// Lockstep differential testing: tkvm's vCPU follows QEMU's trace one
// instruction at a time and every architected register is compared before
// every instruction. tkvm runs under guest-debug single-step through the
// hypervisor API, on a machine built exactly as `tkvm run` builds it.
//
// Time is the one thing the two machines cannot share (QEMU's trace is
// taken on host time, and its decrementer cannot even be read: see the
// dec-read divergence), so tkvm's clock stands still (TKVM_ICOUNT is put
// back after every step) and QEMU's timer events are adopted: when QEMU's
// TSR gains DIS, FIS or WIS, tkvm's gets it too (KVM_REG_PPC_OR_TSR), at the
// same instruction, and tkvm's own interrupt logic then delivers (or holds)
// the interrupt. Values read from the clock (mftb, DEC) are QEMU's.
//
// Alignment of the two streams: QEMU dumps the state before each instruction
// it enters, and the state at an interrupt vector before the handler's first
// instruction; tkvm's single step stops after the first instruction that
// completes, so an interrupt and the handler's first instruction are one
// step. A record QEMU dumps twice (it left a block before executing it to
// look at an interrupt request) is recognised and skipped.

import { Reg, disassembleText, type Vcpu } from '../kvm/index.js';
import { F, NSLOTS, UNCOMPARED, newState, registerOf, slotName, type State } from './fields.js';
import { QemuExcp, isAsynchronous, type TraceRecord } from './trace.js';
import { readTkvmState, writeTkvmState } from './tkvm-state.js';
import { adopt, explain, type Difference, type RuleContext } from './allowlist.js';

/** The time-event bits of TSR that QEMU's clock sets (ENW, WIS, DIS, FIS). */
const TSR_TIME_BITS = 0x80000000 | 0x40000000 | 0x08000000 | 0x04000000;

/** Instances of each allowlist rule kept for the report. */
const EXAMPLES = 3;

/** What tkvm's machine must offer the lockstep driver. */
export interface SteppedMachine {
  readonly vcpu: Vcpu;
  /** Enter the vCPU once and handle its exit; 'debug' for a single-step exit. */
  runOnce(): { reason: number; event: string | null };
  readPhys(pa: number, len: number): Uint8Array | null;
  writePhys(pa: number, data: Uint8Array): boolean;
  /** Fire the interrupt controller's next timer (see Ppce500.skipToDeviceTimer). */
  skipToDeviceTimer(): boolean;
}

export interface Divergence {
  /** Index of QEMU's record (instructions from the start, roughly). */
  record: number;
  /** The instruction executed last (address, disassembly). */
  pc: number;
  insn: string;
  differences: Difference[];
  /** A free-form explanation when the streams could not be aligned. */
  message?: string;
  /** Interrupts QEMU raised in this step. */
  exceptions?: number[];
}

export interface LockstepStats {
  records: number;
  steps: number;
  /** How often each allowlist rule was applied. */
  allowed: Map<string, number>;
  /** The first few instances of each (address, instruction, differences). */
  examples: Map<string, string[]>;
  /** Timer events adopted from QEMU. */
  timeEvents: number;
  /** Records QEMU dumped twice. */
  reentries: number;
}

export class Lockstep {
  /** The record tkvm's state last matched, or null before the first. */
  private prev: TraceRecord | null = null;
  private readonly queue: TraceRecord[] = [];
  private readonly tk: State = newState();
  private recordNo = -1;
  divergence: Divergence | null = null;
  /** tkvm's guest powered off; QEMU's records after that point are only counted. */
  poweredOff = false;
  afterPowerOff = 0;
  /**
   * The addresses of QEMU's instructions after tkvm's power-off. QEMU acts
   * on the power-off request after a delay in host time, so how many
   * instructions it runs meanwhile depends on the host's load; where it
   * runs them does not (the guest's idle loop after the request, and the
   * handlers of interrupts that come due).
   */
  readonly afterPowerOffPcs = new Set<number>();
  /** The address of the last instruction QEMU's trace shows. */
  get lastPc(): number { return (this.prev?.state[F.nip] ?? 0) >>> 0; }
  /** The machine event of the last step (e.g. 'poweroff'). */
  lastEvent: string | null = null;
  readonly stats: LockstepStats = { records: 0, steps: 0, allowed: new Map(), examples: new Map(), timeEvents: 0, reentries: 0 };

  /** Divergences reported and gone past (from QEMU's state), up to keepGoing. */
  readonly passed: Divergence[] = [];

  /** keepGoing: how many state divergences to report and go past before stopping at one. */
  constructor(private readonly m: SteppedMachine, private readonly keepGoing = 0) {
    m.vcpu.setGuestDebug({ control: 1 | 2 }); // KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP
  }

  /** Take a record from QEMU's trace; steps tkvm as far as the records allow. */
  push(r: TraceRecord): void {
    this.stats.records++;
    if (this.poweredOff) {
      this.afterPowerOff++;
      this.afterPowerOffPcs.add(r.state[F.nip] >>> 0);
      return;
    }
    this.queue.push(r);
    while (this.divergence === null && !this.poweredOff && this.queue.length >= 4) this.advance();
  }

  /** QEMU's trace ended: use up the records. */
  finish(): void {
    while (this.divergence === null && !this.poweredOff && this.queue.length > 0) this.advance();
    if (this.divergence === null && !this.poweredOff && this.prev !== null) {
      // QEMU's last record is the instruction that ended its guest (the power-off store): tkvm runs it too.
      this.step();
      if (this.lastEvent === 'poweroff') this.poweredOff = true;
    }
  }

  private advance(): void {
    const q = this.queue;
    if (this.prev === null) {
      const first = q.shift()!;
      this.recordNo++;
      this.compareWith(first, null);
      this.prev = first;
      return;
    }
    const prev = this.prev;
    const next = q[0];
    if (next.exceptions.length === 0) {
      if (next.state[F.nip] === prev.state[F.nip] && sameState(prev.state, next.state)) {
        // QEMU entered this instruction again (it left the block to look at an interrupt request).
        q.shift();
        this.recordNo++;
        this.stats.reentries++;
        return;
      }
      this.step();
      if (this.lastEvent !== 'debug') return this.eventDivergence(next);
      this.adoptTimeEvents(next);
      q.shift();
      this.recordNo++;
      this.compareWith(next, prev);
      this.prev = next;
      return;
    }
    // QEMU delivered interrupts before `next` (which is at a vector). tkvm's
    // step is the interrupt plus the handler's first instruction: compare
    // with the record after the vector's.
    if (q.length < 2) {
      q.length = 0; // the trace ended at a vector: nothing left to compare with
      return;
    }
    const excp = next.exceptions[0], at = next.exceptionAt[0];
    if (at !== prev.state[F.nip] && excp !== QemuExcp.SYSCALL) {
      // QEMU completed the instruction, then took the interrupt: a timer's,
      // or a fault fetching the next instruction (QEMU reports sc at its own address).
      this.step();
      if (this.lastEvent !== 'debug' && this.lastEvent !== 'halt') return this.eventDivergence(next);
      const pc = this.m.vcpu.getRegs().pc >>> 0;
      if (pc !== at) {
        return this.fail(next, `QEMU took interrupt ${excp} after the instruction, at 0x${hex(at)}; tkvm went on to 0x${hex(pc)}`);
      }
    }
    if (isAsynchronous(excp)) {
      if (excp === QemuExcp.EXTERNAL) {
        // The only timed interrupt source outside the core: the MPIC's timers.
        if (!this.m.skipToDeviceTimer()) {
          return this.fail(next, 'QEMU took an external interrupt, and tkvm\'s interrupt controller has no timer running');
        }
        this.stats.timeEvents++;
      } else if (excp !== QemuExcp.DECR && excp !== QemuExcp.FIT && excp !== QemuExcp.WDT) {
        return this.fail(next, `QEMU took a critical interrupt (${excp}); lockstep machines have no source for it`);
      }
      this.adoptTimeEvents(next, true);
    }
    this.step();
    if (this.lastEvent !== 'debug') return this.eventDivergence(next);
    q.shift();
    this.recordNo++;
    if (this.m.vcpu.getRegs().pc === next.state[F.nip]) {
      // The instruction completed and raised the interrupt (sc): tkvm stops at the vector, as QEMU's dump does.
      this.adoptTimeEvents(next);
      this.compareWith(next, prev);
      this.prev = next;
      return;
    }
    const target = q.shift()!;
    this.recordNo++;
    if (target.exceptions.length > 0) {
      return this.fail(target, 'QEMU took another interrupt right after a handler\'s first instruction: not supported');
    }
    this.adoptTimeEvents(target);
    this.compareWith(target, prev, next.exceptions);
    this.prev = target;
  }

  /** One guest-debug single step (MMIO exits are handled on the way). */
  private step(): void {
    const v = this.m.vcpu;
    this.stats.steps++;
    for (;;) {
      const { reason, event } = this.m.runOnce();
      if (event !== null) { this.lastEvent = event; break; }
      if (reason === 5 /* KVM_EXIT_HLT */) { this.lastEvent = 'halt'; break; }
    }
    // tkvm's clock stands still: QEMU's timer events are adopted instead.
    v.setOneReg(Reg.TKVM_ICOUNT, 0n);
  }

  /**
   * QEMU's timer set TSR bits: so does tkvm's, now; but a bit whose
   * interrupt is enabled only when QEMU delivers that interrupt
   * (`delivering`). QEMU raises the bit when its host-time timer fires and
   * takes the interrupt at its next check, which can be an instruction or
   * more later on a loaded host; tkvm, given the bit, would take it at once.
   */
  private adoptTimeEvents(r: TraceRecord, delivering = false): void {
    const v = this.m.vcpu;
    const tsr = v.getOneReg(Reg.TSR) as number;
    let add = (r.state[F.tsr] & ~tsr) & TSR_TIME_BITS;
    if (!delivering) add &= ~this.enabledTimerBits();
    if (add !== 0) {
      v.setOneReg(Reg.OR_TSR, add >>> 0);
      this.stats.timeEvents++;
    }
  }

  /** The TSR bits whose interrupts tkvm's vCPU would take now (DIS, FIS with MSR[EE]; WIS with MSR[CE]). */
  private enabledTimerBits(): number {
    const v = this.m.vcpu;
    const msr = v.getRegs().msr, tcr = v.getOneReg(Reg.TCR) as number;
    let bits = 0;
    if ((msr & 0x8000) !== 0) bits |= ((tcr & 0x04000000) !== 0 ? 0x08000000 : 0) | ((tcr & 0x00800000) !== 0 ? 0x04000000 : 0);
    if ((msr & 0x20000) !== 0 && (tcr & 0x08000000) !== 0) bits |= 0x40000000;
    return bits;
  }

  private compareWith(r: TraceRecord, prev: TraceRecord | null, exceptions: number[] = r.exceptions): void {
    const tk = this.tk;
    readTkvmState(this.m.vcpu, tk);
    let diffs = differences(r.state, tk);
    // Timer bits QEMU has raised and not yet delivered (adoptTimeEvents): not a difference until it does.
    const pending = this.enabledTimerBits();
    diffs = diffs.filter((d) => {
      if (d.slot !== F.tsr || (d.tkvm & ~d.qemu) !== 0 || ((d.qemu & ~d.tkvm) & ~(pending & TSR_TIME_BITS)) !== 0) return true;
      this.stats.allowed.set('timer-pending', (this.stats.allowed.get('timer-pending') ?? 0) + 1);
      return false;
    });
    if (diffs.length === 0) return;
    const pc = prev !== null ? prev.state[F.nip] : r.state[F.nip];
    const word = this.insnAt(pc);
    const ctx: RuleContext = { word, pc, qemu: r.state, tkvm: tk, prev: prev?.state ?? null, diffs, exceptions };
    // Allowlisted differences: tkvm adopts QEMU's values.
    const rules = explain(ctx);
    if (rules !== null) {
      adopt(this.m, ctx, rules);
      for (const rule of rules) {
        this.stats.allowed.set(rule.id, (this.stats.allowed.get(rule.id) ?? 0) + 1);
        const ex = this.stats.examples.get(rule.id) ?? [];
        if (ex.length < EXAMPLES) {
          const regs = ctx.diffs.map((d) => `${d.name} QEMU ${hex(d.qemu)} tkvm ${hex(d.tkvm)}`).join(', ');
          ex.push(`0x${hex(pc)} ${word === null ? '?' : disassembleText(word, pc)}: ${regs}`);
          this.stats.examples.set(rule.id, ex);
        }
      }
      diffs = differences(r.state, tk);
    }
    if (diffs.length === 0) return;
    const d: Divergence = {
      record: this.recordNo, pc, insn: word === null ? '(not mapped)' : disassembleText(word, pc), differences: diffs, exceptions,
    };
    if (this.passed.length < this.keepGoing) {
      // Report it and go on from QEMU's state (--keep-going).
      this.passed.push(d);
      writeTkvmState(this.m.vcpu, r.state);
      return;
    }
    this.divergence = d;
  }

  private insnAt(pc: number): number | null {
    // KVM_TRANSLATE's linear address carries the PID and the address space (here MSR[IS]).
    const r = this.m.vcpu.getRegs();
    const t = this.m.vcpu.translate(linearAddress(pc, r.pid, (r.msr & MSR_IS) !== 0));
    if (!t.valid) return null;
    const b = this.m.readPhys(t.physicalAddress, 4);
    return b === null ? null : ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  }

  private eventDivergence(r: TraceRecord): void {
    if (this.lastEvent === 'poweroff') {
      // QEMU stops its CPU a few instructions after the power-off request; the end is checked by the caller.
      this.poweredOff = true;
      this.afterPowerOff = this.queue.length;
      for (const q of this.queue) this.afterPowerOffPcs.add(q.state[F.nip] >>> 0);
      this.queue.length = 0;
      return;
    }
    this.fail(r, `tkvm's machine stopped with '${this.lastEvent}' where QEMU went on`);
  }

  private fail(r: TraceRecord, message: string): void {
    const pc = this.prev?.state[F.nip] ?? r.state[F.nip];
    const word = this.insnAt(pc);
    this.divergence = {
      record: this.recordNo, pc, insn: word === null ? '(not mapped)' : disassembleText(word, pc), differences: [], message,
    };
  }
}

function sameState(a: State, b: State): boolean {
  for (let i = 0; i < NSLOTS; i++) {
    if (a[i] !== b[i] && !UNCOMPARED.has(i) && i !== F.tsr) return false;
  }
  return true;
}

function differences(q: State, t: State): Difference[] {
  const out: Difference[] = [];
  for (let i = 0; i < NSLOTS; i++) {
    if (q[i] !== t[i] && !UNCOMPARED.has(i)) out.push({ slot: i, name: slotName(i), register: registerOf(i), qemu: q[i], tkvm: t[i] });
  }
  return out;
}

const MSR_IS = 0x20;

/** A KVM_TRANSLATE linear address for Book E: the EA, the PID in bits 32..39, the address space in bit 40. */
export function linearAddress(ea: number, pid: number, as1: boolean): bigint {
  return BigInt(ea >>> 0) | (BigInt(pid & 0xff) << 32n) | (as1 ? 1n << 40n : 0n);
}

export function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** A divergence as lines of text for the user. */
export function formatDivergence(d: Divergence): string {
  const lines = [`divergence after QEMU record ${d.record}: at 0x${hex(d.pc)}  ${d.insn}`];
  if (d.message !== undefined) lines.push(`  ${d.message}`);
  if (d.exceptions !== undefined && d.exceptions.length > 0) lines.push(`  (QEMU raised interrupt ${d.exceptions.join(', ')} in this step)`);
  for (const x of d.differences) lines.push(`  ${x.name.padEnd(8)} QEMU ${hex(x.qemu)}  tkvm ${hex(x.tkvm)}`);
  return lines.join('\n');
}
