// The block engine (decoded and compiled blocks) must behave exactly like
// the one-instruction-at-a-time loop. Random instruction streams run both
// ways and the architected state is compared; self-modifying code must be
// seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cpu } from '../src/core/cpu.js';
import { InstructionClock } from '../src/core/clock.js';
import { e500mcDecoder, allInsns } from '../src/core/isa/index.js';
import { PhysMemory, RamSlot } from '../src/core/physmem.js';
import { isPure } from '../src/core/exec/blocks.js';

const RAM = 1 << 20;

function machine(): { c: Cpu; ram: DataView } {
  const mem = new PhysMemory();
  const buf = new ArrayBuffer(RAM);
  mem.replace([new RamSlot(0, 0, RAM, buf, 0, false, false)]);
  const c = new Cpu(e500mcDecoder(), mem, new InstructionClock(400e6, 0.4));
  // TLB1 entry 0: 1 MiB at 0, supervisor RWX (as a loader would write it).
  c.tlb.write(512, 0xc0000000 | (5 << 8), 0, 0x15, 0, 0);
  c.tc.flush();
  return { c, ram: new DataView(buf) };
}

/** A deterministic pseudo-random generator (xorshift). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
}

/** Random encodings of the register-only instructions (all operand fields random). */
function randomPure(r: () => number): number {
  const pure = allInsns.filter((d) => isPure(d));
  const dec = e500mcDecoder();
  for (;;) {
    const d = pure[r() % pure.length];
    let w = (d.op << 26) | (r() & 0x03ffffff);
    if (d.form === 'X') w = (w & ~0x7fe) | (d.xo << 1);
    else if (d.form === 'XO') w = (w & ~0x3fe) | (d.xo << 1);
    else if (d.form === 'A') w = (w & ~0x3e) | (d.xo << 1);
    if (dec.lookup(w) === d) return w | 0;
  }
}

function state(c: Cpu): unknown {
  return { gpr: Array.from(c.gpr), cr: c.cr, xer: c.getXer(), ctr: c.ctr, lr: c.lr, pc: c.pc };
}

test('compiled and interpreted blocks match the single-step loop on random code', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const r = rng(seed);
    const words: number[] = [];
    const len = 5 + (r() % 40);
    for (let k = 0; k < len; k++) words.push(randomPure(r));
    words.push(0x4bfffffc | 0); // b . (ends the block; the run stops by budget)
    const init = Array.from({ length: 32 }, () => r() | 0);
    const cr = r() | 0, xer = r() & 0xe0000000;
    const run = (mode: 'step' | 'blocks', reps: number) => {
      const { c, ram } = machine();
      words.forEach((w, k) => ram.setInt32(0x1000 + 4 * k, w));
      c.gpr.set(init); c.cr = cr; c.setXer(xer); c.pc = 0x1000;
      for (let rep = 0; rep < reps; rep++) {
        c.pc = 0x1000;
        if (mode === 'step') c.runSlice(len + 1); else c.runSliceBlocks(len + 1);
      }
      return state(c);
    };
    // Enough repetitions for the page to be compiled (exec/blocks.ts HOT_BLOCK).
    assert.deepEqual(run('blocks', 20_010), run('step', 20_010), `seed ${seed}`);
  }
});

test('a store into a decoded or compiled block is seen when the code runs again', () => {
  const { c, ram } = machine();
  // 0x1000: li r3,1 ; b 0x2000      0x2000: b .
  ram.setInt32(0x1000, 0x38600001);
  ram.setInt32(0x1004, 0x48000ffc);
  ram.setInt32(0x2000, 0x48000000);
  // 0x3000: lis r4,0x3860 ; ori r4,r4,7 (r4 = "li r3,7") ; stw r4,0x1000(0) ; b 0x1000 via absolute
  ram.setInt32(0x3000, 0x3c803860);
  ram.setInt32(0x3004, 0x60840007);
  ram.setInt32(0x3008, 0x90801000);
  ram.setInt32(0x300c, 0x48001002); // ba 0x1000
  // Enough runs for the page to be compiled (exec/blocks.ts HOT_BLOCK).
  for (let k = 0; k < 25_000; k++) {
    c.pc = 0x1000;
    c.runSliceBlocks(2);
    assert.equal(c.gpr[3], 1);
  }
  assert.notEqual(c.mem.slots[0].codePages[1]?.fn ?? null, null, 'the page was compiled');
  c.pc = 0x3000;
  // Patch, jump back, execute the patched li (a store that drops code ends the slice).
  const start = c.icount;
  while (c.icount - start < 6) c.runSliceBlocks(6 - (c.icount - start));
  assert.equal(c.gpr[3], 7);
});
