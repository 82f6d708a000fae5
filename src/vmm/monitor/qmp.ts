// A machine-readable monitor in the spirit of QEMU's QMP: JSON objects in
// both directions, one per line out. A connection gets the greeting, must
// negotiate with qmp_capabilities, then may run commands; replies carry the
// request's "id"; events (STOP, RESUME, RESET, SHUTDOWN) come with a
// timestamp once negotiated. Malformed input gets an error reply in QMP's
// classes (GenericError, CommandNotFound) and the connection goes on.
//
// Commands: qmp_capabilities, query-status, query-version, query-commands,
// stop, cont, system_reset, quit, human-monitor-command (any HMP command,
// e.g. savevm/loadvm, info registers).

import type { Session, SessionListener } from '../machine/session.js';
import { TKVM_VERSION } from '../machine/session.js';
import type { Hmp } from './hmp.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Longest request accepted (guards memory against a hostile client). */
const MAX_MESSAGE = 1 << 20;

interface QmpCommand {
  args: Record<string, 'string' | 'number' | 'boolean' | 'array'>;
  required?: string[];
  run(q: QmpConnection, a: Record<string, Json>): Json | Promise<Json>;
}

class QmpError extends Error {
  constructor(readonly cls: string, desc: string) { super(desc); }
}

function version(): Json {
  const [major, minor, micro] = TKVM_VERSION.split('.').map(Number);
  return { qemu: { major, minor, micro }, package: 'tkvm' };
}

const COMMANDS: Record<string, QmpCommand> = {
  'qmp_capabilities': { args: { enable: 'array' }, run: () => ({}) },
  'query-status': {
    args: {},
    run: (q) => ({ status: q.session.state, singlestep: false, running: q.session.state === 'running' }),
  },
  'query-version': { args: {}, run: () => version() },
  'query-commands': { args: {}, run: () => Object.keys(COMMANDS).map((name) => ({ name })) },
  'stop': { args: {}, run: async (q) => { await q.session.pause('user'); return {}; } },
  'cont': { args: {}, run: (q) => { q.session.resume(); return {}; } },
  'system_reset': { args: {}, run: (q) => { q.session.reset(); return {}; } },
  'quit': { args: {}, run: (q) => { q.quitAfterReply = true; return {}; } },
  'human-monitor-command': {
    args: { 'command-line': 'string', 'cpu-index': 'number' },
    required: ['command-line'],
    run: (q, a) => q.hmp.execute(a['command-line'] as string),
  },
};

export class QmpConnection {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escape = false;
  private negotiated = false;
  private readonly unlisten: () => void;
  /** Requests are answered in order, one at a time. */
  private queue: Promise<void> = Promise.resolve();
  quitAfterReply = false;
  private closed = false;

  constructor(readonly session: Session, readonly hmp: Hmp, private readonly send: (text: string) => void) {
    const l: SessionListener = {
      stopped: () => this.event('STOP'),
      resumed: () => this.event('RESUME'),
      reset: (guest) => this.event('RESET', { guest, reason: guest ? 'guest-reset' : 'host-qmp-system-reset' }),
      shutdown: (why) => this.event('SHUTDOWN', { guest: why === 'poweroff' || why === 'reset', reason: why === 'poweroff' ? 'guest-shutdown' : why === 'reset' ? 'guest-reset' : 'host-qmp-quit' }),
    };
    this.unlisten = session.listen(l);
    this.out({ QMP: { version: version(), capabilities: [] } });
  }

  close(): void {
    this.closed = true;
    this.unlisten();
  }

  private out(v: Json): void {
    if (!this.closed) this.send(JSON.stringify(v) + '\r\n');
  }

  private event(name: string, data?: Json): void {
    if (!this.negotiated) return;
    const now = Date.now();
    const ev: Record<string, Json> = { timestamp: { seconds: Math.floor(now / 1000), microseconds: (now % 1000) * 1000 }, event: name };
    if (data !== undefined) ev.data = data;
    this.out(ev);
  }

  /** Bytes from the client: split into JSON values (a streaming scan of braces outside strings). */
  receive(text: string): void {
    for (const ch of text) {
      if (this.depth === 0 && !this.inString) {
        if (ch === '{' || ch === '[') {
          this.buf = ch;
          this.depth = 1;
        } else if (!/\s/.test(ch)) {
          this.buf += ch;
          if (this.buf.length > 64) this.flushGarbage();
        } else if (this.buf !== '') {
          this.flushGarbage();
        }
        continue;
      }
      this.buf += ch;
      if (this.buf.length > MAX_MESSAGE) {
        this.reset();
        this.error(null, 'GenericError', 'JSON parse error, message too long');
        continue;
      }
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (ch === '\\') this.escape = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"') this.inString = true;
      else if (ch === '{' || ch === '[') this.depth++;
      else if (ch === '}' || ch === ']') {
        this.depth--;
        if (this.depth === 0) {
          const msg = this.buf;
          this.buf = '';
          this.enqueue(msg);
        }
      }
    }
  }

  private flushGarbage(): void {
    this.buf = '';
    this.error(null, 'GenericError', 'JSON parse error, invalid keyword');
  }

  private reset(): void {
    this.buf = '';
    this.depth = 0;
    this.inString = false;
    this.escape = false;
  }

  private error(id: Json | undefined, cls: string, desc: string): void {
    const r: Record<string, Json> = { error: { class: cls, desc } };
    if (id !== undefined && id !== null) r.id = id;
    this.out(r);
  }

  private enqueue(text: string): void {
    this.queue = this.queue.then(() => this.handle(text)).catch(() => {});
  }

  private async handle(text: string): Promise<void> {
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch (e) {
      this.error(null, 'GenericError', `JSON parse error, ${(e as Error).message}`);
      return;
    }
    if (req === null || typeof req !== 'object' || Array.isArray(req)) {
      this.error(null, 'GenericError', 'QMP input must be a JSON object');
      return;
    }
    const o = req as Record<string, Json>;
    const id = o.id;
    for (const k of Object.keys(o)) {
      if (k !== 'execute' && k !== 'arguments' && k !== 'id' && k !== 'exec-oob') {
        this.error(id, 'GenericError', `QMP input member '${k}' is unexpected`);
        return;
      }
    }
    if (typeof o.execute !== 'string') {
      this.error(id, 'GenericError', "QMP input lacks member 'execute'");
      return;
    }
    const args = o.arguments ?? {};
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      this.error(id, 'GenericError', "QMP input member 'arguments' must be an object");
      return;
    }
    const name = o.execute;
    if (!this.negotiated && name !== 'qmp_capabilities') {
      this.error(id, 'CommandNotFound', "Expecting capabilities negotiation with 'qmp_capabilities'");
      return;
    }
    if (this.negotiated && name === 'qmp_capabilities') {
      this.error(id, 'CommandNotFound', 'Capabilities negotiation is already complete, command ignored');
      return;
    }
    const cmd = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (cmd === undefined) {
      this.error(id, 'CommandNotFound', `The command ${name} has not been found`);
      return;
    }
    const a = args as Record<string, Json>;
    for (const [k, v] of Object.entries(a)) {
      const type = cmd.args[k];
      if (type === undefined) {
        this.error(id, 'GenericError', `Parameter '${k}' is unexpected`);
        return;
      }
      const ok = type === 'array' ? Array.isArray(v) : typeof v === type;
      if (!ok) {
        this.error(id, 'GenericError', `Invalid parameter type for '${k}', expected: ${type}`);
        return;
      }
    }
    for (const k of cmd.required ?? []) {
      if (!(k in a)) {
        this.error(id, 'GenericError', `Parameter '${k}' is missing`);
        return;
      }
    }
    let ret: Json;
    try {
      ret = await cmd.run(this, a);
    } catch (e) {
      const err = e instanceof QmpError ? e : new QmpError('GenericError', (e as Error)?.message ?? String(e));
      this.error(id, err.cls, err.message);
      return;
    }
    if (name === 'qmp_capabilities') this.negotiated = true;
    const r: Record<string, Json> = { return: ret };
    if (id !== undefined) r.id = id;
    this.out(r);
    if (this.quitAfterReply) this.session.quit();
  }
}
