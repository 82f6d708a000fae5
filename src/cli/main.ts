#!/usr/bin/env node
// The tkvm command line.

import { readFileSync } from 'node:fs';
import { ImageError } from '../vmm/loaders/elf.js';
import { directBoot } from '../vmm/loaders/direct.js';
import { Ppce500 } from '../vmm/machine/ppce500.js';
import { NodeConsole } from '../platform/node/console.js';
import { parseRunArgs, UsageError, type RunArgs } from './args.js';
import { Cap } from '../kvm/index.js';
import { GuestTlbView } from '../vmm/debug/tlb.js';

const USAGE = `usage: tkvm run -M ppce500 -cpu e500mc -m SIZE -kernel FILE [-append ARGS] [-nographic] [-no-reboot] [-dump-tlb]
       tkvm --help | --version`;

function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} '${path}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? String(e)}`);
  }
}

async function run(args: RunArgs): Promise<number> {
  if (!args.kernel) throw new UsageError('-bios is not supported yet; give -kernel');
  const kernel = readInput(args.kernel, 'kernel');
  let quit = false;
  const console_ = new NodeConsole({ quit: () => { quit = true; m?.request('poweroff'); } });
  const trace = (line: string) => { if (args.trace.has('mmio')) process.stderr.write(`tkvm: ${line}\n`); };
  let m: Ppce500 | null = null;
  for (;;) {
    m = new Ppce500({ ramBytes: args.ramBytes, output: console_.write, trace });
    if (args.icount !== undefined) m.vcpu.enableCap(Cap.TKVM_ICOUNT_CLOCK, [args.icount]);
    directBoot(m, { kernel, kernelName: args.kernel, bootargs: args.append });
    const machine = m;
    console_.attach({ input: (b) => machine.input(b), sendBreak: () => machine.uart.receiveBreak() });
    const ev = await m.runUntilEvent();
    console_.flush();
    // The TLB as the guest left it, read through the API (QEMU's `info tlb` format).
    if (args.dumpTlb && (quit || ev !== 'reset' || args.noReboot)) process.stderr.write(new GuestTlbView(m.vcpu, m.tlbArray).dump());
    if (quit) break;
    if (ev === 'reset' && !args.noReboot) continue;
    if (ev === 'error') {
      console_.close();
      process.stderr.write(`tkvm: ${m.errorMessage}\n`);
      return 1;
    }
    break;
  }
  console_.close();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'run':
      return run(parseRunArgs(rest));
    case '--help': case '-h': case 'help':
      process.stdout.write(USAGE + '\n');
      return 0;
    case '--version':
      process.stdout.write('tkvm 0.1.0\n');
      return 0;
    case undefined:
      throw new UsageError(USAGE);
    default:
      throw new UsageError(`unknown command '${cmd}'\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof UsageError || e instanceof ImageError) {
      process.stderr.write(`tkvm: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`tkvm: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 70;
  },
);
