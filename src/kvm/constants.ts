// Numbers of the KVM userspace API (include/uapi/linux/kvm.h and
// arch/powerpc/include/uapi/asm/kvm.h), and tkvm's own extensions.

export const KVM_API_VERSION = 12;

export const ExitReason = {
  UNKNOWN: 0,
  HYPERCALL: 3,
  DEBUG: 4,
  HLT: 5,
  MMIO: 6,
  SHUTDOWN: 8,
  INTR: 10,
  INTERNAL_ERROR: 17,
  WATCHDOG: 21,
  EPR: 23,
  SYSTEM_EVENT: 24,
} as const;

export const InternalError = {
  EMULATION: 1,
  SIMUL_EX: 2,
  DELIVERY_EV: 3,
  UNEXPECTED_EXIT_REASON: 4,
} as const;

export const SystemEvent = {
  SHUTDOWN: 1,
  RESET: 2,
  CRASH: 3,
} as const;

/** kvm_run.internal.data[0] (flags) of KVM_INTERNAL_ERROR_EMULATION: insn_size and insn_bytes follow. */
export const KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES = 1;

/** KVM capabilities that tkvm implements (numbers from kvm.h). */
export const Cap = {
  USER_MEMORY: 3,
  NR_VCPUS: 9,
  NR_MEMSLOTS: 10,
  MP_STATE: 14,
  SET_GUEST_DEBUG: 23,
  INTERNAL_ERROR_DATA: 40,
  PPC_UNSET_IRQ: 53,
  ENABLE_CAP: 54,
  PPC_IRQ_LEVEL: 58,
  PPC_BOOKE_SREGS: 62,
  MAX_VCPUS: 66,
  SW_TLB: 69,
  ONE_REG: 70,
  SYNC_REGS: 74,
  READONLY_MEM: 81,
  PPC_BOOKE_WATCHDOG: 83,
  PPC_EPR: 86,
  ENABLE_CAP_VM: 98,
  CHECK_EXTENSION_VM: 105,
  GUEST_DEBUG_HW_BPS: 119,
  GUEST_DEBUG_HW_WPS: 120,
  MAX_VCPU_ID: 128,
  IMMEDIATE_EXIT: 136,
  PPC_GUEST_DEBUG_SSTEP: 176,
  EXIT_HYPERCALL: 201,
  // ---- tkvm extensions (numbers far above KVM's) ----
  /** Lazy guest-TLB synchronization (docs/api.md, "TKVM_CAP_LAZY_TLB"). */
  TKVM_LAZY_TLB: 0x10000,
  /** run() returns KVM_EXIT_HLT with a wake-up time instead of sleeping while the guest waits. */
  TKVM_HALT_EXIT: 0x10001,
  /** run() returns KVM_EXIT_INTR after a host-time slice, like a timer signal. */
  TKVM_RUN_TIMESLICE: 0x10002,
  /** Time base from the retired-instruction count (deterministic execution). */
  TKVM_ICOUNT_CLOCK: 0x10003,
  /** When guest code is translated (instructions run from an entry before translation; 0: never). */
  TKVM_JIT: 0x10004,
} as const;

export const KVM_INTERRUPT_SET = -1;
export const KVM_INTERRUPT_UNSET = -2;
export const KVM_INTERRUPT_SET_LEVEL = -3;

/** Memory region flags. */
/** struct kvm_mp_state values a Book E vCPU takes (KVM_GET/SET_MP_STATE). */
export const KVM_MP_STATE_RUNNABLE = 0;
export const KVM_MP_STATE_HALTED = 3;

export const KVM_MEM_LOG_DIRTY_PAGES = 1 << 0;
export const KVM_MEM_READONLY = 1 << 1;

/** Guest debug control flags (KVM_SET_GUEST_DEBUG). */
export const KVM_GUESTDBG_ENABLE = 0x00000001;
export const KVM_GUESTDBG_SINGLESTEP = 0x00000002;
export const KVM_GUESTDBG_USE_SW_BP = 0x00010000;
export const KVM_GUESTDBG_USE_HW_BP = 0x00020000;

/** kvm_debug_exit_arch.status bits for ppc. */
export const KVMPPC_DEBUG_NONE = 0;
export const KVMPPC_DEBUG_BREAKPOINT = 1 << 1;
export const KVMPPC_DEBUG_WATCH_WRITE = 1 << 2;
export const KVMPPC_DEBUG_WATCH_READ = 1 << 3;

/** kvm_guest_debug_arch has 16 breakpoint slots; e500mc has 2 IACs and 2 DACs (KVMPPC_BOOKE_IAC_NUM/DAC_NUM). */
export const KVM_GUEST_DEBUG_BP_SLOTS = 16;
export const KVMPPC_BOOKE_IAC_NUM = 2;
export const KVMPPC_BOOKE_DAC_NUM = 2;

/** KVM_MMU_FSL_BOOKE_NOHV: the MMU type for KVM_CAP_SW_TLB on e500 without HV. */
export const KVM_MMU_FSL_BOOKE_NOHV = 0;
export const KVM_MMU_FSL_BOOKE_HV = 1;

/** Interrupt lines for Vm.irqLine: irq = (vcpu index << 16) | line. */
export const IrqLine = {
  EXTERNAL: 0,
  CRITICAL: 1,
  MACHINE_CHECK: 2,
} as const;

// ---- struct kvm_sregs (Book E part) ----

export const KVM_SREGS_E_IMPL_NONE = 0;
export const KVM_SREGS_E_IMPL_FSL = 1;
export const KVM_SREGS_E_FSL_PIDn = 1 << 0;

/** kvm_sregs.u.e.features: which sections of the structure are valid. */
export const SregsFeature = {
  BASE: 1 << 0,
  ARCH206: 1 << 1,
  E_64: 1 << 2,
  SPRG8: 1 << 3,
  MCIVPR: 1 << 4,
  IVOR: 1 << 5,
  ARCH206_MMU: 1 << 6,
  DEBUG: 1 << 7,
  ED: 1 << 8,
  SPE: 1 << 9,
  EXP: 1 << 10,
  PD: 1 << 11,
  PC: 1 << 12,
  PT: 1 << 13,
  PM: 1 << 14,
} as const;

/** kvm_sregs.u.e.update_special: registers KVM_SET_SREGS writes only when asked. */
export const SregsUpdate = {
  MCSR: 1 << 0,
  TSR: 1 << 1,
  DEC: 1 << 2,
  DBSR: 1 << 3,
} as const;

// ---- ONE_REG ids (include/uapi/linux/kvm.h, arch/powerpc/include/uapi/asm/kvm.h) ----

export const KVM_REG_ARCH_MASK = 0xff00000000000000n;
export const KVM_REG_PPC = 0x1000000000000000n;
export const KVM_REG_SIZE_SHIFT = 52n;
export const KVM_REG_SIZE_MASK = 0x00f0000000000000n;
export const KVM_REG_SIZE_U32 = 0x0020000000000000n;
export const KVM_REG_SIZE_U64 = 0x0030000000000000n;

const u32 = (n: number): bigint => KVM_REG_PPC | KVM_REG_SIZE_U32 | BigInt(n);
const u64 = (n: number): bigint => KVM_REG_PPC | KVM_REG_SIZE_U64 | BigInt(n);

/** The KVM_REG_PPC_* ids that name Book E registers. */
export const Reg = {
  HIOR: u64(0x1),
  IAC1: u64(0x2),
  IAC2: u64(0x3),
  IAC3: u64(0x4),
  IAC4: u64(0x5),
  DAC1: u64(0x6),
  DAC2: u64(0x7),
  FPR0: u64(0x20),
  FPR31: u64(0x3f),
  VR0: KVM_REG_PPC | 0x0040000000000000n | 0x40n,
  FPSCR: u64(0x80),
  EPCR: u32(0x85),
  EPR: u32(0x86),
  OR_TSR: u32(0x87),
  CLEAR_TSR: u32(0x88),
  TCR: u32(0x89),
  TSR: u32(0x8a),
  DEBUG_INST: u32(0x8b),
  MAS0: u32(0x8c),
  MAS1: u32(0x8d),
  MAS2: u64(0x8e),
  MAS7_3: u64(0x8f),
  MAS4: u32(0x90),
  MAS6: u32(0x91),
  MMUCFG: u32(0x92),
  TLB0CFG: u32(0x93),
  TLB1CFG: u32(0x94),
  TLB2CFG: u32(0x95),
  TLB3CFG: u32(0x96),
  TLB0PS: u32(0x97),
  TLB1PS: u32(0x98),
  TLB2PS: u32(0x99),
  TLB3PS: u32(0x9a),
  EPTCFG: u32(0x9b),
  TB_OFFSET: u64(0x9c),
  VRSAVE: u32(0xb4),
  SPRG9: u64(0xba),
  DBSR: u32(0xbb),
  DEC_EXPIRY: u64(0xbe),
  /** tkvm: the TLB0 next-victim way (MAS0[NV] after a TLB miss), set by tlbwe to TLB0. */
  TKVM_TLB0_NV: u32(0xf002),
  /** tkvm: the lwarx reservation (its effective address), 2^64-1 for none. */
  TKVM_RESERVATION: u64(0xf003),
  /** tkvm: the vCPU's instruction count, the clock of TKVM_CAP_ICOUNT_CLOCK (not listed). */
  TKVM_ICOUNT: u64(0xf000),
  /** tkvm: KVM_RUN exits with KVM_EXIT_INTR once TKVM_ICOUNT reaches this; 2^64-1: none (not listed). */
  TKVM_ICOUNT_DEADLINE: u64(0xf001),
} as const;

/** KVM_REG_PPC_FPR(n). */
export function regFpr(n: number): bigint {
  return Reg.FPR0 + BigInt(n);
}

/** Bytes of a register named by a ONE_REG id (the size field). */
export function regSize(id: bigint): number {
  return 1 << Number((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

// ---- hypercalls (ePAPR sc 1; arch/powerpc/include/uapi/asm/epapr_hcalls.h, kvm_para.h) ----

export const EV_EPAPR_VENDOR_ID = 1;
export const EV_KVM_VENDOR_ID = 42;
export const evHcallToken = (vendor: number, num: number): number => ((vendor << 16) | num) >>> 0;
export const EV_IDLE = 16;
export const KVM_HC_FEATURES = 3;
export const EV_SUCCESS = 0;
export const EV_UNIMPLEMENTED = 12;
/**
 * KVM_CAP_EXIT_HYPERCALL argument bit (tkvm's meaning for ePAPR tokens, which
 * are too wide for x86's one-bit-per-number mask): forward every hypercall
 * the kernel does not answer itself to userspace as KVM_EXIT_HYPERCALL.
 */
export const KVM_EXIT_HYPERCALL_UNHANDLED = 1;

// ---- KVM_CAP_SYNC_REGS (register sets mirrored in kvm_run.s) ----

/** struct kvm_regs in kvm_run.s.regs (tkvm: ppc has no sync regs in KVM). */
export const KVM_SYNC_PPC_REGS = 1;

