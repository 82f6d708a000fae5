// Sockets at the edge: the GDB stub (-gdb, -s) and QMP (-qmp) on TCP or
// Unix sockets, in QEMU's chardev spelling. Each listens on 127.0.0.1 unless
// given a host. A client that disconnects (even mid-packet) just ends its
// connection; the guest runs on.

import * as net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { GdbStub } from '../../vmm/gdb/stub.js';
import { MachineGdbTarget } from '../../vmm/gdb/target.js';
import type { Session } from '../../vmm/machine/session.js';
import type { Hmp } from '../../vmm/monitor/hmp.js';
import { QmpConnection } from '../../vmm/monitor/qmp.js';

export class ChardevError extends Error {
  override name = 'ChardevError';
}

export type Endpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export interface ServerSpec {
  endpoint: Endpoint;
  /** wait=on (QEMU's default for a server): start the guest only once a client connected. */
  wait: boolean;
}

/**
 * QEMU's socket chardev syntax: `tcp:[HOST]:PORT[,server[=on]][,wait=on|off][,nowait]`
 * or `unix:PATH[,server][,wait=...]`. `serverRequired`: QEMU's -qmp needs
 * `server`; -gdb is always a server.
 */
export function parseSocketSpec(spec: string, what: string, serverImplied: boolean): ServerSpec {
  const [head, ...opts] = spec.split(',');
  let endpoint: Endpoint;
  let m: RegExpExecArray | null;
  if ((m = /^tcp:(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(head))) {
    const port = +m[2];
    if (port > 65535) throw new ChardevError(`${what}: port ${port} out of range`);
    const host = m[1] === '' ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, '');
    endpoint = { kind: 'tcp', host, port };
  } else if ((m = /^unix:(.+)$/.exec(head))) {
    endpoint = { kind: 'unix', path: m[1] };
  } else {
    throw new ChardevError(`${what}: unsupported '${spec}' (tcp:[HOST]:PORT or unix:PATH, with ,server for a listening socket)`);
  }
  let server = serverImplied, wait = !serverImplied;
  for (const o of opts) {
    if (o === 'server' || o === 'server=on') server = true;
    else if (o === 'server=off') server = false;
    else if (o === 'nowait' || o === 'wait=off') wait = false;
    else if (o === 'wait=on' || o === 'wait') wait = true;
    else if (o === 'nodelay' || o === 'nodelay=on' || o === 'ipv4' || o === 'ipv4=on') continue;
    else throw new ChardevError(`${what}: unknown option '${o}' in '${spec}'`);
  }
  if (!server) throw new ChardevError(`${what}: only server sockets are supported (add ,server)`);
  return { endpoint, wait: serverImplied ? false : wait };
}

export function describe(ep: Endpoint): string {
  return ep.kind === 'tcp' ? `tcp:${ep.host}:${ep.port}` : `unix:${ep.path}`;
}

const sockets = new WeakMap<net.Server, Set<net.Socket>>();

export function listen(ep: Endpoint, onConnection: (sock: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const open = new Set<net.Socket>();
    const server = net.createServer((sock) => {
      open.add(sock);
      sock.on('close', () => open.delete(sock));
      onConnection(sock);
    });
    sockets.set(server, open);
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new ChardevError(`cannot listen on ${describe(ep)}: ${e.code === 'EADDRINUSE' ? 'address in use' : e.code ?? e.message}`));
    });
    const ready = () => {
      server.removeAllListeners('error');
      server.on('error', () => {});
      resolve(server);
    };
    if (ep.kind === 'tcp') server.listen(ep.port, ep.host, ready);
    else server.listen(ep.path, ready);
  });
}

/** Stop listening and drop every connection (tkvm is ending). */
export function shutdown(server: net.Server): void {
  server.close();
  for (const s of sockets.get(server) ?? []) s.end(() => s.destroy());
}

/** The GDB stub: one debugger at a time (a second connection is refused while one is attached). */
export function serveGdb(server: net.Server, session: Session, hmp: Hmp, log: (line: string) => void): void {
  let active: net.Socket | null = null;
  server.on('connection', (sock) => {
    if (active !== null) {
      sock.destroy();
      return;
    }
    active = sock;
    sock.setNoDelay(true);
    const target = new MachineGdbTarget(session, hmp);
    const stub = new GdbStub(target, (b) => { if (!sock.destroyed) sock.write(b); });
    target.stub = stub;
    void target.attach();
    sock.on('data', (d: Buffer) => {
      try {
        stub.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      } catch (e) {
        log(`gdb: ${(e as Error)?.message ?? String(e)}`);
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      target.detach();
      active = null;
    });
  });
}

/** QMP: every connection gets its own session of the protocol. Resolves the first connection (for wait=on). */
export function serveQmp(server: net.Server, session: Session, hmp: Hmp): Promise<void> {
  return new Promise((first) => {
    server.on('connection', (sock) => {
      const dec = new StringDecoder('utf8');
      const q = new QmpConnection(session, hmp, (text) => { if (!sock.destroyed) sock.write(text); });
      sock.on('data', (d: Buffer) => q.receive(dec.write(d)));
      sock.on('error', () => {});
      sock.on('close', () => q.close());
      first();
    });
  });
}
