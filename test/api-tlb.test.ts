// KVM_CAP_SW_TLB, KVM_DIRTY_TLB, KVM_TRANSLATE and the lazy TLB (TKVM_CAP_LAZY_TLB).
// Every test runs in both TLB modes; a few assertions say what only the lazy mode does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cap, ExitReason, KVM_MMU_FSL_BOOKE_HV, KVM_MMU_FSL_BOOKE_NOHV, TLB0_ENTRIES, TLB_BITMAP_BYTES, TLB_BYTES, TLB_ENTRIES,
  e500mcTlbParams, openKvm, type KvmConfigTlb,
} from '../src/kvm/index.js';
import { GuestTlbView } from '../src/vmm/debug/tlb.js';
import { b, isync, li32, lwz, mtspr, tlbilx, tlbivax, tlbwe } from './support/asm.js';
import {
  CODE, TLB1_RAM, TLB_MODES, bitmapOf, bitsOf, makeVm, putTlbEntry, runExpect, throwsErrno,
  type TestVm,
} from './support/guest.js';

const T1 = TLB0_ENTRIES;
/** A tlbwe of the given MAS values (17 words). */
function tlbweOf(mas0: number, mas1: number, mas2: number, mas3: number, mas7 = 0): number[] {
  return [
    ...li32(5, mas0), mtspr(624, 5), ...li32(5, mas1), mtspr(625, 5), ...li32(5, mas2), mtspr(626, 5),
    ...li32(5, mas3), mtspr(627, 5), ...li32(5, mas7), mtspr(944, 5), isync(), tlbwe(), isync(),
  ];
}
const setOf = (ea: number): number => (ea >>> 12) & 127;
const tlb0Index = (ea: number, way: number): number => setOf(ea) * 4 + way;

function entryWords(t: TestVm, i: number): number[] {
  return [0, 4, 8, 12, 16, 20].map((o) => t.tlbDv.getUint32(i * 24 + o));
}

function config(overrides: Partial<KvmConfigTlb> & { sizes?: number[]; ways?: number[]; reserved?: number } = {}): KvmConfigTlb {
  const params = e500mcTlbParams();
  const dv = new DataView(params.buffer);
  overrides.sizes?.forEach((v, i) => dv.setUint32(i * 4, v));
  overrides.ways?.forEach((v, i) => dv.setUint32(16 + i * 4, v));
  if (overrides.reserved) dv.setUint32(32, overrides.reserved);
  return {
    params, array: new Uint8Array(new SharedArrayBuffer(TLB_BYTES)), mmuType: KVM_MMU_FSL_BOOKE_NOHV, arrayLen: TLB_BYTES,
    ...Object.fromEntries(Object.entries(overrides).filter(([k]) => !['sizes', 'ways', 'reserved'].includes(k))),
  };
}

for (const mode of TLB_MODES) {
  const lazy = mode === 'lazy';
  const vmOf = (code?: number[]): TestVm => makeVm({ mode, code });

  test(`[${mode}] KVM_CAP_SW_TLB: api.rst's rules, then the core's geometry`, () => {
    const vcpu = openKvm().createVm().createVcpu(0);
    if (lazy) vcpu.enableCap(Cap.TKVM_LAZY_TLB, [1]);
    throwsErrno(() => vcpu.dirtyTlb(null, TLB_ENTRIES), 'EINVAL', /KVM_CAP_SW_TLB/);
    throwsErrno(() => vcpu.syncTlb(), 'EINVAL', /KVM_CAP_SW_TLB/);
    const bad: [KvmConfigTlb, string, RegExp][] = [
      [config({ mmuType: KVM_MMU_FSL_BOOKE_HV }), 'EINVAL', /BOOKE_HV/],
      [config({ mmuType: 7 }), 'EINVAL', /mmu_type/],
      [config({ reserved: 1 }), 'EINVAL', /reserved/],
      [config({ sizes: [512, 64, 8] }), 'EINVAL', /TLB2 and TLB3/],
      [config({ ways: [3, 64] }), 'EINVAL', /power of two/],
      [config({ ways: [32, 64] }), 'EINVAL', /power of two/],
      [config({ sizes: [24, 64] }), 'EINVAL', /power-of-two number/],
      [config({ sizes: [512, 65], ways: [4, 65] }), 'EINVAL', /exceeds 64/],
      [config({ ways: [4, 16] }), 'EINVAL', /fully associative/],
      [config({ sizes: [256, 64], ways: [2, 64] }), 'EINVAL', /not the core's/],
      [config({ sizes: [512, 32], ways: [4, 32] }), 'EINVAL', /not the core's/],
      [config({ arrayLen: TLB_BYTES - 24 }), 'EINVAL', /array_len/],
      [config({ arrayLen: TLB_BYTES + 24 }), 'EFAULT', /shorter than array_len/],
      [config({ arrayLen: 1.5 }), 'EINVAL', /u32/],
      [config({ params: new Uint8Array(32) }), 'EFAULT', /64 bytes/],
      [config({ array: new ArrayBuffer(TLB_BYTES) as never }), 'EFAULT', /Uint8Array/],
      [{ ...config(), extra: 1 } as never, 'EINVAL', /unknown field/],
    ];
    for (const [cfg, code, msg] of bad) throwsErrno(() => vcpu.enableCap(Cap.SW_TLB, cfg), code, msg);
    const withBad = config();
    putTlbEntry(new DataView(withBad.array.buffer), 3, 0x80000200, 0, 0); // TLB0 entry with a 16K size
    throwsErrno(() => vcpu.enableCap(Cap.SW_TLB, withBad), 'EINVAL', /entry 3 .*tsize/);
    vcpu.enableCap(Cap.SW_TLB, { ...config(), arrayLen: TLB_BYTES + 24, array: new Uint8Array(TLB_BYTES + 24) });
  });

  test(`[${mode}] the array's contents become the TLB; a failed configuration keeps the old one`, () => {
    const t = vmOf([...li32(4, 0x20000010), lwz(6, 0, 4), b(0)]);
    const cfg = config();
    const dv = new DataView(cfg.array.buffer);
    putTlbEntry(dv, T1, TLB1_RAM.mas1, TLB1_RAM.mas2, TLB1_RAM.mas3);
    putTlbEntry(dv, tlb0Index(0x20000000, 2), 0x80000100, 0x20000000, 0x00300000 | 0x3f);
    t.dv.setUint32(0x300010, 0xfeedbeef);
    throwsErrno(() => t.vcpu.enableCap(Cap.SW_TLB, { ...cfg, mmuType: 9 }), 'EINVAL');
    t.vcpu.enableCap(Cap.SW_TLB, cfg);
    t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
    runExpect(t, ExitReason.INTR);
    assert.equal(t.vcpu.getRegs().gpr[6] >>> 0, 0xfeedbeef, 'the guest used the new array');
    assert.equal(t.vcpu.syncTlb(), 0, 'nothing to synchronize after configuration');
  });

  test(`[${mode}] guest tlbwe reaches the shared array through syncTlb, with a change bitmap`, () => {
    const eaA = 0x20005000, eaB = 0x20009000;
    const t = vmOf([
      ...tlbweOf(0x00010000, 0x80050100, eaA | 0x04, 0x00400000 | 0x15),
      ...tlbweOf(0x00030000, 0x80001100, eaB, 0x00500000 | 0x2a, 3),
      ...tlbweOf(0x10050000, 0xc0070500, 0x30000000, 0x00600000 | 0x3f),
      b(0),
    ]);
    const a = tlb0Index(eaA, 1), bb = tlb0Index(eaB, 3), c1 = T1 + 5;
    const before = [a, bb, c1].map((i) => entryWords(t, i));
    t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
    runExpect(t, ExitReason.INTR);
    const now = [a, bb, c1].map((i) => entryWords(t, i));
    if (lazy) assert.deepEqual(now, before, 'lazy: the guest never touched the shared array');
    else assert.notDeepEqual(now, before, 'synchronized: the array is the TLB');
    const changed = new Uint8Array(TLB_BITMAP_BYTES).fill(0xff);
    assert.equal(t.vcpu.syncTlb({}, changed), 3);
    assert.deepEqual(bitsOf(changed), [a, bb, c1]);
    assert.deepEqual(entryWords(t, a), [0, 0x80050100, 0, eaA | 0x04, 0, 0x00400015]);
    assert.deepEqual(entryWords(t, bb), [0, 0x80001100, 0, eaB, 3, 0x0050002a]);
    assert.deepEqual(entryWords(t, c1), [0, 0xc0070500, 0, 0x30000000, 0, 0x0060003f]);
    assert.equal(t.vcpu.syncTlb({}, changed), 0, 'nothing changed since');
    assert.deepEqual(bitsOf(changed), []);
  });

  test(`[${mode}] syncTlb for one TLB0 set or one TLB leaves the rest for later`, () => {
    const e5 = 0x00005000 | 0x20000000, e9 = 0x00009000 | 0x20000000;
    const t = vmOf([
      ...tlbweOf(0x00000000, 0x80000100, e5, 0x00700000 | 0x3f),
      ...tlbweOf(0x00000000, 0x80000100, e9, 0x00800000 | 0x3f),
      ...tlbweOf(0x10080000, 0x80000300, 0x40000000, 0x00900000 | 0x3f),
      b(0),
    ]);
    t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
    runExpect(t, ExitReason.INTR);
    const bm = new Uint8Array(TLB_BITMAP_BYTES);
    bm[tlb0Index(e9, 0) >>> 3] |= 1 << (tlb0Index(e9, 0) & 7); // outside the scope: left as is
    assert.equal(t.vcpu.syncTlb({ tlb: 0, set: setOf(e5) }, bm), 1);
    assert.deepEqual(bitsOf(bm), [tlb0Index(e5, 0), tlb0Index(e9, 0)]);
    assert.equal(t.tlbDv.getUint32(tlb0Index(e5, 0) * 24 + 20), 0x0070003f);
    if (lazy) assert.equal(t.tlbDv.getUint32(tlb0Index(e9, 0) * 24 + 4), 0, 'lazy: set 9 not copied yet');
    assert.equal(t.vcpu.syncTlb({ tlb: 1 }, bm), 1);
    assert.equal(t.vcpu.syncTlb({ tlb: 0 }, bm), 1, 'set 9 is still reported');
    assert.equal(t.tlbDv.getUint32(tlb0Index(e9, 0) * 24 + 20), 0x0080003f);
    for (const [scope, msg] of [[{ set: 3 }, /needs tlb 0/], [{ tlb: 1, set: 3 }, /needs tlb 0/], [{ tlb: 2 }, /0 or 1/],
      [{ tlb: 0, set: 128 }, /\[0, 128\)/], [{ tlb: 0, sets: 1 }, /unknown field/]] as const) {
      throwsErrno(() => t.vcpu.syncTlb(scope as never), 'EINVAL', msg);
    }
    throwsErrno(() => t.vcpu.syncTlb({}, new Uint8Array(8)), 'EFAULT');
  });

  test(`[${mode}] KVM_DIRTY_TLB hands userspace's entries to the guest`, () => {
    const ea = 0x20003000;
    const t = vmOf([...li32(4, ea + 0x10), lwz(6, 0, 4), b(0)]);
    t.dv.setUint32(0x345010, 0x0badf00d);
    putTlbEntry(t.tlbDv, tlb0Index(ea, 3), 0x80000100, ea, 0x00345000 | 0x3f);
    t.vcpu.dirtyTlb(bitmapOf([tlb0Index(ea, 3)]), 1);
    t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
    runExpect(t, ExitReason.INTR);
    assert.equal(t.vcpu.getRegs().gpr[6], 0x0badf00d);
    assert.equal(t.vcpu.syncTlb(), 0, 'userspace writes are not reported back as changes');
    // Replace it: cached translations of the old entry go.
    putTlbEntry(t.tlbDv, tlb0Index(ea, 3), 0x80000100, ea, 0x00346000 | 0x3f);
    t.dv.setUint32(0x346010, 0x600df00d);
    t.vcpu.dirtyTlb(null, TLB_ENTRIES);
    const r = t.vcpu.getRegs();
    r.pc = CODE;
    t.vcpu.setRegs(r);
    runExpect(t, ExitReason.INTR);
    assert.equal(t.vcpu.getRegs().gpr[6], 0x600df00d);
  });

  test(`[${mode}] KVM_DIRTY_TLB checks the bitmap, num_dirty and every marked entry`, () => {
    const t = vmOf([...li32(4, 0x100), lwz(6, 0, 4), b(0)]);
    throwsErrno(() => t.vcpu.dirtyTlb(new Uint8Array(TLB_BITMAP_BYTES - 1), 0), 'EFAULT');
    throwsErrno(() => t.vcpu.dirtyTlb(bitmapOf([1, 2]), 1), 'EINVAL', /num_dirty 1/);
    throwsErrno(() => t.vcpu.dirtyTlb(null, 5), 'EINVAL', /num_dirty/);
    throwsErrno(() => t.vcpu.dirtyTlb(bitmapOf([1]), -1), 'EINVAL');
    const cases: [number, [number, number, number, number?], RegExp][] = [
      [8, [0x80000100, 0x3000, 0x3f], /belongs to set 3/],
      [8, [0x80000200, 0x8000 >>> 0, 0x3f], /tsize of a TLB0 entry/],
      [8, [0x40000000, 0, 0], /no IPROT/],
      [8, [0x00000001, 0, 0], /reserved bits/],
      [8, [0x80000100, 0x2020, 0x3f], /reserved bits/],
      [8, [0x80000100, 0x2000, 0x3f, 0x10], /MAS7/],
      [8, [0x80000100, 0x2000, 0xc3f], /reserved bits/],
      [T1 + 9, [0x80000000, 0, 0x3f], /tsize 0/],
      [T1 + 9, [0x80000500, 0x1000, 0x3f], /not aligned/],
    ];
    for (const [i, [mas1, mas2, mas3, mas7], msg] of cases) {
      const old = entryWords(t, i);
      putTlbEntry(t.tlbDv, i, mas1, mas2, mas3, mas7 ?? 0);
      throwsErrno(() => t.vcpu.dirtyTlb(bitmapOf([i]), 1), 'EINVAL', msg);
      if (lazy) {
        t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [500]);
        runExpect(t, ExitReason.INTR, 'lazy: the TLB did not take the entry, the vCPU runs');
      } else {
        throwsErrno(() => t.vcpu.run(), 'EINVAL', /invalid entries/);
      }
      [0, 4, 8, 12, 16, 20].forEach((o, k) => t.tlbDv.setUint32(i * 24 + o, old[k]));
      t.vcpu.dirtyTlb(bitmapOf([i]), 1);
    }
    t.tlbDv.setUint32(3 * 24, 1); // mas8
    throwsErrno(() => t.vcpu.dirtyTlb(bitmapOf([3]), 1), 'EINVAL', /mas8/);
    t.tlbDv.setUint32(3 * 24, 0);
    t.vcpu.dirtyTlb(bitmapOf([3]), 1);
    t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [500]);
    runExpect(t, ExitReason.INTR, 'runs again once the entries are fixed');
  });

  test(`[${mode}] tlbivax and tlbilx invalidations are changes userspace sees`, () => {
    const ea = 0x20007000;
    const t = vmOf([
      ...tlbweOf(0x00020000, 0x80000100, ea, 0x00400000 | 0x3f),
      ...tlbweOf(0x10030000, 0x80000300, 0x50000000, 0x00400000 | 0x3f),
      ...tlbweOf(0x10040000, 0xc0000300, 0x60000000, 0x00400000 | 0x3f),
      ...li32(4, ea), tlbivax(0, 4),
      tlbilx(0, 0, 0), // all but IPROT
      b(0),
    ]);
    t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
    runExpect(t, ExitReason.INTR);
    const bm = new Uint8Array(TLB_BITMAP_BYTES);
    t.vcpu.syncTlb({}, bm);
    assert.deepEqual(bitsOf(bm), [tlb0Index(ea, 2), T1 + 3, T1 + 4]);
    const v = (i: number) => (t.tlbDv.getUint32(i * 24 + 4) >>> 31) === 1;
    assert.deepEqual([v(tlb0Index(ea, 2)), v(T1 + 3), v(T1 + 4), v(T1), v(T1 + 1)], [false, false, true, true, true],
      'IPROT entries (the fixture RAM/MMIO entries and esel 4) survive tlbilx');
  });

  test(`[${mode}] KVM_TRANSLATE and the userspace MMU walker agree`, () => {
    const t = vmOf([
      ...tlbweOf(0x00000000, 0x80000100, 0x20000000 | 0x08, 0x00123000 | 0x3f), // TID 0, AS 0
      ...tlbweOf(0x00010000, 0x80051100, 0x20000000, 0x00456000 | 0x2a, 1), // TID 5, AS 1
      ...tlbweOf(0x10060000, 0x80070500, 0x30000000, 0x00200000 | 0x15), // 1 MiB, TID 7
      ...tlbweOf(0x10070000, 0x80000a00, 0x40000000, 0x00000000 | 0x15, 2), // 1 GiB at 0x2_0000_0000
      b(0),
    ]);
    t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
    runExpect(t, ExitReason.INTR);
    const la = (ea: number, pid: number, as: number) => BigInt(ea >>> 0) | (BigInt(pid) << 32n) | (BigInt(as) << 40n);
    const probes: [number, number, number, number | null][] = [
      [0x20000abc, 0, 0, 0x123abc], [0x20000abc, 9, 0, 0x123abc], [0x20000abc, 5, 1, 0x1_00456abc],
      [0x20000abc, 6, 1, null], [0x300fff00, 7, 0, 0x2fff00], [0x300fff00, 8, 0, null], [0x7ffffff0, 3, 0, 0x2_3ffffff0],
      [0x00001234, 0, 0, 0x1234], [MMIO_EA_PROBE, 0, 0, 0xfe0000000 + 0x44], [0x90000000, 0, 0, null],
    ];
    // 'none' (no synchronization) is right only when the array is the TLB.
    for (const policy of lazy ? ['full', 'set'] as const : ['full', 'set', 'none'] as const) {
      const view = new GuestTlbView(t.vcpu, t.tlb, policy);
      for (const [ea, pid, as, pa] of probes) {
        const k = t.vcpu.translate(la(ea, pid, as));
        const u = view.translate(ea, as, pid);
        assert.equal(k.valid, pa !== null, `kernel valid for ${ea.toString(16)}/${pid}/${as}`);
        assert.equal(u !== null, pa !== null, `walker for ${ea.toString(16)}/${pid}/${as}`);
        if (pa !== null) {
          assert.equal(k.physicalAddress, pa);
          assert.equal(u!.realAddress, pa);
        }
      }
    }
    const k = t.vcpu.translate(la(0x20000abc, 5, 1));
    assert.deepEqual([k.writeable, k.usermode], [true, true]);
    assert.deepEqual([t.vcpu.translate(la(0x300fff00, 7, 0)).writeable, t.vcpu.translate(la(0x300fff00, 7, 0)).usermode], [true, false]);
    throwsErrno(() => t.vcpu.translate(1n << 41n), 'EINVAL', /bits 0..40/);
    throwsErrno(() => t.vcpu.translate(-1), 'EINVAL');
    assert.equal(t.vcpu.translate(0x20000abc).physicalAddress, 0x123abc, 'a number works too');
  });

  test(`[${mode}] a checkpoint copies only the entries that changed`, () => {
    const t = vmOf([
      ...tlbweOf(0x00000000, 0x80000100, 0x20001000, 0x00123000 | 0x3f),
      ...tlbweOf(0x10020000, 0x80000300, 0x50000000, 0x00400000 | 0x3f),
      b(0),
    ]);
    const view = new GuestTlbView(t.vcpu, t.tlb, 'set');
    const snap = new Uint8Array(TLB_BYTES);
    snap.set(t.tlb);
    view.resetChanges();
    t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
    runExpect(t, ExitReason.INTR);
    view.translate(0x20001000, 0, 0); // a translation in between consumes set 1's changes...
    assert.equal(view.checkpoint(snap), 2, '...which the checkpoint still copies');
    assert.deepEqual(snap, t.tlb);
    assert.equal(view.checkpoint(snap), 0);
  });

  test(`[${mode}] entries the guest writes can be written back by userspace`, () => {
    const t = vmOf([
      ...tlbweOf(0x00000000, 0x40ff1f80 | 0x80000000, 0x20001fff, 0xfffffc3f, 0xffffffff), // junk bits tlbwe drops
      ...tlbweOf(0x10090000, 0xc0ff1b80, 0x7fffffff, 0xfffff3ff, 0xf),
      b(0),
    ]);
    t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
    runExpect(t, ExitReason.INTR);
    const bm = new Uint8Array(TLB_BITMAP_BYTES);
    const n = t.vcpu.syncTlb({}, bm);
    assert.equal(n, 2);
    t.vcpu.dirtyTlb(bm, n);
  });
}

test('switching TKVM_CAP_LAZY_TLB on and off keeps the TLB and its pending changes', () => {
  const t = makeVm({ mode: 'sync', code: [...tlbweOf(0x00000000, 0x80000100, 0x20001000, 0x00123000 | 0x3f), b(0)] });
  t.vcpu.enableCap(Cap.TKVM_LAZY_TLB, [1]);
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
  runExpect(t, ExitReason.INTR);
  const i = tlb0Index(0x20001000, 0);
  assert.equal(t.tlbDv.getUint32(i * 24 + 4), 0, 'lazy now');
  t.vcpu.enableCap(Cap.TKVM_LAZY_TLB, [0]);
  assert.equal(t.tlbDv.getUint32(i * 24 + 4), 0x80000100, 'switching back copies the TLB out');
  const bm = new Uint8Array(TLB_BITMAP_BYTES);
  assert.equal(t.vcpu.syncTlb({}, bm), 1, 'and the change is still reported');
  assert.deepEqual(bitsOf(bm), [i]);
  throwsErrno(() => t.vcpu.enableCap(Cap.TKVM_LAZY_TLB, [2]), 'EINVAL');
});

const MMIO_EA_PROBE = 0xe0000044;
