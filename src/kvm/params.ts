// Module parameters: the defaults every new vCPU starts with, as a Linux
// module's parameters are (/sys/module/kvm/parameters/...). The one there is:
//
//  jitThreshold  guest instructions run from an entry into a piece of code
//                before the code there is translated (src/core/jit); 0
//                never translates, 1 translates on the first entry. A vCPU
//                changes its own with TKVM_CAP_JIT.
//
// Where the host has an environment (Node), TKVM_JIT sets it for a whole
// process, so a test run can force translation on or off everywhere:
// TKVM_JIT=off (0), force (1), on (the default), or a number.

import { DEFAULT_JIT_THRESHOLD } from '../core/cpu.js';

/** The value TKVM_JIT stands for, or an error for a value that is none of them. */
export function parseJitSetting(v: string): number {
  if (v === 'off') return 0;
  if (v === 'force') return 1;
  if (v === 'on') return DEFAULT_JIT_THRESHOLD + 1;
  if (/^[0-9]{1,9}$/.test(v)) return Number(v);
  throw new Error(`TKVM_JIT must be off, on, force or a number of entries (got '${v}')`);
}

function fromEnvironment(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.TKVM_JIT;
  return v === undefined || v === '' ? DEFAULT_JIT_THRESHOLD + 1 : parseJitSetting(v);
}

export const moduleParams = {
  jitThreshold: fromEnvironment(),
};
