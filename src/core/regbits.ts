// Bit layouts of the Book E / e500mc control registers (LSB-0 numbering;
// the ISA's big-endian bit n of a 32-bit register is 1 << (31 - n)).

export const MSR = {
  GS: 0x10000000,
  UCLE: 0x04000000,
  SPV: 0x02000000,
  WE: 0x00040000,
  CE: 0x00020000,
  EE: 0x00008000,
  PR: 0x00004000,
  FP: 0x00002000,
  ME: 0x00001000,
  FE0: 0x00000800,
  DE: 0x00000200,
  FE1: 0x00000100,
  IS: 0x00000020,
  DS: 0x00000010,
  PMM: 0x00000004,
  RI: 0x00000002,
} as const;

/** MSR bits a guest can set on e500mc (GS belongs to the hypervisor, i.e. us). */
export const MSR_GUEST_MASK =
  MSR.UCLE | MSR.SPV | MSR.WE | MSR.CE | MSR.EE | MSR.PR | MSR.FP | MSR.ME |
  MSR.FE0 | MSR.DE | MSR.FE1 | MSR.IS | MSR.DS | MSR.PMM | MSR.RI;

export const ESR = {
  PIL: 0x08000000,
  PPR: 0x04000000,
  PTR: 0x02000000,
  FP: 0x01000000,
  ST: 0x00800000,
  DLK: 0x00200000,
  ILK: 0x00100000,
  AP: 0x00080000,
  PUO: 0x00040000,
  BO: 0x00020000,
  PIE: 0x00010000,
  SPV: 0x00000080,
  EPID: 0x00000040,
} as const;

export const TCR = {
  WP_SHIFT: 30,
  WRC_SHIFT: 28,
  WIE: 0x08000000,
  DIE: 0x04000000,
  FP_SHIFT: 24,
  FIE: 0x00800000,
  ARE: 0x00400000,
  WPEXT_SHIFT: 17, // 4 bits
  FPEXT_SHIFT: 13, // 4 bits
} as const;

export const TSR = {
  ENW: 0x80000000 | 0,
  WIS: 0x40000000,
  WRS_SHIFT: 28,
  DIS: 0x08000000,
  FIS: 0x04000000,
} as const;

export const DBCR0 = {
  EDM: 0x80000000 | 0,
  IDM: 0x40000000,
  RST_MASK: 0x30000000,
  ICMP: 0x08000000,
  BRT: 0x04000000,
  IRPT: 0x02000000,
  TRAP: 0x01000000,
  IAC1: 0x00800000,
  IAC2: 0x00400000,
  DAC1R: 0x00080000,
  DAC1W: 0x00040000,
  DAC2R: 0x00020000,
  DAC2W: 0x00010000,
  RET: 0x00008000,
  FT: 0x00000001,
} as const;

export const DBSR = {
  IDE: 0x80000000 | 0,
  UDE: 0x40000000,
  MRR_MASK: 0x30000000,
  ICMP: 0x08000000,
  BRT: 0x04000000,
  IRPT: 0x02000000,
  TRAP: 0x01000000,
  IAC1: 0x00800000,
  IAC2: 0x00400000,
  DAC1R: 0x00080000,
  DAC1W: 0x00040000,
  DAC2R: 0x00020000,
  DAC2W: 0x00010000,
  RET: 0x00008000,
} as const;

/** HID0[DAPUEN]: debug interrupts use DSRR0/1 and rfdi instead of CSRR0/1. */
export const HID0_DAPUEN = 0x00001000;

/** Interrupt vector offsets: the IVOR that selects each interrupt. */
export const IVOR = {
  CRITICAL: 0,
  MACHINE_CHECK: 1,
  DSI: 2,
  ISI: 3,
  EXTERNAL: 4,
  ALIGNMENT: 5,
  PROGRAM: 6,
  FP_UNAVAILABLE: 7,
  SYSCALL: 8,
  AP_UNAVAILABLE: 9,
  DECREMENTER: 10,
  FIT: 11,
  WATCHDOG: 12,
  DTLB: 13,
  ITLB: 14,
  DEBUG: 15,
  PERFMON: 35,
  DOORBELL: 36,
  DOORBELL_CRITICAL: 37,
} as const;

/** MAS register fields (MMU architecture version 1.0, as e500mc has it). */
export const MAS = {
  MAS0_TLBSEL_SHIFT: 28,
  MAS0_ESEL_SHIFT: 16,
  MAS1_V: 0x80000000 | 0,
  MAS1_IPROT: 0x40000000,
  MAS1_TID_SHIFT: 16,
  MAS1_TS: 0x00001000,
  MAS1_TSIZE_SHIFT: 7, // 5-bit field in 2^n KiB units (MAV 1.0's 4^n field at bit 8 reads the same)
  MAS2_EPN_MASK: 0xfffff000 | 0,
  MAS3_RPN_MASK: 0xfffff000 | 0,
  MAS3_UX: 0x20, MAS3_SX: 0x10, MAS3_UW: 0x08, MAS3_SW: 0x04, MAS3_UR: 0x02, MAS3_SR: 0x01,
  MAS6_SAS: 0x00000001,
  MAS6_SPID_SHIFT: 16,
  WIMGE_W: 0x10, WIMGE_I: 0x08, WIMGE_M: 0x04, WIMGE_G: 0x02, WIMGE_E: 0x01,
} as const;
