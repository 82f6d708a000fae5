// Benchmarks of the hypervisor API (run standalone: node dist/bench/api.js).
//
// (a) MMIO exit round trip: a guest store to MMIO, the exit, a userspace
//     handler that reads the access, and the resume, in the vCPU's own
//     thread and across threads (vCPU in a worker, handler in this thread,
//     the Atomics handoff of src/platform/node/vcpu-handoff.ts), beside
//     real KVM on this host's x86 (the reference figures of
//     /work/shared/README.md: 10.6 us per MMIO round trip, 0.38 us per
//     trivial ioctl).
// (b) For each TLB mode (always synchronized; lazy with full sync; lazy
//     with per-set sync): guest tlbwe throughput, the cost for userspace to
//     translate one address, the cost to read the whole TLB for a
//     checkpoint, and the bytes of TLB state held per vCPU.

import { pathToFileURL } from 'node:url';
import {
  Cap, ExitReason, KVM_MMU_FSL_BOOKE_NOHV, Reg, TLB0_ENTRIES, TLB_BITMAP_BYTES, TLB_BYTES, e500mcTlbParams, openKvm,
  type Vcpu,
} from '../src/kvm/index.js';
import { GuestTlbView } from '../src/vmm/debug/tlb.js';
import { VcpuThread } from '../src/platform/node/vcpu-thread.js';

export const KVM_X86_MMIO_ROUND_TRIP_US = 10.6;
export const KVM_X86_TRIVIAL_IOCTL_US = 0.38;

// ---- a few instruction encodings ----
const D = (op: number, rt: number, ra: number, d: number) => ((op << 26) | (rt << 21) | (ra << 16) | (d & 0xffff)) >>> 0;
const lis = (rt: number, v: number) => D(15, rt, 0, v);
const ori = (ra: number, rs: number, v: number) => D(24, rs, ra, v);
const li32 = (rt: number, v: number) => [lis(rt, v >>> 16), ori(rt, rt, v & 0xffff)];
const addi = (rt: number, ra: number, v: number) => D(14, rt, ra, v);
const stw = (rs: number, d: number, ra: number) => D(36, rs, ra, d);
const b = (off: number) => ((18 << 26) | (off & 0x03fffffc)) >>> 0;
const bdnz = (off: number) => ((16 << 26) | (16 << 21) | (off & 0xfffc)) >>> 0;
const mtspr = (spr: number, rs: number) => ((31 << 26) | (rs << 21) | (((spr & 0x1f) << 5 | (spr >>> 5)) << 11) | (467 << 1)) >>> 0;
const tlbwe = () => ((31 << 26) | (978 << 1)) >>> 0;
const rlwinm = (ra: number, rs: number, sh: number, mb: number, me: number) =>
  ((21 << 26) | (rs << 21) | (ra << 16) | (sh << 11) | (mb << 6) | (me << 1)) >>> 0;

const RAM = 16 << 20;
const CODE = 0x4000;
const MMIO_EA = 0xe0000000;
const MMIO_PA = 0xfe0000000;

interface Machine {
  vcpu: Vcpu;
  ram: SharedArrayBuffer;
  tlb: Uint8Array;
}

function tlbEntry(dv: DataView, i: number, mas1: number, mas2: number, mas3: number, mas7 = 0): void {
  dv.setUint32(i * 24 + 4, mas1 >>> 0);
  dv.setUint32(i * 24 + 12, mas2 >>> 0);
  dv.setUint32(i * 24 + 16, mas7);
  dv.setUint32(i * 24 + 20, mas3 >>> 0);
}

/** RAM at 0, TLB1 entries for RAM (16 MiB) and an MMIO window, code at CODE. */
function machine(code: number[], opts: { lazy?: boolean; icount?: boolean } = {}): Machine {
  const vm = openKvm().createVm();
  const ram = new SharedArrayBuffer(RAM);
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: RAM, memory: ram });
  const vcpu = vm.createVcpu(0);
  const tlb = new Uint8Array(new SharedArrayBuffer(TLB_BYTES));
  const tdv = new DataView(tlb.buffer);
  tlbEntry(tdv, TLB0_ENTRIES, 0xc0000700, 0, 0x3f);
  tlbEntry(tdv, TLB0_ENTRIES + 1, 0xc0000500, MMIO_EA | 0x0a, (MMIO_PA & 0xfffff000) | 0x3f, MMIO_PA / 2 ** 32);
  if (opts.lazy) vcpu.enableCap(Cap.TKVM_LAZY_TLB, [1]);
  vcpu.enableCap(Cap.SW_TLB, { params: e500mcTlbParams(), array: tlb, mmuType: KVM_MMU_FSL_BOOKE_NOHV, arrayLen: TLB_BYTES });
  if (opts.icount) vcpu.enableCap(Cap.TKVM_ICOUNT_CLOCK, [0]);
  const dv = new DataView(ram);
  code.forEach((w, k) => dv.setUint32(CODE + 4 * k, w));
  const regs = vcpu.getRegs();
  regs.pc = CODE;
  regs.msr = 0x1000;
  vcpu.setRegs(regs);
  return { vcpu, ram, tlb };
}

const mmioLoop = [...li32(4, MMIO_EA), addi(5, 5, 1), stw(5, 0, 4), b(-8)];

/** Best of `rounds` timings of fn(n), in ns per iteration. */
function timeNs(fn: (n: number) => void, n: number, rounds = 5): number {
  fn(Math.min(n, 2000)); // warm-up
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    fn(n);
    best = Math.min(best, ((performance.now() - t0) * 1e6) / n);
  }
  return best;
}

function sameThreadMmio(icount: boolean): number {
  const m = machine(mmioLoop, { icount });
  const run = m.vcpu.runStructure;
  let sink = 0;
  const ns = timeNs((n) => {
    for (let k = 0; k < n; k++) {
      if (m.vcpu.run() !== ExitReason.MMIO) throw new Error('expected an MMIO exit');
      sink += run.mmioPhysAddr + run.mmioValue();
    }
  }, 200_000);
  if (sink === 0) throw new Error('no data');
  return ns;
}

async function crossThreadMmio(spin: number, n: number): Promise<number> {
  const m = machine([]);
  const ram = new SharedArrayBuffer(RAM);
  const dv = new DataView(ram);
  mmioLoop.forEach((w, k) => dv.setUint32(CODE + 4 * k, w));
  const tlb = new SharedArrayBuffer(TLB_BYTES);
  const tdv = new DataView(tlb);
  tlbEntry(tdv, TLB0_ENTRIES, 0xc0000700, 0, 0x3f);
  tlbEntry(tdv, TLB0_ENTRIES + 1, 0xc0000500, MMIO_EA | 0x0a, (MMIO_PA & 0xfffff000) | 0x3f, MMIO_PA / 2 ** 32);
  const regs = m.vcpu.getRegs();
  regs.pc = CODE;
  regs.msr = 0x1000;
  const t = await VcpuThread.start({
    regions: [{ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: RAM, memory: ram }],
    tlb: { array: tlb }, regs, spin,
  });
  try {
    let sink = 0;
    const ns = timeNs((k) => {
      for (let i = 0; i < k; i++) {
        if (t.waitExit() !== ExitReason.MMIO) throw new Error('expected an MMIO exit');
        sink += t.run.mmioValue();
        t.resume();
      }
    }, n, 3);
    if (sink === 0) throw new Error('no data');
    return ns;
  } finally {
    await t.stop();
  }
}

function trivialIoctls(): Record<string, number> {
  const kvm = openKvm();
  const m = machine(mmioLoop);
  let s = 0;
  const check = timeNs((n) => { for (let i = 0; i < n; i++) s += kvm.checkExtension(Cap.ONE_REG); }, 2_000_000);
  const oneReg = timeNs((n) => { for (let i = 0; i < n; i++) s += m.vcpu.getOneReg(Reg.TCR) as number; }, 500_000);
  if (Number.isNaN(s)) throw new Error();
  return { checkExtensionNs: check, getOneRegNs: oneReg };
}

// ---- TLB modes ----

type TlbMode = 'synchronized' | 'lazy, full sync' | 'lazy, per-set sync';
const TLB_MODES: TlbMode[] = ['synchronized', 'lazy, full sync', 'lazy, per-set sync'];

/** tlbwe in a loop: `count` TLB0 entries, then an MMIO store to leave. */
function tlbweGuest(count: number): number[] {
  return [
    ...li32(7, 0x80000100), mtspr(625, 7), ...li32(8, 0x00100000 | 0x3f), mtspr(627, 8), ...li32(9, 0), mtspr(944, 9),
    mtspr(624, 9), ...li32(6, 0x20000000), ...li32(10, count), mtspr(9, 10),
    // Entry i: EA 0x20000000 + i * 4 KiB, set i % 128, way (i / 128) % 4 (MAS0[ESEL] = EA bits 19..20).
    mtspr(626, 6), rlwinm(11, 6, 29, 14, 15), mtspr(624, 11), tlbwe(), addi(6, 6, 0x1000), bdnz(-20),
    ...li32(4, MMIO_EA), stw(5, 0, 4), b(0),
  ];
}

function tlbweThroughput(lazy: boolean): number {
  const count = 2_000_000;
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const m = machine(tlbweGuest(count), { lazy });
    const t0 = performance.now();
    if (m.vcpu.run() !== ExitReason.MMIO) throw new Error('expected the final MMIO exit');
    best = Math.min(best, performance.now() - t0);
  }
  return count / (best / 1000);
}

function tlbCosts(mode: TlbMode): Record<string, number> {
  const lazy = mode !== 'synchronized';
  // Fill the TLB: 512 TLB0 entries, then stop.
  const m = machine(tlbweGuest(TLB0_ENTRIES), { lazy });
  if (m.vcpu.run() !== ExitReason.MMIO) throw new Error('expected the final MMIO exit');
  // The always-synchronized array is the TLB after an exit: the walker reads it as it is.
  const view = new GuestTlbView(m.vcpu, m.tlb, mode === 'synchronized' ? 'none' : mode === 'lazy, per-set sync' ? 'set' : 'full');
  view.sync();
  let sink = 0;
  const translateNs = timeNs((n) => {
    for (let i = 0; i < n; i++) {
      const r = view.translate(0x20000000 + ((i * 0x1000) & 0x1ff000) + 0x10, 0, 0);
      sink += r === null ? 0 : r.realAddress;
    }
  }, 200_000);
  const snapshot = new Uint8Array(TLB_BYTES);
  const changed = new Uint8Array(TLB_BITMAP_BYTES);
  // Whole TLB for a checkpoint: synchronize everything, copy the array.
  const fullReadNs = timeNs((n) => {
    for (let i = 0; i < n; i++) {
      m.vcpu.syncTlb({}, changed);
      snapshot.set(m.tlb);
    }
  }, 20_000);
  // The same right after the guest rewrote all 512 TLB0 entries: what a lazy sync has to copy.
  let afterChangesMs = 0;
  const rounds = 300;
  for (let i = 0; i < rounds; i++) {
    const regs = m.vcpu.getRegs();
    regs.pc = CODE;
    m.vcpu.setRegs(regs);
    if (m.vcpu.run() !== ExitReason.MMIO) throw new Error('expected the final MMIO exit');
    const t0 = performance.now();
    const n = m.vcpu.syncTlb({}, changed);
    snapshot.set(m.tlb);
    afterChangesMs += performance.now() - t0;
    if (n !== TLB0_ENTRIES) throw new Error(`expected ${TLB0_ENTRIES} changed entries, got ${n}`);
  }
  const afterChangesNs = (afterChangesMs * 1e6) / rounds;
  if (sink === 0) throw new Error('no translations');
  return {
    translateNs,
    checkpointFullReadUs: fullReadNs / 1000,
    checkpointAfterAllChangedUs: afterChangesNs / 1000,
    tlbBytesPerVcpu: lazy ? 2 * TLB_BYTES + TLB_BITMAP_BYTES : TLB_BYTES + TLB_BITMAP_BYTES,
  };
}

export async function benchApi(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const same = sameThreadMmio(false);
  const sameIcount = sameThreadMmio(true);
  out.mmio = {
    sameThreadNs: same,
    sameThreadIcountClockNs: sameIcount,
    crossThreadAdaptiveNs: await crossThreadMmio(2000, 50_000),
    crossThreadBlockingNs: await crossThreadMmio(0, 5_000),
    kvmX86RoundTripNs: KVM_X86_MMIO_ROUND_TRIP_US * 1000,
    speedupSameThreadVsKvm: (KVM_X86_MMIO_ROUND_TRIP_US * 1000) / same,
  };
  out.ioctl = { ...trivialIoctls(), kvmX86TrivialIoctlNs: KVM_X86_TRIVIAL_IOCTL_US * 1000 };
  const tlb: Record<string, unknown> = {};
  const tlbweSync = tlbweThroughput(false);
  const tlbweLazy = tlbweThroughput(true);
  for (const mode of TLB_MODES) {
    tlb[mode] = { tlbwePerSecond: mode === 'synchronized' ? tlbweSync : tlbweLazy, ...tlbCosts(mode) };
  }
  out.tlb = tlb;
  return out;
}

function fmt(n: unknown, digits = 0): string {
  return typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(n);
}

/** The API benchmark's table. */
export function formatApi(r: Record<string, unknown>): string {
  const mmio = r.mmio as Record<string, number>;
  const io = r.ioctl as Record<string, number>;
  const lines = [
    'MMIO exit round trip (guest store -> exit -> handler -> resume)   tkvm        real KVM (x86 host)',
    `  same thread                                                  ${fmt(mmio.sameThreadNs).padStart(6)} ns   ${fmt(mmio.kvmX86RoundTripNs)} ns  (${fmt(mmio.speedupSameThreadVsKvm, 1)}x faster)`,
    `  same thread, icount clock                                    ${fmt(mmio.sameThreadIcountClockNs).padStart(6)} ns`,
    `  across threads, adaptive spin, then Atomics.wait            ${fmt(mmio.crossThreadAdaptiveNs).padStart(6)} ns`,
    `  across threads, blocking handoff (Atomics.wait)              ${fmt(mmio.crossThreadBlockingNs).padStart(6)} ns`,
    `trivial ioctl: KVM_CHECK_EXTENSION                             ${fmt(io.checkExtensionNs, 1).padStart(6)} ns   ${fmt(io.kvmX86TrivialIoctlNs)} ns`,
    `               KVM_GET_ONE_REG (TCR)                           ${fmt(io.getOneRegNs, 1).padStart(6)} ns`,
    '',
    'TLB mode              tlbwe/s       translate (ns)   checkpoint read (us)   after 512 changes (us)   bytes/vCPU',
  ];
  for (const [mode, v] of Object.entries(r.tlb as Record<string, Record<string, number>>)) {
    lines.push(`${mode.padEnd(20)} ${fmt(v.tlbwePerSecond).padStart(11)}   ${fmt(v.translateNs).padStart(12)}   ${fmt(v.checkpointFullReadUs, 2).padStart(20)}   ${fmt(v.checkpointAfterAllChangedUs, 2).padStart(22)}   ${fmt(v.tlbBytesPerVcpu).padStart(10)}`);
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  process.stdout.write(formatApi(await benchApi()));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench/api: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
