import { test } from 'node:test';
import assert from 'node:assert/strict';
import { e500mcDecoder, allInsns } from '../src/core/isa/index.js';

test('the instruction table builds a decoder without conflicts', () => {
  const d = e500mcDecoder();
  assert.equal(d.allDefs().length, new Set(allInsns).size);
});

test('decoder finds instructions by encoding', () => {
  const d = e500mcDecoder();
  assert.equal(d.lookup(0x38210010)?.name, 'addi'); // addi r1,r1,16
  assert.equal(d.lookup(0x7c632214)?.name, 'add'); // add r3,r3,r4
  assert.equal(d.lookup(0x7c632614)?.name, 'add'); // addo r3,r3,r4 (OE=1 decodes to the same line)
  assert.equal(d.lookup(0x4e800020)?.name, 'bclr'); // blr
  assert.equal(d.lookup(0x7c0004ac)?.name, 'sync');
  assert.equal(d.lookup(0x7c6300de)?.name, 'isel');
  assert.equal(d.lookup(0x00000000), undefined);
});

test('every mnemonic appears once', () => {
  const names = allInsns.map((i) => i.name);
  assert.equal(new Set(names).size, names.length, 'duplicate mnemonics in the table');
});
