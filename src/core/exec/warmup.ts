// Warming up the page interpreter before it runs guest code.
//
// V8 optimizes the interpreter's big `switch` once it is hot; a case that
// never ran until then has no type feedback, and the first guest instruction
// of that kind throws the optimized code away (a deoptimization, then a new
// optimization of the whole function, tens of milliseconds each). Running
// every instruction kind once, in a scratch vCPU with its own memory, gives
// every case its feedback up front, so the interpreter is optimized once.

import { Cpu } from '../cpu.js';
import { InstructionClock } from '../clock.js';
import type { Decoder, InsnDef } from '../isa/decode.js';
import { PhysMemory, RamSlot } from '../physmem.js';

const warmed = new WeakSet<Decoder>();
const CODE = 0x10000;

/** One encoding of a table line, with all operand fields zero. */
function encode(d: InsnDef): number {
  return ((d.op << 26) | (d.xo >= 0 ? d.xo << 1 : 0)) | 0;
}

export function warmUp(dec: Decoder): void {
  if (warmed.has(dec)) return;
  warmed.add(dec);
  const mem = new PhysMemory();
  const size = 0x40000;
  const buf = new ArrayBuffer(size);
  mem.replace([new RamSlot(0, 0, size, buf, 0, false, false)]);
  const dv = new DataView(buf);
  const c = new Cpu(dec, mem, new InstructionClock(400e6, 0.4));
  // TLB1 entry 0: 256 KiB at 0, supervisor and user read/write/execute.
  c.tlb.write(512, 0xc0000000 | (4 << 8), 0, 0x3f, 0, 0);
  const words = [0x00000000, ...dec.defById.filter((d): d is InsnDef => d !== undefined).map(encode)];
  for (let rep = 0; rep < 2; rep++) {
    for (const w of words) {
      c.reset();
      c.tlb.write(512, 0xc0000000 | (4 << 8), 0, 0x3f, 0, 0);
      c.tc.flush();
      c.msr = 0x2000; // MSR[FP]: floating-point instructions run their real path
      dv.setInt32(CODE, w);
      dv.setInt32(CODE + 4, 0x48000000); // b .
      c.mem.slots[0].dropCode(CODE);
      c.pc = CODE;
      c.runSlicePages(2);
    }
  }
}
