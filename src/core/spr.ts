// Special-purpose registers of the e500mc as a guest sees it.
//
// Most SPRs are plain storage in `Cpu.spr` (indexed by SPR number); the ones
// with side effects (timers, MMU, XER/LR/CTR that live in fields for speed)
// are marked `special` and handled by the mfspr/mtspr code in isa/system.ts.
//
// Privilege follows the Book E rule: an SPR number with bit 0x10 set is
// privileged for both mfspr and mtspr.

export const SPR = {
  XER: 1, LR: 8, CTR: 9, DEC: 22, SRR0: 26, SRR1: 27, PID: 48, DECAR: 54,
  CSRR0: 58, CSRR1: 59, DEAR: 61, ESR: 62, IVPR: 63,
  VRSAVE: 256, USPRG3: 259, SPRG4R: 260, SPRG5R: 261, SPRG6R: 262, SPRG7R: 263,
  TBL_R: 268, TBU_R: 269,
  SPRG0: 272, SPRG1: 273, SPRG2: 274, SPRG3: 275,
  SPRG4: 276, SPRG5: 277, SPRG6: 278, SPRG7: 279,
  TBL_W: 284, TBU_W: 285, PIR: 286, PVR: 287,
  DBSR: 304, EPCR: 307, DBCR0: 308, DBCR1: 309, DBCR2: 310,
  IAC1: 312, IAC2: 313, DAC1: 316, DAC2: 317,
  TSR: 336, TCR: 340,
  IVOR0: 400, // IVOR0..15 = 400..415
  IVOR38: 432, IVOR39: 433, IVOR40: 434, IVOR41: 435,
  L1CFG0: 515, L1CFG1: 516,
  IVOR32: 528, IVOR33: 529, IVOR34: 530, IVOR35: 531, IVOR36: 532, IVOR37: 533,
  MCSRR0: 570, MCSRR1: 571, MCSR: 572, MCAR: 573, DSRR0: 574, DSRR1: 575,
  SPRG8: 604, SPRG9: 605, L1CSR2: 606,
  MAS0: 624, MAS1: 625, MAS2: 626, MAS3: 627, MAS4: 628, MAS6: 630,
  TLB0CFG: 688, TLB1CFG: 689, EPR: 702,
  MAS7: 944, EPLC: 947, EPSC: 948,
  HID0: 1008, HID1: 1009, L1CSR0: 1010, L1CSR1: 1011, MMUCSR0: 1012,
  BUCSR: 1013, MMUCFG: 1015, SVR: 1023,
} as const;

/** Access rights: what a guest may do with an SPR. */
export const enum SprAccess {
  None = 0,
  Read = 1,
  Write = 2,
  ReadWrite = 3,
}

export interface SprDef {
  readonly name: string;
  readonly num: number;
  readonly access: SprAccess;
  /** Value after reset. */
  readonly reset: number;
  /** Bits a guest can change with mtspr (the others read as reset value). */
  readonly writeMask: number;
  /** Side effects on read or write: handled by the core's mfspr/mtspr. */
  readonly special: boolean;
}

export const PVR_E500MC = 0x80230020;
/** TLB0: 512 entries, 4-way; TLB1: 64 entries, fully associative (QEMU's and the e500mc manual's values). */
export const TLB0CFG_E500MC = 0x04110200;
export const TLB1CFG_E500MC = 0x401cc040;
/**
 * MMUCFG as KVM presents it to an e500mc guest: RASIZE=36, NPIDS=1,
 * PIDSIZE=7 (8-bit PID), NTLBS=1 (two TLBs), MAVN=0 (MAV 1.0), LPIDSIZE
 * cleared (a guest has no hypervisor state). QEMU 7.2 returns 0 here; see the
 * lockstep allowlist.
 */
export const MMUCFG_E500MC = 0x004809c4;
/** L1 cache configuration: 32 KiB, 8-way, 64-byte lines (the values QEMU's e500mc reports). */
export const L1CFG_E500MC = 0x01003820;

const defs: SprDef[] = [];
function d(name: string, num: number, access: SprAccess, reset = 0, writeMask = -1, special = false): void {
  defs.push({ name, num, access, reset, writeMask, special });
}
const RW = SprAccess.ReadWrite, RO = SprAccess.Read, WO = SprAccess.Write;

d('XER', SPR.XER, RW, 0, -1, true);
d('LR', SPR.LR, RW, 0, -1, true);
d('CTR', SPR.CTR, RW, 0, -1, true);
d('DEC', SPR.DEC, RW, 0, -1, true);
d('SRR0', SPR.SRR0, RW);
d('SRR1', SPR.SRR1, RW);
d('PID', SPR.PID, RW, 0, 0xff, true);
d('DECAR', SPR.DECAR, WO);
d('CSRR0', SPR.CSRR0, RW);
d('CSRR1', SPR.CSRR1, RW);
d('DEAR', SPR.DEAR, RW);
d('ESR', SPR.ESR, RW);
d('IVPR', SPR.IVPR, RW, 0, 0xffff0000 | 0);
d('VRSAVE', SPR.VRSAVE, RW);
d('SPRG3(user)', SPR.USPRG3, RO, 0, -1, true);
d('SPRG4(user)', SPR.SPRG4R, RO, 0, -1, true);
d('SPRG5(user)', SPR.SPRG5R, RO, 0, -1, true);
d('SPRG6(user)', SPR.SPRG6R, RO, 0, -1, true);
d('SPRG7(user)', SPR.SPRG7R, RO, 0, -1, true);
d('TBL', SPR.TBL_R, RO, 0, -1, true);
d('TBU', SPR.TBU_R, RO, 0, -1, true);
for (let i = 0; i < 8; i++) d(`SPRG${i}`, SPR.SPRG0 + i, RW);
d('TBL(write)', SPR.TBL_W, WO, 0, -1, true);
d('TBU(write)', SPR.TBU_W, WO, 0, -1, true);
d('PIR', SPR.PIR, RO);
d('PVR', SPR.PVR, RO, PVR_E500MC);
d('DBSR', SPR.DBSR, RW, 0, -1, true);
d('EPCR', SPR.EPCR, RW);
d('DBCR0', SPR.DBCR0, RW, 0, -1, true);
d('DBCR1', SPR.DBCR1, RW, 0, -1, true);
d('DBCR2', SPR.DBCR2, RW, 0, -1, true);
d('IAC1', SPR.IAC1, RW, 0, 0xfffffffc | 0, true);
d('IAC2', SPR.IAC2, RW, 0, 0xfffffffc | 0, true);
d('DAC1', SPR.DAC1, RW, 0, -1, true);
d('DAC2', SPR.DAC2, RW, 0, -1, true);
d('TSR', SPR.TSR, RW, 0, -1, true);
d('TCR', SPR.TCR, RW, 0, -1, true);
for (let i = 0; i < 16; i++) d(`IVOR${i}`, SPR.IVOR0 + i, RW, 0, 0xfff0);
for (let i = 32; i <= 37; i++) d(`IVOR${i}`, SPR.IVOR32 + (i - 32), RW, 0, 0xfff0);
for (let i = 38; i <= 41; i++) d(`IVOR${i}`, SPR.IVOR38 + (i - 38), RW, 0, 0xfff0);
d('L1CFG0', SPR.L1CFG0, RO, L1CFG_E500MC);
d('L1CFG1', SPR.L1CFG1, RO, L1CFG_E500MC);
d('MCSRR0', SPR.MCSRR0, RW);
d('MCSRR1', SPR.MCSRR1, RW);
d('MCSR', SPR.MCSR, RW, 0, -1, true);
d('MCAR', SPR.MCAR, RO);
d('DSRR0', SPR.DSRR0, RW);
d('DSRR1', SPR.DSRR1, RW);
d('SPRG8', SPR.SPRG8, RW);
d('SPRG9', SPR.SPRG9, RW);
d('L1CSR2', SPR.L1CSR2, RW);
d('MAS0', SPR.MAS0, RW);
d('MAS1', SPR.MAS1, RW);
d('MAS2', SPR.MAS2, RW);
d('MAS3', SPR.MAS3, RW);
d('MAS4', SPR.MAS4, RW);
d('MAS6', SPR.MAS6, RW);
d('TLB0CFG', SPR.TLB0CFG, RO, TLB0CFG_E500MC);
d('TLB1CFG', SPR.TLB1CFG, RO, TLB1CFG_E500MC);
d('EPR', SPR.EPR, RO);
d('MAS7', SPR.MAS7, RW, 0, 0xf);
d('HID0', SPR.HID0, RW);
d('HID1', SPR.HID1, RW);
d('L1CSR0', SPR.L1CSR0, RW, 0, -1, true);
d('L1CSR1', SPR.L1CSR1, RW, 0, -1, true);
d('MMUCSR0', SPR.MMUCSR0, RW, 0, -1, true);
d('BUCSR', SPR.BUCSR, RW, 0, -1, true);
d('MMUCFG', SPR.MMUCFG, RO, MMUCFG_E500MC);
d('SVR', SPR.SVR, RO, 0);

/** SPR definitions indexed by SPR number (undefined: not implemented). */
export const sprTable: (SprDef | undefined)[] = new Array(1024);
for (const def of defs) {
  if (sprTable[def.num]) throw new Error(`duplicate SPR ${def.num}`);
  sprTable[def.num] = def;
}
export const sprDefs: readonly SprDef[] = defs;

export function sprIsPrivileged(num: number): boolean {
  return (num & 0x10) !== 0;
}

export function sprName(num: number): string {
  return sprTable[num]?.name ?? `SPR${num}`;
}
