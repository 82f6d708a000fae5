// Global utilities block (fsl,mpc8544-guts): the parts a guest uses on this
// machine: the reset control register (RSTCR) and the identification
// registers it may read.

import type { MmioDevice } from '../bus.js';

const PORPLLSR = 0x00, PVR = 0xa0, SVR = 0xa4, RSTCR = 0xb0;
const RSTCR_HRESET_REQ = 0x2;

export class Guts implements MmioDevice {
  constructor(private readonly reset: () => void, private readonly pvr: number, private readonly svr: number) {}

  read(offset: number, _size: number): number {
    switch (offset) {
      case PORPLLSR: return 0;
      case PVR: return this.pvr;
      case SVR: return this.svr;
      default: return 0;
    }
  }

  write(offset: number, _size: number, value: number): void {
    if (offset === RSTCR && (value & RSTCR_HRESET_REQ) !== 0) this.reset();
  }
}
