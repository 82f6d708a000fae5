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

  /**
   * Open a raw image. Without an explicit format, an image that announces
   * another format in its first bytes (qcow2, VMDK, VDI, VHDX) is refused
   * rather than shown to the guest as raw bytes.
   */
  constructor(readonly path: string, readonly readOnly: boolean, formatGiven = true) {
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
    if (!formatGiven) {
      const head = new Uint8Array(8);
      readSync(this.fd, head, 0, 8, 0);
      const fmt = imageFormat(head);
      if (fmt !== null) {
        throw new StorageError(`disk image '${path}' is in ${fmt} format; tkvm reads raw images only ` +
          `(convert it: qemu-img convert -O raw; or say format=raw to use its bytes as they are)`);
      }
    }
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

/** The format a disk image's first bytes announce, when it is not raw. */
function imageFormat(head: Uint8Array): string | null {
  const ascii = String.fromCharCode(...head);
  if (ascii.startsWith('QFI\xfb')) return 'qcow2';
  if (ascii.startsWith('KDMV')) return 'vmdk';
  if (ascii.startsWith('vhdxfile')) return 'vhdx';
  if (ascii.startsWith('<<< ')) return 'vdi';
  return null;
}

/**
 * QEMU's `-drive file=X[,format=raw][,if=virtio][,readonly=on]`, or
 * `-drive if=none,id=ID,file=X` for a `-device virtio-blk-device,drive=ID`.
 */
export interface DriveSpec {
  file: string;
  readOnly: boolean;
  /** Whether the drive was given a format (QEMU guesses, and warns, when not). */
  format?: 'raw';
  iface: 'virtio' | 'none';
  id?: string;
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
  if (iface !== 'virtio' && iface !== 'none') throw new StorageError(`-drive: unsupported interface '${iface}' (virtio, or none with -device virtio-blk-device)`);
  const ro = opts.get('readonly') ?? 'off';
  if (!['on', 'off', 'true', 'false'].includes(ro)) throw new StorageError(`-drive: readonly must be on or off`);
  for (const k of opts.keys()) {
    if (!['file', 'format', 'if', 'readonly', 'media', 'id'].includes(k)) throw new StorageError(`-drive: unknown option '${k}'`);
  }
  const media = opts.get('media') ?? 'disk';
  if (media !== 'disk') throw new StorageError(`-drive: unsupported media '${media}' (only disk)`);
  const id = opts.get('id');
  return { file, readOnly: ro === 'on' || ro === 'true', iface, ...(id !== undefined ? { id } : {}),
    ...(opts.has('format') ? { format: 'raw' as const } : {}) };
}
