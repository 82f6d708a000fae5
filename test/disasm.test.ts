// The API's disassembler (TKVM): names from the vCPU's own instruction table,
// in the style of QEMU's monitor (x/i).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { disassembleText } from '../src/kvm/index.js';

test('disassembler: base and simplified mnemonics, operands, branch targets', () => {
  const cases: [number, number, string][] = [
    [0x3c601001, 0x100000, 'lis      r3, 0x1001'],
    [0x7c709ba6, 0x100004, 'mtspr    0x270, r3'],
    [0x48000000, 0xf3fa94, 'b        0xf3fa94'],
    [0x815eff60, 0, 'lwz      r10, -0xa0(r30)'],
    [0x89230000, 0, 'lbz      r9, 0(r3)'],
    [0x60630500, 0, 'ori      r3, r3, 0x500'],
    [0x60000000, 0, 'nop'],
    [0x4e800020, 0, 'blr'],
    [0x4082fff0, 0x1000, 'bne      0xff0'],
    [0x419e0010, 0x2000, 'beq      cr7, 0x2010'],
    [0x4200fff8, 0x3000, 'bdnz     0x2ff8'],
    [0x7c0802a6, 0, 'mflr     r0'],
    [0x7fe3fb78, 0, 'mr       r3, r31'],
    [0x2c030000, 0, 'cmpwi    r3, 0'],
    [0x7c641a15, 0, 'add.     r3, r4, r3'],
    [0x7c641e14, 0, 'addo     r3, r4, r3'],
    [0x44000002, 0, 'sc'],
    [0x44000022, 0, 'sc       1'],
    [0x7c00007c, 0, 'wait'],
    [0xfc20102a, 0, 'fadd     f1, f0, f2'],
    [0x00dddd00, 0, '.long    0xdddd00'],
  ];
  for (const [w, a, want] of cases) assert.equal(disassembleText(w, a), want, `0x${w.toString(16)}`);
});
