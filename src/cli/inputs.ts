// Reading the user's input files, with a one-line error for each way it fails.

import { readFileSync } from 'node:fs';
import type { BootOptions, InputFile } from '../vmm/loaders/boot.js';
import { UsageError, type RunArgs } from './args.js';

export function readInput(path: string, what: string): InputFile {
  try {
    return { bytes: new Uint8Array(readFileSync(path)), name: path };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory'
      : code === 'EACCES' ? 'permission denied' : code ?? String(e);
    throw new UsageError(`cannot read ${what} '${path}': ${why}`);
  }
}

/** The boot images a command line names (-bios, -kernel, -initrd, -dtb), read before anything runs. */
export function readImages(a: RunArgs): BootOptions {
  return {
    bios: a.bios !== undefined ? readInput(a.bios, 'firmware') : undefined,
    kernel: a.kernel !== undefined ? readInput(a.kernel, 'kernel') : undefined,
    initrd: a.initrd !== undefined ? readInput(a.initrd, 'initrd') : undefined,
    dtb: a.dtb !== undefined ? readInput(a.dtb, 'device tree') : undefined,
    bootargs: a.append,
  };
}
