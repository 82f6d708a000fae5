#!/usr/bin/env node
// The tkvm command line.

import { readFileSync, writeFileSync } from 'node:fs';
import { ImageError } from '../vmm/loaders/elf.js';
import { boot, type BootOptions, type InputFile } from '../vmm/loaders/boot.js';
import { Ppce500 } from '../vmm/machine/ppce500.js';
import { NodeConsole } from '../platform/node/console.js';
import { parseRunArgs, UsageError, type RunArgs } from './args.js';
import { Cap } from '../kvm/index.js';
import { GuestTlbView } from '../vmm/debug/tlb.js';
import { imagesCommand } from './images/command.js';
import { ImagesError, Progress } from './images/host.js';
import { cacheDir } from './images/paths.js';
import { cachedUboot, fetchUboot } from './images/uboot.js';
import { FileStorage, StorageError } from '../platform/node/file-storage.js';

const USAGE = `usage: tkvm run [-M ppce500] [-cpu e500mc] [-m SIZE] [-bios FILE] [-kernel FILE] [-initrd FILE]
                [-append ARGS] [-dtb FILE] [-nographic] [-serial stdio] [-monitor none]
                [-drive file=DISK[,format=raw][,if=virtio][,readonly=on]]
                [-device virtio-serial-device|virtio-rng-device|virtio-blk-device,drive=ID]
                [-action panic=exit-failure|shutdown|pause|none] [-no-shutdown]
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

/** Where console input goes first: hvc0 when it is the kernel's last console= (Linux's /dev/console). */
function initialInput(args: RunArgs): 'serial' | 'virtio' {
  if (!args.virtioConsole) return 'serial';
  const consoles = args.append.split(/\s+/).filter((w) => w.startsWith('console=')).map((w) => w.slice(8).split(',')[0]);
  return consoles.length > 0 && consoles[consoles.length - 1] === 'hvc0' ? 'virtio' : 'serial';
}

/** Open the disk images (before anything runs: a bad one is one message). */
function openDrives(args: RunArgs): FileStorage[] {
  const out: FileStorage[] = [];
  try {
    for (const d of args.drives) out.push(new FileStorage(d.file, d.readOnly, d.format !== undefined));
  } catch (e) {
    for (const s of out) s.close();
    throw e;
  }
  return out;
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
  const drives = openDrives(args);
  let quit = false;
  let wakePaused: (() => void) | null = null;
  let inputTo = initialInput(args);
  const console_ = new NodeConsole({
    quit: () => { quit = true; m?.request('poweroff'); wakePaused?.(); },
    // Ctrl-A C: QEMU's way of moving a shared terminal's input to the next device.
    switchInput: args.virtioConsole ? () => {
      inputTo = inputTo === 'serial' ? 'virtio' : 'serial';
      if (m !== null) m.inputTo = inputTo;
      return inputTo === 'serial' ? 'the serial port (ttyS0)' : 'the virtio console (hvc0)';
    } : undefined,
  });
  /** Stop the guest and wait for Ctrl-A X (-no-shutdown, -action panic=pause). */
  const pause = (why: string): Promise<void> => {
    console_.flush();
    process.stderr.write(`tkvm: ${why}; the guest is stopped (Ctrl-A X or a signal ends tkvm)\n`);
    return new Promise<void>((res) => { wakePaused = res; });
  };
  const trace = args.trace.has('mmio') ? (line: string) => process.stderr.write(`tkvm: ${line}\n`) : undefined;
  const traceInt = args.trace.has('int') ? (line: string) => process.stderr.write(`tkvm: ${line}\n`) : undefined;
  const traceExit = args.trace.has('exit') ? (line: string) => process.stderr.write(`tkvm: ${line}\n`) : undefined;
  let m: Ppce500 | null = null;
  for (;;) {
    const output = args.serial === 'none' ? () => {} : console_.write;
    m = new Ppce500({
      ramBytes: args.ramBytes, output, trace, traceInt, traceExit,
      drives,
      virtioConsole: args.virtioConsole ? (bytes) => { for (const b of bytes) console_.write(b); } : undefined,
      rng: args.virtioRng ? (buf) => { globalThis.crypto.getRandomValues(buf); } : undefined,
      log: (line) => process.stderr.write(`tkvm: guest error: ${line}\n`),
    });
    m.inputTo = inputTo;
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
    let ev = await m.runUntilEvent();
    while (ev === 'panic' && args.panicAction === 'none' && !quit) ev = await m.runUntilEvent();
    console_.flush();
    // The TLB as the guest left it, read through the API (QEMU's `info tlb` format).
    if (args.dumpTlb && (quit || ev !== 'reset' || args.noReboot)) process.stderr.write(new GuestTlbView(m.vcpu, m.tlbArray).dump());
    if (quit) break;
    if (ev === 'reset' && !args.noReboot) continue;
    if (ev === 'error') {
      console_.close();
      closeAll(drives);
      process.stderr.write(`tkvm: ${m.errorMessage}\n`);
      return 1;
    }
    if (ev === 'panic') {
      // The kernel has printed its panic message on the console by now.
      if (args.panicAction === 'shutdown') break;
      if (args.panicAction === 'pause') await pause('guest panicked');
      else process.stderr.write('tkvm: guest panicked\n');
      console_.close();
      closeAll(drives);
      return 1;
    }
    if (ev === 'poweroff' && args.noShutdown) await pause('guest powered off (-no-shutdown)');
    break;
  }
  console_.close();
  closeAll(drives);
  return 0;
}

function closeAll(drives: FileStorage[]): void {
  for (const d of drives) d.close();
}

/**
 * `tkvm demo` (what `npm start` runs): Debian's U-Boot, unmodified, at its
 * interactive prompt. U-Boot comes from the `u-boot-qemu` package, fetched
 * into the image cache without root (`tkvm images uboot`) the first time.
 */
async function demo(rest: string[]): Promise<number> {
  const cache = cacheDir();
  const u = cachedUboot(cache) ?? await fetchUboot(cache, new Progress(process.stderr, false));
  if (process.stdin.isTTY) process.stderr.write('tkvm: booting U-Boot; Ctrl-A X quits, Ctrl-A H helps\n');
  return run(parseRunArgs(['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-bios', u.elf, ...rest]));
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
    if (e instanceof UsageError || e instanceof ImageError || e instanceof StorageError) {
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
