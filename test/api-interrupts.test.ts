// KVM_INTERRUPT (Book E semantics) and KVM_IRQ_LINE for a userspace interrupt controller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cap, ExitReason, IrqLine, KVM_INTERRUPT_SET, KVM_INTERRUPT_SET_LEVEL, KVM_INTERRUPT_UNSET, interruptRun, setRunLine,
} from '../src/kvm/index.js';
import { addi, b, wrteei } from './support/asm.js';
import { CODE, makeVm, runExpect, runExpectVector, throwsErrno, type TestVm } from './support/guest.js';

const MSR_EE = 0x8000, MSR_CE = 0x20000, MSR_ME = 0x1000;
const spin = [addi(3, 3, 1), b(-4)];

/** Back to the spin loop with the given MSR (as a handler's rfi would). */
function resume(t: TestVm, msr: number): void {
  const r = t.vcpu.getRegs();
  r.pc = CODE;
  r.msr = msr;
  t.vcpu.setRegs(r);
}

test('capabilities for KVM_INTERRUPT on ppc', () => {
  const t = makeVm();
  assert.equal(t.kvm.checkExtension(Cap.PPC_UNSET_IRQ), 1);
  assert.equal(t.kvm.checkExtension(Cap.PPC_IRQ_LEVEL), 1);
});

test('KVM_INTERRUPT_SET is an edge: taken once when MSR[EE] allows, then done', () => {
  const t = makeVm({ code: [addi(3, 3, 1), wrteei(1), ...spin], msr: MSR_ME });
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [5000]);
  t.vcpu.interrupt(KVM_INTERRUPT_SET);
  runExpectVector(t, 4, 'taken after wrteei 1');
  assert.equal(t.vcpu.getRegs().srr0, CODE + 8);
  resume(t, MSR_ME | MSR_EE);
  runExpect(t, ExitReason.INTR, 'not taken again');
});

test('KVM_INTERRUPT_SET_LEVEL stays asserted until KVM_INTERRUPT_UNSET', () => {
  const t = makeVm({ code: spin, msr: MSR_ME | MSR_EE });
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [5000]);
  t.vcpu.interrupt(KVM_INTERRUPT_SET_LEVEL);
  runExpectVector(t, 4);
  resume(t, MSR_ME | MSR_EE);
  runExpectVector(t, 4, 'still asserted');
  t.vcpu.interrupt(KVM_INTERRUPT_UNSET);
  resume(t, MSR_ME | MSR_EE);
  runExpect(t, ExitReason.INTR, 'released');
});

test('KVM_INTERRUPT_UNSET drops an edge that was not delivered yet', () => {
  const t = makeVm({ code: spin, msr: MSR_ME });
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [5000]);
  t.vcpu.interrupt(KVM_INTERRUPT_SET);
  runExpect(t, ExitReason.INTR, 'masked by MSR[EE] = 0');
  t.vcpu.interrupt(KVM_INTERRUPT_UNSET);
  resume(t, MSR_ME | MSR_EE);
  runExpect(t, ExitReason.INTR, 'dropped');
});

test('KVM_INTERRUPT accepts the u32 spelling (-1U) and rejects anything else', () => {
  const t = makeVm({ code: spin, msr: MSR_ME | MSR_EE });
  t.vcpu.interrupt(0xffffffff);
  runExpectVector(t, 4);
  for (const irq of [0, 1, -4, 0xfffffffc, 1.5, NaN]) throwsErrno(() => t.vcpu.interrupt(irq), 'EINVAL');
  throwsErrno(() => interruptRun(new SharedArrayBuffer(16), KVM_INTERRUPT_SET), 'EFAULT');
});

test('interruptRun and setRunLine work on the run structure alone (any thread)', () => {
  const t = makeVm({ code: spin, msr: MSR_ME | MSR_EE | MSR_CE });
  interruptRun(t.vcpu.runBuffer, KVM_INTERRUPT_SET);
  runExpectVector(t, 4);
  resume(t, MSR_ME | MSR_CE);
  setRunLine(t.vcpu.runBuffer, IrqLine.CRITICAL, true);
  runExpectVector(t, 0, 'critical input');
  assert.equal(t.vcpu.getSregs().e.csrr0, BigInt(CODE), 'CSRR0');
  throwsErrno(() => setRunLine(t.vcpu.runBuffer, 3, true), 'EINVAL');
});

test('KVM_IRQ_LINE: external and critical are levels, machine check is taken per rising edge', () => {
  const t = makeVm({ code: spin, msr: MSR_ME });
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [5000]);
  t.vm.irqLine(IrqLine.MACHINE_CHECK, true);
  runExpectVector(t, 1);
  assert.equal((t.vcpu.getSregs().e.mcsr & 0x80000000n), 0x80000000n, 'MCSR[MCP]');
  resume(t, MSR_ME);
  runExpect(t, ExitReason.INTR, 'the line is still high: no second machine check');
  t.vm.irqLine(IrqLine.MACHINE_CHECK, false);
  t.vm.irqLine(IrqLine.MACHINE_CHECK, 1);
  resume(t, MSR_ME);
  runExpectVector(t, 1, 'a new rising edge');
  t.vm.irqLine(IrqLine.MACHINE_CHECK, 0);

  t.vm.irqLine(IrqLine.EXTERNAL, true);
  resume(t, MSR_ME | MSR_EE);
  runExpectVector(t, 4);
  t.vm.irqLine(IrqLine.EXTERNAL, false);
  resume(t, MSR_ME | MSR_EE);
  runExpect(t, ExitReason.INTR);
});

test('KVM_IRQ_LINE validates the line, the vCPU index and the level', () => {
  const t = makeVm();
  throwsErrno(() => t.vm.irqLine(3, true), 'EINVAL', /unknown interrupt line/);
  throwsErrno(() => t.vm.irqLine((1 << 16) | 0, true), 'EINVAL', /no vCPU/);
  throwsErrno(() => t.vm.irqLine(-1, true), 'EINVAL');
  throwsErrno(() => t.vm.irqLine(0, 2 as never), 'EINVAL', /level/);
  t.vm.createVcpu(5);
  t.vm.irqLine((1 << 16) | IrqLine.CRITICAL, true); // the second vCPU created
});
