// A VM handle: guest memory slots, vCPU creation, interrupt lines.

import { Cpu } from '../core/cpu.js';
import { WallClock } from '../core/clock.js';
import { e500mcDecoder } from '../core/isa/index.js';
import { PAGE_SIZE, PhysMemory, RamSlot } from '../core/physmem.js';
import { Cap, IrqLine, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY } from './constants.js';
import { fail } from './errors.js';
import { RUN_SIZE } from './run.js';
import { Vcpu } from './vcpu.js';

export const MAX_VCPUS = 8;
export const NR_MEMSLOTS = 32;
/** e500mc real addresses are 36 bits. */
export const PHYS_LIMIT = 2 ** 36;
/** Time-base frequency of the vCPUs (the ppce500 device tree says 400 MHz). */
export const TIMEBASE_HZ = 400_000_000;

export interface UserMemoryRegion {
  slot: number;
  flags: number;
  guestPhysAddr: number;
  memorySize: number;
  /** The userspace memory (KVM: userspace_addr): a SharedArrayBuffer for RAM shared across threads. */
  memory?: ArrayBufferLike;
  /** Offset into `memory` (page aligned). */
  userspaceOffset?: number;
}

export class Vm {
  readonly mem = new PhysMemory();
  private readonly regions = new Map<number, RamSlot>();
  private readonly vcpus: Vcpu[] = [];
  /** The clock shared by the VM's vCPUs (one time base for the machine). */
  readonly clock = new WallClock(TIMEBASE_HZ);

  checkExtension(cap: number): number {
    return checkExtension(cap);
  }

  /** KVM_SET_USER_MEMORY_REGION: create, change the flags of, or (memorySize 0) delete a slot. */
  setUserMemoryRegion(r: UserMemoryRegion): void {
    if (r === null || typeof r !== 'object') fail('EFAULT', 'region must be an object');
    const { slot, flags, guestPhysAddr: gpa, memorySize: size } = r;
    if (!Number.isInteger(slot) || slot < 0 || slot >= NR_MEMSLOTS) fail('EINVAL', `slot ${slot} out of range [0, ${NR_MEMSLOTS})`);
    if (!Number.isInteger(flags) || (flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)) !== 0) {
      fail('EINVAL', `unknown memory region flags ${flags}`);
    }
    if (!Number.isInteger(gpa) || gpa < 0 || gpa % PAGE_SIZE !== 0) fail('EINVAL', 'guest_phys_addr must be page aligned');
    if (!Number.isInteger(size) || size < 0 || size % PAGE_SIZE !== 0) fail('EINVAL', 'memory_size must be a multiple of the page size');
    const existing = this.regions.get(slot);
    if (size === 0) {
      if (existing) {
        this.regions.delete(slot);
        this.publish();
      }
      return;
    }
    if (gpa + size > PHYS_LIMIT) fail('EINVAL', 'region extends beyond the 36-bit physical address space');
    const buf = r.memory;
    if (!(buf instanceof ArrayBuffer) && !(typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer)) {
      fail('EFAULT', 'memory must be an ArrayBuffer or SharedArrayBuffer');
    }
    const off = r.userspaceOffset ?? 0;
    if (!Number.isInteger(off) || off < 0 || off % PAGE_SIZE !== 0) fail('EINVAL', 'userspace offset must be page aligned');
    if (off + size > buf.byteLength) fail('EFAULT', 'region extends past the end of its memory buffer');
    if (existing) {
      if (existing.base !== gpa || existing.size !== size) fail('EINVAL', `slot ${slot} exists with another address or size`);
      if (((flags & KVM_MEM_READONLY) !== 0) !== existing.readonly) fail('EINVAL', 'the read-only flag of a slot cannot change');
    }
    for (const [id, s] of this.regions) {
      if (id !== slot && gpa < s.base + s.size && s.base < gpa + size) fail('EEXIST', `region overlaps slot ${id}`);
    }
    const ram = new RamSlot(slot, gpa, size, buf, off, (flags & KVM_MEM_READONLY) !== 0, (flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0);
    if (existing && existing.logDirty && ram.logDirty) ram.dirty.set(existing.dirty);
    this.regions.set(slot, ram);
    this.publish();
  }

  /** KVM_GET_DIRTY_LOG: the pages written since the last call, one bit per page; clears the log. */
  getDirtyLog(slot: number): Uint32Array {
    const s = this.regions.get(slot);
    if (!s) fail('ENOENT', `no memory slot ${slot}`);
    if (!s.logDirty) fail('ENOENT', `slot ${slot} does not log dirty pages`);
    const out = s.dirty.slice();
    s.dirty.fill(0);
    // Cached store translations would skip the log from now on.
    for (const v of this.vcpus) v.core.tc.flushWrites();
    return out;
  }

  createVcpu(id: number): Vcpu {
    if (!Number.isInteger(id) || id < 0 || id >= MAX_VCPUS) fail('EINVAL', `vCPU id ${id} out of range [0, ${MAX_VCPUS})`);
    if (this.vcpus.some((v) => v.id === id)) fail('EEXIST', `vCPU ${id} exists`);
    const core = new Cpu(e500mcDecoder(), this.mem, this.clock, id);
    const vcpu = new Vcpu(id, core, new SharedArrayBuffer(RUN_SIZE));
    this.vcpus.push(vcpu);
    return vcpu;
  }

  /** Interrupt input of a vCPU for a userspace interrupt controller: irq = (vcpu index << 16) | line. */
  irqLine(irq: number, level: boolean): void {
    if (!Number.isInteger(irq) || irq < 0) fail('EINVAL', `bad irq ${irq}`);
    const index = irq >>> 16, line = irq & 0xffff;
    if (line > IrqLine.MACHINE_CHECK) fail('EINVAL', `unknown interrupt line ${line}`);
    const vcpu = this.vcpus[index];
    if (!vcpu) fail('EINVAL', `no vCPU with index ${index}`);
    vcpu.setLine(line, level);
  }

  private publish(): void {
    this.mem.replace([...this.regions.values()]);
    for (const v of this.vcpus) v.core.tc.flush();
  }
}

export function checkExtension(cap: number): number {
  switch (cap) {
    case Cap.USER_MEMORY: case Cap.SET_GUEST_DEBUG: case Cap.INTERNAL_ERROR_DATA:
    case Cap.PPC_UNSET_IRQ: case Cap.ENABLE_CAP: case Cap.PPC_IRQ_LEVEL: case Cap.PPC_BOOKE_SREGS:
    case Cap.ONE_REG: case Cap.READONLY_MEM: case Cap.PPC_BOOKE_WATCHDOG: case Cap.PPC_EPR:
    case Cap.ENABLE_CAP_VM: case Cap.CHECK_EXTENSION_VM: case Cap.IMMEDIATE_EXIT:
    case Cap.PPC_GUEST_DEBUG_SSTEP: case Cap.EXIT_HYPERCALL:
    case Cap.TKVM_HALT_EXIT: case Cap.TKVM_RUN_TIMESLICE: case Cap.TKVM_ICOUNT_CLOCK:
      return 1;
    case Cap.NR_VCPUS: case Cap.MAX_VCPUS: return MAX_VCPUS;
    case Cap.NR_MEMSLOTS: return NR_MEMSLOTS;
    case Cap.GUEST_DEBUG_HW_BPS: return 4;
    default: return 0;
  }
}
