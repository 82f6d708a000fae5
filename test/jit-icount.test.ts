// With deterministic time (-icount) a guest's run is a function of the
// instructions it executes, so the translator and the interpreter must give
// byte-identical runs: the same console output, the same exit, the same
// instruction count at every event. Every guest of the kit runs with
// translation forced on from the first execution and with it off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, ROOT } from './support/host.js';

const BIN = join(ROOT, 'guests/bin');
const guests = readdirSync(BIN).filter((f) => f.endsWith('.elf') && f !== 'gdbtest.elf');

for (const g of guests) {
  test(`${g}: the same run under -icount with translation forced and off`, () => {
    const run = (jit: string) => spawnSync(process.execPath, [CLI, 'run', '-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic',
      '-icount', '0', '-no-reboot', '-d', 'exit,jit', '-accel', `tkvm,jit=${jit}`, '-kernel', join(BIN, g)],
    { encoding: 'latin1', timeout: 120_000, maxBuffer: 256 << 20, input: '' });
    const off = run('off'), force = run('force');
    assert.equal(force.status, off.status, `exit status: ${force.stderr}`);
    assert.equal(force.stdout, off.stdout, 'console output');
    // -d exit: every vCPU exit with the instruction count it happened at;
    // but the ends of host time slices (INTR), which depend on the host.
    const exits = (s: string) => s.split('\n').filter((l) => l.startsWith('tkvm: exit ') && !l.includes('exit INTR')).join('\n');
    assert.doesNotMatch(force.stderr, /FAILED/, 'every translation succeeded');
    assert.match(force.stderr, /regions +[1-9]/, 'code was translated');
    assert.equal(exits(force.stderr), exits(off.stderr), 'the exits, each at the same instruction');
    assert.match(off.stderr, /exit MMIO/, 'exits were traced');
  });
}
