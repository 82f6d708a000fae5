// Saving and restoring a whole ppce500 machine, through the hypervisor API
// only: the vCPU (registers, sregs, every listed ONE_REG register, the FPU,
// the instruction clock, the wait state), the guest TLB (the shared
// KVM_CAP_SW_TLB array, synchronized first), RAM (zero pages skipped) and
// every device (Stateful). The container (format.ts) checksums each section.
//
// Sections:
//   META  JSON: what machine this is (refused if it does not match), the
//         snapshot's id, its parent's id and file (incremental), the clocks
//   CPU0  JSON: the vCPU (bigints as "0x...n" strings)
//   TLB0  u32 entry count | bitmap of the entries present | 24 bytes each
//   RAM0  u32 page size | u32 pages | bitmap of pages stored |
//         bitmap of pages that are zero | the stored pages
//   DEVS  JSON: device name -> state
//
// A full snapshot covers every page (stored or zero) and every TLB entry.
// An incremental one (the parent is the snapshot this machine last saved or
// restored) holds only the pages written since then (the KVM dirty log, and
// userspace's own writes) and the TLB entries that changed (syncTlb's change
// bitmap); the vCPU and devices are always saved whole (they are small).
// Restoring an incremental snapshot reads its chain of parents.
//
// Restoring goes into a freshly built machine that has not run; it is used
// only if everything loaded, so a snapshot that fails at any point leaves
// the running machine untouched.

import {
  KVM_MP_STATE_HALTED, KVM_MP_STATE_RUNNABLE, KvmError, Reg, TLB_BITMAP_BYTES, TLB_BYTES, TLB_ENTRIES,
  TLB_ENTRY_BYTES, type KvmRegs, type KvmSregs,
} from '../../kvm/index.js';
import type { Ppce500 } from '../machine/ppce500.js';
import { readSnapshot, SnapshotError, writeSnapshot, type Codec, type Section } from './format.js';
import { StateError } from './state.js';

export const PAGE_SIZE = 4096;
const MACHINE = 'ppce500';
const CPU = 'e500mc';
/** Longest chain of incremental snapshots followed on restore. */
export const MAX_CHAIN = 256;

export interface SnapshotRef {
  /** The snapshot's id (random, in its META). */
  id: string;
  /** Where it is (as given to savevm/loadvm: a file name for the platform's file access). */
  file: string;
}

export interface SnapshotMeta {
  machine: string;
  cpu: string;
  ramBytes: number;
  vcpus: number;
  /** -icount shift, or null for host time. */
  icount: number | null;
  id: string;
  parent: SnapshotRef | null;
  /** The machine clock (ns) at the save. */
  clockNs: number;
  rtc: { clock: 'host' | 'vm'; offsetMs: number; nowMs: number };
  tkvm: string;
}

export interface SaveStats {
  pagesStored: number;
  pagesZero: number;
  tlbEntries: number;
  /** Pages the dirty log and userspace reported (incremental), or all pages (full). */
  pagesConsidered: number;
}

/** A prepared snapshot: commit() once it is safely stored, abort() if it could not be. */
export interface PreparedSnapshot {
  bytes: Uint8Array;
  ref: SnapshotRef;
  stats: SaveStats;
  commit(): void;
  abort(): void;
}

function randomId(): string {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function jsonBytes(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}n` : x)));
}

function parseJson(data: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(dec.decode(data), (_k, x) => (typeof x === 'string' && /^0x[0-9a-f]+n$/.test(x) ? BigInt(x.slice(0, -1)) : x));
  } catch {
    throw new SnapshotError(`snapshot section ${what} is not valid JSON`);
  }
}

function testBit(bm: Uint8Array, i: number): boolean {
  return ((bm[i >>> 3] >> (i & 7)) & 1) !== 0;
}

function setBit(bm: Uint8Array, i: number): void {
  bm[i >>> 3] |= 1 << (i & 7);
}

function isZeroPage(w: Int32Array, page: number): boolean {
  const base = page * (PAGE_SIZE / 4);
  let acc = 0;
  for (let k = base; k < base + PAGE_SIZE / 4; k++) acc |= w[k];
  return acc === 0;
}

/** The ONE_REG registers saved, in the order a restore sets them (the clock before what depends on it). */
function oneRegOrder(list: readonly bigint[]): bigint[] {
  const late = [Reg.TB_OFFSET, Reg.DEC_EXPIRY];
  return [Reg.TKVM_ICOUNT, ...list.filter((id) => !late.includes(id as never)), ...late];
}

interface CpuState {
  regs: KvmRegs;
  sregs: KvmSregs;
  fpu: bigint[];
  oneRegs: [bigint, number | bigint][];
  mpState: number;
}

// ---- saving ----

/**
 * Snapshot the machine (stopped between runs). With `parent` (what this
 * machine last saved or restored), only what changed since then.
 */
export function prepareSnapshot(m: Ppce500, opts: { codec: Codec | null; parent: SnapshotRef | null; tkvmVersion: string }): PreparedSnapshot {
  // A disk's contents are not in a snapshot: restoring one next to a disk
  // that went on changing would hand the guest a file system it did not
  // leave. QEMU refuses the same way when a writable disk cannot snapshot.
  const writable = (m.opts.drives ?? []).findIndex((d) => !d.readOnly);
  if (writable >= 0) {
    throw new SnapshotError(`disk vd${String.fromCharCode(0x61 + writable)} is writable but its contents are not saved in snapshots (attach it with readonly=on)`);
  }
  m.completePending();
  const vcpu = m.vcpu;
  const id = randomId();
  const ramBytes = m.opts.ramBytes;
  const pages = ramBytes / PAGE_SIZE;
  const clockNs = m.clockNs();

  // What changed since the last snapshot: harvested now, given back if the snapshot is not kept.
  const changed = m.vm.getDirtyLog(0);
  for (let k = 0; k < m.vmmDirty.length; k++) changed[k] |= m.vmmDirty[k];
  m.vmmDirty.fill(0);
  const tlbChanged = m.tlbView.takeChanges();

  const meta: SnapshotMeta = {
    machine: MACHINE, cpu: CPU, ramBytes, vcpus: 1, icount: m.opts.icount ?? null, id, parent: opts.parent,
    clockNs, rtc: { clock: m.rtcClock, offsetMs: m.rtcOffsetMs, nowMs: m.rtcNowMs() }, tkvm: opts.tkvmVersion,
  };

  const list = vcpu.getRegList();
  const cpu: CpuState = {
    regs: vcpu.getRegs(),
    sregs: vcpu.getSregs(),
    fpu: vcpu.getFpu().fpr,
    oneRegs: oneRegOrder(list).map((rid) => [rid, vcpu.getOneReg(rid)]),
    mpState: vcpu.getMpState().mpState,
  };

  // TLB: everything, or the entries that changed.
  const full = opts.parent === null;
  const tlbPresent = full ? new Uint8Array(TLB_BITMAP_BYTES).fill(0xff) : tlbChanged;
  let nTlb = 0;
  for (let i = 0; i < TLB_ENTRIES; i++) if (testBit(tlbPresent, i)) nTlb++;
  const tlb = new Uint8Array(4 + TLB_BITMAP_BYTES + nTlb * TLB_ENTRY_BYTES);
  new DataView(tlb.buffer).setUint32(0, TLB_ENTRIES);
  tlb.set(tlbPresent.subarray(0, TLB_BITMAP_BYTES), 4);
  let o = 4 + TLB_BITMAP_BYTES;
  for (let i = 0; i < TLB_ENTRIES; i++) {
    if (!testBit(tlbPresent, i)) continue;
    tlb.set(m.tlbArray.subarray(i * TLB_ENTRY_BYTES, (i + 1) * TLB_ENTRY_BYTES), o);
    o += TLB_ENTRY_BYTES;
  }

  // RAM: every page (full) or the changed ones, zero pages as a bit only.
  const bmBytes = Math.ceil(pages / 8);
  const stored = new Uint8Array(bmBytes);
  const zero = new Uint8Array(bmBytes);
  const words = new Int32Array(m.ram);
  let nStored = 0, nZero = 0, considered = 0;
  for (let p = 0; p < pages; p++) {
    if (!full && !testBit(changed, p)) continue;
    considered++;
    if (isZeroPage(words, p) && !hasBreakpoint(m, p)) {
      setBit(zero, p);
      nZero++;
    } else {
      setBit(stored, p);
      nStored++;
    }
  }
  const ram = new Uint8Array(12 + 2 * bmBytes + nStored * PAGE_SIZE);
  const rdv = new DataView(ram.buffer);
  rdv.setUint32(0, PAGE_SIZE);
  rdv.setUint32(4, pages);
  rdv.setUint32(8, 0);
  ram.set(stored, 12);
  ram.set(zero, 12 + bmBytes);
  o = 12 + 2 * bmBytes;
  for (let p = 0; p < pages; p++) {
    if (!testBit(stored, p)) continue;
    const page = ram.subarray(o, o + PAGE_SIZE);
    page.set(m.ramU8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
    if (m.swBreakpoints.size > 0) m.hideBreakpoints(page, p * PAGE_SIZE);
    o += PAGE_SIZE;
  }

  const ctx = { nowNs: clockNs };
  const devs: Record<string, unknown> = {};
  for (const [name, d] of m.devices) devs[name] = d.saveState(ctx);

  const sections: Section[] = [
    { tag: 'META', data: jsonBytes(meta) },
    { tag: 'CPU0', data: jsonBytes(cpu) },
    { tag: 'TLB0', data: tlb },
    { tag: 'RAM0', data: ram },
    { tag: 'DEVS', data: jsonBytes(devs) },
  ];
  const bytes = writeSnapshot(sections, opts.codec);
  const ref: SnapshotRef = { id, file: '' };
  return {
    bytes, ref,
    stats: { pagesStored: nStored, pagesZero: nZero, tlbEntries: nTlb, pagesConsidered: considered },
    commit: () => {},
    abort: () => {
      // Not kept: what changed since the last snapshot still has to go into the next one.
      for (let k = 0; k < m.vmmDirty.length; k++) m.vmmDirty[k] |= changed[k];
      for (let i = 0; i < TLB_ENTRIES; i++) if (testBit(tlbChanged, i)) m.tlbView.markChanged(i);
    },
  };
}

function hasBreakpoint(m: Ppce500, page: number): boolean {
  for (const bp of m.swBreakpoints.keys()) if (Math.floor(bp / PAGE_SIZE) === page) return true;
  return false;
}

// ---- reading ----

export interface ParsedSnapshot {
  meta: SnapshotMeta;
  cpu: CpuState;
  tlbPresent: Uint8Array;
  tlbEntries: Uint8Array;
  ramStored: Uint8Array;
  ramZero: Uint8Array;
  ramPages: Uint8Array;
  devs: Record<string, unknown>;
}

function section(sections: Section[], tag: string): Uint8Array {
  const s = sections.filter((x) => x.tag === tag);
  if (s.length !== 1) throw new SnapshotError(s.length === 0 ? `snapshot has no ${tag} section` : `snapshot has ${s.length} ${tag} sections`);
  return s[0].data;
}

function parseMeta(v: unknown): SnapshotMeta {
  const o = v as Record<string, unknown>;
  const bad = (what: string) => new SnapshotError(`snapshot META: ${what}`);
  if (o === null || typeof o !== 'object') throw bad('not an object');
  if (typeof o.machine !== 'string' || typeof o.cpu !== 'string') throw bad('no machine or cpu');
  if (typeof o.ramBytes !== 'number' || !Number.isSafeInteger(o.ramBytes) || o.ramBytes <= 0 || o.ramBytes % PAGE_SIZE !== 0) throw bad('bad RAM size');
  if (o.vcpus !== 1) throw bad(`${String(o.vcpus)} vCPUs (this machine has 1)`);
  if (o.icount !== null && (typeof o.icount !== 'number' || !Number.isInteger(o.icount))) throw bad('bad icount');
  if (typeof o.id !== 'string' || !/^[0-9a-f]{32}$/.test(o.id)) throw bad('bad id');
  if (o.parent !== null) {
    const p = o.parent as Record<string, unknown>;
    if (p === null || typeof p !== 'object' || typeof p.id !== 'string' || typeof p.file !== 'string') throw bad('bad parent');
  }
  if (typeof o.clockNs !== 'number' || !Number.isFinite(o.clockNs)) throw bad('bad clock');
  const r = o.rtc as Record<string, unknown>;
  if (r === null || typeof r !== 'object' || (r.clock !== 'host' && r.clock !== 'vm') ||
    typeof r.offsetMs !== 'number' || typeof r.nowMs !== 'number') throw bad('bad rtc');
  return o as unknown as SnapshotMeta;
}

/** Check everything a snapshot file holds that does not need a machine: container, sections, sizes. */
export function parseSnapshot(file: Uint8Array, codec: Codec | null): ParsedSnapshot {
  const sections = readSnapshot(file, codec);
  const meta = parseMeta(parseJson(section(sections, 'META'), 'META'));
  const cpu = parseJson(section(sections, 'CPU0'), 'CPU0') as CpuState;
  if (cpu === null || typeof cpu !== 'object' || !Array.isArray(cpu.oneRegs) || !Array.isArray(cpu.fpu)) {
    throw new SnapshotError('snapshot section CPU0 is malformed');
  }
  const tlb = section(sections, 'TLB0');
  if (tlb.length < 4 + TLB_BITMAP_BYTES || new DataView(tlb.buffer, tlb.byteOffset).getUint32(0) !== TLB_ENTRIES) {
    throw new SnapshotError('snapshot section TLB0 is malformed');
  }
  const tlbPresent = tlb.slice(4, 4 + TLB_BITMAP_BYTES);
  let n = 0;
  for (let i = 0; i < TLB_ENTRIES; i++) if (testBit(tlbPresent, i)) n++;
  for (let i = TLB_ENTRIES; i < TLB_BITMAP_BYTES * 8; i++) if (testBit(tlbPresent, i)) throw new SnapshotError('snapshot section TLB0 is malformed');
  if (tlb.length !== 4 + TLB_BITMAP_BYTES + n * TLB_ENTRY_BYTES) throw new SnapshotError('snapshot section TLB0 has the wrong size');
  const ram = section(sections, 'RAM0');
  const rdv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const pages = meta.ramBytes / PAGE_SIZE;
  const bmBytes = Math.ceil(pages / 8);
  if (ram.length < 12 + 2 * bmBytes || rdv.getUint32(0) !== PAGE_SIZE || rdv.getUint32(4) !== pages || rdv.getUint32(8) !== 0) {
    throw new SnapshotError('snapshot section RAM0 is malformed');
  }
  const ramStored = ram.subarray(12, 12 + bmBytes);
  const ramZero = ram.subarray(12 + bmBytes, 12 + 2 * bmBytes);
  let nStored = 0;
  for (let p = 0; p < bmBytes * 8; p++) {
    const s = testBit(ramStored, p), z = testBit(ramZero, p);
    if ((s || z) && p >= pages) throw new SnapshotError('snapshot section RAM0 is malformed');
    if (s && z) throw new SnapshotError('snapshot section RAM0 is malformed (a page both stored and zero)');
    if (s) nStored++;
    else if (!z && meta.parent === null) throw new SnapshotError('snapshot section RAM0 does not cover all of RAM');
  }
  if (ram.length !== 12 + 2 * bmBytes + nStored * PAGE_SIZE) throw new SnapshotError('snapshot section RAM0 has the wrong size');
  if (meta.parent === null && n !== TLB_ENTRIES) throw new SnapshotError('snapshot section TLB0 does not hold the whole TLB');
  const devs = parseJson(section(sections, 'DEVS'), 'DEVS') as Record<string, unknown>;
  if (devs === null || typeof devs !== 'object' || Array.isArray(devs)) throw new SnapshotError('snapshot section DEVS is malformed');
  return {
    meta, cpu, tlbPresent, tlbEntries: tlb.subarray(4 + TLB_BITMAP_BYTES), ramStored, ramZero,
    ramPages: ram.subarray(12 + 2 * bmBytes), devs,
  };
}

/**
 * Read a snapshot and the chain of parents it needs (base first). `readFile`
 * gets a parent's file name as recorded in its child; it throws (with a
 * message for the user) if the file cannot be read.
 */
export function readChain(file: Uint8Array, codec: Codec | null, readFile: (name: string) => Uint8Array): ParsedSnapshot[] {
  const chain: ParsedSnapshot[] = [parseSnapshot(file, codec)];
  const seen = new Set<string>([chain[0].meta.id]);
  for (;;) {
    const parent = chain[0].meta.parent;
    if (parent === null) break;
    if (chain.length >= MAX_CHAIN) throw new SnapshotError(`snapshot chain is longer than ${MAX_CHAIN}`);
    let p: ParsedSnapshot;
    try {
      p = parseSnapshot(readFile(parent.file), codec);
    } catch (e) {
      throw new SnapshotError(`parent snapshot '${parent.file}': ${(e as Error).message}`);
    }
    if (p.meta.id !== parent.id) throw new SnapshotError(`parent snapshot '${parent.file}' is not the one this snapshot was taken after (it was replaced)`);
    if (seen.has(p.meta.id)) throw new SnapshotError('snapshot chain has a loop');
    seen.add(p.meta.id);
    chain.unshift(p);
  }
  return chain;
}

/** Refuse a snapshot of another machine: one message saying what differs. */
export function checkCompatible(m: Ppce500, meta: SnapshotMeta): void {
  if (meta.machine !== MACHINE || meta.cpu !== CPU) {
    throw new SnapshotError(`snapshot is of a ${meta.machine} with a ${meta.cpu}; this machine is a ${MACHINE} with a ${CPU}`);
  }
  if (meta.ramBytes !== m.opts.ramBytes) {
    throw new SnapshotError(`snapshot is of a machine with ${meta.ramBytes / 2 ** 20} MiB of RAM; this one has ${m.opts.ramBytes / 2 ** 20} MiB`);
  }
}

// ---- restoring ----

/**
 * Load a chain (from readChain) into `m`, a freshly built machine that has
 * not run (its RAM is zero). Throws SnapshotError (or a KvmError/StateError turned into one)
 * if anything does not fit; the caller then discards `m`.
 */
export function restoreChain(m: Ppce500, chain: ParsedSnapshot[]): void {
  try {
    restore(m, chain);
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    if (e instanceof StateError) throw new SnapshotError(`snapshot device state does not fit this machine: ${e.message}`);
    if (e instanceof KvmError) throw new SnapshotError(`snapshot vCPU state is not valid: ${e.message}`);
    throw e;
  }
}

function restore(m: Ppce500, chain: ParsedSnapshot[]): void {
  const last = chain[chain.length - 1];
  for (const s of chain) checkCompatible(m, s.meta);
  const names = [...m.devices.keys()];
  const saved = Object.keys(last.devs);
  const extra = saved.filter((n) => !m.devices.has(n));
  const missing = names.filter((n) => !saved.includes(n));
  if (extra.length > 0) throw new SnapshotError(`snapshot has device${extra.length > 1 ? 's' : ''} ${extra.join(', ')} that this machine lacks`);
  if (missing.length > 0) throw new SnapshotError(`snapshot lacks device${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of this machine`);
  const vcpu = m.vcpu;

  // RAM, base first. The machine is fresh, so its RAM is zero: the base's
  // zero pages need nothing (not touching them keeps them unallocated).
  const pages = m.opts.ramBytes / PAGE_SIZE;
  chain.forEach((s, k) => {
    let o = 0;
    for (let p = 0; p < pages; p++) {
      if (testBit(s.ramStored, p)) {
        m.ramU8.set(s.ramPages.subarray(o, o + PAGE_SIZE), p * PAGE_SIZE);
        o += PAGE_SIZE;
      } else if (k > 0 && testBit(s.ramZero, p)) {
        m.ramU8.fill(0, p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
      }
    }
  });
  // The vCPU may have decoded instructions from what was in RAM before.
  m.vm.invalidateCode(0, m.opts.ramBytes);

  // The TLB, base first; the vCPU checks every entry.
  for (const s of chain) {
    let o = 0;
    for (let i = 0; i < TLB_ENTRIES; i++) {
      if (!testBit(s.tlbPresent, i)) continue;
      m.tlbArray.set(s.tlbEntries.subarray(o, o + TLB_ENTRY_BYTES), i * TLB_ENTRY_BYTES);
      o += TLB_ENTRY_BYTES;
    }
  }
  if (m.tlbArray.length < TLB_BYTES) throw new Error('TLB array too small');
  vcpu.dirtyTlb(null, TLB_ENTRIES);

  // The vCPU: registers, sregs (with the registers only update_special writes), FPU, ONE_REG.
  const cpu = last.cpu;
  vcpu.setRegs(cpu.regs);
  const sregs = cpu.sregs;
  if (sregs === null || typeof sregs !== 'object' || sregs.e === null || typeof sregs.e !== 'object') throw new SnapshotError('snapshot section CPU0 is malformed');
  sregs.e.updateSpecial = 0xffffffff;
  vcpu.setSregs(sregs);
  vcpu.setFpu({ fpr: cpu.fpu });
  const meta = last.meta;
  // The same instruction clock: time restored exactly (TKVM_ICOUNT, then
  // TB_OFFSET). Host time (or another clock): TB goes on from where it was.
  const exactClock = meta.icount !== null && meta.icount === (m.opts.icount ?? null);
  for (const pair of cpu.oneRegs) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'bigint') throw new SnapshotError('snapshot section CPU0 is malformed');
    const [rid, v] = pair;
    if (rid === Reg.TB_OFFSET && !exactClock) {
      const now = vcpu.getSregs().e.tb - (vcpu.getOneReg(Reg.TB_OFFSET) as bigint);
      vcpu.setOneReg(Reg.TB_OFFSET, BigInt.asUintN(64, sregs.e.tb - now));
      continue;
    }
    vcpu.setOneReg(rid, v);
  }
  if (cpu.mpState !== KVM_MP_STATE_RUNNABLE && cpu.mpState !== KVM_MP_STATE_HALTED) throw new SnapshotError('snapshot section CPU0 has a bad mp_state');
  vcpu.setMpState({ mpState: cpu.mpState });

  // The RTC's clock: the saved one if it runs the same way (host time, or
  // the same instruction clock), else it goes on from the saved time.
  if (meta.rtc.clock === m.rtcClock && (m.rtcClock === 'host' || exactClock)) {
    m.rtcOffsetMs = meta.rtc.offsetMs;
  } else {
    m.rtcOffsetMs += meta.rtc.nowMs - m.rtcNowMs();
  }

  // Devices, in the machine's order (the interrupt controller first).
  const ctx = { nowNs: m.clockNs() };
  for (const [name, d] of m.devices) d.loadState(last.devs[name], ctx);

  // This state is the baseline of the next incremental snapshot.
  m.vm.getDirtyLog(0);
  m.vmmDirty.fill(0);
  m.tlbView.takeChanges();
}
