// GDB sees what QEMU's stub shows: one gdb-multiarch batch script debugs
// guests/bin/gdbtest.elf on QEMU 7.2 (`-M ppce500 -cpu e500mc`, its own GDB
// stub) and on tkvm, stopping at the same places, and the two outputs are
// compared line by line. Only what must differ is set aside, each for the
// reason given where it is done (see `comparable` and `allowedDifference`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spawnQemu } from '../src/platform/node/qemu.js';
import { ROOT, requireQemu, requireTool } from './support/host.js';
import { freePort, Proc, waitListening } from './support/cli.js';

const GDBTEST = join(ROOT, 'guests/bin/gdbtest.elf');

/**
 * The script: each command's output is compared with the other stub's.
 * Stops: in _start after `lis r3,0xc000; ori r3,r3,0x500` (r3 holds a
 * negative number, the signed/unsigned case), then in square() and
 * bump() (source-level frames, after the runtime has set MSR, IVPR, IVORs).
 */
const COMMANDS = [
  'maint print xml-tdesc',
  'break *0x100014',
  'continue',
  'info registers',
  'info registers r3',
  'p $r3',
  'p/x $r3',
  'p $r1',
  'p $pc',
  'p $msr',
  'p $lr',
  'maint print remote-registers',
  'delete',
  'break square',
  'break bump',
  'continue',
  'info registers',
  'bt',
  'info frame',
  'x/4xw $sp',
  'x/2i $pc',
  'p $msr',
  'p $sp',
  // A negative GPR and FPR written through the stub (P packets) and read back.
  'set $r10 = 0xe0000000',
  'info registers r10',
  'p $r10',
  'p/x $r10',
  'set $f1 = -2.5',
  'p $f1',
  'info registers f1',
  'p $fpscr',
  'info registers float',
  'info registers spr',
  'info all-registers',
  'next',
  'stepi',
  'info registers pc lr ctr xer cr',
  'continue',
  'bt',
  'info registers',
  'p $srr0',
  'p $decr',
  'kill',
];
const MARK = '@@@ ';

/** The names in tkvm's description: QEMU's core and FPU features, then tkvm's SPR feature (src/vmm/gdb/target.ts). */
const CORE_FPU = new Set([
  ...Array.from({ length: 32 }, (_, i) => `r${i}`), 'pc', 'msr', 'cr', 'lr', 'ctr', 'xer',
  ...Array.from({ length: 32 }, (_, i) => `f${i}`), 'fpscr',
]);
const TKVM_SPRS = new Set(['decr', 'srr0', 'srr1', 'pid', 'decar', 'csrr0', 'csrr1', 'dear', 'esr', 'ivpr',
  'sprg0', 'sprg1', 'sprg2', 'sprg3', 'tsr', 'tcr', 'mcsrr0', 'mcsrr1']);

type Sections = Map<string, string[]>;

/** Runs the script against the stub on `port`; the output of each command, keyed by its position and text. */
function runGdb(port: number, tag: string): Sections {
  // Commands as -ex arguments: in batch mode an error (say, a register one
  // stub lacks) is printed and the next command still runs, so the
  // comparison shows it rather than a script that stopped.
  const cmds = ['set pagination off', 'set confirm off', 'set width 0', `target remote 127.0.0.1:${port}`,
    ...COMMANDS.flatMap((c, i) => [`echo \\n${MARK}${i} ${c}\\n`, c])];
  // One stream, in order (gdb writes some messages to stderr).
  const g = spawnSync('sh', ['-c', 'exec gdb-multiarch -nx -batch "$@" 2>&1', 'sh', ...cmds.flatMap((c) => ['-ex', c]), GDBTEST],
    { encoding: 'utf8', timeout: 120_000 });
  assert.equal(g.error, undefined, `gdb-multiarch against ${tag}: ${g.error?.message}`);
  const out = new Map<string, string[]>();
  let key = 'connect';
  out.set(key, []);
  for (const line of g.stdout.split('\n')) {
    if (line.startsWith(MARK)) {
      key = line.slice(MARK.length);
      out.set(key, []);
    } else if (line !== '') {
      out.get(key)!.push(line);
    }
  }
  assert.equal(out.size, COMMANDS.length + 1, `${tag}: gdb stopped early:\n${g.stdout}`);
  return out;
}

const isRegisterListing = (cmd: string) => / (info registers|info all-registers|maint print remote-registers)/.test(` ${cmd}`);

/** The first word of a register listing's line: the register's name ('' for GDB's unnamed slots). */
function regName(cmd: string, line: string): string | null {
  if (cmd.includes('remote-registers')) {
    const m = /^ (\S+)\s+\d+\s+\d+/.exec(line);
    return m ? (m[1] === "''" ? '' : m[1]) : null;
  }
  return /^(\S+)\s/.exec(line)?.[1] ?? null;
}

/** The lines of one command's output that the two stubs must print alike. */
function comparable(cmd: string, lines: string[], stub: 'qemu' | 'tkvm'): string[] {
  let out = lines;
  if (cmd.endsWith('maint print xml-tdesc')) {
    // The third feature is each stub's SPR feature: QEMU's org.qemu.power.spr
    // (generated from its SPR table) and tkvm's org.tkvm.e500mc.spr, which
    // does not mirror it (why: src/vmm/gdb/target.ts). tkvm's is checked
    // against QEMU's separately (sprFeatureMatches); core and FPU line by line.
    const start = out.findIndex((l) => /<feature name="org\.(qemu\.power|tkvm\.e500mc)\.spr">/.test(l));
    if (start >= 0) {
      const end = out.indexOf('  </feature>', start);
      out = [...out.slice(0, start), ...out.slice(end + 1)];
    }
  }
  if (isRegisterListing(cmd)) {
    const seen = new Set<string>();
    out = out.filter((l) => {
      const name = regName(cmd, l);
      if (name === null || name === '') return true;
      if (stub === 'qemu') {
        // Registers of QEMU's SPR feature that tkvm's description does not
        // have (pvr, ivor0..., mas0..., hid0...: not mirrored, see target.ts).
        if (!CORE_FPU.has(name) && !TKVM_SPRS.has(name)) return false;
        // QEMU's SPR feature lists xer, lr and ctr again (as signed ints,
        // group spr): GDB shows them after the core feature's, and alone in
        // `info registers spr`. Only the core's are in both descriptions.
        if (CORE_FPU.has(name) && (seen.has(name) || cmd.endsWith('info registers spr'))) return false;
      }
      seen.add(name);
      // The SPR features differ (see above), so GDB numbers their registers
      // differently: their rows of the remote register map cannot match.
      // The core and FPU rows (remote numbers, g offsets) must.
      if (cmd.includes('remote-registers') && TKVM_SPRS.has(name)) return false;
      return true;
    });
  }
  if (stub === 'qemu') {
    // QEMU's stub speaks the multiprocess extensions, so GDB names the
    // inferior "process 1"; tkvm's stub has one thread and no processes.
    out = out.map((l) => l.replace('(process 1)', '(Remote target)'));
  }
  return out;
}

const MSR_ME = 0x1000;

/**
 * A line that may differ: QEMU's e500mc does not keep MSR[ME], which
 * gdbtest's runtime sets before main() (the lockstep allowlist's
 * 'msr-me'); tkvm keeps it. So the MSR may differ by exactly ME, set in tkvm's.
 */
function allowedDifference(cmd: string, q: string, t: string): boolean {
  const reg = (l: string) => /^msr\s+0x([0-9a-f]+)\s+(\d+)$/.exec(l);
  const printed = (l: string) => (cmd.endsWith('p $msr') ? /^\$\d+ = (\d+)$/.exec(l) : null);
  const qm = reg(q), tm = reg(t);
  let qv: number, tv: number;
  if (qm && tm) {
    qv = parseInt(qm[1], 16);
    tv = parseInt(tm[1], 16);
    if (+qm[2] !== qv || +tm[2] !== tv) return false;
    // Same columns as GDB would print for the value without ME.
    if (q.indexOf('0x') !== t.indexOf('0x')) return false;
  } else {
    const qp = printed(q), tp = printed(t);
    if (!qp || !tp || q.split('=')[0] !== t.split('=')[0]) return false;
    qv = +qp[1];
    tv = +tp[1];
  }
  return (qv ^ tv) === MSR_ME && (tv & MSR_ME) !== 0;
}

/** tkvm's SPR feature in `maint print xml-tdesc`: each register as in QEMU's SPR feature (bitsize, type, group), in QEMU's order. */
function sprFeatureMatches(q: string[], t: string[]): void {
  const regs = (lines: string[], feature: string) => {
    const start = lines.findIndex((l) => l.includes(`<feature name="${feature}">`));
    assert.ok(start >= 0, `no ${feature} in:\n${lines.join('\n')}`);
    const m = new Map<string, string>();
    for (const l of lines.slice(start + 1, lines.indexOf('  </feature>', start))) {
      const r = /<reg name="([^"]+)" (.*) regnum="\d+"(.*)\/>/.exec(l);
      assert.ok(r, l);
      if (!m.has(r[1])) m.set(r[1], `${r[2]}${r[3]}`);
    }
    return m;
  };
  const qemu = regs(q, 'org.qemu.power.spr'), tkvm = regs(t, 'org.tkvm.e500mc.spr');
  assert.deepEqual([...tkvm.keys()], [...TKVM_SPRS]);
  assert.deepEqual([...tkvm.keys()], [...qemu.keys()].filter((n) => TKVM_SPRS.has(n)), 'in QEMU\'s order');
  for (const [name, attrs] of tkvm) assert.equal(attrs, qemu.get(name), `${name}: as in QEMU's SPR feature`);
}

async function stopped(child: ChildProcess | Proc): Promise<void> {
  const c = child instanceof Proc ? child.child : child;
  if (c.exitCode === null && c.signalCode === null) {
    c.kill('SIGKILL');
    await new Promise((r) => c.once('close', r));
  }
}

test('gdb-multiarch prints the same through tkvm\'s stub as through QEMU\'s (registers, frames, memory, writes)', async (t) => {
  if (!requireTool(t, 'gdb-multiarch') || !requireQemu(t)) return;
  const qport = await freePort();
  const qemu = spawnQemu(['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-nic', 'none', '-monitor', 'none',
    '-S', '-gdb', `tcp::${qport}`, '-kernel', GDBTEST], { stdio: ['ignore', 'pipe', 'pipe'] });
  let qerr = '';
  qemu.stderr?.on('data', (d: Buffer) => { qerr += d.toString(); });
  let tkvm: Proc | null = null;
  try {
    assert.ok(await waitListening(qport), `QEMU's stub did not listen: ${qerr}`);
    const q = runGdb(qport, 'qemu');
    await stopped(qemu);
    const tport = await freePort();
    tkvm = new Proc(['run', '-M', 'ppce500', '-m', '256', '-nographic', '-monitor', 'none', '-S', '-gdb', `tcp::${tport}`,
      '-kernel', GDBTEST]);
    assert.ok(await waitListening(tport), `tkvm's stub did not listen: ${tkvm.err}`);
    const k = runGdb(tport, 'tkvm');

    // The script really stopped where it should, in both (so the comparison is not of two failures).
    for (const [stub, s] of [['qemu', q], ['tkvm', k]] as const) {
      const all = [...s.values()].flat().join('\n');
      assert.match(all, /Breakpoint 1, 0x00100014 in _start \(\)/, stub);
      assert.match(all, /r3 +0xc0000500 +/, stub);
      assert.match(all, /Breakpoint 2, square \(x=1\)/, stub);
      assert.match(all, /Breakpoint 3, bump \(by=1\)/, stub);
      assert.match(all, /r10 +0xe0000000 +/, stub);
      assert.match(all, /\$\d+ = -2\.5\n/, stub);
    }
    const diffs: string[] = [];
    for (const [cmd, qLines] of q) {
      const a = comparable(cmd, qLines, 'qemu'), b = comparable(cmd, k.get(cmd)!, 'tkvm');
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if (a[i] === b[i] || (a[i] !== undefined && b[i] !== undefined && allowedDifference(cmd, a[i], b[i]))) continue;
        diffs.push(`${cmd}, line ${i + 1}:\n  QEMU: ${a[i] ?? '(none)'}\n  tkvm: ${b[i] ?? '(none)'}`);
        if (a.length !== b.length) break; // the rest of this command's output is shifted
      }
    }
    assert.deepEqual(diffs, [], `gdb prints differently through tkvm's stub:\n${diffs.join('\n')}`);
    sprFeatureMatches(q.get(`0 ${COMMANDS[0]}`)!, k.get(`0 ${COMMANDS[0]}`)!);
  } finally {
    await stopped(qemu);
    if (tkvm !== null) await stopped(tkvm);
  }
});
