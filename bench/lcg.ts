// CPU-bound integer benchmark: guests/bin/bench-lcg.elf (9 instructions per
// loop trip) in tkvm and in QEMU, reported as guest MIPS. Each side runs
// twice with different trip counts; the difference removes start-up time,
// so the figure is the execution speed alone. Total times are shown too.

import { qemuFailure, spawnQemuSync } from '../src/platform/node/qemu.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, haveQemu, timeTkvmElf, type Progress } from './common.js';

const INSNS_PER_TRIP = 9;
const SETUP_INSNS = 22; // before and after the loop; negligible, kept for honesty

function patchTrips(elf: Uint8Array, trips: number): Uint8Array {
  // `trips` is the only word in .data; find it through the symbol table.
  const out = elf.slice();
  const dv = new DataView(out.buffer);
  const shoff = dv.getUint32(32), shentsize = dv.getUint16(46), shnum = dv.getUint16(48);
  for (let k = 0; k < shnum; k++) {
    const o = shoff + k * shentsize;
    if (dv.getUint32(o + 4) !== 2) continue; // SHT_SYMTAB
    const off = dv.getUint32(o + 16), size = dv.getUint32(o + 20), link = dv.getUint32(o + 24);
    const strOff = dv.getUint32(shoff + link * shentsize + 16);
    for (let s = off; s < off + size; s += 16) {
      const name = dv.getUint32(s);
      let str = '';
      for (let p = strOff + name; out[p] !== 0; p++) str += String.fromCharCode(out[p]);
      if (str !== 'trips') continue;
      const addr = dv.getUint32(s + 4);
      // Map the address to a file offset through the program headers.
      const phoff = dv.getUint32(28), phentsize = dv.getUint16(42), phnum = dv.getUint16(44);
      for (let h = 0; h < phnum; h++) {
        const ph = phoff + h * phentsize;
        const vaddr = dv.getUint32(ph + 8), fileoff = dv.getUint32(ph + 4), filesz = dv.getUint32(ph + 16);
        if (addr >= vaddr && addr + 4 <= vaddr + filesz) {
          dv.setUint32(fileoff + (addr - vaddr), trips);
          return out;
        }
      }
    }
  }
  throw new Error('bench-lcg.elf has no `trips` word');
}

function timeQemu(path: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnQemuSync(['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-kernel', path],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(qemuFailure(r.status, r.stderr));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export interface LcgResult {
  insns: number;
  tkvmSeconds: number;
  /** The median of the runs. */
  tkvmMips: number;
  tkvmRuns: number[];
  qemuSeconds?: number;
  qemuMips?: number;
  qemuRuns: number[];
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * MIPS from the difference between a long and a short run (which cancels
 * start-up), `runs` times for tkvm and QEMU alike; the medians count.
 */
export async function benchLcg(trips = 20_000_000, progress: Progress = () => {}, runs = 3): Promise<LcgResult> {
  const elf = new Uint8Array(readFileSync(join(ROOT, 'guests/bin/bench-lcg.elf')));
  const small = Math.max(1, Math.floor(trips / 10));
  const bigElf = patchTrips(elf, trips), smallElf = patchTrips(elf, small);
  const insns = trips * INSNS_PER_TRIP + SETUP_INSNS;
  const dInsns = (trips - small) * INSNS_PER_TRIP;

  const tkvmRuns: number[] = [];
  let tBig = 0;
  for (let r = 0; r < runs; r++) {
    progress(`tkvm run ${r + 1}/${runs}: ${trips} loop trips, then ${small}`);
    tBig = await timeTkvmElf(bigElf);
    const tSmall = await timeTkvmElf(smallElf);
    tkvmRuns.push(dInsns / (tBig - tSmall) / 1e6);
  }
  const res: LcgResult = { insns, tkvmSeconds: tBig, tkvmMips: median(tkvmRuns), tkvmRuns, qemuRuns: [] };
  progress(`tkvm: ${res.tkvmMips.toFixed(0)} MIPS`);
  if (haveQemu()) {
    const dir = mkdtempSync(join(tmpdir(), 'tkvm-bench-'));
    const qBig = join(dir, 'big.elf'), qSmall = join(dir, 'small.elf');
    // QEMU is far faster: give it 10x the work for a measurable difference.
    const qTrips = trips * 10, qSmallTrips = small;
    writeFileSync(qBig, patchTrips(elf, qTrips));
    writeFileSync(qSmall, patchTrips(elf, qSmallTrips));
    for (let r = 0; r < runs; r++) {
      progress(`QEMU run ${r + 1}/${runs}: ${qTrips} loop trips, then ${qSmallTrips}`);
      const a = timeQemu(qBig), b = timeQemu(qSmall);
      res.qemuSeconds = a;
      res.qemuRuns.push(((qTrips - qSmallTrips) * INSNS_PER_TRIP) / (a - b) / 1e6);
    }
    res.qemuMips = median(res.qemuRuns);
    progress(`QEMU: ${res.qemuMips.toFixed(0)} MIPS`);
  }
  return res;
}
