// KVM_CAP_SW_TLB and KVM_DIRTY_TLB: the guest TLB shared with userspace.

import type { Cpu } from '../core/cpu.js';
import { TLB0_ENTRIES, TLB0_WAYS, TLB1_ENTRIES, TLB_BYTES, TLB_ENTRIES } from '../core/mmu/tlbarray.js';
import { KVM_MMU_FSL_BOOKE_HV, KVM_MMU_FSL_BOOKE_NOHV } from './constants.js';
import { fail } from './errors.js';

/** struct kvm_config_tlb, with the userspace addresses replaced by the memory they point to. */
export interface KvmConfigTlb {
  /** struct kvm_book3e_206_tlb_params (64 bytes, big-endian u32s). */
  params: Uint8Array;
  /** The shared array of struct kvm_book3e_206_tlb_entry (24 bytes each). */
  array: Uint8Array;
  mmuType: number;
  /** Bytes userspace reserved for the array (safety check, as in KVM). */
  arrayLen: number;
}

export const TLB_PARAMS_BYTES = 64;

/** Build the params structure for the e500mc geometry (TLB0 512x4, TLB1 64 fully associative). */
export function e500mcTlbParams(): Uint8Array {
  const p = new Uint8Array(TLB_PARAMS_BYTES);
  const dv = new DataView(p.buffer);
  dv.setUint32(0, TLB0_ENTRIES);
  dv.setUint32(4, TLB1_ENTRIES);
  dv.setUint32(16, TLB0_WAYS);
  dv.setUint32(20, TLB1_ENTRIES);
  return p;
}

/** Validate a configuration completely; returns the array to attach. */
export function checkConfig(cfg: KvmConfigTlb): Uint8Array {
  if (cfg === null || typeof cfg !== 'object') fail('EFAULT', 'kvm_config_tlb must be an object');
  if (cfg.mmuType !== KVM_MMU_FSL_BOOKE_NOHV && cfg.mmuType !== KVM_MMU_FSL_BOOKE_HV) {
    fail('EINVAL', `unknown mmu_type ${cfg.mmuType}`);
  }
  if (!(cfg.params instanceof Uint8Array) || cfg.params.byteLength < TLB_PARAMS_BYTES) {
    fail('EFAULT', 'params must be a Uint8Array of at least 64 bytes');
  }
  if (!(cfg.array instanceof Uint8Array)) fail('EFAULT', 'array must be a Uint8Array');
  const dv = new DataView(cfg.params.buffer, cfg.params.byteOffset, TLB_PARAMS_BYTES);
  const sizes = [0, 1, 2, 3].map((i) => dv.getUint32(i * 4));
  const ways = [0, 1, 2, 3].map((i) => dv.getUint32(16 + i * 4));
  for (let i = 8; i < 16; i++) if (dv.getUint32(i * 4) !== 0) fail('EINVAL', 'reserved params fields must be zero');
  if (sizes[2] !== 0 || sizes[3] !== 0 || ways[2] !== 0 || ways[3] !== 0) fail('EINVAL', 'e500mc has two TLBs');
  if (sizes[0] !== TLB0_ENTRIES || ways[0] !== TLB0_WAYS) {
    fail('EINVAL', `TLB0 geometry ${sizes[0]}x${ways[0]} is not the core's ${TLB0_ENTRIES} entries, ${TLB0_WAYS}-way`);
  }
  if (sizes[1] !== TLB1_ENTRIES || ways[1] !== TLB1_ENTRIES) {
    fail('EINVAL', `TLB1 geometry ${sizes[1]}x${ways[1]} is not the core's ${TLB1_ENTRIES} entries, fully associative`);
  }
  if (!Number.isInteger(cfg.arrayLen) || cfg.arrayLen < TLB_BYTES) {
    fail('EINVAL', `array_len ${cfg.arrayLen} is less than the ${TLB_BYTES} bytes the TLB needs`);
  }
  if (cfg.array.byteLength < cfg.arrayLen) fail('EFAULT', 'array is shorter than array_len');
  return cfg.array.subarray(0, TLB_BYTES);
}

/** Apply KVM_DIRTY_TLB: userspace changed the marked entries of the array the core uses. */
export function applyDirty(c: Cpu, bitmap: Uint8Array | null, numDirty: number): void {
  if (bitmap !== null && !(bitmap instanceof Uint8Array)) fail('EFAULT', 'bitmap must be a Uint8Array');
  const need = Math.ceil(TLB_ENTRIES / 64) * 8;
  if (bitmap !== null && bitmap.byteLength < need) fail('EFAULT', `bitmap must cover ${TLB_ENTRIES} entries (${need} bytes)`);
  if (!Number.isInteger(numDirty) || numDirty < 0) fail('EINVAL', 'num_dirty must be a non-negative integer');
  // The entries' old contents are gone (userspace overwrote them in place),
  // so every cached translation may be stale.
  c.tlb.rebuildTlb1Index();
  c.tc.flush();
}
