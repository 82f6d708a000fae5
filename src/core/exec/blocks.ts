// Decoded basic blocks, cached per physical page.
//
// A block is a run of instructions within one 4 KiB page that ends at the
// first instruction that can change control flow or the translation context
// (branches, interrupt returns, sc, isync, MSR/TLB/SPR writes, wait), at the
// page end, or after MAX_BLOCK instructions. Blocks are keyed by physical
// address, so they stay valid across address-space switches; the fetch
// translation is checked at every block entry through the translation cache.
//
// Coherence. A page that holds blocks is a "code page": the translation cache
// never caches stores to it, so every store to it takes the slow path, which
// drops the page's blocks (self-modifying code, loaders, U-Boot relocating
// itself). `icbi` drops them too. Stores the host makes directly into guest
// RAM (DMA) are covered by the guest's own icbi, as on hardware.
//
// Cold code is interpreted from the blocks' decoded handler arrays; a page
// whose blocks run often is compiled to one JavaScript function (compile.ts).

import type { Cpu } from '../cpu.js';
import type { Handler, InsnDef } from '../isa/decode.js';
import type { RamSlot } from '../physmem.js';
import type { PageFn } from './compile.js';

export const MAX_BLOCK = 64;
/** Interpreted executions that make a block hot: a page is compiled with its hot blocks only. */
export const HOT_BLOCK = 20000;
/** Compilations of one page before it stays as it is (guards against pathological churn). */
export const MAX_PAGE_COMPILES = 4;

/** Instructions after which a block must end. */
const ENDS_BLOCK = new Set([
  'b', 'bc', 'bclr', 'bcctr', 'sc', 'rfi', 'rfci', 'rfmci', 'rfdi', 'isync', 'mtmsr', 'wrtee', 'wrteei',
  'tlbwe', 'tlbivax', 'tlbilx', 'tlbsync', 'tlbre', 'tlbsx', 'mtspr', 'wait', 'ehpriv', 'icbi',
  'mtfsf', 'mtfsfi', 'mtfsb0', 'mtfsb1',
]);

/**
 * Instructions that only compute on registers: they cannot fault, exit or
 * change the slice, so a block needs no check after them.
 */
const PURE = new Set([
  'addi', 'addis', 'addic', 'addic.', 'subfic', 'mulli', 'cmpi', 'cmpli', 'cmp', 'cmpl',
  'rlwimi', 'rlwinm', 'rlwnm', 'ori', 'oris', 'xori', 'xoris', 'andi.', 'andis.',
  'subfc', 'addc', 'mulhwu', 'slw', 'cntlzw', 'and', 'subf', 'andc', 'mulhw', 'neg', 'nor', 'subfe', 'adde',
  'subfze', 'addze', 'subfme', 'addme', 'mullw', 'add', 'eqv', 'xor', 'orc', 'or', 'divwu', 'nand', 'divw',
  'srw', 'sraw', 'srawi', 'extsh', 'extsb', 'isel', 'mfcr', 'mtcrf', 'mcrf', 'mcrxr',
  'crnor', 'crandc', 'crxor', 'crnand', 'crand', 'creqv', 'crorc', 'cror',
]);

export function endsBlock(d: InsnDef | undefined): boolean {
  return d === undefined || ENDS_BLOCK.has(d.name);
}

/** Ends a block but is not a branch: the translation context may have changed after it. */
export function endsBlockOnly(d: InsnDef | undefined): boolean {
  if (!endsBlock(d)) return false;
  const n = d!.name;
  return n !== 'b' && n !== 'bc' && n !== 'bclr' && n !== 'bcctr';
}

export function isPure(d: InsnDef | undefined): boolean {
  return d !== undefined && PURE.has(d.name);
}

export class Block {
  /** Interpreted executions. */
  execs = 0;
  constructor(
    /** Guest virtual address the block was decoded at (its page offset is what matters). */
    readonly offset: number,
    readonly words: Int32Array,
    readonly handlers: Handler[],
    readonly defs: (InsnDef | undefined)[],
    /** Per instruction: 1 if a check is needed after it. */
    readonly checks: Uint8Array,
  ) {}
  get length(): number { return this.words.length; }
}

/** The blocks of one physical page, by word offset, and the page's compiled form. */
export class CodePage {
  blocks: (Block | undefined)[] = new Array(1024);
  /** The compiled page, or null (compile.ts). */
  fn: PageFn | null = null;
  /** Blocks that became hot since the last compilation. */
  newHot = 0;
  compiles = 0;
  constructor(readonly slot: RamSlot, readonly page: number) {}

  /** Forget every block (a store or icbi reached the page). */
  drop(): void {
    this.blocks.fill(undefined);
    this.fn = null;
    this.newHot = 0;
  }
}

/** Decode the block starting at byte `offset` of the page at `pageOffset` in `slot`. */
export function decodeBlock(c: Cpu, slot: RamSlot, pageOffset: number, offset: number): Block {
  const view = slot.view;
  const dec = c.decoder;
  const words: number[] = [];
  const handlers: Handler[] = [];
  const defs: (InsnDef | undefined)[] = [];
  const checks: number[] = [];
  for (let off = offset; off < 0x1000 && words.length < MAX_BLOCK; off += 4) {
    const w = view.getInt32(pageOffset + off);
    const d = dec.lookup(w);
    words.push(w);
    handlers.push(dec.handlerFor(w));
    defs.push(d);
    checks.push(isPure(d) ? 0 : 1);
    if (endsBlock(d)) break;
  }
  return new Block(offset, Int32Array.from(words), handlers, defs, Uint8Array.from(checks));
}

/** Decode and register the block at byte `offset` of `page`. */
export function newBlock(c: Cpu, page: CodePage, offset: number): Block {
  const slot = page.slot;
  const b = decodeBlock(c, slot, page.page * 4096, offset);
  page.blocks[offset >>> 2] = b;
  const word = page.page >>> 5, bit = 1 << (page.page & 31);
  if ((slot.codeBits[word] & bit) === 0) {
    slot.codeBits[word] |= bit;
    // Cached store translations to this page would bypass the block drop.
    for (const tc of c.mem.storeCaches) tc.flushWrites();
  }
  return b;
}

/** Execute a block from its decoded handlers; returns the instructions executed (the aborted one included). */
export function interpretBlock(c: Cpu, b: Block, pc: number): number {
  const hs = b.handlers, ws = b.words, ck = b.checks, n = ws.length;
  for (let k = 0; k < n; k++) {
    c.pc = pc;
    c.nip = (pc + 4) | 0;
    hs[k](c, ws[k]);
    if (ck[k] !== 0 && c.sliceEnd === 0) return k + 1;
    pc = (pc + 4) | 0;
  }
  return n;
}
