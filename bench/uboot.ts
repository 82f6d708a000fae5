// Benchmark: process start to U-Boot's "Hit any key to stop autoboot" line,
// for tkvm and QEMU side by side in one run (alternating, so both see the
// same machine load). Only the ratio measured together means anything.
//
// What the two times are made of differs. tkvm gets there in about 6.3 M
// guest instructions (the same with a wall clock or an instruction-count
// clock, so U-Boot waits on no timer on the way), plus Node's start-up.
// QEMU's 16550 paces transmission at the baud rate and U-Boot polls THRE
// before each of the ~580 characters it prints, so much of QEMU's time is
// waiting on its UART (under -icount shift=0 and gdb, its time base read
// about 37 M ticks at the same point, against tkvm's 2.2 M, with runs of
// ~39 K ticks, one character time, per character); tkvm's UART transmits
// at once.
//
//   node dist/bench/uboot.js [runs]      standalone
//   import { benchUboot } from './uboot.js'   from bench/run.ts

import { spawn } from 'node:child_process';
import { haveQemu, qemuCommand } from '../src/platform/node/qemu.js';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Progress } from './common.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The command as installed (the bundle the package's bin runs).
const CLI = join(ROOT, 'dist/src/cli/tkvm.cjs');
const UBOOT = '/usr/lib/u-boot/qemu-ppce500/uboot.elf';
const MARK = 'Hit any key to stop autoboot';
const MACHINE = ['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-monitor', 'none', '-serial', 'stdio', '-bios', UBOOT];

export interface UbootBenchResult {
  name: 'uboot-to-autoboot';
  /** Milliseconds from spawn to the line, per run. */
  tkvmMs: number[];
  qemuMs: number[];
  tkvmMedianMs: number;
  /** NaN when QEMU is not installed. */
  qemuMedianMs: number;
  /** tkvm median / QEMU median (NaN without QEMU). */
  ratio: number;
}

/** Time one process from spawn until MARK appears on its stdout, then end it. */
function timeToMark(cmd: string, args: string[], timeoutMs: number): Promise<number> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    let done = false;
    const finish = (err: Error | null, ms = 0) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (err) rej(err);
      else res(ms);
    };
    const timer = setTimeout(() => finish(new Error(`${cmd}: no "${MARK}" within ${timeoutMs} ms`)), timeoutMs);
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes(MARK)) finish(null, performance.now() - t0);
    });
    child.on('error', (e) => finish(e));
    child.on('close', () => finish(new Error(`${cmd} exited before "${MARK}"`)));
  });
}

const median = (v: number[]) => {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function benchUboot(opts: { runs?: number; timeoutMs?: number; progress?: Progress } = {}): Promise<UbootBenchResult> {
  const runs = opts.runs ?? 3;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  if (!existsSync(UBOOT)) throw new Error(`${UBOOT} is missing (install the u-boot-qemu package)`);
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing (npm run build)`);
  const withQemu = haveQemu();
  const progress = opts.progress ?? (() => {});
  const tkvmMs: number[] = [], qemuMs: number[] = [];
  for (let i = 1; i <= runs; i++) {
    progress(`tkvm run ${i}/${runs} ...`);
    tkvmMs.push(await timeToMark(process.execPath, [CLI, 'run', ...MACHINE], timeoutMs));
    progress(`tkvm run ${i}/${runs}: autoboot prompt at ${tkvmMs[i - 1].toFixed(0)} ms`);
    if (withQemu) {
      progress(`QEMU run ${i}/${runs} ...`);
      qemuMs.push(await timeToMark(...qemuCommand(MACHINE), timeoutMs));
      progress(`QEMU run ${i}/${runs}: autoboot prompt at ${qemuMs[i - 1].toFixed(0)} ms`);
    }
  }
  const t = median(tkvmMs), q = median(qemuMs);
  return { name: 'uboot-to-autoboot', tkvmMs, qemuMs, tkvmMedianMs: t, qemuMedianMs: q, ratio: t / q };
}

/** The U-Boot benchmark's lines. */
export function formatUboot(r: UbootBenchResult): string {
  const f = (v: number[]) => v.map((x) => x.toFixed(0)).join(', ');
  let s = `process start to "${MARK}" (${r.tkvmMs.length} runs each, alternating)\n`;
  s += `  tkvm: median ${r.tkvmMedianMs.toFixed(0)} ms  [${f(r.tkvmMs)}]\n`;
  if (r.qemuMs.length > 0) {
    s += `  QEMU: median ${r.qemuMedianMs.toFixed(0)} ms  [${f(r.qemuMs)}]\n`;
    s += `  tkvm / QEMU: ${r.ratio.toFixed(2)}\n`;
  } else {
    s += '  QEMU: not installed\n';
  }
  return s;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const runs = process.argv[2] !== undefined ? Number(process.argv[2]) : 3;
  benchUboot({ runs }).then((r) => process.stdout.write(formatUboot(r)), (e: Error) => {
    process.stderr.write(`bench: ${e.message}\n`);
    process.exitCode = 1;
  });
}
