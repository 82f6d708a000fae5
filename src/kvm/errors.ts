// errno-style failures of the hypervisor API. A call that throws KvmError
// has changed nothing.

export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOTTY: 25,
  ENOSPC: 28,
  EOPNOTSUPP: 95,
} as const;

export type ErrnoName = keyof typeof Errno;

export class KvmError extends Error {
  override name = 'KvmError';
  readonly errno: number;
  constructor(readonly code: ErrnoName, message: string) {
    super(`${code}: ${message}`);
    this.errno = Errno[code];
  }
}

export function fail(code: ErrnoName, message: string): never {
  throw new KvmError(code, message);
}
