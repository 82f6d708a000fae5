// Benchmark: process start to the BusyBox shell prompt of the Linux images
// (`tkvm images linux`: vmlinux + initramfs.cpio.gz, `-append console=ttyS0`),
// tkvm and QEMU side by side in one run, alternating, with the same kernel,
// initramfs and command line, so that both see the same machine load. Only
// the ratio measured together means anything.
//
// Also reported: the time to the first line /init prints (the kernel's part
// ends there), and the CPU time each process used (user + system, read from
// /proc before it is killed at the prompt).
//
//   node dist/bench/linux.js [runs]          standalone
//   import { benchLinux, formatLinux } from './linux.js'  from bench/run.ts

import { spawn } from 'node:child_process';
import { haveQemu, qemuCommand } from '../src/platform/node/qemu.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cachedLinux } from '../src/cli/images/linux.js';
import { cacheDir } from '../src/cli/images/paths.js';
import type { Progress } from './common.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The command as installed (the bundle the package's bin runs).
const CLI = join(ROOT, 'dist/src/cli/tkvm.cjs');
const BANNER = 'tkvm guest: Linux';
const PROMPT = /tkvm:[^\n#]*# $/;

export interface LinuxRun {
  /** Milliseconds from spawn to the banner of /init, and to the shell prompt. */
  bannerMs: number;
  promptMs: number;
  /** CPU seconds (user + system) the process used up to the prompt. */
  cpuS: number;
}

export interface LinuxBenchResult {
  name: 'linux-to-shell';
  tkvm: LinuxRun[];
  qemu: LinuxRun[];
  tkvmMedianMs: number;
  /** NaN when QEMU is not installed. */
  qemuMedianMs: number;
  /** tkvm median / QEMU median (NaN without QEMU). */
  ratio: number;
}

const CLK_TCK = 100;

/** user + system CPU seconds of a live process (Linux /proc). */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** Run one process until the shell prompt appears on its console, then kill it. */
function timeToPrompt(cmd: string, args: string[], timeoutMs: number): Promise<LinuxRun> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    let bannerMs = NaN;
    let done = false;
    const finish = (err: Error | null, run?: LinuxRun) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (err) rej(err);
      else res(run!);
    };
    const timer = setTimeout(() => finish(new Error(`${cmd}: no shell prompt within ${timeoutMs} ms`)), timeoutMs);
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => {
      out += d;
      const now = performance.now() - t0;
      if (Number.isNaN(bannerMs) && out.includes(BANNER)) bannerMs = now;
      if (!Number.isNaN(bannerMs) && PROMPT.test(out.slice(out.indexOf(BANNER)))) {
        finish(null, { bannerMs, promptMs: now, cpuS: child.pid !== undefined ? cpuSeconds(child.pid) : NaN });
      }
    });
    child.on('error', (e) => finish(e));
    child.on('close', () => finish(new Error(`${cmd} exited before the shell prompt`)));
  });
}

const median = (v: number[]) => {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function benchLinux(opts: { runs?: number; timeoutMs?: number; progress?: Progress } = {}): Promise<LinuxBenchResult> {
  const runs = opts.runs ?? 3;
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const images = cachedLinux(cacheDir());
  if (!images) throw new Error(`the Linux images are not built for the current inputs in ${cacheDir()} (npm run images:linux)`);
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing (npm run build)`);
  const withQemu = haveQemu();
  const progress = opts.progress ?? (() => {});
  const machine = ['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic',
    '-kernel', images.vmlinux, '-initrd', images.initramfs, '-append', 'console=ttyS0'];
  const tkvm: LinuxRun[] = [], qemu: LinuxRun[] = [];
  for (let i = 1; i <= runs; i++) {
    progress(`tkvm run ${i}/${runs} ...`);
    tkvm.push(await timeToPrompt(process.execPath, [CLI, 'run', ...machine], timeoutMs));
    progress(`tkvm run ${i}/${runs}: shell prompt at ${tkvm[i - 1].promptMs.toFixed(0)} ms`);
    if (withQemu) {
      progress(`QEMU run ${i}/${runs} ...`);
      qemu.push(await timeToPrompt(...qemuCommand(machine), timeoutMs));
      progress(`QEMU run ${i}/${runs}: shell prompt at ${qemu[i - 1].promptMs.toFixed(0)} ms`);
    }
  }
  const t = median(tkvm.map((r) => r.promptMs)), q = median(qemu.map((r) => r.promptMs));
  return { name: 'linux-to-shell', tkvm, qemu, tkvmMedianMs: t, qemuMedianMs: q, ratio: t / q };
}

export function formatLinux(r: LinuxBenchResult): string {
  const f = (v: LinuxRun[]) => v.map((x) => `${x.promptMs.toFixed(0)} (banner ${x.bannerMs.toFixed(0)}, cpu ${x.cpuS.toFixed(2)} s)`).join(', ');
  let s = `process start to the Linux shell prompt, ms (${r.tkvm.length} runs each, alternating)\n`;
  s += `  tkvm: median ${r.tkvmMedianMs.toFixed(0)}  [${f(r.tkvm)}]\n`;
  if (r.qemu.length > 0) {
    s += `  QEMU: median ${r.qemuMedianMs.toFixed(0)}  [${f(r.qemu)}]\n`;
    s += `  tkvm / QEMU: ${r.ratio.toFixed(1)}\n`;
  } else {
    s += '  QEMU: not installed\n';
  }
  return s;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const runs = process.argv[2] !== undefined ? Number(process.argv[2]) : 3;
  benchLinux({ runs }).then((r) => process.stdout.write(formatLinux(r)), (e: Error) => {
    process.stderr.write(`bench: ${e.message}\n`);
    process.exitCode = 1;
  });
}
