// virtio-console with a single port: transmitq carries guest output to the
// host, receiveq gets host input as the driver provides buffers.

import type { VirtioBackend, VirtioContext } from './mmio.js';
import { readFromChain, writeToChain } from './queue.js';
import { intArray, StateError } from '../../snapshot/state.js';

export const VIRTIO_ID_CONSOLE = 3;
const RECEIVEQ = 0, TRANSMITQ = 1;

export class VirtioConsole implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_CONSOLE;
  readonly features = 0n;
  readonly queueSizes = [64, 64];
  readonly config = new Uint8Array(12);
  private pending: number[] = [];

  constructor(private readonly output: (bytes: Uint8Array) => void) {}

  reset(): void {
    this.pending = [];
  }

  /** Host input the driver had no buffers for yet. */
  saveState(): unknown {
    return [...this.pending];
  }

  loadState(state: unknown): void {
    if (!Array.isArray(state)) throw new StateError('virtio-console: expected the pending input bytes');
    this.pending = [...intArray({ pending: state }, 'pending', null, 0, 255, 'virtio-console')];
  }

  /** Host input for the guest; delivered as soon as the driver has buffers. */
  input(bytes: Uint8Array, ctx: VirtioContext): void {
    for (const b of bytes) this.pending.push(b);
    if (ctx.driverOk) this.fill(ctx);
  }

  notify(q: number, ctx: VirtioContext): void {
    if (q === TRANSMITQ) {
      const queue = ctx.queues[TRANSMITQ];
      let served = false;
      for (let c = queue.pop(ctx.mem); c !== null; c = queue.pop(ctx.mem)) {
        const len = c.readable.reduce((a, b) => a + b.len, 0);
        this.output(readFromChain(ctx.mem, c.readable, 0, len));
        queue.push(ctx.mem, c, 0);
        served = true;
      }
      if (served) ctx.usedBuffer(TRANSMITQ);
    } else if (q === RECEIVEQ) {
      this.fill(ctx);
    }
  }

  private fill(ctx: VirtioContext): void {
    const queue = ctx.queues[RECEIVEQ];
    let served = false;
    while (this.pending.length > 0) {
      const c = queue.pop(ctx.mem);
      if (c === null) break;
      const n = Math.min(c.writableLength, this.pending.length);
      writeToChain(ctx.mem, c.writable, 0, Uint8Array.from(this.pending.splice(0, n)));
      queue.push(ctx.mem, c, n);
      served = true;
    }
    if (served) ctx.usedBuffer(RECEIVEQ);
  }
}
