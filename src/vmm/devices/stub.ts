// A block of SoC registers that the machine deliberately does not model:
// reads return 0 and writes are dropped, exactly what QEMU's ppce500 gives
// for the same addresses (it leaves them unassigned). Each use in the
// machine says why a stub is right for that block. Accesses are still
// reported with `-d mmio`, so nothing is silently ignored.

import type { MmioDevice } from '../bus.js';

export class StubBlock implements MmioDevice {
  constructor(private readonly report: (offset: number, size: number, isWrite: boolean, value: number) => void) {}
  read(offset: number, size: number): number {
    this.report(offset, size, false, 0);
    return 0;
  }
  write(offset: number, size: number, value: number): void {
    this.report(offset, size, true, value);
  }
}
