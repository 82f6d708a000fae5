// 16550A UART with 16-byte FIFOs, as Linux's 8250 driver and U-Boot's ns16550
// driver expect it. The device knows nothing of the CPU: it raises its
// interrupt through `irq`, sends bytes through `output`, and receives bytes
// with `receive()`. Transmission is instantaneous (the transmitter is always
// empty again by the time the guest looks).

import type { MmioDevice } from '../bus.js';
import { bool, fields, int, intArray, obj, StateError, type Stateful } from '../snapshot/state.js';

const IER_RDI = 0x01, IER_THRI = 0x02, IER_RLSI = 0x04, IER_MSI = 0x08;
const IIR_NONE = 0x01, IIR_MSI = 0x00, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_RLSI = 0x06, IIR_TIMEOUT = 0x0c;
const IIR_FIFO_ENABLED = 0xc0;
const FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02, FCR_CLEAR_TX = 0x04;
const LCR_DLAB = 0x80;
const MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10;
const LSR_DR = 0x01, LSR_OE = 0x02, LSR_BI = 0x10, LSR_THRE = 0x20, LSR_TEMT = 0x40;
const MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80;
const FIFO_SIZE = 16;
const TRIGGER = [1, 4, 8, 14];

export class Uart16550 implements MmioDevice, Stateful {
  private rx: number[] = [];
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private lsr = LSR_THRE | LSR_TEMT;
  private msr = MSR_CTS | MSR_DSR | MSR_DCD;
  private scr = 0;
  private dll = 0;
  private dlm = 0;
  private fcr = 0;
  /** A THR-empty interrupt is pending (cleared by reading IIR or writing THR). */
  private thrPending = false;
  private irqLevel = false;

  constructor(
    private readonly output: (byte: number) => void,
    private readonly irq: (level: boolean) => void = () => {},
  ) {}

  /**
   * How many bytes the console may offer now. A host console has flow
   * control that a real line has not: as QEMU does, bytes are offered up to
   * the receive trigger level (one at a time beyond it, up to the FIFO's 16),
   * or one at a time without the FIFO, so a burst of input (a paste, a
   * script on stdin) is paced by the guest's reads instead of overrunning
   * the FIFO, and a guest that resets its FIFO loses what QEMU's would.
   */
  rxSpace(): number {
    const n = this.rx.length;
    if ((this.fcr & FCR_ENABLE) === 0) return n === 0 ? 1 : 0;
    if (n >= FIFO_SIZE) return 0;
    const trigger = TRIGGER[(this.fcr >>> 6) & 3];
    return n <= trigger ? trigger - n : 1;
  }

  /** A byte arrives on the line. Returns false if the FIFO overflowed. */
  receive(byte: number): boolean {
    if ((this.mcr & MCR_LOOP) !== 0) return true; // the line is disconnected in loopback
    return this.push(byte);
  }

  /** A break condition on the line (e.g. from the console's escape key). */
  receiveBreak(): void {
    this.lsr |= LSR_BI;
    this.push(0);
  }

  private push(byte: number): boolean {
    const cap = (this.fcr & FCR_ENABLE) !== 0 ? FIFO_SIZE : 1;
    if (this.rx.length >= cap) {
      this.lsr |= LSR_OE;
      this.update();
      return false;
    }
    this.rx.push(byte & 0xff);
    this.lsr |= LSR_DR;
    this.update();
    return true;
  }

  read(offset: number, _size: number): number {
    switch (offset) {
      case 0:
        if ((this.lcr & LCR_DLAB) !== 0) return this.dll;
        return this.readRbr();
      case 1:
        return (this.lcr & LCR_DLAB) !== 0 ? this.dlm : this.ier;
      case 2: {
        const iir = this.iir();
        if ((iir & 0x0f) === IIR_THRI) {
          this.thrPending = false;
          this.update();
        }
        return iir | ((this.fcr & FCR_ENABLE) !== 0 ? IIR_FIFO_ENABLED : 0);
      }
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: {
        const v = this.lsr;
        this.lsr &= ~(LSR_OE | LSR_BI);
        this.update();
        return v;
      }
      case 6: {
        let v: number;
        if ((this.mcr & MCR_LOOP) !== 0) {
          // Loopback: modem inputs follow the modem outputs.
          v = ((this.mcr & MCR_RTS) ? MSR_CTS : 0) | ((this.mcr & MCR_DTR) ? MSR_DSR : 0) |
            ((this.mcr & MCR_OUT1) ? MSR_RI : 0) | ((this.mcr & MCR_OUT2) ? MSR_DCD : 0);
          v |= this.msr & 0x0f;
        } else {
          v = this.msr;
        }
        this.msr &= 0xf0;
        this.update();
        return v;
      }
      case 7: return this.scr;
      default: return 0;
    }
  }

  write(offset: number, _size: number, value: number): void {
    const v = value & 0xff;
    switch (offset) {
      case 0:
        if ((this.lcr & LCR_DLAB) !== 0) {
          this.dll = v;
          return;
        }
        if ((this.mcr & MCR_LOOP) !== 0) this.push(v);
        else this.output(v);
        // The byte leaves at once: the holding register is empty again.
        this.thrPending = true;
        this.lsr |= LSR_THRE | LSR_TEMT;
        this.update();
        return;
      case 1:
        if ((this.lcr & LCR_DLAB) !== 0) {
          this.dlm = v;
          return;
        }
        {
          const was = this.ier;
          this.ier = v & 0x0f;
          // Enabling the THR interrupt with an empty THR raises it (as real 16550s do).
          if ((this.ier & IER_THRI) !== 0 && (was & IER_THRI) === 0 && (this.lsr & LSR_THRE) !== 0) this.thrPending = true;
          this.update();
        }
        return;
      case 2:
        if ((v & FCR_ENABLE) !== ((this.fcr & FCR_ENABLE))) this.rx = [];
        if ((v & FCR_CLEAR_RX) !== 0) {
          this.rx = [];
          this.lsr &= ~LSR_DR;
        }
        if ((v & FCR_CLEAR_TX) !== 0) this.lsr |= LSR_THRE | LSR_TEMT;
        this.fcr = v & 0xc9;
        this.update();
        return;
      case 3: this.lcr = v; return;
      case 4:
        this.mcr = v & 0x1f;
        this.update();
        return;
      case 5: return; // LSR is read-only
      case 6: return; // MSR is read-only
      case 7: this.scr = v; return;
    }
  }

  private readRbr(): number {
    const b = this.rx.length > 0 ? this.rx.shift()! : 0;
    if (this.rx.length === 0) this.lsr &= ~LSR_DR;
    this.update();
    return b;
  }

  /** The highest-priority pending interrupt identification. */
  private iir(): number {
    const ier = this.ier;
    if ((ier & IER_RLSI) !== 0 && (this.lsr & (LSR_OE | LSR_BI)) !== 0) return IIR_RLSI;
    if ((ier & IER_RDI) !== 0 && this.rx.length > 0) {
      // Below the trigger level the 16550 reports a character time-out.
      if ((this.fcr & FCR_ENABLE) !== 0 && this.rx.length < TRIGGER[(this.fcr >>> 6) & 3]) return IIR_TIMEOUT;
      return IIR_RDI;
    }
    if ((ier & IER_THRI) !== 0 && this.thrPending) return IIR_THRI;
    if ((ier & IER_MSI) !== 0 && (this.msr & 0x0f) !== 0) return IIR_MSI;
    return IIR_NONE;
  }

  private update(): void {
    const level = (this.iir() & IIR_NONE) === 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }

  // ---- snapshots ----

  saveState(): unknown {
    return {
      rx: [...this.rx], ier: this.ier, lcr: this.lcr, mcr: this.mcr, lsr: this.lsr, msr: this.msr,
      scr: this.scr, dll: this.dll, dlm: this.dlm, fcr: this.fcr, thrPending: this.thrPending,
    };
  }

  loadState(state: unknown): void {
    const w = 'serial';
    const o = obj(state, w);
    fields(o, ['rx', 'ier', 'lcr', 'mcr', 'lsr', 'msr', 'scr', 'dll', 'dlm', 'fcr', 'thrPending'], w);
    const rx = intArray(o, 'rx', null, 0, 255, w);
    if (rx.length > FIFO_SIZE) throw new StateError(`${w}.rx: more than ${FIFO_SIZE} bytes`);
    this.rx = [...rx];
    this.ier = int(o, 'ier', 0, 0x0f, w);
    this.lcr = int(o, 'lcr', 0, 0xff, w);
    this.mcr = int(o, 'mcr', 0, 0x1f, w);
    this.lsr = int(o, 'lsr', 0, 0xff, w);
    this.msr = int(o, 'msr', 0, 0xff, w);
    this.scr = int(o, 'scr', 0, 0xff, w);
    this.dll = int(o, 'dll', 0, 0xff, w);
    this.dlm = int(o, 'dlm', 0, 0xff, w);
    this.fcr = int(o, 'fcr', 0, 0xc9, w);
    this.thrPending = bool(o, 'thrPending', w);
    this.update();
  }
}
