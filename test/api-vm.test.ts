// System and VM operations: KVM_GET_API_VERSION, KVM_CHECK_EXTENSION, KVM_CREATE_VM/VCPU,
// KVM_ENABLE_CAP (VM and vCPU), KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cap, ExitReason, KVM_API_VERSION, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY, MAX_VCPUS, NR_MEMSLOTS, RUN_SIZE, openKvm,
} from '../src/kvm/index.js';
import { addi, b, li32, lwz, stw } from './support/asm.js';
import { makeVm, runExpect, throwsErrno } from './support/guest.js';

const PAGE = 4096;

test('system ioctls: API version 12, mmap size, VM types', () => {
  const kvm = openKvm();
  assert.equal(kvm.apiVersion(), KVM_API_VERSION);
  assert.equal(KVM_API_VERSION, 12);
  assert.equal(kvm.vcpuMmapSize(), RUN_SIZE);
  throwsErrno(() => kvm.createVm(1), 'EINVAL', /VM type/);
});

test('KVM_CHECK_EXTENSION: values, unknown capabilities 0, non-integers EINVAL; the VM agrees', () => {
  const kvm = openKvm();
  const vm = kvm.createVm();
  const expect: [number, number][] = [
    [Cap.USER_MEMORY, 1], [Cap.NR_VCPUS, MAX_VCPUS], [Cap.MAX_VCPUS, MAX_VCPUS], [Cap.MAX_VCPU_ID, MAX_VCPUS],
    [Cap.NR_MEMSLOTS, NR_MEMSLOTS], [Cap.SW_TLB, 1], [Cap.ONE_REG, 1], [Cap.PPC_BOOKE_SREGS, 1], [Cap.READONLY_MEM, 1],
    [Cap.IMMEDIATE_EXIT, 1], [Cap.ENABLE_CAP_VM, 1], [Cap.CHECK_EXTENSION_VM, 1], [Cap.PPC_EPR, 1],
    [Cap.PPC_BOOKE_WATCHDOG, 1], [Cap.TKVM_LAZY_TLB, 1], [Cap.TKVM_HALT_EXIT, 1], [Cap.TKVM_RUN_TIMESLICE, 1],
    [Cap.TKVM_ICOUNT_CLOCK, 1], [Cap.INTERNAL_ERROR_DATA, 1], [Cap.MP_STATE, 1],
    [0, 0], [12345, 0], [-1, 0], [Cap.TKVM_LAZY_TLB + 100, 0],
  ];
  for (const [cap, v] of expect) {
    assert.equal(kvm.checkExtension(cap), v, `cap ${cap}`);
    assert.equal(vm.checkExtension(cap), v, `vm cap ${cap}`);
  }
  throwsErrno(() => kvm.checkExtension(1.5), 'EINVAL');
  throwsErrno(() => vm.checkExtension('3' as never), 'EINVAL');
});

test('KVM_CREATE_VCPU: ids in range, once each', () => {
  const vm = openKvm().createVm();
  for (let i = 0; i < MAX_VCPUS; i++) vm.createVcpu(i);
  throwsErrno(() => vm.createVcpu(3), 'EEXIST');
  throwsErrno(() => vm.createVcpu(MAX_VCPUS), 'EINVAL');
  throwsErrno(() => vm.createVcpu(-1), 'EINVAL');
  throwsErrno(() => vm.createVcpu(0.5), 'EINVAL');
});

test('KVM_ENABLE_CAP rejects unknown capabilities, flags and arguments', () => {
  const t = makeVm();
  throwsErrno(() => t.vcpu.enableCap(9999), 'EINVAL', /cannot be enabled on a vCPU/);
  throwsErrno(() => t.vcpu.enableCap(Cap.ONE_REG), 'EINVAL');
  throwsErrno(() => t.vcpu.enableCap(Cap.TKVM_HALT_EXIT, [1], 1), 'EINVAL', /flags/);
  throwsErrno(() => t.vcpu.enableCap(Cap.TKVM_HALT_EXIT, [1, 1]), 'EINVAL', /args\[1\]/);
  throwsErrno(() => t.vcpu.enableCap(Cap.TKVM_HALT_EXIT, [2]), 'EINVAL', /0 or 1/);
  throwsErrno(() => t.vcpu.enableCap(Cap.TKVM_HALT_EXIT, [0, 0, 0, 0, 0]), 'EINVAL');
  throwsErrno(() => t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [-1]), 'EINVAL');
  throwsErrno(() => t.vcpu.enableCap(Cap.TKVM_ICOUNT_CLOCK, [11]), 'EINVAL');
  throwsErrno(() => t.vcpu.enableCap(Cap.EXIT_HYPERCALL, [1]), 'EINVAL', /VM capability/);
  throwsErrno(() => t.vm.enableCap(Cap.EXIT_HYPERCALL, [2]), 'EINVAL', /subset/);
  throwsErrno(() => t.vm.enableCap(Cap.EXIT_HYPERCALL, [1], 4), 'EINVAL', /flags/);
  throwsErrno(() => t.vm.enableCap(Cap.TKVM_HALT_EXIT, [1]), 'EINVAL', /on a VM/);
  t.vm.enableCap(Cap.EXIT_HYPERCALL, [0]);
});

test('TKVM_CAP_ICOUNT_CLOCK keeps the time base and the decrementer running, then counts instructions', () => {
  const t = makeVm({ code: [addi(3, 3, 1), b(-4)] });
  const s = t.vcpu.getSregs();
  s.e.dec = 2_000_000_000;
  s.e.updateSpecial = 4;
  t.vcpu.setSregs(s);
  const before = t.vcpu.getSregs();
  t.vcpu.enableCap(Cap.TKVM_ICOUNT_CLOCK, [0]); // 1 ns per instruction: 0.4 ticks
  const after = t.vcpu.getSregs();
  // (A second of slack: the machine may be busy.)
  assert.ok(after.e.tb >= before.e.tb && after.e.tb - before.e.tb < 400_000_000n, 'TB continues');
  assert.ok(after.e.dec <= before.e.dec && before.e.dec - after.e.dec < 400_000_000, 'DEC continues');
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [5000]);
  runExpect(t, ExitReason.INTR);
  const n = t.vcpu.getRegs().gpr[3] * 2; // two instructions per iteration
  const ticks = Number(t.vcpu.getSregs().e.tb - after.e.tb);
  assert.ok(Math.abs(ticks - n * 0.4) <= 2, `${ticks} ticks for ${n} instructions`);
});

test('KVM_SET_USER_MEMORY_REGION: argument checks', () => {
  const vm = openKvm().createVm();
  const mem = new SharedArrayBuffer(16 * PAGE);
  const ok = { slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 4 * PAGE, memory: mem };
  const bad: [Record<string, unknown>, string, RegExp][] = [
    [{ slot: NR_MEMSLOTS }, 'EINVAL', /out of range/],
    [{ slot: 1 << 16 }, 'EINVAL', /address space/],
    [{ flags: 4 }, 'EINVAL', /flags/],
    [{ guestPhysAddr: 0x800 }, 'EINVAL', /page aligned/],
    [{ memorySize: PAGE + 1 }, 'EINVAL', /multiple of the page size/],
    [{ userspaceOffset: 100 }, 'EINVAL', /page aligned/],
    [{ memorySize: 32 * PAGE }, 'EFAULT', /past the end/],
    [{ memory: new Uint8Array(16) }, 'EFAULT', /ArrayBuffer/],
    [{ guestPhysAddr: 2 ** 36 - PAGE, memorySize: 2 * PAGE }, 'EINVAL', /36-bit/],
    [{ bogus: 1 }, 'EINVAL', /unknown field/],
  ];
  for (const [patch, code, msg] of bad) throwsErrno(() => vm.setUserMemoryRegion({ ...ok, ...patch } as never), code, msg);
  throwsErrno(() => vm.setUserMemoryRegion(null as never), 'EFAULT');
  throwsErrno(() => vm.setUserMemoryRegion({ ...ok, memorySize: 0 }), 'EINVAL', /does not exist/);
});

test('KVM_SET_USER_MEMORY_REGION: overlaps, changing slots, moving and deleting them', () => {
  const vm = openKvm().createVm();
  const mem = new SharedArrayBuffer(16 * PAGE);
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 4 * PAGE, memory: mem });
  throwsErrno(() => vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 3 * PAGE, memorySize: 2 * PAGE, memory: mem }), 'EEXIST');
  vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: 4 * PAGE, memorySize: 2 * PAGE, memory: mem, userspaceOffset: 8 * PAGE });
  throwsErrno(() => vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 8 * PAGE, memory: mem }), 'EINVAL', /size/);
  throwsErrno(() => vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 4 * PAGE, memory: new SharedArrayBuffer(4 * PAGE) }), 'EINVAL', /userspace memory/);
  throwsErrno(() => vm.setUserMemoryRegion({ slot: 0, flags: KVM_MEM_READONLY, guestPhysAddr: 0, memorySize: 4 * PAGE, memory: mem }), 'EINVAL', /read-only/);
  throwsErrno(() => vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: 2 * PAGE, memorySize: 2 * PAGE, memory: mem, userspaceOffset: 8 * PAGE }), 'EEXIST', /moved onto slot 0|overlaps/);
  // A move (KVM_MR_MOVE) and a flags change are allowed.
  vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: 0x100000, memorySize: 2 * PAGE, memory: mem, userspaceOffset: 8 * PAGE });
  vm.setUserMemoryRegion({ slot: 0, flags: KVM_MEM_LOG_DIRTY_PAGES, guestPhysAddr: 0, memorySize: 4 * PAGE, memory: mem });
  assert.equal(vm.getDirtyLog(0).length, 8);
  vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0, memorySize: 0 });
  throwsErrno(() => vm.getDirtyLog(1), 'ENOENT');
});

test('KVM_GET_DIRTY_LOG: pages the guest wrote, little-endian bits, cleared by the call', () => {
  const t = makeVm({ code: [...li32(4, 0x10000), stw(4, 0, 4), stw(4, 0x5000, 4), lwz(5, 0x3000, 4), stw(4, 0x7000, 4), b(-16)] });
  t.vm.setUserMemoryRegion({ slot: 0, flags: KVM_MEM_LOG_DIRTY_PAGES, guestPhysAddr: 0, memorySize: 16 << 20, memory: t.ram });
  t.vcpu.enableCap(Cap.TKVM_RUN_TIMESLICE, [1000]);
  runExpect(t, ExitReason.INTR);
  const bm = t.vm.getDirtyLog(0);
  assert.equal(bm.length, (16 << 20) / PAGE / 8);
  const pages = [];
  for (let i = 0; i < bm.length * 8; i++) if ((bm[i >> 3] >> (i & 7)) & 1) pages.push(i);
  assert.deepEqual(pages, [0x10, 0x15, 0x17], 'the three stored pages, not the loaded one or the code');
  assert.ok(t.vm.getDirtyLog(0).every((x) => x === 0), 'cleared');
  runExpect(t, ExitReason.INTR);
  const again = new Uint8Array(bm.length + 8).fill(0xff);
  t.vm.getDirtyLog(0, again);
  assert.deepEqual(again.subarray(0, bm.length), bm, 'cached store translations are logged after a harvest');
  assert.equal(again[bm.length], 0xff, 'bytes past the bitmap are untouched');
  throwsErrno(() => t.vm.getDirtyLog(0, new Uint8Array(4)), 'EFAULT');
  throwsErrno(() => t.vm.getDirtyLog(NR_MEMSLOTS), 'EINVAL');
  throwsErrno(() => t.vm.getDirtyLog(5), 'ENOENT');
});
