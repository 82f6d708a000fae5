// A split virtqueue (virtio 1.x): descriptor table, available ring, used
// ring, all little-endian in guest memory. Descriptor chains are walked with
// every index and length checked; a malformed chain throws VirtqueueError
// and the transport marks the device as needing reset.

import { GuestMemoryError, type GuestMemory } from '../../guest-memory.js';

export class VirtqueueError extends Error {
  override name = 'VirtqueueError';
}

const VIRTQ_DESC_F_NEXT = 1;
const VIRTQ_DESC_F_WRITE = 2;
const VIRTQ_DESC_F_INDIRECT = 4;

export interface DescBuffer {
  addr: number;
  len: number;
  writable: boolean;
}

/** One request: the buffers of a descriptor chain, in order. */
export class Chain {
  constructor(readonly head: number, readonly buffers: DescBuffer[]) {}
  get readable(): DescBuffer[] { return this.buffers.filter((b) => !b.writable); }
  get writable(): DescBuffer[] { return this.buffers.filter((b) => b.writable); }
  /** Total bytes the device may write. */
  get writableLength(): number { return this.writable.reduce((a, b) => a + b.len, 0); }
}

export class Virtqueue {
  num = 0;
  ready = false;
  descAddr = 0;
  availAddr = 0;
  usedAddr = 0;
  /** Next available-ring index the device will consume. */
  lastAvail = 0;
  usedIdx = 0;

  constructor(readonly maxSize: number) {}

  reset(): void {
    this.num = 0;
    this.ready = false;
    this.descAddr = this.availAddr = this.usedAddr = 0;
    this.lastAvail = 0;
    this.usedIdx = 0;
  }

  /** The next request the driver made available, or null. */
  pop(mem: GuestMemory): Chain | null {
    if (!this.ready || this.num === 0) return null;
    try {
      const availIdx = mem.u16le(this.availAddr + 2);
      if (availIdx === this.lastAvail) return null;
      if (((availIdx - this.lastAvail) & 0xffff) > this.num) throw new VirtqueueError('available index ran ahead of the ring size');
      const head = mem.u16le(this.availAddr + 4 + 2 * (this.lastAvail % this.num));
      this.lastAvail = (this.lastAvail + 1) & 0xffff;
      return new Chain(head, this.walk(mem, head));
    } catch (e) {
      if (e instanceof GuestMemoryError) throw new VirtqueueError(e.message);
      throw e;
    }
  }

  private walk(mem: GuestMemory, head: number): DescBuffer[] {
    const out: DescBuffer[] = [];
    let table = this.descAddr, size = this.num, i = head, indirect = false;
    for (let count = 0; ; count++) {
      if (i >= size) throw new VirtqueueError(`descriptor index ${i} out of range ${size}`);
      if (count > size) throw new VirtqueueError('descriptor chain loops');
      const d = table + 16 * i;
      const addr = mem.u64le(d), len = mem.u32le(d + 8), flags = mem.u16le(d + 12), next = mem.u16le(d + 14);
      if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
        if (indirect) throw new VirtqueueError('nested indirect descriptor');
        if (len % 16 !== 0 || len === 0) throw new VirtqueueError('bad indirect table length');
        table = addr;
        size = len / 16;
        i = 0;
        indirect = true;
        count = 0;
        continue;
      }
      out.push({ addr, len, writable: (flags & VIRTQ_DESC_F_WRITE) !== 0 });
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) return out;
      i = next;
    }
  }

  /** Return a finished request to the driver with `written` bytes written. */
  push(mem: GuestMemory, chain: Chain, written: number): void {
    try {
      const slot = this.usedIdx % this.num;
      mem.setU32le(this.usedAddr + 4 + 8 * slot, chain.head);
      mem.setU32le(this.usedAddr + 8 + 8 * slot, written);
      this.usedIdx = (this.usedIdx + 1) & 0xffff;
      mem.setU16le(this.usedAddr + 2, this.usedIdx);
    } catch (e) {
      if (e instanceof GuestMemoryError) throw new VirtqueueError(e.message);
      throw e;
    }
  }

  /** True if the driver asked not to be interrupted (VIRTQ_AVAIL_F_NO_INTERRUPT). */
  noInterrupt(mem: GuestMemory): boolean {
    try {
      return (mem.u16le(this.availAddr) & 1) !== 0;
    } catch {
      return false;
    }
  }
}

/** Copy bytes out of a chain's readable buffers starting at byte `offset` of the readable stream. */
export function readFromChain(mem: GuestMemory, bufs: DescBuffer[], offset: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let pos = 0, skip = offset;
  for (const b of bufs) {
    if (pos >= len) break;
    if (skip >= b.len) { skip -= b.len; continue; }
    const n = Math.min(b.len - skip, len - pos);
    out.set(mem.slice(b.addr + skip, n), pos);
    pos += n;
    skip = 0;
  }
  if (pos < len) throw new VirtqueueError('request shorter than its header says');
  return out;
}

/** Write bytes into a chain's writable buffers starting at byte `offset`; returns bytes written. */
export function writeToChain(mem: GuestMemory, bufs: DescBuffer[], offset: number, data: Uint8Array): number {
  let pos = 0, skip = offset;
  for (const b of bufs) {
    if (pos >= data.length) break;
    if (skip >= b.len) { skip -= b.len; continue; }
    const n = Math.min(b.len - skip, data.length - pos);
    mem.write(b.addr + skip, data.subarray(pos, pos + n));
    pos += n;
    skip = 0;
  }
  return pos;
}
