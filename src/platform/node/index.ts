// The Node.js adapters (the package's `tkvm/node`): what the VMM leaves to
// the platform, done with Node's modules. Files as virtio-blk disks, the
// terminal as the console (with QEMU's Ctrl-A escapes), snapshot files and
// their zlib codec, TCP/Unix sockets for GDB and QMP, and a vCPU in a worker
// thread. The QEMU helpers (qemu.ts) are for tkvm's own tests and lockstep,
// not part of this module.

export { FileStorage, StorageError, parseDrive, type DriveSpec } from './file-storage.js';
export {
  NodeConsole, type ConsoleSink, type ConsoleMonitor, type ConsoleHandlers, type ConsoleOptions,
} from './console.js';
export { zlibCodec, readSnapshotFile, writeSnapshotFile } from './snapshot-io.js';
export {
  parseSocketSpec, listen, shutdown, describe, serveGdb, serveQmp, ChardevError, type Endpoint, type ServerSpec,
} from './servers.js';
export { VcpuThread, VcpuThreadError, type VcpuThreadConfig } from './vcpu-thread.js';
