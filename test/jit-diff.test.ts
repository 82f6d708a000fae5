// The translator against the interpreters: random instruction streams (every
// instruction of the table, with random fields; edge values in registers;
// loads and stores that hit RAM, miss the TLB, cross pages, rewrite the code
// itself) run three ways from the same state: one instruction at a time
// (runSlice), the page interpreter with translation off, and with every
// piece of code translated on its first entry. Every architected register,
// the TLB, the exit and all of RAM must agree after each run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Cpu, JIT_NEVER } from '../src/core/cpu.js';
import { InstructionClock } from '../src/core/clock.js';
import { allInsns, e500mcDecoder } from '../src/core/isa/index.js';
import type { InsnDef } from '../src/core/isa/decode.js';
import { PhysMemory, RamSlot } from '../src/core/physmem.js';
import { MSR } from '../src/core/regbits.js';
import { SPR } from '../src/core/spr.js';

const RAM = 1 << 20;
const CODE = 0x4000;
const DATA = 0x8000;
/** Eight 4 KiB pages mapped through TLB0 onto physical pages in reverse order (accesses that cross them). */
const SCATTER = 0x40000;
const SCATTER_PA = 0x80000;

/** A deterministic pseudo-random generator (xorshift32). */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
}

interface Setup {
  words: number[];
  gpr: number[];
  fpr: number[];
  cr: number;
  xer: number;
  lr: number;
  ctr: number;
  msr: number;
  data: Uint8Array;
}

type Mode = 'step' | 'interp' | 'jit';

function machine(s: Setup, mode: Mode): { c: Cpu; buf: ArrayBuffer } {
  const mem = new PhysMemory();
  const buf = new ArrayBuffer(RAM);
  mem.replace([new RamSlot(0, 0, RAM, buf, 0, false, false)]);
  const c = new Cpu(e500mcDecoder(), mem, new InstructionClock(400e6, 0.4));
  c.jitThreshold = mode === 'jit' ? 0 : JIT_NEVER;
  // TLB1 entry 0: 1 MiB at 0, supervisor and user RWX.
  c.tlb.write(512, 0xc0000000 | (5 << 8), 0, 0x3f, 0, 0);
  for (let k = 0; k < 8; k++) {
    const ea = SCATTER + k * 0x1000, set = (ea >>> 12) & 127;
    c.tlb.write(set * 4, 0x80000000 | (1 << 8), ea, (SCATTER_PA + (7 - k) * 0x1000) | 0x3f, 0, 0);
  }
  c.tc.flush();
  const ram = new DataView(buf);
  // Every interrupt vector (IVPR = 0, IVORn = 0) is `b .`.
  ram.setInt32(0, 0x48000000);
  s.words.forEach((w, k) => ram.setInt32(CODE + 4 * k, w));
  new Uint8Array(buf, DATA, s.data.length).set(s.data);
  new Uint8Array(buf, SCATTER_PA, s.data.length).set(s.data);
  c.gpr.set(s.gpr);
  s.fpr.forEach((v, i) => { c.fprw[2 * i] = v; c.fprw[2 * i + 1] = s.fpr[(i + 7) % 32]; });
  c.cr = s.cr;
  c.setXer(s.xer);
  c.lr = s.lr;
  c.ctr = s.ctr;
  c.setMsr(s.msr);
  c.pc = CODE;
  return { c, buf };
}

/** Run `n` instructions in slices of at most `slice` (the engines meet slice ends mid-block). */
function run(c: Cpu, mode: Mode, n: number, slice: number): void {
  const stop = c.icount + n;
  while (c.icount < stop && c.exit === 0) {
    const k = Math.min(slice, stop - c.icount);
    const before = c.icount;
    if (mode === 'step') c.runSlice(k); else c.runSlicePages(k);
    if (c.icount === before) break; // waiting or exited
  }
}

function state(c: Cpu, buf: ArrayBuffer): Record<string, unknown> {
  return {
    pc: c.pc >>> 0, icount: c.icount, exit: c.exit, gpr: Array.from(c.gpr, (v) => v >>> 0), fpr: Array.from(c.fprw),
    cr: c.cr >>> 0, xer: c.getXer() >>> 0, lr: c.lr >>> 0, ctr: c.ctr >>> 0, msr: c.msr >>> 0, fpscr: c.fpscr >>> 0,
    spr: Array.from(c.spr).map((v, i) => (v === 0 ? '' : `${i}:${(v >>> 0).toString(16)}`)).filter((x) => x !== '').join(' '),
    resv: c.resv, waiting: c.waiting, mmio: c.exit === 1 ? [c.mmioPa, c.mmioLen, c.mmioIsWrite] : null,
    tlb: createHash('sha1').update(c.tlb.bytes).digest('hex'),
    ram: createHash('sha1').update(new Uint8Array(buf)).digest('hex'),
  };
}

const EDGE = [0, 1, -1, 0x7fffffff, -0x80000000, 0x8000, 0xffff, 0x10000, -2, 31, 32, 63];

function register(r: () => number): number {
  const k = r() % 10;
  // An address in the data area, often near a page end (accesses that cross pages).
  if (k < 1) return (DATA + 0x1000 * (1 + (r() % 6)) - (r() % 8)) | 0;
  if (k < 2) return (SCATTER + 0x1000 * (1 + (r() % 6)) - (r() % 8)) | 0;
  if (k < 4) return (DATA + (r() % 0x7ff8)) | 0;
  if (k < 7) return EDGE[r() % EDGE.length] | 0;
  return r() | 0;
}

/** A random encoding of a table line: its opcode fields, everything else random. */
function encode(d: InsnDef, r: () => number): number {
  let w = (d.op << 26) | (r() & 0x03ffffff);
  if (d.form === 'X') w = (w & ~0x7fe) | (d.xo << 1);
  else if (d.form === 'XO') w = (w & ~0x3fe) | (d.xo << 1);
  else if (d.form === 'A') w = (w & ~0x3e) | (d.xo << 1);
  // Short branches, so some stay in the code and some loop.
  if (d.fields.includes('li') || d.fields.includes('bd')) w = (w & ~0xfffc) | ((((r() % 64) - 32) * 4) & 0xfffc);
  if (d.fields.includes('li')) w = (w & ~0x03ff0000) | ((w & 0x8000) !== 0 ? 0x03ff0000 : 0);
  // Loads and stores mostly through registers 1..8 (addresses), D forms with small displacements.
  if (d.fields.includes('d')) w = (w & ~0x001fffff) | ((1 + (r() % 8)) << 16) | (r() % 3 === 0 ? 0 : r() & 0xff8);
  return w | 0;
}

const defs = allInsns;

function setup(seed: number, len: number, pick: (r: () => number) => InsnDef | null): Setup {
  const r = rng(seed);
  const words: number[] = [];
  for (let k = 0; k < len; k++) {
    const d = pick(r);
    words.push(d === null ? r() | 0 : encode(d, r));
  }
  words.push(0x4bfffffc | 0 ^ (r() % 3 === 0 ? 0 : 0)); // b . -4: loops back into the stream's end
  const gpr = Array.from({ length: 32 }, () => register(r));
  const fpr = Array.from({ length: 32 }, () => r() | 0);
  const data = new Uint8Array(0x8000);
  for (let i = 0; i < data.length; i++) data[i] = r() & 0xff;
  // Supervisor, FP available, sometimes user mode.
  const msr = MSR.FP | (r() % 5 === 0 ? MSR.PR : 0);
  return { words, gpr, fpr, cr: r() | 0, xer: r() & 0xe000007f, lr: CODE + 4 * (r() % len), ctr: r() % 5, msr, data };
}

function compare(s: Setup, label: string, n: number, slice: number): void {
  const results = (['step', 'interp', 'jit'] as Mode[]).map((mode) => {
    const { c, buf } = machine(s, mode);
    run(c, mode, n, slice);
    assert.equal(c.translator.stats.failures, 0, `${label}: a translation failed: ${c.translator.stats.lastFailure}`);
    return state(c, buf);
  });
  assert.deepEqual(results[1], results[0], `${label}: page interpreter vs single step`);
  assert.deepEqual(results[2], results[0], `${label}: translated vs single step`);
}

test('translated code matches the interpreters instruction by instruction (every table line)', () => {
  // Each table line in streams where it is every other instruction, with
  // random fields and registers (edge values among them): about a thousand
  // operand sets per line, fewer for those that end a block or fault.
  let executed = 0;
  for (const d of defs) {
    for (let seed = 1; seed <= 10; seed++) {
      const s = setup(seed * 7919 + d.op * 31 + d.xo, 200, (r) => (r() % 2 === 0 ? d : defs[r() % defs.length]));
      compare(s, `${d.name} seed ${seed}`, 400, 1000);
      executed += 400;
    }
  }
  assert.ok(executed > 500_000);
});

test('translated code matches the interpreters on random streams, across slice ends', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const r = rng(seed);
    const s = setup(seed, 4 + (r() % 60), (rr) => (rr() % 50 === 0 ? null : defs[rr() % defs.length]));
    compare(s, `stream seed ${seed}`, 300, 1 + (seed % 37));
  }
});

test('a loop of translated code runs exactly as many instructions as asked', () => {
  // addi r3,r3,1 ; bdnz -4 ; b .
  const s: Setup = {
    words: [0x38630001, 0x4200fffc, 0x48000000], gpr: new Array(32).fill(0), fpr: new Array(32).fill(0),
    cr: 0, xer: 0, lr: 0, ctr: 1000, msr: 0, data: new Uint8Array(16),
  };
  for (const n of [1, 2, 3, 100, 1999, 2000, 2001, 2500]) compare(s, `loop, ${n} instructions`, n, 4096);
  for (const slice of [1, 2, 3, 7, 64]) compare(s, `loop, slices of ${slice}`, 2100, slice);
});

test('stores into the code being run are seen by translated code', () => {
  // 0x4000: addi r3,r3,1 ; lis r4,0x3863 ; ori r4,r4,0x0010 (r4 = "addi r3,r3,16")
  //         stw r4,0x4000(0) ; bdnz 0x4000 ; b .
  const s: Setup = {
    words: [0x38630001, 0x3c803863, 0x60840010, 0x90804000, 0x4200fff0, 0x48000000], gpr: new Array(32).fill(0),
    fpr: new Array(32).fill(0), cr: 0, xer: 0, lr: 0, ctr: 3, msr: 0, data: new Uint8Array(16),
  };
  compare(s, 'self-modifying loop', 16, 4096);
  const { c } = machine(s, 'jit');
  run(c, 'jit', 16, 4096);
  assert.equal(c.gpr[3], 33);
  assert.ok(c.translator.stats.regions > 0, 'the code was translated');
});

test('SPR state the translator keeps in locals survives interrupts and returns', () => {
  // A system call from a loop: sc goes to the vector (b .), SRR0/SRR1 hold the return.
  const s: Setup = {
    words: [0x7c6802a6, 0x38630001, 0x44000002, 0x4bfffff4], gpr: new Array(32).fill(0),
    fpr: new Array(32).fill(0), cr: 0x12345678, xer: 0xe000001f | 0, lr: 0x1234, ctr: 5, msr: MSR.FP, data: new Uint8Array(16),
  };
  compare(s, 'mflr; addi; sc', 20, 4096);
  const { c } = machine(s, 'jit');
  run(c, 'jit', 3, 4096);
  assert.equal(c.spr[SPR.SRR0] >>> 0, CODE + 12);
});

test('loads and stores that cross into a page mapped elsewhere take the slow path in translated code', () => {
  // r1 = the last 8 bytes of a scattered page. lwz r5,0(r1) fills the cache for the page; lwz r6,6(r1),
  // lhz r7,7(r1) and stw r5,5(r1), sth r5,7(r1) cross into the next virtual page (another physical page).
  const gpr = new Array(32).fill(0);
  gpr[1] = SCATTER + 0x2000 - 8;
  const s: Setup = {
    words: [0x80a10000, 0x80c10006, 0xa0e10007, 0x90a10005, 0xb0a10007, 0x81010004, 0x48000000],
    gpr, fpr: new Array(32).fill(0), cr: 0, xer: 0, lr: 0, ctr: 0, msr: 0, data: Uint8Array.from({ length: 0x8000 }, (_, i) => (i * 7 + (i >> 12) * 13) & 0xff),
  };
  for (let rep = 0; rep < 3; rep++) compare(s, `crossing accesses, run ${rep}`, 6, 4096);
});

test('translated code is keyed by physical page and runs right at every virtual address of it', () => {
  // bl +8 ; b . ; mflr r3 ; b .   at CODE, then the same physical page at 0x60000.
  const s: Setup = {
    words: [0x48000009, 0x48000000, 0x7c6802a6, 0x48000000], gpr: new Array(32).fill(0), fpr: new Array(32).fill(0),
    cr: 0, xer: 0, lr: 0, ctr: 0, msr: 0, data: new Uint8Array(16),
  };
  const { c } = machine(s, 'jit');
  const ea = 0x60000, set = (ea >>> 12) & 127;
  c.tlb.write(set * 4 + 1, 0x80000000 | (1 << 8), ea, CODE | 0x3f, 0, 0);
  c.tc.flush();
  for (let rep = 0; rep < 3; rep++) {
    for (const at of [CODE, ea]) {
      c.pc = at;
      run(c, 'jit', 3, 4096);
      assert.equal(c.gpr[3] >>> 0, at + 4, `LR from the bl at 0x${at.toString(16)}`);
      assert.equal(c.pc >>> 0, at + 12);
    }
  }
  assert.ok(c.translator.stats.regions > 0);
});
