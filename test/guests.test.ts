// The guest test kit: every committed guest program (guests/bin/*.elf) runs
// under tkvm and under QEMU, and must report "SUMMARY: PASS" from inside the
// guest on both, so the programs check the e500mc architecture rather than
// tkvm's reading of it. A rebuild with the cross compiler must reproduce the
// committed binaries byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, requireTool, runTkvm, requireQemu } from './support/host.js';
import { spawnQemuSync } from '../src/platform/node/qemu.js';

const BIN = join(ROOT, 'guests/bin');
const MACHINE = ['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic'];
const guests = readdirSync(BIN).filter((f) => f.endsWith('.elf')).sort();

/**
 * Where QEMU 7.2 departs from the e500mc architecture. A guest reports such
 * a check as "KNOWN-QEMU-DIVERGENCE[tag]: name" when it sees QEMU's
 * behaviour instead of the architected one; that is accepted under QEMU for
 * these tags only, and never under tkvm.
 */
const QEMU_DIVERGENCES: Record<string, string> = {
  'program-srr1-flags':
    'QEMU sets classic-PowerPC flag bits in SRR1 on program interrupts (0x80000 illegal, 0x40000 privileged, ' +
    '0x20000 trap); Book E SRR1 is the MSR at the interrupt.',
  'stwcx-misaligned':
    'QEMU compares a stwcx. EA with the reservation before anything else and fails a misaligned stwcx. quietly; ' +
    'the e500mc takes an alignment interrupt for a stwcx. that is not word aligned.',
  'lmw-stmw-misaligned':
    'QEMU performs lmw/stmw at addresses that are not word aligned; the e500mc takes an alignment interrupt.',
  'cache-locking':
    'QEMU does not implement e500mc cache locking: dcbtls is a no-op in every mode and dcbtstls, dcblc, icbtls, ' +
    'icblc are illegal; on the e500mc they work in supervisor mode, and in user mode without MSR[UCLE] take a ' +
    'cache-locking DSI (ESR[DLK] or ESR[ILK]).',
  'dec-read':
    'On ppce500 QEMU reads DEC as 0 while it counts and as negative values after it has passed 0; the e500mc ' +
    'DEC reads its count and stops at 0 without TCR[ARE]. (The decrementer interrupts work in QEMU.)',
  'dec-zero-write':
    'QEMU sets TSR[DIS] when software writes 0 to DEC; on the e500 only the decrement from 1 to 0 is an event.',
  'tcr-wrc': 'QEMU lets software clear TCR[WRC]; Book E keeps a WRC bit set, once software has set it, until reset.',
  'fit-watchdog-inert':
    'On ppce500 QEMU never raises TSR[FIS], TSR[ENW] or TSR[WIS]: its fixed-interval timer and watchdog never fire.',
  'undefined-spr':
    'QEMU treats SPR numbers it does not implement as the server ISA 2.07 does (a no-op in supervisor mode, a ' +
    'program interrupt with ESR[PPR] in user mode); the e500mc raises an illegal-instruction program interrupt.',
  'mmucfg-zero': 'QEMU reads MMUCFG as 0; on the e500mc it describes the MMU (two TLBs, 8-bit PIDs, MAV 1.0).',
  'le-pages': 'QEMU ignores the E (little-endian) attribute of a page; the e500mc byte-reverses accesses to it.',
  'dcbz-cache-inhibited':
    'QEMU zeroes the line; the e500mc takes an alignment interrupt for dcbz to a write-through or cache-inhibited page.',
  'alignment-esr':
    'QEMU leaves ESR as it was on the alignment interrupt of a misaligned lwarx (it sets only DEAR); on the e500mc an ' +
    'interrupt sets the ESR bits of its exception and clears all others (e500 core RM 2.7.1.6), so ESR is 0.',
  'itlb-esr-dear':
    'QEMU clears ESR and writes the fetch address to DEAR on an instruction TLB error; on the e500mc that interrupt ' +
    'has no syndrome and leaves ESR as it was (e500 core RM 2.7.1.6), and only data-side interrupts write DEAR.',
  'fp-access-esr':
    'QEMU never sets ESR[FP] for a floating-point load or store that takes a DSI or data TLB error; Book E and the ' +
    'Power ISA (III-E) set ESR[FP] for them, with ESR[ST] for stores.',
  'debug-trap-event':
    'QEMU has no trap debug event: a trap with DBCR0[IDM,TRAP] and MSR[DE] takes the program interrupt; the e500mc ' +
    'takes the Debug interrupt at the trap instead.',
};

/**
 * Programs built by guests/build.sh that report in their own way and have
 * their own harness (they are still checked for reproducibility below).
 */
const OWN_HARNESS: Record<string, string> = {
  'fpu.elf': 'test/fpu-guest.test.ts compares its output with QEMU line by line',
  'bench-lcg.elf': 'a benchmark loop without output (bench/lcg.ts)',
};
const kitGuests = guests.filter((g) => !(g in OWN_HARNESS));

interface GuestResult {
  summary: string;
  failures: string[];
  divergences: string[];
}

function parse(out: string): GuestResult {
  const lines = out.split(/\r?\n/);
  const summary = lines.find((l) => l.startsWith('SUMMARY: ')) ?? '';
  return {
    summary,
    failures: lines.filter((l) => l.startsWith('FAIL') || /^\s+\S.*:/.test(l)),
    divergences: lines.filter((l) => l.startsWith('KNOWN-QEMU-DIVERGENCE')),
  };
}

function check(where: string, name: string, out: string, status: number | null, allowDivergences: boolean): void {
  const r = parse(out);
  const context = `${name} under ${where} (exit status ${status}):\n${r.failures.join('\n') || out.slice(-2000)}`;
  assert.match(r.summary, /^SUMMARY: PASS \d+ tests/, context);
  if (!allowDivergences) {
    assert.deepEqual(r.divergences, [], `${name}: tkvm must follow the architecture, not QEMU's departures`);
  } else {
    for (const d of r.divergences) {
      const tag = /^KNOWN-QEMU-DIVERGENCE\[([^\]]+)\]/.exec(d)?.[1] ?? '';
      assert.ok(tag in QEMU_DIVERGENCES, `${name} under QEMU: divergence not on the allowlist: ${d}`);
    }
  }
  assert.equal(status, 0, `${name} under ${where}: exit status`);
}

// In virtual time (-icount 0, as QEMU below): the timer checks are exact
// there, and a loaded CI machine cannot make them flaky. The wall-clock time
// base is exercised by the Linux session tests (sleep, date) and unit tests.
for (const g of kitGuests) {
  test(`guest ${g} passes under tkvm`, () => {
    const r = runTkvm(['run', ...MACHINE, '-icount', '0', '-kernel', join(BIN, g)], { timeoutMs: 60_000 });
    check('tkvm', g, r.stdout + r.stderr, r.status, false);
  });
}

/**
 * QEMU with its serial output in a file: its stdio backend drops what a pipe
 * cannot take at once. With virtual time (-icount, no sleeping): QEMU's timer
 * interrupts are host timers that a loaded machine delays past the guest's
 * time-outs, which made the timer checks flaky; in virtual time they are exact.
 */
function runQemu(elf: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-guest-qemu-'));
  try {
    const file = join(dir, 'out');
    const fd = openSync(file, 'w');
    const r = spawnQemuSync([...MACHINE, '-icount', 'shift=0,sleep=off', '-monitor', 'none', '-no-reboot', '-kernel', elf], {
      stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL',
    });
    closeSync(fd);
    return { status: r.status, out: readFileSync(file, 'latin1') + (r.stderr ?? '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const g of kitGuests) {
  test(`guest ${g} passes under QEMU`, (t) => {
    if (!requireQemu(t)) return;
    const r = runQemu(join(BIN, g));
    check('QEMU', g, r.out, r.status, true);
  });
}

test('generated guest sources are up to date', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'guests/tools/gen-integer.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout === readFileSync(join(ROOT, 'guests/src/integer.vectors.h'), 'utf8'),
    'guests/src/integer.vectors.h is stale: node guests/tools/gen-integer.mjs > guests/src/integer.vectors.h');
});

test('committed guest binaries are what guests/build.sh makes from the sources', (t) => {
  if (!requireTool(t, 'powerpc-linux-gnu-gcc')) return;
  const out = mkdtempSync(join(tmpdir(), 'tkvm-guests-'));
  try {
    const r = spawnSync(join(ROOT, 'guests/build.sh'), [out], { encoding: 'utf8' });
    assert.equal(r.status, 0, `build failed:\n${r.stderr}`);
    const built = readdirSync(out).filter((f) => f.endsWith('.elf')).sort();
    assert.deepEqual(guests, built, 'guests/bin must hold exactly the programs guests/src builds');
    for (const f of built) {
      assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(BIN, f))),
        `guests/bin/${f} differs from a rebuild: run guests/build.sh and commit the result`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
