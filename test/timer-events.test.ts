// Timer events the guest can observe are delivered at once: when a read of
// the time base or the decrementer shows that an enabled timer interrupt
// is due, the interrupt is taken before the next instruction, not at the
// end of the current slice. (With a wall clock, slices are not cut at
// timer events, so without this a guest could see DEC = 0, then disable
// interrupts, and never take the decrementer interrupt.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../src/core/clock.js';
import { Cpu } from '../src/core/cpu.js';
import { e500mcDecoder } from '../src/core/isa/index.js';
import { TLB0_ENTRIES } from '../src/core/mmu/tlbarray.js';
import { PhysMemory, RamSlot } from '../src/core/physmem.js';
import { MSR, TCR } from '../src/core/regbits.js';
import { SPR } from '../src/core/spr.js';

/**
 * A stand-in for the wall clock: not deterministic (so slices are not cut at
 * timer events), and time moves on between any two looks at it, also within
 * a slice.
 */
class SteppingClock implements Clock {
  readonly hz = 400_000_000;
  readonly deterministic = false;
  private t = 0;
  now(_icount: number): number { return (this.t += 7); }
  msUntil(): number { return 0; }
}

function machine(code: Record<number, number[]>): Cpu {
  const ram = new ArrayBuffer(1 << 20);
  const mem = new PhysMemory();
  mem.replace([new RamSlot(0, 0, ram.byteLength, ram, 0, false, false)]);
  const c = new Cpu(e500mcDecoder(), mem, new SteppingClock());
  // TLB1 entry 0: 1 MiB at 0, all permissions.
  c.tlb.write(TLB0_ENTRIES, (0x80000000 | (5 << 8)) | 0, 0, 0x3f, 0, 0);
  c.tc.flush();
  const dv = new DataView(ram);
  for (const [at, words] of Object.entries(code)) words.forEach((w, k) => dv.setUint32(+at + 4 * k, w >>> 0));
  return c;
}

const MFDEC_R3 = 0x7c7602a6; // mfspr r3,DEC
const MFTBL_R3 = 0x7c6c42a6; // mfspr r3,TBL (268)
const CMPWI_R3_0 = 0x2c030000;
const BNE_MINUS8 = 0x4082fff8;
const WRTEEI_0 = 0x7c000146;
const B_SELF = 0x48000000;
const LI_R5_1 = 0x38a00001;

test('a decrementer interrupt is taken as soon as a DEC read shows 0', () => {
  const c = machine({ 0x1000: [MFDEC_R3, CMPWI_R3_0, BNE_MINUS8, WRTEEI_0, B_SELF], 0x2000: [LI_R5_1, B_SELF] });
  c.spr[SPR.IVOR0 + 10] = 0x2000;
  c.spr[SPR.TCR] = TCR.DIE;
  c.timers.writeDec(500);
  c.setMsr(MSR.EE);
  c.pc = c.nip = 0x1000;
  c.execute(2000);
  assert.equal(c.gpr[5], 1, 'the decrementer interrupt was taken');
  assert.equal(c.spr[SPR.SRR0], 0x1004, 'right after the mfspr that read DEC = 0');
  assert.ok((c.spr[SPR.SRR1] & MSR.EE) !== 0, 'with interrupts still enabled');
});

test('a fixed-interval timer interrupt is taken as soon as a time-base read shows it due', () => {
  // Loop on mftb until TBL >= 0x800, then disable interrupts. FIT on TB bit 2^10 (0x400), FIE.
  const CMPLWI_R3_0x800 = 0x28030800;
  const BLT_MINUS8 = 0x4180fff8;
  const c = machine({ 0x1000: [MFTBL_R3, CMPLWI_R3_0x800, BLT_MINUS8, WRTEEI_0, B_SELF], 0x2000: [LI_R5_1, B_SELF] });
  c.spr[SPR.IVOR0 + 11] = 0x2000;
  // FP||FPEXT selects TB bit 63 - 53 = 10 (LSB-0): FPEXT = 13, FP = 1.
  c.timers.writeTcr(TCR.FIE | (1 << TCR.FP_SHIFT) | (13 << TCR.FPEXT_SHIFT));
  c.setMsr(MSR.EE);
  c.pc = c.nip = 0x1000;
  c.execute(2000);
  assert.equal(c.gpr[5], 1, 'the FIT interrupt was taken');
  assert.ok((c.spr[SPR.SRR1] & MSR.EE) !== 0, 'with interrupts still enabled');
});
