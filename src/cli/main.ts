#!/usr/bin/env node
// The tkvm command line.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ImageError } from '../vmm/loaders/elf.js';
import { boot, type BootOptions, type InputFile } from '../vmm/loaders/boot.js';
import { Ppce500 } from '../vmm/machine/ppce500.js';
import { NodeConsole } from '../platform/node/console.js';
import { parseRunArgs, UsageError, type RunArgs } from './args.js';
import { Cap } from '../kvm/index.js';
import { GuestTlbView } from '../vmm/debug/tlb.js';
import { imagesCommand } from './images/command.js';
import { ImagesError } from './images/host.js';

const USAGE = `usage: tkvm run [-M ppce500] [-cpu e500mc] [-m SIZE] [-bios FILE] [-kernel FILE] [-initrd FILE]
                [-append ARGS] [-dtb FILE] [-nographic] [-serial stdio] [-monitor none]
                [-no-reboot] [-icount N] [-d mmio,int,exit] [-dump-tlb]
       tkvm demo [run options]     Debian's U-Boot at its prompt
       tkvm images uboot|linux [--check] [--cache-dir DIR]   guest images (tkvm images --help)
       tkvm --help | --version`;

function readInput(path: string, what: string): InputFile {
  try {
    return { bytes: new Uint8Array(readFileSync(path)), name: path };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory'
      : code === 'EACCES' ? 'permission denied' : code ?? String(e);
    throw new UsageError(`cannot read ${what} '${path}': ${why}`);
  }
}

async function run(args: RunArgs): Promise<number> {
  // Read every input before anything runs, so a bad file is one message and no guest output.
  const images: BootOptions = {
    bios: args.bios !== undefined ? readInput(args.bios, 'firmware') : undefined,
    kernel: args.kernel !== undefined ? readInput(args.kernel, 'kernel') : undefined,
    initrd: args.initrd !== undefined ? readInput(args.initrd, 'initrd') : undefined,
    dtb: args.dtb !== undefined ? readInput(args.dtb, 'device tree') : undefined,
    bootargs: args.append,
  };
  let quit = false;
  const console_ = new NodeConsole({ quit: () => { quit = true; m?.request('poweroff'); } });
  const trace = args.trace.has('mmio') ? (line: string) => process.stderr.write(`tkvm: ${line}\n`) : undefined;
  const traceInt = args.trace.has('int') ? (line: string) => process.stderr.write(`tkvm: ${line}\n`) : undefined;
  const traceExit = args.trace.has('exit') ? (line: string) => process.stderr.write(`tkvm: ${line}\n`) : undefined;
  let m: Ppce500 | null = null;
  for (;;) {
    m = new Ppce500({ ramBytes: args.ramBytes, output: args.serial === 'none' ? () => {} : console_.write, trace, traceInt, traceExit });
    if (args.icount !== undefined) m.vcpu.enableCap(Cap.TKVM_ICOUNT_CLOCK, [args.icount]);
    const info = boot(m, images);
    if (args.dumpDtb !== undefined) {
      try {
        writeFileSync(args.dumpDtb, info.dtb);
      } catch (e) {
        throw new UsageError(`cannot write device tree to '${args.dumpDtb}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      process.stderr.write(`tkvm: device tree dumped to ${args.dumpDtb}\n`);
      return 0;
    }
    const machine = m;
    machine.pullInput = () => console_.pump();
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

/** Debian's U-Boot for this machine (package u-boot-qemu). */
const DEBIAN_UBOOT = '/usr/lib/u-boot/qemu-ppce500/uboot.elf';

/** `tkvm demo`: U-Boot, unmodified, at its interactive prompt. */
async function demo(rest: string[]): Promise<number> {
  if (!existsSync(DEBIAN_UBOOT)) {
    throw new UsageError(`U-Boot not found at ${DEBIAN_UBOOT}: install Debian's u-boot-qemu package`);
  }
  if (process.stdin.isTTY) process.stderr.write('tkvm: booting U-Boot; Ctrl-A X quits, Ctrl-A H helps\n');
  return run(parseRunArgs(['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-bios', DEBIAN_UBOOT, ...rest]));
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'run':
      return run(parseRunArgs(rest));
    case 'demo':
      return demo(rest);
    case 'images':
      return imagesCommand(rest);
    case '--help': case '-h': case 'help':
      process.stdout.write(USAGE + '\n');
      return 0;
    case '--version':
      process.stdout.write('tkvm 0.1.0\n');
      return 0;
    case undefined:
      throw new UsageError('no command given (try: tkvm --help)');
    default:
      throw new UsageError(`unknown command '${cmd}' (try: tkvm --help)`);
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
    if (e instanceof ImagesError) {
      process.stderr.write(`tkvm: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`tkvm: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 70;
  },
);
