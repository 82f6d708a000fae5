// The MPIC as a state machine, driven through its registers as a guest
// would, with fake CPU lines and a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mpic } from '../src/vmm/devices/mpic.js';

function rig(cpus = 1) {
  const int: boolean[] = new Array(cpus).fill(false);
  const cint: boolean[] = new Array(cpus).fill(false);
  const unknown: string[] = [];
  const modes: boolean[] = [];
  let now = 0;
  let wake: number | null = null;
  const m = new Mpic(cpus, {
    int: (c, l) => { int[c] = l; },
    cint: (c, l) => { cint[c] = l; },
    modeChanged: (p) => modes.push(p),
    unknown: (o, s, w) => unknown.push(`${w ? 'w' : 'r'}${s}@${o.toString(16)}`),
  }, { nowNs: () => now, wakeAt: (ns) => { wake = ns; } });
  const r = (o: number) => m.read(o, 4) >>> 0;
  const w = (o: number, v: number) => m.write(o, 4, v >>> 0);
  return {
    m, int, cint, unknown, modes, r, w,
    advance: (ns: number) => { now += ns; if (wake !== null && now >= wake) m.tick(); },
    get wake() { return wake; },
  };
}

const IVPR = (n: number) => 0x10000 + n * 0x20;
const IDR = (n: number) => 0x10010 + n * 0x20;
const CTPR = 0x20080, IACK = 0x200a0, EOI = 0x200b0;
const src = (prio: number, vec: number, level = true) => (prio << 16) | vec | (level ? 0x00400000 : 0) | 0x00800000;

test('reset values are QEMU\'s', () => {
  const { r } = rig();
  assert.equal(r(0x1000), 0x00c30002); // FRR
  assert.equal(r(0x0), 0x00400402); // BRR1 (Linux reads it for the MPIC version)
  assert.equal(r(0x20000), 0x00400402);
  assert.equal(r(0x1020), 0); // GCR
  assert.equal(r(0x10e0), 0xffff); // SVR
  assert.equal(r(CTPR), 15);
  assert.equal(r(0x80), 15); // "this CPU" alias
  assert.equal(r(IVPR(0)), 0x80000000); // external: masked
  assert.equal(r(IVPR(42)), 0x80800000); // internal: masked, P
  assert.equal(r(IDR(42)), 1);
  assert.equal(r(0x1110), 0x80000000); // timer 0 inhibited
  assert.equal(r(IACK), 0xffff); // nothing pending: spurious
});

test('a level source: delivery, task priority, IACK, EOI, still asserted after EOI', () => {
  const t = rig();
  t.w(CTPR, 0);
  t.w(IVPR(42), src(5, 0x42));
  assert.equal(t.int[0], false);
  t.m.setIrq(42, true);
  assert.equal(t.int[0], true);
  assert.equal(t.r(IVPR(42)) & 0x40000000, 0x40000000, 'activity bit');
  t.w(CTPR, 5); // task priority at the source's: masked
  assert.equal(t.int[0], false);
  t.w(CTPR, 4);
  assert.equal(t.int[0], true);
  assert.equal(t.r(IACK), 0x42);
  assert.equal(t.int[0], false, 'in service: no re-delivery at the same priority');
  assert.equal(t.r(IACK), 0xffff, 'spurious while in service');
  t.w(EOI, 0);
  assert.equal(t.int[0], true, 'still asserted: pending again');
  t.r(IACK);
  t.m.setIrq(42, false);
  t.w(EOI, 0);
  assert.equal(t.int[0], false);
  assert.equal(t.r(IVPR(42)) & 0x40000000, 0);
});

test('masking and the destination register', () => {
  const t = rig();
  t.w(CTPR, 0);
  t.w(IVPR(42), src(5, 0x42) | 0x80000000);
  t.m.setIrq(42, true);
  assert.equal(t.int[0], false, 'masked');
  t.w(IVPR(42), src(5, 0x42));
  assert.equal(t.int[0], true);
  t.w(IDR(42), 0);
  assert.equal(t.int[0], false, 'no destination');
});

test('nesting: a higher priority interrupts one in service, EOI ends the highest first', () => {
  const t = rig();
  t.w(CTPR, 0);
  t.w(IVPR(42), src(3, 0x42));
  t.w(IVPR(43), src(9, 0x43));
  t.m.setIrq(42, true);
  assert.equal(t.r(IACK), 0x42);
  t.m.setIrq(43, true);
  assert.equal(t.int[0], true, 'priority 9 > 3 in service');
  assert.equal(t.r(IACK), 0x43);
  t.m.setIrq(43, false);
  t.m.setIrq(42, false);
  t.w(EOI, 0); // ends 0x43
  assert.equal(t.r(IVPR(42)) & 0x40000000, 0x40000000, '0x42 still in service');
  t.w(EOI, 0); // ends 0x42
  assert.equal(t.r(IVPR(42)) & 0x40000000, 0);
  // Same priority pending while one is in service waits for EOI.
  t.w(IVPR(44), src(3, 0x44));
  t.m.setIrq(42, true);
  t.r(IACK);
  t.m.setIrq(44, true);
  assert.equal(t.int[0], false);
  t.m.setIrq(42, false);
  t.w(EOI, 0);
  assert.equal(t.int[0], true);
  assert.equal(t.r(IACK), 0x44);
});

test('external edge sources latch an edge until IACK; polarity selects the edge', () => {
  const t = rig();
  t.w(CTPR, 0);
  t.w(IVPR(1), (4 << 16) | 0x11 | 0x00800000); // edge, rising
  t.m.setIrq(1, true);
  t.m.setIrq(1, false);
  assert.equal(t.int[0], true, 'latched');
  assert.equal(t.r(IACK), 0x11);
  t.w(EOI, 0);
  assert.equal(t.int[0], false);
  t.w(IVPR(2), (4 << 16) | 0x12); // edge, falling (P = 0)
  t.m.setIrq(2, true);
  assert.equal(t.int[0], false);
  t.m.setIrq(2, false);
  assert.equal(t.int[0], true);
  assert.equal(t.r(IACK), 0x12);
});

test('the highest priority wins', () => {
  const t = rig();
  t.w(CTPR, 0);
  t.w(IVPR(40), src(2, 0x40));
  t.w(IVPR(41), src(7, 0x41));
  t.w(IVPR(42), src(4, 0x42));
  for (const n of [40, 41, 42]) t.m.setIrq(n, true);
  assert.equal(t.r(IACK), 0x41);
});

test('IPIs: dispatch to the CPUs in the mask, one pending per CPU', () => {
  const t = rig(2);
  t.w(0x20080, 0);
  t.w(0x21080, 0);
  t.w(0x10a0, (6 << 16) | 0xa0); // IPI 0
  t.w(0x20040, 0b10); // to CPU 1 only
  assert.deepEqual(t.int, [false, true]);
  assert.equal(t.m.readAs(1, 0xa0, 4), 0xa0, 'IACK through the "this CPU" alias');
  assert.deepEqual(t.int, [false, false]);
  t.m.writeAs(1, 0xb0, 4, 0);
  assert.equal(t.m.readAs(1, 0x90, 4), 1, 'WHOAMI');
});

test('critical routing bypasses priorities and IACK', () => {
  const t = rig();
  t.w(IVPR(42), src(0, 0x42)); // priority 0 would never be delivered normally
  t.w(IDR(42), 0x40000000);
  t.m.setIrq(42, true);
  assert.equal(t.cint[0], true);
  assert.equal(t.int[0], false);
  t.m.setIrq(42, false);
  assert.equal(t.cint[0], false);
});

test('global timer: counts down at 25 MHz, reloads, toggles, interrupts', () => {
  const t = rig();
  t.w(CTPR, 0);
  t.w(0x1120, (8 << 16) | 0xf0); // GTVPR0
  t.w(0x1110, 25_000); // 1 ms period, counting
  assert.equal(t.wake, 1_000_000);
  t.advance(400_000);
  assert.equal(t.r(0x1100), 15_000);
  assert.equal(t.int[0], false);
  t.advance(600_000);
  assert.equal(t.int[0], true);
  assert.equal(t.r(0x1100) >>> 31, 1, 'toggle bit');
  assert.equal(t.r(IACK), 0xf0);
  t.w(EOI, 0);
  assert.equal(t.int[0], false);
  t.w(0x1110, 0x80000000 | 25_000); // inhibit: the count holds
  const held = t.r(0x1100);
  t.advance(5_000_000);
  assert.equal(t.r(0x1100), held);
  assert.equal(t.int[0], false);
});

test('GCR: reset, mixed and external proxy mode', () => {
  const t = rig();
  t.w(0x1020, 0x60000000);
  assert.deepEqual(t.modes, [true]);
  t.w(CTPR, 3);
  t.w(IVPR(42), src(5, 0x42));
  t.w(0x1020, 0x80000000); // reset
  assert.equal(t.r(0x1020), 0, 'RESET reads back 0, mode back to mixed');
  assert.deepEqual(t.modes, [true, false]);
  assert.equal(t.r(CTPR), 15);
  assert.equal(t.r(IVPR(42)), 0x80800000);
  t.w(0x1020, 0x20000000);
  assert.equal(t.r(0x1020), 0x20000000);
});

test('shared message-signalled interrupts: MSIIR sets, MSISR summarises, reading MSIR acknowledges', () => {
  const t = rig();
  t.w(CTPR, 0);
  t.w(IVPR(226), src(6, 0xe2));
  t.w(0x1740, (2 << 29) | (5 << 24)); // MSIR2 bit 5
  t.w(0x1740, (2 << 29) | (9 << 24));
  assert.equal(t.r(0x1720), 0b100);
  assert.equal(t.int[0], true);
  assert.equal(t.r(IACK), 0xe2);
  assert.equal(t.r(0x1620), (1 << 5) | (1 << 9));
  assert.equal(t.r(0x1620), 0, 'read clears');
  assert.equal(t.r(0x1720), 0);
  t.w(EOI, 0);
  assert.equal(t.int[0], false);
});

test('registers that do not exist are reported, not ignored', () => {
  const t = rig();
  t.r(0x1800); // message registers
  t.w(0x1000, 1); // FRR is read-only: silently (architecturally) ignored
  t.m.read(0x1020, 1);
  assert.deepEqual(t.unknown, ['r4@1800', 'r1@1020']);
});
