// The 16550 as Linux's 8250 driver probes and uses it, and as U-Boot's
// ns16550 driver initialises and polls it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Uart16550 } from '../src/vmm/devices/uart16550.js';

function rig() {
  const out: number[] = [];
  let irq = false;
  const u = new Uart16550((b) => out.push(b), (l) => { irq = l; });
  return { u, out, irq: () => irq, r: (o: number) => u.read(o, 1), w: (o: number, v: number) => u.write(o, 1, v) };
}
const RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

test('Linux autoconfig: IER read-back, scratch, loopback modem lines, 16550A FIFO', () => {
  const { r, w } = rig();
  w(IER, 0);
  assert.equal(r(IER) & 0x0f, 0);
  w(IER, 0x0f);
  assert.equal(r(IER) & 0x0f, 0x0f);
  w(IER, 0);
  w(SCR, 0xa5);
  assert.equal(r(SCR), 0xa5);
  w(MCR, 0x10 | 0x0a); // loopback, RTS, OUT2
  assert.equal(r(MSR) & 0xf0, 0x90); // CTS, DCD
  w(MCR, 0);
  w(FCR, 0x01);
  assert.equal(r(IIR) >> 6, 3, '16550A: FIFO enabled bits');
  w(FCR, 0x01 | 0x20); // the 16750's 64-byte FIFO bit: not a 16750
  assert.equal(r(IIR) >> 5, 6);
  assert.notEqual(r(LSR), 0xff);
});

test('U-Boot init and polled I/O: divisor latch, LSR THRE, DR', () => {
  const { u, r, w, out } = rig();
  w(IER, 0);
  w(MCR, 3);
  w(FCR, 7);
  w(LCR, 0x83);
  w(RBR, 217 & 0xff);
  w(IER, 217 >> 8);
  assert.equal(r(RBR), 217);
  w(LCR, 0x03);
  assert.equal(r(LSR) & 0x60, 0x60);
  w(RBR, 0x41);
  assert.deepEqual(out, [0x41]);
  assert.equal(r(LSR) & 1, 0);
  u.receive(0x7a);
  assert.equal(r(LSR) & 1, 1);
  assert.equal(r(RBR), 0x7a);
  assert.equal(r(LSR) & 1, 0);
});

test('Linux THRE interrupt tests: THRI raised on enable with an empty THR, cleared by reading IIR', () => {
  const { r, w, irq } = rig();
  w(IER, 0x02);
  assert.equal(irq(), true);
  assert.equal(r(IIR) & 0x0f, 0x02);
  assert.equal(irq(), false);
  assert.equal(r(IIR) & 0x01, 1, 'no interrupt after the IIR read');
  w(IER, 0);
  w(IER, 0x02); // re-enabling re-asserts it (no UART_BUG_THRE)
  assert.equal(r(IIR) & 0x0f, 0x02);
  w(RBR, 0x31); // each byte sent leaves the THR empty again
  assert.equal(irq(), true);
});

test('receive interrupts: trigger level, character time-out, overrun, break', () => {
  const { u, r, w, irq } = rig();
  w(FCR, 0x01 | 0x40); // FIFO, trigger level 4
  w(IER, 0x05); // RDI, RLSI
  u.receive(1);
  assert.equal(irq(), true);
  assert.equal(r(IIR) & 0x0f, 0x0c, 'below the trigger level: time-out');
  for (let k = 0; k < 3; k++) u.receive(2);
  assert.equal(r(IIR) & 0x0f, 0x04, 'at the trigger level: data available');
  while (r(LSR) & 1) r(RBR);
  assert.equal(irq(), false);
  for (let k = 0; k < 17; k++) u.receive(k); // one more than the FIFO holds
  assert.equal(r(IIR) & 0x0f, 0x06, 'overrun: line status');
  assert.equal(r(LSR) & 0x02, 0x02);
  assert.equal(r(LSR) & 0x02, 0, 'OE clears on read');
  while (r(LSR) & 1) r(RBR);
  u.receiveBreak();
  assert.equal(r(LSR) & 0x11, 0x11);
});

test('the console is paced like QEMU: up to the trigger level, one byte without the FIFO', () => {
  const { u, w } = rig();
  assert.equal(u.rxSpace(), 1);
  u.receive(1);
  assert.equal(u.rxSpace(), 0);
  w(FCR, 0x07 | 0xc0); // FIFO, cleared, trigger 14
  assert.equal(u.rxSpace(), 14);
});
