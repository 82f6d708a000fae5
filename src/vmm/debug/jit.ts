// The translator's counters as text (the monitor's `info jit`, `-d jit` at exit),
// read through the API (TKVM_GET_JIT_STATS).

import type { JitStats } from '../../kvm/index.js';

export function formatJitStats(s: JitStats): string {
  const per = (a: number, b: number, digits = 1): string => (b === 0 ? '-' : (a / b).toFixed(digits));
  const pct = (a: number, b: number): string => (b === 0 ? '-' : `${(100 * a / b).toFixed(1)}%`);
  const threshold = s.threshold === 0 ? 'off' : s.threshold === 1 ? 'on first entry' : `after ${s.threshold} instructions from an entry`;
  return [
    `translation      ${threshold}`,
    `regions          ${s.regions} (${s.instructions} guest instructions, ${per(s.instructions, s.regions)} per region)`,
    `source           ${(s.sourceBytes / 1024).toFixed(1)} KiB (${per(s.sourceBytes, s.instructions)} bytes per instruction)`,
    `translate time   ${s.translateMs.toFixed(1)} ms (${per(s.translateMs, s.regions, 3)} ms per region; V8 optimizes later)`,
    `declined         ${s.declined} entries (the next block did not fit the time slice: interpreted)`,
    `ran              ${s.translatedInstructions} of ${s.icount} instructions translated (${pct(s.translatedInstructions, s.icount)}), in ${s.regionRuns} entries (${per(s.translatedInstructions, s.regionRuns)} instructions per entry)`,
    `region to region ${s.regionToRegion} entries came straight from translated code (${pct(s.regionToRegion, s.regionRuns)}; through the dispatcher, not chained)`,
    `left on a miss   ${s.regionMissExits} times before a load or store the translation cache did not serve (${per(1000 * s.regionMissExits, s.translatedInstructions, 2)} per 1,000 translated instructions)`,
    `cache misses     loads ${s.tlbCacheLoadMisses}, stores ${s.tlbCacheStoreMisses}, code pages ${s.tlbCacheFetchMisses} (${per(1000 * (s.tlbCacheLoadMisses + s.tlbCacheStoreMisses + s.tlbCacheFetchMisses), s.icount, 2)} per 1,000 instructions); ${s.tlbCacheFlushes} flushes`,
    `invalidated      ${s.invalidations} pages of translated code (stores to code, icbi, host writes)`,
    ...(s.failures > 0 ? [`FAILED           ${s.failures} translations (a tkvm bug; that code is interpreted): ${s.lastFailure}`] : []),
  ].join('\n') + '\n';
}
