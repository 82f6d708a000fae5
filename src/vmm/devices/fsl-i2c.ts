// The MPC8544 I2C controller ("fsl-i2c", CCSR + 0x3000), master mode, with
// the devices on its bus attached as I2cDevice objects. The controller
// knows nothing of the CPU: it raises its interrupt through `irq`.
//
// Registers (one byte each, 4 apart):
//   0x00 I2CADR  own slave address (stored; the controller is never a slave here)
//   0x04 I2CFDR  frequency divider (stored: transfers complete at once)
//   0x08 I2CCR   MEN 0x80 enable, MIEN 0x40 interrupt enable, MSTA 0x20
//                master (0->1 START, 1->0 STOP), MTX 0x10 transmit,
//                TXAK 0x08 no acknowledge, RSTA 0x04 repeated START
//   0x0c I2CSR   MCF 0x80 transfer complete, MBB 0x20 bus busy, MAL 0x10
//                arbitration lost, MIF 0x02 interrupt, RXAK 0x01 no ACK;
//                MAL and MIF are cleared by writing 0
//   0x10 I2CDR   data
//   0x14 I2CDFSRR digital filter sampling rate (stored)
//
// A transfer, as the state machine sees it: START (MSTA 0->1) or repeated
// START (RSTA) makes the next I2CDR write the address byte, which selects the
// device and the direction. In transmit mode each I2CDR write sends a byte;
// in receive mode each I2CDR read returns the byte received last and, while
// the controller is still master, clocks in the next one (so the first read
// after the address is a dummy read, as the manual says). Every byte
// transferred sets MCF and MIF at once; RXAK tells whether it was
// acknowledged.

import type { MmioDevice } from '../bus.js';
import { bool, fields, int, obj, StateError, type Stateful } from '../snapshot/state.js';

/** A device on the I2C bus. */
export interface I2cDevice {
  /** START addressed to this device; returns true to acknowledge. */
  start(read: boolean): boolean;
  /** A byte from the master; returns true to acknowledge. */
  send(byte: number): boolean;
  /** The next byte to the master. */
  recv(): number;
  /** STOP condition. */
  stop(): void;
}

const CR_MEN = 0x80, CR_MIEN = 0x40, CR_MSTA = 0x20, CR_MTX = 0x10, CR_RSTA = 0x04;
const SR_MCF = 0x80, SR_MBB = 0x20, SR_MAL = 0x10, SR_MIF = 0x02, SR_RXAK = 0x01;

export class FslI2c implements MmioDevice, Stateful {
  private adr = 0;
  private fdr = 0;
  private cr = 0;
  private sr = SR_MCF | SR_RXAK;
  private dr = 0;
  private dfsrr = 0x10;
  /** The next I2CDR write is an address byte (after START or repeated START). */
  private expectAddress = false;
  private target: I2cDevice | null = null;
  private readonly devices = new Map<number, I2cDevice>();
  private irqLevel = false;

  constructor(
    private readonly irq: (level: boolean) => void,
    private readonly unknown: (offset: number, size: number, isWrite: boolean, value: number) => void = () => {},
  ) {}

  attach(address: number, dev: I2cDevice): void {
    this.devices.set(address & 0x7f, dev);
  }

  read(offset: number, size: number): number {
    if ((size === 1 || size === 4) && (offset & 3) === 0) {
      switch (offset) {
        case 0x00: return this.adr;
        case 0x04: return this.fdr;
        case 0x08: return this.cr;
        case 0x0c: return this.sr;
        case 0x10: return this.readDr();
        case 0x14: return this.dfsrr;
      }
    }
    this.unknown(offset, size, false, 0);
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    const v = value & 0xff;
    if ((size === 1 || size === 4) && (offset & 3) === 0) {
      switch (offset) {
        case 0x00: this.adr = v & 0xfe; return;
        case 0x04: this.fdr = v & 0x3f; return;
        case 0x08: this.writeCr(v); return;
        case 0x0c:
          // MAL and MIF clear when written with 0; the other bits are read-only.
          this.sr = (this.sr & ~(SR_MAL | SR_MIF)) | (this.sr & v & (SR_MAL | SR_MIF));
          this.update();
          return;
        case 0x10: this.writeDr(v); return;
        case 0x14: this.dfsrr = v & 0x3f; return;
      }
    }
    this.unknown(offset, size, true, value);
  }

  private writeCr(v: number): void {
    const was = this.cr;
    this.cr = v & ~CR_RSTA; // RSTA reads back 0
    if ((v & CR_MEN) === 0) {
      // Disabled: the bus is released and the controller resets.
      if (this.target !== null) this.target.stop();
      this.target = null;
      this.expectAddress = false;
      this.sr = SR_MCF | SR_RXAK;
      this.update();
      return;
    }
    const startNow = (was & CR_MSTA) === 0 && (v & CR_MSTA) !== 0;
    const stopNow = (was & CR_MSTA) !== 0 && (v & CR_MSTA) === 0;
    if (startNow || ((v & CR_RSTA) !== 0 && (v & CR_MSTA) !== 0)) {
      this.sr |= SR_MBB;
      this.expectAddress = true;
    } else if (stopNow) {
      if (this.target !== null) this.target.stop();
      this.target = null;
      this.expectAddress = false;
      this.sr &= ~SR_MBB;
    }
    this.update();
  }

  private writeDr(v: number): void {
    this.dr = v;
    if ((this.cr & CR_MSTA) === 0 || (this.cr & CR_MTX) === 0) return; // not transmitting: just latched
    let ack: boolean;
    if (this.expectAddress) {
      this.expectAddress = false;
      if (this.target !== null) this.target.stop(); // repeated START ends the previous transfer
      this.target = this.devices.get(v >>> 1) ?? null;
      ack = this.target !== null && this.target.start((v & 1) !== 0);
      if (!ack) this.target = null;
    } else {
      ack = this.target !== null && this.target.send(v);
    }
    this.complete(ack);
  }

  private readDr(): number {
    const v = this.dr;
    if ((this.cr & CR_MSTA) !== 0 && (this.cr & CR_MTX) === 0) {
      // Receiving: this read clocks in the next byte.
      this.dr = this.target !== null ? this.target.recv() & 0xff : 0xff;
      this.complete(true);
    }
    return v;
  }

  private complete(ack: boolean): void {
    this.sr = (this.sr | SR_MCF | SR_MIF) & ~SR_RXAK;
    if (!ack) this.sr |= SR_RXAK;
    this.update();
  }

  private update(): void {
    const level = (this.cr & CR_MIEN) !== 0 && (this.sr & SR_MIF) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }

  /** The controller's registers and transfer state (the devices on the bus save their own). */
  saveState(): unknown {
    let target: number | null = null;
    for (const [a, d] of this.devices) if (d === this.target) target = a;
    return {
      adr: this.adr, fdr: this.fdr, cr: this.cr, sr: this.sr, dr: this.dr, dfsrr: this.dfsrr,
      expectAddress: this.expectAddress, target,
    };
  }

  loadState(state: unknown): void {
    const w = 'i2c';
    const o = obj(state, w);
    fields(o, ['adr', 'fdr', 'cr', 'sr', 'dr', 'dfsrr', 'expectAddress', 'target'], w);
    this.adr = int(o, 'adr', 0, 0xfe, w);
    this.fdr = int(o, 'fdr', 0, 0x3f, w);
    this.cr = int(o, 'cr', 0, 0xff, w);
    this.sr = int(o, 'sr', 0, 0xff, w);
    this.dr = int(o, 'dr', 0, 0xff, w);
    this.dfsrr = int(o, 'dfsrr', 0, 0x3f, w);
    this.expectAddress = bool(o, 'expectAddress', w);
    if (o.target === null) {
      this.target = null;
    } else {
      const a = int(o, 'target', 0, 0x7f, w);
      const d = this.devices.get(a);
      if (d === undefined) throw new StateError(`${w}.target: no device at address 0x${a.toString(16)} on this bus`);
      this.target = d;
    }
    this.update();
  }
}
