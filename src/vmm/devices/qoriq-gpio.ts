// The QorIQ GPIO block (fsl,qoriq-gpio) as far as the ppce500 machine uses
// it: pin 0 drives the power-off line (the device tree's gpio-poweroff).
// Pin n is register bit 31 - n.

import type { MmioDevice } from '../bus.js';
import { fields, int, obj, type Stateful } from '../snapshot/state.js';

const GPDIR = 0x00, GPODR = 0x04, GPDAT = 0x08, GPIER = 0x0c, GPIMR = 0x10, GPICR = 0x14;

export class QoriqGpio implements MmioDevice, Stateful {
  private dir = 0;
  private odr = 0;
  private dat = 0;
  private ier = 0;
  private imr = 0;
  private icr = 0;

  /** `pinChanged(pin, level)` is called when an output pin changes. */
  constructor(
    private readonly pinChanged: (pin: number, level: boolean) => void,
    private readonly unknown: (offset: number, size: number, isWrite: boolean, value: number) => void = () => {},
  ) {}

  read(offset: number, size: number): number {
    if (size !== 4) {
      this.unknown(offset, size, false, 0);
      return 0;
    }
    switch (offset) {
      case GPDIR: return this.dir;
      case GPODR: return this.odr;
      case GPDAT: return this.dat & this.dir; // inputs read as 0: nothing drives them
      case GPIER: return this.ier;
      case GPIMR: return this.imr;
      case GPICR: return this.icr;
      default:
        this.unknown(offset, size, false, 0);
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    const v = value >>> 0;
    if (size !== 4) {
      this.unknown(offset, size, true, value);
      return;
    }
    switch (offset) {
      case GPDIR: this.setOutputs(v, this.dat); break;
      case GPODR: this.odr = v; break;
      case GPDAT: this.setOutputs(this.dir, v); break;
      case GPIER: this.ier &= ~v; break; // write one to clear
      case GPIMR: this.imr = v; break;
      case GPICR: this.icr = v; break;
      default: this.unknown(offset, size, true, value);
    }
  }

  private setOutputs(dir: number, dat: number): void {
    const before = this.dat & this.dir;
    this.dir = dir;
    this.dat = dat;
    const after = this.dat & this.dir;
    const changed = (before ^ after) >>> 0;
    for (let pin = 0; pin < 32; pin++) {
      const bit = (0x80000000 >>> pin) >>> 0;
      if ((changed & bit) !== 0) this.pinChanged(pin, (after & bit) !== 0);
    }
  }

  saveState(): unknown {
    return { dir: this.dir, odr: this.odr, dat: this.dat, ier: this.ier, imr: this.imr, icr: this.icr };
  }

  /** Restores the registers without driving the pins (the outputs were already at these levels). */
  loadState(state: unknown): void {
    const w = 'gpio';
    const o = obj(state, w);
    const keys = ['dir', 'odr', 'dat', 'ier', 'imr', 'icr'] as const;
    fields(o, keys, w);
    const v = keys.map((k) => int(o, k, 0, 0xffffffff, w));
    [this.dir, this.odr, this.dat, this.ier, this.imr, this.icr] = v;
  }
}
