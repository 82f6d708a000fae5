// The pvpanic device, MMIO flavour ("qemu,pvpanic-mmio"; Linux's
// drivers/misc/pvpanic): one byte-wide register. Reading it returns the
// events the device can report (bit 0 PANICKED, bit 1 CRASH_LOADED); the
// guest's panic notifier writes the event that happened. The machine decides
// what a panic does (tkvm's `-action panic=...`).

import type { MmioDevice } from '../bus.js';

export const PVPANIC_PANICKED = 1;
export const PVPANIC_CRASH_LOADED = 2;

export class Pvpanic implements MmioDevice {
  constructor(private readonly event: (events: number) => void) {}

  // A wider access at offset 0 carries the register in its most significant
  // byte (the bus hands values over big-endian).
  read(offset: number, size: number): number {
    return offset === 0 ? (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED) * Math.pow(256, size - 1) : 0;
  }

  write(offset: number, size: number, value: number): void {
    if (offset !== 0) return;
    const v = Math.floor(value / Math.pow(256, size - 1)) & 0xff;
    if ((v & (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)) !== 0) this.event(v);
  }
}
