// The body of a vCPU thread (a worker_threads Worker): builds a VM whose
// memory is the SharedArrayBuffers it was given, creates one vCPU, hands
// its run structure to the parent, then runs KVM_RUN in a loop, publishing
// each exit and waiting for the parent's command (vcpu-handoff.ts).

import { parentPort, workerData } from 'node:worker_threads';
import {
  Cap, KVM_MMU_FSL_BOOKE_NOHV, KvmError, TLB_BITMAP_BYTES, TLB_BYTES, e500mcTlbParams, openKvm,
} from '../../kvm/index.js';
import { CHANGED_BITMAP_OFFSET, Command, DEFAULT_SPIN, H, State, publish, Waiter } from './vcpu-handoff.js';
import type { VcpuThreadConfig } from './vcpu-thread.js';

function main(cfg: VcpuThreadConfig): void {
  const kvm = openKvm();
  const vm = kvm.createVm();
  for (const r of cfg.regions) vm.setUserMemoryRegion(r);
  for (const [cap, args] of cfg.vmCaps ?? []) vm.enableCap(cap, args);
  const vcpu = vm.createVcpu(cfg.vcpuId ?? 0);
  if (cfg.tlb) {
    if (cfg.tlb.lazy) vcpu.enableCap(Cap.TKVM_LAZY_TLB, [1]);
    const array = new Uint8Array(cfg.tlb.array, cfg.tlb.byteOffset ?? 0, TLB_BYTES);
    vcpu.enableCap(Cap.SW_TLB, { params: e500mcTlbParams(), array, mmuType: KVM_MMU_FSL_BOOKE_NOHV, arrayLen: TLB_BYTES });
  }
  for (const [cap, args] of cfg.vcpuCaps ?? []) vcpu.enableCap(cap, args);
  if (cfg.sregs) vcpu.setSregs(cfg.sregs);
  if (cfg.regs) vcpu.setRegs(cfg.regs);
  const run = vcpu.runStructure;
  if (cfg.syncRegs) run.validRegs = 1n;
  const words = run.words;
  const waiter = new Waiter(cfg.spin ?? DEFAULT_SPIN);
  const changed = run.u8.subarray(CHANGED_BITMAP_OFFSET, CHANGED_BITMAP_OFFSET + TLB_BITMAP_BYTES);
  Atomics.store(words, H.STATE, State.RUNNING);
  parentPort!.postMessage({ runBuffer: vcpu.runBuffer });

  for (;;) {
    try {
      vcpu.run();
      Atomics.store(words, H.RESULT, 0);
    } catch (e) {
      if (!(e instanceof KvmError)) throw e;
      Atomics.store(words, H.RESULT, -e.errno);
    }
    Atomics.add(words, H.EXITS, 1);
    publish(words, State.EXITED);
    for (;;) {
      waiter.wait(words, State.EXITED);
      const cmd = Atomics.load(words, H.CMD);
      if (cmd === Command.RUN) {
        Atomics.store(words, H.STATE, State.RUNNING);
        break;
      }
      if (cmd === Command.SYNC_TLB) {
        let n: number;
        try {
          n = vcpu.syncTlb({}, changed);
        } catch (e) {
          if (!(e instanceof KvmError)) throw e;
          n = -e.errno;
        }
        Atomics.store(words, H.RESULT, n);
        publish(words, State.EXITED);
        continue;
      }
      // STOP, or anything unknown: leave.
      publish(words, State.STOPPED);
      return;
    }
  }
}

main(workerData as VcpuThreadConfig);
