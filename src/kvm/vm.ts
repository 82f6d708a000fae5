// A VM handle: guest memory slots, vCPU creation, interrupt lines, VM-wide
// capabilities.

import { warmUp } from '../core/exec/warmup.js';
import { moduleParams } from './params.js';
import { Cpu, JIT_NEVER } from '../core/cpu.js';
import { WallClock } from '../core/clock.js';
import { e500mcDecoder } from '../core/isa/index.js';
import { PAGE_SIZE, PhysMemory, RamSlot } from '../core/physmem.js';
import { checkFields, hex } from './check.js';
import {
  Cap, KVM_EXIT_HYPERCALL_UNHANDLED, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY, KVM_SYNC_PPC_REGS,
  KVMPPC_BOOKE_DAC_NUM, KVMPPC_BOOKE_IAC_NUM,
} from './constants.js';
import { fail } from './errors.js';
import { LINE_COUNT, RUN_SIZE } from './run.js';
import { Vcpu, coreOf, type VcpuHost } from './vcpu.js';

export const MAX_VCPUS = 8;
export const NR_MEMSLOTS = 32;
/** e500mc real addresses are 36 bits. */
export const PHYS_LIMIT = 2 ** 36;
/** Time-base frequency of the vCPUs (the ppce500 device tree says 400 MHz). */
export const TIMEBASE_HZ = 400_000_000;

/** struct kvm_userspace_memory_region, with userspace_addr as (memory, userspaceOffset). */
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

interface Region {
  ram: RamSlot;
  memory: ArrayBufferLike;
  offset: number;
}

const REGION_FIELDS = ['slot', 'flags', 'guestPhysAddr', 'memorySize', 'memory', 'userspaceOffset'] as const;

export class Vm implements VcpuHost {
  readonly mem = new PhysMemory();
  private readonly regions = new Map<number, Region>();
  private readonly vcpus: Vcpu[] = [];
  /** The clock shared by the VM's vCPUs (one time base for the machine). */
  readonly clock = new WallClock(TIMEBASE_HZ);
  /** KVM_CAP_EXIT_HYPERCALL bits enabled. */
  exitHypercall = 0;
  destroyed = false;

  hasMemory(): boolean { return this.mem.slots.length > 0; }

  /** KVM_CHECK_EXTENSION on the VM (KVM_CAP_CHECK_EXTENSION_VM). */
  checkExtension(cap: number): number {
    this.alive();
    if (!Number.isInteger(cap)) fail('EINVAL', 'capability must be an integer');
    return checkExtension(cap);
  }

  /** KVM_ENABLE_CAP on the VM (KVM_CAP_ENABLE_CAP_VM): struct kvm_enable_cap's cap, args, flags. */
  enableCap(cap: number, args: readonly number[] = [], flags = 0): void {
    this.alive();
    if (flags !== 0) fail('EINVAL', `kvm_enable_cap.flags must be 0 (got ${String(flags)})`);
    if (!Array.isArray(args) || args.length > 4) fail('EINVAL', 'kvm_enable_cap.args has 4 entries');
    const a = [0, 1, 2, 3].map((i) => args[i] ?? 0);
    for (const [i, v] of a.entries()) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail('EINVAL', `kvm_enable_cap.args[${i}] must be a non-negative integer`);
    }
    switch (cap) {
      case Cap.EXIT_HYPERCALL:
        // The argument is a subset of what KVM_CHECK_EXTENSION reported.
        if ((a[0] & ~KVM_EXIT_HYPERCALL_UNHANDLED) !== 0 || a[0] > 0xffffffff) {
          fail('EINVAL', `KVM_CAP_EXIT_HYPERCALL: args[0] ${hex(a[0])} is not a subset of ${hex(KVM_EXIT_HYPERCALL_UNHANDLED)}`);
        }
        if (a[1] !== 0 || a[2] !== 0 || a[3] !== 0) fail('EINVAL', 'KVM_CAP_EXIT_HYPERCALL takes one argument');
        this.exitHypercall = a[0];
        return;
      default:
        fail('EINVAL', `capability ${cap} cannot be enabled on a VM`);
    }
  }

  /**
   * KVM_SET_USER_MEMORY_REGION: create a slot, change its flags or guest
   * address, or (memorySize 0) delete it. As KVM: an existing slot keeps its
   * size, memory and read-only flag (EINVAL); slots may not overlap (EEXIST).
   */
  setUserMemoryRegion(r: UserMemoryRegion): void {
    this.alive();
    const o = checkFields(r, REGION_FIELDS, 'kvm_userspace_memory_region');
    const { slot, flags, guestPhysAddr: gpa, memorySize: size } = o as unknown as UserMemoryRegion;
    if (!Number.isInteger(slot) || slot < 0 || slot > 0xffffffff) fail('EINVAL', `slot ${String(slot)} is not a u32`);
    if (slot >>> 16 !== 0) fail('EINVAL', `slot ${hex(slot)}: address space ${slot >>> 16} does not exist (no KVM_CAP_MULTI_ADDRESS_SPACE)`);
    if (slot >= NR_MEMSLOTS) fail('EINVAL', `slot ${slot} out of range [0, ${NR_MEMSLOTS})`);
    if (!Number.isInteger(flags) || flags < 0 || (flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)) !== 0) {
      fail('EINVAL', `unknown memory region flags ${hex(Number(flags))}`);
    }
    if (!Number.isSafeInteger(gpa) || gpa < 0 || gpa % PAGE_SIZE !== 0) fail('EINVAL', `guest_phys_addr ${String(gpa)} must be page aligned`);
    if (!Number.isSafeInteger(size) || size < 0 || size % PAGE_SIZE !== 0) fail('EINVAL', `memory_size ${String(size)} must be a multiple of the page size`);
    const existing = this.regions.get(slot);
    if (size === 0) {
      if (!existing) fail('EINVAL', `slot ${slot} does not exist (nothing to delete)`);
      this.regions.delete(slot);
      this.publish();
      return;
    }
    if (gpa + size > PHYS_LIMIT) fail('EINVAL', 'region extends beyond the 36-bit physical address space');
    const buf = o.memory;
    if (!(buf instanceof ArrayBuffer) && !(typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer)) {
      fail('EFAULT', 'memory must be an ArrayBuffer or SharedArrayBuffer');
    }
    const off = (o.userspaceOffset ?? 0) as number;
    if (!Number.isSafeInteger(off) || off < 0 || off % PAGE_SIZE !== 0) fail('EINVAL', 'userspace offset must be page aligned');
    if (off + size > buf.byteLength) fail('EFAULT', 'region extends past the end of its memory buffer');
    const readonly = (flags & KVM_MEM_READONLY) !== 0;
    const logDirty = (flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0;
    if (existing) {
      const e = existing.ram;
      if (e.size !== size) fail('EINVAL', `slot ${slot} exists with another size (${hex(e.size)})`);
      if (existing.memory !== buf || existing.offset !== off) fail('EINVAL', `slot ${slot} exists with other userspace memory`);
      if (readonly !== e.readonly) fail('EINVAL', 'the read-only flag of a slot cannot change');
      if (e.base === gpa && e.logDirty === logDirty) return; // no change
    }
    for (const [id, s] of this.regions) {
      if (id !== slot && gpa < s.ram.base + s.ram.size && s.ram.base < gpa + size) fail('EEXIST', `region overlaps slot ${id}`);
    }
    const ram = new RamSlot(slot, gpa, size, buf, off, readonly, logDirty);
    // The log survives a move or a flags change that keeps logging on.
    if (existing && existing.ram.logDirty && logDirty) ram.dirty.set(existing.ram.dirty);
    this.regions.set(slot, { ram, memory: buf, offset: off });
    this.publish();
  }

  /**
   * KVM_GET_DIRTY_LOG: the pages of `slot` written since the last call, one bit
   * per page, little-endian bit order (bit i is bit i % 8 of byte i / 8), in a
   * bitmap of ceil(pages / 64) * 8 bytes; clears the log. Fills `bitmap` if
   * given (EFAULT if too small), else returns a new one.
   */
  getDirtyLog(slot: number, bitmap?: Uint8Array): Uint8Array {
    this.alive();
    if (!Number.isInteger(slot) || slot < 0 || slot >= NR_MEMSLOTS) fail('EINVAL', `slot ${String(slot)} out of range [0, ${NR_MEMSLOTS})`);
    const region = this.regions.get(slot);
    if (!region) fail('ENOENT', `no memory slot ${slot}`);
    const s = region.ram;
    if (!s.logDirty) fail('ENOENT', `slot ${slot} does not log dirty pages (KVM_MEM_LOG_DIRTY_PAGES)`);
    const pages = s.size / PAGE_SIZE;
    const bytes = Math.ceil(pages / 64) * 8;
    if (bitmap !== undefined && (!(bitmap instanceof Uint8Array) || bitmap.byteLength < bytes)) {
      fail('EFAULT', `the dirty bitmap of slot ${slot} needs ${bytes} bytes`);
    }
    const out = bitmap ?? new Uint8Array(bytes);
    out.fill(0, 0, bytes);
    const d = s.dirty;
    for (let w = 0; w < d.length; w++) {
      const v = d[w];
      if (v === 0) continue;
      out[w * 4] = v & 0xff;
      out[w * 4 + 1] = (v >>> 8) & 0xff;
      out[w * 4 + 2] = (v >>> 16) & 0xff;
      out[w * 4 + 3] = v >>> 24;
    }
    d.fill(0);
    // Cached store translations would skip the log from now on.
    for (const v of this.vcpus) coreOf(v).tc.flushWrites();
    return out;
  }

  /**
   * tkvm: userspace changed guest memory that may hold instructions (a
   * software breakpoint, code it loaded, a restored snapshot). The vCPUs keep
   * decoded instructions per physical page, the way a processor keeps an
   * instruction cache; this drops what they decoded from [guestPhysAddr,
   * guestPhysAddr + size). It is the counterpart of the instruction-cache
   * flush a VMM does on a real ppc host after writing guest code (the guest's
   * own stores and icbi need nothing). Ranges without RAM are ignored.
   */
  invalidateCode(guestPhysAddr: number, size: number): void {
    this.alive();
    if (!Number.isSafeInteger(guestPhysAddr) || guestPhysAddr < 0) fail('EINVAL', `guest_phys_addr ${String(guestPhysAddr)} is not a u64`);
    if (!Number.isSafeInteger(size) || size < 0) fail('EINVAL', `size ${String(size)} is not a u64`);
    if (guestPhysAddr + size > PHYS_LIMIT) fail('EINVAL', 'range extends beyond the 36-bit physical address space');
    const end = guestPhysAddr + size;
    for (const { ram } of this.regions.values()) {
      const lo = Math.max(guestPhysAddr, ram.base), hi = Math.min(end, ram.base + ram.size);
      for (let pa = lo - ((lo - ram.base) % PAGE_SIZE); pa < hi; pa += PAGE_SIZE) ram.dropCode(pa);
    }
  }

  /** KVM_CREATE_VCPU. */
  createVcpu(id: number): Vcpu {
    this.alive();
    if (!Number.isInteger(id) || id < 0 || id >= MAX_VCPUS) fail('EINVAL', `vCPU id ${String(id)} out of range [0, ${MAX_VCPUS})`);
    if (this.vcpus.some((v) => v.id === id)) fail('EEXIST', `vCPU ${id} exists`);
    // V8 learns the interpreter's types before guest code runs (once per process).
    warmUp(e500mcDecoder());
    const core = new Cpu(e500mcDecoder(), this.mem, this.clock, id);
    core.jitThreshold = moduleParams.jitThreshold === 0 ? JIT_NEVER : moduleParams.jitThreshold - 1;
    const vcpu = new Vcpu(id, core, new SharedArrayBuffer(RUN_SIZE), this);
    this.vcpus.push(vcpu);
    return vcpu;
  }

  /**
   * KVM_IRQ_LINE for a userspace interrupt controller: irq = (vCPU index <<
   * 16) | line, the index in creation order, the line an IrqLine. Level
   * triggered; the machine-check line raises one machine check per rising edge.
   */
  irqLine(irq: number, level: boolean | number): void {
    this.alive();
    if (!Number.isInteger(irq) || irq < 0 || irq > 0xffffffff) fail('EINVAL', `irq ${String(irq)} is not a u32`);
    if (level !== true && level !== false && level !== 0 && level !== 1) fail('EINVAL', 'level must be a boolean, 0 or 1');
    const index = irq >>> 16, line = irq & 0xffff;
    if (line >= LINE_COUNT) fail('EINVAL', `unknown interrupt line ${line}`);
    const vcpu = this.vcpus[index];
    if (!vcpu) fail('EINVAL', `no vCPU with index ${index}`);
    vcpu.setLine(line, level === true || level === 1);
  }

  /** Close the VM and its vCPUs (KVM: close the fds). Every later call fails with EBADF. */
  destroy(): void {
    this.destroyed = true;
    for (const v of this.vcpus) v.destroy();
  }

  private alive(): void {
    if (this.destroyed) fail('EBADF', 'VM was destroyed');
  }

  private publish(): void {
    this.mem.replace([...this.regions.values()].map((r) => r.ram));
    for (const v of this.vcpus) coreOf(v).tc.flush();
  }
}

export function checkExtension(cap: number): number {
  switch (cap) {
    case Cap.USER_MEMORY: case Cap.MP_STATE: case Cap.SET_GUEST_DEBUG: case Cap.INTERNAL_ERROR_DATA:
    case Cap.PPC_UNSET_IRQ: case Cap.ENABLE_CAP: case Cap.PPC_IRQ_LEVEL: case Cap.PPC_BOOKE_SREGS:
    case Cap.SW_TLB: case Cap.ONE_REG: case Cap.READONLY_MEM: case Cap.PPC_BOOKE_WATCHDOG: case Cap.PPC_EPR:
    case Cap.ENABLE_CAP_VM: case Cap.CHECK_EXTENSION_VM: case Cap.IMMEDIATE_EXIT:
    case Cap.PPC_GUEST_DEBUG_SSTEP:
    case Cap.TKVM_LAZY_TLB: case Cap.TKVM_HALT_EXIT: case Cap.TKVM_RUN_TIMESLICE: case Cap.TKVM_ICOUNT_CLOCK: case Cap.TKVM_JIT:
      return 1;
    case Cap.SYNC_REGS: return KVM_SYNC_PPC_REGS;
    case Cap.EXIT_HYPERCALL: return KVM_EXIT_HYPERCALL_UNHANDLED;
    case Cap.NR_VCPUS: case Cap.MAX_VCPUS: case Cap.MAX_VCPU_ID: return MAX_VCPUS;
    case Cap.NR_MEMSLOTS: return NR_MEMSLOTS;
    case Cap.GUEST_DEBUG_HW_BPS: return KVMPPC_BOOKE_IAC_NUM;
    case Cap.GUEST_DEBUG_HW_WPS: return KVMPPC_BOOKE_DAC_NUM;
    default: return 0;
  }
}
