// Drives a QEMU (or tkvm) guest through its serial console (stdin/stdout), like a
// person at the terminal: wait for text, type, wait for the exit status.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { qemuCommand } from '../../src/platform/node/qemu.js';

export class ConsoleProcess {
  readonly started = Date.now();
  private readonly proc: ChildProcessWithoutNullStreams;
  private text = '';
  private scanned = 0;
  private waiters: (() => void)[] = [];
  readonly exit: Promise<number | null>;

  constructor([cmd, args]: [string, string[]]) {
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const onData = (b: Buffer): void => {
      this.text += b.toString('latin1').replace(/\r/g, '');
      for (const w of this.waiters.splice(0)) w();
    };
    this.proc.stdout.on('data', onData);
    this.proc.stderr.on('data', onData);
    this.exit = new Promise((resolve) => this.proc.on('close', (code) => {
      for (const w of this.waiters.splice(0)) w();
      resolve(code);
    }));
  }

  /** Everything the guest printed so far (carriage returns removed). */
  get output(): string { return this.text; }

  /**
   * Waits for `re` in the output after the previous match; returns the match
   * and the milliseconds since QEMU was started.
   */
  async expect(re: RegExp, timeoutMs: number): Promise<{ match: RegExpExecArray; ms: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.scanned);
      const m = re.exec(rest);
      if (m) {
        this.scanned += m.index + m[0].length;
        return { match: m, ms: Date.now() - this.started };
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.proc.exitCode !== null) {
        throw new Error(`guest did not print ${re} within ${timeoutMs} ms; last output:\n${this.text.slice(-1500)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  send(s: string): void { this.proc.stdin.write(s); }

  /** The process id (for reading its CPU time from /proc). */
  get pid(): number | undefined { return this.proc.pid; }

  /** Waits for QEMU to exit, killing it after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<number | null> {
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }

  kill(): void { if (this.proc.exitCode === null) this.proc.kill('SIGKILL'); }
}

/** QEMU's machine driven through its console (see src/platform/node/qemu.ts for its flags). */
export class QemuConsole extends ConsoleProcess {
  constructor(args: string[]) {
    super(qemuCommand(args));
  }
}
