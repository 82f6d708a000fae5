// QMP over a socket: greeting, capabilities negotiation, commands, events,
// human-monitor-command, and malformed input answered with errors while
// the guest runs on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { freePort, Proc } from './support/cli.js';
import { requireUboot, UBOOT_ELF } from './support/uboot.js';

class QmpClient {
  private buf = '';
  private msgs: Record<string, unknown>[] = [];
  private wake: (() => void) | null = null;
  constructor(readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      let nl;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line !== '') this.msgs.push(JSON.parse(line));
      }
      this.wake?.();
    });
  }
  static open(port: number): Promise<QmpClient> {
    return new Promise((res, rej) => {
      const s = connect(port, '127.0.0.1', () => res(new QmpClient(s)));
      s.on('error', rej);
    });
  }
  /** The next message that is not an event (events are kept in `events`). */
  events: Record<string, unknown>[] = [];
  async next(timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = this.msgs.shift();
      if (m !== undefined) {
        if ('event' in m) { this.events.push(m); continue; }
        return m;
      }
      if (Date.now() > end) throw new Error('no QMP reply');
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, 100); });
    }
  }
  /** Everything received so far that was not read yet, events included. */
  rest(): Record<string, unknown>[] {
    return [...this.events, ...this.msgs.splice(0)];
  }
  send(v: unknown): void {
    this.sock.write(typeof v === 'string' ? v : JSON.stringify(v));
  }
  async ask(v: unknown): Promise<Record<string, unknown>> {
    this.send(v);
    return this.next();
  }
}

test('QMP: greeting, negotiation, status, stop/cont, HMP passthrough, errors, quit', async (t) => {
  if (!requireUboot(t)) return;
  const port = await freePort();
  const p = new Proc(['run', '-M', 'ppce500', '-m', '256', '-serial', 'none', '-monitor', 'none', '-qmp', `tcp:127.0.0.1:${port},server,wait=on`, '-bios', UBOOT_ELF]);
  try {
    // wait=on: nothing runs until a client is there.
    let q: QmpClient | null = null;
    for (let k = 0; q === null && k < 100; k++) q = await QmpClient.open(port).catch(() => new Promise<null>((r) => setTimeout(() => r(null), 100)));
    assert.ok(q !== null, p.err);
    const hello = await q.next();
    assert.deepEqual(Object.keys(hello), ['QMP']);
    assert.deepEqual((hello.QMP as Record<string, unknown>).capabilities, []);
    assert.deepEqual(await q.ask({ execute: 'query-status' }),
      { error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" } });
    assert.deepEqual(await q.ask({ execute: 'qmp_capabilities', id: 7 }), { return: {}, id: 7 });
    assert.deepEqual(await q.ask({ execute: 'qmp_capabilities' }),
      { error: { class: 'CommandNotFound', desc: 'Capabilities negotiation is already complete, command ignored' } });
    assert.deepEqual(await q.ask({ execute: 'query-status', id: 'a' }), { return: { status: 'running', singlestep: false, running: true }, id: 'a' });
    assert.deepEqual(await q.ask({ execute: 'stop' }), { return: {} });
    assert.equal((await q.ask({ execute: 'query-status' }) as { return: { status: string } }).return.status, 'paused');
    assert.ok(q.events.some((e) => e.event === 'STOP'), 'STOP event');
    const regs = await q.ask({ execute: 'human-monitor-command', arguments: { 'command-line': 'info registers' } });
    assert.match(regs.return as string, /^\nCPU#0\nNIP [0-9a-f]{8} /);
    assert.deepEqual(await q.ask({ execute: 'human-monitor-command', arguments: { 'command-line': 'nonsense' } }), { return: "unknown command: 'nonsense'\n" });
    // Malformed input: errors, and the connection goes on.
    q.send('{"execute": "query-');
    await new Promise((r) => setTimeout(r, 100));
    q.send('status"}');
    assert.equal((await q.next() as { return: { status: string } }).return.status, 'paused', 'a request split across writes');
    assert.deepEqual(await q.ask('[1, 2]'), { error: { class: 'GenericError', desc: 'QMP input must be a JSON object' } });
    assert.deepEqual(await q.ask({ arguments: {} }), { error: { class: 'GenericError', desc: "QMP input lacks member 'execute'" } });
    assert.deepEqual(await q.ask({ execute: 'frobnicate', id: 1 }), { error: { class: 'CommandNotFound', desc: 'The command frobnicate has not been found' }, id: 1 });
    assert.deepEqual(await q.ask({ execute: 'stop', arguments: { x: 1 } }), { error: { class: 'GenericError', desc: "Parameter 'x' is unexpected" } });
    assert.deepEqual(await q.ask({ execute: 'human-monitor-command' }), { error: { class: 'GenericError', desc: "Parameter 'command-line' is missing" } });
    assert.equal(((await q.ask('{"execute": }')).error as { class: string }).class, 'GenericError');
    assert.deepEqual(await q.ask({ execute: 'cont' }), { return: {} });
    assert.equal((await q.ask({ execute: 'query-status' }) as { return: { status: string } }).return.status, 'running');
    assert.ok(q.events.some((e) => e.event === 'RESUME'), 'RESUME event');
    // A second client, gone mid-request: nothing happens to the first or the guest.
    const q2 = await QmpClient.open(port);
    await q2.next();
    q2.send('{"execute": "qmp_capab');
    q2.sock.destroy();
    assert.deepEqual(await q.ask({ execute: 'system_reset' }), { return: {} });
    assert.deepEqual(await q.ask({ execute: 'quit' }), { return: {} });
    assert.equal(await p.exited, 0);
    assert.ok(q.rest().some((e) => e.event === 'SHUTDOWN'), 'SHUTDOWN event');
    q.sock.destroy();
  } finally {
    p.kill();
  }
});
