// Command-line parsing for `tkvm run`, in QEMU's spelling for this machine.

import { parseJitSetting } from '../kvm/index.js';
import { parseDrive, StorageError, type DriveSpec } from '../platform/node/file-storage.js';
import { MAX_VIRTIO_DEVICES } from '../vmm/machine/ppce500.js';

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
  /** -accel tkvm,jit=off|on|force|N: instructions from an entry before translation (0: never); undefined: the default. */
  jitThreshold?: number;
  /** virtio-blk disks in the guest's order (vda, vdb, ...). */
  drives: DriveSpec[];
  /** A virtio console (hvc0) on the terminal. */
  virtioConsole: boolean;
  /** A virtio entropy source. */
  virtioRng: boolean;
  /** What a guest panic (reported through pvpanic) does. */
  panicAction: PanicAction;
  /** -no-shutdown: a guest power-off stops the guest and leaves tkvm running (until Ctrl-A X). */
  noShutdown: boolean;
}

/**
 * QEMU's `-action panic=...`: `exit-failure` ends tkvm with status 1 (tkvm's
 * default; QEMU's is `shutdown`), `shutdown` ends it with status 0 as a
 * power-off does, `pause` stops the guest and leaves tkvm running (Ctrl-A X
 * quits, status 1), `none` lets the guest go on (Linux then waits for its
 * `panic=` timeout and reboots).
 */
export type PanicAction = 'exit-failure' | 'shutdown' | 'pause' | 'none';
const PANIC_ACTIONS: readonly PanicAction[] = ['exit-failure', 'shutdown', 'pause', 'none'];


/** `-device` names for the virtio-mmio devices, QEMU's first. */
const DEVICE_NAMES: Record<string, 'blk' | 'console' | 'rng'> = {
  'virtio-blk-device': 'blk', 'virtio-blk': 'blk',
  'virtio-serial-device': 'console', 'virtio-serial': 'console', 'virtconsole': 'console',
  'virtio-rng-device': 'rng', 'virtio-rng': 'rng',
};

/** `-device NAME[,key=value...]`: the name and its options. */
function parseDevice(spec: string): { name: string; opts: Map<string, string> } {
  const [name, ...parts] = spec.split(',');
  const opts = new Map<string, string>();
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq < 0) throw new UsageError(`-device ${name}: expected key=value, got '${p}'`);
    opts.set(p.slice(0, eq), p.slice(eq + 1));
  }
  return { name, opts };
}

const MIN_RAM = 16 * 1024 * 1024;
const MAX_RAM = 2048 * 1024 * 1024;
export const TRACE_EVENTS = ['mmio', 'int', 'exit', 'jit'] as const;

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
    drives: [], virtioConsole: false, virtioRng: false, panicAction: 'exit-failure', noShutdown: false,
  };
  let panicAction: PanicAction | undefined;
  /** -drive if=none,id=X, waiting for a -device virtio-blk-device,drive=X. */
  const unattached = new Map<string, DriveSpec>();
  const attached = new Set<string>();
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
          const j = /^jit=(.*)$/.exec(o);
          if (m) {
            a.lazyTlb = m[1] === 'on';
          } else if (j) {
            try {
              a.jitThreshold = parseJitSetting(j[1]);
            } catch {
              throw new UsageError(`invalid -accel jit='${j[1]}' (off, on, force, or instructions before translation)`);
            }
          } else {
            throw new UsageError(`unknown -accel option '${o}' (known: lazy-tlb=on|off, jit=off|on|force|N)`);
          }
        }
        break;
      }
      case '-drive': {
        let d: DriveSpec;
        try {
          d = parseDrive(value(raw));
        } catch (e) {
          if (e instanceof StorageError) throw new UsageError(e.message);
          throw e;
        }
        if (d.iface === 'virtio') a.drives.push(d);
        else if (d.id === undefined) throw new UsageError(`-drive if=none needs an id= (for -device virtio-blk-device,drive=ID)`);
        else if (unattached.has(d.id)) throw new UsageError(`-drive: duplicate id '${d.id}'`);
        else unattached.set(d.id, d);
        break;
      }
      case '-device': {
        const { name, opts } = parseDevice(value(raw));
        const kind = DEVICE_NAMES[name];
        if (kind === undefined) {
          if (/^virtio-.*-pci$/.test(name)) {
            throw new UsageError(`-device ${name}: this machine's virtio devices are virtio-mmio (use ${name.replace(/-pci$/, '-device')})`);
          }
          throw new UsageError(`unsupported -device '${name}' (known: ${Object.keys(DEVICE_NAMES).join(', ')})`);
        }
        for (const k of opts.keys()) {
          if (k !== 'id' && !(kind === 'blk' && k === 'drive')) throw new UsageError(`-device ${name}: unsupported option '${k}'`);
        }
        if (kind === 'blk') {
          const id = opts.get('drive');
          if (id === undefined) throw new UsageError(`-device ${name} needs drive=ID (a -drive if=none,id=ID,file=...)`);
          const d = unattached.get(id);
          if (d === undefined) throw new UsageError(`-device ${name}: no -drive if=none with id '${id}' before it`);
          if (attached.has(id)) throw new UsageError(`-device ${name}: drive '${id}' is already in use`);
          attached.add(id);
          a.drives.push(d);
        } else if (kind === 'console') {
          a.virtioConsole = true;
        } else {
          a.virtioRng = true;
        }
        break;
      }
      case '-action': {
        for (const part of value(raw).split(',')) {
          const m = /^panic=(.*)$/.exec(part);
          if (!m) throw new UsageError(`unsupported -action '${part}' (known: panic=${PANIC_ACTIONS.join('|')})`);
          if (!(PANIC_ACTIONS as readonly string[]).includes(m[1])) {
            throw new UsageError(`invalid -action panic='${m[1]}' (${PANIC_ACTIONS.join(', ')})`);
          }
          panicAction = m[1] as PanicAction;
        }
        break;
      }
      case '-no-shutdown': a.noShutdown = true; break;
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
  // As QEMU: -no-shutdown turns the default panic action (a shutdown) into a pause.
  a.panicAction = panicAction ?? (a.noShutdown ? 'pause' : 'exit-failure');
  const virtio = a.drives.length + (a.virtioConsole ? 1 : 0) + (a.virtioRng ? 1 : 0);
  if (virtio > MAX_VIRTIO_DEVICES) {
    throw new UsageError(`too many virtio devices (${virtio}): the machine has interrupt sources for ${MAX_VIRTIO_DEVICES}`);
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
