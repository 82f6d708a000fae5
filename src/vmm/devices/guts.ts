// Global utilities block (fsl,mpc8544-guts): the parts a guest uses on this
// machine: the reset control register (RSTCR) and the identification
// registers it may read (PORPLLSR reads 0 as on QEMU, SVR 0 as QEMU's
// "Unknown" SoC). Other registers are reported through `unknown`.

import type { MmioDevice } from '../bus.js';
import { fields, obj, type Stateful } from '../snapshot/state.js';

const PORPLLSR = 0x00, PVR = 0xa0, SVR = 0xa4, RSTCR = 0xb0;
const RSTCR_HRESET_REQ = 0x2;

export class Guts implements MmioDevice, Stateful {
  constructor(
    private readonly reset: () => void,
    private readonly pvr: number,
    private readonly svr: number,
    private readonly unknown: (offset: number, size: number, isWrite: boolean, value: number) => void = () => {},
  ) {}

  read(offset: number, size: number): number {
    if (size === 4) {
      switch (offset) {
        case PORPLLSR: return 0;
        case PVR: return this.pvr;
        case SVR: return this.svr;
        case RSTCR: return 0;
      }
    }
    this.unknown(offset, size, false, 0);
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (size === 4 && offset === RSTCR) {
      if ((value & RSTCR_HRESET_REQ) !== 0) this.reset();
      return;
    }
    if (size === 4 && (offset === PORPLLSR || offset === PVR || offset === SVR)) return; // read-only
    this.unknown(offset, size, true, value);
  }

  /** Nothing to keep: RSTCR acts at once, the identification registers are constants. */
  saveState(): unknown {
    return {};
  }

  loadState(state: unknown): void {
    fields(obj(state, 'guts'), [], 'guts');
  }
}
