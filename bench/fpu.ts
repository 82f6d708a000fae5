// Cost of the floating-point instructions, through the decoder as the core
// runs them: `npm run build && node dist/bench/fpu.js` (not part of
// `npm run bench` only on request: it is a microbenchmark of the core). Each line is the mean time of one
// instruction (handler, FPSCR update included) over operand sets that cycle,
// so the JIT sees a realistic mix; the integer add is the dispatch baseline.
import { InstructionClock } from '../src/core/clock.js';
import { Cpu } from '../src/core/cpu.js';
import { PhysMemory, RamSlot } from '../src/core/physmem.js';
import { e500mcDecoder } from '../src/core/isa/index.js';
import { MSR } from '../src/core/regbits.js';

const cpu = new Cpu(e500mcDecoder());
cpu.msr = MSR.FP;
const primary = cpu.decoder.primary;

const A = (op: number, t: number, a: number, b: number, c: number, xo: number) =>
  ((op << 26) | (t << 21) | (a << 16) | (b << 11) | (c << 6) | (xo << 1)) | 0;

const X = (op: number, t: number, a: number, b: number, xo: number) =>
  ((op << 26) | (t << 21) | (a << 16) | (b << 11) | (xo << 1)) | 0;

// f1..f8: operands; the instruction rotates through them.
function operands(kind: 'normal' | 'single' | 'denormal'): number[] {
  const v: number[] = [];
  let s = 12345;
  for (let i = 0; i < 8; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const x = (1 + s / 4294967296) * 2 ** ((s % 40) - 20) * (s & 1 ? -1 : 1);
    v.push(kind === 'single' ? Math.fround(x) : kind === 'denormal' ? x * 2 ** -1060 : x);
  }
  return v;
}

function bench(name: string, make: (i: number) => number, kind: 'normal' | 'single' | 'denormal', rn = 0): void {
  const words = new Int32Array(64);
  for (let i = 0; i < 64; i++) words[i] = make(i);
  const vals = operands(kind);
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      if ((i & 63) === 0) {
        for (let r = 0; r < 8; r++) cpu.fpr[r + 1] = vals[r];
        cpu.fpscr = rn;
      }
      const w = words[i & 63];
      primary[w >>> 26](cpu, w);
    }
  };
  run(200_000); // warm up
  // the best of several runs: the machine is shared and noisy
  const n = kind === 'denormal' ? 200_000 : 1_000_000;
  let best = Infinity;
  for (let k = 0; k < 9; k++) {
    const t0 = process.hrtime.bigint();
    run(n);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  console.log(`${name.padEnd(34)} ${best.toFixed(1).padStart(7)} ns`);
}

const r = (i: number, k: number) => 1 + ((i + k) & 7);

// The core's dispatch site sees every handler: make this one megamorphic too.
for (const w of [A(31, 3, 3, 4, 0, 266), A(63, 9, 1, 2, 0, 21), A(63, 9, 1, 0, 2, 25), X(63, 9, 0, 2, 72),
  A(59, 9, 1, 2, 0, 21), A(63, 9, 1, 2, 3, 29), A(63, 9, 1, 2, 0, 18), A(31, 3, 3, 4, 0, 444)]) {
  for (let k = 0; k < 20000; k++) primary[w >>> 26](cpu, w);
}
console.log('instruction (operands)                mean time');
bench('add (integer, baseline)', (i) => A(31, 9 + (i & 3), 3, 4, 0, 266), 'normal');
bench('fadd (normal)', (i) => A(63, 9, r(i, 0), r(i, 3), 0, 21), 'normal');
bench('fmul (normal)', (i) => A(63, 9, r(i, 0), 0, r(i, 5), 25), 'normal');
bench('fmadd (normal)', (i) => A(63, 9, r(i, 0), r(i, 3), r(i, 5), 29), 'normal');
bench('fdiv (normal)', (i) => A(63, 9, r(i, 0), r(i, 3), 0, 18), 'normal');
bench('fadds (single operands)', (i) => A(59, 9, r(i, 0), r(i, 3), 0, 21), 'single');
bench('fmuls (single operands)', (i) => A(59, 9, r(i, 0), 0, r(i, 5), 25), 'single');
bench('fmadds (single operands)', (i) => A(59, 9, r(i, 0), r(i, 3), r(i, 5), 29), 'single');
bench('fadd (normal, round toward zero)', (i) => A(63, 9, r(i, 0), r(i, 3), 0, 21), 'normal', 1);
bench('fmadd (normal, round toward +inf)', (i) => A(63, 9, r(i, 0), r(i, 3), r(i, 5), 29), 'normal', 2);
bench('fmul (denormal: exact path)', (i) => A(63, 9, r(i, 0), 0, r(i, 5), 25), 'denormal');
bench('fmadd (denormal: exact path)', (i) => A(63, 9, r(i, 0), r(i, 3), r(i, 5), 29), 'denormal');
bench('fmr', (i) => X(63, 9, 0, r(i, 0), 72), 'normal');
bench('fsel', (i) => A(63, 9, r(i, 0), r(i, 3), r(i, 5), 23), 'normal');

// ---- the same in a guest loop, through the block engine (decoded, then compiled, blocks) ----

function loop(name: string, body: number[], vals: number[]): void {
  const mem = new PhysMemory();
  const buf = new ArrayBuffer(1 << 20);
  mem.replace([new RamSlot(0, 0, 1 << 20, buf, 0, false, false)]);
  const c = new Cpu(e500mcDecoder(), mem, new InstructionClock(400e6, 0.4));
  c.tlb.write(512, 0xc0000000 | (5 << 8), 0, 0x15, 0, 0); // TLB1 entry 0: 1 MiB at 0, supervisor RWX
  c.tc.flush();
  const ram = new DataView(buf);
  body.forEach((w, i) => ram.setInt32(0x1000 + 4 * i, w));
  ram.setInt32(0x1000 + 4 * body.length, (0x42000000 | ((-4 * body.length) & 0xfffc)) | 0); // bdnz to the top
  c.msr = MSR.FP;
  let best = Infinity;
  for (let k = 0; k < 7; k++) {
    vals.forEach((v, i) => { c.fpr[i + 1] = v; });
    c.fpscr = 0;
    c.ctr = 0x7fffffff;
    c.pc = c.nip = 0x1000;
    const n = 3_000_000;
    const t0 = process.hrtime.bigint();
    c.execute(n);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  console.log(`${name.padEnd(34)} ${best.toFixed(1).padStart(7)} ns/insn`);
}

const v8 = operands('normal');
console.log('guest loop (8 instructions + bdnz)    time per instruction');
loop('add', Array.from({ length: 8 }, (_, i) => A(31, 9 + i, 3, 4, 0, 266)), v8);
loop('fadd', Array.from({ length: 8 }, (_, i) => A(63, 9 + i, 1 + i % 4, 5 + i % 4, 0, 21)), v8);
loop('fmul', Array.from({ length: 8 }, (_, i) => A(63, 9 + i, 1 + i % 4, 0, 5 + i % 4, 25)), v8);
loop('fmadd', Array.from({ length: 8 }, (_, i) => A(63, 9 + i, 1 + i % 4, 5 + i % 3, 2 + i % 5, 29)), v8);
loop('fdiv', Array.from({ length: 8 }, (_, i) => A(63, 9 + i, 1 + i % 4, 5 + i % 4, 0, 18)), v8);
