// The public module of the hypervisor API. Userspace (src/vmm, src/cli,
// tools) imports from here and nowhere else in src/kvm or src/core;
// scripts/check-boundary.mjs enforces it.

export { Kvm, openKvm } from './system.js';
export type { Vm, UserMemoryRegion } from './vm.js';
export { MAX_VCPUS, NR_MEMSLOTS, TIMEBASE_HZ, PHYS_LIMIT } from './vm.js';
export type { Vcpu, TranslationResult, KvmRegList, VcpuHost, JitStats } from './vcpu.js';
export { parseJitSetting } from './params.js';
export type { GuestDebug, GuestDebugBp } from './debug.js';
export type { KvmRegs } from './regs.js';
export { KVM_REGS_BYTES, decodeRegs as decodeKvmRegs } from './regs.js';
export type { KvmSregs, KvmSregsE, KvmSregsFsl } from './sregs.js';
export { SREGS_FEATURES } from './sregs.js';
export type { RegValue } from './onereg.js';
export {
  KvmRun, kickRun, setRunLine, interruptRun, RUN_SIZE, RUN_STRUCT_SIZE, RunOff, Word as RunWord, USER_WORD_COUNT, LINE_COUNT,
} from './run.js';
export { KvmError, Errno, type ErrnoName } from './errors.js';
export * from './constants.js';
export { disassemble, disassembleText, type Disassembly } from './disasm.js';
export { e500mcTlbParams, entryError as tlbEntryError, TLB_PARAMS_BYTES, TLB_BITMAP_BYTES } from './swtlb.js';
export type { KvmConfigTlb, TlbSyncScope } from './swtlb.js';
export {
  TLB0_ENTRIES, TLB0_WAYS, TLB0_SETS, TLB1_ENTRIES, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_BYTES, tsizeBytes,
} from '../core/mmu/tlbarray.js';
