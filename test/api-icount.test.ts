// vCPU state a checkpoint needs beyond registers: TKVM_ICOUNT and
// TKVM_ICOUNT_DEADLINE (the instruction clock as a ONE_REG register, so a
// checkpoint restores time exactly, and a userspace deadline on it, so a VMM
// can time its devices on guest time, QEMU's -icount), KVM_GET/SET_MP_STATE
// (a waiting vCPU), the TLB0 next victim and the lwarx reservation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cap, ExitReason, Reg, KVM_MP_STATE_HALTED, KVM_MP_STATE_RUNNABLE, KVM_REG_PPC, KVM_REG_SIZE_U32,
} from '../src/kvm/index.js';
import { addi, b, li32, sc, wait } from './support/asm.js';
import { makeVm, runExpect, throwsErrno } from './support/guest.js';

const NONE = 0xffffffffffffffffn;
const loop = [addi(3, 3, 1), b(-4)];

test('TKVM_ICOUNT_DEADLINE: KVM_RUN stops exactly at the deadline, reproducibly', () => {
  const runTo = (deadline: bigint) => {
    const t = makeVm({ code: loop });
    t.vcpu.enableCap(Cap.TKVM_ICOUNT_CLOCK, [0]);
    assert.equal(t.vcpu.getOneReg(Reg.TKVM_ICOUNT_DEADLINE), NONE, 'no deadline at first');
    t.vcpu.setOneReg(Reg.TKVM_ICOUNT_DEADLINE, deadline);
    runExpect(t, ExitReason.INTR, 'deadline');
    return t;
  };
  for (const d of [1n, 1000n, 123_457n, 1_000_003n]) {
    const t = runTo(d);
    const n = t.vcpu.getOneReg(Reg.TKVM_ICOUNT) as bigint;
    assert.equal(n, d, `stopped at ${n} for deadline ${d}`);
    // Two instructions per iteration; r3 counts iterations.
    const r3 = BigInt(t.vcpu.getRegs().gpr[3]);
    assert.ok(r3 * 2n >= n - 1n && r3 * 2n <= n + 1n, `r3 ${r3} agrees with icount ${n}`);
    const again = runTo(d);
    assert.equal(again.vcpu.getOneReg(Reg.TKVM_ICOUNT), n, 'the same exit point every time');
    assert.deepEqual(again.vcpu.getRegs(), t.vcpu.getRegs());
    // At or past the deadline: exit at once, nothing executed.
    runExpect(t, ExitReason.INTR, 'again');
    assert.equal(t.vcpu.getOneReg(Reg.TKVM_ICOUNT), n);
  }
});

test('TKVM_ICOUNT_DEADLINE: a waiting vCPU with an instruction clock skips to it', () => {
  const t = makeVm({ code: [wait(), b(-4)] });
  t.vcpu.enableCap(Cap.TKVM_ICOUNT_CLOCK, [3]);
  t.vcpu.enableCap(Cap.TKVM_HALT_EXIT, [1]);
  runExpect(t, ExitReason.HLT, 'no timer, no deadline: a halt exit');
  t.vcpu.setOneReg(Reg.TKVM_ICOUNT_DEADLINE, 5_000_000n);
  runExpect(t, ExitReason.INTR, 'the deadline ends the wait');
  assert.equal(t.vcpu.getOneReg(Reg.TKVM_ICOUNT), 5_000_000n, 'time skipped exactly to the deadline');
  // TB advanced with it: 2^3 ns per instruction at 400 MHz.
  const tb = t.vcpu.getSregs().e.tb - (t.vcpu.getOneReg(Reg.TB_OFFSET) as bigint);
  assert.equal(BigInt.asUintN(64, tb), 16_000_000n);
  t.vcpu.setOneReg(Reg.TKVM_ICOUNT_DEADLINE, NONE);
  runExpect(t, ExitReason.HLT, 'deadline removed');
});

test('TKVM_ICOUNT: reads the count; writing it moves the instruction clock and TB with it', () => {
  const t = makeVm({ code: loop });
  t.vcpu.enableCap(Cap.TKVM_ICOUNT_CLOCK, [0]);
  t.vcpu.setOneReg(Reg.TKVM_ICOUNT_DEADLINE, 10_000n);
  runExpect(t, ExitReason.INTR);
  const off = t.vcpu.getOneReg(Reg.TB_OFFSET);
  t.vcpu.setOneReg(Reg.TKVM_ICOUNT, 2_500_000_000n);
  assert.equal(t.vcpu.getOneReg(Reg.TKVM_ICOUNT), 2_500_000_000n);
  assert.equal(t.vcpu.getOneReg(Reg.TB_OFFSET), off, 'TB_OFFSET kept');
  assert.equal(BigInt.asUintN(64, t.vcpu.getSregs().e.tb - (off as bigint)), 1_000_000_000n, '0.4 ticks per instruction');
  // A checkpoint restored elsewhere: ICOUNT, then TB_OFFSET, gives the same TB.
  const u = makeVm({ code: loop });
  u.vcpu.enableCap(Cap.TKVM_ICOUNT_CLOCK, [0]);
  u.vcpu.setOneReg(Reg.TKVM_ICOUNT, t.vcpu.getOneReg(Reg.TKVM_ICOUNT));
  u.vcpu.setOneReg(Reg.TB_OFFSET, off);
  assert.equal(u.vcpu.getSregs().e.tb, t.vcpu.getSregs().e.tb);
});

test('TKVM_ICOUNT registers: validation, and not in KVM_GET_REG_LIST', () => {
  const t = makeVm({ code: loop });
  throwsErrno(() => t.vcpu.setOneReg(Reg.TKVM_ICOUNT, 1n << 60n), 'EINVAL', /2\^53/);
  throwsErrno(() => t.vcpu.setOneReg(Reg.TKVM_ICOUNT_DEADLINE, 1n << 60n), 'EINVAL', /2\^53/);
  throwsErrno(() => t.vcpu.setOneReg(Reg.TKVM_ICOUNT, 5), 'EINVAL');
  throwsErrno(() => t.vcpu.getOneReg(KVM_REG_PPC | KVM_REG_SIZE_U32 | 0xf000n), 'EINVAL', /8 bytes/);
  const list = t.vcpu.getRegList();
  assert.ok(!list.includes(Reg.TKVM_ICOUNT) && !list.includes(Reg.TKVM_ICOUNT_DEADLINE));
});

test('KVM_GET/SET_MP_STATE: a waiting vCPU is HALTED, and a restored one waits', () => {
  const t = makeVm({ code: [wait(), addi(3, 3, 1), sc(1)] });
  t.vcpu.enableCap(Cap.TKVM_HALT_EXIT, [1]);
  assert.deepEqual(t.vcpu.getMpState(), { mpState: KVM_MP_STATE_RUNNABLE });
  runExpect(t, ExitReason.HLT);
  assert.deepEqual(t.vcpu.getMpState(), { mpState: KVM_MP_STATE_HALTED });
  const pc = t.vcpu.getRegs().pc;
  // A copy of the vCPU: registers, then the state.
  const u = makeVm({ code: [wait(), addi(3, 3, 1), sc(1)] });
  u.vcpu.enableCap(Cap.TKVM_HALT_EXIT, [1]);
  u.vcpu.setRegs(t.vcpu.getRegs());
  u.vcpu.setMpState({ mpState: KVM_MP_STATE_HALTED });
  runExpect(u, ExitReason.HLT, 'still waiting');
  assert.equal(u.vcpu.getRegs().pc, pc);
  u.vcpu.setMpState({ mpState: KVM_MP_STATE_RUNNABLE });
  runExpect(u, ExitReason.HYPERCALL, 'runs on after the wait');
  assert.equal(u.vcpu.getRegs().gpr[3], 1);
  throwsErrno(() => u.vcpu.setMpState({ mpState: 5 }), 'EINVAL', /RUNNABLE/);
  throwsErrno(() => u.vcpu.setMpState({ mpState: 0, x: 1 } as never), 'EINVAL');
  throwsErrno(() => u.vcpu.setMpState(null as never), 'EFAULT');
});

test('TKVM_TLB0_NV and TKVM_RESERVATION: hidden vCPU state, listed for checkpoints', () => {
  const lwarx = (rt: number, ra: number, rb: number) => ((31 << 26) | (rt << 21) | (ra << 16) | (rb << 11) | (20 << 1)) >>> 0;
  const stwcx = (rs: number, ra: number, rb: number) => ((31 << 26) | (rs << 21) | (ra << 16) | (rb << 11) | (150 << 1) | 1) >>> 0;
  const t = makeVm({ code: [...li32(4, 0x8000), lwarx(5, 0, 4), sc(1), stwcx(5, 0, 4), sc(1)] });
  assert.equal(t.vcpu.getOneReg(Reg.TKVM_RESERVATION), NONE);
  runExpect(t, ExitReason.HYPERCALL);
  assert.equal(t.vcpu.getOneReg(Reg.TKVM_RESERVATION), 0x8000n);
  t.vcpu.setOneReg(Reg.TKVM_RESERVATION, NONE);
  runExpect(t, ExitReason.HYPERCALL);
  assert.equal((t.vcpu.getRegs().cr >>> 29) & 1, 0, 'stwcx. failed: the reservation was dropped');
  t.vcpu.setOneReg(Reg.TKVM_RESERVATION, 0x8000n);
  throwsErrno(() => t.vcpu.setOneReg(Reg.TKVM_RESERVATION, 0x8001n), 'EINVAL');
  throwsErrno(() => t.vcpu.setOneReg(Reg.TKVM_TLB0_NV, 4), 'EINVAL');
  t.vcpu.setOneReg(Reg.TKVM_TLB0_NV, 2);
  assert.equal(t.vcpu.getOneReg(Reg.TKVM_TLB0_NV), 2);
  const list = t.vcpu.getRegList();
  assert.ok(list.includes(Reg.TKVM_TLB0_NV) && list.includes(Reg.TKVM_RESERVATION));
});
