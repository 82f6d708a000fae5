// Benchmark: snapshot size and time, full and incremental, and restore time,
// for a guest sitting idle at its prompt: the Linux shell when the Linux
// images are cached (`npm run images:linux`), else Debian's U-Boot, else a
// guest that only waits, with 16 MiB of incompressible data put in its RAM. The machine
// runs in this process, as the CLI runs it (Session, node:zlib codec);
// files stay in memory, so the times are the snapshot's own work (state
// through the API, zero-page scan, compression, checksums), not the disk's.
//
//   node dist/bench/snapshot.js [linux|uboot|kit]   standalone
//   import { benchSnapshot, formatSnapshot } from './snapshot.js'

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cachedLinux } from '../src/cli/images/linux.js';
import { cacheDir } from '../src/cli/images/paths.js';
import { zlibCodec } from '../src/platform/node/snapshot-io.js';
import { boot, type BootOptions } from '../src/vmm/loaders/boot.js';
import { Ppce500 } from '../src/vmm/machine/ppce500.js';
import { Session } from '../src/vmm/machine/session.js';

const UBOOT = '/usr/lib/u-boot/qemu-ppce500/uboot.elf';

export type SnapshotWorkload = 'linux' | 'uboot' | 'kit';

export interface SnapshotBenchResult {
  name: 'snapshot';
  workload: SnapshotWorkload;
  ramMiB: number;
  full: { bytes: number; ms: number; report: string };
  /** After `idleMs` more of idle guest time. */
  incremental: { bytes: number; ms: number; report: string };
  idleMs: number;
  /** loadvm of the incremental one (reads its parent too). */
  restoreMs: number;
}

function pick(w: SnapshotWorkload | 'auto'): { workload: SnapshotWorkload; images: BootOptions; prompt: string | null } {
  if (w === 'linux' || w === 'auto') {
    const l = cachedLinux(cacheDir());
    if (l !== null) {
      return {
        workload: 'linux', prompt: 'tkvm:/root# ',
        images: {
          kernel: { bytes: new Uint8Array(readFileSync(l.vmlinux)), name: 'vmlinux' },
          initrd: { bytes: new Uint8Array(readFileSync(l.initramfs)), name: 'initramfs' },
          bootargs: 'console=ttyS0',
        },
      };
    }
    if (w === 'linux') throw new Error('the Linux images are not built (npm run images:linux)');
  }
  if ((w === 'uboot' || w === 'auto') && existsSync(UBOOT)) {
    // U-Boot counts down its autoboot delay; any key would stop it, but it just sits at the countdown here.
    return { workload: 'uboot', prompt: 'Hit any key to stop autoboot', images: { bios: { bytes: new Uint8Array(readFileSync(UBOOT)), name: 'uboot.elf' }, bootargs: '' } };
  }
  if (w === 'uboot') throw new Error(`U-Boot not found at ${UBOOT}`);
  // A firmware image that waits for ever: `wait; b .-4` (raw, loaded at 0xf00000).
  return {
    workload: 'kit', prompt: null,
    images: { bios: { bytes: Uint8Array.of(0x7c, 0x00, 0x00, 0x7c, 0x4b, 0xff, 0xff, 0xfc), name: 'wait.bin' }, bootargs: '' },
  };
}

export async function benchSnapshot(opts: { workload?: SnapshotWorkload | 'auto'; idleMs?: number } = {}): Promise<SnapshotBenchResult> {
  const { workload, images, prompt } = pick(opts.workload ?? 'auto');
  const idleMs = opts.idleMs ?? 500;
  const ramMiB = 256;
  const files = new Map<string, Uint8Array>();
  let out = '';
  const session = new Session({
    create: () => new Ppce500({ ramBytes: ramMiB << 20, output: (b) => { out += String.fromCharCode(b); } }),
    boot: (m) => { boot(m, images); },
    readFile: (n) => { const f = files.get(n); if (!f) throw new Error(`no ${n}`); return f; },
    writeFile: (n, d) => { files.set(n, d); },
    codec: zlibCodec,
    noReboot: true,
  }, { startPaused: false });
  const done = session.run();
  if (workload === 'kit') {
    // 16 MiB the guest never touches: the full snapshot carries it, the incremental one not.
    const junk = new Uint8Array(16 << 20);
    for (let i = 0; i < junk.length; i += 65536) globalThis.crypto.getRandomValues(junk.subarray(i, i + 65536));
    session.machine.writePhys(64 << 20, junk);
  } else {
    const deadline = Date.now() + 120_000;
    while (!out.includes(prompt!)) {
      if (Date.now() > deadline) throw new Error(`the ${workload} guest did not reach its prompt`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await session.pause();
  }
  const time = (f: () => string): { ms: number; report: string } => {
    const t0 = performance.now();
    const report = f();
    return { ms: performance.now() - t0, report };
  };
  const full = time(() => session.savevm('full'));
  session.resume();
  await new Promise((r) => setTimeout(r, idleMs));
  await session.pause();
  const inc = time(() => session.savevm('inc', true));
  const t0 = performance.now();
  session.loadvm('inc');
  const restoreMs = performance.now() - t0;
  session.quit();
  await done;
  return {
    name: 'snapshot', workload, ramMiB, idleMs, restoreMs,
    full: { bytes: files.get('full')!.length, ...full },
    incremental: { bytes: files.get('inc')!.length, ...inc },
  };
}

export function formatSnapshot(r: SnapshotBenchResult): string {
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  let s = `guest: ${r.workload}, ${r.ramMiB} MiB of RAM, idle at its prompt\n`;
  s += `  full snapshot         ${kib(r.full.bytes).padStart(10)}  ${r.full.ms.toFixed(0).padStart(5)} ms   (${r.full.report.replace(/^.*?: \d+ bytes, /, '')})\n`;
  s += `  incremental (+${r.idleMs} ms) ${kib(r.incremental.bytes).padStart(10)}  ${r.incremental.ms.toFixed(0).padStart(5)} ms   (${r.incremental.report.replace(/^.*?: \d+ bytes, /, '')})\n`;
  s += `  restore (chain of 2)                ${r.restoreMs.toFixed(0).padStart(5)} ms\n`;
  return s;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const w = (process.argv[2] ?? 'auto') as SnapshotWorkload | 'auto';
  benchSnapshot({ workload: w }).then((r) => process.stdout.write(formatSnapshot(r)), (e: Error) => {
    process.stderr.write(`bench: ${e.message}\n`);
    process.exitCode = 1;
  });
}
