// Userspace's view of a vCPU's guest TLB, through the hypervisor API only:
// the shared KVM_CAP_SW_TLB array, brought up to date with syncTlb (a cheap
// no-op report in the always-synchronized mode, a copy in the lazy mode).
// An MMU walker (effective address -> real address for an address space and
// PID), a dump in the format of QEMU's `info tlb` for e500, and an
// incremental checkpoint that copies only the entries that changed.

import {
  TLB0_ENTRIES, TLB0_SETS, TLB0_WAYS, TLB1_ENTRIES, TLB_BITMAP_BYTES, TLB_BYTES, TLB_ENTRIES, TLB_ENTRY_BYTES,
  tsizeBytes, type Vcpu,
} from '../../kvm/index.js';

/**
 * How the view synchronizes before a translation: the whole TLB, only the
 * TLB0 set and TLB1 it needs, or not at all ('none': only right for the
 * always-synchronized mode, where the array is the TLB after every exit).
 */
export type SyncPolicy = 'full' | 'set' | 'none';

export interface TlbEntry {
  index: number;
  tlb: 0 | 1;
  /** Entry number inside its TLB (TLB0: set * 4 + way). */
  esel: number;
  valid: boolean;
  iprot: boolean;
  tid: number;
  ts: number;
  /** MAV 1.0 TSIZE (page = 4^tsize KiB). */
  tsize: number;
  size: number;
  /** Effective page number (page-aligned effective address). */
  epn: number;
  /** Real page number (page-aligned real address, up to 36 bits). */
  rpn: number;
  wimge: number;
  /** MAS3 permission bits: UX SX UW SW UR SR (0x20..0x01). */
  perms: number;
  /** MAS3 U0..U3 (0x200..0x40). */
  user: number;
}

export interface Translation {
  realAddress: number;
  entry: TlbEntry;
}

const V = 0x80000000;

export class GuestTlbView {
  private readonly dv: DataView;
  private readonly scratch = new Uint8Array(TLB_BITMAP_BYTES);
  /** Entries reported changed by this view's syncs and not yet checkpointed. */
  private readonly pending = new Uint8Array(TLB_BITMAP_BYTES);
  /** Scopes reused by every translation (no allocation per walk). */
  private readonly setScope = { tlb: 0, set: 0 };
  private readonly tlb1Scope = { tlb: 1 };

  constructor(private readonly vcpu: Vcpu, readonly array: Uint8Array, readonly policy: SyncPolicy = 'full') {
    if (array.byteLength < TLB_BYTES) throw new RangeError(`the shared TLB array needs ${TLB_BYTES} bytes`);
    this.dv = new DataView(array.buffer, array.byteOffset, TLB_BYTES);
  }

  /** Synchronize a scope and remember what changed for the next checkpoint. */
  private syncScope(scope?: { tlb?: number; set?: number }): number {
    const n = this.vcpu.syncTlb(scope, this.scratch);
    if (n > 0) for (let k = 0; k < TLB_BITMAP_BYTES; k++) this.pending[k] |= this.scratch[k];
    return n;
  }

  /** Bring the whole shared array up to date; returns how many entries changed. */
  sync(): number {
    return this.syncScope();
  }

  /** Decode entry i of the shared array as it is now (no synchronization). */
  entry(i: number): TlbEntry {
    const dv = this.dv, o = i * TLB_ENTRY_BYTES;
    const mas1 = dv.getUint32(o + 4), mas2 = dv.getUint32(o + 12);
    const mas7 = dv.getUint32(o + 16), mas3 = dv.getUint32(o + 20);
    const tlb = i < TLB0_ENTRIES ? 0 : 1;
    const tsize = tlb === 0 ? 1 : (mas1 >>> 8) & 0xf;
    const size = tsizeBytes(tsize << 8);
    const mask = size >= 2 ** 32 ? 0 : 2 ** 32 - size;
    const epn = (mas2 & mask) >>> 0;
    // Real-address bits below the page size are ignored, as in the hardware.
    const real = (mas7 & 0xf) * 2 ** 32 + ((mas3 & 0xfffff000) >>> 0);
    const rpn = real - (real % size);
    return {
      index: i, tlb, esel: tlb === 0 ? i : i - TLB0_ENTRIES,
      valid: (mas1 & V) !== 0, iprot: (mas1 & 0x40000000) !== 0,
      tid: (mas1 >>> 16) & 0xff, ts: (mas1 >>> 12) & 1, tsize, size, epn,
      rpn,
      wimge: mas2 & 0x1f, perms: mas3 & 0x3f, user: mas3 & 0x3c0,
    };
  }

  private matches(i: number, ea: number, as: number, pid: number): boolean {
    const dv = this.dv, o = i * TLB_ENTRY_BYTES;
    const mas1 = dv.getUint32(o + 4);
    if ((mas1 & V) === 0 || ((mas1 >>> 12) & 1) !== as) return false;
    const tid = (mas1 >>> 16) & 0xff;
    if (tid !== 0 && tid !== pid) return false;
    const size = i < TLB0_ENTRIES ? 4096 : tsizeBytes(mas1);
    if (size >= 2 ** 32) return true;
    return Math.floor((ea >>> 0) / size) === Math.floor(dv.getUint32(o + 12) / size);
  }

  /**
   * The MMU walk of an e500mc for effective address `ea` in address space
   * `as` with process ID `pid`: TLB0's set first, then TLB1 in order (a
   * multiple hit is undefined architecturally; the first match wins, as in
   * the core). Synchronizes what it reads first, per the view's policy.
   */
  translate(ea: number, as: number, pid: number): Translation | null {
    const set = ((ea >>> 12) & (TLB0_SETS - 1));
    if (this.policy === 'full') {
      this.syncScope();
    } else if (this.policy === 'set') {
      this.setScope.set = set;
      this.syncScope(this.setScope);
      this.syncScope(this.tlb1Scope);
    }
    for (let w = 0; w < TLB0_WAYS; w++) {
      const i = set * TLB0_WAYS + w;
      if (this.matches(i, ea, as, pid)) return this.hit(i, ea);
    }
    for (let k = 0; k < TLB1_ENTRIES; k++) {
      const i = TLB0_ENTRIES + k;
      if (this.matches(i, ea, as, pid)) return this.hit(i, ea);
    }
    return null;
  }

  private hit(i: number, ea: number): Translation {
    const e = this.entry(i);
    const off = e.size >= 2 ** 32 ? ea >>> 0 : (ea >>> 0) % e.size;
    return { realAddress: e.rpn + off, entry: e };
  }

  /** The valid entries, after a full synchronization. */
  validEntries(): TlbEntry[] {
    this.syncScope();
    const out: TlbEntry[] = [];
    for (let i = 0; i < TLB_ENTRIES; i++) {
      const e = this.entry(i);
      if (e.valid) out.push(e);
    }
    return out;
  }

  /** The TLB in the format of QEMU's `info tlb` for e500 (valid entries only). */
  dump(): string {
    const entries = this.validEntries();
    let s = '';
    for (const tlb of [0, 1]) {
      s += `\nTLB${tlb}:\nEffective          Physical           Size TID   TS SRWX URWX WIMGE U0123\n`;
      for (const e of entries) if (e.tlb === tlb) s += formatEntry(e) + '\n';
    }
    return s;
  }

  /**
   * Bring `snapshot` (TLB_BYTES, the layout of the shared array) up to date
   * by copying only the entries that changed since the last checkpoint
   * (including those reported by translations in between). Returns how many
   * entries were copied.
   */
  checkpoint(snapshot: Uint8Array): number {
    if (snapshot.byteLength < TLB_BYTES) throw new RangeError(`a TLB snapshot needs ${TLB_BYTES} bytes`);
    this.syncScope();
    let n = 0;
    for (let i = 0; i < TLB_ENTRIES; i++) {
      if (((this.pending[i >>> 3] >> (i & 7)) & 1) === 0) continue;
      const o = i * TLB_ENTRY_BYTES;
      snapshot.set(this.array.subarray(o, o + TLB_ENTRY_BYTES), o);
      n++;
    }
    this.pending.fill(0);
    return n;
  }

  /** Forget the accumulated changes (the caller copied the whole array itself). */
  resetChanges(): void {
    this.pending.fill(0);
  }

  /** Userspace wrote entry `i` itself (KVM_DIRTY_TLB does not report it as changed): count it as changed. */
  markChanged(i: number): void {
    this.pending[i >>> 3] |= 1 << (i & 7);
  }

  /**
   * Synchronize everything and hand over the set of entries that changed
   * since the last call (or resetChanges): KVM_DIRTY_TLB's bitmap layout.
   * For incremental snapshots.
   */
  takeChanges(): Uint8Array {
    this.syncScope();
    const out = this.pending.slice();
    this.pending.fill(0);
    return out;
  }
}

function hex16(v: number): string {
  return '0x' + v.toString(16).padStart(16, '0');
}

function sizeString(bytes: number): string {
  const kib = bytes / 1024;
  if (kib < 1024) return `${kib}K`;
  if (kib < 1024 * 1024) return `${kib / 1024}M`;
  return `${kib / (1024 * 1024)}G`;
}

/** One line of QEMU's `info tlb` for a booke206 entry. */
export function formatEntry(e: TlbEntry): string {
  const p = e.perms;
  const perm = 'S' + (p & 0x01 ? 'R' : '-') + (p & 0x04 ? 'W' : '-') + (p & 0x10 ? 'X' : '-') +
    'U' + (p & 0x02 ? 'R' : '-') + (p & 0x08 ? 'W' : '-') + (p & 0x20 ? 'X' : '-');
  const w = e.wimge;
  const wimge = (w & 0x10 ? 'W' : '-') + (w & 0x08 ? 'I' : '-') + (w & 0x04 ? 'M' : '-') + (w & 0x02 ? 'G' : '-') + (w & 0x01 ? 'E' : '-');
  const u = e.user;
  const ubits = 'U' + (u & 0x200 ? '0' : '-') + (u & 0x100 ? '1' : '-') + (u & 0x80 ? '2' : '-') + (u & 0x40 ? '3' : '-');
  return `${hex16(e.epn)} ${hex16(e.rpn)} ${sizeString(e.size).padStart(4)} ${String(e.tid).padEnd(5)} ${e.ts}  ${perm} ${wimge} ${ubits}`;
}
