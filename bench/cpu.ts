// Benchmark: a CPU-bound C program at the Linux shell. The Linux images
// (`tkvm images linux`) boot in tkvm and in QEMU with the same command line
// as bench/linux.ts; at each shell prompt /tests/cpubench (images/tests/
// cpubench.c: a quicksort of 200k ints, CRC-32 over 10 MB, a 5-body
// simulation) is typed, and the time runs from typing the command to its
// last output line. Both machines stay booted; the runs alternate (tkvm,
// QEMU, tkvm, ...), so that both see the same machine load, and each run's
// output is checked against images/tests/cpubench.expected.
//
// What is timed is guest work plus the console: QEMU's 16550 paces its
// output at the baud rate, about 0.03 s for the program's ~450 characters.
//
//   node dist/bench/cpu.js [runs]          standalone
//   import { benchCpu, formatCpu } from './cpu.js'   from bench/run.ts

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cachedLinux } from '../src/cli/images/linux.js';
import { cacheDir, IMAGES_SRC } from '../src/cli/images/paths.js';
import { haveQemu, qemuCommand } from '../src/platform/node/qemu.js';
import { median, ROOT, type Progress } from './common.js';

const CLI = join(ROOT, 'dist/src/cli/main.js');
/** The test program the benchmark runs (one of images/tests/*.c, in /tests of the initramfs). */
export const CPU_PROGRAM = 'cpubench';
const PROMPT = /tkvm:[^\n#]*# $/;
const LAST_LINE = new RegExp(`^== ${CPU_PROGRAM}: \\w+\\n`, 'm');

export interface CpuBenchResult {
  name: 'linux-cpubench';
  program: string;
  /** Seconds from typing the command to its last output line, per run. */
  tkvmS: number[];
  qemuS: number[];
  tkvmMedianS: number;
  /** NaN when QEMU is not installed. */
  qemuMedianS: number;
  /** tkvm median / QEMU median (NaN without QEMU). */
  ratio: number;
  /** Seconds from process start to the shell prompt, for each machine's one boot. */
  tkvmBootS: number;
  qemuBootS: number;
}

/** A guest on a console: wait for text, type. */
class Console {
  private readonly proc: ChildProcessWithoutNullStreams;
  private text = '';
  private scanned = 0;
  private wake: (() => void) | null = null;
  private exited = false;
  readonly t0 = performance.now();

  constructor(readonly name: string, [cmd, args]: [string, string[]]) {
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const onData = (b: Buffer): void => {
      this.text += b.toString('latin1').replace(/\r/g, '');
      this.wake?.();
    };
    this.proc.stdout.on('data', onData);
    this.proc.stderr.on('data', onData);
    this.proc.on('error', (e) => { this.text += `\n[${e.message}]\n`; this.exited = true; this.wake?.(); });
    this.proc.on('close', () => { this.exited = true; this.wake?.(); });
  }

  /** Waits for `re` after the previous match; returns the match and the time it arrived (performance.now()). */
  async expect(re: RegExp, timeoutMs: number): Promise<{ match: RegExpExecArray; at: number }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.text.slice(this.scanned));
      if (m) {
        this.scanned += m.index + m[0].length;
        return { match: m, at: performance.now() };
      }
      const left = deadline - performance.now();
      if (left <= 0 || this.exited) {
        throw new Error(`${this.name}: no ${re} within ${timeoutMs} ms${this.exited ? ' (the process ended)' : ''}; last output:\n${this.text.slice(-800)}`);
      }
      await new Promise<void>((res) => {
        const timer = setTimeout(res, left);
        this.wake = () => { clearTimeout(timer); this.wake = null; res(); };
      });
    }
  }

  send(s: string): void { this.proc.stdin.write(s); }

  kill(): void { if (!this.exited) this.proc.kill('SIGKILL'); }
}

/** Boots to the shell prompt; returns the seconds it took. */
async function boot(c: Console, timeoutMs: number): Promise<number> {
  const { at } = await c.expect(PROMPT, timeoutMs);
  // Only emergency kernel messages on the console: none can land between the program's lines.
  c.send('dmesg -n 1\n');
  await c.expect(PROMPT, 30_000);
  return (at - c.t0) / 1000;
}

/** Types the command, waits for its last line, checks its output; returns the seconds in between. */
async function runOnce(c: Console, expected: string, timeoutMs: number): Promise<number> {
  c.send(`/tests/${CPU_PROGRAM}\n`);
  const t0 = performance.now();
  const first = await c.expect(new RegExp(`^== ${CPU_PROGRAM}\\n`, 'm'), timeoutMs);
  const last = await c.expect(new RegExp(`^([^]*?)${LAST_LINE.source}`, 'm'), timeoutMs);
  const out = first.match[0] + last.match[0];
  if (out !== expected) throw new Error(`${c.name}: /tests/${CPU_PROGRAM} printed\n${out}\ninstead of\n${expected}`);
  await c.expect(PROMPT, 30_000);
  return (last.at - t0) / 1000;
}

export async function benchCpu(opts: { runs?: number; timeoutMs?: number; progress?: Progress } = {}): Promise<CpuBenchResult> {
  const runs = opts.runs ?? 3;
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const progress = opts.progress ?? (() => {});
  const images = cachedLinux(cacheDir());
  if (!images) throw new Error(`the Linux images are not built for the current inputs in ${cacheDir()} (npm run images:linux)`);
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing (npm run build)`);
  const expected = readFileSync(join(IMAGES_SRC, 'tests', `${CPU_PROGRAM}.expected`), 'latin1');
  const machine = ['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic',
    '-kernel', images.vmlinux, '-initrd', images.initramfs, '-append', 'console=ttyS0'];
  const consoles: Console[] = [];
  try {
    // One after the other, so that neither boot slows the other down.
    progress('booting Linux in tkvm');
    const tkvm = new Console('tkvm', [process.execPath, [CLI, 'run', ...machine]]);
    consoles.push(tkvm);
    const tkvmBootS = await boot(tkvm, timeoutMs);
    let qemu: Console | null = null;
    let qemuBootS = NaN;
    if (haveQemu()) {
      progress('booting Linux in QEMU');
      qemu = new Console('QEMU', qemuCommand(machine));
      consoles.push(qemu);
      qemuBootS = await boot(qemu, timeoutMs);
    }
    const tkvmS: number[] = [], qemuS: number[] = [];
    for (let i = 1; i <= runs; i++) {
      progress(`tkvm run ${i}/${runs} ...`);
      tkvmS.push(await runOnce(tkvm, expected, timeoutMs));
      progress(`tkvm run ${i}/${runs}: ${tkvmS[i - 1].toFixed(2)} s`);
      if (qemu) {
        progress(`QEMU run ${i}/${runs} ...`);
        qemuS.push(await runOnce(qemu, expected, timeoutMs));
        progress(`QEMU run ${i}/${runs}: ${qemuS[i - 1].toFixed(2)} s`);
      }
    }
    const t = median(tkvmS), q = median(qemuS);
    return {
      name: 'linux-cpubench', program: `/tests/${CPU_PROGRAM}`, tkvmS, qemuS, tkvmMedianS: t, qemuMedianS: q, ratio: t / q,
      tkvmBootS, qemuBootS,
    };
  } finally {
    for (const c of consoles) c.kill();
  }
}

export function formatCpu(r: CpuBenchResult): string {
  const f = (v: number[]) => v.map((x) => x.toFixed(2)).join(', ');
  let s = `${r.program} at the shell, command to last line, s (${r.tkvmS.length} runs each, alternating, in one boot each)\n`;
  s += `  tkvm: median ${r.tkvmMedianS.toFixed(2)}  [${f(r.tkvmS)}]  (booted in ${r.tkvmBootS.toFixed(1)} s)\n`;
  if (r.qemuS.length > 0) {
    s += `  QEMU: median ${r.qemuMedianS.toFixed(2)}  [${f(r.qemuS)}]  (booted in ${r.qemuBootS.toFixed(1)} s)\n`;
    s += `  tkvm / QEMU: ${r.ratio.toFixed(1)}\n`;
  } else {
    s += '  QEMU: not installed\n';
  }
  return s;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const runs = process.argv[2] !== undefined ? Number(process.argv[2]) : 3;
  benchCpu({ runs, progress: (m) => process.stderr.write(`cpu: ${m}\n`) }).then((r) => process.stdout.write(formatCpu(r)), (e: Error) => {
    process.stderr.write(`bench: ${e.message}\n`);
    process.exitCode = 1;
  });
}
