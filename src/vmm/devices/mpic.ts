// The Freescale MPIC (OpenPIC, "fsl,mpic") of the ppce500 machine, at
// CCSR + 0x40000 (256 KiB). The device knows nothing of the CPU: it drives
// each CPU's external and critical inputs through `int` and `cint`, and takes
// its own input lines through `setIrq`.
//
// Register map (offsets within the MPIC):
//   0x00000 BRR1       block revision (IP block 0x0040, version 4.2, as QEMU's
//                      reads; Freescale put it in the per-CPU area), read-only
//   0x00040..0x000b0   "this CPU" aliases of the per-CPU registers below
//                      (one vCPU per access: the machine passes its number)
//   0x01000 FRR        feature reporting (sources, CPUs, version), read-only
//   0x01020 GCR        global configuration: RESET (self-clearing), mode
//   0x01080 VIR        vendor identification (0, as QEMU)
//   0x01090 PIR        processor initialization (reset lines, stored only)
//   0x010a0.. IPIVPRn  vector/priority of inter-processor interrupt n (4)
//   0x010e0 SVR        spurious vector
//   0x010f0 TFRR       timer frequency reporting (written by firmware)
//   0x01100.. timers   4 global timers, 0x40 apart: GTCCR (current count,
//                      bit 31 toggles at each reload), GTBCR (base count,
//                      bit 31 inhibits counting), GTVPR, GTDR
//   0x01300 TCR        timer control (stored only: the clock is fixed, below)
//   0x01600 MSIR0-7    shared message-signalled interrupts (the MSI block,
//                      "fsl,mpic-msi"): MSIRn holds one bit per message,
//                      reading it returns and clears them; 0x01720 MSISR
//                      summarises which MSIRn are non-zero; writing 0x01740
//                      MSIIR (SRS in bits 31:29, IBS in 28:24) sets bit IBS
//                      of MSIR[SRS]. MSIRn drives source 224 + n while it is
//                      non-zero.
//   0x03900 EISR0, 0x03910 EIMR0   error interrupt summary and mask (MPIC
//                      4.x, which BRR1 reports, so Linux sets them up): no
//                      block of this machine reports errors, so they read 0
//                      and writes change nothing, as on QEMU
//   0x10000.. sources  0x20 apart: IVPR (+0x00) and IDR (+0x10) of source n
//                      (external 0-15, internal 16-79 (the UART is 42),
//                      messaging, shared MSI)
//   0x20000 + 0x1000*cpu: IPIDR0-3 (0x40..0x70), CTPR (0x80), WHOAMI (0x90),
//                      IACK (0xa0), EOI (0xb0)
//
// IVPR: MSK 0x80000000, A (activity, read-only) 0x40000000, P (polarity)
// 0x00800000, S (sense: 1 level, 0 edge) 0x00400000, priority 19:16,
// vector 15:0. IDR: EP 0x80000000, CI (critical) 0x40000000 >> cpu,
// P 1 << cpu.
//
// Delivery (OpenPIC): a CPU's external input is asserted while its highest
// pending, unmasked source has a priority above both its task priority
// (CTPR) and the priority of the interrupt it has in service (in-service
// interrupts nest: IACK pushes, EOI pops the highest). IACK returns the
// vector of that source and moves it in service (an edge source stops being
// pending); with nothing deliverable IACK returns the spurious vector.
// Sources routed with an IDR CI bit bypass all that and drive the CPU's
// critical input while they are active.
//
// Choices (each matching QEMU's observable values unless said otherwise):
// reset values (sources masked; internal sources read P = 1; CTPR 15; SVR
// 0xffff; FRR 0x00c30002); internal sources (16 and up) are level-sensitive
// and active-high whatever their S and P bits say, as the MPC8544 manual
// describes internal sources; a source destined to several CPUs goes to the
// lowest-numbered one (no round robin); the global timers count at 25 MHz
// (QEMU's rate; TFRR is only the firmware's report of it). The
// performance-monitor and message registers are left out: accesses to
// anything not listed are reported through `unknown`, never ignored.

import type { MmioDevice } from '../bus.js';
import { bool, fields, int, intArray, num, obj, StateError, type StateContext, type Stateful } from '../snapshot/state.js';

export const MPIC_SIZE = 0x40000;
export const MAX_CPUS = 8;
const NUM_SOURCES = 256;
const NUM_IPI = 4;
const NUM_TIMERS = 4;
/** Internal numbering: sources, then IPIs, then timers. */
const IPI0 = NUM_SOURCES;
const TIMER0 = IPI0 + NUM_IPI;
const NUM_IRQ = TIMER0 + NUM_TIMERS;
const FIRST_INTERNAL = 16;
/** Source of MSIR0 (MSIRn is source MSI_SOURCE0 + n). */
export const MSI_SOURCE0 = 224;
const NUM_MSIR = 8;

const IVPR_MSK = 0x80000000 | 0;
const IVPR_A = 0x40000000;
const IVPR_P = 0x00800000;
const IVPR_S = 0x00400000;
const IVPR_PRIO_SHIFT = 16;
const IVPR_RW = IVPR_MSK | IVPR_P | IVPR_S | (0xf << IVPR_PRIO_SHIFT) | 0xffff;
const IDR_CI0 = 0x40000000;

const GCR_RESET = 0x80000000 | 0;
const GCR_MODE_MASK = 0x60000000;
export const GCR_MODE_PROXY = 0x60000000;

const FRR = 0x00c30002;
const BRR1 = 0x00400402;
const TIMER_HZ = 25_000_000;
const GTCCR_TOG = 0x80000000 | 0;
const GTBCR_CI = 0x80000000 | 0;

export interface MpicOutputs {
  /** The CPU's external interrupt input (level). */
  int(cpu: number, level: boolean): void;
  /** The CPU's critical interrupt input (level). */
  cint(cpu: number, level: boolean): void;
  /** GCR's mode changed (mixed or external proxy): the machine tells the vCPUs (KVM_CAP_PPC_EPR). */
  modeChanged?(proxy: boolean): void;
  /** An access to a register the MPIC does not implement. */
  unknown?(offset: number, size: number, isWrite: boolean, value: number): void;
}

/** Time for the global timers, in nanoseconds, and a way to be called back. */
export interface MpicClock {
  nowNs(): number;
  /** Ask for `tick()` at (or soon after) time `ns`; null cancels. */
  wakeAt(ns: number | null): void;
}

interface Timer {
  /** Base count (GTBCR without CI). */
  base: number;
  inhibit: boolean;
  /** Time the current count started from `base`, when counting. */
  startNs: number;
  /** Count when stopped (inhibited). */
  stopped: number;
  toggle: boolean;
}

interface CpuState {
  ctpr: number;
  /** Sources in service, in IACK order (the last one has the highest priority). */
  inService: number[];
  /** IPIs pending for this CPU (bit n: IPI n). */
  ipiPending: number;
  int: boolean;
  cint: boolean;
}

export class Mpic implements MmioDevice, Stateful {
  private readonly ivpr = new Int32Array(NUM_IRQ);
  private readonly idr = new Int32Array(NUM_IRQ);
  /** Input line levels (external and internal sources). */
  private readonly line = new Uint8Array(NUM_SOURCES);
  /** Edge-triggered sources latched pending (and timers). */
  private readonly edgePending = new Uint8Array(NUM_IRQ);
  private gcr = 0;
  private pir = 0;
  private svr = 0xffff;
  private tfrr = 0;
  private tcr = 0;
  private readonly cpus: CpuState[] = [];
  private readonly timers: Timer[] = [];
  /** The shared message-signalled interrupt registers. */
  private readonly msir = new Uint32Array(NUM_MSIR);

  constructor(readonly numCpus: number, private readonly out: MpicOutputs, private readonly clock: MpicClock) {
    if (numCpus < 1 || numCpus > MAX_CPUS) throw new RangeError('MPIC: 1 to 8 CPUs');
    for (let c = 0; c < numCpus; c++) this.cpus.push({ ctpr: 15, inService: [], ipiPending: 0, int: false, cint: false });
    for (let t = 0; t < NUM_TIMERS; t++) this.timers.push({ base: 0, inhibit: true, startNs: 0, stopped: 0, toggle: false });
    this.reset();
  }

  /** Power-on state (also GCR[RESET]). Input line levels are the wires' and survive. */
  reset(): void {
    for (let i = 0; i < NUM_IRQ; i++) {
      this.ivpr[i] = IVPR_MSK | (i >= FIRST_INTERNAL && i < NUM_SOURCES ? IVPR_P : 0);
      this.idr[i] = 1;
    }
    this.edgePending.fill(0);
    const proxyBefore = (this.gcr & GCR_MODE_MASK) === GCR_MODE_PROXY;
    this.gcr = 0;
    this.pir = 0;
    this.svr = 0xffff;
    this.tfrr = 0;
    this.tcr = 0;
    for (const c of this.cpus) {
      c.ctpr = 15;
      c.inService = [];
      c.ipiPending = 0;
    }
    for (const t of this.timers) {
      t.base = 0;
      t.inhibit = true;
      t.stopped = 0;
      t.toggle = false;
    }
    this.clock.wakeAt(null);
    this.msir.fill(0);
    for (let k = 0; k < NUM_MSIR; k++) this.line[MSI_SOURCE0 + k] = 0;
    if (proxyBefore) this.out.modeChanged?.(false);
    this.update();
  }

  // ---- input lines ----

  /** Drive source `n`'s input line (0..255). */
  setIrq(n: number, level: boolean): void {
    const v = level ? 1 : 0;
    const was = this.line[n];
    if (was === v) return;
    this.line[n] = v;
    if (!this.isLevel(n)) {
      // Edge sources latch the active edge (rising when P = 1, falling when P = 0).
      const activeHigh = (this.ivpr[n] & IVPR_P) !== 0;
      if (v === (activeHigh ? 1 : 0)) this.edgePending[n] = 1;
    }
    this.update();
  }

  private isLevel(n: number): boolean {
    if (n >= NUM_SOURCES) return false; // IPIs and timers are events
    if (n >= FIRST_INTERNAL) return true;
    return (this.ivpr[n] & IVPR_S) !== 0;
  }

  /** True if source n is requesting (before masking and routing). */
  private active(n: number): boolean {
    if (n >= NUM_SOURCES) return this.edgePending[n] !== 0;
    if (this.isLevel(n)) {
      const activeHigh = n >= FIRST_INTERNAL || (this.ivpr[n] & IVPR_P) !== 0;
      return this.line[n] === (activeHigh ? 1 : 0);
    }
    return this.edgePending[n] !== 0;
  }

  private priority(n: number): number {
    return (this.ivpr[n] >>> IVPR_PRIO_SHIFT) & 0xf;
  }

  private inServiceAnywhere(n: number): boolean {
    for (const c of this.cpus) if (c.inService.includes(n)) return true;
    return false;
  }

  /** The CPU a source is delivered to (lowest set destination bit), or -1. */
  private destination(n: number): number {
    const d = this.idr[n];
    for (let c = 0; c < this.numCpus; c++) if ((d & (1 << c)) !== 0) return c;
    return -1;
  }

  /** Highest-priority source pending for `cpu` (not masked, not in service), or -1. */
  private highestPending(cpu: number): number {
    let best = -1, bestPrio = -1;
    const st = this.cpus[cpu];
    for (let n = 0; n < NUM_IRQ; n++) {
      if (n >= IPI0 && n < TIMER0) {
        if ((st.ipiPending & (1 << (n - IPI0))) === 0 || (this.ivpr[n] & IVPR_MSK) !== 0) continue;
      } else {
        if ((this.ivpr[n] & IVPR_MSK) !== 0 || !this.active(n)) continue;
        if (this.critMask(n) !== 0) continue;
        if (this.destination(n) !== cpu) continue;
        if (this.inServiceAnywhere(n)) continue; // a source is in service at most once
      }
      const p = this.priority(n);
      if (p > bestPrio) {
        best = n;
        bestPrio = p;
      }
    }
    return best;
  }

  /** CI bits of a source's IDR (sources routed to critical inputs). */
  private critMask(n: number): number {
    return n < NUM_SOURCES ? (this.idr[n] >>> 0) & 0x7f000000 : 0;
  }

  private inServicePriority(cpu: number): number {
    const is = this.cpus[cpu].inService;
    let p = -1;
    for (const n of is) p = Math.max(p, this.priority(n));
    return p;
  }

  /** Recompute every CPU's output lines. */
  private update(): void {
    for (let cpu = 0; cpu < this.numCpus; cpu++) {
      const st = this.cpus[cpu];
      const h = this.highestPending(cpu);
      const intLevel = h >= 0 && this.priority(h) > st.ctpr && this.priority(h) > this.inServicePriority(cpu);
      let cint = false;
      for (let n = 0; n < NUM_SOURCES && !cint; n++) {
        if ((this.idr[n] & (IDR_CI0 >>> cpu)) !== 0 && (this.ivpr[n] & IVPR_MSK) === 0 && this.active(n)) cint = true;
      }
      if (intLevel !== st.int) {
        st.int = intLevel;
        this.out.int(cpu, intLevel);
      }
      if (cint !== st.cint) {
        st.cint = cint;
        this.out.cint(cpu, cint);
      }
    }
  }

  // ---- acknowledge and end of interrupt ----

  /** Interrupt acknowledge by `cpu`: the vector, now in service (or the spurious vector). */
  iack(cpu: number): number {
    const st = this.cpus[cpu];
    const n = this.highestPending(cpu);
    if (n < 0 || this.priority(n) <= st.ctpr || this.priority(n) <= this.inServicePriority(cpu)) {
      return this.svr & 0xffff;
    }
    if (n >= IPI0 && n < TIMER0) st.ipiPending &= ~(1 << (n - IPI0));
    else if (!this.isLevel(n)) this.edgePending[n] = 0;
    st.inService.push(n);
    this.update();
    return this.ivpr[n] & 0xffff;
  }

  /** End of interrupt: the highest-priority interrupt in service on `cpu` is done. */
  eoi(cpu: number): void {
    const is = this.cpus[cpu].inService;
    if (is.length === 0) return;
    let at = 0;
    for (let k = 1; k < is.length; k++) if (this.priority(is[k]) >= this.priority(is[at])) at = k;
    is.splice(at, 1);
    this.update();
  }

  // ---- timers ----

  private timerCount(t: Timer): number {
    if (t.inhibit || t.base === 0) return t.stopped;
    const ticks = Math.floor((this.clock.nowNs() - t.startNs) * TIMER_HZ / 1e9);
    return t.base - (ticks % t.base);
  }

  /** The clock calls this when a wake-up time passed: fire expired timers, re-arm. */
  tick(): void {
    const now = this.clock.nowNs();
    let next = Infinity;
    for (let k = 0; k < NUM_TIMERS; k++) {
      const t = this.timers[k];
      if (t.inhibit || t.base === 0) continue;
      const periodNs = t.base * 1e9 / TIMER_HZ;
      const periods = Math.floor((now - t.startNs) / periodNs);
      if (periods > 0) {
        t.startNs += periods * periodNs;
        if ((periods & 1) !== 0) t.toggle = !t.toggle;
        this.edgePending[TIMER0 + k] = 1;
      }
      next = Math.min(next, t.startNs + periodNs);
    }
    this.clock.wakeAt(next === Infinity ? null : next);
    this.update();
  }

  private writeGtbcr(k: number, v: number): void {
    const t = this.timers[k];
    const inhibit = (v & GTBCR_CI) !== 0;
    const base = v & 0x7fffffff;
    if (!inhibit && (t.inhibit || base !== t.base)) {
      // Clearing CI (or a new base while counting) loads the count and starts.
      t.startNs = this.clock.nowNs();
    } else if (inhibit && !t.inhibit) {
      t.stopped = this.timerCount(t);
    }
    if (inhibit && t.inhibit && base !== t.base) t.stopped = base;
    t.base = base;
    t.inhibit = inhibit;
    this.tick();
  }

  // ---- registers ----

  /** MMIO on behalf of CPU 0 (the bus has no notion of which CPU accessed). */
  read(offset: number, size: number): number {
    return this.readAs(0, offset, size);
  }
  write(offset: number, size: number, value: number): void {
    this.writeAs(0, offset, size, value);
  }

  readAs(cpu: number, offset: number, size: number): number {
    if (size !== 4 || (offset & 3) !== 0) {
      this.out.unknown?.(offset, size, false, 0);
      return 0;
    }
    if (offset < 0x100) return this.readCpu(cpu, offset, size);
    if (offset >= 0x20000 && offset < 0x20000 + 0x1000 * this.numCpus) {
      return this.readCpu((offset - 0x20000) >>> 12, offset & 0xfff, size);
    }
    if (offset >= 0x10000 && offset < 0x10000 + NUM_SOURCES * 0x20) {
      const n = (offset - 0x10000) >>> 5;
      switch (offset & 0x1f) {
        case 0x00: return this.ivprRead(n);
        case 0x10: return this.idr[n];
      }
    }
    if (offset >= 0x10a0 && offset < 0x10a0 + NUM_IPI * 0x10 && (offset & 0xf) === 0) {
      return this.ivprRead(IPI0 + ((offset - 0x10a0) >>> 4));
    }
    if (offset >= 0x1100 && offset < 0x1100 + NUM_TIMERS * 0x40) {
      const k = (offset - 0x1100) >>> 6, t = this.timers[k];
      switch (offset & 0x3f) {
        case 0x00: return (t.toggle ? GTCCR_TOG : 0) | this.timerCount(t);
        case 0x10: return (t.inhibit ? GTBCR_CI : 0) | t.base;
        case 0x20: return this.ivprRead(TIMER0 + k);
        case 0x30: return this.idr[TIMER0 + k];
      }
    }
    if (offset >= 0x1600 && offset < 0x1600 + NUM_MSIR * 0x10 && (offset & 0xf) === 0) {
      const k = (offset - 0x1600) >>> 4;
      const v = this.msir[k];
      this.msir[k] = 0; // reading acknowledges the messages
      this.setIrq(MSI_SOURCE0 + k, false);
      return v;
    }
    switch (offset) {
      case 0x1000: return FRR;
      case 0x1020: return this.gcr;
      case 0x1080: return 0;
      case 0x1090: return this.pir;
      case 0x10e0: return this.svr;
      case 0x10f0: return this.tfrr;
      case 0x1300: return this.tcr;
      case 0x1720: {
        let v = 0;
        for (let k = 0; k < NUM_MSIR; k++) if (this.msir[k] !== 0) v |= 1 << k;
        return v;
      }
      case 0x1740: return 0; // MSIIR is write-only
      case 0x3900: case 0x3910: return 0;
    }
    this.out.unknown?.(offset, size, false, 0);
    return 0;
  }

  writeAs(cpu: number, offset: number, size: number, value: number): void {
    const v = value | 0;
    if (size !== 4 || (offset & 3) !== 0) {
      this.out.unknown?.(offset, size, true, value);
      return;
    }
    if (offset < 0x100) {
      this.writeCpu(cpu, offset, v);
      return;
    }
    if (offset >= 0x20000 && offset < 0x20000 + 0x1000 * this.numCpus) {
      this.writeCpu((offset - 0x20000) >>> 12, offset & 0xfff, v);
      return;
    }
    if (offset >= 0x10000 && offset < 0x10000 + NUM_SOURCES * 0x20) {
      const n = (offset - 0x10000) >>> 5;
      switch (offset & 0x1f) {
        case 0x00: this.ivprWrite(n, v); return;
        case 0x10: this.idrWrite(n, v); return;
      }
    }
    if (offset >= 0x10a0 && offset < 0x10a0 + NUM_IPI * 0x10 && (offset & 0xf) === 0) {
      this.ivprWrite(IPI0 + ((offset - 0x10a0) >>> 4), v);
      return;
    }
    if (offset >= 0x1600 && offset < 0x1600 + NUM_MSIR * 0x10 && (offset & 0xf) === 0) return; // MSIRn are read-only
    if (offset >= 0x1100 && offset < 0x1100 + NUM_TIMERS * 0x40) {
      const k = (offset - 0x1100) >>> 6;
      switch (offset & 0x3f) {
        case 0x00: return; // GTCCR is read-only
        case 0x10: this.writeGtbcr(k, v); return;
        case 0x20: this.ivprWrite(TIMER0 + k, v); return;
        case 0x30: this.idrWrite(TIMER0 + k, v); return;
      }
    }
    switch (offset) {
      case 0x1000: return; // FRR is read-only
      case 0x1020: {
        if ((v & GCR_RESET) !== 0) {
          this.reset(); // the reset completes at once: RESET reads back 0
          return;
        }
        const wasProxy = (this.gcr & GCR_MODE_MASK) === GCR_MODE_PROXY;
        this.gcr = v & GCR_MODE_MASK;
        const proxy = (this.gcr & GCR_MODE_MASK) === GCR_MODE_PROXY;
        if (proxy !== wasProxy) this.out.modeChanged?.(proxy);
        return;
      }
      case 0x1080: return; // VIR is read-only
      case 0x1090: this.pir = v & ((1 << this.numCpus) - 1); return; // no CPU reset lines: stored only
      case 0x10e0: this.svr = v & 0xffff; return;
      case 0x10f0: this.tfrr = v; return;
      case 0x1300: this.tcr = v; return;
      case 0x1720: return; // MSISR is read-only
      case 0x1740: {
        const k = (v >>> 29) & 7, bit = (v >>> 24) & 0x1f;
        this.msir[k] |= 1 << bit;
        this.setIrq(MSI_SOURCE0 + k, true);
        return;
      }
      case 0x3900: case 0x3910: return; // no error sources
    }
    this.out.unknown?.(offset, size, true, value);
  }

  private readCpu(cpu: number, off: number, size: number): number {
    if (cpu >= this.numCpus) {
      this.out.unknown?.(off, size, false, 0);
      return 0;
    }
    const st = this.cpus[cpu];
    switch (off) {
      case 0x00: return BRR1;
      case 0x40: case 0x50: case 0x60: case 0x70: return 0; // IPI dispatch is write-only
      case 0x80: return st.ctpr;
      case 0x90: return cpu;
      case 0xa0: return this.iack(cpu);
      case 0xb0: return 0;
    }
    this.out.unknown?.(0x20000 + cpu * 0x1000 + off, size, false, 0);
    return 0;
  }

  private writeCpu(cpu: number, off: number, v: number): void {
    if (cpu >= this.numCpus) {
      this.out.unknown?.(off, 4, true, v);
      return;
    }
    const st = this.cpus[cpu];
    switch (off) {
      case 0x00: return; // BRR1 is read-only
      case 0x40: case 0x50: case 0x60: case 0x70: {
        const ipi = (off - 0x40) >>> 4;
        for (let c = 0; c < this.numCpus; c++) if ((v & (1 << c)) !== 0) this.cpus[c].ipiPending |= 1 << ipi;
        this.update();
        return;
      }
      case 0x80: st.ctpr = v & 0xf; this.update(); return;
      case 0x90: return; // WHOAMI is read-only
      case 0xa0: return; // IACK is read-only
      case 0xb0: this.eoi(cpu); return;
    }
    this.out.unknown?.(0x20000 + cpu * 0x1000 + off, 4, true, v);
  }

  private ivprRead(n: number): number {
    let v = this.ivpr[n];
    const pending = n >= IPI0 && n < TIMER0
      ? this.cpus.some((c) => (c.ipiPending & (1 << (n - IPI0))) !== 0)
      : this.active(n);
    if (pending || this.inServiceAnywhere(n)) v |= IVPR_A;
    return v;
  }

  private ivprWrite(n: number, v: number): void {
    const was = this.ivpr[n];
    this.ivpr[n] = v & IVPR_RW;
    // Switching an external source between edge and level forgets a latched edge.
    if (n < FIRST_INTERNAL && ((was ^ v) & (IVPR_S | IVPR_P)) !== 0) this.edgePending[n] = 0;
    this.update();
  }

  private idrWrite(n: number, v: number): void {
    const cpuBits = (1 << this.numCpus) - 1;
    let ciBits = 0;
    for (let c = 0; c < this.numCpus; c++) ciBits |= IDR_CI0 >>> c;
    const ci = n < NUM_SOURCES ? v & ciBits : 0;
    this.idr[n] = (v & 0x80000000) | ci | (v & cpuBits);
    this.update();
  }

  // ---- snapshots ----

  /** Timer start times are saved relative to the clock (`ctx.nowNs`). */
  saveState(ctx: StateContext): unknown {
    return {
      ivpr: [...this.ivpr], idr: [...this.idr], line: [...this.line], edgePending: [...this.edgePending],
      gcr: this.gcr, pir: this.pir, svr: this.svr, tfrr: this.tfrr, tcr: this.tcr, msir: [...this.msir],
      cpus: this.cpus.map((c) => ({ ctpr: c.ctpr, inService: [...c.inService], ipiPending: c.ipiPending, int: c.int, cint: c.cint })),
      timers: this.timers.map((t) => ({
        base: t.base, inhibit: t.inhibit, startAgoNs: ctx.nowNs - t.startNs, stopped: t.stopped, toggle: t.toggle,
      })),
    };
  }

  /**
   * Restore, drive the CPU inputs and the interrupt-delivery mode as the
   * saved state has them, and re-arm the timers' wake-up (without firing:
   * a timer due at the save fires at the machine's next look, as it would
   * have without the snapshot).
   */
  loadState(state: unknown, ctx: StateContext): void {
    const w = 'mpic';
    const o = obj(state, w);
    fields(o, ['ivpr', 'idr', 'line', 'edgePending', 'gcr', 'pir', 'svr', 'tfrr', 'tcr', 'msir', 'cpus', 'timers'], w);
    const I32 = [-0x80000000, 0x7fffffff] as const;
    this.ivpr.set(intArray(o, 'ivpr', NUM_IRQ, ...I32, w));
    this.idr.set(intArray(o, 'idr', NUM_IRQ, ...I32, w));
    this.line.set(intArray(o, 'line', NUM_SOURCES, 0, 1, w));
    this.edgePending.set(intArray(o, 'edgePending', NUM_IRQ, 0, 1, w));
    this.gcr = int(o, 'gcr', ...I32, w) & GCR_MODE_MASK;
    this.pir = int(o, 'pir', 0, 0xff, w);
    this.svr = int(o, 'svr', 0, 0xffff, w);
    this.tfrr = int(o, 'tfrr', ...I32, w);
    this.tcr = int(o, 'tcr', ...I32, w);
    this.msir.set(intArray(o, 'msir', NUM_MSIR, 0, 0xffffffff, w));
    const cpus = o.cpus;
    if (!Array.isArray(cpus) || cpus.length !== this.numCpus) throw new StateError(`${w}.cpus: expected ${this.numCpus} CPUs`);
    cpus.forEach((cv, k) => {
      const cw = `${w}.cpus[${k}]`;
      const c = obj(cv, cw);
      fields(c, ['ctpr', 'inService', 'ipiPending', 'int', 'cint'], cw);
      const st = this.cpus[k];
      st.ctpr = int(c, 'ctpr', 0, 15, cw);
      st.inService = [...intArray(c, 'inService', null, 0, NUM_IRQ - 1, cw)];
      st.ipiPending = int(c, 'ipiPending', 0, (1 << NUM_IPI) - 1, cw);
      st.int = bool(c, 'int', cw);
      st.cint = bool(c, 'cint', cw);
    });
    const timers = o.timers;
    if (!Array.isArray(timers) || timers.length !== NUM_TIMERS) throw new StateError(`${w}.timers: expected ${NUM_TIMERS} timers`);
    timers.forEach((tv, k) => {
      const tw = `${w}.timers[${k}]`;
      const t = obj(tv, tw);
      fields(t, ['base', 'inhibit', 'startAgoNs', 'stopped', 'toggle'], tw);
      const tm = this.timers[k];
      tm.base = int(t, 'base', 0, 0x7fffffff, tw);
      tm.inhibit = bool(t, 'inhibit', tw);
      tm.startNs = ctx.nowNs - num(t, 'startAgoNs', tw);
      tm.stopped = int(t, 'stopped', 0, 0x7fffffff, tw);
      tm.toggle = bool(t, 'toggle', tw);
    });
    for (let cpu = 0; cpu < this.numCpus; cpu++) {
      const st = this.cpus[cpu];
      if (st.int) this.out.int(cpu, true);
      if (st.cint) this.out.cint(cpu, true);
    }
    if ((this.gcr & GCR_MODE_MASK) === GCR_MODE_PROXY) this.out.modeChanged?.(true);
    this.update();
    let next = Infinity;
    for (const t of this.timers) {
      if (!t.inhibit && t.base !== 0) next = Math.min(next, t.startNs + t.base * 1e9 / TIMER_HZ);
    }
    this.clock.wakeAt(next === Infinity ? null : next);
  }
}
