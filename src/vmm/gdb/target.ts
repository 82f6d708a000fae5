// The machine as a GDB target, through the hypervisor API only:
//   - registers: KVM_GET/SET_REGS, the FPU (KVM_GET/SET_FPU, FPSCR by
//     ONE_REG), SPRs from kvm_sregs; described to GDB as QEMU 7.2 describes
//     ppce500/e500mc (see REGS), then tkvm's own e500 SPR feature;
//   - memory: effective addresses through the guest MMU (the TLB walker of
//     debug/tlb.ts), or physical with QEMU's `maint packet
//     Qqemu.PhyMemMode:1` (and `monitor xp`); inserted software breakpoints
//     are hidden from reads;
//   - Z0 software breakpoints: KVM_REG_PPC_DEBUG_INST written into RAM,
//     TKVM_INVALIDATE_CODE, KVM_GUESTDBG_USE_SW_BP; Z1 hardware breakpoints
//     (IAC) and Z2-Z4 watchpoints (DAC) with KVM_GUESTDBG_USE_HW_BP; single
//     step with KVM_GUESTDBG_SINGLESTEP;
//   - stop/continue through the session (a debugger that connects stops the
//     guest, as QEMU's stub does); detach (or a dropped connection) removes
//     everything and lets the guest run; kill ends tkvm, as QEMU.

import {
  KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_HW_BP, KVM_GUESTDBG_USE_SW_BP,
  KVMPPC_DEBUG_BREAKPOINT, KVMPPC_DEBUG_WATCH_READ, KVMPPC_DEBUG_WATCH_WRITE, Reg, type GuestDebugBp, type KvmRegs,
} from '../../kvm/index.js';
import { readVirtual, translateDebug, writeVirtual } from '../debug/memory.js';
import type { Ppce500 } from '../machine/ppce500.js';
import type { Session, SessionListener } from '../machine/session.js';
import type { Hmp } from '../monitor/hmp.js';
import type { BreakKind, GdbRegister, GdbStub, GdbTarget, StopReason } from './stub.js';

const SIGINT = 2, SIGTRAP = 5;

type RegAccess = {
  reg: GdbRegister;
  get(t: MachineGdbTarget): bigint;
  set?(t: MachineGdbTarget, v: bigint): void;
};

function gpr(i: number): RegAccess {
  return {
    reg: { name: `r${i}`, regnum: i, bits: 32, feature: 'core', type: 'uint32' },
    get: (t) => BigInt(t.regs().gpr[i] >>> 0),
    set: (t, v) => t.setRegs((r) => { r.gpr[i] = Number(v); }),
  };
}

function fpr(i: number): RegAccess {
  return {
    reg: { name: `f${i}`, regnum: FPR0 + i, bits: 64, feature: 'fpu', type: 'ieee_double' },
    get: (t) => t.m.vcpu.getFpu().fpr[i],
    set: (t, v) => {
      const f = t.m.vcpu.getFpu();
      f.fpr[i] = v;
      t.m.vcpu.setFpu(f);
    },
  };
}

type ScalarReg = 'pc' | 'msr' | 'cr' | 'lr' | 'ctr' | 'xer' | 'srr0' | 'srr1' | 'pid' | 'sprg0' | 'sprg1' | 'sprg2' | 'sprg3';

function scalar(name: ScalarReg, regnum: number, feature: GdbRegister['feature'], type?: string): RegAccess {
  return {
    // The SPRs print as QEMU's do: a plain (signed) int, in the group "spr".
    reg: { name, regnum, bits: 32, feature, type, group: feature === 'spr' ? 'spr' : undefined },
    get: (t) => BigInt(t.regs()[name] >>> 0),
    set: (t, v) => t.setRegs((r) => { r[name] = Number(v); }),
  };
}

type SregName = 'csrr0' | 'csrr1' | 'dear' | 'esr' | 'ivpr' | 'tcr' | 'tsr' | 'dec' | 'decar' | 'mcsrr0' | 'mcsrr1';

/** An SPR kept in kvm_sregs (`name` there); `gdbName` is QEMU's name for it. */
function sreg(name: SregName, regnum: number, gdbName: string = name): RegAccess {
  return {
    reg: { name: gdbName, regnum, bits: 32, feature: 'spr', group: 'spr' },
    get: (t) => BigInt.asUintN(32, BigInt(t.m.vcpu.getSregs().e[name])),
    set: (t, v) => {
      const s = t.m.vcpu.getSregs();
      const e = s.e as unknown as Record<string, number | bigint>;
      e[name] = typeof e[name] === 'bigint' ? v : Number(v);
      // DEC and TSR are written only with their update_special bits.
      s.e.updateSpecial = name === 'dec' ? 4 : name === 'tsr' ? 2 : 0;
      t.m.vcpu.setSregs(s);
    },
  };
}

/**
 * The registers, in the order of the target description.
 *
 * The core and FPU features are what QEMU 7.2's stub sends for
 * `-M ppce500 -cpu e500mc` (observed with gdb-multiarch: `maint print
 * xml-tdesc`, `maint print remote-registers`, the qXfer:features:read
 * packets), so GDB prints registers the same through both stubs:
 *   org.gnu.gdb.power.core: r0-r31 (regnums 0-31, uint32), pc (64,
 *     code_ptr), msr, cr (65-66, uint32), lr (67, code_ptr), ctr, xer
 *     (68-69, uint32);
 *   org.gnu.gdb.power.fpu: f0-f31 (71-102, ieee_double), fpscr (103, no
 *     type: a signed int, group float).
 * Numbers 32-63 and 70 have no register (GDB's built-in numbering put the
 * FPRs and fpscr there; the description moves them).
 *
 * QEMU then sends a third feature, org.qemu.power.spr (regnums 104-208),
 * generated from its SPR table. tkvm does not mirror it: it is QEMU's table
 * rather than the e500mc's registers (xer, lr and ctr again, now as signed
 * ints; tbl and tbu twice; spefscr, though the e500mc has no SPE), its
 * values are QEMU's stored copies (tbl and tbu still read 0 at a
 * breakpoint in gdbtest's main(), long after the time base started), and
 * some of them (l1csr0/1, l1cfg0/1, hid1, bucsr, mmucsr0, l2csr0, bbear,
 * bbtar) are out of reach of the hypervisor API this stub goes through.
 * QEMU sends no SPE or AltiVec feature for the e500mc.
 *
 * Instead tkvm's own feature, org.tkvm.e500mc.spr, follows from 104 with
 * the SPRs the API gives, named, typed and grouped as in QEMU's SPR feature
 * (QEMU's order, "decr" for the DEC, no type, group "spr"), so `p $srr0` or
 * `info registers spr` print these the same way with both stubs. GDB finds
 * registers by name; only a client numbering QEMU's SPRs by hand would see
 * different registers at 104 and beyond.
 */
const FPR0 = 71;
const SPR0 = 104;
const REGS: RegAccess[] = [
  ...Array.from({ length: 32 }, (_, i) => gpr(i)),
  scalar('pc', 64, 'core', 'code_ptr'), scalar('msr', 65, 'core', 'uint32'), scalar('cr', 66, 'core', 'uint32'),
  scalar('lr', 67, 'core', 'code_ptr'), scalar('ctr', 68, 'core', 'uint32'), scalar('xer', 69, 'core', 'uint32'),
  ...Array.from({ length: 32 }, (_, i) => fpr(i)),
  {
    reg: { name: 'fpscr', regnum: FPR0 + 32, bits: 32, feature: 'fpu', group: 'float' },
    get: (t) => BigInt.asUintN(32, t.m.vcpu.getOneReg(Reg.FPSCR) as bigint),
    set: (t, v) => t.m.vcpu.setOneReg(Reg.FPSCR, v),
  },
  sreg('dec', SPR0, 'decr'), scalar('srr0', SPR0 + 1, 'spr'), scalar('srr1', SPR0 + 2, 'spr'),
  scalar('pid', SPR0 + 3, 'spr'), sreg('decar', SPR0 + 4), sreg('csrr0', SPR0 + 5), sreg('csrr1', SPR0 + 6),
  sreg('dear', SPR0 + 7), sreg('esr', SPR0 + 8), sreg('ivpr', SPR0 + 9),
  scalar('sprg0', SPR0 + 10, 'spr'), scalar('sprg1', SPR0 + 11, 'spr'), scalar('sprg2', SPR0 + 12, 'spr'),
  scalar('sprg3', SPR0 + 13, 'spr'), sreg('tsr', SPR0 + 14), sreg('tcr', SPR0 + 15),
  sreg('mcsrr0', SPR0 + 16), sreg('mcsrr1', SPR0 + 17),
];
const BY_REGNUM = new Map(REGS.map((r) => [r.reg.regnum, r]));

interface Watch {
  kind: BreakKind;
  addr: number;
}

export class MachineGdbTarget implements GdbTarget {
  readonly registers: readonly GdbRegister[] = REGS.map((r) => r.reg);
  stub: GdbStub | null = null;
  /** Qqemu.PhyMemMode: m/M packets address physical memory. */
  physicalMemory = false;
  private swBreaks = new Set<number>();
  private hwBreaks: number[] = [];
  private watches: Watch[] = [];
  private stepping = false;
  /** The session stopped because this debugger asked (Ctrl-C). */
  private interrupting = false;
  private readonly unlisten: () => void;
  private detached = false;

  constructor(readonly session: Session, private readonly hmp: Hmp | null) {
    const l: SessionListener = {
      stopped: (cause, tag) => this.onStopped(cause === 'debug', tag === this),
      machineReplaced: (m) => this.reapply(m),
      shutdown: (why) => { if (why !== 'error') this.stub?.exited(0); },
    };
    this.unlisten = session.listen(l);
  }

  get m(): Ppce500 { return this.session.machine; }

  /** A debugger connected: the guest stops, as QEMU's stub does. */
  async attach(): Promise<void> {
    await this.session.pause('pause', 'paused', this);
  }

  regs(): KvmRegs {
    return this.m.vcpu.getRegs();
  }

  setRegs(f: (r: KvmRegs) => void): void {
    const r = this.m.vcpu.getRegs();
    f(r);
    this.m.vcpu.setRegs(r);
  }

  readRegister(n: number): bigint {
    const r = BY_REGNUM.get(n);
    if (r === undefined) throw new Error(`no register ${n}`);
    return r.get(this);
  }

  writeRegister(n: number, v: bigint): boolean {
    const r = BY_REGNUM.get(n);
    if (r?.set === undefined) return false;
    try {
      r.set(this, v);
      return true;
    } catch {
      return false; // a value the register cannot hold (KVM's EINVAL)
    }
  }

  readMemory(addr: number, len: number): Uint8Array | null {
    return this.physicalMemory ? this.m.readPhys(addr, len) : readVirtual(this.m, addr, len);
  }

  writeMemory(addr: number, data: Uint8Array): boolean {
    return this.physicalMemory ? this.m.writePhys(addr, data) : writeVirtual(this.m, addr, data);
  }

  setBreakpoint(kind: BreakKind, addr: number, len: number, insert: boolean): boolean {
    switch (kind) {
      case 'sw': {
        if (!insert) {
          if (!this.swBreaks.delete(addr)) return true;
          const pa = this.physicalMemory ? addr : translateDebug(this.m, addr);
          if (pa !== null) this.m.removeSwBreakpoint(pa);
          this.applyDebug();
          return true;
        }
        if (len !== 4 || addr % 4 !== 0) return false;
        const pa = this.physicalMemory ? addr : translateDebug(this.m, addr);
        if (pa === null || !this.m.insertSwBreakpoint(pa)) return false;
        this.swBreaks.add(addr);
        this.applyDebug();
        return true;
      }
      case 'hw': {
        if (!insert) {
          this.hwBreaks = this.hwBreaks.filter((a) => a !== addr);
        } else {
          if (addr % 4 !== 0 || this.hwBreaks.length >= 2) return false;
          if (!this.hwBreaks.includes(addr)) this.hwBreaks.push(addr);
        }
        return this.applyDebug();
      }
      default: {
        if (!insert) {
          this.watches = this.watches.filter((w) => !(w.kind === kind && w.addr === addr));
        } else {
          if (len > 8 || this.watches.length >= 2) return false;
          this.watches.push({ kind, addr });
        }
        return this.applyDebug();
      }
    }
  }

  /** KVM_SET_GUEST_DEBUG with everything this debugger has set. */
  private applyDebug(m: Ppce500 = this.m): boolean {
    const bp: GuestDebugBp[] = [
      ...this.hwBreaks.map((a) => ({ addr: BigInt(a >>> 0), type: KVMPPC_DEBUG_BREAKPOINT })),
      ...this.watches.map((w) => ({
        addr: BigInt(w.addr >>> 0),
        type: w.kind === 'watch-write' ? KVMPPC_DEBUG_WATCH_WRITE
          : w.kind === 'watch-read' ? KVMPPC_DEBUG_WATCH_READ : KVMPPC_DEBUG_WATCH_READ | KVMPPC_DEBUG_WATCH_WRITE,
      })),
    ];
    let control = 0;
    if (this.stepping || bp.length > 0 || this.swBreaks.size > 0) {
      control = KVM_GUESTDBG_ENABLE;
      if (this.stepping) control |= KVM_GUESTDBG_SINGLESTEP;
      if (this.swBreaks.size > 0) control |= KVM_GUESTDBG_USE_SW_BP;
      if (bp.length > 0) control |= KVM_GUESTDBG_USE_HW_BP;
    }
    try {
      m.vcpu.setGuestDebug({ control, arch: { bp } });
      return true;
    } catch {
      return false;
    }
  }

  /** A new machine (reset, loadvm): put the breakpoints back. */
  private reapply(m: Ppce500): void {
    if (this.detached) return;
    for (const a of this.swBreaks) {
      const pa = this.physicalMemory ? a : translateDebug(m, a);
      if (pa !== null) m.insertSwBreakpoint(pa);
    }
    this.applyDebug(m);
  }

  resume(step: boolean): void {
    this.stepping = step;
    this.interrupting = false;
    this.applyDebug();
    this.session.resume();
  }

  interrupt(): void {
    this.interrupting = true;
    void this.session.pause('pause', 'paused', this);
  }

  private onStopped(debugExit: boolean, ours: boolean): void {
    const stub = this.stub;
    if (stub === null || !stub.isRunning) return;
    const wasStepping = this.stepping;
    this.stepping = false;
    this.applyDebug();
    if (!debugExit) {
      stub.stopped({ kind: 'signal', signal: ours || this.interrupting ? SIGINT : SIGINT });
      this.interrupting = false;
      return;
    }
    stub.stopped(this.debugStopReason(wasStepping));
  }

  /** What the last KVM_EXIT_DEBUG was, as a stop reply. */
  private debugStopReason(wasStepping: boolean): StopReason {
    const r = this.m.vcpu.runStructure;
    const status = r.debugStatus, addr = r.debugAddress;
    if ((status & (KVMPPC_DEBUG_WATCH_READ | KVMPPC_DEBUG_WATCH_WRITE)) !== 0) {
      const w = this.watches.find((x) => x.addr >>> 0 === addr >>> 0);
      const kind = w?.kind === 'watch-access' ? 'awatch' : (status & KVMPPC_DEBUG_WATCH_WRITE) !== 0 ? 'watch' : 'rwatch';
      return { kind, addr };
    }
    if ((status & KVMPPC_DEBUG_BREAKPOINT) !== 0) return { kind: 'hwbreak' };
    if (!wasStepping && this.swBreaks.has(this.regs().pc >>> 0)) return { kind: 'swbreak' };
    return { kind: 'signal', signal: SIGTRAP };
  }

  /** Take every breakpoint out and let the guest run (detach, or the connection dropped). */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    for (const a of this.swBreaks) {
      const pa = this.physicalMemory ? a : translateDebug(this.m, a);
      if (pa !== null) this.m.removeSwBreakpoint(pa);
    }
    // Breakpoints at addresses no longer mapped: remove by physical address.
    for (const pa of [...this.m.swBreakpoints.keys()]) this.m.removeSwBreakpoint(pa);
    this.swBreaks.clear();
    this.hwBreaks = [];
    this.watches = [];
    this.stepping = false;
    this.applyDebug();
    this.unlisten();
    const s = this.session.state;
    if (s === 'debug' || s === 'paused') this.session.resume();
  }

  kill(): void {
    this.detach();
    this.session.quit();
  }

  monitor(cmd: string): string | Promise<string> {
    const t = cmd.trim();
    const pm = /^physmem(?:\s+(on|off))?$/.exec(t);
    if (pm) {
      if (pm[1] !== undefined) this.physicalMemory = pm[1] === 'on';
      return `physical memory mode ${this.physicalMemory ? 'on' : 'off'}\n`;
    }
    if (this.hmp === null) return '';
    return this.hmp.execute(t);
  }
}
