// Differences between tkvm and QEMU that lockstep accepts, each with its
// reason: where the two machines' clocks differ (they cannot share one),
// and where QEMU 7.2 departs from the e500mc architecture (the same
// departures the guest kit names as KNOWN-QEMU-DIVERGENCE, see
// test/guests.test.ts). A rule matches one instruction and the registers
// that differ after it, and makes tkvm adopt QEMU's values so that the runs
// stay comparable; anything no rule explains is a divergence.

import type { Vcpu } from '../kvm/index.js';
import { F, type State } from './fields.js';
import { readTkvmState, writeTkvmState } from './tkvm-state.js';

export interface Difference {
  slot: number;
  /** The slot's name (f3.hi for half an FPR). */
  name: string;
  /** The register's name. */
  register: string;
  qemu: number;
  tkvm: number;
}

export interface RuleContext {
  /** The instruction that ran last (null if its address is not mapped). */
  word: number | null;
  pc: number;
  qemu: State;
  tkvm: State;
  prev: State | null;
  diffs: Difference[];
  /** Interrupts QEMU raised during this step (its exception numbers). */
  exceptions: number[];
}

export interface RuleMachine {
  readonly vcpu: Vcpu;
  readPhys(pa: number, len: number): Uint8Array | null;
  writePhys(pa: number, data: Uint8Array): boolean;
}

export interface Rule {
  id: string;
  why: string;
  /** The rule is about this step (the instruction, the interrupts). */
  applies(c: RuleContext): boolean;
  /** It explains this difference. */
  explains(c: RuleContext, d: Difference): boolean;
  /** What QEMU did besides registers, done to tkvm's machine too (memory). */
  effect?(m: RuleMachine, c: RuleContext): void;
}

// ---- instruction fields ----

const primary = (w: number): number => w >>> 26;
const xo = (w: number): number => (w >>> 1) & 0x3ff;
const rD = (w: number): number => (w >>> 21) & 31;
const sprOf = (w: number): number => ((w >>> 16) & 31) | (((w >>> 11) & 31) << 5);
const isMfspr = (w: number | null, ...sprs: number[]): w is number =>
  w !== null && primary(w) === 31 && (xo(w) === 339 || xo(w) === 371) && sprs.includes(sprOf(w));
const isXform = (w: number | null, ...xos: number[]): w is number => w !== null && primary(w) === 31 && xos.includes(xo(w));

/** Make tkvm's registers QEMU's (only the explained differences remain, so this adopts exactly those). */
function adoptQemuRegisters(m: RuleMachine, c: RuleContext): void {
  writeTkvmState(m.vcpu, c.qemu);
  readTkvmState(m.vcpu, c.tkvm);
}

/** Store bytes at a guest effective address as QEMU did (through tkvm's current translation). */
function storeAsQemu(m: RuleMachine, c: RuleContext, ea: number, bytes: Uint8Array): void {
  const as1 = (c.prev![F.msr] & MSR_DS) !== 0, pid = c.prev![F.pid];
  for (let i = 0; i < bytes.length; i++) {
    const t = m.vcpu.translate(BigInt((ea + i) >>> 0) | (BigInt(pid & 0xff) << 32n) | (as1 ? 1n << 40n : 0n));
    if (t.valid) m.writePhys(t.physicalAddress, bytes.subarray(i, i + 1));
  }
}

const rA = (w: number): number => (w >>> 16) & 31;
const rB = (w: number): number => (w >>> 11) & 31;
const dField = (w: number): number => (w << 16) >> 16;
/** EA of a D-form access, from the registers before the instruction. */
const eaD = (c: RuleContext, w: number): number => ((rA(w) === 0 ? 0 : c.prev![F.gpr0 + rA(w)]) + dField(w)) >>> 0;
const eaX = (c: RuleContext, w: number): number => ((rA(w) === 0 ? 0 : c.prev![F.gpr0 + rA(w)]) + c.prev![F.gpr0 + rB(w)]) >>> 0;
/** QEMU raised a program interrupt (6), an alignment interrupt (5) or a data storage interrupt (2) in this step, or none. */
const raised = (c: RuleContext, ...excps: number[]): boolean => c.exceptions.some((e) => excps.includes(e));
/** The e500mc took an interrupt where QEMU went on: tkvm is at a vector, QEMU past the instruction. */
const tkvmOnlyInterrupt = (c: RuleContext): boolean => c.exceptions.length === 0 && c.qemu[F.nip] === ((c.pc + 4) >>> 0);

const SRR1_QEMU_FLAGS = [0x80000, 0x40000, 0x20000];
/** QEMU's program interrupt, and the number it raises for an instruction the CPU does not have (HV_EMU). */
const QEMU_INVALID = 96;
const PROGRAM = [6, QEMU_INVALID];
const isXl = (w: number | null, x: number): boolean => w !== null && primary(w) === 19 && xo(w) === x;
const MAS0_ESEL_NV = 0x0fff0fff;
/** Integer loads: lwz lwzu lbz lbzu lhz lhzu lha lhau, and the X forms. */
const isLoad = (w: number | null): boolean => w !== null &&
  ((primary(w) >= 32 && primary(w) <= 35) || (primary(w) >= 40 && primary(w) <= 43) ||
   (primary(w) === 31 && [23, 55, 87, 119, 279, 311, 343, 375].includes(xo(w))));
const bswap32 = (v: number): number => (((v & 255) << 24) | (((v >>> 8) & 255) << 16) | (((v >>> 16) & 255) << 8) | (v >>> 24)) >>> 0;
const bswap16 = (v: number): number => (((v & 255) << 8) | ((v >>> 8) & 255)) >>> 0;
/** SPRs QEMU and the e500mc both have: an interrupt on these is not about undefined SPRs. */
const KNOWN_SPRS = new Set([1, 8, 9, 22, 26, 27, 48, 54, 58, 59, 61, 62, 63, 268, 269, 272, 273, 274, 275, 276, 277,
  278, 279, 284, 285, 286, 287, 304, 305, 336, 338, 340, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411,
  412, 413, 414, 415, 528, 529, 530, 531, 532, 533, 570, 571, 572, 573, 604, 624, 625, 626, 627, 628, 630, 688, 689,
  944, 1008, 1009, 1011, 1012, 1013, 1015, 1016, 1017, 1023]);
// dcbf dcbi dcbst dcbt dcbtst dcbz icbi dcba
const CACHE_BLOCK_XO = [86, 470, 54, 278, 246, 1014, 982, 758];
const CACHE_LOCKING_XO = [166, 134, 390, 486, 230]; // dcbtls dcbtstls dcblc icbtls icblc
const MSR_ME = 0x1000;
const MSR_DS = 0x10;
const MSR_CE_DE_ME = 0x20000 | 0x200 | 0x1000;
const FPSCR_FR = 0x00040000;
const FPSCR_C = 0x00010000;
/** Floating-point arithmetic, compare, conversion and FPSCR instructions (primary opcodes 59 and 63). */
const isFp = (w: number | null): boolean => w !== null && (primary(w) === 59 || primary(w) === 63);
const isXfp = (w: number | null, x: number): boolean => w !== null && primary(w) === 63 && xo(w) === x;
const ESR_BO = 0x00020000;
const MSR_DE = 0x200;
/** Floating-point loads and stores: lfs lfsu lfd lfdu stfs stfsu stfd stfdu, and the X forms (with stfiwx). */
const isFpLoadStore = (w: number | null): boolean => w !== null &&
  ((primary(w) >= 48 && primary(w) <= 55) || (primary(w) === 31 && [535, 567, 599, 631, 663, 695, 727, 759, 983].includes(xo(w))));
/** tw and twi. */
const isTrap = (w: number | null): boolean => w !== null && (primary(w) === 3 || (primary(w) === 31 && xo(w) === 4));
const ESR_FP = 0x01000000;
/** Registers that hold an MSR image. */
const MSR_IMAGES = [F.msr, F.srr1, F.csrr1, F.mcsrr1];

export const RULES: Rule[] = [
  // ---- time: the two machines cannot share a clock ----
  {
    id: 'timebase-read',
    why: 'the machines\' clocks differ (QEMU\'s trace runs on host time): a time base read gives QEMU\'s value to both',
    applies: (c) => isMfspr(c.word, 268, 269),
    explains: (c, d) => d.slot === F.gpr0 + rD(c.word!),
  },
  {
    id: 'dec-read',
    why: 'QEMU reads DEC as 0 while it counts (known QEMU divergence dec-read); tkvm\'s clock stands still in lockstep',
    applies: (c) => isMfspr(c.word, 22),
    explains: (c, d) => d.slot === F.gpr0 + rD(c.word!),
  },
  {
    // Matched in lockstep.ts itself (the bit is not adopted: tkvm would take the interrupt at once).
    id: 'timer-pending',
    why: 'QEMU has raised a timer status bit (TSR) and not yet taken its enabled interrupt: tkvm takes the bit when QEMU takes the interrupt',
    applies: () => false,
    explains: () => false,
  },
  // ---- QEMU 7.2's departures from the e500mc ----
  {
    id: 'msr-me',
    why: 'QEMU\'s e500mc does not keep MSR[ME] (machine check enable) set; the e500mc implements it',
    applies: () => true,
    explains: (c, d) => (d.qemu ^ d.tkvm) === MSR_ME && (d.tkvm & MSR_ME) !== 0 &&
      (MSR_IMAGES.includes(d.slot) || (isXform(c.word, 83) && d.slot === F.gpr0 + rD(c.word!))),
  },
  {
    id: 'interrupt-msr-ce-de',
    why: 'taking a base-class interrupt, QEMU clears MSR[CE] and MSR[DE]; Book E keeps CE, ME and DE for base-class ' +
      'interrupts (and clears DE only for critical-class ones on the e500mc)',
    applies: (c) => c.exceptions.length > 0,
    explains: (_c, d) => d.slot === F.msr && ((d.qemu ^ d.tkvm) & ~MSR_CE_DE_ME) === 0 && (d.tkvm & ~d.qemu) !== 0 && (d.qemu & ~d.tkvm) === 0,
  },
  {
    id: 'program-srr1-flags',
    why: 'QEMU sets classic-PowerPC flag bits in SRR1 on program interrupts (known QEMU divergence program-srr1-flags)',
    applies: (c) => raised(c, ...PROGRAM),
    explains: (_c, d) => d.slot === F.srr1 && SRR1_QEMU_FLAGS.includes((d.qemu ^ d.tkvm) >>> 0),
  },
  {
    id: 'program-srr1-flags-rfi',
    why: 'returning with such an SRR1, QEMU drops the flag bits its MSR does not have (0x80000, and 0x40000, MSR[WE] on the e500mc)',
    applies: (c) => isXl(c.word, 50),
    explains: (_c, d) => d.slot === F.msr && [0x80000, 0x40000].includes((d.qemu ^ d.tkvm) >>> 0),
    // tkvm's vCPU went into its wait state with MSR[WE]: QEMU's did not.
    effect: (m) => { m.vcpu.setMpState({ mpState: 0 }); },
  },
  {
    id: 'cache-locking',
    why: 'QEMU does not implement e500mc cache locking (known QEMU divergence cache-locking): its outcome is adopted',
    applies: (c) => isXform(c.word, ...CACHE_LOCKING_XO),
    explains: () => true,
  },
  {
    id: 'tcr-wrc',
    why: 'QEMU lets software clear TCR[WRC] (known QEMU divergence tcr-wrc)',
    applies: (c) => isXform(c.word, 467) && sprOf(c.word!) === 340,
    explains: (_c, d) => d.slot === F.tcr && ((d.qemu ^ d.tkvm) & ~0x30000000) === 0,
  },
  {
    id: 'tlbsx-miss-mas2',
    why: 'on a tlbsx miss QEMU clears MAS2[EPN]; tkvm loads it with the searched page, as a TLB error interrupt does',
    applies: (c) => isXform(c.word, 914),
    explains: (c, d) => d.slot === F.mas2 && (d.qemu & 0xfffff000) === 0 && (d.tkvm & 0xfffff000) === (eaX(c, c.word!) & 0xfffff000),
  },
  {
    id: 'tlb0-next-victim',
    why: 'QEMU advances its TLB0 next-victim counter on every TLB miss and reports NV for TLB1 too; the e500mc\'s counter ' +
      'takes MAS0[NV] when tlbwe writes TLB0, so MAS0[ESEL,NV] loaded by a TLB error, tlbsx or tlbre may differ',
    applies: (c) => raised(c, 13, 14) || isXform(c.word, 914, 946),
    explains: (_c, d) => d.slot === F.mas0 && ((d.qemu ^ d.tkvm) & ~MAS0_ESEL_NV) === 0,
  },
  {
    id: 'itlb-dear-esr',
    why: 'QEMU writes DEAR and clears ESR on instruction TLB errors (known QEMU divergence itlb-esr-dear) and instruction ' +
      'storage interrupts; tkvm updates DEAR only for data accesses and leaves ESR alone on an instruction TLB error, ' +
      'an interrupt type without a syndrome (e500 core manual: other interrupt types do not affect ESR)',
    applies: (c) => raised(c, 3, 14),
    explains: (c, d) => (d.slot === F.dear && d.qemu === c.qemu[F.srr0]) || (d.slot === F.esr && d.qemu === 0),
  },
  {
    id: 'fp-access-esr',
    why: 'QEMU never sets ESR[FP] when a floating-point load or store takes a DSI or data TLB error; Book E and the ' +
      'Power ISA (III-E) set ESR[FP] for them, with ESR[ST] for stores (known QEMU divergence fp-access-esr)',
    applies: (c) => isFpLoadStore(c.word) && raised(c, 2, 13),
    explains: (_c, d) => d.slot === F.esr && (d.qemu & ESR_FP) === 0 && d.tkvm === (d.qemu | ESR_FP),
  },
  {
    id: 'alignment-esr',
    why: 'QEMU leaves ESR unchanged on an alignment interrupt from lwarx (it sets only DEAR); the e500 core manual: on ' +
      'an interrupt the associated ESR bits are set and all others cleared, so ESR is 0 (known QEMU divergence alignment-esr)',
    applies: (c) => isXform(c.word, 20) && raised(c, 5),
    explains: (c, d) => d.slot === F.esr && d.tkvm === 0 && d.qemu === c.prev![F.esr],
  },
  {
    id: 'debug-trap-event',
    why: 'QEMU has no trap debug event: a trap with DBCR0[IDM,TRAP] and MSR[DE] takes its program interrupt; the e500mc ' +
      'takes the Debug interrupt at the trap instead (known QEMU divergence debug-trap-event): QEMU\'s outcome is adopted',
    applies: (c) => isTrap(c.word) && raised(c, ...PROGRAM) && (c.prev![F.msr] & MSR_DE) !== 0 &&
      c.tkvm[F.csrr0] === c.pc && c.tkvm[F.csrr1] === c.prev![F.msr],
    explains: () => true,
  },
  {
    id: 'cache-op-dear',
    why: 'for a cache block instruction that faults, QEMU reports the EA rounded down to the cache block in DEAR; tkvm the EA',
    applies: (c) => isXform(c.word, ...CACHE_BLOCK_XO) && raised(c, 2, 13),
    explains: (c, d) => d.slot === F.dear && d.tkvm === eaX(c, c.word!) && d.qemu === (d.tkvm & ~63) >>> 0,
  },
  {
    id: 'stwcx-misaligned',
    why: 'QEMU fails a misaligned stwcx. quietly; the e500mc takes an alignment interrupt (known QEMU divergence stwcx-misaligned)',
    applies: (c) => isXform(c.word, 150) && (eaX(c, c.word!) & 3) !== 0 && tkvmOnlyInterrupt(c),
    explains: () => true,
  },
  {
    id: 'lmw-stmw-misaligned',
    why: 'QEMU performs lmw/stmw at addresses that are not word aligned; the e500mc takes an alignment interrupt ' +
      '(known QEMU divergence lmw-stmw-misaligned); QEMU\'s stores are made in tkvm\'s memory too',
    applies: (c) => c.word !== null && (primary(c.word) === 46 || primary(c.word) === 47) && (eaD(c, c.word) & 3) !== 0 && tkvmOnlyInterrupt(c),
    explains: () => true,
    effect: (m, c) => {
      const w = c.word!;
      if (primary(w) !== 47) return;
      const bytes: number[] = [];
      for (let r = rD(w); r < 32; r++) { const v = c.prev![F.gpr0 + r]; bytes.push(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255); }
      storeAsQemu(m, c, eaD(c, w), Uint8Array.from(bytes));
    },
  },
  {
    id: 'undefined-spr',
    why: 'QEMU treats SPR numbers the e500mc does not implement as no-ops in supervisor mode; the e500mc raises an ' +
      'illegal-instruction program interrupt (known QEMU divergence undefined-spr)',
    applies: (c) => isXform(c.word, 339, 467) && !KNOWN_SPRS.has(sprOf(c.word!)) && (tkvmOnlyInterrupt(c) || raised(c, ...PROGRAM)),
    explains: () => true,
  },
  {
    id: 'le-pages',
    why: 'QEMU ignores the E (little-endian) page attribute (known QEMU divergence le-pages): a load from such a page, or ' +
      'of what a store to one wrote, gives QEMU\'s byte order to both',
    applies: (c) => isLoad(c.word),
    explains: (c, d) => d.slot === F.gpr0 + rD(c.word!) && d.qemu !== d.tkvm &&
      (d.qemu === bswap32(d.tkvm) || d.qemu === bswap16(d.tkvm)),
  },
  {
    id: 'le-pages-byte-order-dsi',
    why: 'an access crossing into a page of the other byte order takes a byte-ordering DSI (ESR[BO]) on the e500mc; ' +
      'QEMU, which has no little-endian pages, performs it (known QEMU divergence le-pages)',
    applies: (c) => tkvmOnlyInterrupt(c) && (c.tkvm[F.esr] & ESR_BO) !== 0,
    explains: () => true,
  },
  {
    id: 'le-pages-fetch',
    why: 'the e500mc fetches instructions from a little-endian page byte-reversed; QEMU fetches them big-endian and ' +
      'finds an illegal instruction (known QEMU divergence le-pages)',
    applies: (c) => raised(c, QEMU_INVALID) && c.tkvm[F.nip] === ((c.pc + 4) >>> 0),
    explains: () => true,
  },
  {
    id: 'mmucfg-zero',
    why: 'QEMU reads MMUCFG as 0 (known QEMU divergence mmucfg-zero); on the e500mc it describes the MMU',
    applies: (c) => isMfspr(c.word, 1015),
    explains: (c, d) => d.slot === F.gpr0 + rD(c.word!),
  },
  {
    id: 'fpscr-fr',
    why: 'QEMU never sets FPSCR[FR] (fraction rounded); the ISA sets it when rounding incremented the fraction ' +
      '(tkvm\'s FR is checked against an exact reference in test/fpu-round.test.ts)',
    applies: (c) => isFp(c.word),
    explains: (c, d) => ((d.qemu ^ d.tkvm) >>> 0) === FPSCR_FR && (d.tkvm & FPSCR_FR) !== 0 &&
      (d.slot === F.fpscr || (isXfp(c.word, 583) && d.slot === F.fpr0 + 2 * rD(c.word!) + 1)),
  },
  {
    id: 'single-denormal-class',
    why: 'QEMU classifies a single-precision result by its double image, so a single-precision denormal gets FPRF ' +
      '"normal"; FPRF gives the class in the result\'s format',
    applies: (c) => c.word !== null && (primary(c.word) === 59 || isXfp(c.word, 12)),
    explains: (_c, d) => d.slot === F.fpscr && ((d.qemu ^ d.tkvm) >>> 0) === FPSCR_C && (d.tkvm & FPSCR_C) !== 0,
  },
  {
    id: 'fpu-departures',
    why: 'the other floating-point results where QEMU departs from the ISA (negated multiply-add rounding, frsp exponent ' +
      'adjustment, compare class bit, fcmpo VXVC, mtfsb1 FX/NI, fres of zero, inf*0+SNaN, enabled exceptions, CR1 and SRR1 ' +
      'on an interrupting instruction, fctiw\'s undefined high word): each is matched precisely, result by result, in ' +
      'test/fpu-guest.test.ts; here the floating-point state an FPU instruction leaves is adopted from QEMU',
    applies: (c) => isFp(c.word),
    explains: (c, d) => (d.slot >= F.fpr0 && d.slot < F.fpr0 + 64) || d.slot === F.fpscr || d.slot === F.cr ||
      (d.slot === F.srr1 && ((d.qemu ^ d.tkvm) >>> 0) === 0x100000 && raised(c, ...PROGRAM)),
  },
  {
    id: 'fp-stale-enabled-exception',
    why: 'only an instruction that causes an enabled floating-point exception takes the program interrupt (Book I 4.4); ' +
      'QEMU also interrupts a later FP instruction while an enabled exception bit is still set in FPSCR ' +
      '(test/fpu-guest.test.ts: stale enabled exception)',
    applies: (c) => isFp(c.word) && raised(c, 6) && (c.qemu[F.esr] & ESR_FP) !== 0 && c.tkvm[F.nip] === ((c.pc + 4) >>> 0),
    explains: () => true,
  },
  {
    id: 'dcbz-cache-inhibited',
    why: 'QEMU zeroes the block; the e500mc takes an alignment interrupt for dcbz to a write-through or cache-inhibited ' +
      'page (known QEMU divergence dcbz-cache-inhibited); QEMU\'s zeroes are written in tkvm\'s memory too',
    applies: (c) => isXform(c.word, 1014) && tkvmOnlyInterrupt(c),
    explains: () => true,
    effect: (m, c) => { storeAsQemu(m, c, (eaX(c, c.word!) & ~63) >>> 0, new Uint8Array(64)); },
  },
];

/**
 * The rules that explain every difference (one rule per difference, the
 * first that explains it), or null if some difference is unexplained.
 */
export function explain(c: RuleContext): Rule[] | null {
  const used: Rule[] = [];
  const applicable = RULES.filter((r) => r.applies(c));
  for (const d of c.diffs) {
    const r = applicable.find((x) => x.explains(c, d));
    if (r === undefined) return null;
    if (!used.includes(r)) used.push(r);
  }
  return used;
}

/** Apply the rules' effects and make tkvm's registers QEMU's. */
export function adopt(m: RuleMachine, c: RuleContext, rules: Rule[]): void {
  for (const r of rules) r.effect?.(m, c);
  adoptQemuRegisters(m, c);
}
