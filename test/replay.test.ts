// Deterministic execution (-icount): time base, decrementer and MPIC timers
// run on the instruction count, so a guest whose output depends on when its
// interrupts land (guests/src/replay.c) prints the same bytes every run, and
// a run restored from a snapshot taken anywhere goes on to print exactly
// what the uninterrupted run printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, runTkvm } from './support/host.js';
import { makeSession, rng } from './support/session.js';

const REPLAY = join(ROOT, 'guests/bin/replay.elf');

test('-icount: two runs of the same guest print the same bytes (and host time does not)', () => {
  const run = (extra: string[]) => runTkvm(['run', '-M', 'ppce500', '-m', '64', '-nographic', '-kernel', REPLAY, ...extra]);
  const a = run(['-icount', '0']), b = run(['-icount', '0']);
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout, /SUMMARY: PASS/);
  assert.ok(a.stdout.split('\n').length > 40, 'the guest printed its events');
  assert.equal(b.stdout, a.stdout, 'same output');
  const c = run(['-icount', 'shift=2']);
  assert.match(c.stdout, /SUMMARY: PASS/);
  assert.notEqual(c.stdout, a.stdout, 'another shift is another timing');
});

async function reference(icount: number): Promise<{ out: string; insns: number }> {
  const r = makeSession({ elf: 'replay.elf', icount });
  const out = await r.finish();
  return { out, insns: r.session.machine.icount() };
}

test('a snapshot taken at random instruction counts, restored and continued, prints what the uninterrupted run printed', async () => {
  const ref = await reference(0);
  assert.match(ref.out, /SUMMARY: PASS/);
  const seed = Date.now() % 1_000_000;
  const rand = rng(seed);
  const points = [1, ...Array.from({ length: 6 }, () => 1 + Math.floor(rand() * (ref.insns - 1)))];
  for (const n of points) {
    const a = makeSession({ elf: 'replay.elf', icount: 0 });
    assert.equal(await a.runTo(n), 'paused', `seed ${seed}: stopped at ${n}`);
    const before = a.text();
    a.session.savevm('snap');
    a.session.quit();
    const b = makeSession({ elf: 'replay.elf', icount: 0, files: a.files });
    b.session.loadvm('snap');
    const after = await b.finish();
    assert.equal(before + after, ref.out, `seed ${seed}: snapshot at instruction ${n}`);
  }
});

test('a chain of incremental snapshots restores to the same continuation (lazy TLB too)', async () => {
  const ref = await reference(1);
  for (const lazyTlb of [false, true]) {
    const a = makeSession({ elf: 'replay.elf', icount: 1, lazyTlb });
    await a.runTo(400_000);
    a.session.savevm('full');
    await a.runTo(900_000);
    a.session.savevm('inc1', true);
    await a.runTo(1_300_000);
    a.session.savevm('inc2', true);
    const before = a.text();
    a.session.quit();
    const b = makeSession({ elf: 'replay.elf', icount: 1, files: a.files, lazyTlb: !lazyTlb });
    b.session.loadvm('inc2');
    assert.equal(before + await b.finish(), ref.out, `lazy TLB ${lazyTlb}`);
  }
});
