// `npm run bench`: every benchmark, tkvm and QEMU side by side.
import { benchLcg } from './lcg.js';
import { haveQemu } from './common.js';

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined ? 'n/a' : n.toFixed(digits);
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  if (!haveQemu()) process.stdout.write('note: qemu-system-ppc is not installed; QEMU columns are empty\n');
  const lcg = await benchLcg(quick ? 2_000_000 : 20_000_000);
  process.stdout.write('\n== CPU-bound integer loop (guests/bin/bench-lcg.elf) ==\n');
  process.stdout.write(`guest instructions        ${lcg.insns}\n`);
  process.stdout.write(`tkvm  MIPS                ${fmt(lcg.tkvmMips)}   (total ${fmt(lcg.tkvmSeconds, 3)} s)\n`);
  process.stdout.write(`QEMU  MIPS                ${fmt(lcg.qemuMips)}   (total ${fmt(lcg.qemuSeconds, 3)} s for 10x the loop)\n`);
  if (lcg.qemuMips !== undefined) process.stdout.write(`tkvm / QEMU               ${(lcg.tkvmMips / lcg.qemuMips).toFixed(3)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
