import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulhs, mulhu, rotMask } from '../src/core/isa/integer.js';

const samples = [0, 1, -1, 2, 0x7fffffff, -0x80000000, 0x12345678, -0x12345678, 0xffff, 0x10000, -0x10001, 0x55555555, 0xaaaaaaaa | 0];

test('mulhw and mulhwu match exact 64-bit products', () => {
  for (const a of samples) for (const b of samples) {
    const s = Number(BigInt.asIntN(32, (BigInt(a) * BigInt(b)) >> 32n));
    const u = Number(BigInt.asIntN(32, (BigInt(a >>> 0) * BigInt(b >>> 0)) >> 32n));
    assert.equal(mulhs(a, b), s, `mulhw ${a} ${b}`);
    assert.equal(mulhu(a, b), u, `mulhwu ${a} ${b}`);
  }
});

test('rotate masks follow the IBM bit numbering and wrap', () => {
  assert.equal(rotMask(0, 31) >>> 0, 0xffffffff);
  assert.equal(rotMask(16, 31) >>> 0, 0x0000ffff);
  assert.equal(rotMask(0, 15) >>> 0, 0xffff0000);
  assert.equal(rotMask(31, 0) >>> 0, 0x80000001);
  assert.equal(rotMask(5, 5) >>> 0, 0x04000000);
});
