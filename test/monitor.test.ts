// The monitor: QEMU's HMP commands on stdio (and behind Ctrl-A c on the
// serial console), `info tlb` in both TLB modes, x/xp formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hmp } from '../src/vmm/monitor/hmp.js';
import { ROOT } from './support/host.js';
import { MonitorProc, Proc } from './support/cli.js';
import { makeSession } from './support/session.js';
import { requireUboot, UBOOT_ELF } from './support/uboot.js';

const GDBTEST = join(ROOT, 'guests/bin/gdbtest.elf');

test('monitor on stdio: status, registers, x/xp, errors, stop/cont, savevm/loadvm, system_reset, quit', async (t) => {
  if (!requireUboot(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-monitor-'));
  const p = new MonitorProc(['run', '-M', 'ppce500', '-m', '256', '-serial', 'none', '-monitor', 'stdio', '-S', '-bios', UBOOT_ELF]);
  try {
    await p.ready();
    assert.match(p.out, /^tkvm \S+ monitor - type 'help' for more information\n/);
    assert.equal(await p.cmd('info status'), 'VM status: paused (prelaunch)\n');
    const elf = readFileSync(UBOOT_ELF);
    const entry = elf.readUInt32BE(24).toString(16).padStart(8, '0');
    const regs = await p.cmd('info registers');
    assert.match(regs, new RegExp(`^\nCPU#0\nNIP ${entry} {3}LR 00000000 CTR 00000000 XER 00000000 CPU#0\n`));
    assert.match(regs, /\nTB 00000000 \d{8} DECR 0\n/);
    assert.match(regs, /\nGPR00 0{16} 0000000000fffff8 /);
    assert.match(regs, /\nCR 00000000 {2}\[ - {2}- {2}- {2}- {2}- {2}- {2}- {2}- {2}\] {13}RES ffffffff\n/);
    assert.match(regs, /\n SRR0 00000000 {2}SRR1 00000000 {4}PVR 80230020 VRSAVE 00000000\n/);
    assert.match(regs, /\nMMUCFG \S{8} TLB0CFG 04110200 TLB1CFG 401cc040\n$/);
    // The first instructions of U-Boot, read three ways.
    const xp = await p.cmd(`xp/4x 0x${entry}`);
    assert.match(xp, new RegExp(`^00000000${entry}: 0x[0-9a-f]{8} 0x[0-9a-f]{8} 0x[0-9a-f]{8} 0x[0-9a-f]{8}\n$`));
    const words = xp.trim().split(' ').slice(1);
    assert.equal(await p.cmd('x/4x $pc'), `${entry}: ${words.join(' ')}\n`, 'virtual = physical here');
    const dis = await p.cmd('x/2i $pc');
    assert.match(dis, new RegExp(`^0x${entry}: {2}[0-9a-f]{8} {2}\\S+.*\n0x[0-9a-f]{8}: {2}[0-9a-f]{8} {2}\\S+`));
    assert.equal(dis.split('\n')[0].slice(13, 21), words[0].slice(2));
    assert.match(await p.cmd('x/2xb $pc'), /^[0-9a-f]{8}: 0x[0-9a-f]{2} 0x[0-9a-f]{2}\n$/);
    assert.match(await p.cmd('x/2 $pc'), /^[0-9a-f]{8}: 0x[0-9a-f]{2} 0x[0-9a-f]{2}\n$/, 'format and size are remembered');
    assert.match(await p.cmd('x/1dw $pc'), /^[0-9a-f]{8}: +-?\d+\n$/);
    assert.match(await p.cmd('x/2c $pc'), /^[0-9a-f]{8}:( '(\\x[0-9a-f]{2}|.|\\[nr'\\])'){8}\n$/);
    // Bad input: one line, nothing else happens.
    assert.equal(await p.cmd('frobnicate'), "unknown command: 'frobnicate'\n");
    assert.equal(await p.cmd('info frob'), "unknown command: 'info frob'\n");
    assert.equal(await p.cmd('x/4s 0'), 'invalid char in format: \'s\'\nTry "help x" for more information\n');
    assert.equal(await p.cmd('x'), 'unexpected end of expression\nTry "help x" for more information\n');
    assert.equal(await p.cmd('x/2x 0xf0000000'), 'f0000000: Cannot access memory\n');
    assert.equal(await p.cmd('xp/2x 0x90000000'), '0000000090000000: Cannot access memory\n');
    assert.equal(await p.cmd('xp/2x 0xfe0004500'), '0000000fe0004500: Cannot access memory\n', 'device registers are not read');
    assert.match(await p.cmd('x/2x $frob'), /unknown register/);
    assert.match(await p.cmd('loadvm'), /^Error: loadvm needs a file name/);
    assert.match(await p.cmd(`loadvm ${join(dir, 'none')}`), /^Error: cannot read snapshot .*no such file\n$/);
    assert.match(await p.cmd('help'), /^help\|\? \[cmd\] -- show the help\n(.*\n)*savevm \[-i\] file -- /);
    const mtree = await p.cmd('info mtree');
    assert.match(mtree, /\n {4}0000000000000000-000000000fffffff \(prio 0, ram\): ram\n/);
    assert.match(mtree, /\n {6}0000000fe0004500-0000000fe00045ff \(prio 0, i\/o\): serial@4500\n/);
    // Run, stop, save, go on, restore.
    assert.equal(await p.cmd('cont'), '');
    assert.equal(await p.cmd('info status'), 'VM status: running\n');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await p.cmd('stop'), '');
    assert.equal(await p.cmd('info status'), 'VM status: paused\n');
    const pc = /NIP (\w+)/.exec(await p.cmd('info registers'))![1];
    const snap = join(dir, 'uboot.snap');
    assert.match(await p.cmd(`savevm ${snap}`), /^snapshot saved to .*uboot\.snap: \d+ bytes, \d+ pages stored/);
    assert.match(await p.cmd(`savevm -i ${snap}.1`), /^incremental snapshot saved/);
    const tlb = await p.cmd('info tlb');
    assert.match(tlb, /\nTLB1:\nEffective {10}Physical {11}Size TID {3}TS SRWX URWX WIMGE U0123\n0x00000000e0000000 0x0000000fe0000000 {3}1M/);
    await p.cmd('cont');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await p.cmd(`loadvm ${snap}.1`), '');
    assert.equal(await p.cmd('info status'), 'VM status: running\n', 'loadvm keeps the run state');
    await p.cmd('stop');
    await p.cmd(`loadvm ${snap}`);
    assert.equal(/NIP (\w+)/.exec(await p.cmd('info registers'))![1], pc, 'back where it was saved');
    assert.equal(await p.cmd('info tlb'), tlb);
    assert.equal(await p.cmd('system_reset'), '');
    assert.match(await p.cmd('info registers'), new RegExp(`^\nCPU#0\nNIP ${entry} `));
    p.write('quit\n');
    assert.equal(await p.exited, 0);
  } finally {
    p.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-A c switches the serial console to the monitor and back (-serial mon:stdio)', async (t) => {
  if (!requireUboot(t)) return;
  const p = new Proc(['run', '-M', 'ppce500', '-m', '256', '-nographic', '-serial', 'mon:stdio', '-bios', UBOOT_ELF]);
  try {
    let at = await p.waitFor('Hit any key to stop autoboot');
    p.write(' ');
    at = await p.waitFor('=> ', at);
    p.write('\x01c');
    at = await p.waitFor('(qemu) ', at);
    p.write('info status\n');
    at = await p.waitFor('VM status: running\n(qemu) ', at);
    p.write('\x01c');
    p.write('echo hello-from-serial\n');
    at = await p.waitFor('echo hello-from-serial', at); // U-Boot's echo of the command...
    at = await p.waitFor('hello-from-serial', at); // ...and its output
    p.write('\x01h');
    await p.waitFor('C-a c    switch between the console and the monitor', at);
    p.write('\x01x');
    assert.equal(await p.exited, 0);
  } finally {
    p.kill();
  }
});

test('info tlb shows the guest TLB in both TLB modes, synchronizing through the API', async () => {
  // The same guest, stopped at the same instruction counts: the lazily
  // synchronized TLB must print what the always-synchronized one (which is
  // the vCPU's TLB itself) prints, TLB0 entries included.
  for (const elf of ['tlbops.elf', 'tlbmiss.elf', 'mmu.elf']) {
    const sync = makeSession({ elf, icount: 0 });
    const lazy = makeSession({ elf, icount: 0, lazyTlb: true });
    const hs = new Hmp(sync.session), hl = new Hmp(lazy.session);
    let tlb0 = 0;
    for (let n = 20_000; ; n += 20_000) {
      const a = await sync.runTo(n), b = await lazy.runTo(n);
      assert.equal(a, b);
      if (a === 'ended') break;
      const ts = await hs.execute('info tlb'), tl = await hl.execute('info tlb');
      assert.equal(tl, ts, `${elf} at ${n}`);
      if (/TLB0:\n.*\n0x/.test(ts)) tlb0++;
    }
    assert.ok(tlb0 > 0 || elf === 'mmu.elf', `${elf}: some stops had TLB0 entries`);
  }
});

test('x/i, xp and x through the MMU agree; software breakpoints stay hidden', async () => {
  const s = makeSession({ elf: 'gdbtest.elf', icount: 0 });
  await s.runTo(2000);
  const h = new Hmp(s.session);
  const m = s.session.machine;
  const pc = m.vcpu.getRegs().pc;
  const before = await h.execute(`xp/4x ${pc}`);
  assert.ok(m.insertSwBreakpoint(pc));
  assert.equal(await h.execute(`xp/4x ${pc}`), before);
  assert.equal((await h.execute('x/4x $pc')).slice(8), before.slice(16));
  assert.match(await h.execute('x/1i $pc'), new RegExp(`^0x${pc.toString(16).padStart(8, '0')}:  ${before.slice(20, 28)}  `));
  void GDBTEST;
});

test('a paused guest does not see the time it was paused (QEMU stops the clock)', async () => {
  const s = makeSession({ elf: 'replay.elf' }); // host time
  await s.runTo(100_000);
  const m = s.session.machine;
  const tb = (v = m.vcpu) => Number(v.getSregs().e.tb) / 400e6;
  const t0 = tb();
  const mpic0 = m.clockNs();
  await new Promise((r) => setTimeout(r, 600));
  await s.runTo(200_000);
  const dt = tb() - t0;
  assert.ok(dt < 0.3, `the time base moved ${dt} s over a 0.6 s pause`);
  assert.ok((m.clockNs() - mpic0) / 1e9 < 0.3, 'the MPIC timers did not see the pause either');
  s.session.quit();
});
