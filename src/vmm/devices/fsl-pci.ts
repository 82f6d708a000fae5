// The PCI host bridge of the ppce500 machine ("fsl,mpc8540-pci", CCSR +
// 0x8000, 4 KiB), with no device behind it: the bus holds only the host
// bridge itself (bus 0, device 0: vendor 0x1957 Freescale, device 0x0030,
// class 0x0b20 "processor, PowerPC", as QEMU's). U-Boot probes it on the way
// to its prompt and lists it with `pci`; Linux finds an empty bus.
//
// Registers:
//   0x000 CFG_ADDR  enable (bit 31), bus 23:16, devfn 15:8, register 7:2
//   0x004 CFG_DATA  the addressed configuration dword, little-endian as on a
//                   PCI bus (byte lanes 0x004..0x007)
//   0x00c INT_ACK   PCI interrupt acknowledge: no device, reads 0
//   0xc00..0xc9f    outbound address translation windows (5 x POTAR, POTEAR,
//                   POWBAR, POWAR): stored, not enforced, since no access
//                   ever reaches a PCI device
//   0xda0..0xdff    inbound windows (PITAR, PIWBAR, PIWBEAR, PIWAR): stored
//   0xe00..0xeff    error management registers: stored (no PCI errors occur)
// Anything else is reported through `unknown`.
//
// Configuration reads of absent devices return all ones, as on a real bus.

import type { MmioDevice } from '../bus.js';
import { bytes, fields, hexBytes, int, obj, StateError, type Stateful } from '../snapshot/state.js';

export const PCI_REGS_SIZE = 0x1000;
const CFG_ADDR = 0x000, CFG_DATA = 0x004, INT_ACK = 0x00c;
const BAR0_SIZE = 0x100000; // 1 MiB of memory space (the CCSR window seen from PCI)

export class FslPciHost implements MmioDevice, Stateful {
  private cfgAddr = 0;
  /** ATMU and error registers, by offset (plain storage). */
  private readonly regs = new Map<number, number>();
  /** The host bridge's configuration space (little-endian bytes). */
  private readonly cfg = new Uint8Array(256);

  constructor(private readonly unknown: (offset: number, size: number, isWrite: boolean, value: number) => void = () => {}) {
    this.reset();
  }

  reset(): void {
    this.cfgAddr = 0;
    this.regs.clear();
    const c = this.cfg;
    c.fill(0);
    const put16 = (o: number, v: number) => { c[o] = v & 0xff; c[o + 1] = v >>> 8; };
    put16(0x00, 0x1957); // vendor: Freescale
    put16(0x02, 0x0030); // device: MPC8533E-class host bridge (QEMU's value)
    c[0x08] = 0x00; // revision
    c[0x09] = 0x00; c[0x0a] = 0x20; c[0x0b] = 0x0b; // class: processor, PowerPC
    put16(0x2c, 0x1af4); // subsystem vendor (QEMU's default)
    put16(0x2e, 0x1100); // subsystem
  }

  read(offset: number, size: number): number {
    if (offset >= CFG_DATA && offset + size <= CFG_DATA + 4) return this.cfgRead(offset - CFG_DATA, size);
    if (size !== 4 || (offset & 3) !== 0) {
      this.unknown(offset, size, false, 0);
      return 0;
    }
    if (offset === CFG_ADDR) return this.cfgAddr;
    if (offset === INT_ACK) return 0;
    if (this.isStored(offset)) return this.regs.get(offset) ?? 0;
    this.unknown(offset, size, false, 0);
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (offset >= CFG_DATA && offset + size <= CFG_DATA + 4) {
      this.cfgWrite(offset - CFG_DATA, size, value);
      return;
    }
    if (size !== 4 || (offset & 3) !== 0) {
      this.unknown(offset, size, true, value);
      return;
    }
    if (offset === CFG_ADDR) {
      this.cfgAddr = value >>> 0;
      return;
    }
    if (this.isStored(offset)) {
      this.regs.set(offset, value >>> 0);
      return;
    }
    this.unknown(offset, size, true, value);
  }

  private isStored(offset: number): boolean {
    return (offset >= 0xc00 && offset < 0xca0) || (offset >= 0xda0 && offset < 0xf00);
  }

  /** The configuration register the address selects on the host bridge, or -1 (nobody answers). */
  private target(): number {
    const a = this.cfgAddr;
    if ((a & 0x80000000) === 0) return -1;
    const bus = (a >>> 16) & 0xff, devfn = (a >>> 8) & 0xff;
    if (bus !== 0 || devfn !== 0) return -1;
    return a & 0xfc;
  }

  /** Read `size` bytes at lane `lane` of CFG_DATA; the result is the big-endian view of the bytes. */
  private cfgRead(lane: number, size: number): number {
    const reg = this.target();
    let v = 0;
    for (let k = 0; k < size; k++) {
      const b = reg < 0 ? 0xff : this.cfg[reg + lane + k];
      v = v * 256 + b;
    }
    return v;
  }

  private cfgWrite(lane: number, size: number, value: number): void {
    const reg = this.target();
    if (reg < 0) return; // no device: the write goes nowhere, as on a real bus
    for (let k = 0; k < size; k++) {
      const byte = Math.floor(value / Math.pow(256, size - 1 - k)) & 0xff;
      this.cfgWriteByte(reg + lane + k, byte);
    }
  }

  /** The writable bits of the host bridge's configuration space. */
  private cfgWriteByte(o: number, b: number): void {
    const c = this.cfg;
    switch (o) {
      case 0x04: c[o] = b & 0x47; return; // command: I/O, memory, master, parity response
      case 0x05: c[o] = b & 0x01; return; // command: SERR enable
      case 0x06: return;
      case 0x07: c[o] &= ~(b & 0xf9); return; // status: error bits are write-one-to-clear
      case 0x0c: c[o] = b; return; // cache line size
      case 0x0d: c[o] = b; return; // latency timer
      case 0x3c: c[o] = b; return; // interrupt line
    }
    if (o >= 0x10 && o < 0x14) {
      // BAR0: 32-bit non-prefetchable memory, BAR0_SIZE bytes (low bits read 0).
      const mask = (~(BAR0_SIZE - 1)) >>> 0;
      const sh = (o - 0x10) * 8;
      c[o] = b & ((mask >>> sh) & 0xff);
    }
    // Everything else is read-only (other BARs are unimplemented and read 0).
  }

  saveState(): unknown {
    return { cfgAddr: this.cfgAddr, regs: [...this.regs].sort((a, b) => a[0] - b[0]), cfg: hexBytes(this.cfg) };
  }

  loadState(state: unknown): void {
    const w = 'pci';
    const o = obj(state, w);
    fields(o, ['cfgAddr', 'regs', 'cfg'], w);
    this.cfgAddr = int(o, 'cfgAddr', 0, 0xffffffff, w);
    const regs = o.regs;
    if (!Array.isArray(regs)) throw new StateError(`${w}.regs: expected an array of [offset, value]`);
    this.regs.clear();
    for (const r of regs) {
      if (!Array.isArray(r) || r.length !== 2) throw new StateError(`${w}.regs: expected [offset, value] pairs`);
      const off = int({ off: r[0] }, 'off', 0, PCI_REGS_SIZE - 4, w + '.regs');
      if (!this.isStored(off) || (off & 3) !== 0) throw new StateError(`${w}.regs: 0x${off.toString(16)} is not a stored register`);
      this.regs.set(off, int({ value: r[1] }, 'value', 0, 0xffffffff, w + '.regs'));
    }
    this.cfg.set(bytes(o, 'cfg', 256, w));
  }
}
