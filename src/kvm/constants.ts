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

/** KVM capabilities that tkvm implements (numbers from kvm.h). */
export const Cap = {
  USER_MEMORY: 3,
  NR_VCPUS: 9,
  NR_MEMSLOTS: 10,
  SET_GUEST_DEBUG: 23,
  INTERNAL_ERROR_DATA: 40,
  PPC_UNSET_IRQ: 53,
  ENABLE_CAP: 54,
  PPC_IRQ_LEVEL: 58,
  PPC_BOOKE_SREGS: 62,
  MAX_VCPUS: 66,
  SW_TLB: 69,
  ONE_REG: 70,
  READONLY_MEM: 81,
  PPC_BOOKE_WATCHDOG: 83,
  PPC_EPR: 86,
  ENABLE_CAP_VM: 98,
  CHECK_EXTENSION_VM: 105,
  GUEST_DEBUG_HW_BPS: 119,
  GUEST_DEBUG_HW_WPS: 120,
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
} as const;

export const KVM_INTERRUPT_SET = -1;
export const KVM_INTERRUPT_UNSET = -2;
export const KVM_INTERRUPT_SET_LEVEL = -3;

/** Memory region flags. */
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

/** KVM_MMU_FSL_BOOKE_NOHV: the MMU type for KVM_CAP_SW_TLB on e500 without HV. */
export const KVM_MMU_FSL_BOOKE_NOHV = 0;
export const KVM_MMU_FSL_BOOKE_HV = 1;

/** Interrupt lines for Vm.irqLine: irq = (vcpu index << 16) | line. */
export const IrqLine = {
  EXTERNAL: 0,
  CRITICAL: 1,
  MACHINE_CHECK: 2,
} as const;
