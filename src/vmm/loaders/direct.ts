// Direct kernel boot (ePAPR), as QEMU does for "-kernel" without "-bios":
// a thin front to boot.ts, kept for callers that boot one ELF.

import type { Ppce500 } from '../machine/ppce500.js';
import { boot, type BootInfo } from './boot.js';

export { EPAPR_MAGIC, type BootInfo } from './boot.js';

export interface DirectBootOptions {
  kernel: Uint8Array;
  kernelName: string;
  bootargs: string;
}

export function directBoot(m: Ppce500, o: DirectBootOptions): BootInfo {
  return boot(m, { kernel: { bytes: o.kernel, name: o.kernelName }, bootargs: o.bootargs });
}
