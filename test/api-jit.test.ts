// TKVM_CAP_JIT (when code is translated) and TKVM_GET_JIT_STATS (what the
// translator did) through the API: the counters agree with what the guest
// ran, and the setting changes nothing but where instructions run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cap, ExitReason, Reg } from '../src/kvm/index.js';
import { add, addi, b, bl, li32, lwz, stw } from './support/asm.js';
import { CODE, makeVm, poke, runExpect, throwsErrno } from './support/guest.js';

const BLR = 0x4e800020;
const DATA = 0x9000, SUB = CODE + 0x1000;

/** A loop that loads, adds, stores and calls a subroutine in the next page, run for exactly `n` instructions. */
function runLoop(threshold: number, n: bigint) {
  const head = li32(5, DATA);
  const loop = [lwz(4, 0, 5), add(3, 3, 4), stw(3, 4, 5)];
  const callAt = CODE + 4 * (head.length + loop.length);
  const t = makeVm({ code: [...head, ...loop, bl(SUB - callAt), b(-4 * (loop.length + 1))] });
  poke(t, SUB, [addi(6, 6, 1), BLR]);
  t.dv.setUint32(DATA, 7);
  t.vcpu.enableCap(Cap.TKVM_JIT, [threshold]);
  t.vcpu.enableCap(Cap.TKVM_ICOUNT_CLOCK, [0]);
  t.vcpu.setOneReg(Reg.TKVM_ICOUNT_DEADLINE, n);
  runExpect(t, ExitReason.INTR, 'deadline');
  return t;
}

test('TKVM_GET_JIT_STATS: translated at once, the counters account for what ran', () => {
  const t = runLoop(1, 200_000n);
  const s = t.vcpu.jitStats();
  assert.equal(s.threshold, 1);
  assert.equal(BigInt(s.icount), t.vcpu.getOneReg(Reg.TKVM_ICOUNT), 'icount is TKVM_ICOUNT');
  assert.equal(s.icount, 200_000);
  assert.ok(s.regions >= 2, `the loop and the subroutine were translated (${s.regions} regions)`);
  assert.equal(s.failures, 0, s.lastFailure);
  assert.ok(s.translatedInstructions > 0.9 * s.icount && s.translatedInstructions <= s.icount,
    `most instructions ran translated: ${s.translatedInstructions} of ${s.icount}`);
  assert.ok(s.regionRuns > 10_000, `entries: ${s.regionRuns}`);
  // The loop's region calls into the other page and the subroutine's returns: each entry comes from translated code.
  assert.ok(s.regionToRegion > 0.9 * s.regionRuns, `region to region: ${s.regionToRegion} of ${s.regionRuns}`);
  // The first load and store miss the translation cache (and leave the translated code); the rest hit.
  assert.ok(s.tlbCacheLoadMisses >= 1 && s.tlbCacheLoadMisses < 10, `load misses ${s.tlbCacheLoadMisses}`);
  assert.ok(s.tlbCacheStoreMisses >= 1 && s.tlbCacheStoreMisses < 10, `store misses ${s.tlbCacheStoreMisses}`);
  assert.ok(s.regionMissExits >= 1 && s.regionMissExits < 10, `miss exits ${s.regionMissExits}`);
  assert.ok(s.tlbCacheFetchMisses >= 2, 'two code pages entered');
});

test('TKVM_CAP_JIT: with translation off nothing is translated, and the guest ends in the same state', () => {
  const on = runLoop(1, 123_457n), off = runLoop(0, 123_457n);
  const s = off.vcpu.jitStats();
  assert.equal(s.threshold, 0);
  assert.equal(s.regions, 0);
  assert.equal(s.translatedInstructions, 0);
  assert.equal(s.regionRuns, 0);
  assert.equal(s.icount, 123_457);
  assert.deepEqual(on.vcpu.getRegs(), off.vcpu.getRegs(), 'registers');
  assert.equal(on.dv.getUint32(DATA + 4), off.dv.getUint32(DATA + 4), 'the stored sum');
  assert.ok(off.vcpu.jitStats().tlbCacheLoadMisses >= 1);
});

test('TKVM_CAP_JIT: bad arguments are EINVAL and change nothing', () => {
  const t = runLoop(5000, 1000n);
  throwsErrno(() => t.vcpu.enableCap(Cap.TKVM_JIT, [0x80000000]), 'EINVAL');
  throwsErrno(() => t.vcpu.enableCap(Cap.TKVM_JIT, [1, 1]), 'EINVAL');
  assert.equal(t.vcpu.jitStats().threshold, 5000);
});
