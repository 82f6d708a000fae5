// A streaming parser for QEMU's per-instruction CPU trace:
//   qemu-system-ppc ... -singlestep -d cpu,fpu,int,nochain -D FILE
// With one instruction per translation block and no block chaining, QEMU
// dumps the CPU state before every instruction it enters ("NIP ... LR ..."
// up to "MMUCFG ..."), and `-d int` adds a "Raise exception at X => NAME (N)"
// line whenever it delivers an interrupt. The parser works on bytes (a trace
// is gigabytes for a few million instructions): a record's values are
// assigned by the label that precedes them ("GPR04 a b c d" fills r4..r7),
// labels are recognised by a hash of their bytes, and nothing is allocated
// per record beyond the record itself.

import { F, NSLOTS, newState, type State } from './fields.js';

/** One dump: the state before an instruction, and the interrupts QEMU raised just before it. */
export interface TraceRecord {
  state: State;
  /** Interrupts delivered between the previous record and this one (QEMU's exception numbers). */
  exceptions: number[];
  /** For each of those, the address QEMU reported it at. */
  exceptionAt: number[];
}

/** What follows a label: the slot its first value goes to, and how values are stored. */
interface LabelInfo { slot: number; wide: boolean }

const IGNORE: LabelInfo = { slot: -1, wide: false };

function hashBytes(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

const LABELS = new Map<number, LabelInfo>();
function label(name: string, slot: number, wide = false): void {
  const h = hashBytes(name);
  if (LABELS.has(h)) throw new Error(`trace label hash collision: ${name}`);
  LABELS.set(h, { slot, wide });
}
label('NIP', F.nip); label('LR', F.lr); label('CTR', F.ctr); label('XER', F.xer);
label('MSR', F.msr); label('CR', F.cr); label('FPSCR', F.fpscr);
label('SRR0', F.srr0); label('SRR1', F.srr1); label('PVR', F.pvr);
for (let i = 0; i <= 8; i++) label(`SPRG${i}`, F.sprg0 + i);
label('CSRR0', F.csrr0); label('CSRR1', F.csrr1); label('MCSRR0', F.mcsrr0); label('MCSRR1', F.mcsrr1);
label('TCR', F.tcr); label('TSR', F.tsr); label('ESR', F.esr); label('DEAR', F.dear);
label('PIR', F.pir); label('DECAR', F.decar); label('IVPR', F.ivpr); label('EPCR', F.epcr);
label('MCSR', F.mcsr); label('EPR', F.epr); label('MCAR', F.mcar); label('SVR', F.svr);
for (let i = 0; i <= 4; i++) label(`MAS${i}`, F.mas0 + i);
label('MAS6', F.mas6); label('MAS7', F.mas7); label('PID', F.pid);
label('MMUCFG', F.mmucfg); label('TLB0CFG', F.tlb0cfg); label('TLB1CFG', F.tlb1cfg);
for (let i = 0; i < 32; i += 4) {
  label(`GPR${String(i).padStart(2, '0')}`, F.gpr0 + i);
  label(`FPR${String(i).padStart(2, '0')}`, F.fpr0 + 2 * i, true);
}
// Printed, but not architected state to compare (or printed in decimal: TB, DECR).
for (const n of ['CPU#0', 'HID0', 'HF', 'iidx', 'didx', 'TB', 'DECR', 'RES', 'VRSAVE', 'PID1', 'PID2']) {
  LABELS.set(hashBytes(n), IGNORE);
}

const C_NL = 10, C_SP = 32, C_LB = 91, C_RB = 93;
const RAISE = 'Raise exception at ';

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export class TraceParseError extends Error {}

/**
 * Feed it chunks of the trace; it calls `onRecord` for every complete
 * record (a record is complete when the next one starts, or at `end()`).
 */
export class TraceParser {
  private cur: TraceRecord | null = null;
  private pendingExc: number[] = [];
  private pendingAt: number[] = [];
  private carry: Uint8Array = new Uint8Array(0);
  /** Lines that were neither part of a dump nor an interrupt report (kept for messages). */
  otherLines = 0;

  constructor(private readonly onRecord: (r: TraceRecord) => void) {}

  push(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.carry.length > 0) {
      buf = new Uint8Array(this.carry.length + chunk.length);
      buf.set(this.carry);
      buf.set(chunk, this.carry.length);
    }
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(C_NL, start);
      if (nl < 0) break;
      this.line(buf, start, nl);
      start = nl + 1;
    }
    this.carry = buf.slice(start);
  }

  end(): void {
    if (this.carry.length > 0) this.line(this.carry, 0, this.carry.length);
    this.carry = new Uint8Array(0);
    this.flush();
  }

  private flush(): void {
    if (this.cur !== null) this.onRecord(this.cur);
    this.cur = null;
  }

  private line(b: Uint8Array, s: number, e: number): void {
    // Interrupt report: "Raise exception at 00102a34 => SYSCALL (8) error=00".
    if (b[s] === 82 /* R */) {
      const text = new TextDecoder().decode(b.subarray(s, e));
      if (text.startsWith(RAISE)) {
        const m = /^Raise exception at ([0-9a-fA-F]+) => \S+ \((\d+)\)/.exec(text);
        if (m === null) throw new TraceParseError(`unexpected interrupt line in QEMU's trace: ${text}`);
        this.pendingAt.push(parseInt(m[1], 16) >>> 0);
        this.pendingExc.push(parseInt(m[2], 10));
        return;
      }
    }
    // A dump line: a sequence of "LABEL value value ..." groups.
    let i = s;
    let info: LabelInfo | null = null;
    let n = 0;
    let first = true;
    while (i < e) {
      const c = b[i];
      if (c === C_SP) { i++; continue; }
      if (c === C_LB) { // CR's flag letters: "[ -  E  -  ... ]"
        while (i < e && b[i] !== C_RB) i++;
        i++;
        continue;
      }
      // One token.
      let j = i;
      let h = 0;
      let hi = 0, lo = 0, isNum = true;
      while (j < e && b[j] !== C_SP) {
        const ch = b[j];
        h = (Math.imul(h, 31) + ch) | 0;
        const d = hexDigit(ch);
        if (d < 0) isNum = false;
        else { hi = ((hi << 4) | (lo >>> 28)) >>> 0; lo = ((lo << 4) | d) >>> 0; }
        j++;
      }
      const lab = isNum ? undefined : LABELS.get(h);
      if (lab !== undefined) {
        if (first && lab.slot === F.nip) this.startRecord();
        info = lab;
        n = 0;
      } else if (first) {
        this.otherLines++;
        return; // not a dump line (e.g. -d int's "syscall r0=..." details)
      } else if (info !== null && info.slot >= 0 && this.cur !== null) {
        if (!isNum) throw new TraceParseError(`unexpected token in QEMU's trace: ${new TextDecoder().decode(b.subarray(i, j))}`);
        const st = this.cur.state;
        if (info.wide) { st[info.slot + 2 * n] = hi; st[info.slot + 2 * n + 1] = lo; }
        else st[info.slot + n] = lo;
        n++;
      }
      first = false;
      i = j;
    }
  }

  private startRecord(): void {
    this.flush();
    this.cur = { state: newState(), exceptions: this.pendingExc, exceptionAt: this.pendingAt };
    this.pendingExc = [];
    this.pendingAt = [];
  }
}

/** QEMU's PowerPC exception numbers (POWERPC_EXCP_*) for Book E, as its trace prints them. */
export const QemuExcp = {
  CRITICAL: 0, MCHECK: 1, DSI: 2, ISI: 3, EXTERNAL: 4, ALIGN: 5, PROGRAM: 6, FPU: 7, SYSCALL: 8, APU: 9,
  DECR: 10, FIT: 11, WDT: 12, DTLB: 13, ITLB: 14, DEBUG: 15,
} as const;

/** Interrupts that come from outside the instruction stream (timers, interrupt inputs). */
export function isAsynchronous(excp: number): boolean {
  return excp === QemuExcp.CRITICAL || excp === QemuExcp.EXTERNAL || excp === QemuExcp.DECR ||
    excp === QemuExcp.FIT || excp === QemuExcp.WDT;
}

export const TRACE_SLOTS = NSLOTS;
