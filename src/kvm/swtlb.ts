// KVM_CAP_SW_TLB, KVM_DIRTY_TLB and tkvm's lazy TLB (TKVM_CAP_LAZY_TLB):
// the guest TLB shared with userspace.
//
// Two modes (docs/api.md specifies them):
//  - always synchronized (KVM's): the core's TLB storage *is* the userspace
//    array, so after every exit the array is the TLB;
//  - lazy: the core keeps the TLB in a private buffer and the guest's
//    tlbwe/tlbivax/tlbilx never touch the shared array; userspace copies
//    what it needs with syncTlb (whole TLB, one TLB, or one TLB0 set).
// In both modes the core marks every entry it writes (TlbArray.changed), so
// syncTlb can tell userspace which entries changed since they were last
// synchronized, and KVM_DIRTY_TLB carries userspace's own writes the other
// way (in lazy mode by copying the marked entries into the private TLB).

import type { Cpu } from '../core/cpu.js';
import { forgetEntry } from '../core/isa/tlb.js';
import {
  TLB0_ENTRIES, TLB0_SETS, TLB0_WAYS, TLB1_ENTRIES, TLB_BYTES, TLB_ENTRIES, TLB_ENTRY_BYTES, tsizeBytes,
} from '../core/mmu/tlbarray.js';
import { TLB1CFG_E500MC } from '../core/spr.js';
import { checkFields, hex, popcount } from './check.js';
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

/** What a TLB synchronization covers (tkvm's struct tkvm_sync_tlb, without the bitmap). */
export interface TlbSyncScope {
  /** 0 or 1: only that TLB. Absent: both. */
  tlb?: number;
  /** With tlb 0: only this TLB0 set (0..127). */
  set?: number;
}

export const TLB_PARAMS_BYTES = 64;
/** Bytes of a KVM_DIRTY_TLB or sync bitmap: one bit per entry, rounded up to 64 bits. */
export const TLB_BITMAP_BYTES = Math.ceil(TLB_ENTRIES / 64) * 8;

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

const V = 0x80000000 | 0;
const IPROT = 0x40000000;
/** MAS1 bits an entry can hold: V, IPROT, TID, TS, TSIZE (MAV 1.0). */
const MAS1_BITS = 0xc0ff1f00 | 0;
const TLB1_MINSIZE = (TLB1CFG_E500MC >>> 20) & 0xf;
const TLB1_MAXSIZE = (TLB1CFG_E500MC >>> 16) & 0xf;

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** Validate a configuration completely; returns the array to attach. */
export function checkConfig(cfg: KvmConfigTlb): Uint8Array {
  const o = checkFields(cfg, ['params', 'array', 'mmuType', 'arrayLen'], 'kvm_config_tlb');
  if (o.mmuType === KVM_MMU_FSL_BOOKE_HV) {
    fail('EINVAL', 'mmu_type KVM_MMU_FSL_BOOKE_HV: the vCPU has no hypervisor TLB state (MAS8); use KVM_MMU_FSL_BOOKE_NOHV');
  }
  if (o.mmuType !== KVM_MMU_FSL_BOOKE_NOHV) fail('EINVAL', `unknown mmu_type ${String(o.mmuType)}`);
  if (!(o.params instanceof Uint8Array) || o.params.byteLength < TLB_PARAMS_BYTES) {
    fail('EFAULT', 'params must be a Uint8Array of at least 64 bytes (struct kvm_book3e_206_tlb_params)');
  }
  if (!(o.array instanceof Uint8Array)) fail('EFAULT', 'array must be a Uint8Array');
  const dv = new DataView(o.params.buffer, o.params.byteOffset, TLB_PARAMS_BYTES);
  const sizes = [0, 1, 2, 3].map((i) => dv.getUint32(i * 4));
  const ways = [0, 1, 2, 3].map((i) => dv.getUint32(16 + i * 4));
  for (let i = 8; i < 16; i++) if (dv.getUint32(i * 4) !== 0) fail('EINVAL', `params.reserved[${i - 8}] must be zero`);
  // The rules api.rst and the header give for these MMU types...
  if (sizes[2] !== 0 || sizes[3] !== 0 || ways[2] !== 0 || ways[3] !== 0) fail('EINVAL', 'TLB2 and TLB3 are reserved: their sizes and ways must be zero');
  if (!isPow2(ways[0]) || ways[0] < 2 || ways[0] > 16) fail('EINVAL', `TLB0 ways ${ways[0]} is not a power of two between 2 and 16`);
  if (sizes[0] % ways[0] !== 0 || !isPow2(sizes[0] / ways[0])) fail('EINVAL', `TLB0 size ${sizes[0]} is not a power-of-two number of ${ways[0]}-way sets`);
  if (sizes[1] > 64) fail('EINVAL', `TLB1 size ${sizes[1]} exceeds 64 entries`);
  if (ways[1] !== sizes[1]) fail('EINVAL', 'TLB1 must be fully associative (tlb_ways[1] = tlb_sizes[1])');
  // ...then what this core can honour: exactly its own geometry.
  if (sizes[0] !== TLB0_ENTRIES || ways[0] !== TLB0_WAYS) {
    fail('EINVAL', `TLB0 geometry ${sizes[0]}x${ways[0]}-way is valid but not the core's (${TLB0_ENTRIES} entries, ${TLB0_WAYS}-way)`);
  }
  if (sizes[1] !== TLB1_ENTRIES) fail('EINVAL', `TLB1 size ${sizes[1]} is valid but not the core's ${TLB1_ENTRIES} entries`);
  if (typeof o.arrayLen !== 'number' || !Number.isInteger(o.arrayLen) || o.arrayLen < 0 || o.arrayLen > 0xffffffff) {
    fail('EINVAL', 'array_len must be a u32');
  }
  if (o.arrayLen < TLB_BYTES) fail('EINVAL', `array_len ${o.arrayLen} is less than the ${TLB_BYTES} bytes this geometry needs`);
  if (o.array.byteLength < o.arrayLen) fail('EFAULT', `array (${o.array.byteLength} bytes) is shorter than array_len ${o.arrayLen}`);
  return o.array.subarray(0, TLB_BYTES);
}

function entryName(i: number): string {
  return i < TLB0_ENTRIES
    ? `entry ${i} (TLB0 set ${i >>> 2} way ${i & 3})`
    : `entry ${i} (TLB1 entry ${i - TLB0_ENTRIES})`;
}

/**
 * Why entry i of the array cannot be in an e500mc TLB, or null. Anything the
 * guest's tlbwe can produce passes, so a TLB read from the array can always
 * be written back.
 */
export function entryError(dv: DataView, i: number): string | null {
  const o = i * TLB_ENTRY_BYTES;
  const mas8 = dv.getUint32(o), mas1 = dv.getInt32(o + 4);
  const mas2hi = dv.getUint32(o + 8), mas2 = dv.getUint32(o + 12);
  const mas7 = dv.getUint32(o + 16), mas3 = dv.getUint32(o + 20);
  const at = entryName(i);
  if (mas8 !== 0) return `${at}: mas8 ${hex(mas8)} must be 0 (KVM_MMU_FSL_BOOKE_NOHV entries have no hypervisor fields)`;
  if ((mas1 & ~MAS1_BITS) !== 0) return `${at}: mas1 ${hex(mas1)} sets reserved bits ${hex(mas1 & ~MAS1_BITS)}`;
  if (mas2hi !== 0) return `${at}: mas2 ${hex(mas2hi)}_${hex(mas2).slice(2)} is wider than a 32-bit effective address`;
  if ((mas2 & 0xfe0) !== 0) return `${at}: mas2 ${hex(mas2)} sets reserved bits ${hex(mas2 & 0xfe0)}`;
  if ((mas7 & ~0xf) !== 0) return `${at}: MAS7 ${hex(mas7)} holds only real-address bits 32..35`;
  if ((mas3 & 0xc00) !== 0) return `${at}: mas3 ${hex(mas3)} sets reserved bits ${hex(mas3 & 0xc00)}`;
  const tlb0 = i < TLB0_ENTRIES;
  if (tlb0 && (mas1 & IPROT) !== 0) return `${at}: TLB0 entries have no IPROT`;
  if ((mas1 & V) === 0) return null;
  const tsize = (mas1 >>> 8) & 0xf;
  if (tlb0) {
    if (tsize !== 1) return `${at}: the tsize of a TLB0 entry must be 1 (4 KiB), got ${tsize}`;
    const set = (mas2 >>> 12) & (TLB0_SETS - 1);
    if (set !== i >>> 2) return `${at}: EPN ${hex(mas2 & 0xfffff000)} belongs to set ${set}`;
    return null;
  }
  if (tsize < TLB1_MINSIZE || tsize > TLB1_MAXSIZE) {
    return `${at}: tsize ${tsize} is outside TLB1CFG's ${TLB1_MINSIZE}..${TLB1_MAXSIZE}`;
  }
  const size = tsizeBytes(mas1);
  const low = size >= 0x100000000 ? 0xfffff000 : (size - 1) & 0xfffff000;
  if ((mas2 & low) !== 0) return `${at}: EPN ${hex(mas2 & 0xfffff000)} is not aligned to the ${size / 1024} KiB page`;
  return null;
}

function checkBitmap(bitmap: unknown, what: string): Uint8Array {
  if (!(bitmap instanceof Uint8Array)) fail('EFAULT', `${what} must be a Uint8Array`);
  if (bitmap.byteLength < TLB_BITMAP_BYTES) fail('EFAULT', `${what} must cover ${TLB_ENTRIES} entries (${TLB_BITMAP_BYTES} bytes)`);
  return bitmap;
}

function copyEntry(from: DataView, to: DataView, i: number): void {
  const o = i * TLB_ENTRY_BYTES;
  for (let k = 0; k < TLB_ENTRY_BYTES; k += 4) to.setInt32(o + k, from.getInt32(o + k));
}

/** The guest TLB of one vCPU as the API sees it. */
export class GuestTlb {
  /** The userspace array (KVM_CAP_SW_TLB), or null before configuration. */
  shared: Uint8Array | null = null;
  private sharedDv: DataView | null = null;
  lazy = false;
  /** The core's own storage in lazy mode. */
  private privateBytes: Uint8Array | null = null;
  /** Always-synchronized mode: entries userspace wrote that failed KVM_DIRTY_TLB's checks. */
  readonly badEntries = new Set<number>();

  constructor(private readonly c: Cpu) {}

  /** KVM_ENABLE_CAP(KVM_CAP_SW_TLB). The array's contents become the TLB. */
  configure(cfg: KvmConfigTlb): void {
    const array = checkConfig(cfg);
    const dv = new DataView(array.buffer, array.byteOffset, TLB_BYTES);
    for (let i = 0; i < TLB_ENTRIES; i++) {
      const err = entryError(dv, i);
      if (err !== null) fail('EINVAL', `the array is not a valid TLB: ${err}`);
    }
    this.shared = array;
    this.sharedDv = dv;
    this.badEntries.clear();
    const tlb = this.c.tlb;
    if (this.lazy) {
      const priv = this.privateStorage();
      priv.set(array);
      tlb.attach(priv);
    } else {
      tlb.attach(array);
    }
    // The TLB now equals the array: nothing is unsynchronized.
    tlb.changed.fill(0);
    this.c.tc.flush();
  }

  /** TKVM_CAP_LAZY_TLB on (true) or off. */
  setLazy(on: boolean): void {
    if (on === this.lazy) return;
    this.lazy = on;
    const shared = this.shared;
    if (shared === null) return;
    const tlb = this.c.tlb;
    if (on) {
      const priv = this.privateStorage();
      priv.set(shared);
      tlb.attach(priv);
    } else {
      shared.set(tlb.bytes);
      tlb.attach(shared);
    }
  }

  private privateStorage(): Uint8Array {
    if (this.privateBytes === null) this.privateBytes = new Uint8Array(TLB_BYTES);
    return this.privateBytes;
  }

  private configured(op: string): DataView {
    if (this.sharedDv === null) fail('EINVAL', `${op} needs a shared TLB: enable KVM_CAP_SW_TLB first`);
    return this.sharedDv;
  }

  /** KVM_DIRTY_TLB: userspace changed the entries marked in `bitmap` (null: all of them). */
  dirty(bitmap: Uint8Array | null, numDirty: number): void {
    const shared = this.configured('KVM_DIRTY_TLB');
    if (bitmap !== null) checkBitmap(bitmap, 'bitmap');
    if (typeof numDirty !== 'number' || !Number.isInteger(numDirty) || numDirty < 0 || numDirty > 0xffffffff) {
      fail('EINVAL', 'num_dirty must be a u32');
    }
    const marked = bitmap === null ? TLB_ENTRIES : popcount(bitmap, TLB_ENTRIES);
    if (numDirty !== marked) fail('EINVAL', `num_dirty ${numDirty} is not the number of marked entries (${marked})`);
    const isMarked = (i: number): boolean => bitmap === null || ((bitmap[i >>> 3] >> (i & 7)) & 1) !== 0;
    const c = this.c;
    const tlb = c.tlb;
    const errors: string[] = [];
    for (let i = 0; i < TLB_ENTRIES; i++) {
      if (!isMarked(i)) continue;
      const err = entryError(shared, i);
      if (err !== null) errors.push(err);
    }
    if (this.lazy) {
      if (errors.length > 0) fail('EINVAL', `KVM_DIRTY_TLB: ${errors.join('; ')}`);
      for (let i = 0; i < TLB_ENTRIES; i++) {
        if (!isMarked(i)) continue;
        forgetEntry(c, i);
        copyEntry(shared, tlb.dv, i);
        // The new entry may shadow a cached translation of another one.
        forgetEntry(c, i);
        tlb.changed[i >>> 5] &= ~(1 << (i & 31));
      }
      tlb.rebuildTlb1Index();
      return;
    }
    // Always synchronized: the array is the TLB, so the entries are in it
    // already; the old translations are unknown, so all cached ones go.
    for (let i = 0; i < TLB_ENTRIES; i++) {
      if (!isMarked(i)) continue;
      tlb.changed[i >>> 5] &= ~(1 << (i & 31));
      if (entryError(shared, i) === null) this.badEntries.delete(i);
      else this.badEntries.add(i);
    }
    tlb.rebuildTlb1Index();
    c.tc.flush();
    if (errors.length > 0) {
      fail('EINVAL', `KVM_DIRTY_TLB: ${errors.join('; ')} (the vCPU will not run until these entries are fixed and marked again)`);
    }
  }

  /**
   * tkvm's TLB synchronization: bring the shared array up to date for the
   * scope and report, in `changedOut` (little-endian bits like KVM_DIRTY_TLB's;
   * bits outside the scope untouched), the entries that changed since they
   * were last synchronized. Returns how many.
   */
  sync(scope: TlbSyncScope | undefined, changedOut: Uint8Array | null | undefined): number {
    const shared = this.configured('TKVM_SYNC_TLB');
    let first = 0, end = TLB_ENTRIES;
    if (scope !== undefined) {
      const s = checkFields(scope, ['tlb', 'set'], 'tkvm_sync_tlb');
      if (s.tlb !== undefined) {
        if (s.tlb !== 0 && s.tlb !== 1) fail('EINVAL', `tkvm_sync_tlb.tlb ${String(s.tlb)} is not 0 or 1`);
        first = s.tlb === 0 ? 0 : TLB0_ENTRIES;
        end = s.tlb === 0 ? TLB0_ENTRIES : TLB_ENTRIES;
      }
      if (s.set !== undefined) {
        if (s.tlb !== 0) fail('EINVAL', 'tkvm_sync_tlb.set needs tlb 0 (only TLB0 has sets)');
        if (typeof s.set !== 'number' || !Number.isInteger(s.set) || s.set < 0 || s.set >= TLB0_SETS) {
          fail('EINVAL', `tkvm_sync_tlb.set ${String(s.set)} is not in [0, ${TLB0_SETS})`);
        }
        first = s.set * TLB0_WAYS;
        end = first + TLB0_WAYS;
      }
    }
    const out = changedOut === undefined || changedOut === null ? null : checkBitmap(changedOut, 'changed bitmap');
    const tlb = this.c.tlb;
    const changed = tlb.changed;
    const copy = this.lazy;
    const priv = tlb.dv;
    let n = 0;
    for (let i = first; i < end; i++) {
      const word = changed[i >>> 5];
      if (word === 0 && (i & 31) === 0 && i + 32 <= end) {
        // A whole 32-entry word unchanged: its 4 bitmap bytes are zero.
        if (out !== null) {
          const o = i >>> 3;
          out[o] = out[o + 1] = out[o + 2] = out[o + 3] = 0;
        }
        i += 31;
        continue;
      }
      const bit = 1 << (i & 31);
      if ((word & bit) === 0) {
        if (out !== null) out[i >>> 3] &= ~(1 << (i & 7));
        continue;
      }
      if (copy) copyEntry(priv, shared, i);
      changed[i >>> 5] = word & ~bit;
      if (out !== null) out[i >>> 3] |= 1 << (i & 7);
      n++;
    }
    return n;
  }
}
