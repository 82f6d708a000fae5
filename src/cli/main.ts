#!/usr/bin/env node
// The tkvm command line.

import { formatJitStats } from '../vmm/debug/jit.js';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { basename, dirname, relative, resolve } from 'node:path';
import { ImageError } from '../vmm/loaders/elf.js';
import { boot } from '../vmm/loaders/boot.js';
import { Ppce500 } from '../vmm/machine/ppce500.js';
import { Session, type SessionHost } from '../vmm/machine/session.js';
import { Hmp, HMP_BANNER, HMP_PROMPT } from '../vmm/monitor/hmp.js';
import { NodeConsole } from '../platform/node/console.js';
import { ChardevError, describe, listen, parseSocketSpec, serveGdb, serveQmp, shutdown } from '../platform/node/servers.js';
import { readSnapshotFile, writeSnapshotFile, zlibCodec } from '../platform/node/snapshot-io.js';
import { parseRunArgs, UsageError, type RunArgs } from './args.js';
import { readImages } from './inputs.js';
import { ImagesError, Progress } from './images/host.js';
import { cacheDir } from './images/paths.js';
import { FileStorage, StorageError } from '../platform/node/file-storage.js';

const USAGE = `usage: tkvm run [-M ppce500] [-cpu e500mc] [-m SIZE] [-bios FILE] [-kernel FILE] [-initrd FILE]
                [-append ARGS] [-dtb FILE] [-nographic] [-serial stdio|mon:stdio|none] [-monitor stdio|none]
                [-drive file=DISK[,format=raw][,if=virtio][,readonly=on]]
                [-device virtio-serial-device|virtio-rng-device|virtio-blk-device,drive=ID]
                [-action panic=exit-failure|shutdown|pause|none] [-no-shutdown]
                [-no-reboot] [-icount N] [-rtc base=DATE,clock=host|vm] [-accel tkvm,lazy-tlb=on,jit=off|on|force]
                [-s] [-gdb tcp:[HOST]:PORT] [-S] [-qmp tcp:[HOST]:PORT,server[,wait=off]] [-loadvm FILE]
                [-d mmio,int,exit] [-dump-tlb]
       tkvm demo [run options]     Debian's U-Boot at its prompt
       tkvm lockstep [--limit N] RUN-OPTIONS   compare with QEMU instruction by instruction
       tkvm images uboot|linux [--check] [--cache-dir DIR]   guest images (tkvm images --help)
       tkvm --help | --version`;

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
  const images = readImages(args);
  // Sockets are parsed up front too (a bad -gdb or -qmp is a usage error).
  const gdbSpec = args.gdb !== undefined ? parseSocketSpec(args.gdb, '-gdb', true) : null;
  const qmpSpecs = args.qmp.map((q) => parseSocketSpec(q, '-qmp', false));
  const drives = openDrives(args);
  const log = (line: string) => process.stderr.write(`tkvm: ${line}\n`);
  const trace = args.trace.has('mmio') ? log : undefined;
  const traceInt = args.trace.has('int') ? log : undefined;
  const traceExit = args.trace.has('exit') ? log : undefined;

  // The monitor is on the console with -monitor stdio, -serial mon:stdio, or (as
  // QEMU's -nographic) by default; -monitor none leaves it out.
  const monitorOnConsole = args.monitor === 'stdio' || args.serial === 'mon:stdio' || args.monitor === 'default';
  let hmp: Hmp | null = null;
  let session: Session | null = null;
  let inputTo = initialInput(args);
  const console_ = new NodeConsole({
    quit: () => session?.quit(),
    // Ctrl-A C: QEMU's way of moving a shared terminal's input to the next device.
    switchInput: args.virtioConsole ? () => {
      inputTo = inputTo === 'serial' ? 'virtio' : 'serial';
      if (session !== null) session.machine.inputTo = inputTo;
      return inputTo === 'serial' ? 'the serial port (ttyS0)' : 'the virtio console (hvc0)';
    } : undefined,
  }, {
    monitor: monitorOnConsole ? {
      banner: HMP_BANNER, prompt: HMP_PROMPT,
      execute: (line) => (hmp !== null ? hmp.execute(line) : Promise.resolve('')),
      active: () => session !== null && !session.ended,
    } : undefined,
    escapes: args.serial === 'mon:stdio',
    monitorOnly: args.monitor === 'stdio',
  });
  const output = args.serial === 'none' ? () => {} : console_.write;
  const create = (): Ppce500 => {
    const m = new Ppce500({
      ramBytes: args.ramBytes, output, trace, traceInt, traceExit, icount: args.icount, lazyTlb: args.lazyTlb, jitThreshold: args.jitThreshold,
      rtc: { baseMs: args.rtcBaseMs, clock: args.rtcClock ?? (args.icount !== undefined ? 'vm' : 'host') },
      drives,
      virtioConsole: args.virtioConsole ? (bytes) => { for (const b of bytes) console_.write(b); } : undefined,
      rng: args.virtioRng ? (buf) => { globalThis.crypto.getRandomValues(buf); } : undefined,
      log: (line) => process.stderr.write(`tkvm: guest error: ${line}\n`),
    });
    m.inputTo = inputTo;
    m.pullInput = () => console_.pump();
    return m;
  };

  if (args.dumpDtb !== undefined) {
    const info = boot(create(), images);
    closeAll(drives);
    try {
      writeFileSync(args.dumpDtb, info.dtb);
    } catch (e) {
      throw new UsageError(`cannot write device tree to '${args.dumpDtb}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    process.stderr.write(`tkvm: device tree dumped to ${args.dumpDtb}\n`);
    return 0;
  }

  const host: SessionHost = {
    create,
    boot: (m) => { boot(m, images); },
    readFile: readSnapshotFile,
    writeFile: writeSnapshotFile,
    codec: zlibCodec,
    noReboot: args.noReboot,
    noShutdown: args.noShutdown,
    panicAction: args.panicAction,
    stopped: (why) => {
      console_.flush();
      process.stderr.write(`tkvm: ${why}; the guest is stopped (Ctrl-A X or a signal ends tkvm)\n`);
    },
    parentName: (child, parent) => relative(dirname(resolve(child)), resolve(parent)) || basename(parent),
    resolveParent: (child, recorded) => resolve(dirname(resolve(child)), recorded),
  };
  session = new Session(host, { startPaused: args.startPaused });
  const s = session;
  if (args.loadvm !== undefined) {
    try {
      s.loadvm(args.loadvm);
    } catch (e) {
      closeAll(drives);
      throw new UsageError(`-loadvm ${args.loadvm}: ${(e as Error).message}`);
    }
  }
  hmp = new Hmp(s);

  const servers: Server[] = [];
  const closeEverything = () => {
    for (const srv of servers) shutdown(srv);
    console_.close();
    closeAll(drives);
  };
  try {
    if (gdbSpec !== null) {
      const srv = await listen(gdbSpec.endpoint, () => {});
      servers.push(srv);
      serveGdb(srv, s, hmp, log);
    }
    const waits: Promise<void>[] = [];
    for (const q of qmpSpecs) {
      const srv = await listen(q.endpoint, () => {});
      servers.push(srv);
      const first = serveQmp(srv, s, hmp);
      if (q.wait) {
        log(`QMP: waiting for a connection on ${describe(q.endpoint)}`);
        waits.push(first);
      }
    }
    await Promise.all(waits);
  } catch (e) {
    closeEverything();
    if (e instanceof ChardevError) throw new UsageError(e.message);
    throw e;
  }

  console_.attach({ input: (b) => s.machine.input(b), sendBreak: () => s.machine.uart.receiveBreak() });
  const end = await s.run();
  console_.flush();
  // The TLB as the guest left it, read through the API (QEMU's `info tlb` format).
  if (args.dumpTlb) process.stderr.write(s.machine.tlbView.dump());
  if (args.trace.has('jit')) process.stderr.write(formatJitStats(s.machine.vcpu.jitStats()));
  closeEverything();
  if (end.message !== undefined) process.stderr.write(`tkvm: ${end.message}\n`);
  return end.status;
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
  // The image builders are loaded only by the commands that use them (start-up time of `tkvm run`).
  const { cachedUboot, fetchUboot } = await import('./images/uboot.js');
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
      return (await import('./images/command.js')).imagesCommand(rest);
    case 'lockstep':
      return (await import('./lockstep.js')).lockstepCommand(rest);
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
