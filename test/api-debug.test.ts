// KVM_SET_GUEST_DEBUG: single step, software breakpoints, IAC breakpoints, DAC watchpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cap, ExitReason, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_HW_BP, KVM_GUESTDBG_USE_SW_BP,
  KVMPPC_DEBUG_BREAKPOINT, KVMPPC_DEBUG_NONE, KVMPPC_DEBUG_WATCH_READ, KVMPPC_DEBUG_WATCH_WRITE, Reg,
} from '../src/kvm/index.js';
import { addi, b, li, li32, lwz, sc, SW_BREAK, stw, ehpriv } from './support/asm.js';
import { CODE, MMIO_EA, makeVm, poke, runExpect, runExpectVector, throwsErrno, type TestVm } from './support/guest.js';

const ON = KVM_GUESTDBG_ENABLE;
const incLoop = [addi(3, 3, 1), addi(3, 3, 1), addi(3, 3, 1), addi(3, 3, 1), b(-16)];

function expectDebug(t: TestVm, status: number, address: number, what: string): void {
  runExpect(t, ExitReason.DEBUG, what);
  assert.equal(t.run.debugStatus, status, `${what}: status`);
  assert.equal(t.run.debugAddress, address, `${what}: address`);
}

test('the debug capabilities report what e500mc has', () => {
  const t = makeVm();
  assert.equal(t.kvm.checkExtension(Cap.SET_GUEST_DEBUG), 1);
  assert.equal(t.kvm.checkExtension(Cap.PPC_GUEST_DEBUG_SSTEP), 1);
  assert.equal(t.kvm.checkExtension(Cap.GUEST_DEBUG_HW_BPS), 2);
  assert.equal(t.kvm.checkExtension(Cap.GUEST_DEBUG_HW_WPS), 2);
});

test('single step exits after each instruction with the next address, status NONE', () => {
  const t = makeVm({ code: incLoop });
  t.vcpu.setGuestDebug({ control: ON | KVM_GUESTDBG_SINGLESTEP });
  for (let k = 1; k <= 6; k++) {
    const pc = k <= 4 ? CODE + 4 * k : k === 5 ? CODE : CODE + 4;
    expectDebug(t, KVMPPC_DEBUG_NONE, pc, `step ${k}`);
    assert.equal(t.vcpu.getRegs().pc, pc);
  }
  assert.equal(t.vcpu.getRegs().gpr[3], 5);
  t.vcpu.setGuestDebug({ control: 0 });
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
  runExpect(t, ExitReason.INTR, 'debugging off');
  assert.ok(t.vcpu.getRegs().gpr[3] > 100);
});

test('single step over an MMIO store: the MMIO exit, then the step completes on resume', () => {
  const t = makeVm({ code: [...li32(4, MMIO_EA), stw(4, 0, 4), li(6, 1), b(0)] });
  t.vcpu.setGuestDebug({ control: ON | KVM_GUESTDBG_SINGLESTEP });
  expectDebug(t, KVMPPC_DEBUG_NONE, CODE + 4, 'lis');
  expectDebug(t, KVMPPC_DEBUG_NONE, CODE + 8, 'ori');
  runExpect(t, ExitReason.MMIO, 'the store');
  expectDebug(t, KVMPPC_DEBUG_NONE, CODE + 12, 'the store completed');
  assert.equal(t.vcpu.getRegs().gpr[6], 0);
});

test('single step over a hypercall the kernel answers stops right after it', () => {
  const t = makeVm({ code: [...li32(11, 0x002a0003), sc(1), li(6, 1), b(0)] });
  t.vcpu.setGuestDebug({ control: ON | KVM_GUESTDBG_SINGLESTEP });
  expectDebug(t, KVMPPC_DEBUG_NONE, CODE + 4, 'lis');
  expectDebug(t, KVMPPC_DEBUG_NONE, CODE + 8, 'ori');
  expectDebug(t, KVMPPC_DEBUG_NONE, CODE + 12, 'sc 1 (KVM_HC_FEATURES)');
  assert.equal(t.vcpu.getRegs().gpr[6], 0);
});

test('software breakpoints: KVM_REG_PPC_DEBUG_INST exits with USE_SW_BP, is illegal without', () => {
  const t = makeVm({ code: incLoop });
  assert.equal(t.vcpu.getOneReg(Reg.DEBUG_INST), SW_BREAK);
  poke(t, CODE + 8, [SW_BREAK]);
  t.vcpu.setGuestDebug({ control: ON | KVM_GUESTDBG_USE_SW_BP });
  expectDebug(t, KVMPPC_DEBUG_NONE, CODE + 8, 'breakpoint');
  assert.equal(t.vcpu.getRegs().gpr[3], 2);
  assert.equal(t.vcpu.getRegs().pc, CODE + 8, 'stopped before the breakpoint');
  expectDebug(t, KVMPPC_DEBUG_NONE, CODE + 8, 'the breakpoint stays until userspace replaces it');
  t.vcpu.setGuestDebug({ control: ON });
  runExpectVector(t, 6, 'without USE_SW_BP the word is an illegal instruction');
  assert.equal(t.vcpu.getRegs().srr0, CODE + 8);
});

test('ehpriv 1 is a debug exit with USE_SW_BP too (KVM e500mc emulation)', () => {
  const t = makeVm({ code: [li(3, 1), ehpriv(1), b(0)] });
  t.vcpu.setGuestDebug({ control: ON | KVM_GUESTDBG_USE_SW_BP });
  expectDebug(t, KVMPPC_DEBUG_NONE, CODE + 4, 'ehpriv');
});

test('hardware breakpoints stop before the instruction and resume over it', () => {
  const t = makeVm({ code: incLoop });
  t.vcpu.setGuestDebug({
    control: ON | KVM_GUESTDBG_USE_HW_BP,
    arch: { bp: [{ addr: BigInt(CODE + 12), type: KVMPPC_DEBUG_BREAKPOINT }, { addr: 0n, type: 0 }, { addr: BigInt(CODE + 4), type: KVMPPC_DEBUG_BREAKPOINT }] },
  });
  expectDebug(t, KVMPPC_DEBUG_BREAKPOINT, CODE + 4, 'IAC at +4');
  assert.equal(t.vcpu.getRegs().gpr[3], 1);
  expectDebug(t, KVMPPC_DEBUG_BREAKPOINT, CODE + 12, 'IAC at +12');
  assert.equal(t.vcpu.getRegs().gpr[3], 3);
  expectDebug(t, KVMPPC_DEBUG_BREAKPOINT, CODE + 4, 'next iteration');
  assert.equal(t.vcpu.getRegs().gpr[3], 5);
});

test('watchpoints: reads and writes that touch the address stop before the access', () => {
  const data = 0x8000;
  const t = makeVm({ code: [li32(4, data)[0], li32(4, data)[1], lwz(5, 0, 4), addi(5, 5, 1), stw(5, 0, 4), stw(5, 8, 4), b(-16)] });
  t.dv.setUint32(data, 41);
  t.vcpu.setGuestDebug({
    control: ON | KVM_GUESTDBG_USE_HW_BP,
    arch: { bp: [{ addr: BigInt(data + 2), type: KVMPPC_DEBUG_WATCH_WRITE }] },
  });
  expectDebug(t, KVMPPC_DEBUG_WATCH_WRITE, data + 2, 'a word store covering the watched byte');
  assert.equal(t.vcpu.getRegs().pc, CODE + 16, 'at the store');
  assert.equal(t.dv.getUint32(data), 41, 'not yet written');
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [0]);
  expectDebug(t, KVMPPC_DEBUG_WATCH_WRITE, data + 2, 'resumed over it, the next iteration stores again');
  assert.equal(t.dv.getUint32(data), 42, 'the first store happened');

  t.vcpu.setGuestDebug({
    control: ON | KVM_GUESTDBG_USE_HW_BP,
    arch: { bp: [{ addr: BigInt(data + 8), type: KVMPPC_DEBUG_WATCH_WRITE }, { addr: BigInt(data), type: KVMPPC_DEBUG_WATCH_READ }] },
  });
  expectDebug(t, KVMPPC_DEBUG_WATCH_WRITE, data + 8, 'second watchpoint');
  expectDebug(t, KVMPPC_DEBUG_WATCH_READ, data, 'read watchpoint on the load');
  assert.equal(t.vcpu.getRegs().pc, CODE + 8);
  t.vcpu.setGuestDebug({ control: 0 });
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [2000]);
  runExpect(t, ExitReason.INTR, 'no watchpoints: the fast path again');
  assert.ok(t.dv.getUint32(data) > 1000);
});

test('KVM_SET_GUEST_DEBUG rejects what e500mc cannot do and then changes nothing', () => {
  const t = makeVm({ code: incLoop });
  t.vcpu.setGuestDebug({ control: ON | KVM_GUESTDBG_SINGLESTEP });
  const hw = ON | KVM_GUESTDBG_USE_HW_BP;
  const bp = (addr: number, type: number) => ({ addr: BigInt(addr), type });
  const bad: [unknown, RegExp][] = [
    [{ control: ON | 0x4 }, /unknown kvm_guest_debug.control/],
    [{ control: hw, arch: { bp: [bp(0x100, 2), bp(0x200, 2), bp(0x300, 2)] } }, /more than 2 hardware breakpoints/],
    [{ control: hw, arch: { bp: [bp(0x100, 4), bp(0x200, 8), bp(0x300, 12)] } }, /more than 2 watchpoints/],
    [{ control: hw, arch: { bp: [bp(0x100, 0x10)] } }, /unknown bits/],
    [{ control: hw, arch: { bp: [bp(0x100, 6)] } }, /not both/],
    [{ control: hw, arch: { bp: [bp(0x102, 2)] } }, /word aligned/],
    [{ control: hw, arch: { bp: [{ addr: 1n << 32n, type: 4 }] } }, /32-bit/],
    [{ control: hw, arch: { bp: new Array(17).fill(bp(0, 0)) } }, /at most 16/],
    [{ control: hw, arch: { bp: [{ addr: 0x100, type: 2 }] } }, /bigint/],
    [{ control: hw, arch: { bp: [{ addr: 0n, type: 2, extra: 1 }] } }, /unknown field/],
    [{ control: ON, pad: 1 }, /pad/],
  ];
  for (const [dbg, msg] of bad) throwsErrno(() => t.vcpu.setGuestDebug(dbg as never), 'EINVAL', msg);
  throwsErrno(() => t.vcpu.setGuestDebug(null as never), 'EFAULT');
  expectDebug(t, KVMPPC_DEBUG_NONE, CODE + 4, 'still single-stepping');
});

test('userspace code changes reach a vCPU that already ran the code, after vm.invalidateCode', () => {
  const t = makeVm({ code: [addi(3, 3, 1), addi(3, 3, 1), addi(3, 3, 1), b(-12)] });
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [2000]);
  runExpect(t, ExitReason.INTR, 'the loop runs (and gets decoded)');
  poke(t, CODE + 4, [SW_BREAK]);
  t.vm.invalidateCode(CODE, 16);
  t.vcpu.setGuestDebug({ control: ON | KVM_GUESTDBG_USE_SW_BP });
  expectDebug(t, KVMPPC_DEBUG_NONE, CODE + 4, 'the breakpoint userspace inserted');
  poke(t, CODE + 4, [addi(4, 4, 1)]);
  t.vm.invalidateCode(0, 16 << 20);
  t.vcpu.setGuestDebug({ control: 0 });
  runExpect(t, ExitReason.INTR);
  assert.ok(t.vcpu.getRegs().gpr[4] > 10, 'the new instruction runs');
  throwsErrno(() => t.vm.invalidateCode(-1, 4), 'EINVAL');
  throwsErrno(() => t.vm.invalidateCode(2 ** 36, 4), 'EINVAL');
  t.vm.invalidateCode(0xfe0000000, 4096); // no RAM there: nothing to do
});
