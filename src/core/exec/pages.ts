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
// Code is interpreted (interp.ts) until a 256-byte chunk of a page has run
// enough to be worth compiling (compile.ts).

import type { RamSlot } from '../physmem.js';
import { CHUNKS_PER_PAGE, type ChunkFn } from './compile.js';

export class CodePage {
  /** Instruction id per word (0: not decoded yet). */
  readonly ids = new Uint16Array(1024);
  /** The instruction words, valid where ids is nonzero. */
  readonly words = new Int32Array(1024);
  /** Compiled chunks (compile.ts), 16 per page, or null. */
  readonly fns: (ChunkFn | null)[] = new Array<ChunkFn | null>(CHUNKS_PER_PAGE).fill(null);
  /** Instructions interpreted per chunk since it was last compiled. */
  readonly heat = new Int32Array(CHUNKS_PER_PAGE);
  readonly compiles = new Uint8Array(CHUNKS_PER_PAGE);
  constructor(readonly slot: RamSlot, readonly page: number) {}

  /** Forget everything decoded (a store or icbi reached the page). */
  drop(): void {
    this.ids.fill(0);
    this.fns.fill(null);
    this.heat.fill(0);
  }
}
