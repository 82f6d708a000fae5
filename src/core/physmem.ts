// Guest physical address space as the core sees it: RAM slots backed by
// userspace buffers. Whatever is not RAM is MMIO and leaves the core as an
// exit. Physical addresses are 36-bit on e500mc, so they are carried as JS
// numbers (exact up to 2^53), never as int32.

import type { CodePage } from './exec/pages.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;

export class RamSlot {
  readonly view: DataView;
  readonly u8: Uint8Array;
  /** One bit per 4 KiB page written since the last dirty-log harvest. */
  readonly dirty: Uint32Array;
  /** One bit per page that holds decoded blocks (stores to it must drop them). */
  readonly codeBits: Uint32Array;
  /** The decoded-block table of each page that has been executed from. */
  readonly codePages: (CodePage | undefined)[];
  /** Pages of this slot whose translated code was dropped (stores to code, icbi, host writes). */
  invalidations = 0;
  constructor(
    readonly id: number,
    /** Guest physical base address (page aligned). */
    readonly base: number,
    readonly size: number,
    buffer: ArrayBufferLike,
    offset: number,
    readonly readonly: boolean,
    public logDirty: boolean,
  ) {
    this.view = new DataView(buffer, offset, size);
    this.u8 = new Uint8Array(buffer, offset, size);
    this.dirty = new Uint32Array(Math.ceil(size / PAGE_SIZE / 32));
    this.codeBits = new Uint32Array(Math.ceil(size / PAGE_SIZE / 32));
    // Filled, not holey: V8 keeps a large `new Array(n)` as a dictionary (a
    // hash lookup per page entered, and a map the warm-up never saw).
    this.codePages = new Array<CodePage | undefined>(Math.ceil(size / PAGE_SIZE)).fill(undefined);
  }
  contains(pa: number): boolean {
    return pa >= this.base && pa < this.base + this.size;
  }
  /** True if the page of `pa` holds decoded blocks. */
  isCode(pa: number): boolean {
    const page = Math.floor((pa - this.base) / PAGE_SIZE);
    return (this.codeBits[page >>> 5] & (1 << (page & 31))) !== 0;
  }

  /**
   * A store reached the page of `pa`: forget its decoded blocks. Returns true
   * if there were any (the caller ends the slice, so code running from the
   * page stops and sees the change).
   */
  dropCode(pa: number): boolean {
    const page = Math.floor((pa - this.base) / PAGE_SIZE);
    const bit = 1 << (page & 31);
    if ((this.codeBits[page >>> 5] & bit) === 0) return false;
    this.codeBits[page >>> 5] &= ~bit;
    this.codePages[page]?.drop();
    return true;
  }

  /** Forget every decoded block (the host rewrote guest memory wholesale, e.g. a snapshot restore). */
  dropAllCode(): void {
    this.codeBits.fill(0);
    for (const p of this.codePages) p?.drop();
  }

  markDirty(pa: number): void {
    const page = Math.floor((pa - this.base) / PAGE_SIZE);
    this.dirty[page >>> 5] |= 1 << (page & 31);
  }
}

/**
 * The set of RAM slots. A change of the set bumps `generation`, which tells
 * vCPUs to drop their translation caches.
 */
export class PhysMemory {
  slots: RamSlot[] = [];
  generation = 0;
  /** Translation caches of the vCPUs using this memory (to drop cached stores to new code pages). */
  readonly storeCaches = new Set<{ flushWrites(): void }>();
  /** Last slot found, for the common case of one RAM slot. */
  private last: RamSlot | null = null;

  find(pa: number): RamSlot | null {
    const last = this.last;
    if (last !== null && pa >= last.base && pa < last.base + last.size) return last;
    for (const s of this.slots) {
      if (pa >= s.base && pa < s.base + s.size) {
        this.last = s;
        return s;
      }
    }
    return null;
  }

  replace(slots: RamSlot[]): void {
    this.slots = slots.slice().sort((a, b) => a.base - b.base);
    this.last = null;
    this.generation++;
  }
}
