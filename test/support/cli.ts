// A tkvm process driven over its stdin/stdout (the monitor on stdio, or the
// serial console with Ctrl-A escapes), for the monitor and debugger tests.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { CLI } from './host.js';

export class Proc {
  readonly child: ChildProcessWithoutNullStreams;
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(args: string[], cmd: string = process.execPath, pre: string[] = [CLI]) {
    this.child = spawn(cmd, [...pre, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('latin1');
    this.child.stderr.setEncoding('latin1');
    this.child.stdout.on('data', (d: string) => { this.out += d; this.poke(); });
    this.child.stderr.on('data', (d: string) => { this.err += d; this.poke(); });
    this.exited = new Promise((res) => this.child.on('close', (code) => { this.poke(); res(code); }));
  }

  private poke(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Wait until stdout (from offset `from`) contains `s`; returns the offset just after it. */
  async waitFor(s: string | RegExp, from = 0, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hay = this.out.slice(from);
      const at = typeof s === 'string' ? hay.indexOf(s) : hay.search(s);
      if (at >= 0) {
        const len = typeof s === 'string' ? s.length : (hay.match(s)?.[0].length ?? 0);
        return from + at + len;
      }
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${String(s)} in output:\n${this.out.slice(from)}\nstderr:\n${this.err}`);
      }
      await new Promise<void>((res) => {
        const t = setTimeout(res, 200);
        this.waiters.push(() => { clearTimeout(t); res(); });
      });
    }
  }

  write(s: string): void {
    this.child.stdin.write(s);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** A monitor on stdio: send a line, get its output (up to the next prompt). */
export class MonitorProc extends Proc {
  private mark = 0;

  async ready(): Promise<void> {
    this.mark = await this.waitFor('(qemu) ');
  }

  async cmd(line: string): Promise<string> {
    const from = this.mark;
    this.write(line + '\n');
    const end = await this.waitFor('(qemu) ', from);
    this.mark = end;
    return this.out.slice(from, end - '(qemu) '.length);
  }
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Wait until something accepts connections on 127.0.0.1:port (a debugger stub starting up). */
export async function waitListening(port: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); res(true); });
      s.on('error', () => res(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
