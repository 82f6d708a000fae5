// Lockstep differential testing against QEMU (src/lockstep, `tkvm lockstep`):
// every guest of the test kit runs in tkvm and in QEMU instruction by
// instruction with every architected register compared, and must show no
// divergence beyond the documented allowlist. The parts are tested too: the
// trace parser on QEMU's dump format, and the comparison catching a
// difference planted in one of two tkvm machines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runTkvm, requireQemu } from './support/host.js';
import { TraceParser, type TraceRecord } from '../src/lockstep/trace.js';
import { F, newState } from '../src/lockstep/fields.js';
import { Lockstep } from '../src/lockstep/lockstep.js';
import { readTkvmState } from '../src/lockstep/tkvm-state.js';
import { RULES } from '../src/lockstep/allowlist.js';
import { Ppce500 } from '../src/vmm/machine/ppce500.js';
import { boot } from '../src/vmm/loaders/boot.js';

const BIN = join(ROOT, 'guests/bin');
const guests = readdirSync(BIN).filter((f) => f.endsWith('.elf')).sort();

const DUMP = `NIP 00100000   LR 00000000 CTR 00000000 XER 20000000 CPU#0
MSR 00001000 HID0 00000000  HF 24000002 iidx 1 didx 1
TB 00000000 102758369 DECR 0
GPR00 0000000000000000 0000000000fffff8 0000000000000000 0000000001900000
GPR04 0000000000000000 0000000000000000 0000000045504150 0000000004000000
GPR08 0000000000000000 0000000000000000 0000000000000000 0000000000000000
GPR12 0000000000000000 0000000000000000 0000000000000000 0000000000000000
GPR16 0000000000000000 0000000000000000 0000000000000000 0000000000000000
GPR20 0000000000000000 0000000000000000 0000000000000000 0000000000000000
GPR24 0000000000000000 0000000000000000 0000000000000000 0000000000000000
GPR28 0000000000000000 0000000000000000 0000000000000000 00000000deadbeef
CR 48000000  [ G  E  -  -  -  -  -  -  ]             RES ffffffff
FPR00 3ff0000000000000 0000000000000000 0000000000000000 0000000000000000
FPR04 0000000000000000 0000000000000000 0000000000000000 0000000000000000
FPR08 0000000000000000 0000000000000000 0000000000000000 0000000000000000
FPR12 0000000000000000 0000000000000000 0000000000000000 0000000000000000
FPR16 0000000000000000 0000000000000000 0000000000000000 0000000000000000
FPR20 0000000000000000 0000000000000000 0000000000000000 0000000000000000
FPR24 0000000000000000 0000000000000000 0000000000000000 0000000000000000
FPR28 0000000000000000 0000000000000000 0000000000000000 c000000000000001
FPSCR 82000000
 SRR0 00000000  SRR1 00000000    PVR 80230020 VRSAVE 00000000
SPRG0 00000000 SPRG1 00000000  SPRG2 00000000  SPRG3 00000000
SPRG4 00000000 SPRG5 00000000  SPRG6 00000000  SPRG7 00000007
CSRR0 00000000 CSRR1 00000000 MCSRR0 00000000 MCSRR1 00000000
  TCR 00000000   TSR 08000000    ESR 00000000   DEAR 00000000
  PIR 00000000 DECAR 00000000   IVPR 00000000   EPCR 00000000
 MCSR 00000000 SPRG8 00000000    EPR 00000000
 MCAR 00000000  PID1 00000000   PID2 00000000    SVR 00000000
 MAS0 00000000  MAS1 00000000   MAS2 00000000   MAS3 00000000
 MAS4 00000000  MAS6 00000000   MAS7 00000000    PID 00000005
MMUCFG 00000000 TLB0CFG 04110200 TLB1CFG 401cc040
`;

test('the trace parser reads QEMU\'s dump: labels, wide FPRs, CR flags, interrupt lines, records split anywhere', () => {
  const text = DUMP + 'Raise exception at 00102a34 => SYSCALL (8) error=00\nsyscall r0=0000000000102a20 nip=00102a34\n' +
    DUMP.replace('NIP 00100000', 'NIP 00100c00');
  const records: TraceRecord[] = [];
  const p = new TraceParser((r) => records.push(r));
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += 97) p.push(bytes.subarray(i, i + 97)); // chunks cut mid-line
  p.end();
  assert.equal(records.length, 2);
  const [a, b] = records;
  assert.equal(a.state[F.nip], 0x100000);
  assert.equal(a.state[F.xer], 0x20000000);
  assert.equal(a.state[F.msr], 0x1000);
  assert.equal(a.state[F.gpr0 + 1], 0xfffff8);
  assert.equal(a.state[F.gpr0 + 3], 0x1900000);
  assert.equal(a.state[F.gpr0 + 31], 0xdeadbeef);
  assert.equal(a.state[F.cr], 0x48000000);
  assert.equal(a.state[F.fpr0], 0x3ff00000);
  assert.equal(a.state[F.fpr0 + 63], 1);
  assert.equal(a.state[F.fpr0 + 62], 0xc0000000);
  assert.equal(a.state[F.fpscr], 0x82000000);
  assert.equal(a.state[F.sprg7], 7);
  assert.equal(a.state[F.tsr], 0x08000000);
  assert.equal(a.state[F.pid], 5);
  assert.equal(a.state[F.tlb0cfg], 0x04110200);
  assert.equal(a.state[F.tlb1cfg], 0x401cc040);
  assert.deepEqual(a.exceptions, []);
  assert.equal(b.state[F.nip], 0x100c00);
  assert.deepEqual(b.exceptions, [8]);
  assert.deepEqual(b.exceptionAt, [0x102a34]);
});

test('every allowlist rule says why', () => {
  const ids = new Set<string>();
  for (const r of RULES) {
    assert.ok(r.why.length > 30, `${r.id}: a reason`);
    assert.ok(!ids.has(r.id), `${r.id}: unique`);
    ids.add(r.id);
  }
});

/** A tkvm machine running `elf` (no console). */
function machine(elf: string): Ppce500 {
  const m = new Ppce500({ ramBytes: 256 << 20, output: () => {}, icount: 0, rtc: { clock: 'vm' } });
  boot(m, { kernel: { bytes: new Uint8Array(readFileSync(join(BIN, elf))), name: elf }, bootargs: '' });
  return m;
}

test('lockstep catches a difference: one instruction changed in the machine under test', () => {
  // The reference is a second tkvm machine stepped alone; the machine under
  // test has `addi r3,r3,1` where the reference has something else.
  const ref = machine('hello.elf');
  ref.vcpu.setGuestDebug({ control: 3 });
  const dut = machine('hello.elf');
  const ls = new Lockstep(dut);
  // Find an addi rD,rA,SIMM a few hundred instructions in, and change its immediate in the machine under test.
  let planted = -1;
  const records: TraceRecord[] = [];
  for (let n = 0; n < 3000 && ls.divergence === null; n++) {
    const s = newState();
    readTkvmState(ref.vcpu, s);
    if (planted < 0 && n > 200) {
      const pc = s[F.nip];
      const pa = ref.vcpu.translate(pc).physicalAddress;
      const w = ref.readPhys(pa, 4)!;
      const word = ((w[0] << 24) | (w[1] << 16) | (w[2] << 8) | w[3]) >>> 0;
      if (word >>> 26 === 14 && ((word >>> 16) & 31) !== 0) {
        const changed = (word & 0xffff0000) | ((word + 1) & 0xffff);
        dut.writePhys(pa, Uint8Array.of(changed >>> 24, (changed >>> 16) & 255, (changed >>> 8) & 255, changed & 255));
        planted = pc;
      }
    }
    const r: TraceRecord = { state: s, exceptions: [], exceptionAt: [] };
    records.push(r);
    ls.push(r);
    const ev = ref.runOnce();
    if (ev.event !== 'debug' && ev.event !== null) break;
    ref.vcpu.setOneReg(0x1030000000000000n | 0xf000n, 0n); // TKVM_ICOUNT: the reference's clock stands still too
  }
  assert.ok(planted >= 0, 'found an addi to change');
  assert.ok(ls.divergence !== null, 'the changed instruction is caught');
  assert.equal(ls.divergence.pc, planted, 'at the changed instruction');
  assert.equal(ls.divergence.differences.length, 1);
  assert.match(ls.divergence.differences[0].name, /^r\d+$/);
  assert.match(ls.divergence.insn, /^addi/);
});

/**
 * Guests compared for their first instructions only, and why. QEMU's trace
 * cannot run on virtual time (with -icount its CPU dump stops the machine:
 * "Bad icount read"), so its timers run on host time while each traced
 * instruction takes tens of microseconds.
 */
const PARTIAL: Record<string, { limit: number; why: string }> = {
  'replay.elf': {
    limit: 300_000,
    why: 'its decrementer (every 32.5 us) and MPIC timer (every 100 us) interrupt a computing loop until 40 MPIC ' +
      'ticks; traced on host time, QEMU spends nearly all its time in the handlers and the run does not end in CI time',
  },
};

// Every guest of the kit, whole (or as PARTIAL says), against QEMU.
for (const g of guests) {
  test(`lockstep: ${g} runs in tkvm exactly as in QEMU`, (t) => {
    if (!requireQemu(t)) return;
    const partial = PARTIAL[g];
    const limit = partial !== undefined ? ['--limit', String(partial.limit)] : [];
    const r = runTkvm(['lockstep', '-q', ...limit, '-m', '256', '-kernel', join(BIN, g)], { timeoutMs: 1_200_000 });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out);
    if (partial !== undefined) assert.match(out, /^no divergence in \d+ instructions \(--limit\)$/m, out);
    else assert.match(out, /^no divergence in \d+ instructions \(the whole run\), same console output$/m, out);
  });
}

test('lockstep: bad input is one line and status 2', () => {
  for (const args of [['lockstep'], ['lockstep', '--limit', 'x', '-kernel', 'a'], ['lockstep', '-kernel', '/nonexistent.elf']]) {
    const r = runTkvm(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^tkvm: /);
  }
});
