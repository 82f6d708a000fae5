// Machines in this process, driven as the CLI drives them (a Session), with
// snapshot files kept in memory: for snapshot, replay and monitor tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { boot } from '../../src/vmm/loaders/boot.js';
import { Ppce500 } from '../../src/vmm/machine/ppce500.js';
import { Session, type SessionHost } from '../../src/vmm/machine/session.js';
import type { Codec } from '../../src/vmm/snapshot/format.js';
import type { BlockStorage } from '../../src/vmm/devices/virtio/blk.js';
import { ROOT } from './host.js';

export const zlib: Codec = { deflate: (d) => new Uint8Array(deflateSync(d, { level: 1 })), inflate: (d) => new Uint8Array(inflateSync(d)) };

export interface TestSession {
  session: Session;
  files: Map<string, Uint8Array>;
  /** Guest output so far. */
  text(): string;
  /** Run until the guest's instruction count reaches n (the session is then paused), or the session ends. */
  runTo(n: number): Promise<'paused' | 'ended'>;
  /** Run to the end; resolves with the guest's output. */
  finish(): Promise<string>;
}

export interface TestSessionOptions {
  elf: string;
  ramMiB?: number;
  icount?: number;
  lazyTlb?: boolean;
  /** Shared snapshot files (to restore in another session). */
  files?: Map<string, Uint8Array>;
  startPaused?: boolean;
  /** virtio devices. */
  rng?: boolean;
  drives?: BlockStorage[];
}

export function guestElf(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(ROOT, 'guests/bin', name)));
}

export function makeSession(o: TestSessionOptions): TestSession {
  const files = o.files ?? new Map<string, Uint8Array>();
  const out: number[] = [];
  const kernel = { bytes: guestElf(o.elf), name: o.elf };
  const host: SessionHost = {
    create: () => new Ppce500({
      ramBytes: (o.ramMiB ?? 64) << 20, output: (b) => out.push(b), icount: o.icount, lazyTlb: o.lazyTlb,
      rtc: { clock: o.icount !== undefined ? 'vm' : 'host', baseMs: Date.UTC(2024, 0, 1) },
      rng: o.rng ? (b) => b.fill(7) : undefined, drives: o.drives,
    }),
    boot: (m) => { boot(m, { kernel, bootargs: '' }); },
    readFile: (name) => {
      const f = files.get(name);
      if (f === undefined) throw new Error(`cannot read snapshot '${name}': no such file`);
      return f;
    },
    writeFile: (name, data) => { files.set(name, data.slice()); },
    codec: zlib,
    noReboot: true,
  };
  const session = new Session(host, { startPaused: o.startPaused ?? true });
  let running: Promise<unknown> | null = null;
  let ended = false;
  const start = () => {
    if (running === null) running = session.run().then((e) => { ended = true; return e; });
  };
  const text = () => Buffer.from(out).toString('latin1');
  return {
    session, files, text,
    runTo: (n) => new Promise((res) => {
      start();
      const off = session.listen({
        stopped: () => { off(); res('paused'); },
        shutdown: () => { off(); res('ended'); },
      });
      if (ended) { off(); res('ended'); return; }
      session.machine.stopAt(n);
      session.resume();
    }),
    finish: async () => {
      start();
      session.machine.stopAt(Infinity);
      session.resume();
      await running;
      return text();
    },
  };
}

/** A small deterministic PRNG (tests print the seed, so a failure can be replayed). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
