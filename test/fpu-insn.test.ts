// FPU instructions on a core, for what the guest comparison with QEMU cannot
// show (it starts every case from a clean FPSCR): the sticky FX rule, when an
// enabled exception interrupts, the FP-unavailable interrupt, the FPSCR moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cpu } from '../src/core/cpu.js';
import { e500mcDecoder } from '../src/core/isa/index.js';
import { ESR, IVOR, MAS, MSR } from '../src/core/regbits.js';
import { TLB0_ENTRIES } from '../src/core/mmu/tlbarray.js';
import { SPR } from '../src/core/spr.js';

const FX = 0x80000000, FEX = 0x40000000, VX = 0x20000000, OX = 0x10000000, XX = 0x02000000, VXSNAN = 0x01000000;
const FI = 0x00020000, VE = 0x80, XE = 0x08;

const cpu = new Cpu(e500mcDecoder());

const aform = (op: number, t: number, a: number, b: number, c: number, xo: number, rc = 0) =>
  ((op << 26) | (t << 21) | (a << 16) | (b << 11) | (c << 6) | (xo << 1) | rc) | 0;
const xform = (t: number, a: number, b: number, xo: number, rc = 0) => ((63 << 26) | (t << 21) | (a << 16) | (b << 11) | (xo << 1) | rc) | 0;
const FADD = (t: number, a: number, b: number, rc = 0) => aform(63, t, a, b, 0, 21, rc);
const FDIV = (t: number, a: number, b: number) => aform(63, t, a, b, 0, 18);

function exec(w: number): boolean {
  cpu.pc = 0x1000;
  cpu.nip = 0x1004;
  cpu.abort = false;
  cpu.decoder.primary[w >>> 26](cpu, w);
  return cpu.abort;
}

function setBits(r: number, hi: number, lo: number): void {
  cpu.fprw[2 * r + 1] = hi;
  cpu.fprw[2 * r] = lo;
}

function fresh(msr: number, fpscr: number): void {
  cpu.reset();
  cpu.spr[SPR.IVOR0 + IVOR.PROGRAM] = 0x700;
  cpu.spr[SPR.IVOR0 + IVOR.FP_UNAVAILABLE] = 0x800;
  cpu.msr = msr;
  cpu.fpscr = fpscr;
  cpu.fpr[1] = 1;
  cpu.fpr[2] = 3;
  setBits(3, 0x7ff00000, 1); // SNaN
}

test('FX is set only when an exception bit changes from 0 to 1', () => {
  fresh(MSR.FP, VXSNAN | VX); // VXSNAN already set, FX clear
  exec(FADD(0, 1, 3));
  assert.equal(cpu.fpscr & FX, 0, 'VXSNAN was already 1: no FX');
  assert.equal((cpu.fpscr & (VXSNAN | VX)) >>> 0, (VXSNAN | VX) >>> 0);
  exec(FDIV(0, 1, 2)); // 1/3: XX goes 0 -> 1
  assert.equal((cpu.fpscr & (FX | XX | FI)) >>> 0, (FX | XX | FI) >>> 0);
  cpu.fpscr &= ~FX;
  exec(FDIV(0, 1, 2)); // XX already 1
  assert.equal(cpu.fpscr & FX, 0);
});

test('Rc=1 copies FX FEX VX OX into CR1 and leaves the other fields', () => {
  fresh(MSR.FP, VE);
  cpu.cr = 0x12345678;
  exec(FADD(0, 1, 3, 1));
  assert.equal(cpu.cr >>> 0, 0x1e345678, 'CR1 = FX FEX VX (and no OX)');
});

test('an enabled exception interrupts after completing, at the instruction, in precise mode', () => {
  fresh(MSR.FP | MSR.FE0, XE);
  assert.equal(exec(FDIV(4, 1, 2)), true);
  assert.equal(cpu.spr[SPR.SRR0], 0x1000, 'SRR0 is the excepting instruction');
  assert.equal(cpu.spr[SPR.ESR], ESR.FP);
  assert.equal(cpu.spr[SPR.SRR1], MSR.FP | MSR.FE0, 'SRR1 is the MSR');
  assert.equal(cpu.nip, 0x700);
  assert.equal(cpu.msr & (MSR.FP | MSR.FE0 | MSR.FE1), 0);
  assert.equal(cpu.fpr[4], 1 / 3, 'the result is written (inexact is not a suppressing exception)');
  assert.equal((cpu.fpscr & (FX | FEX | XX)) >>> 0, (FX | FEX | XX) >>> 0);
});

test('an invalid operation with VE=1 leaves the target; no interrupt when MSR[FE0,FE1]=0', () => {
  fresh(MSR.FP, VE);
  cpu.fpr[5] = 42;
  assert.equal(exec(FADD(5, 1, 3)), false, 'ignore-exceptions mode: no interrupt');
  assert.equal(cpu.fpr[5], 42, 'target unchanged');
  assert.equal((cpu.fpscr & (FEX | VXSNAN)) >>> 0, (FEX | VXSNAN) >>> 0);
});

test('with FEX already set, an instruction that causes no exception does not interrupt', () => {
  fresh(MSR.FP, XE);
  exec(FDIV(0, 1, 2)); // XX set, FEX set, ignored
  cpu.msr |= MSR.FE1;
  assert.equal(exec(FADD(0, 1, 1)), false, '1 + 1 is exact');
  assert.equal(cpu.fpr[0], 2);
  assert.equal(exec(FDIV(0, 1, 2)), true, 'a new inexact result does');
});

test('MSR[FP]=0: every FP instruction takes FP unavailable and changes nothing', () => {
  for (const w of [FADD(0, 1, 2, 1), xform(0, 0, 0, 583), xform(24, 0, 0, 38), aform(50, 0, 0, 0, 0, 0)]) {
    fresh(0, 0);
    cpu.cr = 0;
    cpu.fpr[0] = 7;
    assert.equal(exec(w), true);
    assert.equal(cpu.nip, 0x800);
    assert.equal(cpu.spr[SPR.SRR0], 0x1000);
    assert.equal(cpu.fpr[0], 7);
    assert.equal(cpu.fpscr, 0);
    assert.equal(cpu.cr, 0);
  }
});

test('FPSCR moves: explicit FX, computed FEX and VX, reserved bit 20, mcrfs clearing', () => {
  fresh(MSR.FP, 0);
  setBits(6, 0, 0x7ffff8ff); // every bit but FX, with FEX and VX and the reserved bit
  exec(xform(0, 0xff << 1, 6, 711)); // mtfsf 0xff,f6
  // FX stays as written (0: mtfsf is exempt from the implicit rule); VX, FEX computed (set); bit 20 not settable
  assert.equal(cpu.fpscr >>> 0, 0x7ffff0ff);
  setBits(6, 0, 0);
  exec(xform(0, 0x80 << 1, 6, 711)); // mtfsf 0x80: field 0 from 0 -> FX, OX clear; FEX, VX still computed
  assert.equal(cpu.fpscr >>> 0, 0x6ffff0ff);
  exec(xform(1 << 2, 0, 0, 64)); // mcrfs cr1, 0
  assert.equal((cpu.cr >>> 24) & 0xf, 0x6);
  exec(xform(7 << 2, 6 << 2, 0, 64)); // mcrfs cr7, 6: enables, no exception bits to clear
  assert.equal(cpu.cr & 0xf, 0xf);
  exec(xform(1 << 2, 1 << 2, 0, 64)); // mcrfs cr1, 1: UX ZX XX VXSNAN copied, then cleared
  assert.equal((cpu.cr >>> 24) & 0xf, 0xf);
  assert.equal(cpu.fpscr & 0x0f000000, 0);
  fresh(MSR.FP, 0);
  exec(xform(3, 0, 0, 38)); // mtfsb1 OX: an exception bit 0 -> 1 sets FX
  assert.equal(cpu.fpscr >>> 0, (FX | OX) >>> 0);
  exec(xform(1, 0, 0, 38)); // mtfsb1 FEX: cannot be set explicitly
  assert.equal(cpu.fpscr >>> 0, (FX | OX) >>> 0);
  exec(xform(25, 0, 0, 38)); // mtfsb1 OE: FEX follows
  assert.equal(cpu.fpscr >>> 0, (FX | FEX | OX | 0x40) >>> 0);
  cpu.msr |= MSR.FE0;
  assert.equal(exec(xform(25, 0, 0, 38)), true, 'mtfsb1 leaving FEX set interrupts in precise mode');
  assert.equal(cpu.spr[SPR.ESR], ESR.FP);
  fresh(MSR.FP, 0);
  exec(xform(7 << 2, 0, 0x5 << 1, 134)); // mtfsfi 7,5: RN = 01, NI = 1
  assert.equal(cpu.fpscr, 0x5);
  assert.equal(exec(xform(7 << 2, 1, 0x5 << 1, 134)), true, 'mtfsfi with W=1 is illegal');
  assert.equal(cpu.spr[SPR.ESR], ESR.PIL);
});

test('FP loads and stores: their DSI and data TLB error set ESR[FP] (and ST for stores); integer accesses do not', () => {
  const dform = (op: number, t: number, a: number, d: number) => ((op << 26) | (t << 21) | (a << 16) | (d & 0xffff)) | 0;
  const LFD = 50, STFD = 54, LFS = 48, STFS = 52, LWZ = 32, STW = 36;
  const ST = ESR.ST, FP = ESR.FP;
  const cases: [string, number, number][] = [
    ['lfd', LFD, FP], ['lfs', LFS, FP], ['stfd', STFD, FP | ST], ['stfs', STFS, FP | ST], ['lwz', LWZ, 0], ['stw', STW, ST],
  ];
  for (const [name, op, esr] of cases) {
    // Data TLB error: nothing is mapped at 0x5000 after reset.
    fresh(MSR.FP, 0);
    cpu.spr[SPR.IVOR0 + IVOR.DTLB] = 0xd00;
    cpu.gpr[4] = 0x5000;
    cpu.spr[SPR.ESR] = ESR.PIL; // left by an earlier interrupt: must be replaced
    assert.equal(exec(dform(op, 1, 4, 0x18)), true, `${name}: faults`);
    assert.equal(cpu.nip, 0xd00, `${name}: data TLB error`);
    assert.equal(cpu.spr[SPR.ESR], esr, `${name}: ESR after a data TLB error`);
    assert.equal(cpu.spr[SPR.DEAR], 0x5018, `${name}: DEAR`);
    // DSI: a TLB1 page without read or write permission (UX only).
    fresh(MSR.FP, 0);
    cpu.spr[SPR.IVOR0 + IVOR.DSI] = 0x300;
    cpu.tlb.write(TLB0_ENTRIES + 1, MAS.MAS1_V | (1 << 8), 0x5000, 0x5000 | MAS.MAS3_UX, 0, 0);
    cpu.gpr[4] = 0x5000;
    cpu.spr[SPR.ESR] = ESR.PIL;
    assert.equal(exec(dform(op, 1, 4, 0x20)), true, `${name}: faults`);
    assert.equal(cpu.nip, 0x300, `${name}: DSI`);
    assert.equal(cpu.spr[SPR.ESR], esr, `${name}: ESR after a DSI`);
    assert.equal(cpu.spr[SPR.DEAR], 0x5020, `${name}: DEAR`);
  }
  // The next integer access after a faulting FP one has no ESR[FP].
  fresh(MSR.FP, 0);
  cpu.spr[SPR.IVOR0 + IVOR.DTLB] = 0xd00;
  cpu.gpr[4] = 0x5000;
  exec(dform(LFD, 1, 4, 0));
  exec(dform(LWZ, 1, 4, 0));
  assert.equal(cpu.spr[SPR.ESR], 0, 'lwz after a faulting lfd');
});

test('random FP instructions on random register bits never throw and keep the FPSCR consistent', () => {
  let x = 0x9e3779b9;
  const r = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  const specials = [0, 0x80000000, 0x7ff00000, 0xfff00000, 0x7ff80000, 0x7ff00000, 0x00100000, 0x7fefffff, 0x3ff00000, 0x47efffff];
  for (let k = 0; k < 100000; k++) {
    if ((k & 63) === 0) {
      cpu.reset();
      let f = r() & 0x9ffff7ff; // a consistent FPSCR: VX and FEX follow the other bits
      if ((f & 0x01f80700) !== 0) f |= VX;
      if (((f >>> 22) & f & 0xf8) !== 0) f |= FEX;
      cpu.fpscr = f;
      cpu.msr = MSR.FP | ((r() & 1) !== 0 ? MSR.FE0 : 0);
      for (let i = 0; i < 32; i++) {
        const hi = (r() & 3) === 0 ? specials[r() % specials.length] | (r() & 1) : r();
        setBits(i, hi >>> 0, (r() & 3) === 0 ? 0 : r());
      }
    }
    const op = (r() & 1) === 0 ? 59 : 63;
    const w = ((op << 26) | (r() & 0x03ffffff)) | 0;
    const d = cpu.decoder.lookup(w);
    if (d === undefined || d.op === 31 || /^(lf|stf)/.test(d.name)) continue;
    assert.doesNotThrow(() => exec(w), `${d.name} ${(w >>> 0).toString(16)}`);
    const f = cpu.fpscr;
    assert.equal(f & 0x800, 0, `${d.name}: reserved bit`);
    assert.equal((f & VX) !== 0, (f & 0x01f80700) !== 0, `${d.name}: VX is the OR of the VX causes`);
    assert.equal((f & FEX) !== 0, ((f >>> 22) & f & 0xf8) !== 0, `${d.name}: FEX is the OR of the enabled exceptions`);
  }
});
