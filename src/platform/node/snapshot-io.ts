// Snapshot files and compression at the edge: node:zlib as the snapshot
// container's Codec, and files written whole (to a temporary name, then
// renamed, so a snapshot that failed half-way never replaces a good one).

import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { deflateSync, inflateSync, constants } from 'node:zlib';
import { InflateLimitError, type Codec } from '../../vmm/snapshot/format.js';

export const zlibCodec: Codec = {
  // Level 1: snapshots are mostly code and data pages; faster beats smaller.
  deflate: (d) => new Uint8Array(deflateSync(d, { level: 1, strategy: constants.Z_DEFAULT_STRATEGY })),
  inflate: (d, size) => {
    try {
      // maxOutputLength makes zlib stop (and throw) as soon as its output
      // passes the section's declared size, whatever the stream would make.
      // (0 is not a valid maxOutputLength; an empty section needs 1 byte of room to be refused.)
      return new Uint8Array(inflateSync(d, { maxOutputLength: Math.max(1, size) }));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new InflateLimitError(`inflates to more than ${size} bytes`);
      throw e;
    }
  },
};

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory'
    : code === 'EACCES' ? 'permission denied' : code === 'ENOSPC' ? 'no space left on device' : code ?? String(e);
}

export function readSnapshotFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read snapshot '${path}': ${why(e)}`);
  }
}

export function writeSnapshotFile(path: string, data: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* nothing to clean */ }
    throw new Error(`cannot write snapshot '${path}': ${why(e)}`);
  }
}
