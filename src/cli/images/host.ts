// Running host programs for the image builder: logged, with progress, and
// with failures turned into one-line errors that name the log file.

import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** A failure the user can act on: printed as one line, exit status 1. */
export class ImagesError extends Error {
  override name = 'ImagesError';
}

export function haveCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

/** Runs a short query and returns its stdout, or null when it fails. */
export function query(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  return r.status === 0 ? r.stdout : null;
}

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

const fmtTime = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

/**
 * Progress on stderr. Each step prints a line when it starts and when it
 * ends; while a logged command runs, a terminal gets a live status line (the
 * command's latest output line) and a log file or CI gets a heartbeat line
 * every 30 s.
 */
export class Progress {
  private readonly tty: boolean;
  private live = false;
  constructor(private readonly out: NodeJS.WriteStream = process.stderr, private readonly quiet = false) {
    this.tty = !!out.isTTY && !quiet;
  }

  info(line: string): void {
    if (this.quiet) return;
    this.clearLive();
    this.out.write(`tkvm images: ${line}\n`);
  }

  /** Runs `fn` as a named step and reports how long it took. */
  async step<T>(label: string, fn: () => Promise<T> | T): Promise<T> {
    this.info(`${label} ...`);
    const t0 = Date.now();
    const r = await fn();
    this.info(`${label}: done in ${fmtTime(Date.now() - t0)}`);
    return r;
  }

  /** A live status (terminal) or heartbeat (otherwise) for a long command. */
  status(label: string, t0: number, last: string, final = false): void {
    if (this.quiet) return;
    const line = `  ${fmtTime(Date.now() - t0)} ${label}: ${last}`;
    if (this.tty) {
      const width = (this.out.columns ?? 80) - 1;
      this.out.write(`\r\x1b[K${line.slice(0, width)}`);
      this.live = true;
    } else if (!final) {
      this.out.write(`${line}\n`);
    }
  }

  clearLive(): void {
    if (this.live) {
      this.out.write('\r\x1b[K');
      this.live = false;
    }
  }

  get isTTY(): boolean { return this.tty; }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Text fed to the command's standard input (e.g. answers for `make oldconfig`). */
  input?: string;
  /** What the command does, for the progress line and the error message. */
  what: string;
}

/**
 * Runs a command with its output appended to `log`; rejects with a one-line
 * ImagesError naming the log when it fails.
 */
export function runLogged(progress: Progress, log: string, cmd: string, args: string[], opts: RunOptions): Promise<void> {
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, 'a');
  return new Promise<void>((resolve, reject) => {
    const stdio: StdioOptions = [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'];
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio });
    const t0 = Date.now();
    let last = '';
    let partial = '';
    const onData = (b: Buffer): void => {
      writeSync(fd, b); // synchronous: the log is complete when 'close' fires
      const lines = (partial + b.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (let i = lines.length - 1; i >= 0; i--) {
        if (lines[i].trim() !== '') { last = lines[i].trim(); break; }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => { /* the command may exit without reading all of it */ });
      child.stdin.end(opts.input);
    }
    const timer = setInterval(() => progress.status(opts.what, t0, last), progress.isTTY ? 500 : 30_000);
    let finished = false;
    const finish = (err: Error | null): void => {
      // 'error' (the command cannot be started) may be followed by 'close'.
      if (finished) return;
      finished = true;
      clearInterval(timer);
      progress.clearLive();
      closeSync(fd);
      if (err) reject(err); else resolve();
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish(new ImagesError(`${opts.what}: cannot run '${cmd}': ${e.code === 'ENOENT' ? 'not installed' : e.message}`));
    });
    child.on('close', (code, signal) => {
      if (code === 0) finish(null);
      else finish(new ImagesError(`${opts.what} failed (${signal ? `signal ${signal}` : `exit ${code}`}); see ${log}`));
    });
  });
}
