// The GDB stub on the machine: Debian's gdb-multiarch debugs a guest built
// with -g (guests/src/gdbtest) in batch mode, and the remote protocol holds
// up against malformed packets and clients that vanish mid-packet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { framePacket } from '../src/vmm/gdb/rsp.js';
import { ROOT, requireTool } from './support/host.js';
import { freePort, Proc, waitListening } from './support/cli.js';

const GDBTEST = join(ROOT, 'guests/bin/gdbtest.elf');

async function startTkvm(extra: string[], kernel: string[] = ['-kernel', GDBTEST]): Promise<{ p: Proc; port: number }> {
  const port = await freePort();
  const p = new Proc(['run', '-M', 'ppce500', '-m', '256', '-nographic', '-monitor', 'none', '-gdb', `tcp::${port}`, ...extra, ...kernel]);
  if (await waitListening(port)) return { p, port };
  p.kill();
  throw new Error(`tkvm did not listen: ${p.err}`);
}

test('gdb-multiarch debugs a -g guest: break, print, step, finish, hbreak, watch, monitor, run to the end', async (t) => {
  if (!requireTool(t, 'gdb-multiarch')) return;
  const { p, port } = await startTkvm(['-S']);
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-gdb-'));
  try {
    const script = join(dir, 'session.gdb');
    writeFileSync(script, [
      'set pagination off', 'set confirm off',
      `target remote 127.0.0.1:${port}`,
      'break square', 'continue', 'print x', 'next', 'next', 'print y', 'stepi', 'finish', 'delete',
      'hbreak bump', 'continue', 'print by', 'delete',
      'watch counter', 'continue', 'print counter', 'delete',
      'print/x $pc', 'x/2i $pc', 'monitor info status', 'maint packet qqemu.PhyMemMode',
      'continue',
    ].join('\n') + '\n');
    // One stream, in order (gdb writes some messages to stderr).
    const g = spawnSync('sh', ['-c', 'exec gdb-multiarch -nx -batch -x "$0" "$1" 2>&1', script, GDBTEST], { encoding: 'utf8', timeout: 60_000 });
    const out = g.stdout;
    const expect = [
      /Breakpoint 1 at 0x[0-9a-f]+: file src\/gdbtest\/main\.c, line 13\./,
      /Breakpoint 1, square \(x=1\) at src\/gdbtest\/main\.c:13/,
      /\$1 = 1\n/,
      /\$2 = 1\n/,
      /0x[0-9a-f]+\t15\t/, // stepi
      /main \(\) at src\/gdbtest\/main\.c:24/, // finish
      /Value returned is \$3 = 1/,
      /Hardware assisted breakpoint 2 at 0x[0-9a-f]+: file src\/gdbtest\/main\.c, line 18\./,
      /Breakpoint 2, bump \(by=1\) at src\/gdbtest\/main\.c:18/,
      /\$4 = 1\n/,
      /Hardware watchpoint 3: counter/,
      /Old value = 0\nNew value = 1\n/,
      /\$5 = 1\n/,
      /\$6 = 0x[0-9a-f]+\n/,
      /VM status: paused \(debug\)/,
      /received: "0"/,
      /\[Inferior 1 \(Remote target\) exited normally\]/,
    ];
    let at = 0;
    for (const re of expect) {
      const m = re.exec(out.slice(at));
      assert.ok(m, `gdb output lacks ${re} after:\n${out.slice(at)}\n--- whole output:\n${out}`);
      at += m.index + m[0].length;
    }
    assert.equal(await p.exited, 0);
    assert.match(p.out, /PASS: sum of squares\r?\nPASS: counter\r?\nSUMMARY: PASS 2 tests/);
  } finally {
    p.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A raw RSP client: send packets, read replies. */
class Rsp {
  data = '';
  private wake: (() => void) | null = null;
  constructor(readonly sock: Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => { this.data += d; this.wake?.(); });
  }
  static open(port: number): Promise<Rsp> {
    return new Promise((res, rej) => {
      const s = connect(port, '127.0.0.1', () => res(new Rsp(s)));
      s.on('error', rej);
    });
  }
  raw(s: string | Uint8Array): void {
    this.sock.write(s);
  }
  /** The next reply packet's payload (acks skipped); '-' for a NAK. */
  async reply(timeoutMs = 10_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      this.data = this.data.replace(/^\++/, '');
      if (this.data.startsWith('-')) {
        this.data = this.data.slice(1);
        return '-';
      }
      const m = /^\$([^#]*)#[0-9a-f]{2}/.exec(this.data);
      if (m) {
        this.data = this.data.slice(m[0].length);
        return m[1];
      }
      if (Date.now() > end) throw new Error(`no reply; have ${JSON.stringify(this.data)}`);
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, 100); });
    }
  }
  async ask(p: string): Promise<string> {
    this.raw(framePacket(p));
    return this.reply();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('remote protocol on the machine: malformed packets, dropped clients, one debugger at a time, Ctrl-C, breakpoints, kill', async () => {
  // A guest that loops for ever: a raw firmware image of one `b .` at 0xf00000.
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-rsp-'));
  const loop = join(dir, 'loop.bin');
  writeFileSync(loop, Buffer.from([0x48, 0x00, 0x00, 0x00]));
  const { p, port } = await startTkvm([], ['-bios', loop]);
  try {
    // A client that goes away in the middle of a packet.
    const gone = await Rsp.open(port);
    gone.raw('$mf00000,');
    gone.sock.destroy();
    await sleep(300);
    const r = await Rsp.open(port);
    assert.match(await r.ask('?'), /^T0[25]thread:1;$/, 'a debugger that connects stops the guest, as QEMU');
    assert.equal(await r.ask('mf00000,4'), '48000000');
    // Malformed and impossible requests: an error reply (or "unsupported"), nothing else.
    for (const pk of ['m', 'mzz,4', 'p999', 'P1=12', 'Z9,0,0', 'Z0,f00002,4', 'Xf00000,4:', 'qRcmd,zz', 'Mf00000,2:zz',
      'qXfer:features:read:foo.xml:0,10', 'G00', 'vCont;x', 'm90000000,4', 'M90000000,1:00', 'Z0,90000000,4', 'Z2,100,99']) {
      const rep = await r.ask(pk);
      assert.ok(rep === '' || /^E[0-9a-fA-F]{2}$/.test(rep), `${pk} -> ${rep}`);
    }
    r.raw('$g#00');
    assert.equal(await r.reply(), '-', 'bad checksum: NAK');
    r.raw('line noise between packets');
    r.raw('$' + 'a'.repeat(0x10001) + '#00');
    assert.equal(await r.reply(), '-', 'oversized packet: NAK');
    assert.equal(await r.ask('mf00000,4'), '48000000', 'still answering');
    assert.equal(await r.ask('Qqemu.PhyMemMode:1'), 'OK');
    assert.equal(await r.ask('qqemu.PhyMemMode'), '1');
    assert.equal(await r.ask('mf00000,4'), '48000000');
    assert.equal(await r.ask('Qqemu.PhyMemMode:0'), 'OK');
    // One debugger at a time.
    const second = await Rsp.open(port);
    await new Promise<void>((res) => second.sock.on('close', () => res()));
    // Ctrl-C stops a running guest.
    r.raw(framePacket('c'));
    await sleep(300);
    r.raw(Uint8Array.of(3));
    assert.equal(await r.reply(), 'T02thread:1;');
    // A software breakpoint (hidden from reads), a hardware one, a step.
    assert.equal(await r.ask('Z0,f00000,4'), 'OK');
    assert.equal(await r.ask('mf00000,4'), '48000000', 'the breakpoint is hidden');
    assert.equal(await r.ask('c'), 'T05swbreak:;thread:1;');
    assert.equal(await r.ask('z0,f00000,4'), 'OK');
    assert.equal(await r.ask('Z1,f00000,4'), 'OK');
    assert.equal(await r.ask('c'), 'T05hwbreak:;thread:1;');
    assert.equal(await r.ask('z1,f00000,4'), 'OK');
    assert.equal(await r.ask('s'), 'T05thread:1;');
    assert.equal(await r.ask('p40'), '00f00000', 'pc (register 64)');
    // As QEMU's stub: before the client reads the description, g holds GDB's
    // built-in layout (r0-r31, f0-f31, pc, msr, cr, lr, ctr, xer, fpscr);
    // after, the description's numbers (f0 at 71, nothing at 32-63) and g
    // holds only the core feature.
    assert.equal((await r.ask('g')).length, 2 * (32 * 4 + 32 * 8 + 7 * 4));
    assert.match(await r.ask('qXfer:features:read:target.xml:0,3fff'), /^l<\?xml.*<reg name="f0" bitsize="64" regnum="71" type="ieee_double"\/>/);
    assert.equal(await r.ask('p40'), '00f00000', 'pc (regnum 64)');
    assert.equal(await r.ask('p20'), 'E14', 'no register 32');
    assert.match(await r.ask('p47'), /^[0-9a-f]{16}$/, 'f0 (regnum 71)');
    assert.equal((await r.ask('g')).length, 2 * 38 * 4, 'r0-r31, pc, msr, cr, lr, ctr, xer');
    assert.match(await r.ask(`qRcmd,${Buffer.from('info status').toString('hex')}`), /^[0-9a-f]+$/);
    r.raw(framePacket('k'));
    assert.equal(await p.exited, 0, 'kill ends tkvm, as QEMU');
  } finally {
    p.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
