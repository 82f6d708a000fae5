// Warming up the page interpreter before it runs guest code.
//
// V8 optimizes the interpreter's big `switch` once it is hot; a case that
// never ran until then has no type feedback, and the first guest instruction
// of that kind throws the optimized code away (a deoptimization, then a new
// optimization of the whole function, tens of milliseconds each). Running
// every instruction kind, in a scratch vCPU with its own memory, gives every
// case its feedback up front, so the interpreter is optimized once.
//
// Feedback covers the values seen, not just the code paths: a handler that
// only ever saw small integers is optimized for them, and the first register
// with bit 31 set (an unsigned compare, an address above 2 GiB) deoptimizes
// it and the interpreter it is inlined into ("lost precision"). So every
// instruction runs with registers holding zeros, then values with the high
// bits set, then fractions (for the FPU), and with an address that reaches
// MMIO above 4 GiB.
//
// The same goes for object fields: V8 stores a field as a small integer
// until a value needs a double, and then changes the representation of the
// field for every object of the class, which deoptimizes all code that uses
// such objects (a "wrong map" deoptimization of every handler). Fields that
// will hold physical addresses or time-base values get such values here,
// before any code is optimized.

import { CoreExit, Cpu, JIT_NEVER } from '../cpu.js';
import { InstructionClock } from '../clock.js';
import type { Decoder, InsnDef } from '../isa/decode.js';
import { PhysMemory, RamSlot } from '../physmem.js';
import { hasOwnCase } from './interp.js';
import { MSR } from '../regbits.js';
import { SPR, SprAccess, sprDefs } from '../spr.js';

const warmed = new WeakSet<Decoder>();
const CODE = 0x10000;
/** An effective address mapped to a physical page above 4 GiB that is not RAM (an MMIO exit). */
const MMIO_EA = 0x80000000 | 0;

/** One encoding of a table line, with all operand fields zero. */
function encode(d: InsnDef): number {
  return ((d.op << 26) | (d.xo >= 0 ? d.xo << 1 : 0)) | 0;
}

/** The SPR field of mfspr/mtspr for SPR `n` (its two 5-bit halves swapped). */
function sprField(n: number): number {
  return ((n & 0x1f) << 16) | ((n >>> 5) << 11);
}

/**
 * Encodings of a table line that take each path of its handler: the record
 * and link bits (Rc, LK), OE of XO forms, AA of branches, and the common
 * BO conditions of conditional branches (a handler optimized without ever
 * having linked deoptimizes on the first `bl`).
 */
function variants(d: InsnDef): number[] {
  const w = encode(d);
  if (d.fields.includes('bo')) {
    const out: number[] = [];
    // BO: branch if the CR bit is 0, if it is 1, decrement CTR and branch
    // if nonzero (bdnz), if zero (bdz), always. Each tests CTR its own way
    // (`ctr !== 0`, `ctr === 0`): without bdz, U-Boot's first bdz
    // deoptimized the interpreter it is inlined into, twice on the way to
    // the prompt (--trace-deopt: "Insufficient type feedback for compare
    // operation"), and each new optimization of it took 85-170 ms.
    for (const bo of [4, 12, 16, 18, 20]) for (const lk of [0, 1, 2, 3]) out.push(w | (bo << 21) | lk);
    return out;
  }
  if (d.fields.includes('spr') && d.fields.includes('rt')) {
    // Every readable SPR: the read of a register that lives in a field,
    // of the time base, of plain storage; the SPR field is not all zero.
    return sprDefs.filter((s) => (s.access & SprAccess.Read) !== 0).map((s) => w | sprField(s.num));
  }
  if (d.fields.includes('spr') && d.fields.includes('rs')) {
    // Plain storage and the registers that live in fields or start a timer.
    const safe: number[] = [SPR.XER, SPR.LR, SPR.CTR, SPR.DEC, SPR.PID];
    return sprDefs.filter((s) => (s.access & SprAccess.Write) !== 0 && (!s.special || safe.includes(s.num)))
      .map((s) => w | sprField(s.num));
  }
  const out = [w, w | 1, w | (20 << 21) | 1];
  if (d.modes.includes('oe')) out.push(w | 0x400 | 1);
  if (d.modes.includes('aa')) out.push(w | 3);
  return out;
}

/**
 * Register states the instructions run with: [GPR value, FPR value]. With
 * all operand fields zero every instruction reads r0 (and f0), and an
 * X-form access with rA = 0 addresses gpr[0]: MMIO_EA in the second state.
 */
const STATES: readonly (readonly [number, number])[] = [
  [0, 0],
  [MMIO_EA, -1.5],
  [0x7ffffff0, 1e-310],
  [-1, 3.0e38],
];

function mapScratch(c: Cpu): void {
  // TLB1 entry 0: 256 KiB of RAM at 0, supervisor and user read/write/execute.
  c.tlb.write(512, 0xc0000000 | (4 << 8), 0, 0x3f, 0, 0);
  // TLB1 entry 1: 4 KiB at MMIO_EA onto physical 0xf_e000_0000, outside RAM.
  c.tlb.write(513, 0xc0000000 | (1 << 8), MMIO_EA, 0xe000003f | 0, 0xf, 0);
  // TLB1 entry 2: the second slot's page, at its own address.
  c.tlb.write(514, 0xc0000000 | (1 << 8), SECOND_SLOT, SECOND_SLOT | 0x3f, 0, 0);
  c.tc.flush();
}

export function warmUp(dec: Decoder): void {
  if (warmed.has(dec)) return;
  warmed.add(dec);
  const mem = new PhysMemory();
  const size = 0x40000;
  const buf = new ArrayBuffer(size);
  // A second slot of one page (SECOND_SLOT), where the last region runs: the
  // slot lookup of a guest with several slots (RAM, flash) then has its feedback.
  mem.replace([new RamSlot(0, 0, size, buf, 0, false, false), new RamSlot(1, SECOND_SLOT, 0x1000, new ArrayBuffer(0x1000), 0, false, false)]);
  const dv = new DataView(buf);
  const c = new Cpu(dec, mem, new InstructionClock(400e6, 0.4));
  // The interpreter is what is warmed here; the translator makes its own code.
  c.jitThreshold = JIT_NEVER;
  const defs = dec.defById.filter((d): d is InsnDef => d !== undefined);
  const words = [0x00000000, ...defs.map(encode)];
  // Every path of the instructions the interpreter calls (and may inline)
  // directly; one encoding of the others, whose deoptimizations stay small.
  const forms = [0x00000000, ...defs.flatMap((d) => (hasOwnCase(d) ? variants(d) : [encode(d)]))];
  const handlers = forms.map((w) => dec.handlerFor(w));

  // V8 records type feedback for a function only once it has run a few
  // times (lazy feedback allocation, about 8 calls of a small function);
  // until then its calls teach the optimizer nothing. So each handler is
  // first called that often (cheaply: the same encoding, zero registers),
  // then once per encoding and register state, recorded.
  c.reset();
  mapScratch(c);
  // A time base and a decrementer deadline beyond 2^31 ticks, a reservation
  // at a physical address beyond 2^31 (MMIO exits set mmioPa to such too).
  c.timers.setTb(2 ** 40);
  c.timers.writeDec(-1);
  c.resv = 2 ** 35;
  // Counters a long run takes past 2^31 (a small integer's limit): the
  // translated-instruction count does so after about a second of a hot loop,
  // and the change of field representation deoptimized the dispatcher then.
  const st = c.translator.stats, tc = c.tc;
  st.runs = st.ran = st.chained = st.declined = 2 ** 40;
  tc.loadMisses = tc.storeMisses = tc.fetchMisses = tc.flushes = tc.regionMissExits = 2 ** 40;
  for (let k = 0; k < words.length; k++) {
    const h = dec.handlerFor(words[k]);
    setRegisters(c, 0, 0);
    for (let n = 0; n < FEEDBACK_CALLS; n++) {
      h(c, words[k]);
      c.exit = CoreExit.None;
      c.abort = false;
    }
  }
  for (const [g, f] of STATES) {
    for (let k = 0; k < forms.length; k++) {
      setRegisters(c, g, f);
      handlers[k](c, forms[k]);
    }
  }

  // The decrementer running out, which the run loop's timer update meets
  // first in the guest.
  c.timers.writeDec(1);
  c.icount += 100;
  c.timers.update();

  // Then each instruction runs through the interpreter from a reset core,
  // for the interpreter's own feedback (its calls, and the exits of the
  // loop that runs it); the handlers have theirs already. The interpreter
  // is a large function: its feedback vector comes only after it has run
  // several times its size, so it first runs a branch to itself that long.
  c.reset();
  mapScratch(c);
  setRegisters(c, 0, 0);
  dv.setInt32(CODE, 0x48000000); // b .
  c.mem.slots[0].dropCode(CODE);
  for (let k = 0; k < INTERPRETER_FEEDBACK_RUNS; k++) {
    c.pc = CODE;
    c.runSlicePages(16);
  }
  for (const w of words) {
    c.reset();
    mapScratch(c);
    setRegisters(c, 0, 0);
    dv.setInt32(CODE, w);
    dv.setInt32(CODE + 4, 0x48000000); // b .
    c.mem.slots[0].dropCode(CODE);
    c.pc = CODE;
    c.runSlicePages(2);
  }

  // The dispatcher's ways through translated code: several translated
  // regions called from its one call site (so V8 does not inline the first
  // one it sees and throw the dispatcher's optimized code away at the
  // second, a "wrong call target"), one region after another (each in a
  // page of its own, branching to the next: without it the first such
  // entry in a guest deoptimized the dispatcher, "insufficient type
  // feedback"), a region that declines (the slice too short for its
  // block), a return into the interpreter.
  c.reset();
  mapScratch(c);
  setRegisters(c, 0, 0);
  c.jitThreshold = 0;
  const regionAt = (k: number): number => (k % REGIONS === REGIONS - 1 ? SECOND_SLOT : CODE + 0x1000 * (1 + (k % REGIONS)));
  for (let k = 0; k < REGIONS; k++) {
    const at = regionAt(k), slot = c.mem.find(at)!, o = at - slot.base;
    slot.view.setInt32(o, 0x38630001); // addi r3,r3,1
    slot.view.setInt32(o + 4, 0x38840001); // addi r4,r4,1
    slot.view.setInt32(o + 8, (0x48000000 | ((regionAt(k + 1) - (at + 8)) & 0x03fffffc)) | 0); // b to the next region
  }
  for (let rep = 0; rep < 20; rep++) {
    // Each page looked up again (through the slots) every time round.
    c.tc.flush();
    for (let k = 0; k < REGIONS; k++) {
      c.pc = regionAt(k);
      c.runSlicePages(rep % 4 === 3 ? 2 : 64);
    }
  }
  c.jitThreshold = JIT_NEVER;
}

/** Distinct translated regions the warm-up's dispatcher calls. */
const REGIONS = 6;

/** The physical (and effective) address of the warm-up's second memory slot. */
const SECOND_SLOT = 0x100000;

/** Entries into the interpreter (16 branches each) after which V8 has allocated its feedback vector. */
const INTERPRETER_FEEDBACK_RUNS = 200;

/** Calls that make V8 allocate a small function's feedback vector (its lazy allocation budget is 8 runs). */
const FEEDBACK_CALLS = 9;

/** The register state `g`/`f`, as about to execute the instruction at CODE, leaving any exit or wait. */
function setRegisters(c: Cpu, g: number, f: number): void {
  c.exit = CoreExit.None;
  c.abort = false;
  c.waiting = false;
  c.mmioLogLen = c.mmioLogPos = 0;
  c.gpr.fill(g);
  c.fpr.fill(f);
  c.cr = c.lr = c.ctr = g | 0;
  c.setXer(0);
  c.fpscr = 0;
  c.setMsr(MSR.FP); // floating-point instructions run their real path
  c.setPid(0);
  c.pc = CODE;
  c.nip = CODE + 4;
  c.sliceEnd = 1;
}
