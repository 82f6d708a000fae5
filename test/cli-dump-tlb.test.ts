// `tkvm run -dump-tlb` prints the guest TLB as QEMU's `info tlb` does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, runTkvm, requireQemu } from './support/host.js';
import { spawnQemu } from '../src/platform/node/qemu.js';

const ELF = join(ROOT, 'test/guests/tlbdump.elf');
const base = ['run', '-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-kernel', ELF];

/** QEMU's `info tlb` after the guest powered off (-no-shutdown keeps the monitor). */
function qemuInfoTlb(): Promise<string> {
  return new Promise((resolve, reject) => {
    const q = spawnQemu([...base.slice(1), '-no-shutdown', '-monitor', 'stdio', '-serial', 'null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    q.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => q.stdin!.write('info tlb\nquit\n'), 1500);
    const kill = setTimeout(() => q.kill(), 15000);
    q.on('error', reject);
    q.on('close', () => {
      clearTimeout(timer);
      clearTimeout(kill);
      resolve(out);
    });
  });
}

/** The TLB0/TLB1 sections of a dump, without terminal escapes and monitor prompts. */
function sections(s: string): string {
  const clean = s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
  const start = clean.indexOf('TLB0:');
  assert.ok(start >= 0, `no TLB dump in:\n${clean}`);
  return clean.slice(start).split('\n').filter((l) => l.startsWith('TLB') || l.startsWith('0x') || l.startsWith('Effective')).join('\n');
}

test('-dump-tlb prints the TLB the guest wrote when it exits', () => {
  const r = runTkvm([...base, '-dump-tlb']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /tlb written/);
  const lines = sections(r.stderr).split('\n');
  assert.deepEqual(lines.slice(0, 2), ['TLB0:', 'Effective          Physical           Size TID   TS SRWX URWX WIMGE U0123']);
  assert.ok(lines.includes('0x0000000040002000 0x0000000300456000   4K 0     1  S---URWX --M-- U----'));
  assert.ok(lines.includes('0x00000000a0040000 0x0000000000040000 256K 0     0  S--XUR-- ----- U----'));
  assert.equal(lines.filter((l) => l.startsWith('0x')).length, 9, 'three TLB0 entries, six TLB1 entries');
  assert.doesNotMatch(runTkvm(base).stderr, /TLB0/, 'nothing without the option');
});

test('-dump-tlb matches QEMU\'s `info tlb` for the same guest', async (t) => {
  if (!requireQemu(t)) return;
  const ours = sections(runTkvm([...base, '-dump-tlb']).stderr);
  const qemu = sections(await qemuInfoTlb());
  assert.equal(ours, qemu);
});
