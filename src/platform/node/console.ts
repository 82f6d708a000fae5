// The host console: stdin/stdout of the tkvm process. On a TTY, raw mode
// with QEMU's Ctrl-A escapes (x quits, h helps, Ctrl-A sends Ctrl-A, b
// sends a break); otherwise plain bytes, so scripts can drive the guest.

export interface ConsoleSink {
  /** Offer input bytes; returns how many were taken (the rest is offered again later). */
  input(bytes: Uint8Array): number;
  /** A break condition (Ctrl-A b). */
  sendBreak?(): void;
}

export interface ConsoleHandlers {
  quit(): void;
  /** Ctrl-A C: move input to the next device; returns its name (absent: one device only). */
  switchInput?(): string;
}

const CTRL_A = 0x01;

export class NodeConsole {
  private out: number[] = [];
  private flushScheduled = false;
  private queue: number[] = [];
  private escape = false;
  private sink: ConsoleSink | null = null;
  private readonly tty: boolean;
  private started = false;

  constructor(private readonly handlers: ConsoleHandlers) {
    this.tty = !!process.stdin.isTTY;
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

  attach(sink: ConsoleSink): void {
    this.sink = sink;
    if (this.started) return;
    this.started = true;
    if (this.tty) process.stdin.setRawMode(true);
    process.stdin.on('data', (chunk: Buffer) => this.onData(chunk));
    process.stdin.on('error', () => {});
    process.stdin.resume();
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
      if (!this.tty) {
        this.queue.push(b);
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
            process.stdout.write('\r\nC-a h    print this help\r\nC-a x    exit emulator\r\n' +
              'C-a b    send break\r\n' +
              (this.handlers.switchInput ? 'C-a c    switch input between the serial port and the virtio console\r\n' : '') +
              'C-a C-a  sends C-a\r\n');
            continue;
          case 0x62: // b
            this.sink?.sendBreak?.();
            continue;
          case 0x63: case 0x43: // c
            if (this.handlers.switchInput) process.stdout.write(`\r\n[tkvm: input goes to ${this.handlers.switchInput()}]\r\n`);
            continue;
          case CTRL_A:
            this.queue.push(CTRL_A);
            continue;
          default:
            continue;
        }
      }
      if (b === CTRL_A) {
        this.escape = true;
        continue;
      }
      this.queue.push(b);
    }
    this.pump();
  }

  close(): void {
    this.flush();
    if (this.started) {
      if (this.tty) process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stdin.destroy();
    }
  }
}
