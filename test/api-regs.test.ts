// KVM_GET/SET_REGS, KVM_GET/SET_SREGS (Book E), KVM_GET/SET_ONE_REG, KVM_GET_REG_LIST,
// KVM_GET/SET_FPU and KVM_CAP_SYNC_REGS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cap, ExitReason, KVM_SYNC_PPC_REGS, Reg, RunOff, SregsFeature, SregsUpdate, decodeKvmRegs, regFpr, regSize,
  type KvmSregs, type RegValue,
} from '../src/kvm/index.js';
import { addi, b, mfspr } from './support/asm.js';
import { CODE, makeVm, runExpect, throwsErrno } from './support/guest.js';

const clone = (s: KvmSregs): KvmSregs => structuredClone(s);

test('kvm_regs round-trips and every field reaches the guest', () => {
  const t = makeVm({ code: [mfspr(5, 272), mfspr(6, 279), mfspr(7, 48), b(0)] });
  const r = t.vcpu.getRegs();
  r.gpr = r.gpr.map((_, i) => (0x01010101 * i) >>> 0);
  Object.assign(r, { cr: 0x12345678, ctr: 0xfffffff0, lr: 0x1000, xer: 0xe000007f, srr0: 0x100, srr1: 0x1000, pid: 7 });
  for (let i = 0; i < 8; i++) (r as unknown as Record<string, number>)[`sprg${i}`] = 0x100 + i;
  t.vcpu.setRegs(r);
  assert.deepEqual(t.vcpu.getRegs(), r);
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
  // PID 7 leaves TLB1's TID-0 entries matching.
  runExpect(t, ExitReason.INTR);
  const g = t.vcpu.getRegs().gpr;
  assert.deepEqual([g[5], g[6], g[7]], [0x100, 0x107, 7]);
});

test('KVM_SET_REGS rejects what an e500mc cannot hold, and then changes nothing', () => {
  const t = makeVm();
  const before = t.vcpu.getRegs();
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ pc: CODE + 2 }, /word aligned/],
    [{ msr: 0x10000000 }, /msr has bits/],
    [{ xer: 0x00001000 }, /unimplemented/],
    [{ pid: 256 }, /8-bit PID/],
    [{ lr: 2 ** 32 }, /2\^32/],
    [{ ctr: -1 }, /2\^32/],
    [{ gpr: new Array(31).fill(0) }, /32 entries/],
    [{ bogus: 1 }, /unknown field/],
  ];
  for (const [patch, msg] of bad) {
    throwsErrno(() => t.vcpu.setRegs({ ...before, ...patch } as never), 'EINVAL', msg);
  }
  throwsErrno(() => t.vcpu.setRegs(undefined as never), 'EFAULT');
  assert.deepEqual(t.vcpu.getRegs(), before);
});

test('KVM_GET_SREGS describes an e500mc; setting it back unchanged is a no-op', () => {
  const t = makeVm();
  const s = t.vcpu.getSregs();
  assert.equal(s.pvr, 0x80230020);
  const F = SregsFeature;
  assert.equal(s.e.features, F.BASE | F.ARCH206 | F.E_64 | F.SPRG8 | F.IVOR | F.ARCH206_MMU | F.DEBUG | F.ED | F.PC | F.PM);
  assert.equal(s.e.implId, 1);
  assert.equal(s.e.updateSpecial, 0);
  assert.equal(s.e.pir, 0);
  assert.deepEqual([s.e.numIac, s.e.numDac, s.e.numDvc], [2, 2, 0]);
  assert.equal(s.e.tlbcfg[0], 0x04110200);
  assert.equal(s.e.tlbcfg[1], 0x401cc040);
  assert.equal(s.e.mmucfg, 0x004809c4);
  assert.equal(s.e.ivorLow[6], 0x600, 'the fixture set IVORn = n * 0x100');
  t.vcpu.setSregs(clone(s));
  const again = t.vcpu.getSregs();
  assert.ok(again.e.tb >= s.e.tb, 'tb moves on');
  again.e.tb = s.e.tb;
  assert.deepEqual(again, s);
});

test('KVM_SET_SREGS writes only the sections in features', () => {
  const t = makeVm();
  const s = t.vcpu.getSregs();
  s.e.features = SregsFeature.IVOR;
  s.e.ivorLow[2] = 0x2340;
  s.e.csrr0 = 0x1234n; // BASE is not selected
  s.e.mas0 = 0x10000000; // ARCH206_MMU is not selected
  t.vcpu.setSregs(s);
  const g = t.vcpu.getSregs();
  assert.equal(g.e.ivorLow[2], 0x2340);
  assert.equal(g.e.csrr0, 0n);
  assert.equal(g.e.mas0, 0);
  s.e.features = SregsFeature.ARCH206_MMU;
  s.e.mas7_3 = 0x0000000f_12345000n;
  t.vcpu.setSregs(s);
  assert.equal(t.vcpu.getOneReg(Reg.MAS0), 0x10000000);
  assert.equal(t.vcpu.getOneReg(Reg.MAS7_3), 0x0000000f_12345000n);
});

test('update_special: MCSR, TSR, DEC and DBSR change only when asked', () => {
  const t = makeVm();
  const s = t.vcpu.getSregs();
  Object.assign(s.e, { mcsr: 0x80000000n, tsr: 0x08000000, dec: 4_000_000_000, dbsr: 0x01000000 });
  t.vcpu.setSregs(clone(s));
  let g = t.vcpu.getSregs();
  assert.deepEqual([g.e.mcsr, g.e.tsr, g.e.dec, g.e.dbsr], [0n, 0, 0, 0]);
  s.e.updateSpecial = SregsUpdate.MCSR | SregsUpdate.TSR | SregsUpdate.DEC | SregsUpdate.DBSR;
  t.vcpu.setSregs(clone(s));
  g = t.vcpu.getSregs();
  assert.equal(g.e.mcsr, 0x80000000n);
  assert.equal(g.e.tsr, 0x08000000, 'set directly, not write-one-to-clear');
  assert.equal(g.e.dbsr, 0x01000000);
  assert.ok(g.e.dec > 3_000_000_000 && g.e.dec <= 4_000_000_000, `DEC ${g.e.dec} counts down from the value set`);
  assert.equal(g.e.updateSpecial, 0, 'update_special reads as 0');
  s.e.updateSpecial = 0xffffffff; // the header allows all ones, new bits included
  t.vcpu.setSregs(clone(s));
});

test('KVM_SET_SREGS rejects sections, values and read-only fields it cannot honour', () => {
  const t = makeVm();
  const good = t.vcpu.getSregs();
  const cases: [(s: KvmSregs) => void, RegExp][] = [
    [(s) => { s.pvr = 0x80210000; }, /PVR/],
    [(s) => { s.e.features |= SregsFeature.SPE; }, /sections/],
    [(s) => { s.e.features |= 1 << 20; }, /sections/],
    [(s) => { s.e.pir = 3; }, /pir/],
    [(s) => { s.e.implId = 7; }, /impl_id/],
    [(s) => { s.e.impl.fsl.features = 1; }, /PID1/],
    [(s) => { s.e.mmucfg = 0; }, /read-only/],
    [(s) => { s.e.tlbcfg[0] = 0x04110100; }, /read-only/],
    [(s) => { s.e.tlbps[1] = 1; }, /read-only/],
    [(s) => { s.e.numIac = 4; }, /read-only/],
    [(s) => { s.e.iac[2] = 0x100; }, /2 IACs/],
    [(s) => { s.e.iac[0] = 0x101; }, /does not implement/],
    [(s) => { s.e.dvc[0] = 1; }, /DVC/],
    [(s) => { s.e.ivorLow[3] = 0x104; }, /ivor_low\[3\]/],
    [(s) => { s.e.ivpr = 0x1000n; }, /ivpr/],
    [(s) => { s.e.csrr0 = 1n << 32n; }, /32-bit register/],
    [(s) => { s.e.mas7_3 = 0x10_00000000n; }, /MAS7/],
    [(s) => { (s.e as unknown as Record<string, unknown>).csrr0 = 5; }, /bigint/],
    [(s) => { (s.e as unknown as Record<string, unknown>).esr = 5n; }, /integer/],
    [(s) => { (s.e as unknown as Record<string, unknown>).extra = 0; }, /unknown field/],
    [(s) => { delete (s.e as unknown as Record<string, unknown>).tcr; }, /tcr/],
    [(s) => { s.e.ivorLow = s.e.ivorLow.slice(1); }, /16 numbers/],
  ];
  for (const [mutate, msg] of cases) {
    const s = clone(good);
    mutate(s);
    throwsErrno(() => t.vcpu.setSregs(s), 'EINVAL', msg);
  }
  const after = t.vcpu.getSregs();
  after.e.tb = good.e.tb;
  after.e.dec = good.e.dec;
  assert.deepEqual(after, good, 'nothing changed');
});

test('KVM_GET_REG_LIST lists the Book E registers; each reads and writes back unchanged', () => {
  const t = makeVm();
  const ids = t.vcpu.getRegList();
  assert.equal(ids.length, new Set(ids).size);
  for (const id of [Reg.IAC1, Reg.IAC2, Reg.DAC1, Reg.DAC2, regFpr(0), regFpr(31), Reg.FPSCR, Reg.EPCR, Reg.EPR, Reg.TCR,
    Reg.TSR, Reg.DEBUG_INST, Reg.MAS0, Reg.MAS1, Reg.MAS2, Reg.MAS7_3, Reg.MAS4, Reg.MAS6, Reg.MMUCFG, Reg.TLB0CFG,
    Reg.TLB1CFG, Reg.TLB2CFG, Reg.TLB3CFG, Reg.TLB0PS, Reg.TLB3PS, Reg.EPTCFG, Reg.TB_OFFSET, Reg.VRSAVE, Reg.SPRG9,
    Reg.DBSR, Reg.DEC_EXPIRY]) {
    assert.ok(ids.includes(id), `0x${id.toString(16)} listed`);
  }
  assert.ok(!ids.includes(Reg.OR_TSR) && !ids.includes(Reg.CLEAR_TSR), 'write-only pseudo registers are not listed');
  assert.ok(!ids.includes(Reg.IAC3) && !ids.includes(Reg.HIOR), 'registers e500mc lacks are not listed');
  for (const id of ids) {
    if (id === Reg.DEC_EXPIRY || id === Reg.TB_OFFSET) continue; // time-dependent, tested below
    const v = t.vcpu.getOneReg(id);
    assert.equal(typeof v, regSize(id) === 8 ? 'bigint' : 'number', `0x${id.toString(16)}`);
    t.vcpu.setOneReg(id, v);
    assert.equal(t.vcpu.getOneReg(id), v);
  }
  const small = { n: 3, reg: new BigUint64Array(3) };
  throwsErrno(() => t.vcpu.getRegList(small), 'E2BIG');
  assert.equal(small.n, ids.length, 'n tells how many are needed');
  const full = { n: 100, reg: new BigUint64Array(100) };
  t.vcpu.getRegList(full);
  assert.equal(full.n, ids.length);
  assert.deepEqual([...full.reg.subarray(0, full.n)], ids);
});

test('ONE_REG: bad ids are EINVAL, as KVM for ppc; sizes are the ids\' sizes', () => {
  const t = makeVm();
  const tcrAs64 = (Reg.TCR & ~0x00f0000000000000n) | 0x0030000000000000n;
  throwsErrno(() => t.vcpu.getOneReg(tcrAs64), 'EINVAL', /4 bytes, the id says 8/);
  throwsErrno(() => t.vcpu.setOneReg(tcrAs64, 0n), 'EINVAL', /4 bytes/);
  throwsErrno(() => t.vcpu.getOneReg(Reg.HIOR), 'EINVAL', /names no register/);
  throwsErrno(() => t.vcpu.getOneReg(Reg.VR0), 'EINVAL', /names no register/);
  throwsErrno(() => t.vcpu.getOneReg(0x2030000000000001n), 'EINVAL', /not a KVM_REG_PPC/);
  throwsErrno(() => t.vcpu.getOneReg(0x89 as never), 'EINVAL', /bigint/);
  throwsErrno(() => t.vcpu.getOneReg(-1n), 'EINVAL');
  throwsErrno(() => t.vcpu.setOneReg(Reg.TCR, 1n), 'EINVAL', /integer/);
  throwsErrno(() => t.vcpu.setOneReg(Reg.DAC1, 1), 'EINVAL', /bigint/);
  throwsErrno(() => t.vcpu.setOneReg(Reg.DAC1, 1n << 32n), 'EINVAL', /32-bit/);
  throwsErrno(() => t.vcpu.setOneReg(Reg.IAC1, 0x1002n), 'EINVAL', /does not implement/);
  throwsErrno(() => t.vcpu.setOneReg(Reg.MAS7_3, 0x10_00000000n), 'EINVAL', /MAS7/);
  throwsErrno(() => t.vcpu.setOneReg(Reg.TCR, 2 ** 32), 'EINVAL');
  throwsErrno(() => t.vcpu.setOneReg(Reg.MMUCFG, 0), 'EINVAL', /read-only/);
  throwsErrno(() => t.vcpu.setOneReg(Reg.TLB0CFG, 0), 'EINVAL', /read-only/);
  throwsErrno(() => t.vcpu.setOneReg(Reg.DEBUG_INST, 0x7c000a1c), 'EINVAL', /read-only/);
  throwsErrno(() => t.vcpu.getOneReg(Reg.OR_TSR), 'EINVAL', /write-only/);
});

test('ONE_REG values reach the guest, and the timer registers behave', () => {
  const t = makeVm({ code: [mfspr(5, 605), mfspr(6, 256), mfspr(7, 307), mfspr(8, 316), b(0)] });
  const set: [bigint, RegValue][] = [[Reg.SPRG9, 0x99n], [Reg.VRSAVE, 0x5a5a], [Reg.EPCR, 0x80000000], [Reg.DAC1, 0x8000n]];
  for (const [id, v] of set) t.vcpu.setOneReg(id, v);
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
  runExpect(t, ExitReason.INTR);
  const g = t.vcpu.getRegs().gpr;
  assert.deepEqual([g[5], g[6], g[7] >>> 0, g[8]], [0x99, 0x5a5a, 0x80000000, 0x8000]);

  t.vcpu.setOneReg(Reg.TSR, 0);
  t.vcpu.setOneReg(Reg.OR_TSR, 0x0c000000);
  assert.equal(t.vcpu.getOneReg(Reg.TSR), 0x0c000000);
  t.vcpu.setOneReg(Reg.CLEAR_TSR, 0x08000000);
  assert.equal(t.vcpu.getOneReg(Reg.TSR), 0x04000000);
  t.vcpu.setOneReg(Reg.TCR, 0x04400000);
  assert.equal(t.vcpu.getSregs().e.tcr, 0x04400000);
  // The hypervisor sets TCR as given, WRC included (only the guest's mtspr keeps WRC once set).
  t.vcpu.setOneReg(Reg.TCR, 0x30000000);
  t.vcpu.setOneReg(Reg.TCR, 0x04400000);
  assert.equal(t.vcpu.getOneReg(Reg.TCR), 0x04400000, 'ONE_REG clears TCR[WRC]');
  const sr = t.vcpu.getSregs();
  sr.e.tcr = 0x10000000;
  t.vcpu.setSregs(sr);
  sr.e.tcr = 0;
  t.vcpu.setSregs(sr);
  assert.equal(t.vcpu.getSregs().e.tcr, 0, 'KVM_SET_SREGS clears TCR[WRC]');

  // TB_OFFSET moves the time base; DEC_EXPIRY is in time-base ticks.
  const off = t.vcpu.getOneReg(Reg.TB_OFFSET) as bigint;
  const tb0 = t.vcpu.getSregs().e.tb;
  t.vcpu.setOneReg(Reg.TB_OFFSET, BigInt.asUintN(64, off + 400_000_000_000n));
  const tb1 = t.vcpu.getSregs().e.tb;
  assert.ok(tb1 - tb0 >= 400_000_000_000n && tb1 - tb0 < 400_000_000_000n + 400_000_000n, `TB advanced by ${tb1 - tb0}`);
  assert.equal(t.vcpu.getOneReg(Reg.DEC_EXPIRY), 0xffffffffffffffffn, 'decrementer stopped');
  t.vcpu.setOneReg(Reg.DEC_EXPIRY, tb1 + 800_000_000n);
  const dec = t.vcpu.getSregs().e.dec;
  assert.ok(dec > 400_000_000 && dec <= 800_000_000, `DEC ${dec}`);
  const exp = t.vcpu.getOneReg(Reg.DEC_EXPIRY) as bigint;
  assert.ok(exp >= tb1 + 800_000_000n - 1n && exp <= tb1 + 800_000_000n + 1n);
  t.vcpu.setOneReg(Reg.DEC_EXPIRY, 0xffffffffffffffffn);
  assert.equal(t.vcpu.getSregs().e.dec, 0, 'stopped again');
});

test('KVM_GET/SET_FPU and the FPR registers are the same raw 64-bit values', () => {
  const t = makeVm();
  const fpr = Array.from({ length: 32 }, (_, i) => (0x7ff8000000000001n + BigInt(i)) | (BigInt(i) << 40n));
  t.vcpu.setFpu({ fpr });
  assert.deepEqual(t.vcpu.getFpu().fpr, fpr);
  assert.equal(t.vcpu.getOneReg(regFpr(7)), fpr[7]);
  t.vcpu.setOneReg(regFpr(7), 0x3ff0000000000000n);
  assert.equal(t.vcpu.getFpu().fpr[7], 0x3ff0000000000000n);
  t.vcpu.setOneReg(Reg.FPSCR, 0x000000f8n);
  assert.equal(t.vcpu.getOneReg(Reg.FPSCR), 0xf8n);
  throwsErrno(() => t.vcpu.setFpu({ fpr: fpr.slice(1) }), 'EINVAL');
  throwsErrno(() => t.vcpu.setFpu({ fpr: [...fpr.slice(1), -1n] }), 'EINVAL');
  throwsErrno(() => t.vcpu.setFpu({ fpr, fpscr: 0 } as never), 'EINVAL');
  assert.equal(t.vcpu.getFpu().fpr[7], 0x3ff0000000000000n, 'unchanged after the failures');
});

test('KVM_CAP_SYNC_REGS: kvm_regs in kvm_run.s after each exit, and taken in when dirty', () => {
  const t = makeVm({ code: [addi(3, 3, 1), addi(4, 4, 2), b(0)] });
  assert.equal(t.kvm.checkExtension(Cap.SYNC_REGS), KVM_SYNC_PPC_REGS);
  t.run.validRegs = BigInt(KVM_SYNC_PPC_REGS);
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
  runExpect(t, ExitReason.INTR);
  const s = decodeKvmRegs(t.run.dv, RunOff.SYNC_REGS);
  assert.deepEqual(s, t.vcpu.getRegs());
  assert.equal(s.gpr[3], 1);
  // Userspace edits the copy and marks it dirty: KVM_RUN takes it in first.
  t.run.dv.setUint32(RunOff.SYNC_REGS + (17 + 3) * 8 + 4, 100);
  t.run.dv.setUint32(RunOff.SYNC_REGS + 4, CODE); // pc
  t.run.dirtyRegs = BigInt(KVM_SYNC_PPC_REGS);
  runExpect(t, ExitReason.INTR);
  assert.equal(t.vcpu.getRegs().gpr[3], 101);
  assert.equal(t.run.dirtyRegs, 0n, 'the dirty bit is consumed');
  t.run.validRegs = 2n;
  throwsErrno(() => t.vcpu.run(), 'EINVAL', /KVM_SYNC_PPC_REGS/);
  t.run.validRegs = 0n;
  t.run.dirtyRegs = 1n;
  t.run.dv.setUint32(RunOff.SYNC_REGS + 8 * 5, 1); // msr above 32 bits
  throwsErrno(() => t.vcpu.run(), 'EINVAL', /2\^32/);
  assert.equal(t.vcpu.getRegs().gpr[3], 101, 'nothing changed');
});
