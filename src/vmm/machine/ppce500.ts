// The ppce500 machine (QEMU's "-M ppce500" with an e500mc): RAM at 0, CCSR
// at physical 0xf_e000_0000 with the MPIC, the UART (MPIC source 42), the
// I2C controller with its real-time clock, the PCI host bridge, GPIO
// (power-off), global utilities (reset), built on the hypervisor API only.
//
// Besides the devices, CCSR holds registers of the real SoC that QEMU does
// not model either (DDR, local bus, L2, ...): accesses to them are not
// claimed by anything and are reported with `-d mmio` (QEMU ignores them
// silently). Debian's U-Boot touches none of them on this machine.

import {
  Cap, ExitReason, IrqLine, KVM_MMU_FSL_BOOKE_NOHV, TLB_BYTES,
  TLB0_ENTRIES, e500mcTlbParams, openKvm, type Kvm, type Vcpu, type Vm,
} from '../../kvm/index.js';
import { MmioBus } from '../bus.js';
import { FslPciHost, PCI_REGS_SIZE } from '../devices/fsl-pci.js';
import { FslI2c } from '../devices/fsl-i2c.js';
import { Guts } from '../devices/guts.js';
import { RtcDs1338 } from '../devices/rtc-ds1338.js';
import { Mpic, MPIC_SIZE } from '../devices/mpic.js';
import { QoriqGpio } from '../devices/qoriq-gpio.js';
import { StubBlock } from '../devices/stub.js';
import { Uart16550 } from '../devices/uart16550.js';
import {
  CCSR_BASE, GPIO_OFFSET, GUTS_OFFSET, I2C_IRQ, I2C_OFFSET, LBC_OFFSET, RTC_I2C_ADDR, MPIC_OFFSET, PCI_OFFSET, PVR_E500MC, UART0_IRQ, UART0_OFFSET,
} from './layout.js';

export { CCSR_BASE, CCSR_SIZE, UART0_OFFSET, GUTS_OFFSET, GPIO_OFFSET, PVR_E500MC } from './layout.js';

/** Longest time the run loop keeps the event loop (console input, timers) waiting. */
const YIELD_MS = 4;

export type MachineEvent = 'poweroff' | 'reset' | 'error' | 'debug';

export interface MachineOptions {
  ramBytes: number;
  /** Console output (bytes from the UART). */
  output: (byte: number) => void;
  /** Called for accesses no device claims (`-d mmio`). */
  trace?: (line: string) => void;
  /** Interrupt-controller events (`-d int`). */
  traceInt?: (line: string) => void;
  /** Every vCPU exit (`-d exit`). */
  traceExit?: (line: string) => void;
}

export class Ppce500 {
  readonly kvm: Kvm;
  readonly vm: Vm;
  readonly vcpu: Vcpu;
  readonly ram: SharedArrayBuffer;
  readonly ramU8: Uint8Array;
  readonly bus = new MmioBus();
  readonly uart: Uart16550;
  readonly mpic: Mpic;
  readonly pci: FslPciHost;
  /** When the MPIC's timers next need `tick()` (ms, performance.now() scale), or Infinity. */
  private mpicWakeMs = Infinity;
  /** The shared guest TLB (KVM_CAP_SW_TLB array). */
  readonly tlbArray: Uint8Array;
  private pending: MachineEvent | null = null;
  /** Called when the UART can take more input (the console offers what it queued). */
  pullInput: (() => void) | null = null;
  errorMessage = '';

  constructor(readonly opts: MachineOptions) {
    this.kvm = openKvm();
    this.vm = this.kvm.createVm();
    this.ram = new SharedArrayBuffer(opts.ramBytes);
    this.ramU8 = new Uint8Array(this.ram);
    this.vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: opts.ramBytes, memory: this.ram });
    this.vcpu = this.vm.createVcpu(0);
    this.tlbArray = new Uint8Array(new SharedArrayBuffer(TLB_BYTES));
    this.vcpu.enableCap(Cap.SW_TLB, {
      params: e500mcTlbParams(), array: this.tlbArray, mmuType: KVM_MMU_FSL_BOOKE_NOHV, arrayLen: TLB_BYTES,
    });
    this.vcpu.enableCap(Cap.TKVM_HALT_EXIT, [1]);
    this.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [20_000]);

    const unknown = (dev: string, base: number) => (off: number, size: number, isWrite: boolean, value: number) =>
      opts.trace?.(`${dev}: unimplemented register ${isWrite ? 'write' : 'read'} of ${size} bytes at 0x${(base + off).toString(16)}` +
        (isWrite ? ` (value 0x${(value >>> 0).toString(16)})` : ''));
    const traceInt = opts.traceInt;
    this.mpic = new Mpic(1, {
      int: (cpu, level) => {
        traceInt?.(`mpic: cpu ${cpu} external input ${level ? 'raised' : 'lowered'}`);
        this.vm.irqLine((cpu << 16) | IrqLine.EXTERNAL, level);
      },
      cint: (cpu, level) => {
        traceInt?.(`mpic: cpu ${cpu} critical input ${level ? 'raised' : 'lowered'}`);
        this.vm.irqLine((cpu << 16) | IrqLine.CRITICAL, level);
      },
      modeChanged: (proxy) => {
        traceInt?.(`mpic: ${proxy ? 'external proxy' : 'mixed'} mode`);
        this.vcpu.enableCap(Cap.PPC_EPR, [proxy ? 1 : 0]);
      },
      unknown: unknown('pic@40000', CCSR_BASE + MPIC_OFFSET),
    }, {
      nowNs: () => performance.now() * 1e6,
      wakeAt: (ns) => { this.mpicWakeMs = ns === null ? Infinity : ns / 1e6; },
    });
    this.bus.map(CCSR_BASE + MPIC_OFFSET, MPIC_SIZE, 'pic@40000', this.mpic);
    this.uart = new Uart16550(opts.output, (level) => this.mpic.setIrq(UART0_IRQ, level));
    this.bus.map(CCSR_BASE + UART0_OFFSET, 0x100, 'serial@4500', this.uart);
    const i2c = new FslI2c((level) => this.mpic.setIrq(I2C_IRQ, level), unknown('i2c@3000', CCSR_BASE + I2C_OFFSET));
    i2c.attach(RTC_I2C_ADDR, new RtcDs1338());
    this.bus.map(CCSR_BASE + I2C_OFFSET, 0x100, 'i2c@3000', i2c);
    this.pci = new FslPciHost(unknown('pci@fe0008000', CCSR_BASE + PCI_OFFSET));
    this.bus.map(CCSR_BASE + PCI_OFFSET, PCI_REGS_SIZE, 'pci@fe0008000', this.pci);
    // The enhanced local bus controller (CCSR + 0x5000): this machine has
    // nothing on the local bus (no flash, no CPLD), so every chip select
    // reads as invalid (BRn = 0). U-Boot's clock report reads it (BR1, and
    // LCRR for "LBC: unknown").
    this.bus.map(CCSR_BASE + LBC_OFFSET, 0x1000, 'localbus@5000', new StubBlock(unknown('localbus@5000 (stub)', CCSR_BASE + LBC_OFFSET)));
    this.bus.map(CCSR_BASE + GUTS_OFFSET, 0x1000, 'global-utilities@e0000', new Guts(() => this.request('reset'), PVR_E500MC, 0,
      unknown('global-utilities@e0000', CCSR_BASE + GUTS_OFFSET)));
    this.bus.map(CCSR_BASE + GPIO_OFFSET, 0x1000, 'gpio@ff000', new QoriqGpio((pin, level) => {
      if (pin === 0 && level) this.request('poweroff');
    }, unknown('gpio@ff000', CCSR_BASE + GPIO_OFFSET)));
    this.bus.onUnhandled = (pa, size, isWrite, value) => {
      opts.trace?.(`unhandled MMIO ${isWrite ? 'write' : 'read'} of ${size} bytes at 0x${pa.toString(16)}` +
        (isWrite ? ` (value 0x${value.toString(16)})` : ''));
    };
  }

  request(ev: MachineEvent): void {
    if (this.pending === null) this.pending = ev;
  }

  /** Write a TLB1 entry into the shared TLB and tell the vCPU (KVM_DIRTY_TLB). */
  setTlb1Entry(esel: number, mas1: number, mas2: number, mas3: number, mas7: number): void {
    const i = TLB0_ENTRIES + esel;
    const dv = new DataView(this.tlbArray.buffer, this.tlbArray.byteOffset);
    dv.setUint32(i * 24, 0);
    dv.setUint32(i * 24 + 4, mas1 >>> 0);
    dv.setBigUint64(i * 24 + 8, BigInt(mas2 >>> 0));
    dv.setBigUint64(i * 24 + 16, (BigInt(mas7 >>> 0) << 32n) | BigInt(mas3 >>> 0));
    const bitmap = new Uint8Array(Math.ceil((TLB0_ENTRIES + 64) / 64) * 8);
    bitmap[i >>> 3] |= 1 << (i & 7);
    this.vcpu.dirtyTlb(bitmap, 1);
  }

  private traceExit(reason: number): void {
    const r = this.vcpu.runStructure;
    const name = Object.entries(ExitReason).find(([, v]) => v === reason)?.[0] ?? String(reason);
    let detail = '';
    if (reason === ExitReason.MMIO) {
      detail = ` ${r.mmioIsWrite ? 'write' : 'read'} ${r.mmioLen} bytes at 0x${r.mmioPhysAddr.toString(16)}` +
        (r.mmioIsWrite ? ` value 0x${r.mmioValue().toString(16)}` : '');
    }
    this.opts.traceExit?.(`exit ${name}${detail} (pc 0x${(this.vcpu.getRegs().pc >>> 0).toString(16)})`);
  }

  /** Handle one exit; returns a machine event if the machine must stop. */
  private handleExit(reason: number): MachineEvent | null {
    const r = this.vcpu.runStructure;
    if (this.opts.traceExit !== undefined) this.traceExit(reason);
    switch (reason) {
      case ExitReason.MMIO: {
        const pa = r.mmioPhysAddr, len = r.mmioLen;
        if (r.mmioIsWrite) this.bus.write(pa, len, r.mmioValue());
        else r.setMmioValue(this.bus.read(pa, len));
        return null;
      }
      case ExitReason.EPR: {
        // External proxy: the core takes the interrupt with its vector in EPR (an implicit IACK).
        const v = this.mpic.iack(0);
        this.opts.traceInt?.(`mpic: cpu 0 external proxy vector 0x${v.toString(16)}`);
        r.epr = v;
        return null;
      }
      case ExitReason.INTR:
      case ExitReason.HLT:
        return null;
      case ExitReason.DEBUG:
        return 'debug';
      case ExitReason.INTERNAL_ERROR:
        this.errorMessage = `internal error at pc 0x${(this.vcpu.getRegs().pc >>> 0).toString(16)}: ${this.vcpu.internalErrorMessage}`;
        return 'error';
      case ExitReason.WATCHDOG:
        return 'reset';
      case ExitReason.SYSTEM_EVENT:
        this.errorMessage = `guest stopped (system event ${r.systemEventType}): ${this.vcpu.internalErrorMessage}`;
        return 'error';
      default:
        this.errorMessage = `unexpected exit reason ${reason}`;
        return 'error';
    }
  }

  /**
   * Enter the vCPU once and handle its exit (MMIO goes to the bus). Returns
   * the exit reason and the machine event it caused, if any ('debug' for a
   * guest-debug exit). For tools that step the guest (tools/lockstep), and
   * the building block of runUntilEvent.
   */
  runOnce(): { reason: number; event: MachineEvent | null } {
    if (performance.now() >= this.mpicWakeMs) this.mpic.tick();
    const reason = this.vcpu.run();
    const event = this.handleExit(reason) ?? this.pending;
    this.pending = null;
    if (this.pullInput !== null && this.uart.rxSpace() > 0) this.pullInput();
    return { reason, event };
  }

  /**
   * Run until the guest powers off, resets or fails. Yields to the event
   * loop between time slices and while the guest idles, so console input
   * and timers keep working.
   */
  async runUntilEvent(): Promise<MachineEvent> {
    let lastYield = performance.now();
    for (;;) {
      const { reason, event } = this.runOnce();
      if (event !== null) return event;
      if (reason === ExitReason.HLT) {
        const mpicNs = (this.mpicWakeMs - performance.now()) * 1e6;
        await this.idle(Math.min(this.vcpu.runStructure.hltWakeupNs, Math.max(0, mpicNs)));
        lastYield = performance.now();
      } else if (reason === ExitReason.INTR || performance.now() - lastYield >= YIELD_MS) {
        // Also after a run of quick exits (a guest polling a device register
        // exits on every access and never reaches the end of a time slice).
        await new Promise<void>((res) => setImmediate(res));
        lastYield = performance.now();
      }
    }
  }

  private wakeIdle: (() => void) | null = null;

  /** Sleep until the guest's next timer event or until something (input) wakes the machine. */
  private idle(ns: number): Promise<void> {
    return new Promise<void>((res) => {
      const timer = ns === Infinity ? null : setTimeout(done, Math.max(0, ns / 1e6));
      const self = this;
      function done(): void {
        if (timer !== null) clearTimeout(timer);
        self.wakeIdle = null;
        res();
      }
      this.wakeIdle = done;
    });
  }

  /** Console input: feed bytes to the UART as it has room; returns how many were taken. */
  input(bytes: Uint8Array): number {
    let n = 0;
    while (n < bytes.length && this.uart.rxSpace() > 0) this.uart.receive(bytes[n++]);
    if (n > 0) this.wakeIdle?.();
    return n;
  }
}
