// The chart of `npm run bench:chart` and the results file it reads (no
// benchmark runs here: the results are made up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { niceAxis, renderChart, verdict, writeChart } from '../bench/chart.js';
import { parseResults, RESULTS_FORMAT, RESULTS_VERSION, ResultsError, workload, type BenchResults } from '../bench/results.js';
import { ROOT } from './support/host.js';

function results(): BenchResults {
  return {
    format: RESULTS_FORMAT, version: RESULTS_VERSION, date: '2026-12-07T12:00:00.000Z',
    benchmarks: ['lcg', 'linux', 'cpu'], quick: false, runs: 3,
    host: { cpu: 'Test CPU <x86>', cores: 2, memoryBytes: 1 << 30, os: 'Linux 6.1', node: 'v20.0.0', loadStart: [1.5, 1, 1], loadEnd: [2.25, 1, 1] },
    tkvm: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false, jit: 'on' },
    qemu: { version: 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)' },
    workloads: [
      workload({ id: 'lcg', title: 'Integer loop: guest MIPS', unit: 'MIPS', tkvm: 250, qemu: 2500, tkvmRuns: [250], qemuRuns: [2500] }),
      workload({ id: 'linux', title: 'Linux & BusyBox: to the <shell>', unit: 's', tkvm: 2.75, qemu: 0.5, tkvmRuns: [2.7, 2.75, 2.9], qemuRuns: [0.5, 0.5, 0.6] }),
      workload({ id: 'cpu', title: 'C program', unit: 's', tkvm: 0.5, qemu: 1, tkvmRuns: [0.5], qemuRuns: [1] }),
    ],
    details: {}, errors: {},
  };
}

/** The bars of the chart: workload id, which side, value. */
function bars(svg: string): string[] {
  const out: string[] = [];
  let id = '';
  for (const m of svg.matchAll(/<g class="workload" data-id="([^"]*)">|<rect class="bar (\w+)" data-value="([^"]*)"/g)) {
    if (m[1] !== undefined) id = m[1];
    else out.push(`${id} ${m[2]} ${m[3]}`);
  }
  return out;
}

/** Every element closed in order (the chart is XML, not just text that looks like it). */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[3] === '/') continue;
    if (m[1] === '') stack.push(m[2]);
    else assert.equal(stack.pop(), m[2], `</${m[2]}> closes the wrong element`);
  }
  assert.deepEqual(stack, []);
  assert.doesNotMatch(svg.replace(/<[^>]*>/g, ''), /[<>]|&(?!amp;|lt;|gt;|quot;)/, 'text is escaped');
}

test('workload(): the ratio is tkvm / QEMU; the slowdown is a time ratio or an inverse speed ratio', () => {
  const [lcg, linux, cpu] = results().workloads;
  assert.equal(lcg.better, 'higher');
  assert.equal(lcg.ratio, 0.1);
  assert.equal(lcg.slowdown, 10);
  assert.equal(linux.better, 'lower');
  assert.equal(linux.ratio, 5.5);
  assert.equal(linux.slowdown, 5.5);
  assert.equal(cpu.slowdown, 0.5);
  const alone = workload({ id: 'x', title: 'x', unit: 's', tkvm: 1, qemu: null, tkvmRuns: [1], qemuRuns: [] });
  assert.equal(alone.ratio, null);
  assert.equal(alone.slowdown, null);
  assert.equal(workload({ id: 'x', title: 'x', unit: 's', tkvm: 1, qemu: NaN, tkvmRuns: [1], qemuRuns: [] }).qemu, null);
});

test('the chart has a tkvm and a QEMU bar per workload, scaled on its own axis, with figures, ratios, axes and a legend', () => {
  const r = results();
  const svg = renderChart(r);
  assertWellFormed(svg);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="800" height="\d+"/);
  assert.deepEqual(bars(svg), ['lcg tkvm 250', 'lcg qemu 2500', 'linux tkvm 2.75', 'linux qemu 0.5', 'cpu tkvm 0.5', 'cpu qemu 1']);
  // The longest bar of a panel fills its axis up to the next tick: 2500 of 3000 MIPS, 2.75 of 3 s.
  const width = (side: string, id: string) => {
    const g = svg.slice(svg.indexOf(`data-id="${id}"`));
    return Number(new RegExp(`class="bar ${side}"[^>]* width="([\\d.]+)"`).exec(g)![1]);
  };
  assert.equal(width('qemu', 'lcg'), 400);
  assert.equal(width('tkvm', 'lcg'), 40);
  assert.equal(width('tkvm', 'linux'), 440);
  // Figures, ratios, axis labels, the legend, what the run was on.
  for (const s of ['250 MIPS', '2500 MIPS', '2.75 s', '0.50 s', 'tkvm 10.0× slower', 'tkvm 5.5× slower', 'tkvm 2.0× faster',
    'seconds (lower is better)', 'guest MIPS, millions of instructions per second (higher is better)',
    'class="legend">tkvm</text>', 'class="legend">QEMU 7.2.22 (TCG)</text>', 'medians of 3 runs', 'load average 1.5 at the start, 2.3 at the end',
    'tkvm 0123456789, JIT on', 'Test CPU &lt;x86&gt;, 2 cores', 'Linux &amp; BusyBox: to the &lt;shell&gt;', 'runs: 2.70 s, 2.75 s, 2.90 s']) {
    assert.ok(svg.includes(s), `the chart shows ${s}`);
  }
  assert.equal(svg.match(/class="unit"/g)?.length, 3, 'one axis per workload');
});

test('a workload without QEMU has only its tkvm bar; no workloads at all is an error', () => {
  const r = results();
  r.workloads = [workload({ id: 'cpu', title: 'C program', unit: 's', tkvm: 4, qemu: null, tkvmRuns: [4], qemuRuns: [] })];
  r.qemu.version = null;
  const svg = renderChart(r);
  assertWellFormed(svg);
  assert.deepEqual(bars(svg), ['cpu tkvm 4']);
  assert.match(svg, /not measured \(QEMU not installed\)/);
  assert.match(svg, /QEMU not installed/);
  assert.equal(verdict(r.workloads[0]), null);
  r.workloads = [];
  assert.throws(() => renderChart(r), /no workloads compare tkvm with QEMU/);
});

test('niceAxis: steps of 1, 2 or 5 times a power of ten, ending at or above the largest value', () => {
  assert.deepEqual(niceAxis(2500), { end: 3000, step: 1000 });
  assert.deepEqual(niceAxis(2.75), { end: 3, step: 1 });
  assert.deepEqual(niceAxis(8.88), { end: 10, step: 5 });
  assert.deepEqual(niceAxis(0.83), { end: 1, step: 0.5 });
  assert.deepEqual(niceAxis(20), { end: 20, step: 5 });
  assert.deepEqual(niceAxis(0), { end: 1, step: 0.25 });
});

test('results that are not JSON, or not the benchmark\'s, are refused with a message that says what is wrong', () => {
  const bad = (text: string, re: RegExp) => assert.throws(() => parseResults(text, 'r.json'), (e: Error) => e instanceof ResultsError && re.test(e.message), text);
  bad('{"format": ', /^r\.json: not valid JSON \(/);
  bad('[1, 2]', /^r\.json: not a JSON object$/);
  bad('{"format": "other"}', /^r\.json: not tkvm benchmark results \(its "format" is "other", not "tkvm-bench-results"\)$/);
  const good = results();
  bad(JSON.stringify({ ...good, version: 99 }), /results format version 99; this chart reads version 1/);
  bad(JSON.stringify({ ...good, workloads: undefined }), /no "workloads" array/);
  bad(JSON.stringify({ ...good, workloads: [{ ...good.workloads[0], unit: 'ms' }] }), /workloads\[0\] \(lcg\): unit "ms" is neither "s" nor "MIPS"/);
  bad(JSON.stringify({ ...good, workloads: [{ ...good.workloads[1], tkvm: 'fast' }] }), /workloads\[0\] \(linux\): "tkvm" is not a non-negative number/);
  bad(JSON.stringify({ ...good, workloads: [{ ...good.workloads[1], qemu: -1 }] }), /"qemu" is neither null nor a non-negative number/);
  // What run.ts writes (NaN becomes null in JSON) is read back.
  assert.deepEqual(parseResults(JSON.stringify(good), 'r.json'), good);
});

test('node dist/bench/chart.js IN OUT writes the chart, and fails in one line on a broken or missing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-chart-'));
  try {
    const chart = join(ROOT, 'dist/bench/chart.js');
    writeFileSync(join(dir, 'r.json'), JSON.stringify(results()));
    let r = spawnSync(process.execPath, [chart, join(dir, 'r.json'), join(dir, 'out/c.svg')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(bars(readFileSync(join(dir, 'out/c.svg'), 'utf8')).length, 6);
    writeFileSync(join(dir, 'bad.json'), '{"format": "tkvm-bench-results", ');
    r = spawnSync(process.execPath, [chart, join(dir, 'bad.json'), join(dir, 'bad.svg')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^bench:chart: \S+bad\.json: not valid JSON \([^\n]*\)\n$/);
    assert.throws(() => writeChart(join(dir, 'none.json'), join(dir, 'none.svg')), /none\.json: no such file \(run npm run bench first, or name a results file\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
