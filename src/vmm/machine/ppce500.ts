// The ppce500 machine (QEMU's "-M ppce500" with an e500mc): RAM at 0, CCSR
// at physical 0xf_e000_0000 with the UART, GPIO (power-off), global
// utilities (reset), built on the hypervisor API only.

import {
  Cap, ExitReason, KVM_INTERRUPT_SET_LEVEL, KVM_INTERRUPT_UNSET, KVM_MMU_FSL_BOOKE_NOHV, TLB_BYTES,
  TLB0_ENTRIES, e500mcTlbParams, openKvm, type Kvm, type Vcpu, type Vm,
} from '../../kvm/index.js';
import { MmioBus } from '../bus.js';
import { Guts } from '../devices/guts.js';
import { QoriqGpio } from '../devices/qoriq-gpio.js';
import { Uart16550 } from '../devices/uart16550.js';

export const CCSR_BASE = 0xfe0000000;
export const CCSR_SIZE = 0x100000;
export const UART0_OFFSET = 0x4500;
export const GUTS_OFFSET = 0xe0000;
export const GPIO_OFFSET = 0xff000;
export const PVR_E500MC = 0x80230020;

export type MachineEvent = 'poweroff' | 'reset' | 'error' | 'debug';

export interface MachineOptions {
  ramBytes: number;
  /** Console output (bytes from the UART). */
  output: (byte: number) => void;
  /** Called for accesses no device claims, and other trace events. */
  trace?: (line: string) => void;
}

export class Ppce500 {
  readonly kvm: Kvm;
  readonly vm: Vm;
  readonly vcpu: Vcpu;
  readonly ram: SharedArrayBuffer;
  readonly ramU8: Uint8Array;
  readonly bus = new MmioBus();
  readonly uart: Uart16550;
  /** The shared guest TLB (KVM_CAP_SW_TLB array). */
  readonly tlbArray: Uint8Array;
  private pending: MachineEvent | null = null;
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

    this.uart = new Uart16550(opts.output, (level) => this.uartIrq(level));
    this.bus.map(CCSR_BASE + UART0_OFFSET, 0x100, 'serial@4500', this.uart);
    this.bus.map(CCSR_BASE + GUTS_OFFSET, 0x1000, 'global-utilities@e0000', new Guts(() => this.request('reset'), PVR_E500MC, 0));
    this.bus.map(CCSR_BASE + GPIO_OFFSET, 0x1000, 'gpio@ff000', new QoriqGpio((pin, level) => {
      if (pin === 0 && level) this.request('poweroff');
    }));
    this.bus.onUnhandled = (pa, size, isWrite, value) => {
      opts.trace?.(`unhandled MMIO ${isWrite ? 'write' : 'read'} of ${size} bytes at 0x${pa.toString(16)}` +
        (isWrite ? ` (value 0x${value.toString(16)})` : ''));
    };
  }

  /** Until the MPIC exists, the UART drives the external input directly. */
  private uartIrq(level: boolean): void {
    this.vcpu.interrupt(level ? KVM_INTERRUPT_SET_LEVEL : KVM_INTERRUPT_UNSET);
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

  /** Handle one exit; returns a machine event if the machine must stop. */
  private handleExit(reason: number): MachineEvent | null {
    const r = this.vcpu.runStructure;
    switch (reason) {
      case ExitReason.MMIO: {
        const pa = r.mmioPhysAddr, len = r.mmioLen;
        if (r.mmioIsWrite) this.bus.write(pa, len, r.mmioValue());
        else r.setMmioValue(this.bus.read(pa, len));
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
   * Run until the guest powers off, resets or fails. Yields to the event
   * loop between time slices and while the guest idles, so console input
   * and timers keep working.
   */
  async runUntilEvent(): Promise<MachineEvent> {
    for (;;) {
      const reason = this.vcpu.run();
      const ev = this.handleExit(reason) ?? this.pending;
      if (ev !== null) {
        this.pending = null;
        return ev;
      }
      if (reason === ExitReason.HLT) {
        await this.idle(this.vcpu.runStructure.hltWakeupNs);
      } else if (reason === ExitReason.INTR) {
        await new Promise<void>((res) => setImmediate(res));
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
