// virtio-mmio transport and devices, driven by a test "driver" over the
// register interface, with queues in a guest memory buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory } from '../src/vmm/guest-memory.js';
import { VirtioMmio } from '../src/vmm/devices/virtio/mmio.js';
import { VirtioBlk, type BlockStorage } from '../src/vmm/devices/virtio/blk.js';
import { VirtioRng } from '../src/vmm/devices/virtio/rng.js';
import { VirtioConsole } from '../src/vmm/devices/virtio/console.js';

const bswap32 = (v: number) => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

class MemStorage implements BlockStorage {
  flushes = 0;
  constructor(readonly data: Uint8Array, readonly readOnly = false) {}
  get size() { return this.data.length; }
  read(o: number, into: Uint8Array) { into.set(this.data.subarray(o, o + into.length)); }
  write(o: number, d: Uint8Array) { this.data.set(d, o); }
  flush() { this.flushes++; }
}

/** A minimal virtio driver: registers via the transport as a big-endian CPU would see them. */
class Driver {
  readonly ram = new Uint8Array(1 << 20);
  readonly mem = new GuestMemory();
  readonly dv = new DataView(this.ram.buffer);
  irq = false;
  dev: VirtioMmio;
  logs: string[] = [];
  avail = 0x10000; desc = 0x11000; used = 0x12000;
  nextDesc = 0; availIdx = 0; usedSeen = 0;
  constructor(backend: ConstructorParameters<typeof VirtioMmio>[1]) {
    this.mem.addRegion(0, this.ram);
    this.dev = new VirtioMmio(this.mem, backend, (l) => { this.irq = l; }, (m) => this.logs.push(m));
  }
  r(off: number) { return bswap32(this.dev.read(off, 4)); }
  w(off: number, v: number) { this.dev.write(off, 4, bswap32(v)); }
  init(queueSize = 16, features = [0, 1]) {
    assert.equal(this.r(0), 0x74726976);
    assert.equal(this.r(4), 2);
    this.w(0x70, 0); this.w(0x70, 1); this.w(0x70, 3);
    this.w(0x14, 0); const f0 = this.r(0x10);
    this.w(0x14, 1); const f1 = this.r(0x10);
    assert.equal(f1 & 1, 1, 'VERSION_1 offered');
    this.w(0x24, 0); this.w(0x20, f0 & features[0] ? f0 : 0);
    this.w(0x24, 1); this.w(0x20, 1);
    this.w(0x70, 0xb);
    assert.equal(this.r(0x70) & 8, 8, 'FEATURES_OK accepted');
    this.w(0x30, 0);
    assert.ok(this.r(0x34) >= queueSize);
    this.w(0x38, queueSize);
    this.w(0x80, this.desc); this.w(0x90, this.avail); this.w(0xa0, this.used);
    this.w(0x44, 1);
    this.w(0x70, 0xf);
    this.qsize = queueSize;
  }
  qsize = 16;
  /** Queue a chain of [addr, len, writable] buffers; returns its head. */
  submit(bufs: [number, number, boolean][]) {
    const head = this.nextDesc;
    bufs.forEach(([addr, len, wr], k) => {
      const d = this.desc + 16 * (this.nextDesc + k);
      this.dv.setBigUint64(d, BigInt(addr), true);
      this.dv.setUint32(d + 8, len, true);
      this.dv.setUint16(d + 12, (k < bufs.length - 1 ? 1 : 0) | (wr ? 2 : 0), true);
      this.dv.setUint16(d + 14, this.nextDesc + k + 1, true);
    });
    this.nextDesc += bufs.length;
    this.dv.setUint16(this.avail + 4 + 2 * (this.availIdx % this.qsize), head, true);
    this.availIdx++;
    this.dv.setUint16(this.avail + 2, this.availIdx, true);
    this.w(0x50, 0);
    return head;
  }
  usedIdx() { return this.dv.getUint16(this.used + 2, true); }
}

function blkRequest(d: Driver, type: number, sector: number, dataAddr: number, dataLen: number, write: boolean) {
  d.dv.setUint32(0x20000, type, true);
  d.dv.setUint32(0x20004, 0, true);
  d.dv.setBigUint64(0x20008, BigInt(sector), true);
  d.ram[0x20100] = 0xff;
  const bufs: [number, number, boolean][] = [[0x20000, 16, false]];
  if (dataLen > 0) bufs.push([dataAddr, dataLen, !write]);
  bufs.push([0x20100, 1, true]);
  d.submit(bufs);
  return d.ram[0x20100];
}

test('virtio-blk reads, writes and flushes sectors', () => {
  const disk = new Uint8Array(64 * 512);
  for (let i = 0; i < disk.length; i++) disk[i] = (i * 7) & 0xff;
  const st = new MemStorage(disk);
  const d = new Driver(new VirtioBlk(st));
  d.init();
  assert.equal(Number(new DataView(d.dev.backend.config.buffer).getBigUint64(0, true)), 64, 'capacity in sectors');
  assert.equal(blkRequest(d, 0, 3, 0x30000, 1024, false), 0, 'read OK');
  assert.deepEqual(d.ram.subarray(0x30000, 0x30400), disk.subarray(3 * 512, 5 * 512));
  assert.equal(d.usedIdx(), 1);
  assert.ok(d.irq, 'used-buffer interrupt');
  assert.equal(d.r(0x60) & 1, 1);
  d.w(0x64, 1);
  assert.ok(!d.irq, 'interrupt acknowledged');
  d.ram.fill(0xab, 0x31000, 0x31200);
  assert.equal(blkRequest(d, 1, 10, 0x31000, 512, true), 0, 'write OK');
  assert.ok(disk.subarray(5120, 5632).every((b) => b === 0xab));
  assert.equal(blkRequest(d, 4, 0, 0, 0, false), 0, 'flush OK');
  assert.equal(st.flushes, 1);
  assert.equal(blkRequest(d, 0, 63, 0x30000, 1024, false), 1, 'read past the end: IOERR');
  assert.equal(blkRequest(d, 99, 0, 0, 0, false), 2, 'unknown request: UNSUPP');
});

test('virtio-blk honours read-only drives', () => {
  const disk = new Uint8Array(8 * 512);
  const d = new Driver(new VirtioBlk(new MemStorage(disk, true)));
  d.init();
  d.w(0x14, 0);
  assert.equal((d.r(0x10) >>> 5) & 1, 1, 'VIRTIO_BLK_F_RO offered');
  d.ram.fill(1, 0x31000, 0x31200);
  assert.equal(blkRequest(d, 1, 0, 0x31000, 512, true), 1, 'write to a read-only disk fails');
  assert.ok(disk.every((b) => b === 0));
});

test('a malformed descriptor chain sets DEVICE_NEEDS_RESET instead of crashing', () => {
  const d = new Driver(new VirtioBlk(new MemStorage(new Uint8Array(4096))));
  d.init();
  // A descriptor pointing outside guest RAM.
  d.submit([[0x7fffff000, 16, false], [0x20100, 1, true]]);
  assert.equal(d.r(0x70) & 0x40, 0x40);
  assert.ok(d.logs.some((l) => /needs reset/.test(l)));
  // A chain that loops.
  const d2 = new Driver(new VirtioBlk(new MemStorage(new Uint8Array(4096))));
  d2.init();
  d2.dv.setBigUint64(d2.desc, 0x20000n, true);
  d2.dv.setUint32(d2.desc + 8, 16, true);
  d2.dv.setUint16(d2.desc + 12, 1, true);
  d2.dv.setUint16(d2.desc + 14, 0, true);
  d2.dv.setUint16(d2.avail + 4, 0, true);
  d2.dv.setUint16(d2.avail + 2, 1, true);
  d2.w(0x50, 0);
  assert.equal(d2.r(0x70) & 0x40, 0x40);
  // Features outside the offer are refused.
  const d3 = new Driver(new VirtioRng());
  d3.w(0x70, 3);
  d3.w(0x24, 0); d3.w(0x20, 0x80000000);
  d3.w(0x24, 1); d3.w(0x20, 1);
  d3.w(0x70, 0xb);
  assert.equal(d3.r(0x70) & 8, 0, 'FEATURES_OK refused');
});

test('virtio-rng fills buffers; virtio-console carries both directions', () => {
  let n = 0;
  const d = new Driver(new VirtioRng((b) => b.fill(0x5a + (n++ & 0))));
  d.init();
  d.submit([[0x40000, 256, true]]);
  assert.equal(d.usedIdx(), 1);
  assert.equal(d.dv.getUint32(d.used + 8, true), 256);
  assert.ok(d.ram.subarray(0x40000, 0x40100).every((b) => b === 0x5a));

  const out: number[] = [];
  const con = new VirtioConsole((b) => out.push(...b));
  const c = new Driver(con);
  c.init();
  // queue 1 (transmit)
  c.w(0x30, 1); c.w(0x38, 16); c.w(0x80, 0x50000); c.w(0x90, 0x51000); c.w(0xa0, 0x52000); c.w(0x44, 1);
  c.ram.set(new TextEncoder().encode('hi!'), 0x60000);
  c.dv.setBigUint64(0x50000, 0x60000n, true); c.dv.setUint32(0x50008, 3, true);
  c.dv.setUint16(0x51004, 0, true); c.dv.setUint16(0x51002, 1, true);
  c.w(0x50, 1);
  assert.equal(String.fromCharCode(...out), 'hi!');
  // receive: queue 0 buffer, then input
  c.submit([[0x70000, 8, true]]);
  con.input(new TextEncoder().encode('ok'), c.dev);
  assert.equal(c.dv.getUint32(c.used + 8, true), 2);
  assert.equal(String.fromCharCode(c.ram[0x70000], c.ram[0x70001]), 'ok');
});
