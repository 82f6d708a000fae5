// A vCPU in a worker thread: kicked and inspected from the main thread, exits handled across threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cap, ExitReason, KVM_EXIT_HYPERCALL_UNHANDLED, KVM_INTERRUPT_SET, TLB0_ENTRIES, TLB_BITMAP_BYTES, TLB_BYTES, openKvm,
} from '../src/kvm/index.js';
import { VcpuThread } from '../src/platform/node/vcpu-thread.js';
import { addi, b, isync, li32, lis, lwz, mtspr, ori, sc, stw, tlbwe, wait, wrteei } from './support/asm.js';
import {
  CODE, MMIO_EA, MMIO_PA, MSR_ME, RAM_BYTES, TLB1_MMIO, TLB1_RAM, TLB_MODES, VECTOR_HCALL, bitsOf, putTlbEntry,
} from './support/guest.js';

interface Guest {
  ram: SharedArrayBuffer;
  dv: DataView;
  tlb: SharedArrayBuffer;
  tlbDv: DataView;
}

function guest(code: number[]): Guest {
  const ram = new SharedArrayBuffer(RAM_BYTES);
  const dv = new DataView(ram);
  const tlb = new SharedArrayBuffer(TLB_BYTES);
  const tlbDv = new DataView(tlb);
  putTlbEntry(tlbDv, TLB0_ENTRIES, TLB1_RAM.mas1, TLB1_RAM.mas2, TLB1_RAM.mas3);
  putTlbEntry(tlbDv, TLB0_ENTRIES + 1, TLB1_MMIO.mas1, TLB1_MMIO.mas2, TLB1_MMIO.mas3, TLB1_MMIO.mas7);
  for (let n = 0; n < 16; n++) [lis(11, VECTOR_HCALL >>> 16), ori(11, 11, n), sc(1)].forEach((w, k) => dv.setUint32(n * 0x100 + 4 * k, w));
  code.forEach((w, k) => dv.setUint32(CODE + 4 * k, w));
  return { ram, dv, tlb, tlbDv };
}

async function start(g: Guest, lazy: boolean): Promise<VcpuThread> {
  // Register templates from a scratch vCPU of this thread.
  const scratch = openKvm().createVm().createVcpu(0);
  const sregs = scratch.getSregs();
  sregs.e.ivorLow = sregs.e.ivorLow.map((_, n) => n * 0x100);
  const regs = scratch.getRegs();
  regs.pc = CODE;
  regs.msr = MSR_ME;
  return VcpuThread.start({
    regions: [{ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: RAM_BYTES, memory: g.ram }],
    tlb: { array: g.tlb, lazy },
    vmCaps: [[Cap.EXIT_HYPERCALL, [KVM_EXIT_HYPERCALL_UNHANDLED]]],
    sregs, regs, syncRegs: true, spin: 2000,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait for a condition the guest makes true (no assumption about host speed; 20 s at most). */
async function until(cond: () => boolean): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > 20_000) throw new Error('the guest made no progress in 20 s');
    await sleep(5);
  }
}

for (const mode of TLB_MODES) {
  test(`[${mode}] a vCPU thread is kicked from the main thread, which then reads its registers, memory and TLB`, async () => {
    const ea = 0x20004000, entry = ((ea >>> 12) & 127) * 4 + 1;
    const g = guest([
      ...li32(5, 0x00010000), mtspr(624, 5), ...li32(5, 0x80000100), mtspr(625, 5), ...li32(5, ea), mtspr(626, 5),
      ...li32(5, 0x00777000 | 0x3f), mtspr(627, 5), isync(), tlbwe(), isync(),
      ...li32(4, 0x8000), addi(3, 3, 1), stw(3, 0, 4), b(-8),
    ]);
    const t = await start(g, mode === 'lazy');
    try {
      // Let the guest run (however fast this machine is) until its counter in shared RAM moves.
      await until(() => g.dv.getUint32(0x8000) > 1000);
      t.kick();
      assert.equal(t.waitExit(5000), ExitReason.INTR);
      const r1 = t.regs();
      assert.ok(r1.gpr[3] > 1000, `the guest ran (${r1.gpr[3]} iterations)`);
      assert.ok(r1.pc >= CODE && r1.pc < CODE + 4 * 40, `pc 0x${r1.pc.toString(16)} in the loop`);
      const stored = g.dv.getUint32(0x8000);
      assert.ok(stored === r1.gpr[3] || stored === r1.gpr[3] - 1, 'guest RAM is shared');
      const v = g.tlbDv.getUint32(entry * 24 + 4);
      if (mode === 'lazy') assert.equal(v, 0, 'lazy: the tlbwe is not in the shared array yet');
      else assert.equal(v, 0x80000100, 'synchronized: the array is the TLB');
      const changed = new Uint8Array(TLB_BITMAP_BYTES);
      assert.equal(t.syncTlb(changed), 1);
      assert.deepEqual(bitsOf(changed), [entry]);
      assert.equal(g.tlbDv.getUint32(entry * 24 + 20), 0x0077703f);
      t.resume();
      await until(() => g.dv.getUint32(0x8000) > r1.gpr[3] + 10);
      t.kick();
      assert.equal(t.waitExit(5000), ExitReason.INTR);
      assert.ok(t.regs().gpr[3] > r1.gpr[3], 'resumed and ran on');
      assert.equal(t.exits, 2);
    } finally {
      await t.stop();
    }
  });
}

test('MMIO exits handled in the main thread for a vCPU in a worker', async () => {
  const g = guest([...li32(4, MMIO_EA), lwz(5, 0, 4), addi(5, 5, 1), stw(5, 4, 4), b(-12)]);
  const t = await start(g, false);
  try {
    for (let k = 0; k < 200; k++) {
      assert.equal(t.waitExit(5000), ExitReason.MMIO, `read ${k}`);
      assert.equal(t.run.mmioPhysAddr, MMIO_PA);
      assert.equal(t.run.mmioIsWrite, false);
      t.run.setMmioValue(k * 3);
      t.resume();
      assert.equal(t.waitExit(5000), ExitReason.MMIO, `write ${k}`);
      assert.equal(t.run.mmioPhysAddr, MMIO_PA + 4);
      assert.equal(t.run.mmioValue(), k * 3 + 1, 'the guest computed with the value we gave');
      t.resume();
    }
  } finally {
    await t.stop();
  }
});

test('a waiting vCPU thread sleeps, and an interrupt from the main thread wakes it', async () => {
  const g = guest([wrteei(1), wait(), b(0)]);
  // After its `sc 1` the external interrupt's vector spins, so the kick
  // below, not the next word (a program interrupt, another exit), ends the
  // run: before, the test raced the worker to it and sometimes lost.
  g.dv.setUint32(0x400 + 12, b(0));
  const t = await start(g, false);
  try {
    // Let start-up work (V8's background compilation of the worker) settle first.
    await sleep(300);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(300);
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    assert.equal(t.waitExit(0), -1, 'still in KVM_RUN');
    assert.ok((cpu.user + cpu.system) / 1000 < wall * 0.3, `process used ${(cpu.user + cpu.system) / 1000} ms of CPU in ${wall} ms`);
    t.interrupt(KVM_INTERRUPT_SET);
    assert.equal(t.waitExit(5000), ExitReason.HYPERCALL);
    assert.equal(t.run.hypercallNr, (VECTOR_HCALL | 4) >>> 0, 'the external interrupt vector');
    assert.equal(t.regs().srr0, CODE + 8, 'after the wait');
    t.resume();
    t.kick();
    assert.equal(t.waitExit(5000), ExitReason.INTR, 'a kick also ends KVM_RUN');
  } finally {
    await t.stop();
  }
});
