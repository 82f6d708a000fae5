// Shared helpers of the benchmarks.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { directBoot } from '../src/vmm/loaders/direct.js';
import { Ppce500 } from '../src/vmm/machine/ppce500.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export { haveQemu } from '../src/platform/node/qemu.js';

/** Seconds to run an ELF to power-off in tkvm, in this process (machine creation included). */
export async function timeTkvmElf(elf: Uint8Array): Promise<number> {
  const t0 = process.hrtime.bigint();
  const m = new Ppce500({ ramBytes: 256 << 20, output: () => {} });
  directBoot(m, { kernel: elf, kernelName: 'bench', bootargs: '' });
  const ev = await m.runUntilEvent();
  if (ev !== 'poweroff') throw new Error(`benchmark guest ended with ${ev}: ${m.errorMessage}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
