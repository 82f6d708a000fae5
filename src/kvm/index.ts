// The public module of the hypervisor API. Userspace (src/vmm, src/cli,
// tools) imports from here and nowhere else in src/kvm or src/core;
// scripts/check-boundary.mjs enforces it.

export { Kvm, openKvm } from './system.js';
export type { Vm, UserMemoryRegion } from './vm.js';
export { MAX_VCPUS, NR_MEMSLOTS, TIMEBASE_HZ } from './vm.js';
export type { Vcpu, GuestDebug, TranslationResult } from './vcpu.js';
export type { KvmRegs } from './regs.js';
export { KvmRun, kickRun, setRunLine, RUN_SIZE, RunOff } from './run.js';
export { KvmError, Errno } from './errors.js';
export * from './constants.js';
export { e500mcTlbParams, TLB_PARAMS_BYTES, type KvmConfigTlb } from './swtlb.js';
export { TLB0_ENTRIES, TLB0_WAYS, TLB0_SETS, TLB1_ENTRIES, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_BYTES } from '../core/mmu/tlbarray.js';
