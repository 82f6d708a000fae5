// The human monitor, in the style of QEMU's HMP: one command per line,
// output as QEMU prints it for this machine (`info registers`, `info tlb`,
// `info mtree`, `x`/`xp` with QEMU's /fmt, errors as "Error: ..."). Every
// command goes through the session and the hypervisor API. Bad input
// (unknown commands, bad formats or addresses) gets one line of text and
// changes nothing.

import { formatJitStats } from '../debug/jit.js';
import { disassembleText, Reg } from '../../kvm/index.js';
import { readVirtual, translateDebug } from '../debug/memory.js';
import type { Ppce500 } from '../machine/ppce500.js';
import { TKVM_VERSION, type Session } from '../machine/session.js';
import { SnapshotError } from '../snapshot/format.js';
import { CCSR_BASE, CCSR_SIZE } from '../machine/layout.js';

export const HMP_PROMPT = '(qemu) ';
export const HMP_BANNER = `tkvm ${TKVM_VERSION} monitor - type 'help' for more information\n`;

interface Command {
  names: string[];
  args: string;
  help: string;
  run(h: Hmp, args: string): string | Promise<string>;
}

const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
const hex16 = (v: number | bigint): string => BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, '0');

class MonitorError extends Error {}

export class Hmp {
  /** x/xp remember the last format and size, as QEMU's do. */
  private lastFormat = 'x';
  private lastSize = 4;

  constructor(readonly session: Session) {}

  get machine(): Ppce500 { return this.session.machine; }

  /** Run one command line; resolves to its output (each line ends with a newline; '' for none). */
  async execute(line: string): Promise<string> {
    const text = line.trim();
    if (text === '') return '';
    const m = /^(\S+)\s*(.*)$/.exec(text)!;
    let name = m[1], args = m[2];
    // `x/4x addr`: the format is glued to the command name.
    const slash = name.indexOf('/');
    if (slash > 0) {
      args = name.slice(slash) + (args ? ' ' + args : '');
      name = name.slice(0, slash);
    }
    const cmd = COMMANDS.find((c) => c.names.includes(name));
    if (cmd === undefined) return `unknown command: '${name}'\n`;
    try {
      return await cmd.run(this, args);
    } catch (e) {
      if (e instanceof MonitorError) return e.message.endsWith('\n') ? e.message : e.message + '\n';
      if (e instanceof SnapshotError) return `Error: ${e.message}\n`;
      return `Error: ${(e as Error)?.message ?? String(e)}\n`;
    }
  }

  // ---- help ----

  help(args: string): string {
    const want = args.trim();
    const list = want === '' ? COMMANDS : COMMANDS.filter((c) => c.names.includes(want));
    if (list.length === 0) return `unknown command: '${want}'\n`;
    return list.map((c) => `${c.names.join('|')} ${c.args}-- ${c.help}\n`).join('');
  }

  // ---- info ----

  info(args: string): string {
    const what = args.trim().split(/\s+/)[0];
    const sub = INFO.find((i) => i.name === what);
    if (what === '') return INFO.map((i) => `info ${i.name} ${i.args}-- ${i.help}\n`).join('');
    if (sub === undefined) return `unknown command: 'info ${what}'\n`;
    return sub.run(this);
  }

  status(): string {
    const s = this.session.state;
    switch (s) {
      case 'running': return 'VM status: running\n';
      case 'paused': return 'VM status: paused\n';
      default: return `VM status: paused (${s})\n`;
    }
  }

  /** `info registers` in QEMU's layout for an e500mc. */
  registers(): string {
    const v = this.machine.vcpu;
    const r = v.getRegs();
    const s = v.getSregs().e;
    const one = (id: bigint) => Number(v.getOneReg(id));
    const fpr = v.getFpu().fpr;
    const fpscr = one(Reg.FPSCR);
    const resv = v.getOneReg(Reg.TKVM_RESERVATION) as bigint;
    const tb = s.tb;
    let o = '\nCPU#0\n';
    o += `NIP ${hex8(r.pc)}   LR ${hex8(r.lr)} CTR ${hex8(r.ctr)} XER ${hex8(r.xer)} CPU#0\n`;
    const pr = (r.msr >>> 14) & 1;
    o += `MSR ${hex8(r.msr)} HID0 ${hex8(s.impl.fsl.hid0)}  HF ${hex8(0)} iidx ${pr ? 0 : 1} didx ${pr ? 0 : 1}\n`;
    o += `TB ${String(Number(tb >> 32n)).padStart(8, '0')} ${String(Number(tb & 0xffffffffn)).padStart(8, '0')} DECR ${s.dec >>> 0}\n`;
    for (let i = 0; i < 32; i += 4) {
      o += `GPR${String(i).padStart(2, '0')} ` + r.gpr.slice(i, i + 4).map((g) => hex16(g >>> 0)).join(' ') + '\n';
    }
    let flags = '';
    for (let f = 0; f < 8; f++) {
      const n = (r.cr >>> (28 - 4 * f)) & 0xf;
      const a = n & 8 ? 'L' : n & 4 ? 'G' : n & 2 ? 'E' : '-';
      flags += ` ${a}${n & 1 ? 'O' : ' '}`;
    }
    o += `CR ${hex8(r.cr)}  [${flags} ]             RES ${resv === 0xffffffffffffffffn ? 'ffffffff' : hex8(Number(resv))}\n`;
    for (let i = 0; i < 32; i += 4) {
      o += `FPR${String(i).padStart(2, '0')} ` + fpr.slice(i, i + 4).map((f) => hex16(f)).join(' ') + '\n';
    }
    o += `FPSCR ${hex8(fpscr)}\n`;
    const sv = (x: number | bigint) => hex8(Number(x));
    o += ` SRR0 ${sv(r.srr0)}  SRR1 ${sv(r.srr1)}    PVR ${sv(v.getSregs().pvr)} VRSAVE ${sv(s.vrsave)}\n`;
    o += `SPRG0 ${sv(r.sprg0)} SPRG1 ${sv(r.sprg1)}  SPRG2 ${sv(r.sprg2)}  SPRG3 ${sv(r.sprg3)}\n`;
    o += `SPRG4 ${sv(r.sprg4)} SPRG5 ${sv(r.sprg5)}  SPRG6 ${sv(r.sprg6)}  SPRG7 ${sv(r.sprg7)}\n`;
    o += `CSRR0 ${sv(s.csrr0)} CSRR1 ${sv(s.csrr1)} MCSRR0 ${sv(s.mcsrr0)} MCSRR1 ${sv(s.mcsrr1)}\n`;
    o += `  TCR ${sv(s.tcr)}   TSR ${sv(s.tsr)}    ESR ${sv(s.esr)}   DEAR ${sv(s.dear)}\n`;
    o += `  PIR ${sv(s.pir)} DECAR ${sv(s.decar)}   IVPR ${sv(s.ivpr)}   EPCR ${sv(s.epcr)}\n`;
    o += ` MCSR ${sv(s.mcsr)} SPRG8 ${sv(s.sprg8)}    EPR ${sv(s.epr)}\n`;
    o += ` MCAR ${sv(s.impl.fsl.mcar)}  PID1 ${sv(s.impl.fsl.pid1)}   PID2 ${sv(s.impl.fsl.pid2)}    SVR ${sv(s.impl.fsl.svr)}\n`;
    o += ` MAS0 ${sv(s.mas0)}  MAS1 ${sv(s.mas1)}   MAS2 ${sv(s.mas2)}   MAS3 ${sv(s.mas7_3 & 0xffffffffn)}\n`;
    o += ` MAS4 ${sv(s.mas4)}  MAS6 ${sv(s.mas6)}   MAS7 ${sv(s.mas7_3 >> 32n)}    PID ${sv(r.pid)}\n`;
    o += `MMUCFG ${sv(s.mmucfg)} TLB0CFG ${sv(s.tlbcfg[0])} TLB1CFG ${sv(s.tlbcfg[1])}\n`;
    return o;
  }

  /** `info mtree`: the physical address space, in QEMU's layout. */
  mtree(): string {
    const m = this.machine;
    const range = (base: number, size: number) => `${hex16(base)}-${hex16(base + size - 1)}`;
    let o = 'address-space: memory\n';
    o += `  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n`;
    o += `    ${range(0, m.opts.ramBytes)} (prio 0, ram): ram\n`;
    const maps = m.bus.list();
    const inCcsr = maps.filter((x) => x.base >= CCSR_BASE && x.base < CCSR_BASE + CCSR_SIZE);
    const others = maps.filter((x) => !inCcsr.includes(x));
    for (const x of others) o += `    ${range(x.base, x.size)} (prio 0, i/o): ${x.name}\n`;
    o += `    ${range(CCSR_BASE, CCSR_SIZE)} (prio 0, i/o): e500-ccsr\n`;
    for (const x of inCcsr) o += `      ${range(x.base, x.size)} (prio 0, i/o): ${x.name}\n`;
    return o + '\n';
  }

  /** `info tlb`: the guest TLB (synchronized through the API), QEMU's format. */
  tlb(): string {
    return this.machine.tlbView.dump();
  }

  // ---- memory dumps ----

  /** x (virtual) and xp (physical) with QEMU's /{count}{format}{size}. */
  dump(args: string, physical: boolean): string {
    const cmd = physical ? 'xp' : 'x';
    const m = /^(?:\/(\S*))?\s*(.*)$/.exec(args.trim())!;
    let count = 1, format = this.lastFormat, size = -1;
    if (m[1] !== undefined) {
      const f = /^(\d*)(.*)$/.exec(m[1])!;
      if (f[1] !== '') count = parseInt(f[1], 10);
      for (const ch of f[2]) {
        if ('xduoci'.includes(ch)) format = ch;
        else if ('bhwg'.includes(ch)) size = { b: 1, h: 2, w: 4, g: 8 }[ch as 'b']!;
        else throw new MonitorError(`invalid char in format: '${ch}'\nTry "help ${cmd}" for more information`);
      }
    }
    if (m[2] === '') throw new MonitorError(`unexpected end of expression\nTry "help ${cmd}" for more information`);
    const addr = this.expression(m[2]);
    if (size < 0) size = format === 'i' ? 4 : this.lastSize;
    this.lastFormat = format;
    if (format !== 'i') this.lastSize = size;
    const read = (a: number, n: number): Uint8Array | null =>
      physical ? this.machine.readPhys(a, n) : readVirtual(this.machine, a, n);
    const label = (a: number) => (physical ? hex16(a) : hex8(a));
    if (format === 'i') {
      let o = '';
      for (let k = 0; k < Math.min(count, 4096); k++) {
        const a = addr + 4 * k;
        const b = read(a, 4);
        if (b === null) return o + `${label(a)}: Cannot access memory\n`;
        const w = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
        o += `0x${physical ? hex16(a) : hex8(a)}:  ${hex8(w)}  ${disassembleText(w, a)}\n`;
      }
      return o;
    }
    const total = Math.min(count * size, 1 << 20);
    // Characters: every byte of the count * size bytes, 8 to a line.
    if (format === 'c') size = 1;
    const lineSize = format === 'c' ? 8 : 16;
    let o = '';
    for (let off = 0; off < total; off += lineSize) {
      const a = addr + off;
      const n = Math.min(lineSize, total - off);
      const b = read(a, n);
      if (b === null) return o + `${label(a)}: Cannot access memory\n`;
      o += `${label(a)}:`;
      for (let k = 0; k + size <= n; k += size) {
        let v = 0n;
        for (let j = 0; j < size; j++) v = (v << 8n) | BigInt(b[k + j]);
        o += ' ' + formatValue(v, size, format);
      }
      o += '\n';
    }
    return o;
  }

  /** An HMP expression: numbers (0x hex, decimal), $registers, + and -. */
  expression(text: string): number {
    const toks = text.replace(/\s+/g, '').match(/[+-]|[^+-]+/g) ?? [];
    let sign = 1, acc = 0, expectValue = true;
    for (const t of toks) {
      if (t === '+' || t === '-') {
        if (!expectValue || t === '-') sign = t === '-' ? -sign : sign;
        expectValue = true;
        continue;
      }
      acc += sign * this.value(t);
      sign = 1;
      expectValue = false;
    }
    if (expectValue) throw new MonitorError('unexpected end of expression');
    if (!Number.isSafeInteger(acc) || acc < 0) throw new MonitorError(`address out of range: ${text}`);
    return acc;
  }

  private value(t: string): number {
    if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
    if (/^\d+$/.test(t)) return parseInt(t, 10);
    if (t.startsWith('$')) {
      const r = this.machine.vcpu.getRegs();
      const name = t.slice(1).toLowerCase();
      const g = /^r(\d+)$/.exec(name);
      if (g && +g[1] < 32) return r.gpr[+g[1]] >>> 0;
      const named: Record<string, number> = {
        pc: r.pc, nip: r.pc, lr: r.lr, ctr: r.ctr, msr: r.msr, xer: r.xer, cr: r.cr, sp: r.gpr[1], srr0: r.srr0, srr1: r.srr1,
      };
      if (name in named) return named[name] >>> 0;
      throw new MonitorError(`unknown register: ${t}`);
    }
    throw new MonitorError(`invalid char in expression: '${t[0]}'`);
  }

  /** The guest physical address of a virtual one (gpa2hva's cousin, for `info` and tests). */
  translate(ea: number): number | null {
    return translateDebug(this.machine, ea);
  }
}

function formatValue(v: bigint, size: number, format: string): string {
  const bits = BigInt(size * 8);
  switch (format) {
    case 'x': return '0x' + v.toString(16).padStart(size * 2, '0');
    case 'o': return (v === 0n ? '0' : '0' + v.toString(8)).padStart(Math.ceil((size * 8) / 3), ' ');
    case 'u': return v.toString().padStart(Math.ceil((size * 80) / 33), ' ');
    case 'd': return BigInt.asIntN(Number(bits), v).toString().padStart(Math.ceil((size * 80) / 33), ' ');
    case 'c': {
      const c = Number(v);
      if (c === 0x27) return "'\\''";
      if (c === 0x5c) return "'\\\\'";
      if (c === 0x0a) return "'\\n'";
      if (c === 0x0d) return "'\\r'";
      if (c >= 0x20 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
      return `'\\x${c.toString(16).padStart(2, '0')}'`;
    }
    default: return v.toString(16);
  }
}

const INFO: { name: string; args: string; help: string; run(h: Hmp): string }[] = [
  { name: 'jit', args: ' ', help: 'show the translator\'s statistics', run: (h) => formatJitStats(h.machine.vcpu.jitStats()) },
  { name: 'mtree', args: ' ', help: 'show memory tree', run: (h) => h.mtree() },
  { name: 'registers', args: ' ', help: 'show the cpu registers', run: (h) => h.registers() },
  { name: 'status', args: ' ', help: 'show the current VM status (running|paused)', run: (h) => h.status() },
  { name: 'tlb', args: ' ', help: 'show virtual to physical memory mappings', run: (h) => h.tlb() },
  { name: 'version', args: ' ', help: 'show the version of tkvm', run: () => `${TKVM_VERSION} (tkvm)\n` },
];

const COMMANDS: Command[] = [
  { names: ['help', '?'], args: '[cmd] ', help: 'show the help', run: (h, a) => h.help(a) },
  { names: ['info'], args: '[subcommand] ', help: 'show various information about the system state', run: (h, a) => h.info(a) },
  { names: ['x'], args: '/fmt addr ', help: 'virtual memory dump starting at \'addr\'', run: (h, a) => h.dump(a, false) },
  { names: ['xp'], args: '/fmt addr ', help: 'physical memory dump starting at \'addr\'', run: (h, a) => h.dump(a, true) },
  {
    names: ['stop'], args: ' ', help: 'stop emulation',
    run: async (h) => { await h.session.pause('user'); return ''; },
  },
  { names: ['cont', 'c'], args: ' ', help: 'resume emulation', run: (h) => { h.session.resume(); return ''; } },
  { names: ['system_reset'], args: ' ', help: 'reset the system', run: (h) => { h.session.reset(); return ''; } },
  {
    names: ['savevm'], args: '[-i] file ', help: 'save the whole machine to a file (-i: only what changed since the last savevm/loadvm)',
    run: (h, a) => {
      const parts = a.trim().split(/\s+/).filter((x) => x !== '');
      const incremental = parts[0] === '-i';
      if (incremental) parts.shift();
      if (parts.length !== 1) throw new MonitorError('Error: savevm needs a file name (savevm [-i] FILE)');
      return h.session.savevm(parts[0], incremental) + '\n';
    },
  },
  {
    names: ['loadvm'], args: 'file ', help: 'restore the whole machine from a file saved by savevm',
    run: (h, a) => {
      const f = a.trim();
      if (f === '') throw new MonitorError('Error: loadvm needs a file name (loadvm FILE)');
      h.session.loadvm(f);
      return '';
    },
  },
  { names: ['quit', 'q'], args: ' ', help: 'quit the emulator', run: (h) => { h.session.quit(); return ''; } },
];
