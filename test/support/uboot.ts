// Drive U-Boot over a machine's serial console on stdin/stdout (tkvm or
// QEMU, the same way): wait for the prompt, type one command, wait for the
// prompt again, and so on. Returns the whole console transcript.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI } from './host.js';
import { qemuCommand } from '../../src/platform/node/qemu.js';

export const UBOOT_DIR = '/usr/lib/u-boot/qemu-ppce500';
export const UBOOT_ELF = `${UBOOT_DIR}/uboot.elf`;
export const UBOOT_BIN = `${UBOOT_DIR}/u-boot.bin`;
export const PROMPT = '=> ';

export function haveUboot(): boolean {
  return existsSync(UBOOT_ELF) && existsSync(UBOOT_BIN);
}

/** Like requireTool for Debian's U-Boot images: skip loudly when the package is missing. */
export function requireUboot(t: { skip: (msg: string) => void }): boolean {
  if (haveUboot()) return true;
  const msg = `!!! U-BOOT (package u-boot-qemu, ${UBOOT_DIR}) IS NOT INSTALLED: this test did NOT run (see .ci/apt-packages) !!!`;
  process.stderr.write(`\n${msg}\n`);
  t.skip(msg);
  return false;
}

export interface Session {
  transcript: string;
  status: number | null;
  stderr: string;
  /** Milliseconds from spawn to the first prompt. */
  promptMs: number;
}

export interface DriveOptions {
  /** Commands typed one per prompt; after the last one the machine must exit by itself (poweroff, reset with -no-reboot). */
  commands: string[];
  timeoutMs?: number;
  /** Output that counts as "the prompt is back" (default: '=> ' at the end of the output). */
  prompt?: string;
  /** Press a key at "Hit any key to stop autoboot" (saves the one-second countdown). */
  stopAutoboot?: boolean;
}

export function tkvmCommand(args: string[]): [string, string[]] {
  return [process.execPath, [CLI, 'run', ...args]];
}

export { qemuCommand };

/** The common machine flags (QEMU's spelling, accepted by both). */
export function machineArgs(extra: string[] = []): string[] {
  return ['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-monitor', 'none', '-serial', 'stdio', ...extra];
}

export function drive(cmd: [string, string[]], o: DriveOptions): Promise<Session> {
  const prompt = o.prompt ?? PROMPT;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd[0], cmd[1], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let next = 0;
    let seen = 0; // output length at which the prompt was last answered
    let promptMs = -1;
    // Typing: a few characters at a time, each group after the echo of the
    // one before, as a person types. (QEMU's console dropped characters once
    // when whole lines arrived at once on a busy machine; groups of 8 never
    // fill a 16550's 16-byte FIFO.)
    let stoppedAt = 0;
    let typing = '';
    let echoUntil = 0;
    const typeNext = () => {
      const chunk = typing.slice(0, 8);
      typing = typing.slice(8);
      echoUntil = out.length + chunk.length;
      child.stdin.write(chunk);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${o.timeoutMs ?? 30000} ms; transcript so far:\n${out}\n--- stderr:\n${err}`));
    }, o.timeoutMs ?? 30000);
    child.stdout.setEncoding('latin1');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (typing !== '') {
        if (out.length >= echoUntil) typeNext(); // the last group was echoed
        return;
      }
      if (o.stopAutoboot && out.indexOf('Hit any key to stop autoboot', stoppedAt) >= 0) {
        stoppedAt = out.indexOf('Hit any key to stop autoboot', stoppedAt) + 1; // again after each reset
        child.stdin.write(' ');
      }
      if (out.length > seen && out.endsWith(prompt)) {
        if (promptMs < 0) promptMs = performance.now() - t0;
        seen = out.length;
        if (next < o.commands.length) {
          typing = o.commands[next++] + '\n';
          typeNext();
        }
      }
    });
    child.stderr.on('data', (d: string) => { err += d; });
    child.stdin.on('error', () => {});
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ transcript: out.replace(/\r\n/g, '\n'), status, stderr: err, promptMs });
    });
  });
}
