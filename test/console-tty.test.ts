// The console on a terminal: raw mode (U-Boot gets Enter as CR and echoes),
// Ctrl-A H prints the escapes, Ctrl-A X quits with status 0. Runs tkvm under
// a pseudo-terminal made by util-linux's `script`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { requireTool, CLI } from './support/host.js';
import { requireUboot, UBOOT_ELF } from './support/uboot.js';

test('on a terminal: raw console, Ctrl-A H helps, Ctrl-A X quits with status 0', async (t) => {
  if (!requireTool(t, 'script')) return;
  if (!requireUboot(t)) return;
  const cmd = [process.execPath, CLI, 'run', '-M', 'ppce500', '-m', '256', '-nographic', '-bios', UBOOT_ELF].join(' ');
  const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('latin1');
  const seen = (s: string, from = 0) => new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no ${JSON.stringify(s)} in:\n${out}`)), 20_000);
    const check = () => { if (out.indexOf(s, from) >= 0) { clearTimeout(timer); child.stdout.off('data', check); res(); } };
    child.stdout.on('data', check);
    check();
  });
  child.stdout.on('data', (d: string) => { out += d; });
  const status = new Promise<number | null>((res) => child.on('close', res));
  await seen('Hit any key to stop autoboot');
  child.stdin.write(' ');
  await seen('=> ');
  let mark = out.length;
  child.stdin.write('version\r'); // raw mode: Enter arrives as CR
  await seen('GNU ld', mark);
  mark = out.length;
  child.stdin.write('\x01h');
  await seen('C-a x    exit emulator', mark);
  child.stdin.write('\x01x');
  await seen('QEMU: Terminated');
  assert.equal(await status, 0);
});
