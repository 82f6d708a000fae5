// Saving and restoring the whole machine: what a snapshot holds, and that a
// corrupt, truncated or mismatched one (another RAM size, a replaced parent,
// state a device or the vCPU refuses) is refused with one clear message
// while the running guest goes on untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSnapshot, writeSnapshot, SnapshotError } from '../src/vmm/snapshot/format.js';
import type { BlockStorage } from '../src/vmm/devices/virtio/blk.js';
import { ROOT, runTkvm } from './support/host.js';
import { makeSession, zlib } from './support/session.js';

async function reference(): Promise<string> {
  return makeSession({ elf: 'replay.elf', icount: 0 }).finish();
}

/** Rewrite one section of a snapshot file (with valid checksums: only the contents are wrong). */
function patch(file: Uint8Array, tag: string, f: (data: Uint8Array) => Uint8Array): Uint8Array {
  const sections = readSnapshot(file, zlib).map((s) => (s.tag === tag ? { tag, data: f(s.data) } : s));
  return writeSnapshot(sections, zlib);
}

function patchJson(file: Uint8Array, tag: string, f: (v: Record<string, unknown>) => void): Uint8Array {
  return patch(file, tag, (d) => {
    const v = JSON.parse(new TextDecoder().decode(d));
    f(v);
    return new TextEncoder().encode(JSON.stringify(v));
  });
}

test('bad snapshots are refused with one clear message; the running guest goes on untouched', async () => {
  const ref = await reference();
  const a = makeSession({ elf: 'replay.elf', icount: 0 });
  await a.runTo(1_000_000);
  a.session.savevm('good');
  const good = a.files.get('good')!;
  const other = makeSession({ elf: 'replay.elf', icount: 0, ramMiB: 128 });
  await other.runTo(10_000);
  other.session.savevm('big');
  a.files.set('big', other.files.get('big')!);
  other.session.quit();

  const flip = good.slice();
  flip[Math.floor(flip.length / 2)] ^= 0x40;
  const bad: [string, Uint8Array, RegExp][] = [
    ['corrupt', flip, /corrupt/],
    ['truncated', good.subarray(0, good.length - 100), /truncated|corrupt/],
    ['empty', new Uint8Array(0), /not a tkvm snapshot/],
    ['text', new TextEncoder().encode('not a snapshot at all, just text'), /not a tkvm snapshot/],
    ['other RAM size', a.files.get('big')!, /128 MiB of RAM; this one has 64 MiB/],
    ['other machine', patchJson(good, 'META', (m) => { m.machine = 'mpc8544ds'; }), /mpc8544ds/],
    ['device state', patchJson(good, 'DEVS', (d) => { (d.serial as Record<string, unknown>).ier = 999; }), /serial\.ier/],
    ['missing device', patchJson(good, 'DEVS', (d) => { delete d.rtc; }), /lacks device rtc/],
    ['extra device', patchJson(good, 'DEVS', (d) => { d['virtio-blk'] = {}; }), /virtio-blk that this machine lacks/],
    ['vCPU state', patchJson(good, 'CPU0', (c) => { (c.regs as Record<string, unknown>).pc = 3; }), /vCPU state is not valid/],
    ['TLB entry', patch(good, 'TLB0', (d) => {
      const t = d.slice();
      // TLB1 entry 0 (index 512) valid with TSIZE 15, which TLB1 does not take.
      const o = 4 + 72 + 512 * 24;
      new DataView(t.buffer).setUint32(o + 4, 0x80000f00);
      return t;
    }), /vCPU state is not valid.*entry/],
    ['RAM section', patch(good, 'RAM0', (d) => d.subarray(0, d.length - 4096)), /RAM0/],
    ['missing section', writeSnapshot(readSnapshot(good, zlib).filter((s) => s.tag !== 'DEVS'), zlib), /no DEVS section/],
  ];
  const m = a.session.machine;
  const pc = m.vcpu.getRegs().pc;
  for (const [what, bytes, msg] of bad) {
    a.files.set('bad', bytes);
    assert.throws(() => a.session.loadvm('bad'), (e: unknown) => {
      assert.ok(e instanceof SnapshotError, `${what}: ${String(e)}`);
      assert.match(e.message, msg, what);
      assert.ok(!e.message.includes('\n'), `${what}: one line`);
      return true;
    });
    assert.equal(a.session.machine, m, `${what}: the machine was not replaced`);
    assert.equal(m.vcpu.getRegs().pc, pc, `${what}: the vCPU was not touched`);
  }
  assert.throws(() => a.session.loadvm('missing'), /no such file/);
  assert.equal(a.session.state, 'paused');
  // The guest goes on as if nothing happened.
  assert.equal(await a.finish(), ref);
});

test('incremental snapshots: only what changed, with a checked parent', async () => {
  const a = makeSession({ elf: 'replay.elf', icount: 0 });
  await a.runTo(200_000);
  assert.throws(() => a.session.savevm('inc', true), /no parent/);
  // 8 MiB of data the guest does not touch: the full snapshot carries it, the next one does not.
  const m = a.session.machine;
  const junk = new Uint8Array(8 << 20);
  for (let i = 0; i < junk.length; i += 65536) crypto.getRandomValues(junk.subarray(i, i + 65536)); // incompressible
  m.writePhys(32 << 20, junk);
  const full = a.session.savevm('full');
  await a.runTo(250_000);
  const inc = a.session.savevm('inc', true);
  const size = (f: string) => a.files.get(f)!.length;
  assert.ok(size('full') > 8 << 20, full);
  assert.ok(size('inc') < size('full') / 50, `${inc} vs ${full}`);
  assert.match(inc, /incremental/);
  const pagesStored = (report: string) => Number(/(\d+) pages stored/.exec(report)![1]);
  assert.ok(pagesStored(inc) < 64, inc);
  assert.ok(pagesStored(full) >= 2048, full);
  const expected = await (async () => {
    const b = makeSession({ elf: 'replay.elf', icount: 0, files: a.files });
    b.session.loadvm('inc');
    assert.deepEqual(b.session.machine.readPhys(32 << 20, junk.length), junk, 'the parent\'s pages came back');
    return b.finish();
  })();
  assert.match(expected, /SUMMARY: PASS/);
  // A parent replaced by another snapshot is refused (its id does not match).
  const c = makeSession({ elf: 'replay.elf', icount: 0, files: a.files });
  await c.runTo(100_000);
  c.session.savevm('full');
  assert.throws(() => c.session.loadvm('inc'), /parent snapshot 'full' is not the one/);
  a.files.delete('full');
  assert.throws(() => c.session.loadvm('inc'), /parent snapshot 'full': cannot read/);
});

test('a snapshot of a waiting guest with software breakpoints: the breakpoints are not in it', async () => {
  const a = makeSession({ elf: 'replay.elf', icount: 0 });
  await a.runTo(300_000);
  const m = a.session.machine;
  const pc = m.vcpu.getRegs().pc;
  const word = new DataView(m.ram).getUint32(0x100000);
  assert.ok(m.insertSwBreakpoint(0x100000));
  assert.notEqual(new DataView(m.ram).getUint32(0x100000), word);
  assert.equal(new DataView(m.readPhys(0x100000, 4)!.buffer).getUint32(0), word, 'hidden from reads');
  a.session.savevm('s');
  const b = makeSession({ elf: 'replay.elf', icount: 0, files: a.files });
  b.session.loadvm('s');
  assert.equal(new DataView(b.session.machine.ram).getUint32(0x100000), word, 'original instruction saved');
  assert.equal(b.session.machine.vcpu.getRegs().pc, pc);
});

test('a snapshot moves between host time and -icount; time goes on from where it was saved', async () => {
  const ref = await reference();
  const a = makeSession({ elf: 'replay.elf', icount: 0 });
  await a.runTo(1_500_000);
  a.session.savevm('s');
  const tb = a.session.machine.vcpu.getSregs().e.tb;
  const b = makeSession({ elf: 'replay.elf', files: a.files }); // host time
  b.session.loadvm('s');
  assert.ok(b.session.machine.vcpu.getSregs().e.tb >= tb, 'the time base does not go back');
  assert.match(await b.finish(), /SUMMARY: PASS/);
  const c = makeSession({ elf: 'replay.elf', icount: 3, files: a.files });
  c.session.loadvm('s');
  assert.match(await c.finish(), /SUMMARY: PASS/);
  assert.match(ref, /SUMMARY: PASS/);
});

test('-loadvm with a missing or corrupt snapshot: one line, no guest output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-loadvm-'));
  try {
    const bad = join(dir, 'bad.snap');
    writeFileSync(bad, 'TKVMSNAP but then nothing sensible');
    for (const [file, msg] of [[join(dir, 'none.snap'), /-loadvm .*none\.snap: cannot read snapshot .*: no such file/], [bad, /-loadvm .*bad\.snap: snapshot /]] as const) {
      const r = runTkvm(['run', '-m', '64', '-kernel', join(ROOT, 'guests/bin/hello.elf'), '-loadvm', file], { timeoutMs: 20_000 });
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, msg);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('virtio devices: in the snapshot, checked against the machine; a writable disk refuses savevm (as QEMU)', async () => {
  const disk = (readOnly: boolean): BlockStorage => ({
    size: 1 << 20, readOnly, read: (_o, into) => into.fill(0), write: () => {}, flush: () => {},
  });
  const a = makeSession({ elf: 'replay.elf', icount: 0, rng: true, drives: [disk(true)] });
  await a.runTo(100_000);
  a.session.savevm('s');
  const devs = JSON.parse(new TextDecoder().decode(readSnapshot(a.files.get('s')!, zlib).find((x) => x.tag === 'DEVS')!.data));
  assert.deepEqual(Object.keys(devs).filter((k) => k.startsWith('virtio')), ['virtio_mmio@0', 'virtio_mmio@200']);
  assert.equal(devs['virtio_mmio@200'].deviceId, 4, 'the entropy source');
  // Restored into a machine with the same devices: fine; without them, or with others: refused.
  const same = makeSession({ elf: 'replay.elf', icount: 0, rng: true, drives: [disk(true)], files: a.files });
  same.session.loadvm('s');
  const none = makeSession({ elf: 'replay.elf', icount: 0, files: a.files });
  assert.throws(() => none.session.loadvm('s'), /snapshot has devices virtio_mmio@0, virtio_mmio@200 that this machine lacks/);
  const swapped = makeSession({ elf: 'replay.elf', icount: 0, rng: true, drives: [disk(true), disk(true)], files: a.files });
  assert.throws(() => swapped.session.loadvm('s'), /virtio device 2: the snapshot has virtio device 4 here|lacks device/);
  const rw = makeSession({ elf: 'replay.elf', icount: 0, drives: [disk(false)] });
  await rw.runTo(1000);
  assert.throws(() => rw.session.savevm('x'), /disk vda is writable but its contents are not saved in snapshots/);
  assert.equal(rw.files.size, 0);
});
