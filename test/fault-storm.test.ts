// A guest whose every instruction faults (here: the vectors point at zeros,
// an illegal instruction, so each program interrupt raises another) must
// not keep the core forever: execute(budget) returns and the caller can
// look at kicks and time slices. Run in a child process, so a regression
// shows as a time-out instead of hanging the test runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './support/host.js';

const script = `
import { Cpu } from '${join(ROOT, 'dist/src/core/cpu.js')}';
import { e500mcDecoder } from '${join(ROOT, 'dist/src/core/isa/index.js')}';
import { PhysMemory, RamSlot } from '${join(ROOT, 'dist/src/core/physmem.js')}';
const ram = new ArrayBuffer(1 << 20);
const mem = new PhysMemory();
mem.replace([new RamSlot(0, 0, ram.byteLength, ram, 0, false, false)]);
const c = new Cpu(e500mcDecoder(), mem);
c.tlb.write(512, (0x80000000 | (5 << 8)) | 0, 0, 0x3f, 0, 0); // 1 MiB at 0
c.tc.flush();
c.pc = c.nip = 0x1000; // zeros: illegal; IVPR = IVOR6 = 0: the vector is illegal too
const exit = c.execute(10000);
if (exit !== 0) throw new Error('unexpected exit ' + exit); // CoreExit.None
if (c.spr[26] !== 0) throw new Error('SRR0 should be the vector itself by now');
console.log('returned');
`;

test('an interrupt storm does not keep execute() from returning', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.signal, null, 'execute() did not return (killed after 20 s)');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /returned/);
});
