// virtio-rng: an entropy source filled from the platform's cryptographic
// random generator (globalThis.crypto, present in browsers and Node).

import type { VirtioBackend, VirtioContext } from './mmio.js';
import { writeToChain } from './queue.js';

export const VIRTIO_ID_RNG = 4;
const MAX_CHUNK = 65536;

export class VirtioRng implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_RNG;
  readonly features = 0n;
  readonly queueSizes = [64];
  readonly config = new Uint8Array(0);

  constructor(private readonly random: (buf: Uint8Array) => void = (b) => globalThis.crypto.getRandomValues(b)) {}

  reset(): void {}

  notify(q: number, ctx: VirtioContext): void {
    const queue = ctx.queues[q];
    let served = false;
    for (let c = queue.pop(ctx.mem); c !== null; c = queue.pop(ctx.mem)) {
      const data = new Uint8Array(Math.min(c.writableLength, MAX_CHUNK));
      for (let o = 0; o < data.length; o += 65536) this.random(data.subarray(o, Math.min(data.length, o + 65536)));
      queue.push(ctx.mem, c, writeToChain(ctx.mem, c.writable, 0, data));
      served = true;
    }
    if (served) ctx.usedBuffer(q);
  }
}
