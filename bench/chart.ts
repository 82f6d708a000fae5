// `npm run bench:chart`: draws the results of `npm run bench` as an SVG
// chart, tkvm against QEMU per workload (hand-written SVG, no dependency).
//
//   node dist/bench/chart.js [results.json] [out.svg]
//     defaults: bench/results/latest.json -> docs/bench.svg
//
// Each workload is a panel with its own axis (seconds or MIPS do not share
// one): a tkvm bar and a QEMU bar, their figures, and how many times slower
// (or faster) tkvm is.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseResults, ResultsError, shortPath, type BenchResults, type Workload } from './results.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_RESULTS = join(ROOT, 'bench/results/latest.json');
export const DEFAULT_SVG = join(ROOT, 'docs/bench.svg');

const COLORS = { tkvm: '#d9622b', qemu: '#3b6ea8' };
const WIDTH = 800;
const BAR_X = 80; // where bars start (their names are to the left)
const BAR_W = 480; // the length of the longest bar
const BAR_H = 20;
const PANEL_H = 118;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An axis end and tick step for values up to `max`: steps of 1, 2 or 5 times a power of ten, 3 to 6 ticks. */
export function niceAxis(max: number): { end: number; step: number } {
  if (!(max > 0)) return { end: 1, step: 0.25 };
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw)!;
  return { end: Math.ceil(max / step - 1e-9) * step, step };
}

/** A figure as the chart prints it: three significant digits or so. */
export function figure(v: number, unit: string): string {
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${unit}`;
}

/** "tkvm 4.3× slower", "tkvm 1.5× faster", or null without QEMU. */
export function verdict(w: Workload): string | null {
  if (w.slowdown === null || !(w.slowdown > 0)) return null;
  const k = w.slowdown >= 1 ? w.slowdown : 1 / w.slowdown;
  return `tkvm ${k.toFixed(k >= 100 ? 0 : 1)}\u00d7 ${w.slowdown >= 1 ? 'slower' : 'faster'}`;
}

function panel(w: Workload, y: number): string {
  const unit = w.unit === 's' ? 's' : 'MIPS';
  const { end, step } = niceAxis(Math.max(w.tkvm, w.qemu ?? 0));
  const x = (v: number): number => BAR_X + (v / end) * BAR_W;
  const out: string[] = [];
  out.push(`<g class="workload" data-id="${esc(w.id)}">`);
  out.push(`<text x="20" y="${y + 16}" class="heading">${esc(w.title)}</text>`);
  const bars: ['tkvm' | 'qemu', string, number | null, number[]][] = [
    ['tkvm', 'tkvm', w.tkvm, w.tkvmRuns], ['qemu', 'QEMU', w.qemu, w.qemuRuns],
  ];
  bars.forEach(([key, name, v, runs], i) => {
    const by = y + 28 + i * (BAR_H + 6);
    out.push(`<text x="${BAR_X - 8}" y="${by + 15}" text-anchor="end" class="name">${name}</text>`);
    if (v === null) {
      out.push(`<text x="${BAR_X + 4}" y="${by + 15}" class="value">not measured (QEMU not installed)</text>`);
      return;
    }
    const runsNote = runs.length > 1 ? ` (median of ${runs.length})` : '';
    out.push(`<rect class="bar ${key}" data-value="${v}" x="${BAR_X}" y="${by}" width="${Math.max(1, x(v) - BAR_X).toFixed(1)}" height="${BAR_H}" fill="${COLORS[key]}">` +
      `<title>${name}: ${esc(figure(v, unit))}${runsNote}; runs: ${runs.map((r) => figure(r, unit)).join(', ')}</title></rect>`);
    out.push(`<text x="${(x(v) + 6).toFixed(1)}" y="${by + 15}" class="value">${esc(figure(v, unit))}</text>`);
  });
  const v = verdict(w);
  if (v !== null) out.push(`<text x="${WIDTH - 20}" y="${y + 28 + BAR_H + 8}" text-anchor="end" class="ratio">${esc(v)}</text>`);
  // The axis: a line, ticks with their values, and what it measures.
  const ay = y + 28 + 2 * BAR_H + 10;
  out.push(`<line x1="${BAR_X}" y1="${ay}" x2="${BAR_X + BAR_W}" y2="${ay}" class="axis"/>`);
  for (let t = 0; t <= end + step / 2; t += step) {
    const tx = x(t).toFixed(1);
    out.push(`<line x1="${tx}" y1="${ay}" x2="${tx}" y2="${ay + 4}" class="axis"/>`);
    out.push(`<text x="${tx}" y="${ay + 16}" text-anchor="middle" class="tick">${esc(Number(t.toPrecision(6)).toString())}</text>`);
  }
  const label = w.unit === 's' ? 'seconds (lower is better)' : 'guest MIPS, millions of instructions per second (higher is better)';
  out.push(`<text x="${BAR_X + BAR_W / 2}" y="${ay + 32}" text-anchor="middle" class="unit">${esc(label)}</text>`);
  out.push('</g>');
  return out.join('\n');
}

/** "QEMU 7.2.22" from QEMU's version line. */
function qemuName(version: string | null): string | null {
  if (version === null) return null;
  const m = /version (\S+)/.exec(version);
  return m ? `QEMU ${m[1]}` : version;
}

/** The chart of `r` as a standalone SVG document. */
export function renderChart(r: BenchResults, opts: { source?: string } = {}): string {
  const ws = r.workloads;
  if (ws.length === 0) throw new ResultsError(`${opts.source ?? 'the results'}: no workloads compare tkvm with QEMU (run npm run bench with lcg, uboot, linux or cpu)`);
  const top = 96;
  const height = top + ws.length * PANEL_H + 40;
  const h = r.host;
  const load = (l: number[] | undefined): string => (l && l.length > 0 ? l[0].toFixed(1) : '?');
  const commit = r.tkvm?.commit ? `tkvm ${r.tkvm.commit.slice(0, 10)}${r.tkvm.dirty ? ' (uncommitted changes)' : ''}` : 'tkvm (no git commit)';
  const jit = r.tkvm?.jit ? `, JIT ${r.tkvm.jit}` : '';
  const qemu = qemuName(r.qemu?.version ?? null);
  const sub1 = `${r.date.slice(0, 10)} · ${h.cpu}, ${h.cores} cores · Node.js ${h.node} · ${commit}${jit} · ${qemu ?? 'QEMU not installed'}`;
  const sub2 = `${r.quick ? 'quick run (one run each)' : `medians of ${r.runs} runs`}, tkvm and QEMU alternating on one machine · load average ${load(h.loadStart)} at the start, ${load(h.loadEnd)} at the end`;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`);
  out.push('<title>tkvm against QEMU, per workload</title>');
  out.push(`<desc>${esc(ws.map((w) => `${w.title}: tkvm ${figure(w.tkvm, w.unit)}, QEMU ${w.qemu === null ? 'n/a' : figure(w.qemu, w.unit)}${verdict(w) ? `, ${verdict(w)}` : ''}`).join('; '))}</desc>`);
  out.push('<style>.heading{font-size:14px;font-weight:bold;fill:#222}.name{font-size:13px;fill:#222}.value{font-size:12px;fill:#222}' +
    '.ratio{font-size:14px;font-weight:bold;fill:#222}.tick{font-size:11px;fill:#555}.unit{font-size:11px;fill:#555}' +
    '.axis{stroke:#888;stroke-width:1}.title{font-size:18px;font-weight:bold;fill:#111}.sub{font-size:11px;fill:#555}.legend{font-size:13px;fill:#222}</style>');
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="20" y="28" class="title">tkvm vs QEMU (qemu-system-ppc -M ppce500 -cpu e500mc)</text>`);
  out.push(`<text x="20" y="48" class="sub">${esc(sub1)}</text>`);
  out.push(`<text x="20" y="64" class="sub">${esc(sub2)}</text>`);
  // The legend.
  out.push(`<rect x="20" y="74" width="14" height="14" fill="${COLORS.tkvm}"/><text x="40" y="86" class="legend">tkvm</text>`);
  out.push(`<rect x="90" y="74" width="14" height="14" fill="${COLORS.qemu}"/><text x="110" y="86" class="legend">${esc(qemu ?? 'QEMU')} (TCG)</text>`);
  ws.forEach((w, i) => out.push(panel(w, top + i * PANEL_H)));
  out.push(`<text x="20" y="${height - 14}" class="sub">npm run bench, then npm run bench:chart. Only ratios measured together mean anything: a busy machine slows both sides.</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Reads the results file, writes the chart; returns the chart's path. */
export function writeChart(input = DEFAULT_RESULTS, output = DEFAULT_SVG): string {
  let text: string;
  try {
    text = readFileSync(input, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ResultsError(`${input}: ${missing ? 'no such file (run npm run bench first, or name a results file)' : (e as Error).message}`);
  }
  const svg = renderChart(parseResults(text, input), { source: input });
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, svg);
  return output;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [input, output] = process.argv.slice(2);
  // Paths as the user typed them: npm runs scripts in the package's directory, and says where it was started.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  try {
    const out = writeChart(input !== undefined ? resolve(cwd, input) : undefined, output !== undefined ? resolve(cwd, output) : undefined);
    process.stdout.write(`bench:chart: wrote ${shortPath(cwd, out)}\n`);
  } catch (e) {
    process.stderr.write(`bench:chart: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
