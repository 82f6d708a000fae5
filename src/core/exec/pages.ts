// The decoded-instruction cache: one CodePage per physical page of RAM that
// instructions are fetched from, holding each word and its instruction id
// (decoded once, on first execution). Keyed by physical page, it stays valid
// across address-space switches; the fetch translation is checked whenever
// execution enters a page (through the fetch entries of the translation
// cache).
//
// Coherence. A page with decoded instructions is a "code page": the
// translation cache never caches stores to it, so every store to it takes
// the slow path, which drops the page's decoded state and ends the slice
// (self-modifying code, loaders, U-Boot relocating itself). `icbi` does the
// same. Stores the host makes directly into guest RAM (DMA) are covered by
// the guest's own icbi, as on hardware, and the API's invalidateCode for the
// VMM's own writes.
//
// Code is interpreted (interp.ts) until an entry into it (a branch target,
// or where execution entered the page) has been taken `jitThreshold` times;
// then the translator (src/core/jit) makes a function of the code around it.

import type { RamSlot } from '../physmem.js';
import type { RegionFn } from '../jit/translate.js';

export class CodePage {
  /** Instruction id per word (0: not decoded yet). */
  readonly ids = new Uint16Array(1024);
  /** The instruction words, valid where ids is nonzero. */
  readonly words = new Int32Array(1024);
  /** Translated regions by entry word, allocated at the page's first translation. */
  regions: (RegionFn | null)[] | null = null;
  /** Entries taken per word; at the threshold the interpreter returns to the dispatcher, which translates. */
  readonly heat = new Int32Array(1024);
  constructor(readonly slot: RamSlot, readonly page: number) {}

  /** Forget everything decoded (a store or icbi reached the page). */
  drop(): void {
    if (this.regions !== null) this.slot.invalidations++;
    this.ids.fill(0);
    this.regions = null;
    this.heat.fill(0);
  }
}
