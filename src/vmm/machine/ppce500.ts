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
  Cap, ExitReason, IrqLine, KVM_MEM_LOG_DIRTY_PAGES, KVM_MMU_FSL_BOOKE_NOHV, Reg, TIMEBASE_HZ, TLB_BYTES,
  TLB0_ENTRIES, e500mcTlbParams, openKvm, type Kvm, type Vcpu, type Vm,
} from '../../kvm/index.js';
import { GuestTlbView } from '../debug/tlb.js';
import { fields, int, obj, type Stateful } from '../snapshot/state.js';
import { MmioBus } from '../bus.js';
import { GuestMemory } from '../guest-memory.js';
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
import type { PlatformDevice } from './devicetree.js';
import {
  CCSR_BASE, GPIO_OFFSET, GUTS_OFFSET, I2C_IRQ, I2C_OFFSET, LBC_OFFSET, RTC_I2C_ADDR, MPIC_OFFSET, PCI_OFFSET, PVR_E500MC, UART0_IRQ, UART0_OFFSET,
  PLATFORM_BASE, PLATFORM_IRQ_COUNT, PLATFORM_IRQ_FIRST, PVPANIC_OFFSET, VIRTIO_MMIO_OFFSET, VIRTIO_MMIO_STRIDE,
} from './layout.js';

export { CCSR_BASE, CCSR_SIZE, UART0_OFFSET, GUTS_OFFSET, GPIO_OFFSET, PVR_E500MC } from './layout.js';

/** Longest time the run loop keeps the event loop (console input, timers) waiting. */
const YIELD_MS = 4;

/** Why runUntilEvent returned: the guest powered off, reset, panicked or failed, a debug exit, or stop() was called. */
export type MachineEvent = 'poweroff' | 'reset' | 'panic' | 'error' | 'debug' | 'stop';

/** The most virtio devices the platform bus has interrupt sources for. */
export const MAX_VIRTIO_DEVICES = PLATFORM_IRQ_COUNT;

/** QEMU's -rtc: the RTC starts at `baseMs` (epoch ms; default: the host's time) and runs on host or guest time. */
export interface RtcOptions {
  baseMs?: number;
  clock: 'host' | 'vm';
}

const PAGE = 4096;

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
  /**
   * QEMU's -icount shift=N: the vCPU's time base, and the machine's timers
   * (MPIC, RTC with clock=vm), run on 2^N ns per instruction
   * (TKVM_CAP_ICOUNT_CLOCK); undefined: host time.
   */
  icount?: number;
  /** The lazily synchronized guest TLB (TKVM_CAP_LAZY_TLB) instead of KVM's always-synchronized one. */
  lazyTlb?: boolean;
  /** Instructions run from an entry into guest code before it is translated (TKVM_CAP_JIT; 0: never; undefined: the API default). */
  jitThreshold?: number;
  /** The RTC's time (default: host time, starting at the host's date). */
  rtc?: RtcOptions;
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
  readonly i2c: FslI2c;
  readonly rtc: RtcDs1338;
  readonly gpio: QoriqGpio;
  readonly guts: Guts;
  /** Every device that holds state, by the name its snapshot section uses (virtio devices join here). */
  readonly devices = new Map<string, Stateful>();
  /** DMA view of RAM for the devices (its writes count for incremental snapshots). */
  readonly mem = new GuestMemory();
  /** The platform bus's devices, for the device tree. */
  readonly platform: PlatformDevice[] = [];
  /** The virtio console, if there is one, and its transport. */
  hvc: { device: VirtioConsole; transport: VirtioMmio } | null = null;
  /** Where console input goes: the UART, or the virtio console (hvc0). */
  inputTo: 'serial' | 'virtio' = 'serial';
  /** The events the guest reported through pvpanic (bit 0 panicked, bit 1 crash kernel loaded). */
  panicEvents = 0;
  /** When the MPIC's timers next need `tick()` (clockNs() scale), or Infinity. */
  private mpicWakeNs = Infinity;
  /** runUntilEvent returns 'stop' once the instruction count reaches this (tests, random-point snapshots). */
  private stopAtIcount = Infinity;
  /** The shared guest TLB (KVM_CAP_SW_TLB array). */
  readonly tlbArray: Uint8Array;
  /** Userspace's view of the TLB: every synchronization goes through it, so it knows what changed for snapshots. */
  readonly tlbView: GuestTlbView;
  /** Pages of RAM userspace wrote (the vCPU's own stores are in the KVM dirty log). */
  readonly vmmDirty: Uint8Array;
  /** Software breakpoints in RAM: physical address -> the instruction they replace. */
  readonly swBreakpoints = new Map<number, number>();
  /** 2^N ns per instruction with -icount, else 0. */
  readonly icountNsPerInsn: number;
  /** RTC time = rtcOffsetMs + (host: Date.now(); vm: clockNs() / 1e6). */
  rtcClock: 'host' | 'vm';
  rtcOffsetMs: number;
  private stopRequested = false;
  private pending: MachineEvent | null = null;
  /** Called when the UART can take more input (the console offers what it queued). */
  pullInput: (() => void) | null = null;
  errorMessage = '';

  constructor(readonly opts: MachineOptions) {
    this.kvm = openKvm();
    this.vm = this.kvm.createVm();
    this.ram = new SharedArrayBuffer(opts.ramBytes);
    this.ramU8 = new Uint8Array(this.ram);
    // Dirty logging from the start: snapshots after the first write only the pages that changed.
    this.vm.setUserMemoryRegion({ slot: 0, flags: KVM_MEM_LOG_DIRTY_PAGES, guestPhysAddr: 0, memorySize: opts.ramBytes, memory: this.ram });
    this.vmmDirty = new Uint8Array(Math.ceil(opts.ramBytes / PAGE / 8));
    this.vcpu = this.vm.createVcpu(0);
    this.icountNsPerInsn = opts.icount !== undefined ? 2 ** opts.icount : 0;
    if (opts.icount !== undefined) {
      this.vcpu.enableCap(Cap.TKVM_ICOUNT_CLOCK, [opts.icount]);
      // The switch keeps the time base the host clock had reached; start it at 0, as a reset does.
      this.vcpu.setOneReg(Reg.TB_OFFSET, 0n);
    }
    this.tlbArray = new Uint8Array(new SharedArrayBuffer(TLB_BYTES));
    this.vcpu.enableCap(Cap.SW_TLB, {
      params: e500mcTlbParams(), array: this.tlbArray, mmuType: KVM_MMU_FSL_BOOKE_NOHV, arrayLen: TLB_BYTES,
    });
    if (opts.lazyTlb) this.vcpu.enableCap(Cap.TKVM_LAZY_TLB, [1]);
    if (opts.jitThreshold !== undefined) this.vcpu.enableCap(Cap.TKVM_JIT, [opts.jitThreshold]);
    this.tlbView = new GuestTlbView(this.vcpu, this.tlbArray, 'set');
    this.rtcClock = opts.rtc?.clock ?? 'host';
    const base = opts.rtc?.baseMs;
    this.rtcOffsetMs = this.rtcClock === 'host' ? (base === undefined ? 0 : base - Date.now()) : (base ?? Date.now());
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
      nowNs: () => this.clockNs(),
      wakeAt: (ns) => {
        this.mpicWakeNs = ns === null ? Infinity : ns;
        this.updateDeadline();
      },
    });
    this.bus.map(CCSR_BASE + MPIC_OFFSET, MPIC_SIZE, 'pic@40000', this.mpic);
    this.uart = new Uart16550(opts.output, (level) => this.mpic.setIrq(UART0_IRQ, level));
    this.bus.map(CCSR_BASE + UART0_OFFSET, 0x100, 'serial@4500', this.uart);
    const i2c = this.i2c = new FslI2c((level) => this.mpic.setIrq(I2C_IRQ, level), unknown('i2c@3000', CCSR_BASE + I2C_OFFSET));
    this.rtc = new RtcDs1338(() => this.rtcNowMs());
    i2c.attach(RTC_I2C_ADDR, this.rtc);
    this.bus.map(CCSR_BASE + I2C_OFFSET, 0x100, 'i2c@3000', i2c);
    this.pci = new FslPciHost(unknown('pci@fe0008000', CCSR_BASE + PCI_OFFSET));
    this.bus.map(CCSR_BASE + PCI_OFFSET, PCI_REGS_SIZE, 'pci@fe0008000', this.pci);
    // The enhanced local bus controller (CCSR + 0x5000): this machine has
    // nothing on the local bus (no flash, no CPLD), so every chip select
    // reads as invalid (BRn = 0). U-Boot's clock report reads it (BR1, and
    // LCRR for "LBC: unknown").
    this.bus.map(CCSR_BASE + LBC_OFFSET, 0x1000, 'localbus@5000', new StubBlock(unknown('localbus@5000 (stub)', CCSR_BASE + LBC_OFFSET)));
    this.guts = new Guts(() => this.request('reset'), PVR_E500MC, 0, unknown('global-utilities@e0000', CCSR_BASE + GUTS_OFFSET));
    this.bus.map(CCSR_BASE + GUTS_OFFSET, 0x1000, 'global-utilities@e0000', this.guts);
    this.gpio = new QoriqGpio((pin, level) => {
      if (pin === 0 && level) this.request('poweroff');
    }, unknown('gpio@ff000', CCSR_BASE + GPIO_OFFSET));
    this.bus.map(CCSR_BASE + GPIO_OFFSET, 0x1000, 'gpio@ff000', this.gpio);
    // Snapshot order: the interrupt controller first, so the devices' lines meet it restored.
    this.devices.set('mpic', this.mpic);
    this.devices.set('serial', this.uart);
    this.devices.set('i2c', i2c);
    this.devices.set('rtc', this.rtc);
    this.devices.set('pci', this.pci);
    this.devices.set('guts', this.guts);
    this.devices.set('gpio', this.gpio);

    // The platform bus: virtio transports, one MPIC source each, then pvpanic.
    this.mem.addRegion(0, this.ramU8);
    // Device DMA: the KVM dirty log does not see it; the next snapshot must.
    this.mem.onWrite = (pa, len) => this.markVmmDirty(pa, len);
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
      this.devices.set(node, transport);
    });
    const pvpanicNode = `pvpanic@${PVPANIC_OFFSET.toString(16)}`;
    this.bus.map(PLATFORM_BASE + PVPANIC_OFFSET, 1, pvpanicNode, new Pvpanic((events) => {
      this.panicEvents |= events;
      // CRASH_LOADED alone (a crash kernel takes over) is only recorded, as QEMU does.
      if ((events & PVPANIC_PANICKED) !== 0) this.request('panic');
    }));
    this.platform.push({ node: pvpanicNode, compatible: 'qemu,pvpanic-mmio', offset: PVPANIC_OFFSET, size: 1 });
    this.devices.set(pvpanicNode, {
      saveState: () => ({ events: this.panicEvents }),
      loadState: (st) => {
        const o = obj(st, 'pvpanic');
        fields(o, ['events'], 'pvpanic');
        this.panicEvents = int(o, 'events', 0, 3, 'pvpanic');
      },
    });

    this.bus.onUnhandled = (pa, size, isWrite, value) => {
      opts.trace?.(`unhandled MMIO ${isWrite ? 'write' : 'read'} of ${size} bytes at 0x${pa.toString(16)}` +
        (isWrite ? ` (value 0x${value.toString(16)})` : ''));
    };
  }

  request(ev: MachineEvent): void {
    if (this.pending === null) this.pending = ev;
  }

  // ---- time ----

  /**
   * The machine's clock in ns for its devices: with -icount the instruction
   * count times 2^N (TKVM_ICOUNT), exact and reproducible; otherwise host time.
   */
  clockNs(): number {
    if (this.icountNsPerInsn !== 0) {
      return Number(this.vcpu.getOneReg(Reg.TKVM_ICOUNT) as bigint) * this.icountNsPerInsn + this.deviceSkipNs;
    }
    return (this.frozenAtMs ?? performance.now()) * 1e6 - this.pausedNs;
  }

  /** Host time (ms) since which the guest's time stands still (the machine is paused), or null. */
  private frozenAtMs: number | null = null;
  /** Host time (ns) the machine spent paused: its clock does not count it. */
  private pausedNs = 0;

  /**
   * The machine stops (QEMU's vm_stop): guest time stands still until
   * thawTime, as QEMU keeps the virtual clock and, under KVM, the time base
   * still while a VM is stopped. (With -icount time is the instruction count
   * and stands still by itself.)
   */
  freezeTime(): void {
    if (this.icountNsPerInsn === 0 && this.frozenAtMs === null) this.frozenAtMs = performance.now();
  }

  /** Start the time base at 0 (a fresh machine: loading its images took host time). */
  zeroTimeBase(): void {
    const v = this.vcpu;
    const tb = v.getSregs().e.tb;
    v.setOneReg(Reg.TB_OFFSET, BigInt.asUintN(64, (v.getOneReg(Reg.TB_OFFSET) as bigint) - tb));
  }

  /** The machine runs again: TB, the decrementer and the MPIC timers go on from where they stood. */
  thawTime(): void {
    if (this.frozenAtMs === null) return;
    const ns = (performance.now() - this.frozenAtMs) * 1e6;
    this.frozenAtMs = null;
    this.pausedNs += ns;
    const v = this.vcpu;
    const ticks = BigInt(Math.floor((ns * TIMEBASE_HZ) / 1e9));
    const expiry = v.getOneReg(Reg.DEC_EXPIRY) as bigint;
    v.setOneReg(Reg.TB_OFFSET, BigInt.asUintN(64, (v.getOneReg(Reg.TB_OFFSET) as bigint) - ticks));
    v.setOneReg(Reg.DEC_EXPIRY, expiry);
  }

  /** Time the devices skipped ahead of the instruction count (skipToDeviceTimer). */
  private deviceSkipNs = 0;

  /**
   * With -icount: move the devices' time (not the vCPU's time base) forward
   * to the MPIC's next timer event, which then fires on the next runOnce.
   * For tools that follow another machine's timing (tkvm lockstep adopts
   * QEMU's interrupts). Returns false if no device timer is running.
   */
  skipToDeviceTimer(): boolean {
    if (this.icountNsPerInsn === 0 || this.mpicWakeNs === Infinity) return false;
    const now = this.clockNs();
    if (this.mpicWakeNs > now) this.deviceSkipNs += this.mpicWakeNs - now;
    return true;
  }

  /** The instruction count (TKVM_ICOUNT). */
  icount(): number {
    return Number(this.vcpu.getOneReg(Reg.TKVM_ICOUNT) as bigint);
  }

  /** The RTC's time, epoch ms. */
  rtcNowMs(): number {
    return this.rtcOffsetMs + (this.rtcClock === 'host' ? Date.now() : this.clockNs() / 1e6);
  }

  /**
   * Tell the vCPU when to come back (TKVM_ICOUNT_DEADLINE): at the MPIC's
   * next timer event with -icount (so it fires at a reproducible instruction
   * count, and a waiting guest skips to it), and at a requested stop point.
   */
  private updateDeadline(): void {
    let d = this.stopAtIcount;
    if (this.icountNsPerInsn !== 0 && this.mpicWakeNs !== Infinity) d = Math.min(d, Math.ceil(this.mpicWakeNs / this.icountNsPerInsn));
    this.vcpu.setOneReg(Reg.TKVM_ICOUNT_DEADLINE, d === Infinity ? 0xffffffffffffffffn : BigInt(Math.max(0, d)));
  }

  /** Make runUntilEvent return 'stop' once the instruction count reaches `n` (Infinity: never). */
  stopAt(n: number): void {
    this.stopAtIcount = n;
    this.updateDeadline();
  }

  /** Make runUntilEvent return 'stop' as soon as it can (called from the event loop, e.g. a monitor's `stop`). */
  stop(): void {
    this.stopRequested = true;
    this.wakeIdle?.();
  }

  /**
   * Finish what the last exit left half done (an MMIO access completes on
   * the next KVM_RUN), so registers and memory are a consistent state to
   * inspect or save: KVM_RUN with immediate_exit, handling the exits it
   * still makes (multi-access instructions exit once per access).
   */
  completePending(): void {
    const r = this.vcpu.runStructure;
    r.immediateExit = 1;
    try {
      for (let k = 0; k < 64; k++) {
        const reason = this.vcpu.run();
        if (reason === ExitReason.INTR) return;
        const ev = this.handleExit(reason);
        if (ev !== null && ev !== 'debug') this.request(ev);
        if (reason === ExitReason.DEBUG) return;
      }
    } finally {
      r.immediateExit = 0;
    }
  }

  // ---- guest memory, as userspace sees it ----

  /** True if [pa, pa + len) is RAM. */
  isRam(pa: number, len: number): boolean {
    return Number.isSafeInteger(pa) && pa >= 0 && len >= 0 && pa + len <= this.opts.ramBytes;
  }

  /** Read RAM (null if the range is not RAM), showing the original instructions under software breakpoints. */
  readPhys(pa: number, len: number): Uint8Array | null {
    if (!this.isRam(pa, len)) return null;
    const out = this.ramU8.slice(pa, pa + len);
    if (this.swBreakpoints.size > 0) this.hideBreakpoints(out, pa);
    return out;
  }

  /** Put the replaced instructions back into `buf`, a copy of RAM from `pa`. */
  hideBreakpoints(buf: Uint8Array, pa: number): void {
    for (const [bp, word] of this.swBreakpoints) {
      for (let k = 0; k < 4; k++) {
        const at = bp + k - pa;
        if (at >= 0 && at < buf.length) buf[at] = (word >>> (24 - 8 * k)) & 0xff;
      }
    }
  }

  /**
   * Write RAM from userspace (a debugger, the monitor): software breakpoints
   * stay in place (the write goes under them), decoded instructions of the
   * range are dropped (TKVM_INVALIDATE_CODE) and the pages are marked for
   * the next snapshot. False if the range is not RAM.
   */
  writePhys(pa: number, data: Uint8Array): boolean {
    if (!this.isRam(pa, data.length)) return false;
    this.ramU8.set(data, pa);
    for (const [bp, word] of this.swBreakpoints) {
      if (bp + 4 <= pa || bp >= pa + data.length) continue;
      const cur = new DataView(this.ram).getUint32(bp);
      let w = word;
      for (let k = 0; k < 4; k++) {
        const at = bp + k;
        if (at >= pa && at < pa + data.length) {
          const sh = 24 - 8 * k;
          w = ((w & ~(0xff << sh)) | (((cur >>> sh) & 0xff) << sh)) >>> 0;
        }
      }
      this.swBreakpoints.set(bp, w);
      new DataView(this.ram).setUint32(bp, this.debugInst());
    }
    this.markVmmDirty(pa, data.length);
    this.vm.invalidateCode(pa, data.length);
    return true;
  }

  /** KVM_REG_PPC_DEBUG_INST: the word a software breakpoint puts in memory. */
  debugInst(): number {
    return this.vcpu.getOneReg(Reg.DEBUG_INST) as number;
  }

  /** Insert a software breakpoint at physical `pa` (word aligned, RAM); false if it cannot be. */
  insertSwBreakpoint(pa: number): boolean {
    if (pa % 4 !== 0 || !this.isRam(pa, 4)) return false;
    if (this.swBreakpoints.has(pa)) return true;
    const dv = new DataView(this.ram);
    this.swBreakpoints.set(pa, dv.getUint32(pa));
    dv.setUint32(pa, this.debugInst());
    this.markVmmDirty(pa, 4);
    this.vm.invalidateCode(pa, 4);
    return true;
  }

  removeSwBreakpoint(pa: number): boolean {
    const word = this.swBreakpoints.get(pa);
    if (word === undefined) return false;
    this.swBreakpoints.delete(pa);
    new DataView(this.ram).setUint32(pa, word);
    this.markVmmDirty(pa, 4);
    this.vm.invalidateCode(pa, 4);
    return true;
  }

  markVmmDirty(pa: number, len: number): void {
    if (len <= 0) return;
    for (let p = Math.floor(pa / PAGE); p <= Math.floor((pa + len - 1) / PAGE); p++) this.vmmDirty[p >>> 3] |= 1 << (p & 7);
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
    this.tlbView.markChanged(i);
  }

  private traceExit(reason: number): void {
    const r = this.vcpu.runStructure;
    const name = Object.entries(ExitReason).find(([, v]) => v === reason)?.[0] ?? String(reason);
    let detail = '';
    if (reason === ExitReason.MMIO) {
      detail = ` ${r.mmioIsWrite ? 'write' : 'read'} ${r.mmioLen} bytes at 0x${r.mmioPhysAddr.toString(16)}` +
        (r.mmioIsWrite ? ` value 0x${r.mmioValue().toString(16)}` : '');
    }
    this.opts.traceExit?.(`exit ${name}${detail} (pc 0x${(this.vcpu.getRegs().pc >>> 0).toString(16)}, instruction ${this.icount()})`);
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
    if (this.mpicWakeNs !== Infinity && this.clockNs() >= this.mpicWakeNs) this.mpic.tick();
    const reason = this.vcpu.run();
    let event = this.handleExit(reason) ?? this.pending;
    this.pending = null;
    if (event === null && this.stopAtIcount !== Infinity && reason === ExitReason.INTR && this.icount() >= this.stopAtIcount) {
      this.stopAt(Infinity);
      event = 'stop';
    }
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
    this.stopRequested = false;
    for (;;) {
      const { reason, event } = this.runOnce();
      if (event !== null) return event;
      if (this.stopRequested) {
        this.stopRequested = false;
        return 'stop';
      }
      if (reason === ExitReason.HLT) {
        // (With -icount the vCPU only halts with no timer at all: it skips to the next one.)
        const mpicNs = this.icountNsPerInsn !== 0 ? Infinity : this.mpicWakeNs - this.clockNs();
        await this.idle(Math.min(this.vcpu.runStructure.hltWakeupNs, Math.max(0, mpicNs)));
        lastYield = performance.now();
      } else if (reason === ExitReason.INTR || performance.now() - lastYield >= YIELD_MS) {
        // Also after a run of quick exits (a guest polling a device register
        // exits on every access and never reaches the end of a time slice).
        await new Promise<void>((res) => setImmediate(res));
        lastYield = performance.now();
      }
      if (this.stopRequested) {
        this.stopRequested = false;
        return 'stop';
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
