// A DS1338-compatible I2C real-time clock (the Pericom PT7C4338 of QEMU's
// ppce500 tree, at address 0x68): 64 byte-registers, the first seven the
// clock in BCD (seconds, minutes, hours, day of week 1-7, date, month, year
// within the century), then control, then battery-backed RAM. A write
// transfer sets the register pointer with its first byte and stores the
// following ones; reads start at the pointer; the pointer wraps at 64.
//
// The clock is modelled as the chip keeps it: the seven registers as last
// written (or as set from the host's UTC clock at power-on), and the host
// time at which they were valid; reading advances them by the whole seconds
// elapsed since. So a guest may write the registers one at a time, in any
// order, through invalid intermediate dates, and reads back exactly what it
// wrote. Like the chip, the day of the week is a counter of its own (Sunday
// = 1 at power-on): it reads back what was written and advances at
// midnight, whether or not it agrees with the date. (QEMU's model recomputes
// it and reads back another day after `date` in U-Boot.) The clock runs in
// 24-hour mode and its oscillator never stops.

import type { I2cDevice } from './fsl-i2c.js';
import { bool, bytes, fields, hexBytes, int, num, obj, type Stateful } from '../snapshot/state.js';

const bcd = (v: number) => ((Math.floor(v / 10) << 4) | (v % 10)) & 0xff;
const unbcd = (v: number) => (v >>> 4) * 10 + (v & 0xf);
const DAY_MS = 86_400_000;

export class RtcDs1338 implements I2cDevice, Stateful {
  private readonly ram = new Uint8Array(64);
  private ptr = 0;
  /** The next byte of a write transfer is the register pointer. */
  private first = false;
  /** The clock registers (0-6) at host time `baseMs`. */
  private readonly base = new Uint8Array(7);
  private baseMs: number;

  constructor(private readonly nowMs: () => number = () => Date.now()) {
    const now = this.nowMs();
    this.baseMs = now - (now % 1000);
    this.setFields(new Date(this.baseMs));
    this.base[3] = new Date(this.baseMs).getUTCDay() + 1;
  }

  start(read: boolean): boolean {
    if (read) this.latch();
    else this.first = true;
    return true;
  }

  send(byte: number): boolean {
    if (this.first) {
      this.first = false;
      this.ptr = byte & 0x3f;
      return true;
    }
    if (this.ptr < 7) {
      this.advance();
      this.base[this.ptr] = byte;
      // Writing the seconds restarts the chip's one-second divider.
      if (this.ptr === 0) this.baseMs = this.nowMs();
    }
    this.ram[this.ptr] = byte;
    this.ptr = (this.ptr + 1) & 0x3f;
    return true;
  }

  recv(): number {
    const v = this.ram[this.ptr];
    this.ptr = (this.ptr + 1) & 0x3f;
    return v;
  }

  stop(): void {}

  /** Bring the clock registers forward by the whole seconds elapsed. */
  private advance(): void {
    const seconds = Math.floor((this.nowMs() - this.baseMs) / 1000);
    if (seconds <= 0) return;
    const b = this.base;
    const then = Date.UTC(2000 + unbcd(b[6]), unbcd(b[5] & 0x1f) - 1, unbcd(b[4] & 0x3f),
      unbcd(b[2] & 0x3f), unbcd(b[1] & 0x7f), unbcd(b[0] & 0x7f));
    const now = then + seconds * 1000;
    const days = Math.floor(now / DAY_MS) - Math.floor(then / DAY_MS);
    const wday = (((b[3] & 7) - 1 + days) % 7 + 7) % 7 + 1;
    this.setFields(new Date(now));
    this.base[3] = wday;
    this.baseMs += seconds * 1000;
  }

  private setFields(d: Date): void {
    const b = this.base;
    b[0] = bcd(d.getUTCSeconds());
    b[1] = bcd(d.getUTCMinutes());
    b[2] = bcd(d.getUTCHours());
    b[4] = bcd(d.getUTCDate());
    b[5] = bcd(d.getUTCMonth() + 1);
    b[6] = bcd(d.getUTCFullYear() % 100);
  }

  /** Copy the current time into the clock registers (the chip's read buffer). */
  private latch(): void {
    this.advance();
    this.ram.set(this.base, 0);
  }

  /**
   * `baseMs` is kept as it is, in the time scale of `nowMs` (the machine's
   * RTC clock, which the machine restores, so a restored clock either goes on
   * from the saved instant (guest time) or shows the host's time (host time)).
   */
  saveState(): unknown {
    return { ram: hexBytes(this.ram), ptr: this.ptr, first: this.first, base: hexBytes(this.base), baseMs: this.baseMs };
  }

  loadState(state: unknown): void {
    const w = 'rtc';
    const o = obj(state, w);
    fields(o, ['ram', 'ptr', 'first', 'base', 'baseMs'], w);
    this.ram.set(bytes(o, 'ram', 64, w));
    this.ptr = int(o, 'ptr', 0, 63, w);
    this.first = bool(o, 'first', w);
    this.base.set(bytes(o, 'base', 7, w));
    this.baseMs = num(o, 'baseMs', w);
  }
}
