// Device accesses follow the TLB at once: the core remembers the last
// translation of each access kind (MMIO pages are not in the translation
// cache proper), so a mapping changed by the guest (tlbwe), by userspace
// (the shared TLB and KVM_DIRTY_TLB) or a context switch (PID) must send
// the next access to the new physical address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../src/kvm/index.js';
import { b, isync, li32, mtspr, stw, tlbwe } from './support/asm.js';
import { MMIO_EA, MMIO_PA, TLB1_MMIO, bitmapOf, makeVm, putTlbEntry, runExpect } from './support/guest.js';

const MAS0 = 624, MAS1 = 625, MAS2 = 626, MAS3 = 627, MAS7 = 944, PID = 48;
const TLB0_ENTRIES = 512;
/** The MMIO window's 1 MiB page, moved up by 1 MiB. */
const MOVED_PA = MMIO_PA + 0x100000;

/** Code that writes TLB1 entry `esel` for the MMIO window's EA, with TID `tid`, onto physical `pa`. */
function mapWindow(esel: number, tid: number, pa: number): number[] {
  return [
    ...li32(6, (1 << 28) | (esel << 16)), mtspr(MAS0, 6),
    ...li32(6, (TLB1_MMIO.mas1 | (tid << 16)) >>> 0), mtspr(MAS1, 6),
    ...li32(6, TLB1_MMIO.mas2), mtspr(MAS2, 6),
    ...li32(6, ((pa % 2 ** 32) | 0x3f) >>> 0), mtspr(MAS3, 6),
    ...li32(6, Math.floor(pa / 2 ** 32)), mtspr(MAS7, 6),
    tlbwe(), isync(),
  ];
}

function expectStoreAt(t: ReturnType<typeof makeVm>, pa: number, what: string): void {
  runExpect(t, ExitReason.MMIO, what);
  assert.equal(t.run.mmioPhysAddr, pa, `${what}: physical address`);
  assert.equal(t.run.mmioIsWrite, true);
}

test('a tlbwe that moves the MMIO window sends the next store to the new address', () => {
  const t = makeVm({
    code: [...li32(4, MMIO_EA), stw(5, 0, 4), stw(5, 4, 4), ...mapWindow(1, 0, MOVED_PA), stw(5, 8, 4), stw(5, 12, 4), b(0)],
  });
  expectStoreAt(t, MMIO_PA, 'first store');
  expectStoreAt(t, MMIO_PA + 4, 'second store, same page');
  expectStoreAt(t, MOVED_PA + 8, 'after tlbwe');
  expectStoreAt(t, MOVED_PA + 12, 'and again');
});

test('userspace moving the MMIO window in the shared TLB (KVM_DIRTY_TLB) moves the next store', () => {
  const t = makeVm({ code: [...li32(4, MMIO_EA), stw(5, 0, 4), b(-4)] });
  expectStoreAt(t, MMIO_PA, 'before');
  expectStoreAt(t, MMIO_PA, 'the loop, same page');
  putTlbEntry(t.tlbDv, TLB0_ENTRIES + 1, TLB1_MMIO.mas1, TLB1_MMIO.mas2, (MOVED_PA % 2 ** 32) | 0x3f, Math.floor(MOVED_PA / 2 ** 32));
  t.vcpu.dirtyTlb(bitmapOf([TLB0_ENTRIES + 1]), 1);
  expectStoreAt(t, MOVED_PA, 'after KVM_DIRTY_TLB');
});

test('the same MMIO address under two PIDs reaches two devices', () => {
  const t = makeVm({
    code: [
      // TLB1 entry 1 (the window) for TID 1; entry 2: the same EA for TID 2, moved.
      ...mapWindow(1, 1, MMIO_PA), ...mapWindow(2, 2, MOVED_PA),
      ...li32(4, MMIO_EA),
      ...li32(7, 1), mtspr(PID, 7), isync(), stw(5, 0, 4),
      ...li32(7, 2), mtspr(PID, 7), isync(), stw(5, 0, 4),
      ...li32(7, 1), mtspr(PID, 7), isync(), stw(5, 0, 4),
      b(0),
    ],
  });
  expectStoreAt(t, MMIO_PA, 'PID 1');
  expectStoreAt(t, MOVED_PA, 'PID 2');
  expectStoreAt(t, MMIO_PA, 'PID 1 again');
});
