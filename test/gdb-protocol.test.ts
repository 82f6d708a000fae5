// GDB remote protocol framing and the stub's command handling, with a fake
// target. Malformed input must get error replies, never exceptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RspDecoder, framePacket } from '../src/vmm/gdb/rsp.js';
import { GdbStub, type GdbTarget, type GdbRegister, type BreakKind } from '../src/vmm/gdb/stub.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder('latin1').decode(b);

test('framing: checksums, escapes, acks, interrupt, noise', () => {
  assert.equal(dec(framePacket('OK')), '$OK#9a');
  const d = new RspDecoder();
  assert.deepEqual(d.feed(enc('+$g#67')), [{ kind: 'ack' }, { kind: 'packet', data: enc('g') }]);
  assert.deepEqual(d.feed(enc('$g#00')), [{ kind: 'bad', reason: 'checksum mismatch' }]);
  assert.deepEqual(d.feed(Uint8Array.of(3)), [{ kind: 'interrupt' }]);
  assert.deepEqual(d.feed(enc('garbage')), []);
  // An escaped '#' inside binary data.
  const framed = framePacket(Uint8Array.of(0x58, 0x23, 0x7d, 0x2a));
  const ev = d.feed(framed);
  assert.equal(ev.length, 1);
  assert.deepEqual(ev[0], { kind: 'packet', data: Uint8Array.of(0x58, 0x23, 0x7d, 0x2a) });
  // A packet split across reads, and a client that stops mid-packet.
  assert.deepEqual(d.feed(enc('$m0,4')), []);
  assert.deepEqual(d.feed(enc('#fd')), [{ kind: 'packet', data: enc('m0,4') }]);
  assert.deepEqual(d.feed(enc('$m0,')), []);
  const fresh = new RspDecoder(16);
  assert.equal(fresh.feed(enc('$' + 'x'.repeat(100) + '#00'))[0].kind, 'bad', 'too long');
});

class FakeTarget implements GdbTarget {
  registers: GdbRegister[] = [
    ...Array.from({ length: 32 }, (_, i) => ({ name: `r${i}`, regnum: i, bits: 32 as const, feature: 'core' as const })),
    { name: 'pc', regnum: 64, bits: 32, feature: 'core' },
    { name: 'f0', regnum: 71, bits: 64, feature: 'fpu' },
  ];
  regs = new Map<number, bigint>();
  mem = new Uint8Array(256);
  bps: string[] = [];
  resumed: boolean[] = [];
  interrupted = 0;
  readRegister(n: number) { return this.regs.get(n) ?? BigInt(n); }
  writeRegister(n: number, v: bigint) { this.regs.set(n, v); return true; }
  readMemory(a: number, l: number) { return a + l <= 256 ? this.mem.slice(a, a + l) : null; }
  writeMemory(a: number, d: Uint8Array) { if (a + d.length > 256) return false; this.mem.set(d, a); return true; }
  setBreakpoint(k: BreakKind, a: number, l: number, ins: boolean) { this.bps.push(`${ins ? '+' : '-'}${k}@${a}/${l}`); return true; }
  resume(step: boolean) { this.resumed.push(step); }
  interrupt() { this.interrupted++; }
  detach() {}
  kill() {}
  monitor?: (cmd: string) => string | Promise<string>;
}

function session() {
  const t = new FakeTarget();
  const out: string[] = [];
  const stub = new GdbStub(t, (b) => out.push(dec(b)));
  const ask = (p: string) => {
    out.length = 0;
    stub.receive(framePacket(p));
    const replies = out.filter((s) => s.startsWith('$'));
    return replies.length ? replies[replies.length - 1].replace(/^\$/, '').replace(/#..$/, '') : null;
  };
  return { t, stub, ask, out };
}

test('registers, memory and breakpoints', () => {
  const { t, ask } = session();
  assert.match(ask('qSupported:multiprocess+')!, /qXfer:features:read\+/);
  // Before the description is read: GDB's built-in numbering (f0 at 32, pc
  // at 64), and g holds r0-r31, the FPRs, pc..., as QEMU's g does then.
  assert.equal(ask('p20'), '0000000000000047', 'f0 (regnum 71) as register 32');
  assert.equal(ask('p40'), '00000040', 'pc');
  assert.equal(ask('g'), Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(8, '0')).join('') + '0000000000000047' + '00000040');
  assert.match(ask('qXfer:features:read:target.xml:0,1000')!,
    /^l<\?xml.*org\.gnu\.gdb\.power\.core.*<reg name="pc" bitsize="32" regnum="64"\/>.*<reg name="f0" bitsize="64" regnum="71"\/>.*<\/target>$/);
  // From now on the description's numbers: nothing at 32, f0 at 71 (0x47).
  assert.equal(ask('p20'), 'E14');
  assert.equal(ask('p47'), '0000000000000047');
  assert.equal(ask('p40'), '00000040');
  assert.equal(ask('P40=00100000'), 'OK');
  assert.equal(t.regs.get(64), 0x100000n);
  assert.equal(ask('P47=0000000000000001'), 'OK');
  assert.equal(t.regs.get(71), 1n);
  assert.equal(ask('P20=0000000000000001'), 'E01', 'no register 32');
  assert.equal(ask('p99'), 'E14');
  assert.equal(ask('M10,3:aabbcc'), 'OK');
  assert.equal(ask('m10,3'), 'aabbcc');
  assert.equal(ask('m1000,4'), 'E14');
  assert.equal(ask('Z0,100,4'), 'OK');
  assert.equal(ask('z2,40,4'), 'OK');
  assert.deepEqual(t.bps, ['+sw@256/4', '-watch-write@64/4']);
  // g: the core feature only (r0-r31, pc), as QEMU's once GDB has read the description.
  assert.equal(ask('g'), Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(8, '0')).join('') + '00100000');
  assert.equal(ask('G' + '00000001'.repeat(33)), 'OK');
  assert.equal(t.regs.get(64), 1n);
  assert.equal(t.regs.get(71), 1n, 'G leaves the FPU alone');
});

test('malformed packets get error replies and the stub keeps working', () => {
  const { ask } = session();
  for (const p of ['m', 'mzz,1', 'M10,2:abc', 'M10,2:abcdef', 'P1=', 'Z9,0,0', 'Zq', 'G12', 'qXfer:features:read:x', 'X10,4:']) {
    const r = ask(p);
    assert.ok(r === '' || /^E[0-9a-f]{2}$/.test(r!), `${p} -> ${r}`);
  }
  assert.equal(ask('unknownpacket'), '');
  assert.equal(ask('p0'), '00000000');
});

test('resume, stop replies and Ctrl-C', () => {
  const { t, stub, ask, out } = session();
  assert.equal(ask('vCont?'), 'vCont;c;C;s;S');
  assert.equal(ask('s'), null);
  assert.deepEqual(t.resumed, [true]);
  assert.ok(stub.isRunning);
  out.length = 0;
  stub.receive(Uint8Array.of(3));
  assert.equal(t.interrupted, 1);
  stub.stopped({ kind: 'signal', signal: 2 });
  assert.ok(out.some((s) => s.startsWith('$T02')));
  ask('c');
  stub.stopped({ kind: 'watch', addr: 0x40 });
  assert.ok(out.some((s) => /\$T05watch:40;/.test(s)));
  assert.equal(ask('?'), 'T05watch:40;thread:1;');
});

test('physical memory mode (QEMU\'s Qqemu.PhyMemMode), exit reports, a monitor that answers later, a failing target', async () => {
  const { t, stub, ask, out } = session();
  assert.equal(ask('qqemu.PhyMemMode'), '', 'a target without the mode: unsupported');
  const phys = Object.assign(t, { physicalMemory: false });
  assert.equal(ask('Qqemu.PhyMemMode:1'), 'OK');
  assert.equal(phys.physicalMemory, true);
  assert.equal(ask('qqemu.PhyMemMode'), '1');
  assert.equal(ask('Qqemu.PhyMemMode:0'), 'OK');
  // The monitor answers asynchronously.
  let release!: (s: string) => void;
  t.monitor = () => new Promise<string>((res) => { release = res; });
  out.length = 0;
  stub.receive(framePacket(`qRcmd,${Buffer.from('stop').toString('hex')}`));
  assert.ok(!out.some((s) => s.startsWith('$')), 'no reply yet');
  release('done\n');
  await new Promise((r) => setImmediate(r));
  assert.ok(out.some((s) => s.startsWith(`$${Buffer.from('done\n').toString('hex')}#`)));
  // A target that throws: an error reply, not a dead connection.
  t.readRegister = () => { throw new Error('boom'); };
  assert.equal(ask('p1'), 'E0F');
  // The guest is gone: W00, once; later stops are not reported.
  ask('c');
  out.length = 0;
  stub.exited(0);
  stub.exited(0);
  stub.stopped({ kind: 'signal', signal: 5 });
  assert.deepEqual(out.filter((s) => s.startsWith('$')), ['$W00#b7']);
});
