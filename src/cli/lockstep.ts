// `tkvm lockstep [--limit N] [-v] RUN-OPTIONS`: run a guest in tkvm and in
// QEMU side by side and compare every architected register before every
// instruction (src/lockstep). QEMU runs with one instruction per block and
// its CPU trace on a pipe; tkvm follows it through guest-debug single steps.

import { spawnSync } from 'node:child_process';
import { closeSync, constants, createReadStream, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot } from '../vmm/loaders/boot.js';
import { Ppce500 } from '../vmm/machine/ppce500.js';
import { Lockstep, formatDivergence } from '../lockstep/lockstep.js';
import { TraceParser } from '../lockstep/trace.js';
import { RULES } from '../lockstep/allowlist.js';
import { parseRunArgs, UsageError, type RunArgs } from './args.js';
import { readImages } from './inputs.js';
import { haveQemu, QEMU_SYSTEM, qemuFailure, spawnQemu } from '../platform/node/qemu.js';

export const LOCKSTEP_USAGE = `usage: tkvm lockstep [--limit N] [--keep-going N] [--quiet] [--examples] RUN-OPTIONS
  RUN-OPTIONS: the guest as on a \`tkvm run\` (or QEMU) command line: -m SIZE, -kernel FILE,
  -bios FILE, -initrd FILE, -append ARGS, -dtb FILE, -rtc base=DATE, -nic none; -M ppce500,
  -cpu e500mc, -nographic, -serial, -monitor and -no-reboot are accepted and implied.
  Runs the guest in tkvm and in qemu-system-ppc (-M ppce500 -cpu e500mc -nic none) in lockstep
  and compares every architected register before every instruction. Exit status 0: the runs
  agree (differences the allowlist explains are counted); 1: a divergence (printed).
  --limit N    compare the first N instructions only
  --examples   show the first instances of each allowed difference
  --keep-going N  report up to N divergences, going on from QEMU's state after each
  --quiet      no progress on stderr`;

export interface LockstepResult {
  status: number;
  report: string;
}

function qemuArgs(a: RunArgs, serialFile: string, traceFile: string): string[] {
  const out = ['-M', 'ppce500', '-cpu', 'e500mc', '-m', `${a.ramBytes / (1024 * 1024)}M`,
    '-display', 'none', '-monitor', 'none', '-serial', `file:${serialFile}`, '-no-reboot',
    '-singlestep', '-d', 'cpu,fpu,int,nochain', '-D', traceFile];
  if (a.bios !== undefined) out.push('-bios', a.bios);
  if (a.kernel !== undefined) out.push('-kernel', a.kernel);
  if (a.initrd !== undefined) out.push('-initrd', a.initrd);
  if (a.dtb !== undefined) out.push('-dtb', a.dtb);
  if (a.append !== '') out.push('-append', a.append);
  if (a.rtcBaseMs !== undefined) out.push('-rtc', `base=${new Date(a.rtcBaseMs).toISOString().slice(0, 19)}`);
  return out;
}

export function parseLockstepArgs(argv: string[]): { limit: number; quiet: boolean; examples: boolean; keepGoing: number; run: RunArgs } {
  let limit = Infinity;
  let quiet = false;
  let examples = false;
  let keepGoing = 0;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--limit') {
      const v = argv[++i];
      if (v === undefined || !/^[1-9][0-9]*$/.test(v)) throw new UsageError('--limit needs a positive number of instructions');
      limit = Number(v);
    } else if (x === '--quiet' || x === '-q') {
      quiet = true;
    } else if (x === '--keep-going') {
      const v = argv[++i];
      if (v === undefined || !/^[1-9][0-9]*$/.test(v)) throw new UsageError('--keep-going needs a positive number of divergences');
      keepGoing = Number(v);
    } else if (x === '--examples') {
      examples = true;
    } else {
      rest.push(x);
    }
  }
  const run = parseRunArgs(rest);
  if (run.kernel === undefined && run.bios === undefined) throw new UsageError('lockstep needs a guest: -kernel FILE or -bios FILE');
  const unsupported: [boolean, string][] = [
    [run.drives.length > 0 || run.virtioConsole || run.virtioRng, 'virtio devices'],
    [run.gdb !== undefined || run.startPaused, 'the gdb stub'], [run.loadvm !== undefined, '-loadvm'],
    [run.icount !== undefined, '-icount (lockstep keeps time itself)'], [run.lazyTlb, '-accel'],
  ];
  for (const [bad, what] of unsupported) if (bad) throw new UsageError(`lockstep does not take ${what}`);
  return { limit, quiet, examples, keepGoing, run };
}

export async function lockstepCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(LOCKSTEP_USAGE + '\n');
    return 0;
  }
  const opts = parseLockstepArgs(argv);
  const r = await runLockstep(opts.run, opts.limit, opts.quiet ? () => {} : (s) => process.stderr.write(s), opts.examples, opts.keepGoing);
  process.stdout.write(r.report);
  return r.status;
}

/** Opens the named pipe for writing and closes it again, until the reader has it (`done`). */
function releasePipe(path: string, done: () => boolean): void {
  if (done()) return;
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: the reader has not opened it yet.
  }
  setTimeout(() => releasePipe(path, done), 20);
}

/** Run a guest in lockstep; `progress` gets occasional status text. */
export async function runLockstep(a: RunArgs, limit: number, progress: (s: string) => void, examples = false, keepGoing = 0): Promise<LockstepResult> {
  if (!haveQemu()) throw new UsageError(`lockstep needs ${QEMU_SYSTEM} (apt-get install qemu-system-ppc)`);
  const images = readImages(a);
  const tkvmOut: number[] = [];
  const m = new Ppce500({ ramBytes: a.ramBytes, output: (b) => { tkvmOut.push(b); }, icount: 0, rtc: { clock: 'vm' } });
  boot(m, images);
  m.zeroTimeBase();
  const ls = new Lockstep(m, keepGoing);

  const dir = mkdtempSync(join(tmpdir(), 'tkvm-lockstep-'));
  const serialFile = join(dir, 'serial.txt');
  // The trace goes through a named pipe: QEMU waits while tkvm catches up.
  const traceFile = join(dir, 'trace');
  if (spawnSync('mkfifo', [traceFile]).status !== 0) throw new UsageError(`cannot make a named pipe in ${dir}`);
  const qemu = spawnQemu(qemuArgs(a, serialFile, traceFile), { stdio: ['ignore', 'ignore', 'pipe'] });
  const trace = createReadStream(traceFile, { highWaterMark: 1 << 20 });
  let traceOpen = false;
  trace.once('open', () => { traceOpen = true; });
  let qemuErr = '';
  qemu.stderr!.setEncoding('utf8');
  qemu.stderr!.on('data', (s: string) => { qemuErr += s; });
  // A QEMU that dies before opening the pipe (bad flags, a missing ROM)
  // leaves our open of the pipe waiting for a writer: be that writer, so the
  // read ends and QEMU's message is reported.
  qemu.once('close', () => { if (!traceOpen) releasePipe(traceFile, () => traceOpen || trace.destroyed); });
  const parser = new TraceParser((rec) => ls.push(rec));
  const started = performance.now();
  let lastProgress = started;
  let stopped = false;
  /** Stopped before QEMU's guest ended (--limit or a divergence). */
  let cutShort = false;
  const stop = (): void => {
    if (!stopped) { stopped = true; qemu.kill('SIGKILL'); trace.destroy(); }
  };
  try {
    for await (const chunk of trace) {
      parser.push(chunk as Uint8Array);
      if (ls.divergence !== null || ls.stats.records >= limit) { cutShort = true; stop(); break; }
      const now = performance.now();
      if (now - lastProgress > 2000) {
        lastProgress = now;
        progress(`lockstep: ${ls.stats.records} instructions compared\r`);
      }
    }
    const code: number | null = await new Promise((res) => {
      if (qemu.exitCode !== null || qemu.signalCode !== null) res(qemu.exitCode);
      else qemu.once('close', (c) => res(c));
    });
    if (!cutShort) {
      parser.end();
      ls.finish();
      if (code !== 0 && ls.divergence === null) {
        return { status: 2, report: `tkvm: ${qemuFailure(code, qemuErr)}\n` };
      }
    }
  } finally {
    stop();
    progress('\x1b[K');
  }
  const seconds = (performance.now() - started) / 1000;
  const s = ls.stats;
  const lines: string[] = [];
  let status = 0;
  for (const d of ls.passed) lines.push(formatDivergence(d));
  if (ls.passed.length > 0) status = 1;
  if (ls.divergence !== null) {
    lines.push(formatDivergence(ls.divergence));
    status = 1;
  } else {
    const complete = !cutShort;
    if (complete && !ls.poweredOff) {
      lines.push(`QEMU's guest stopped but tkvm's did not power off (tkvm at 0x${(m.vcpu.getRegs().pc >>> 0).toString(16)}, ` +
        `QEMU's last instruction at 0x${ls.lastPc.toString(16)}, last event ${ls.lastEvent})`);
      status = 1;
    } else if (ls.afterPowerOffPcs.size > 256) {
      lines.push(`tkvm's guest powered off ${ls.afterPowerOff} instructions (at ${ls.afterPowerOffPcs.size} addresses) before QEMU's`);
      status = 1;
    }
    const qemuSerial = (() => { try { return readFileSync(serialFile); } catch { return Buffer.alloc(0); } })();
    const same = Buffer.compare(qemuSerial, Buffer.from(tkvmOut)) === 0;
    if (complete && !same) {
      lines.push('the console output differs:', `  QEMU: ${JSON.stringify(qemuSerial.toString('latin1').slice(-200))}`,
        `  tkvm: ${JSON.stringify(Buffer.from(tkvmOut).toString('latin1').slice(-200))}`);
      status = 1;
    }
    lines.push(`${ls.passed.length > 0 ? `${ls.passed.length} divergences (gone past)` : 'no divergence'} in ${s.records} instructions${complete ? ' (the whole run)' : ' (--limit)'}` +
      `${complete && same ? ', same console output' : ''}`);
  }
  lines.push(`${s.steps} tkvm steps, ${s.reentries} re-entered records, ${s.timeEvents} timer events adopted, ` +
    `last instruction at 0x${ls.lastPc.toString(16)}, ${seconds.toFixed(1)} s`);
  for (const [id, n] of s.allowed) {
    lines.push(`allowed ${id} x${n}: ${RULES.find((r) => r.id === id)?.why ?? ''}`);
    if (examples) for (const e of s.examples.get(id) ?? []) lines.push(`    ${e}`);
  }
  rmSync(dir, { recursive: true, force: true });
  return { status, report: lines.join('\n') + '\n' };
}
