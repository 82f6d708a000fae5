// `tkvm run` and `tkvm demo`: a guest on the ppce500 machine, its console on
// the terminal, and the monitor, GDB stub and QMP around it.
//
// main.ts loads this module only for these commands (`tkvm --help` stays
// small). Inside it, what a plain run does not use is loaded when it is
// asked for, since start-up time is time before the first guest
// instruction: the GDB and QMP servers (node:net, the stub, QMP) with -gdb
// or -qmp, snapshot files (node:zlib) by the first thing that can take or
// restore a snapshot, the image builder by `demo`.

import { formatJitStats } from '../vmm/debug/jit.js';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { basename, dirname, relative, resolve } from 'node:path';
import { boot } from '../vmm/loaders/boot.js';
import { Ppce500 } from '../vmm/machine/ppce500.js';
import { Session, type SessionHost } from '../vmm/machine/session.js';
import { Hmp, HMP_BANNER, HMP_PROMPT } from '../vmm/monitor/hmp.js';
import { NodeConsole } from '../platform/node/console.js';
import { parseRunArgs, UsageError, type RunArgs } from './args.js';
import { readImages } from './inputs.js';
import { FileStorage } from '../platform/node/file-storage.js';

type SnapshotIo = typeof import('../platform/node/snapshot-io.js');

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

export async function run(args: RunArgs): Promise<number> {
  // Read every input before anything runs, so a bad file is one message and no guest output.
  const images = readImages(args);
  // Sockets are parsed up front too (a bad -gdb or -qmp is a usage error).
  const net = args.gdb !== undefined || args.qmp.length > 0 ? await import('../platform/node/servers.js') : null;
  const gdbSpec = net !== null && args.gdb !== undefined ? net.parseSocketSpec(args.gdb, '-gdb', true) : null;
  const qmpSpecs = net !== null ? args.qmp.map((q) => net.parseSocketSpec(q, '-qmp', false)) : [];
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
  // Snapshot files, loaded by the first thing that can save or restore one
  // (-loadvm, a monitor command, the GDB stub's or QMP's first client); the
  // session reads and writes them synchronously, so they are loaded before.
  // A path that forgot to load them fails loudly instead of, say, writing
  // an uncompressed snapshot.
  let snapshotIo: SnapshotIo | null = null;
  const loadSnapshotIo = async (): Promise<void> => { snapshotIo ??= await import('../platform/node/snapshot-io.js'); };
  const io = (): SnapshotIo => {
    if (snapshotIo === null) throw new Error('snapshot files used before they were loaded');
    return snapshotIo;
  };
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
      execute: (line) => (hmp !== null ? loadSnapshotIo().then(() => hmp!.execute(line)) : Promise.resolve('')),
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
    readFile: (name) => io().readSnapshotFile(name),
    writeFile: (name, data) => io().writeSnapshotFile(name, data),
    get codec() { return io().zlibCodec; },
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
    await loadSnapshotIo();
    try {
      s.loadvm(args.loadvm);
    } catch (e) {
      closeAll(drives);
      throw new UsageError(`-loadvm ${args.loadvm}: ${(e as Error).message}`);
    }
  }
  hmp = new Hmp(s);

  const servers: Server[] = [];
  /** Close everything; resolves when the servers' last connections have ended. */
  const closeEverything = (): Promise<void> => {
    const closed = servers.map((srv) => new Promise<void>((res) => srv.once('close', () => res())));
    for (const srv of servers) net!.shutdown(srv);
    console_.close();
    closeAll(drives);
    return Promise.all(closed).then(() => {});
  };
  if (net !== null) {
    try {
      await loadSnapshotIo();
      if (gdbSpec !== null) {
        const srv = await net.listen(gdbSpec.endpoint, () => {});
        servers.push(srv);
        net.serveGdb(srv, s, hmp, log);
      }
      const waits: Promise<void>[] = [];
      for (const q of qmpSpecs) {
        const srv = await net.listen(q.endpoint, () => {});
        servers.push(srv);
        const first = net.serveQmp(srv, s, hmp);
        if (q.wait) {
          log(`QMP: waiting for a connection on ${net.describe(q.endpoint)}`);
          waits.push(first);
        }
      }
      await Promise.all(waits);
    } catch (e) {
      void closeEverything();
      if (e instanceof net.ChardevError) throw new UsageError(e.message);
      throw e;
    }
  }

  console_.attach({ input: (b) => s.machine.input(b), sendBreak: () => s.machine.uart.receiveBreak() });
  const end = await s.run();
  console_.flush();
  // The TLB as the guest left it, read through the API (QEMU's `info tlb` format).
  if (args.dumpTlb) process.stderr.write(s.machine.tlbView.dump());
  if (args.trace.has('jit')) process.stderr.write(formatJitStats(s.machine.vcpu.jitStats()));
  // (The terminal leaves raw mode here, before the message.)
  const closed = closeEverything();
  if (end.message !== undefined) process.stderr.write(`tkvm: ${end.message}\n`);
  // When this resolves, nothing is left but output to flush (main.ts may end the process then).
  await closed;
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
export async function demo(rest: string[]): Promise<number> {
  // The image builder is loaded only by the commands that use it (start-up time of `tkvm run`).
  const [{ cacheDir }, { Progress }, { cachedUboot, fetchUboot }] =
    await Promise.all([import('./images/paths.js'), import('./images/host.js'), import('./images/uboot.js')]);
  const cache = cacheDir();
  const u = cachedUboot(cache) ?? await fetchUboot(cache, new Progress(process.stderr, false));
  if (process.stdin.isTTY) process.stderr.write('tkvm: booting U-Boot; Ctrl-A X quits, Ctrl-A H helps\n');
  return run(parseRunArgs(['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-bios', u.elf, ...rest]));
}
