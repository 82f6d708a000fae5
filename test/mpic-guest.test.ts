// End to end: the UART's receive interrupt reaches a directly booted guest
// through the MPIC (source 42, IACK, EOI) as an external interrupt, on tkvm
// as on QEMU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireTool, requireQemu } from './support/host.js';
import { buildGuest, CROSS_CC } from './support/build-guest.js';
import { drive, machineArgs, qemuCommand, tkvmCommand } from './support/uboot.js';

test('UART receive interrupts through the MPIC, with IACK and in external proxy mode: tkvm and QEMU agree', async (t) => {
  if (!requireTool(t, CROSS_CC)) return;
  const elf = buildGuest('mpic-echo');
  const args = machineArgs(['-kernel', elf]);
  const o = { commands: ['abpcq'], prompt: 'mpic-echo: ready\r\n', timeoutMs: 20_000 };
  const k = await drive(tkvmCommand(args), o);
  assert.equal(k.status, 0, k.stderr);
  const expected = ['mpic-echo: ready',
    ...'abp'.split('').map((c) => `mpic-echo: got '${c}' from vector 42 (IACK)`),
    ...'cq'.split('').map((c) => `mpic-echo: got '${c}' from vector 42 (EPR)`),
    'mpic-echo: 5 characters, IACK now 65535 (spurious)', ''].join('\n');
  assert.equal(k.transcript, expected);
  if (!requireQemu(t)) return;
  const q = await drive(qemuCommand(args), o);
  assert.equal(q.status, 0, q.stderr);
  assert.equal(k.transcript, q.transcript);
});
