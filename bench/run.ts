// `npm run bench`: every benchmark, tkvm and QEMU side by side in one run
// (only ratios measured together mean anything on a shared machine).
//   npm run bench                       all of them
//   npm run bench -- lcg cpu            a selection (lcg, uboot, linux, cpu, api, snapshot)
//   npm run bench -- --quick            shorter runs (one run per side)
//   npm run bench -- --runs 5           runs per side of the repeated ones (3 unless --quick)
//   npm run bench -- --json FILE        where the results go (bench/results/latest.json)
// The tables go to stdout, what is being done to stderr, and every figure to
// the results file, which `npm run bench:chart` draws.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { formatApi, benchApi } from './api.js';
import { haveQemu, ROOT, type Progress } from './common.js';
import { benchCpu, CPU_PROGRAM, formatCpu } from './cpu.js';
import { benchLcg } from './lcg.js';
import { benchUboot, formatUboot } from './uboot.js';
import { benchLinux, formatLinux } from './linux.js';
import { RESULTS_FORMAT, RESULTS_VERSION, shortPath, workload, type BenchResults, type Workload } from './results.js';
import { benchSnapshot, formatSnapshot } from './snapshot.js';
import { qemuVersion } from '../src/platform/node/qemu.js';

export const DEFAULT_JSON = join(ROOT, 'bench/results/latest.json');

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined ? 'n/a' : n.toFixed(digits);
}

interface Outcome {
  text: string;
  /** The benchmark's own result object. */
  detail: unknown;
  /** Its comparison with QEMU, if it makes one. */
  workload?: Workload;
}

type Bench = (o: { quick: boolean; runs: number; progress: Progress }) => Promise<Outcome>;

const BENCHES: Record<string, Bench> = {
  async lcg({ quick, runs, progress }) {
    const r = await benchLcg(quick ? 2_000_000 : 20_000_000, progress, runs);
    let s = `guest instructions        ${r.insns}\n`;
    s += `tkvm  MIPS                ${fmt(r.tkvmMips)}   (median of [${r.tkvmRuns.map((x) => x.toFixed(0)).join(', ')}])\n`;
    s += `QEMU  MIPS                ${fmt(r.qemuMips)}   (median of [${r.qemuRuns.map((x) => x.toFixed(0)).join(', ')}]; 10x the loop)\n`;
    if (r.qemuMips !== undefined) s += `tkvm / QEMU               ${(r.tkvmMips / r.qemuMips).toFixed(3)}\n`;
    return {
      text: s, detail: r,
      workload: workload({
        id: 'lcg', title: 'Bare-metal integer loop (guests/bin/bench-lcg.elf): guest MIPS', unit: 'MIPS',
        tkvm: r.tkvmMips, qemu: r.qemuMips ?? null, tkvmRuns: r.tkvmRuns, qemuRuns: r.qemuRuns,
      }),
    };
  },
  async uboot({ runs, progress }) {
    const r = await benchUboot({ runs, progress });
    const s = (v: number[]) => v.map((ms) => ms / 1000);
    return {
      text: formatUboot(r), detail: r,
      workload: workload({
        id: 'uboot', title: 'Debian U-Boot: process start to its autoboot prompt', unit: 's',
        tkvm: r.tkvmMedianMs / 1000, qemu: r.qemuMs.length > 0 ? r.qemuMedianMs / 1000 : null, tkvmRuns: s(r.tkvmMs), qemuRuns: s(r.qemuMs),
      }),
    };
  },
  async linux({ runs, progress }) {
    const r = await benchLinux({ runs, progress });
    return {
      text: formatLinux(r), detail: r,
      workload: workload({
        id: 'linux', title: 'Linux 6.1 + BusyBox initramfs: process start to the shell prompt', unit: 's',
        tkvm: r.tkvmMedianMs / 1000, qemu: r.qemu.length > 0 ? r.qemuMedianMs / 1000 : null,
        tkvmRuns: r.tkvm.map((x) => x.promptMs / 1000), qemuRuns: r.qemu.map((x) => x.promptMs / 1000),
      }),
    };
  },
  async cpu({ runs, progress }) {
    const r = await benchCpu({ runs, progress });
    return {
      text: formatCpu(r), detail: r,
      workload: workload({
        id: 'cpu', title: `C program at the Linux shell (/tests/${CPU_PROGRAM}: quicksort, CRC-32, 5-body)`, unit: 's',
        tkvm: r.tkvmMedianS, qemu: r.qemuS.length > 0 ? r.qemuMedianS : null, tkvmRuns: r.tkvmS, qemuRuns: r.qemuS,
      }),
    };
  },
  async api({ progress }) {
    progress('MMIO exits, ioctls, TLB modes (tkvm only) ...');
    const r = await benchApi();
    return { text: formatApi(r), detail: r };
  },
  async snapshot({ progress }) {
    progress('boot, full and incremental snapshot, restore (tkvm only) ...');
    const r = await benchSnapshot();
    return { text: formatSnapshot(r), detail: r };
  },
};

const TITLES: Record<string, string> = {
  lcg: 'CPU-bound integer loop (guests/bin/bench-lcg.elf): guest MIPS',
  uboot: "Debian U-Boot: process start to the autoboot prompt",
  linux: 'Linux 6.1 + BusyBox: process start to the shell prompt',
  cpu: `A CPU-bound C program at the Linux shell (/tests/${CPU_PROGRAM}): command to its last line`,
  api: 'Hypervisor API: MMIO exits, ioctls, TLB modes',
  snapshot: 'Snapshots: full and incremental size and time',
};

/** The git commit of the tree that runs, and whether it has uncommitted changes. */
function gitState(): { commit: string | null; dirty: boolean | null } {
  const git = (args: string[]) => spawnSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' });
  const head = git(['rev-parse', 'HEAD']);
  if (head.status !== 0) return { commit: null, dirty: null };
  const st = git(['status', '--porcelain', '--untracked-files=no']);
  return { commit: head.stdout.trim(), dirty: st.status === 0 ? st.stdout.trim() !== '' : null };
}

interface Options {
  names: string[];
  quick: boolean;
  runs: number;
  json: string;
}

function parseArgs(args: string[]): Options {
  const o: Options = { names: [], quick: false, runs: NaN, json: DEFAULT_JSON };
  // Paths as the user typed them: npm runs scripts in the package's directory, and says where it was started.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = resolve(cwd, value());
    else if (a === '--runs') {
      o.runs = Number(value());
      if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error(`--runs needs a whole number of runs, at least 1 (got '${args[i]}')`);
    } else if (a.startsWith('-')) throw new Error(`unknown option '${a}' (known: --quick, --runs N, --json FILE)`);
    else if (!(a in BENCHES)) throw new Error(`unknown benchmark '${a}' (known: ${Object.keys(BENCHES).join(', ')})`);
    else o.names.push(a);
  }
  if (Number.isNaN(o.runs)) o.runs = o.quick ? 1 : 3;
  if (o.names.length === 0) o.names = Object.keys(BENCHES);
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const withQemu = haveQemu();
  if (!withQemu) process.stdout.write('note: qemu-system-ppc is not installed; QEMU columns are empty\n');
  // Node reads these certificates when it starts, before any of tkvm runs:
  // 45 ms of every tkvm process on the machines this was measured on
  // (`node -e 0`: 76 ms with it, 30 without), which QEMU does not pay, and
  // tkvm makes no TLS connection: its processes here run without it.
  if (process.env.NODE_EXTRA_CA_CERTS) {
    process.stdout.write('note: NODE_EXTRA_CA_CERTS is set; tkvm runs without it here (Node would load those certificates at every start)\n');
    delete process.env.NODE_EXTRA_CA_CERTS;
  }
  const host = cpus();
  const results: BenchResults = {
    format: RESULTS_FORMAT, version: RESULTS_VERSION, date: new Date().toISOString(),
    benchmarks: o.names, quick: o.quick, runs: o.runs,
    host: {
      cpu: host[0]?.model.trim() ?? 'unknown', cores: host.length, memoryBytes: totalmem(), os: `${osType()} ${release()}`,
      node: process.version, loadStart: loadavg(), loadEnd: [],
    },
    tkvm: { ...gitState(), jit: process.env.TKVM_JIT || 'on' },
    qemu: { version: withQemu ? qemuVersion() : null },
    workloads: [], details: {}, errors: {},
  };
  const t0 = performance.now();
  for (const [k, name] of o.names.entries()) {
    process.stdout.write(`\n== ${TITLES[name]} ==\n`);
    const tag = `[${k + 1}/${o.names.length}] ${name}`;
    const progress: Progress = (m) => process.stderr.write(`${tag}: ${m}\n`);
    progress('starting');
    const s0 = performance.now();
    try {
      const r = await BENCHES[name]({ quick: o.quick, runs: o.runs, progress });
      process.stdout.write(r.text);
      results.details[name] = r.detail;
      if (r.workload) results.workloads.push(r.workload);
      progress(`done in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
    } catch (e) {
      // The other benchmarks still run, and the run still fails at the end.
      const msg = (e as Error).message;
      process.stdout.write(`  FAILED: ${msg}\n`);
      results.errors[name] = msg;
      progress(`FAILED: ${msg.split('\n')[0]}`);
    }
  }
  results.host.loadEnd = loadavg();
  mkdirSync(dirname(o.json), { recursive: true });
  writeFileSync(o.json, JSON.stringify(results, null, 2) + '\n');
  const rel = shortPath(process.env.INIT_CWD ?? process.cwd(), o.json);
  process.stdout.write(`\nresults: ${rel} (${((performance.now() - t0) / 1000).toFixed(0)} s; load average ${results.host.loadStart[0].toFixed(1)} at the start, ${results.host.loadEnd[0].toFixed(1)} at the end, ${results.host.cores} cores)\n`);
  process.stdout.write(`chart:   npm run bench:chart${o.json === DEFAULT_JSON ? '' : ` -- ${rel}`}  (docs/bench.svg)\n`);
  const failed = Object.keys(results.errors);
  if (failed.length > 0) throw new Error(`failed: ${failed.join(', ')}`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
