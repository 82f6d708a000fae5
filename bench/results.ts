// The results file of `npm run bench` (bench/results/latest.json unless
// --json FILE): every figure of the run, the workloads that compare tkvm with
// QEMU in one uniform shape (which bench/chart.ts draws), and what the run
// was on. Written by bench/run.ts; read back, and checked, by
// parseResults().

import { relative } from 'node:path';

export const RESULTS_FORMAT = 'tkvm-bench-results';
export const RESULTS_VERSION = 1;

/** One workload measured in tkvm and in QEMU. */
export interface Workload {
  /** The benchmark's name in `npm run bench -- NAME`. */
  id: string;
  /** What was measured, in a few words. */
  title: string;
  /** 's' (seconds: lower is better) or 'MIPS' (guest instructions per second, millions: higher is better). */
  unit: 's' | 'MIPS';
  better: 'lower' | 'higher';
  /** The figure (the median of the runs). */
  tkvm: number;
  /** null when QEMU is not installed. */
  qemu: number | null;
  /** tkvm / QEMU of the figure. */
  ratio: number | null;
  /** How many times slower than QEMU tkvm is (time ratio or inverse speed ratio; < 1: faster). */
  slowdown: number | null;
  /** The figure of each run. */
  tkvmRuns: number[];
  qemuRuns: number[];
}

export interface BenchResults {
  format: typeof RESULTS_FORMAT;
  version: typeof RESULTS_VERSION;
  /** ISO 8601, when the run started. */
  date: string;
  /** The benchmarks run, in order; --quick; the runs per side of the repeated ones. */
  benchmarks: string[];
  quick: boolean;
  runs: number;
  host: {
    cpu: string;
    cores: number;
    memoryBytes: number;
    os: string;
    node: string;
    /** 1-, 5- and 15-minute load averages at the start and at the end of the run. */
    loadStart: number[];
    loadEnd: number[];
  };
  tkvm: {
    /** `git rev-parse HEAD` of the tree that ran, and whether it had uncommitted changes (null: not a git tree). */
    commit: string | null;
    dirty: boolean | null;
    /** TKVM_JIT as set for the run ('on' is the default). */
    jit: string;
  };
  qemu: { version: string | null };
  workloads: Workload[];
  /** Each benchmark's own result object, every figure it measured. */
  details: Record<string, unknown>;
  /** Benchmarks that failed, with their error. */
  errors: Record<string, string>;
}

/** A workload's entry from its two figures (medians) and runs. */
export function workload(w: Omit<Workload, 'ratio' | 'slowdown' | 'better'>): Workload {
  const better = w.unit === 's' ? 'lower' : 'higher';
  const ok = w.qemu !== null && Number.isFinite(w.qemu) && w.qemu > 0 && Number.isFinite(w.tkvm) && w.tkvm > 0;
  const qemu = w.qemu !== null && Number.isFinite(w.qemu) ? w.qemu : null;
  const ratio = ok ? w.tkvm / w.qemu! : null;
  return { ...w, qemu, better, ratio, slowdown: ratio === null ? null : better === 'lower' ? ratio : 1 / ratio };
}

export class ResultsError extends Error {}

/**
 * The results in `text` (the contents of `source`), checked to be what
 * run.ts writes, at least as far as the chart needs it. Throws a
 * ResultsError that says what is wrong.
 */
export function parseResults(text: string, source: string): BenchResults {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ResultsError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const bad = (what: string): never => { throw new ResultsError(`${source}: ${what}`); };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('not a JSON object');
  const r = v as Record<string, unknown>;
  if (r.format !== RESULTS_FORMAT) bad(`not tkvm benchmark results (its "format" is ${JSON.stringify(r.format)}, not "${RESULTS_FORMAT}")`);
  if (r.version !== RESULTS_VERSION) bad(`results format version ${JSON.stringify(r.version)}; this chart reads version ${RESULTS_VERSION}`);
  if (typeof r.date !== 'string') bad('no "date"');
  if (typeof r.host !== 'object' || r.host === null) bad('no "host"');
  if (!Array.isArray(r.workloads)) bad('no "workloads" array');
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  (r.workloads as unknown[]).forEach((w, i) => {
    const at = `workloads[${i}]`;
    if (typeof w !== 'object' || w === null) bad(`${at} is not an object`);
    const o = w as Record<string, unknown>;
    if (typeof o.id !== 'string' || typeof o.title !== 'string') bad(`${at} has no "id" or "title"`);
    if (o.unit !== 's' && o.unit !== 'MIPS') bad(`${at} (${String(o.id)}): unit ${JSON.stringify(o.unit)} is neither "s" nor "MIPS"`);
    if (!num(o.tkvm) || o.tkvm < 0) bad(`${at} (${String(o.id)}): "tkvm" is not a non-negative number`);
    if (o.qemu !== null && (!num(o.qemu) || o.qemu < 0)) bad(`${at} (${String(o.id)}): "qemu" is neither null nor a non-negative number`);
    if (o.slowdown !== null && !num(o.slowdown)) bad(`${at} (${String(o.id)}): "slowdown" is neither null nor a number`);
  });
  return v as BenchResults;
}

/** `path` relative to `cwd` if it is under it, else as it is. */
export function shortPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}
