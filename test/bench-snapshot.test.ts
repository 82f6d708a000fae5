// The snapshot benchmark module runs (the lead's bench/run.ts imports it),
// and shows what incremental snapshots are for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchSnapshot, formatSnapshot } from '../bench/snapshot.js';

test('bench/snapshot.ts: full and incremental snapshot of an idle guest, and a restore', async () => {
  const r = await benchSnapshot({ workload: 'kit', idleMs: 100 });
  assert.equal(r.workload, 'kit');
  assert.ok(r.full.bytes > 16 << 20, 'the full snapshot holds the 16 MiB of data');
  assert.ok(r.incremental.bytes < 16 << 10, `an idle guest's incremental snapshot is small (${r.incremental.bytes} bytes)`);
  assert.match(formatSnapshot(r), /full snapshot .*\n {2}incremental .*\n {2}restore/);
});
