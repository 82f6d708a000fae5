// Command-line parsing for `tkvm run`, in QEMU's spelling for this machine.

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface RunArgs {
  machine: string;
  cpu: string;
  ramBytes: number;
  kernel?: string;
  initrd?: string;
  append: string;
  bios?: string;
  dtb?: string;
  nographic: boolean;
  serial: string;
  monitor: string;
  noReboot: boolean;
  trace: Set<string>;
  icount?: number;
  /** -M ppce500,dumpdtb=FILE: write the device tree to FILE and exit (as QEMU does). */
  dumpDtb?: string;
  /** Print the guest TLB (QEMU's `info tlb` format) on stderr when the guest exits. */
  dumpTlb: boolean;
  /** -gdb DEV / -s: the GDB stub's socket (QEMU's chardev spelling). */
  gdb?: string;
  /** -S: do not start the guest until a monitor's `cont` or a debugger's continue. */
  startPaused: boolean;
  /** -qmp DEV (repeatable). */
  qmp: string[];
  /** -loadvm FILE: start from a snapshot. */
  loadvm?: string;
  /** -rtc base=...,clock=... */
  rtcBaseMs?: number;
  rtcClock?: 'host' | 'vm';
  /** -accel tkvm,lazy-tlb=on */
  lazyTlb: boolean;
}

const MIN_RAM = 16 * 1024 * 1024;
const MAX_RAM = 2048 * 1024 * 1024;
export const TRACE_EVENTS = ['mmio', 'int', 'exit'] as const;

/** QEMU's size syntax: a number with an optional suffix (default MiB). */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)[bB]?$/.exec(s.trim());
  if (!m) throw new UsageError(`invalid size '${s}'`);
  const unit = { '': 1 << 20, k: 1 << 10, m: 1 << 20, g: 1 << 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(parseFloat(m[1]) * unit);
}

/** QEMU's -rtc base=utc|localtime|DATE,clock=host|rt|vm (DATE: 2006-06-17T16:01:21 or 2006-06-17). */
function parseRtc(a: RunArgs, spec: string): void {
  for (const opt of spec.split(',')) {
    const m = /^(base|clock|driftfix)=(.*)$/.exec(opt);
    if (!m) throw new UsageError(`unknown -rtc option '${opt}' (base=utc|DATE, clock=host|vm)`);
    if (m[1] === 'base') {
      if (m[2] === 'utc' || m[2] === 'localtime') {
        a.rtcBaseMs = undefined;
        continue;
      }
      const d = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?$/.exec(m[2]);
      const ms = d ? Date.UTC(+d[1], +d[2] - 1, +d[3], +(d[4] ?? 0), +(d[5] ?? 0), +(d[6] ?? 0)) : NaN;
      if (!d || Number.isNaN(ms)) throw new UsageError(`invalid -rtc base '${m[2]}' (utc, or a date like 2006-06-17T16:01:21)`);
      a.rtcBaseMs = ms;
    } else if (m[1] === 'clock') {
      if (m[2] === 'host' || m[2] === 'rt') a.rtcClock = 'host';
      else if (m[2] === 'vm') a.rtcClock = 'vm';
      else throw new UsageError(`invalid -rtc clock '${m[2]}' (host, rt or vm)`);
    } else if (m[2] !== 'none' && m[2] !== 'slew') {
      throw new UsageError(`invalid -rtc driftfix '${m[2]}'`);
    }
  }
}

export function parseRunArgs(argv: string[]): RunArgs {
  const a: RunArgs = {
    machine: 'ppce500', cpu: 'e500mc', ramBytes: 128 * 1024 * 1024, append: '', nographic: false,
    serial: 'stdio', monitor: 'default', noReboot: false, trace: new Set(), dumpTlb: false,
    startPaused: false, qmp: [], lazyTlb: false,
  };
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`option ${flag} needs an argument`);
    return v;
  };
  for (; i < argv.length; i++) {
    const raw = argv[i];
    const flag = raw.startsWith('--') ? raw.slice(1) : raw;
    switch (flag) {
      case '-M': case '-machine': {
        const v = value(raw).split(',');
        a.machine = v[0];
        for (const opt of v.slice(1)) {
          const m = /^dumpdtb=(.+)$/.exec(opt);
          if (!m) throw new UsageError(`unknown machine option '${opt}' (known: dumpdtb=FILE)`);
          a.dumpDtb = m[1];
        }
        break;
      }
      case '-cpu': a.cpu = value(raw); break;
      case '-m': {
        const v = value(raw);
        const size = parseSize(v.replace(/^size=/, ''));
        if (size < MIN_RAM || size > MAX_RAM) throw new UsageError(`memory size ${v} out of range (16M to 2G)`);
        if (size % (1 << 20) !== 0) throw new UsageError(`memory size ${v} is not a whole number of MiB`);
        a.ramBytes = size;
        break;
      }
      case '-kernel': a.kernel = value(raw); break;
      case '-initrd': a.initrd = value(raw); break;
      case '-append': a.append = value(raw); break;
      case '-bios': a.bios = value(raw); break;
      case '-dtb': a.dtb = value(raw); break;
      case '-nographic': a.nographic = true; break;
      case '-serial': a.serial = value(raw); break;
      case '-monitor': a.monitor = value(raw); break;
      case '-no-reboot': a.noReboot = true; break;
      case '-nic': case '-net': {
        // tkvm's machine has no network card: only QEMU's way of saying "none" is accepted,
        // so a QEMU command line for a machine without network runs unchanged.
        const v = value(raw);
        if (v !== 'none') throw new UsageError(`unsupported ${raw} '${v}' (this machine has no network: only 'none')`);
        break;
      }
      case '-dump-tlb': a.dumpTlb = true; break;
      case '-s': a.gdb = 'tcp::1234'; break;
      case '-gdb': a.gdb = value(raw); break;
      case '-S': a.startPaused = true; break;
      case '-qmp': a.qmp.push(value(raw)); break;
      case '-loadvm': a.loadvm = value(raw); break;
      case '-rtc': parseRtc(a, value(raw)); break;
      case '-accel': {
        const [name, ...opts] = value(raw).split(',');
        if (name !== 'tkvm' && name !== 'kvm') throw new UsageError(`unsupported accelerator '${name}' (tkvm is the only one; kvm is accepted as its name)`);
        for (const o of opts) {
          const m = /^lazy-tlb=(on|off)$/.exec(o);
          if (!m) throw new UsageError(`unknown -accel option '${o}' (known: lazy-tlb=on|off)`);
          a.lazyTlb = m[1] === 'on';
        }
        break;
      }
      case '-icount': {
        const v = value(raw);
        const m = /^(?:shift=)?(\d+)/.exec(v);
        if (!m || +m[1] > 10) throw new UsageError(`invalid -icount '${v}' (shift=N, N from 0 to 10)`);
        a.icount = +m[1];
        break;
      }
      case '-trace': case '-d': {
        for (const ev of value(raw).split(',')) {
          if (!(TRACE_EVENTS as readonly string[]).includes(ev)) {
            throw new UsageError(`unknown trace event '${ev}' (known: ${TRACE_EVENTS.join(', ')})`);
          }
          a.trace.add(ev);
        }
        break;
      }
      default:
        if (raw.startsWith('-')) throw new UsageError(`unknown option '${raw}'`);
        throw new UsageError(`unexpected argument '${raw}'`);
    }
  }
  if (a.machine !== 'ppce500') throw new UsageError(`unsupported machine '${a.machine}' (only ppce500)`);
  if (a.cpu !== 'e500mc') throw new UsageError(`unsupported cpu '${a.cpu}' (only e500mc)`);
  if (a.serial === 'null') a.serial = 'none';
  if (a.serial !== 'stdio' && a.serial !== 'mon:stdio' && a.serial !== 'none') {
    throw new UsageError(`unsupported -serial '${a.serial}' (stdio, mon:stdio or none)`);
  }
  if (!['default', 'none', 'stdio'].includes(a.monitor)) throw new UsageError(`unsupported -monitor '${a.monitor}' (stdio or none)`);
  if (a.gdb === 'none') a.gdb = undefined;
  if (!a.kernel && !a.bios) throw new UsageError('nothing to run: give -kernel or -bios');
  if (a.monitor === 'stdio' && a.serial === 'mon:stdio') throw new UsageError('-monitor stdio and -serial mon:stdio both want stdio (use one)');
  if (a.initrd !== undefined && !a.kernel) throw new UsageError('-initrd needs -kernel (as in QEMU)');
  return a;
}
