// A raw disk image file as virtio-blk storage: synchronous reads and writes
// on a file descriptor (a write survives a kill of the process: it is in the
// host's page cache), fsync on flush (survives a host crash).

import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';

export class StorageError extends Error {
  override name = 'StorageError';
}

export class FileStorage {
  readonly size: number;
  private fd: number;

  constructor(readonly path: string, readonly readOnly: boolean) {
    try {
      this.fd = openSync(path, readOnly ? 'r' : 'r+');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EROFS' || code === 'EPERM'
        ? (readOnly ? 'permission denied' : 'not writable (add readonly=on to use it read-only)')
        : code === 'EISDIR' ? 'is a directory' : code ?? String(e);
      throw new StorageError(`disk image '${path}': ${why}`);
    }
    const st = fstatSync(this.fd);
    if (!st.isFile() && !st.isBlockDevice()) throw new StorageError(`disk image '${path}': not a regular file`);
    // A partial last sector is not addressable by the guest.
    this.size = Math.floor(st.size / 512) * 512;
    if (this.size === 0) throw new StorageError(`disk image '${path}': empty (size must be at least 512 bytes)`);
  }

  read(offset: number, into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, offset + done);
      if (n === 0) {
        into.fill(0, done);
        return;
      }
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }

  flush(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Parse QEMU's `-drive file=X,format=raw,if=virtio[,readonly=on]`. */
export interface DriveSpec {
  file: string;
  readOnly: boolean;
}

export function parseDrive(spec: string): DriveSpec {
  const opts = new Map<string, string>();
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new StorageError(`-drive: expected key=value, got '${part}'`);
    opts.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const file = opts.get('file');
  if (!file) throw new StorageError('-drive: file= is required');
  const format = opts.get('format') ?? 'raw';
  if (format !== 'raw') throw new StorageError(`-drive: unsupported format '${format}' (only raw)`);
  const iface = opts.get('if') ?? 'virtio';
  if (iface !== 'virtio') throw new StorageError(`-drive: unsupported interface '${iface}' (only virtio)`);
  const ro = opts.get('readonly') ?? 'off';
  if (!['on', 'off', 'true', 'false'].includes(ro)) throw new StorageError(`-drive: readonly must be on or off`);
  for (const k of opts.keys()) {
    if (!['file', 'format', 'if', 'readonly', 'media', 'id'].includes(k)) throw new StorageError(`-drive: unknown option '${k}'`);
  }
  return { file, readOnly: ro === 'on' || ro === 'true' };
}
