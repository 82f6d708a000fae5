// The same U-Boot session on tkvm and on QEMU (the reference) must print the
// same console transcript, line for line, apart from an allowlist of lines
// that legitimately differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireQemu } from './support/host.js';
import { drive, machineArgs, requireUboot, qemuCommand, tkvmCommand, UBOOT_ELF } from './support/uboot.js';

const SCRIPT = [
  'version',
  'bdinfo',
  'reginfo',
  'help',
  'printenv',
  'coninfo',
  'pci',
  'md 0xf00000 40',
  'md.b 0xf00100 20',
  'mw 0x1000000 0x12345678 40',
  'mw.b 0x1000013 0xab 1',
  'md 0x1000000 10',
  'cp 0x1000000 0x1100000 40',
  'cmp 0x1000000 0x1100000 40',
  'mw 0x1100020 0 1',
  'cmp 0x1000000 0x1100000 40',
  'crc32 0xf00000 10000',
  'crc32 0x1000000 100',
  'setexpr a 0x1234 + 0x1111; echo $a',
  'setexpr b $a * 3; echo $b',
  'setexpr.l c 0xf00000; echo $c',
  'setexpr d 0xff00 \\& 0x0ff0; echo $d',
  'setexpr e 7 / 2; echo $e',
  'itest 1 < 2 && echo one-lt-two',
  'itest 5 -gt 9 || echo five-not-gt-nine',
  'itest.s abc == abc && echo strings-equal',
  'sleep 1',
  'for i in 1 2 3 4; do echo item $i; done',
  'if itest 3 == 3; then echo if-then; else echo if-else; fi',
  'if test -n "$qemu_kernel_addr"; then echo has-kernel; else echo no-kernel; fi',
  'setenv n 0; while itest $n < 3; do echo n=$n; setexpr n $n + 1; done',
  'x=42; echo local $x; showvar x',
  'run nosuchvar',
  'nosuchcommand',
  'true && echo true-ok; false || echo false-ok',
  'echo $? ; false; echo $?',
  'date',
  'irqinfo',
  'interrupts',
  'dm tree',
];

/**
 * Lines that may differ, each with the reason. A line matches when either
 * side's text matches the pattern; both sides must have a line there.
 */
const ALLOW: { pattern: RegExp; why: string }[] = [
  { pattern: /^Date: \d{4}-\d\d-\d\d \(\w+day\)\s+Time:\s*\d+:\d\d:\d\d$/, why: 'the RTC shows the wall clock, read a different moment by each machine' },
  {
    pattern: /^Hit any key to stop autoboot: {2}1 \x08\x08\x08 0 ?$/,
    why: 'the key that stops autoboot may arrive before U-Boot\'s first look (it prints " 0") or during the countdown (" 0 "): host timing',
  },
];

function compare(a: string, b: string): string[] {
  const la = a.split('\n'), lb = b.split('\n');
  const problems: string[] = [];
  const n = Math.max(la.length, lb.length);
  for (let i = 0; i < n; i++) {
    const x = la[i], y = lb[i];
    if (x === y) continue;
    if (x !== undefined && y !== undefined && ALLOW.some((w) => w.pattern.test(x) && w.pattern.test(y))) continue;
    problems.push(`line ${i + 1}:\n  tkvm: ${JSON.stringify(x)}\n  qemu: ${JSON.stringify(y)}`);
    if (problems.length > 10) break;
  }
  return problems;
}

test('a U-Boot session prints the same transcript on tkvm as on QEMU', async (t) => {
  if (!requireQemu(t)) return;
  if (!requireUboot(t)) return;
  const args = machineArgs(['-bios', UBOOT_ELF]);
  const commands = [...SCRIPT, 'poweroff'];
  // One after the other: both at once on two busy cores makes QEMU's console lossy.
  const q = await drive(qemuCommand(args), { commands, timeoutMs: 60_000, stopAutoboot: true });
  const k = await drive(tkvmCommand(args), { commands, timeoutMs: 60_000, stopAutoboot: true });
  assert.equal(k.status, 0, k.stderr);
  assert.equal(q.status, 0, q.stderr);
  // Every command ran: the session ends with the power-off message.
  assert.match(q.transcript, /=> poweroff\npoweroff \.\.\.\n?$/);
  const problems = compare(k.transcript, q.transcript);
  assert.deepEqual(problems, [], `transcripts differ:\n${problems.join('\n')}`);
});
