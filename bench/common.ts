// Shared helpers of the benchmarks.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { directBoot } from '../src/vmm/loaders/direct.js';
import { Ppce500 } from '../src/vmm/machine/ppce500.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export { haveQemu } from '../src/platform/node/qemu.js';

/** Where a benchmark says what it is doing (run.ts prints it on stderr, so a long run shows it is alive). */
export type Progress = (message: string) => void;

export function median(v: number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Seconds to run an ELF to power-off in tkvm, in this process (machine creation included). */
export async function timeTkvmElf(elf: Uint8Array): Promise<number> {
  const t0 = process.hrtime.bigint();
  const m = new Ppce500({ ramBytes: 256 << 20, output: () => {} });
  directBoot(m, { kernel: elf, kernelName: 'bench', bootargs: '' });
  const ev = await m.runUntilEvent();
  if (ev !== 'poweroff') throw new Error(`benchmark guest ended with ${ev}: ${m.errorMessage}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
