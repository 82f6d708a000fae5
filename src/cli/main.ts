// The tkvm command line.
//
// This module is what every command starts with, so it loads nothing: each
// command's module is imported when that command is chosen (`tkvm --help`
// needs none, `tkvm run` not the image builder), and so are the error
// classes, when there is an error to report.

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

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'run': {
      const [{ run }, { parseRunArgs }] = await Promise.all([import('./run.js'), import('./args.js')]);
      return endWhenFlushed(await run(parseRunArgs(rest)));
    }
    case 'demo':
      return endWhenFlushed(await (await import('./run.js')).demo(rest));
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
      return usageError('no command given (try: tkvm --help)');
    default:
      return usageError(`unknown command '${cmd}' (try: tkvm --help)`);
  }
}

/**
 * Ends the process with `code` once stdout and stderr have written out what
 * they hold, for a finished run, which leaves nothing else behind (its
 * files are closed, its servers' connections have ended). Left alone, Node
 * ends the process when the event loop is empty, but only after V8's queued
 * background compilations have all run (its platform drains them first):
 * after a short guest run the optimizing compiler may still have the
 * interpreter and translated code to do, tens of ms. process.exit waits only
 * for the compilations already running.
 */
function endWhenFlushed(code: number): number {
  const busy = [process.stdout, process.stderr].filter((s) => s.writableLength > 0);
  let left = busy.length;
  if (left === 0) process.exit(code);
  for (const s of busy) s.once('drain', () => { if (--left === 0) process.exit(code); });
  return code;
}

function usageError(message: string): number {
  process.stderr.write(`tkvm: ${message}\n`);
  return 2;
}

/** The exit status for an error a command threw, after saying what it was. */
async function report(e: unknown): Promise<number> {
  const [{ UsageError }, { ImageError }, { StorageError }, { ImagesError }] = await Promise.all([
    import('./args.js'), import('../vmm/loaders/elf.js'), import('../platform/node/file-storage.js'), import('./images/host.js'),
  ]);
  if (e instanceof UsageError || e instanceof ImageError || e instanceof StorageError) {
    process.stderr.write(`tkvm: ${e.message}\n`);
    return 2;
  }
  if (e instanceof ImagesError) {
    process.stderr.write(`tkvm: ${e.message}\n`);
    return 1;
  }
  process.stderr.write(`tkvm: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 70;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => report(e).then((code) => { process.exitCode = code; }, (e2: unknown) => {
    process.stderr.write(`tkvm: internal error: ${(e as Error)?.stack ?? String(e)}\n(and while reporting it: ${String(e2)})\n`);
    process.exitCode = 70;
  }),
);
