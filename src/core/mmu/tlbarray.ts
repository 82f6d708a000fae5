// The guest-visible TLB of an e500mc, stored in exactly the layout KVM shares
// with userspace for Book E (struct kvm_book3e_206_tlb_entry, big-endian):
//
//   offset 0   u32 mas8
//   offset 4   u32 mas1
//   offset 8   u64 mas2
//   offset 16  u64 mas7_3   (MAS7 in the high word, MAS3 in the low word)
//
// TLB0 comes first, ordered by set then way (set s, way w is entry s*4+w),
// then TLB1's 64 entries. The storage is either private to the core or the
// userspace array itself (KVM_CAP_SW_TLB, always-synchronized mode): one copy.

export const TLB0_WAYS = 4;
export const TLB0_SETS = 128;
export const TLB0_ENTRIES = TLB0_WAYS * TLB0_SETS;
export const TLB1_ENTRIES = 64;
export const TLB_ENTRIES = TLB0_ENTRIES + TLB1_ENTRIES;
export const TLB_ENTRY_BYTES = 24;
export const TLB_BYTES = TLB_ENTRIES * TLB_ENTRY_BYTES;

const V = 0x80000000 | 0;

/** Page bytes for each TSIZE value (a table: Math.pow showed up as a third of an MMIO exit). */
const TSIZE_BYTES = Float64Array.from({ length: 16 }, (_, n) => 1024 * 4 ** n);

/** Size in bytes of a page of TSIZE (MAV 1.0: 4^TSIZE KiB, field MAS1[20:23]). */
export function tsizeBytes(mas1: number): number {
  return TSIZE_BYTES[(mas1 >>> 8) & 0xf];
}

export class TlbArray {
  bytes: Uint8Array;
  dv: DataView;
  /** Entries changed by the core since userspace last synchronized them (lazy mode). */
  readonly changed = new Uint32Array(Math.ceil(TLB_ENTRIES / 32));
  /** Indices (0..63) of valid TLB1 entries, ascending: TLB1 is searched often and is mostly empty. */
  tlb1Valid: number[] = [];

  constructor() {
    this.bytes = new Uint8Array(TLB_BYTES);
    this.dv = new DataView(this.bytes.buffer);
  }

  /** Switch the storage to another buffer (its contents become the TLB). */
  attach(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, TLB_BYTES);
    this.rebuildTlb1Index();
  }

  mas8(i: number): number { return this.dv.getInt32(i * 24); }
  mas1(i: number): number { return this.dv.getInt32(i * 24 + 4); }
  mas2(i: number): number { return this.dv.getInt32(i * 24 + 12); }
  mas3(i: number): number { return this.dv.getInt32(i * 24 + 20); }
  mas7(i: number): number { return this.dv.getInt32(i * 24 + 16); }

  write(i: number, mas1: number, mas2: number, mas3: number, mas7: number, mas8: number): void {
    const dv = this.dv, o = i * 24;
    dv.setInt32(o, mas8);
    dv.setInt32(o + 4, mas1);
    dv.setInt32(o + 8, 0);
    dv.setInt32(o + 12, mas2);
    dv.setInt32(o + 16, mas7);
    dv.setInt32(o + 20, mas3);
    this.changed[i >>> 5] |= 1 << (i & 31);
    if (i >= TLB0_ENTRIES) this.updateTlb1Index(i - TLB0_ENTRIES, (mas1 & V) !== 0);
  }

  setMas1(i: number, mas1: number): void {
    this.dv.setInt32(i * 24 + 4, mas1);
    this.changed[i >>> 5] |= 1 << (i & 31);
    if (i >= TLB0_ENTRIES) this.updateTlb1Index(i - TLB0_ENTRIES, (mas1 & V) !== 0);
  }

  isValid(i: number): boolean { return (this.mas1(i) & V) !== 0; }

  /** Physical page base of entry i (up to 36 bits). */
  rpn(i: number): number {
    return (this.mas7(i) & 0xf) * 0x100000000 + ((this.mas3(i) & 0xfffff000) >>> 0);
  }

  /** Entry size in bytes (TLB0 holds 4 KiB pages only). */
  size(i: number): number {
    return i < TLB0_ENTRIES ? 4096 : tsizeBytes(this.mas1(i));
  }

  /**
   * The entry translating `ea` for address space `as` and process ID `pid`, or
   * -1. TLB0 is searched before TLB1; a multiple hit is undefined in the
   * architecture and resolves to the first match.
   */
  lookup(ea: number, as: number, pid: number): number {
    const dv = this.dv;
    const set = (ea >>> 12) & (TLB0_SETS - 1);
    const page = ea & 0xfffff000;
    for (let w = 0; w < TLB0_WAYS; w++) {
      const o = (set * TLB0_WAYS + w) * 24;
      const mas1 = dv.getInt32(o + 4);
      if (mas1 >= 0) continue; // not valid
      if (((mas1 >>> 12) & 1) !== as) continue;
      const tid = (mas1 >>> 16) & 0xff;
      if (tid !== 0 && tid !== pid) continue;
      if (((dv.getInt32(o + 12) ^ page) & 0xfffff000) !== 0) continue;
      return set * TLB0_WAYS + w;
    }
    const v1 = this.tlb1Valid;
    for (let k = 0; k < v1.length; k++) {
      const i = TLB0_ENTRIES + v1[k];
      const o = i * 24;
      const mas1 = dv.getInt32(o + 4);
      if (((mas1 >>> 12) & 1) !== as) continue;
      const tid = (mas1 >>> 16) & 0xff;
      if (tid !== 0 && tid !== pid) continue;
      const size = tsizeBytes(mas1);
      const epn = dv.getInt32(o + 12) & 0xfffff000;
      // Same page iff EA and EPN agree in every bit at or above log2(size).
      if (((ea ^ epn) >>> 0) < size) return i;
    }
    return -1;
  }

  rebuildTlb1Index(): void {
    this.tlb1Valid = [];
    for (let k = 0; k < TLB1_ENTRIES; k++) if (this.isValid(TLB0_ENTRIES + k)) this.tlb1Valid.push(k);
  }

  private updateTlb1Index(k: number, valid: boolean): void {
    const list = this.tlb1Valid;
    const at = list.indexOf(k);
    if (valid && at < 0) {
      list.push(k);
      list.sort((a, b) => a - b);
    } else if (!valid && at >= 0) {
      list.splice(at, 1);
    }
  }

  markAllChanged(): void { this.changed.fill(0xffffffff); }
}
