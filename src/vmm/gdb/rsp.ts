// GDB Remote Serial Protocol framing: packets `$data#cs`, acknowledgements,
// the interrupt byte (0x03), binary escapes and run-length encoding. A
// decoder is fed raw bytes and yields events; malformed input is reported,
// never thrown.

export type RspEvent =
  | { kind: 'packet'; data: Uint8Array }
  | { kind: 'interrupt' }
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'bad'; reason: string };

const enum St { Idle, Data, Escape, Cs1, Cs2 }

export class RspDecoder {
  private st = St.Idle;
  private buf: number[] = [];
  private sum = 0;
  private cs = 0;
  /** Longest packet accepted (guards memory against a hostile client). */
  constructor(private readonly maxPacket = 0x10000) {}

  /** Feed bytes; returns the events they complete. */
  feed(bytes: Uint8Array): RspEvent[] {
    const out: RspEvent[] = [];
    for (const b of bytes) {
      switch (this.st) {
        case St.Idle:
          if (b === 0x24) { this.st = St.Data; this.buf = []; this.sum = 0; }
          else if (b === 0x03) out.push({ kind: 'interrupt' });
          else if (b === 0x2b) out.push({ kind: 'ack' });
          else if (b === 0x2d) out.push({ kind: 'nak' });
          // anything else between packets is line noise: ignored, as GDB does
          break;
        case St.Data:
          this.sum = (this.sum + b) & 0xff;
          if (b === 0x23) { this.sum = (this.sum - b) & 0xff; this.st = St.Cs1; }
          else if (b === 0x7d) this.st = St.Escape;
          else if (b === 0x24) { this.buf = []; this.sum = 0; out.push({ kind: 'bad', reason: 'packet restarted before its end' }); }
          else this.push(b, out);
          break;
        case St.Escape:
          this.sum = (this.sum + b) & 0xff;
          this.push(b ^ 0x20, out);
          this.st = St.Data;
          break;
        case St.Cs1: {
          const h = hexVal(b);
          if (h < 0) { this.st = St.Idle; out.push({ kind: 'bad', reason: 'bad checksum digit' }); break; }
          this.cs = h << 4;
          this.st = St.Cs2;
          break;
        }
        case St.Cs2: {
          const h = hexVal(b);
          this.st = St.Idle;
          if (h < 0) { out.push({ kind: 'bad', reason: 'bad checksum digit' }); break; }
          if ((this.cs | h) !== this.sum) out.push({ kind: 'bad', reason: 'checksum mismatch' });
          else out.push({ kind: 'packet', data: Uint8Array.from(this.buf) });
          break;
        }
      }
    }
    return out;
  }

  private push(b: number, out: RspEvent[]): void {
    if (this.buf.length >= this.maxPacket) {
      this.st = St.Idle;
      out.push({ kind: 'bad', reason: 'packet too long' });
      return;
    }
    this.buf.push(b);
  }
}

function hexVal(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

/** Frame a reply: `$data#cs`, escaping the protocol's special bytes. */
export function framePacket(data: string | Uint8Array): Uint8Array {
  const src = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const out: number[] = [0x24];
  let sum = 0;
  for (const b of src) {
    if (b === 0x23 || b === 0x24 || b === 0x7d || b === 0x2a) {
      out.push(0x7d, b ^ 0x20);
      sum += 0x7d + (b ^ 0x20);
    } else {
      out.push(b);
      sum += b;
    }
  }
  out.push(0x23, ...new TextEncoder().encode((sum & 0xff).toString(16).padStart(2, '0')));
  return Uint8Array.from(out);
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Parse hex digits into bytes; null if malformed. */
export function fromHex(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}
