// The ppce500 machine (QEMU's "-M ppce500" with an e500mc): RAM at 0, CCSR
// at physical 0xf_e000_0000 with the MPIC, the UART (MPIC source 42), the
// I2C controller with its real-time clock, the PCI host bridge, GPIO
// (power-off), global utilities (reset), built on the hypervisor API only.
// On the platform bus at 0xf_0000_0000 (empty in QEMU's machine unless
// devices are added to it): virtio-mmio transports for the disks, console and
// entropy source the user asked for, and a pvpanic register.
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
import { Pvpanic, PVPANIC_PANICKED } from '../devices/pvpanic.js';
import { VirtioMmio } from '../devices/virtio/mmio.js';
import { VirtioBlk, type BlockStorage } from '../devices/virtio/blk.js';
import { VirtioConsole } from '../devices/virtio/console.js';
import { VirtioRng } from '../devices/virtio/rng.js';
import { GuestMemory } from '../guest-memory.js';
import type { PlatformDevice } from './devicetree.js';
import {
  CCSR_BASE, GPIO_OFFSET, GUTS_OFFSET, I2C_IRQ, I2C_OFFSET, LBC_OFFSET, RTC_I2C_ADDR, MPIC_OFFSET, PCI_OFFSET, PVR_E500MC, UART0_IRQ, UART0_OFFSET,
  PLATFORM_BASE, PLATFORM_IRQ_COUNT, PLATFORM_IRQ_FIRST, PVPANIC_OFFSET, VIRTIO_MMIO_OFFSET, VIRTIO_MMIO_STRIDE,
} from './layout.js';

export { CCSR_BASE, CCSR_SIZE, UART0_OFFSET, GUTS_OFFSET, GPIO_OFFSET, PVR_E500MC } from './layout.js';

/** Longest time the run loop keeps the event loop (console input, timers) waiting. */
const YIELD_MS = 4;

export type MachineEvent = 'poweroff' | 'reset' | 'panic' | 'error' | 'debug';

/** The most virtio devices the platform bus has interrupt sources for. */
export const MAX_VIRTIO_DEVICES = PLATFORM_IRQ_COUNT;

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
  /** virtio-blk disks, in this order (the guest's vda, vdb, ...). */
  drives?: BlockStorage[];
  /** A virtio console (the guest's hvc0), whose output goes here. */
  virtioConsole?: (bytes: Uint8Array) => void;
  /** A virtio entropy source, filled by this function. */
  rng?: (buf: Uint8Array) => void;
  /** Guest errors the devices report (a virtio device the guest misprograms). */
  log?: (line: string) => void;
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
  /** DMA view of RAM for the devices. */
  readonly mem = new GuestMemory();
  /** The platform bus's devices, for the device tree. */
  readonly platform: PlatformDevice[] = [];
  /** The virtio console, if there is one, and its transport. */
  hvc: { device: VirtioConsole; transport: VirtioMmio } | null = null;
  /** Where console input goes: the UART, or the virtio console (hvc0). */
  inputTo: 'serial' | 'virtio' = 'serial';
  /** The events the guest reported through pvpanic (bit 0 panicked, bit 1 crash kernel loaded). */
  panicEvents = 0;
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

    // The platform bus: virtio transports, one MPIC source each, then pvpanic.
    this.mem.addRegion(0, this.ramU8);
    const virtio: { backend: VirtioBlk | VirtioConsole | VirtioRng; name: string }[] = [];
    (opts.drives ?? []).forEach((d, k) => virtio.push({ backend: new VirtioBlk(d, `tkvm-disk${k}`), name: `virtio-blk ${k}` }));
    let hvc: VirtioConsole | null = null;
    if (opts.virtioConsole) virtio.push({ backend: hvc = new VirtioConsole(opts.virtioConsole), name: 'virtio-console' });
    if (opts.rng) virtio.push({ backend: new VirtioRng(opts.rng), name: 'virtio-rng' });
    if (virtio.length > MAX_VIRTIO_DEVICES) throw new Error(`at most ${MAX_VIRTIO_DEVICES} virtio devices (asked for ${virtio.length})`);
    virtio.forEach(({ backend, name }, k) => {
      const offset = VIRTIO_MMIO_OFFSET + k * VIRTIO_MMIO_STRIDE, irq = PLATFORM_IRQ_FIRST + k;
      const transport = new VirtioMmio(this.mem, backend, (level) => this.mpic.setIrq(irq, level),
        (msg) => opts.log?.(`${name}: ${msg}`));
      const node = `virtio_mmio@${offset.toString(16)}`;
      this.bus.map(PLATFORM_BASE + offset, VIRTIO_MMIO_STRIDE, node, transport);
      this.platform.push({ node, compatible: 'virtio,mmio', offset, size: VIRTIO_MMIO_STRIDE, irq });
      if (backend === hvc) this.hvc = { device: hvc, transport };
    });
    const pvpanicNode = `pvpanic@${PVPANIC_OFFSET.toString(16)}`;
    this.bus.map(PLATFORM_BASE + PVPANIC_OFFSET, 1, pvpanicNode, new Pvpanic((events) => {
      this.panicEvents |= events;
      // CRASH_LOADED alone (a crash kernel takes over) is only recorded, as QEMU does.
      if ((events & PVPANIC_PANICKED) !== 0) this.request('panic');
    }));
    this.platform.push({ node: pvpanicNode, compatible: 'qemu,pvpanic-mmio', offset: PVPANIC_OFFSET, size: 1 });

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

  /**
   * Console input: to the virtio console when it has the input (all of it:
   * its queue paces itself), else to the UART as it has room. Returns how
   * many bytes were taken.
   */
  input(bytes: Uint8Array): number {
    if (this.inputTo === 'virtio' && this.hvc !== null) {
      const { device, transport } = this.hvc;
      transport.guarded(() => device.input(bytes, transport));
      this.wakeIdle?.();
      return bytes.length;
    }
    let n = 0;
    while (n < bytes.length && this.uart.rxSpace() > 0) this.uart.receive(bytes[n++]);
    if (n > 0) this.wakeIdle?.();
    return n;
  }
}
