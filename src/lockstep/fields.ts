// The architected state the lockstep comparison looks at, one 32-bit slot
// per register (a 64-bit FPR takes two: high word, then low word). Both
// sides fill the same layout: QEMU's trace parser (trace.ts) from its
// `-d cpu,fpu` dump, tkvm's reader (tkvm-state.ts) through the hypervisor API.

const names: string[] = [];
const add = (n: string): number => { names.push(n); return names.length - 1; };

export const F = {
  nip: add('pc'), lr: add('lr'), ctr: add('ctr'), xer: add('xer'), msr: add('msr'), cr: add('cr'),
  gpr0: 0, fpr0: 0,
  fpscr: add('fpscr'),
  srr0: add('srr0'), srr1: add('srr1'), pvr: add('pvr'),
  sprg0: add('sprg0'), sprg1: add('sprg1'), sprg2: add('sprg2'), sprg3: add('sprg3'),
  sprg4: add('sprg4'), sprg5: add('sprg5'), sprg6: add('sprg6'), sprg7: add('sprg7'), sprg8: add('sprg8'),
  csrr0: add('csrr0'), csrr1: add('csrr1'), mcsrr0: add('mcsrr0'), mcsrr1: add('mcsrr1'),
  tcr: add('tcr'), tsr: add('tsr'), esr: add('esr'), dear: add('dear'),
  pir: add('pir'), decar: add('decar'), ivpr: add('ivpr'), epcr: add('epcr'),
  mcsr: add('mcsr'), epr: add('epr'), mcar: add('mcar'), svr: add('svr'),
  mas0: add('mas0'), mas1: add('mas1'), mas2: add('mas2'), mas3: add('mas3'), mas4: add('mas4'),
  mas6: add('mas6'), mas7: add('mas7'), pid: add('pid'),
  mmucfg: add('mmucfg'), tlb0cfg: add('tlb0cfg'), tlb1cfg: add('tlb1cfg'),
};
F.gpr0 = names.length;
for (let i = 0; i < 32; i++) add(`r${i}`);
F.fpr0 = names.length;
for (let i = 0; i < 32; i++) { add(`f${i}.hi`); add(`f${i}.lo`); }

/** Slots per state. */
export const NSLOTS = names.length;

/** The name of a slot, for reports. */
export function slotName(i: number): string {
  return names[i];
}

/** A slot's register name without the FPR half ("f3" for "f3.hi"). */
export function registerOf(i: number): string {
  return names[i].replace(/\.(hi|lo)$/, '');
}

/** A state: NSLOTS unsigned 32-bit values. */
export type State = Uint32Array;

export function newState(): State {
  return new Uint32Array(NSLOTS);
}

/**
 * Slots left out of the comparison, and why. These are the only registers
 * of the dump that are not compared at every instruction.
 */
export const UNCOMPARED: ReadonlyMap<number, string> = new Map([
  [F.mmucfg, 'QEMU reads MMUCFG as 0 (known QEMU divergence mmucfg-zero); tkvm has the e500mc value'],
]);
