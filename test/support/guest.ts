// A small machine for API conformance tests (kvm-unit-tests style): RAM at
// guest physical 0, the guest TLB shared with userspace (either TLB mode),
// TLB1 entries for RAM and an MMIO window, interrupt vectors that report
// themselves as hypercalls, and hand-assembled code.

import assert from 'node:assert/strict';
import {
  Cap, ExitReason, KVM_EXIT_HYPERCALL_UNHANDLED, KVM_MMU_FSL_BOOKE_NOHV, KvmError, TLB_BITMAP_BYTES, TLB_BYTES,
  TLB0_ENTRIES, e500mcTlbParams, openKvm, type Kvm, type KvmRun, type Vcpu, type Vm,
} from '../../src/kvm/index.js';
import { lis, ori, sc } from './asm.js';

export const RAM_BYTES = 16 << 20;
/** Guest code starts here (the vectors sit below it). */
export const CODE = 0x4000;
/** Effective address of the MMIO window, mapped to guest physical MMIO_PA (no RAM there). */
export const MMIO_EA = 0xe0000000;
export const MMIO_PA = 0xfe0000000;
export const MSR_ME = 0x1000;
/** r11 of the hypercall a vector makes: VECTOR_HCALL | IVOR number. */
export const VECTOR_HCALL = 0x7ec00000;

export type TlbMode = 'sync' | 'lazy';
export const TLB_MODES: readonly TlbMode[] = ['sync', 'lazy'];

export interface TestVm {
  kvm: Kvm;
  vm: Vm;
  vcpu: Vcpu;
  run: KvmRun;
  ram: SharedArrayBuffer;
  u8: Uint8Array;
  dv: DataView;
  tlb: Uint8Array;
  tlbDv: DataView;
  mode: TlbMode;
}

export interface TestVmOptions {
  mode?: TlbMode;
  /** Instruction words placed at CODE. */
  code?: number[];
  /** Leave the vectors as plain memory (no hypercall reports, EXIT_HYPERCALL off). */
  noVectors?: boolean;
  msr?: number;
}

/** Write one kvm_book3e_206_tlb_entry into a shared array. */
export function putTlbEntry(dv: DataView, i: number, mas1: number, mas2: number, mas3: number, mas7 = 0): void {
  const o = i * 24;
  dv.setUint32(o, 0);
  dv.setUint32(o + 4, mas1 >>> 0);
  dv.setUint32(o + 8, 0);
  dv.setUint32(o + 12, mas2 >>> 0);
  dv.setUint32(o + 16, mas7 >>> 0);
  dv.setUint32(o + 20, mas3 >>> 0);
}

/** A KVM_DIRTY_TLB bitmap marking `entries`. */
export function bitmapOf(entries: number[]): Uint8Array {
  const bm = new Uint8Array(TLB_BITMAP_BYTES);
  for (const i of entries) bm[i >>> 3] |= 1 << (i & 7);
  return bm;
}

export function bitsOf(bm: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bm.length * 8; i++) if ((bm[i >>> 3] >> (i & 7)) & 1) out.push(i);
  return out;
}

/** TLB1 entry 0: EA 0 -> PA 0, 16 MiB, all permissions. TLB1 entry 1: the MMIO window, 1 MiB, I|G. */
export const TLB1_RAM = { mas1: 0xc0000700, mas2: 0, mas3: 0x3f };
export const TLB1_MMIO = { mas1: 0xc0000500, mas2: MMIO_EA | 0x0a, mas3: (MMIO_PA & 0xfffff000) | 0x3f, mas7: Math.floor(MMIO_PA / 2 ** 32) };

export function makeVm(opts: TestVmOptions = {}): TestVm {
  const mode = opts.mode ?? 'sync';
  const kvm = openKvm();
  const vm = kvm.createVm();
  const ram = new SharedArrayBuffer(RAM_BYTES);
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: RAM_BYTES, memory: ram });
  const vcpu = vm.createVcpu(0);
  const tlb = new Uint8Array(new SharedArrayBuffer(TLB_BYTES));
  vcpu.enableCap(Cap.SW_TLB, { params: e500mcTlbParams(), array: tlb, mmuType: KVM_MMU_FSL_BOOKE_NOHV, arrayLen: TLB_BYTES });
  if (mode === 'lazy') vcpu.enableCap(Cap.TKVM_LAZY_TLB, [1]);
  const tlbDv = new DataView(tlb.buffer);
  putTlbEntry(tlbDv, TLB0_ENTRIES, TLB1_RAM.mas1, TLB1_RAM.mas2, TLB1_RAM.mas3);
  putTlbEntry(tlbDv, TLB0_ENTRIES + 1, TLB1_MMIO.mas1, TLB1_MMIO.mas2, TLB1_MMIO.mas3, TLB1_MMIO.mas7);
  vcpu.dirtyTlb(bitmapOf([TLB0_ENTRIES, TLB0_ENTRIES + 1]), 2);
  const u8 = new Uint8Array(ram);
  const dv = new DataView(ram);
  const t: TestVm = { kvm, vm, vcpu, run: vcpu.runStructure, ram, u8, dv, tlb, tlbDv, mode };
  if (!opts.noVectors) {
    // IVPR = 0, IVORn = n * 0x100: each vector reports itself with `sc 1`.
    const sregs = vcpu.getSregs();
    sregs.e.ivorLow = sregs.e.ivorLow.map((_, n) => n * 0x100);
    vcpu.setSregs(sregs);
    for (let n = 0; n < 16; n++) poke(t, n * 0x100, [lis(11, VECTOR_HCALL >>> 16), ori(11, 11, n), sc(1)]);
    vm.enableCap(Cap.EXIT_HYPERCALL, [KVM_EXIT_HYPERCALL_UNHANDLED]);
  }
  if (opts.code) poke(t, CODE, opts.code);
  const regs = vcpu.getRegs();
  regs.pc = CODE;
  regs.msr = opts.msr ?? MSR_ME;
  vcpu.setRegs(regs);
  // Guard against a guest that never exits: run() returns KVM_EXIT_INTR after 2 s.
  vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [2_000_000]);
  return t;
}

export function poke(t: TestVm, addr: number, words: number[]): void {
  words.forEach((w, i) => t.dv.setUint32(addr + 4 * i, w >>> 0));
}

/** Run and expect an exit reason. */
export function runExpect(t: TestVm, reason: number, what = ''): void {
  const got = t.vcpu.run();
  if (got !== reason) {
    let extra = '';
    if (got === ExitReason.HYPERCALL && (t.run.hypercallNr & 0xffff0000) === VECTOR_HCALL) {
      extra = ` (interrupt vector ${t.run.hypercallNr & 0xffff}, SRR0 0x${(t.vcpu.getRegs().srr0 >>> 0).toString(16)})`;
    }
    if (got === ExitReason.INTERNAL_ERROR) extra = ` (${t.vcpu.internalErrorMessage})`;
    assert.fail(`${what}: exit ${got}${extra}, expected ${reason}`);
  }
}

/**
 * Run until the guest reaches `pc` (its final `b .`, say), through KVM_EXIT_INTR
 * exits of its time slice: how far one slice gets depends on the host.
 */
export function runToPc(t: TestVm, pc: number, what = ''): void {
  for (let k = 0; k < 1000 && (t.vcpu.getRegs().pc >>> 0) !== pc; k++) runExpect(t, ExitReason.INTR, what);
  assert.equal(t.vcpu.getRegs().pc >>> 0, pc, `${what}: the guest reaches 0x${pc.toString(16)}`);
}

/** Expect the guest to take interrupt `ivor` (its vector reports with a hypercall). */
export function runExpectVector(t: TestVm, ivor: number, what = ''): void {
  runExpect(t, ExitReason.HYPERCALL, what);
  assert.equal(t.run.hypercallNr, (VECTOR_HCALL | ivor) >>> 0, `${what}: vector`);
}

/** assert.throws for a KvmError with the given errno name. */
export function throwsErrno(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KvmError, `expected KvmError, got ${String(e)}`);
    assert.equal(e.code, code, `errno: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}
