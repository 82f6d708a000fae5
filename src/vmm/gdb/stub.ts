// The GDB remote stub: protocol commands on top of a GdbTarget (the machine,
// seen through the hypervisor API). Transport-independent: bytes in through
// receive(), bytes out through `send`. Every malformed packet gets an error
// reply ("E01"...) or the empty "unsupported" reply; none stops the guest.

import { RspDecoder, framePacket, fromHex, toHex } from './rsp.js';

export type BreakKind = 'sw' | 'hw' | 'watch-write' | 'watch-read' | 'watch-access';

export type StopReason =
  | { kind: 'signal'; signal: number }
  | { kind: 'swbreak' | 'hwbreak' }
  | { kind: 'watch' | 'rwatch' | 'awatch'; addr: number }
  | { kind: 'exited'; code: number };

export interface GdbRegister {
  name: string;
  /** Its number in the target description (regnum), and so in p/P packets. */
  regnum: number;
  bits: 32 | 64;
  type?: string;
  group?: string;
  feature: 'core' | 'fpu' | 'spr';
}

export interface GdbTarget {
  /** Registers in the order of the target description, each with its regnum. */
  readonly registers: readonly GdbRegister[];
  /** Register `n` by its regnum. */
  readRegister(n: number): bigint;
  writeRegister(n: number, v: bigint): boolean;
  /** Guest-virtual memory through the guest MMU; null if unmapped. */
  readMemory(addr: number, len: number): Uint8Array | null;
  writeMemory(addr: number, data: Uint8Array): boolean;
  setBreakpoint(kind: BreakKind, addr: number, len: number, insert: boolean): boolean;
  /** Start the guest; the target later calls GdbStub.stopped(). */
  resume(step: boolean): void;
  /** Ask a running guest to stop (Ctrl-C); the target calls stopped({signal: 2}). */
  interrupt(): void;
  detach(): void;
  kill(): void;
  /** `monitor` commands (qRcmd); returns the text to show. */
  monitor?(cmd: string): string | Promise<string>;
  /** QEMU's Qqemu.PhyMemMode: m/M address physical memory when set. */
  physicalMemory?: boolean;
}

const SIGTRAP = 5;

/**
 * GDB's built-in numbering of 32-bit PowerPC registers, for a client that
 * has not read the target description. QEMU's stub does the same: until the
 * client reads target.xml its g packet holds these 71 registers in this
 * order (412 bytes for ppce500); afterwards g holds only the core feature
 * and register numbers are the description's regnums (FPRs at 71-102).
 */
const CLASSIC_PPC32 = [
  ...Array.from({ length: 32 }, (_, i) => `r${i}`), ...Array.from({ length: 32 }, (_, i) => `f${i}`),
  'pc', 'msr', 'cr', 'lr', 'ctr', 'xer', 'fpscr',
];

export class GdbStub {
  private readonly dec = new RspDecoder();
  private noAck = false;
  private running = false;
  private lastStop: StopReason = { kind: 'signal', signal: SIGTRAP };
  /** The client has read target.xml: numbers are the description's regnums, g/G the core feature. */
  private described = false;
  private readonly byRegnum: ReadonlyMap<number, GdbRegister>;
  /** CLASSIC_PPC32 number -> register (undefined where the target has none). */
  private readonly classic: readonly (GdbRegister | undefined)[];

  constructor(private readonly target: GdbTarget, private readonly send: (bytes: Uint8Array) => void) {
    this.byRegnum = new Map(target.registers.map((r) => [r.regnum, r]));
    const byName = new Map(target.registers.map((r) => [r.name, r]));
    this.classic = CLASSIC_PPC32.map((n) => byName.get(n));
  }

  /**
   * The register a p/P packet's number means now. Before the description is
   * read QEMU answers p/P as unsupported (GDB then uses g); tkvm answers in
   * the numbering its g uses then, which says the same thing.
   */
  private register(n: number): GdbRegister | undefined {
    return this.described ? this.byRegnum.get(n) : this.classic[n];
  }

  /**
   * What g and G carry. With the description read: the core feature's
   * registers in regnum order, as QEMU's stub (whose g then stops after xer);
   * GDB fetches the FPU and SPRs with p. Writing a whole G therefore never
   * rewrites the running timers (DEC, TSR) with stale values.
   */
  private gLayout(): readonly GdbRegister[] {
    if (!this.described) return this.classic.filter((r) => r !== undefined);
    return this.target.registers.filter((r) => r.feature === 'core').sort((a, b) => a.regnum - b.regnum);
  }

  get isRunning(): boolean { return this.running; }

  receive(bytes: Uint8Array): void {
    for (const ev of this.dec.feed(bytes)) {
      switch (ev.kind) {
        case 'interrupt':
          if (this.running) this.target.interrupt();
          break;
        case 'bad':
          if (!this.noAck) this.send(Uint8Array.of(0x2d)); // '-': please resend
          break;
        case 'packet': {
          if (!this.noAck) this.send(Uint8Array.of(0x2b));
          let reply: string | null;
          try {
            reply = this.handle(new TextDecoder('latin1').decode(ev.data), ev.data);
          } catch {
            reply = 'E0F'; // the target failed: an error reply, never a dead connection
          }
          if (reply !== null) this.reply(reply);
          break;
        }
        default:
          break;
      }
    }
  }

  /** The target stopped (breakpoint, step done, interrupt, exit). */
  stopped(reason: StopReason): void {
    if (this.exitedCode !== null) return;
    this.running = false;
    this.lastStop = reason;
    this.reply(stopReply(reason));
  }

  private exitedCode: number | null = null;

  /** The target is gone (the guest powered off, tkvm quits): `W` (once), as QEMU tells GDB. */
  exited(code: number): void {
    if (this.exitedCode !== null) return;
    this.exitedCode = code;
    this.running = false;
    this.lastStop = { kind: 'exited', code };
    this.reply(stopReply(this.lastStop));
  }

  private reply(s: string): void {
    this.send(framePacket(s));
  }

  private handle(p: string, raw: Uint8Array): string | null {
    if (this.running && p !== 'vCtrlC') return 'E10'; // the guest must stop first (GDB sends 0x03)
    const t = this.target;
    switch (p[0]) {
      case '?': return stopReply(this.lastStop);
      case 'g': return this.readAll();
      case 'G': return this.writeAll(p.slice(1));
      case 'p': {
        const n = parseHex(p.slice(1));
        if (n === null) return 'E01';
        const r = this.register(n);
        // A number no register has (e.g. 32-63, where the description has
        // none): E14, QEMU's answer.
        if (r === undefined) return 'E14';
        return regHex(t.readRegister(r.regnum), r.bits);
      }
      case 'P': {
        const m = /^([0-9a-fA-F]{1,8})=([0-9a-fA-F]+)$/.exec(p.slice(1));
        if (!m) return 'E01';
        const r = this.register(parseInt(m[1], 16));
        if (!r || m[2].length !== r.bits / 4) return 'E01';
        return t.writeRegister(r.regnum, BigInt('0x' + m[2])) ? 'OK' : 'E01';
      }
      case 'm': {
        const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p.slice(1));
        if (!m) return 'E01';
        const addr = parseInt(m[1], 16), len = parseInt(m[2], 16);
        if (addr > 0xffffffff || len > 0x4000) return 'E01';
        const data = t.readMemory(addr, len);
        return data === null ? 'E14' : toHex(data);
      }
      case 'M': {
        const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(p.slice(1));
        if (!m) return 'E01';
        const data = fromHex(m[3]);
        if (data === null || data.length !== parseInt(m[2], 16)) return 'E01';
        return t.writeMemory(parseInt(m[1], 16), data) ? 'OK' : 'E14';
      }
      case 'X': {
        const colon = raw.indexOf(0x3a);
        const m = /^X([0-9a-fA-F]+),([0-9a-fA-F]+):/.exec(p.slice(0, colon + 1));
        if (colon < 0 || !m) return 'E01';
        const data = raw.subarray(colon + 1);
        if (data.length !== parseInt(m[2], 16)) return 'E01';
        if (data.length === 0) return 'OK';
        return t.writeMemory(parseInt(m[1], 16), data) ? 'OK' : 'E14';
      }
      case 'c': return this.resume(false, p.slice(1));
      case 's': return this.resume(true, p.slice(1));
      case 'Z': case 'z': return this.breakpoint(p);
      case 'D':
        t.detach();
        return 'OK';
      case 'k':
        t.kill();
        return null;
      case 'H': return 'OK';
      case 'T': return 'OK';
      case 'q': return this.query(p);
      case 'Q':
        if (p === 'QStartNoAckMode') {
          this.reply('OK');
          this.noAck = true;
          return null;
        }
        if (p === 'Qqemu.PhyMemMode:1' || p === 'Qqemu.PhyMemMode:0') {
          if (!('physicalMemory' in t)) return '';
          t.physicalMemory = p.endsWith('1');
          return 'OK';
        }
        return '';
      case 'v': return this.vPacket(p);
      default: return '';
    }
  }

  private resume(step: boolean, addr: string): string | null {
    if (addr !== '') {
      const a = parseHex(addr);
      if (a === null || !this.target.writeRegister(this.pcRegister(), BigInt(a))) return 'E01';
    }
    this.running = true;
    this.target.resume(step);
    return null;
  }

  private pcRegister(): number {
    return this.target.registers.find((r) => r.name === 'pc')?.regnum ?? -1;
  }

  private breakpoint(p: string): string {
    const m = /^([Zz])([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)/.exec(p);
    if (!m) return 'E01';
    const kind = (['sw', 'hw', 'watch-write', 'watch-read', 'watch-access'] as const)[+m[2]];
    const addr = parseInt(m[3], 16), len = parseInt(m[4], 16);
    if (addr > 0xffffffff || len === 0 || len > 0x10000) return 'E01';
    return this.target.setBreakpoint(kind, addr, len, m[1] === 'Z') ? 'OK' : 'E0E';
  }

  private query(p: string): string | null {
    if (p.startsWith('qSupported')) {
      return 'PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+';
    }
    if (p === 'qAttached') return '1';
    if (p === 'qC') return 'QC1';
    if (p === 'qfThreadInfo') return 'm1';
    if (p === 'qsThreadInfo') return 'l';
    if (p === 'qSymbol::') return 'OK';
    if (p === 'qTStatus') return '';
    if (p.startsWith('qXfer:features:read:')) {
      const m = /^qXfer:features:read:([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
      if (!m) return 'E01';
      if (m[1] !== 'target.xml') return 'E00';
      this.described = true;
      const xml = targetXml(this.target.registers);
      const off = parseInt(m[2], 16), len = parseInt(m[3], 16);
      const chunk = xml.slice(off, off + len);
      return (off + len >= xml.length ? 'l' : 'm') + chunk;
    }
    if (p === 'qqemu.PhyMemMode') {
      if (!('physicalMemory' in this.target)) return '';
      return this.target.physicalMemory ? '1' : '0';
    }
    if (p.startsWith('qRcmd,')) {
      const cmd = fromHex(p.slice(6));
      if (cmd === null) return 'E01';
      const out = this.target.monitor?.(new TextDecoder().decode(cmd));
      if (out === undefined) return '';
      const encode = (o: string) => (o === '' ? 'OK' : toHex(new TextEncoder().encode(o.endsWith('\n') ? o : o + '\n')));
      if (typeof out === 'string') return encode(out);
      // The answer comes later (a monitor command that waits, e.g. stop).
      out.then((o) => this.reply(encode(o)), (e: unknown) => this.reply(encode(`Error: ${(e as Error)?.message ?? String(e)}`)));
      return null;
    }
    return '';
  }

  private vPacket(p: string): string | null {
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p === 'vMustReplyEmpty') return '';
    if (p === 'vCtrlC') {
      if (this.running) this.target.interrupt();
      return 'OK';
    }
    if (p.startsWith('vCont;')) {
      const action = p.slice(6).split(';')[0].split(':')[0];
      if (action === 'c' || action.startsWith('C')) return this.resume(false, '');
      if (action === 's' || action.startsWith('S')) return this.resume(true, '');
      return 'E01';
    }
    if (p.startsWith('vKill')) {
      this.target.kill();
      return 'OK';
    }
    return '';
  }

  private readAll(): string {
    return this.gLayout().map((r) => regHex(this.target.readRegister(r.regnum), r.bits)).join('');
  }

  private writeAll(hex: string): string {
    const regs = this.gLayout();
    const total = regs.reduce((a, r) => a + r.bits / 4, 0);
    if (hex.length !== total || !/^[0-9a-fA-F]*$/.test(hex)) return 'E01';
    let o = 0;
    for (const r of regs) {
      const w = r.bits / 4;
      this.target.writeRegister(r.regnum, BigInt('0x' + hex.slice(o, o + w)));
      o += w;
    }
    return 'OK';
  }
}

function parseHex(s: string): number | null {
  return /^[0-9a-fA-F]{1,8}$/.test(s) ? parseInt(s, 16) : null;
}

function regHex(v: bigint, bits: number): string {
  return BigInt.asUintN(bits, v).toString(16).padStart(bits / 4, '0');
}

function stopReply(r: StopReason): string {
  switch (r.kind) {
    case 'signal': return `T${r.signal.toString(16).padStart(2, '0')}thread:1;`;
    case 'swbreak': case 'hwbreak': return `T05${r.kind}:;thread:1;`;
    case 'exited': return `W${(r.code & 0xff).toString(16).padStart(2, '0')}`;
    default: return `T05${r.kind}:${r.addr.toString(16)};thread:1;`;
  }
}

/**
 * The target description: GDB's PowerPC core and FPU features as QEMU
 * sends them (the target lists the registers), then tkvm's e500mc SPRs.
 * Every register carries its regnum (QEMU writes one only where the
 * numbering jumps; GDB reads both the same way).
 */
export function targetXml(regs: readonly GdbRegister[]): string {
  const feature = (name: string, which: GdbRegister['feature']) => {
    let s = `<feature name="${name}">`;
    regs.forEach((r) => {
      if (r.feature !== which) return;
      s += `<reg name="${r.name}" bitsize="${r.bits}" regnum="${r.regnum}"` +
        (r.type ? ` type="${r.type}"` : '') + (r.group ? ` group="${r.group}"` : '') + '/>';
    });
    return s + '</feature>';
  };
  return '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0">' +
    '<architecture>powerpc:common</architecture>' +
    feature('org.gnu.gdb.power.core', 'core') + feature('org.gnu.gdb.power.fpu', 'fpu') +
    feature('org.tkvm.e500mc.spr', 'spr') + '</target>';
}
