// virtio-blk: a disk backed by a BlockStorage (a raw image file on the host,
// behind an adapter). Requests are served synchronously when the driver
// notifies the queue; writes go straight to the storage, FLUSH makes them
// durable.

import type { GuestMemory } from '../../guest-memory.js';
import type { VirtioBackend, VirtioContext } from './mmio.js';
import { readFromChain, writeToChain, VirtqueueError, type Chain } from './queue.js';

export interface BlockStorage {
  /** Size in bytes (a multiple of 512). */
  readonly size: number;
  readonly readOnly: boolean;
  read(offset: number, into: Uint8Array): void;
  write(offset: number, data: Uint8Array): void;
  /** Make every completed write durable. */
  flush(): void;
}

export const VIRTIO_ID_BLOCK = 2;
const F_SEG_MAX = 1n << 2n, F_RO = 1n << 5n, F_BLK_SIZE = 1n << 6n, F_FLUSH = 1n << 9n;
const T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
const S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
const SECTOR = 512;
const QUEUE_SIZE = 128;
const SEG_MAX = QUEUE_SIZE - 2;

export class VirtioBlk implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: bigint;
  readonly queueSizes = [QUEUE_SIZE];
  readonly config = new Uint8Array(24);

  constructor(private readonly storage: BlockStorage, private readonly serial = 'tkvm-disk') {
    this.features = F_SEG_MAX | F_BLK_SIZE | F_FLUSH | (storage.readOnly ? F_RO : 0n);
    const dv = new DataView(this.config.buffer);
    dv.setBigUint64(0, BigInt(Math.floor(storage.size / SECTOR)), true);
    dv.setUint32(12, SEG_MAX, true);
    dv.setUint32(20, SECTOR, true);
  }

  reset(): void {}

  notify(q: number, ctx: VirtioContext): void {
    const queue = ctx.queues[q];
    let served = false;
    for (let chain = queue.pop(ctx.mem); chain !== null; chain = queue.pop(ctx.mem)) {
      const written = this.serve(ctx.mem, chain);
      queue.push(ctx.mem, chain, written);
      served = true;
    }
    if (served) ctx.usedBuffer(q);
  }

  /** Serve one request; returns the bytes written into the driver's buffers. */
  private serve(mem: GuestMemory, chain: Chain): number {
    const readable = chain.readable, writable = chain.writable;
    if (writable.length === 0) throw new VirtqueueError('block request without a status byte');
    const hdr = readFromChain(mem, readable, 0, 16);
    const dv = new DataView(hdr.buffer);
    const type = dv.getUint32(0, true);
    const sector = Number(dv.getBigUint64(8, true));
    const statusBuf = writable[writable.length - 1];
    const dataOut = writable.slice(0, -1).concat(statusBuf.len > 1 ? [{ ...statusBuf, len: statusBuf.len - 1 }] : []);
    const statusAddr = statusBuf.addr + statusBuf.len - 1;
    let status = S_OK, written = 0;
    const offset = sector * SECTOR;
    switch (type) {
      case T_IN: {
        const len = dataOut.reduce((a, b) => a + b.len, 0);
        if (offset + len > this.storage.size || len % SECTOR !== 0) { status = S_IOERR; break; }
        const data = new Uint8Array(len);
        this.storage.read(offset, data);
        written = writeToChain(mem, dataOut, 0, data);
        break;
      }
      case T_OUT: {
        const len = readable.reduce((a, b) => a + b.len, 0) - 16;
        if (this.storage.readOnly) { status = S_IOERR; break; }
        if (len < 0 || offset + len > this.storage.size || len % SECTOR !== 0) { status = S_IOERR; break; }
        this.storage.write(offset, readFromChain(mem, readable, 16, len));
        break;
      }
      case T_FLUSH:
        this.storage.flush();
        break;
      case T_GET_ID: {
        const id = new Uint8Array(20);
        id.set(new TextEncoder().encode(this.serial).subarray(0, 20));
        written = writeToChain(mem, dataOut, 0, id);
        break;
      }
      default:
        status = S_UNSUPP;
    }
    mem.write(statusAddr, Uint8Array.of(status));
    return written + 1;
  }
}
