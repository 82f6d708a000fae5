// Reading the user's input files, with a one-line error for each way it fails.

import { readFileSync } from 'node:fs';
import type { InputFile } from '../vmm/loaders/boot.js';
import { UsageError } from './args.js';

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
