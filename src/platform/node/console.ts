// The host console: stdin/stdout of the tkvm process, shared by the guest's
// serial port and the monitor as QEMU's mux does. On a TTY (or with
// `-serial mon:stdio`) QEMU's Ctrl-A escapes work: x quits, h helps, c
// switches between the serial console and the monitor, b sends a break,
// Ctrl-A Ctrl-A sends Ctrl-A. Otherwise stdin is plain bytes, so scripts can
// drive the guest (or, with `-monitor stdio`, the monitor, a line at a time).

export interface ConsoleSink {
  /** Offer input bytes; returns how many were taken (the rest is offered again later). */
  input(bytes: Uint8Array): number;
  /** A break condition (Ctrl-A b). */
  sendBreak?(): void;
}

/** The monitor the console can switch to. */
export interface ConsoleMonitor {
  banner: string;
  prompt: string;
  execute(line: string): Promise<string>;
  /** False once the machine is gone (after `quit`): no more prompts. */
  active?(): boolean;
}

export interface ConsoleHandlers {
  quit(): void;
  /** Ctrl-A C: move input to the next device; returns its name (absent: one device only). */
  switchInput?(): string;
}

export interface ConsoleOptions {
  /** The monitor reachable from this console (`-monitor stdio`, `-serial mon:stdio`, or the -nographic default). */
  monitor?: ConsoleMonitor;
  /** Ctrl-A escapes even when stdin is not a terminal (`-serial mon:stdio`). */
  escapes?: boolean;
  /** stdin belongs to the monitor only (`-monitor stdio`): the guest gets no input. */
  monitorOnly?: boolean;
}

const CTRL_A = 0x01;

export class NodeConsole {
  private out: number[] = [];
  private flushScheduled = false;
  private queue: number[] = [];
  private escape = false;
  private sink: ConsoleSink | null = null;
  private readonly tty: boolean;
  private readonly escapes: boolean;
  private started = false;
  /** Where keyboard input goes. */
  private focus: 'serial' | 'monitor';
  private line = '';
  private lineCr = false;
  private commands: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly handlers: ConsoleHandlers, private readonly opts: ConsoleOptions = {}) {
    this.tty = !!process.stdin.isTTY;
    this.escapes = this.tty || !!opts.escapes;
    this.focus = opts.monitorOnly ? 'monitor' : 'serial';
  }

  /** Guest output, batched into few writes. */
  readonly write = (byte: number): void => {
    this.out.push(byte);
    if (this.out.length >= 4096) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  };

  flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0) return;
    process.stdout.write(Uint8Array.from(this.out));
    this.out = [];
  }

  /** Text for the terminal (monitor output): newlines as CR LF on a raw terminal. */
  private print(s: string): void {
    this.flush();
    process.stdout.write(this.tty ? s.replace(/\r?\n/g, '\r\n') : s);
  }

  attach(sink: ConsoleSink): void {
    this.sink = sink;
    if (this.started) return;
    this.started = true;
    if (this.tty) process.stdin.setRawMode(true);
    process.stdin.on('data', (chunk: Buffer) => this.onData(chunk));
    process.stdin.on('error', () => {});
    process.stdin.resume();
    if (this.focus === 'monitor') this.print(this.opts.monitor!.banner + this.opts.monitor!.prompt);
  }

  /** Offer queued input to the guest again (call after the guest ran). */
  pump(): void {
    if (this.queue.length === 0 || this.sink === null) return;
    // A UART takes at most its FIFO's 16 bytes: offer no more than that, so a
    // long paste is not copied whole at every offer (the machine offers
    // after each exit while the UART has room).
    const n = this.sink.input(Uint8Array.from(this.queue.length > 16 ? this.queue.slice(0, 16) : this.queue));
    if (n > 0) this.queue.splice(0, n);
  }

  private onData(chunk: Buffer): void {
    for (const b of chunk) {
      if (!this.escapes) {
        this.take(b);
        continue;
      }
      if (this.escape) {
        this.escape = false;
        switch (b) {
          case 0x78: case 0x58: // x
            this.flush();
            process.stdout.write('\r\nQEMU: Terminated\r\n');
            this.handlers.quit();
            continue;
          case 0x68: case 0x48: // h
            this.print('\nC-a h    print this help\nC-a x    exit emulator\n' +
              (this.cycles() ? `C-a c    switch between ${this.stops()}\n` : '') +
              'C-a b    send break\nC-a C-a  sends C-a\n');
            continue;
          case 0x63: case 0x43: // c
            this.switchFocus();
            continue;
          case 0x62: // b
            this.sink?.sendBreak?.();
            continue;
          case CTRL_A:
            this.take(CTRL_A);
            continue;
          default:
            continue;
        }
      }
      if (b === CTRL_A) {
        this.escape = true;
        continue;
      }
      this.take(b);
    }
    this.pump();
  }

  /** Ctrl-A c cycles: the guest's input device, its other one (the virtio console), the monitor. */
  private switched = false;

  private cycles(): boolean {
    return this.handlers.switchInput !== undefined || (this.opts.monitor !== undefined && !this.opts.monitorOnly);
  }

  private stops(): string {
    const s = [this.handlers.switchInput ? 'the serial port, the virtio console' : 'the console'];
    if (this.opts.monitor && !this.opts.monitorOnly) s.push('the monitor');
    return s.join(' and ');
  }

  private switchFocus(): void {
    const sw = this.handlers.switchInput;
    const mon = this.opts.monitorOnly ? undefined : this.opts.monitor;
    const say = (name: string) => this.print(`\n[tkvm: input goes to ${name}]\n`);
    if (this.focus === 'monitor') {
      this.focus = 'serial';
      if (this.switched && sw) say(sw());
      this.switched = false;
      return;
    }
    if (sw && !this.switched) {
      this.switched = true;
      say(sw());
    } else if (mon) {
      this.focus = 'monitor';
      this.print('\n' + mon.banner + mon.prompt + this.line);
    } else if (sw) {
      this.switched = false;
      say(sw());
    }
  }

  /** One input byte for whoever has the focus. */
  private take(b: number): void {
    if (this.focus === 'serial') {
      this.queue.push(b);
      return;
    }
    // The monitor's line editor.
    if (b === 0x0d || b === 0x0a) {
      if (b === 0x0a && this.lineCr) {
        this.lineCr = false;
        return; // CR LF is one end of line
      }
      this.lineCr = b === 0x0d;
      const line = this.line;
      this.line = '';
      if (this.tty) this.print('\n');
      this.run(line);
      return;
    }
    this.lineCr = false;
    if (b === 0x7f || b === 0x08) {
      if (this.line.length > 0) {
        this.line = this.line.slice(0, -1);
        if (this.tty) process.stdout.write('\b \b');
      }
      return;
    }
    if (b === 0x03 && this.tty) { // Ctrl-C drops the line, as readline does
      this.line = '';
      this.print('\n' + this.opts.monitor!.prompt);
      return;
    }
    if (b < 0x20 && b !== 0x09) return;
    if (this.line.length >= 4096) return;
    this.line += String.fromCharCode(b);
    if (this.tty) process.stdout.write(String.fromCharCode(b));
  }

  private run(line: string): void {
    const mon = this.opts.monitor!;
    this.commands = this.commands.then(async () => {
      const out = await mon.execute(line);
      if (this.closed) return;
      this.print(out + (mon.active?.() === false ? '' : mon.prompt));
    }).catch(() => {});
  }

  close(): void {
    this.flush();
    this.closed = true;
    if (this.started) {
      if (this.tty) process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stdin.destroy();
    }
  }
}
