// `npm run bench`: every benchmark, tkvm and QEMU side by side in one run
// (only ratios measured together mean anything on a shared machine).
//   npm run bench                 all of them
//   npm run bench -- lcg uboot    a selection (lcg, uboot, linux, api, snapshot)
//   npm run bench -- --quick      shorter runs
import { formatApi, benchApi } from './api.js';
import { haveQemu } from './common.js';
import { benchLcg } from './lcg.js';
import { benchUboot, formatUboot } from './uboot.js';
import { benchLinux, formatLinux } from './linux.js';
import { benchSnapshot, formatSnapshot } from './snapshot.js';

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined ? 'n/a' : n.toFixed(digits);
}

const BENCHES: Record<string, (quick: boolean) => Promise<string>> = {
  async lcg(quick) {
    const r = await benchLcg(quick ? 2_000_000 : 20_000_000);
    let s = `guest instructions        ${r.insns}\n`;
    s += `tkvm  MIPS                ${fmt(r.tkvmMips)}   (total ${fmt(r.tkvmSeconds, 3)} s)\n`;
    s += `QEMU  MIPS                ${fmt(r.qemuMips)}   (total ${fmt(r.qemuSeconds, 3)} s for 10x the loop)\n`;
    if (r.qemuMips !== undefined) s += `tkvm / QEMU               ${(r.tkvmMips / r.qemuMips).toFixed(3)}\n`;
    return s;
  },
  async uboot(quick) {
    return formatUboot(await benchUboot({ runs: quick ? 1 : 3 }));
  },
  async linux(quick) {
    return formatLinux(await benchLinux({ runs: quick ? 1 : 3 }));
  },
  async api() {
    return formatApi(await benchApi());
  },
  async snapshot() {
    return formatSnapshot(await benchSnapshot());
  },
};

const TITLES: Record<string, string> = {
  lcg: 'CPU-bound integer loop (guests/bin/bench-lcg.elf): guest MIPS',
  uboot: "Debian U-Boot: process start to the autoboot prompt",
  linux: 'Linux 6.1 + BusyBox: process start to the shell prompt',
  api: 'Hypervisor API: MMIO exits, ioctls, TLB modes',
  snapshot: 'Snapshots: full and incremental size and time',
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('-'));
  for (const n of names) if (!(n in BENCHES)) throw new Error(`unknown benchmark '${n}' (known: ${Object.keys(BENCHES).join(', ')})`);
  if (!haveQemu()) process.stdout.write('note: qemu-system-ppc is not installed; QEMU columns are empty\n');
  // Node reads these certificates when it starts, before any of tkvm runs:
  // 45 ms of every tkvm process on the machines this was measured on
  // (`node -e 0`: 76 ms with it, 30 without). QEMU does not pay it.
  if (process.env.NODE_EXTRA_CA_CERTS) {
    process.stdout.write('note: NODE_EXTRA_CA_CERTS is set: Node loads those certificates at start (tens of ms per tkvm process); ' +
      'unset it to measure tkvm as on a machine without it\n');
  }
  for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
    process.stdout.write(`\n== ${TITLES[name]} ==\n`);
    process.stdout.write(await BENCHES[name](quick));
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
