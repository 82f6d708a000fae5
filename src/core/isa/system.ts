// Privileged and system instructions: MSR and SPR access, interrupt returns,
// system call, wait, synchronization and cache management.

import type { Cpu } from '../cpu.js';
import { CoreExit, IntClass } from '../cpu.js';
import { translateData } from '../mem.js';
import { ESR, HID0_DAPUEN, IVOR, MAS, MSR, MSR_GUEST_MASK } from '../regbits.js';
import { SPR, SprAccess, sprTable } from '../spr.js';
import { BRANCH, COMMON, FAULT, helper, P, PRIV, PURE, RETURN, SYNC, X, type InsnDef } from './decode.js';
import { defineRuntime } from './runtime.js';
import type { Sem } from './sem.js';
import { raiseAlignment, eaX } from './loadstore.js';
import { mmucsr0Write } from './tlb.js';
import { privileged } from './privilege.js';

const rD = (w: number) => (w >>> 21) & 31;

// ---- MSR ----

const mfmsr: Sem = (x) => `${x.privileged()} ${x.W('rt')} = c.msr;`;
function mtmsr(c: Cpu, w: number): void {
  if (!privileged(c)) return;
  c.setMsr(c.gpr[rD(w)] & MSR_GUEST_MASK);
}
function wrtee(c: Cpu, w: number): void {
  if (!privileged(c)) return;
  c.setMsr((c.msr & ~MSR.EE) | (c.gpr[rD(w)] & MSR.EE));
}
function wrteei(c: Cpu, w: number): void {
  if (!privileged(c)) return;
  c.setMsr((c.msr & ~MSR.EE) | (w & MSR.EE));
}

// ---- interrupt returns ----

function ret(c: Cpu, srr0: number, srr1: number): void {
  c.setMsr(c.spr[srr1] & MSR_GUEST_MASK);
  c.nip = c.spr[srr0] & ~3;
  // A pending interrupt unmasked by the new MSR is taken before the target runs.
  c.sliceEnd = 0;
}
function rfi(c: Cpu): void { if (privileged(c)) ret(c, SPR.SRR0, SPR.SRR1); }
function rfci(c: Cpu): void { if (privileged(c)) ret(c, SPR.CSRR0, SPR.CSRR1); }
function rfmci(c: Cpu): void { if (privileged(c)) ret(c, SPR.MCSRR0, SPR.MCSRR1); }
function rfdi(c: Cpu): void {
  if (!privileged(c)) return;
  if ((c.spr[SPR.HID0] & HID0_DAPUEN) === 0) {
    c.raiseProgram(ESR.PIL);
    return;
  }
  ret(c, SPR.DSRR0, SPR.DSRR1);
}

// ---- system call, hypercall, debug instruction ----

function sc(c: Cpu, w: number): void {
  const lev = (w >>> 5) & 0x7f;
  if (lev === 1) {
    // ePAPR hypercall (sc 1): for the hypervisor, i.e. the API layer; from
    // user mode it is a privileged instruction, as KVM treats it.
    if ((c.msr & MSR.PR) !== 0) {
      c.raiseProgram(ESR.PPR);
      return;
    }
    c.hcallPending = true;
    c.exit = CoreExit.Hcall;
    c.sliceEnd = 0;
    return;
  }
  c.interrupt(IVOR.SYSCALL, c.nip, IntClass.Base);
}

/** ehpriv with OC = 1: KVM for e500mc emulates it as a debug exit (EHPRIV_OC_DEBUG). */
export const DEBUG_INST = 0x7c000a1c | 0;

/**
 * The software breakpoint KVM reports in KVM_REG_PPC_DEBUG_INST on Book E
 * (KVMPPC_INST_SW_BREAKPOINT, Linux 6.1): an illegal instruction that, with
 * KVM_GUESTDBG_USE_SW_BP, leaves the guest instead of raising a program
 * interrupt.
 */
export const SW_BREAKPOINT_INST = 0x00dddd00;

/** A software breakpoint: leave the core before the instruction at pc (debug status 2). */
export function softwareBreakpoint(c: Cpu): void {
  c.debugExit(c.pc, 2);
  c.nip = c.pc;
  c.abort = true;
}

function ehpriv(c: Cpu, w: number): void {
  if (w === DEBUG_INST && c.debug.swBreak) {
    softwareBreakpoint(c);
    return;
  }
  // Without a hypervisor to claim it, ehpriv is not an instruction of the guest.
  c.raiseProgram(ESR.PIL);
}

// ---- SPR access ----

export function sprNum(w: number): number {
  return ((w >>> 16) & 0x1f) | ((w >>> 6) & 0x3e0);
}

function mfsprAny(c: Cpu, w: number): void {
  const n = sprNum(w);
  const def = sprTable[n];
  if ((n & 0x10) !== 0 && (c.msr & MSR.PR) !== 0) {
    c.raiseProgram(ESR.PPR);
    return;
  }
  if (def === undefined || (def.access & SprAccess.Read) === 0) {
    c.raiseProgram(ESR.PIL);
    return;
  }
  c.gpr[rD(w)] = def.special ? readSpecial(c, n) : c.spr[n];
}

function readSpecial(c: Cpu, n: number): number {
  switch (n) {
    case SPR.XER: return c.getXer();
    case SPR.LR: return c.lr;
    case SPR.CTR: return c.ctr;
    case SPR.DEC: return c.timers.readDec();
    case SPR.TBL_R: return c.timers.readTb() % 0x100000000 | 0;
    case SPR.TBU_R: return Math.floor(c.timers.readTb() / 0x100000000) | 0;
    case SPR.USPRG3: return c.spr[SPR.SPRG3];
    case SPR.SPRG4R: case SPR.SPRG5R: case SPR.SPRG6R: case SPR.SPRG7R:
      return c.spr[n + 16];
    case SPR.TSR:
      c.timers.update();
      return c.spr[SPR.TSR];
    default: return c.spr[n];
  }
}

function mtsprAny(c: Cpu, w: number): void {
  const n = sprNum(w);
  const def = sprTable[n];
  if ((n & 0x10) !== 0 && (c.msr & MSR.PR) !== 0) {
    c.raiseProgram(ESR.PPR);
    return;
  }
  if (def === undefined || (def.access & SprAccess.Write) === 0) {
    c.raiseProgram(ESR.PIL);
    return;
  }
  const v = c.gpr[rD(w)];
  if (def.special) writeSpecial(c, n, v);
  else c.spr[n] = (c.spr[n] & ~def.writeMask) | (v & def.writeMask);
}

export function writeSpecial(c: Cpu, n: number, v: number): void {
  switch (n) {
    case SPR.XER: c.setXer(v); return;
    case SPR.LR: c.lr = v; return;
    case SPR.CTR: c.ctr = v; return;
    case SPR.DEC: c.timers.writeDec(v); return;
    case SPR.PID: c.setPid(v); return;
    case SPR.TBL_W: c.timers.writeTbl(v); return;
    case SPR.TBU_W: c.timers.writeTbu(v); return;
    case SPR.TCR: c.timers.writeTcr(v); return;
    case SPR.TSR: c.timers.writeTsr(v); return;
    case SPR.DBSR: c.spr[SPR.DBSR] &= ~v; return; // write one to clear
    case SPR.MCSR: c.spr[SPR.MCSR] &= ~v; return; // write one to clear
    case SPR.L1CSR0: case SPR.L1CSR1:
      // Flash invalidate (CFI) and lock flash clear (CLFC) complete at once.
      c.spr[n] = v & ~0x00000102;
      return;
    case SPR.MMUCSR0: mmucsr0Write(c, v); return;
    case SPR.BUCSR:
      // Branch unit: the branch-buffer flash invalidate (BBFI) completes at once.
      c.spr[SPR.BUCSR] = v & ~0x00000200;
      return;
    case SPR.DBCR0: case SPR.DBCR1: case SPR.DBCR2:
    case SPR.IAC1: case SPR.IAC2: case SPR.DAC1: case SPR.DAC2:
      c.spr[n] = n === SPR.IAC1 || n === SPR.IAC2 ? v & ~3 : v;
      c.debugChanged();
      return;
    default: c.spr[n] = v;
  }
}

defineRuntime({ mfsprAny, mtsprAny });

/**
 * mfspr and mtspr: LR, CTR and XER are the common ones (mflr, mtctr, ...)
 * and need neither a privilege check nor the SPR table; the rest go
 * through it.
 */
const mfspr: Sem = (x) =>
  x.if('spr === 8', `${x.W('rt')} = ${x.LR};`,
    x.if('spr === 9', `${x.W('rt')} = ${x.CTR};`,
      x.if('spr === 1', `${x.W('rt')} = (${x.SO} << 31) | (${x.OV} << 30) | (${x.CA} << 29) | (c.xerRest & 0x1fffffff);`,
        x.call('mfsprAny(c, w)'))));
const mtspr: Sem = (x) =>
  x.if('spr === 8', `${x.LR} = ${x.R('rs')};`,
    x.if('spr === 9', `${x.CTR} = ${x.R('rs')};`,
      x.if('spr === 1', `const v = ${x.R('rs')}; ${x.SO} = (v >>> 31) & 1; ${x.OV} = (v >>> 30) & 1; ${x.CA} = (v >>> 29) & 1; c.xerRest = v & 0x7f;`,
        x.call('mtsprAny(c, w)'))));

function mftb(c: Cpu, w: number): void {
  const n = sprNum(w);
  if (n !== SPR.TBL_R && n !== SPR.TBU_R) {
    c.raiseProgram(ESR.PIL);
    return;
  }
  c.gpr[rD(w)] = readSpecial(c, n);
}

// ---- wait, synchronization ----

function wait(c: Cpu): void {
  c.waiting = true;
  c.sliceEnd = 0;
}

// ---- cache management ----

/** dcbf, dcbst, icbi: translated like a load (may fault), no other effect. */
function cacheOpLoad(c: Cpu, w: number): void {
  translateData(c, eaX(c, w), false);
}
/** icbi: translated like a load; drops the decoded blocks of the page. */
function icbi(c: Cpu, w: number): void {
  const pa = translateData(c, eaX(c, w), false);
  if (pa < 0) return;
  if (c.mem.find(pa)?.dropCode(pa)) c.sliceEnd = 0;
}

/** dcbi: privileged, translated like a store. */
function dcbi(c: Cpu, w: number): void {
  if (!privileged(c)) return;
  translateData(c, eaX(c, w), true);
}
/**
 * Cache locking in user mode needs MSR[UCLE]; without it the instruction
 * takes a cache-locking Data Storage interrupt (Book E; e500 RM table 5-6):
 * ESR[DLK] for the data-cache forms, ESR[ILK] for icbtls/icblc.
 */
function cacheLockCheck(c: Cpu, w: number, icache: boolean): void {
  const ea = eaX(c, w);
  if ((c.msr & MSR.PR) !== 0 && (c.msr & MSR.UCLE) === 0) {
    c.spr[SPR.DEAR] = ea;
    c.spr[SPR.ESR] = icache ? ESR.ILK : ESR.DLK;
    c.interrupt(IVOR.DSI, c.pc, IntClass.Base);
    c.abort = true;
    return;
  }
  translateData(c, ea, false);
}
function dcacheLock(c: Cpu, w: number): void { cacheLockCheck(c, w, false); }
function icacheLock(c: Cpu, w: number): void { cacheLockCheck(c, w, true); }

export const CACHE_LINE = 64;

/** dcbz: zero a 64-byte line; write-through or cache-inhibited pages raise alignment (e500mc). */
function dcbz(c: Cpu, w: number): void {
  const ea = eaX(c, w) & ~(CACHE_LINE - 1);
  const pa = translateData(c, ea, true, CACHE_LINE);
  if (pa < 0) return;
  if ((c.tc.lastWimge & (MAS.WIMGE_W | MAS.WIMGE_I)) !== 0) {
    raiseAlignment(c, eaX(c, w), true);
    return;
  }
  const slot = c.mem.find(pa);
  if (slot !== null && !slot.readonly && pa + CACHE_LINE <= slot.base + slot.size) {
    slot.u8.fill(0, pa - slot.base, pa - slot.base + CACHE_LINE);
    if (slot.logDirty) slot.markDirty(pa);
    if (slot.dropCode(pa)) c.sliceEnd = 0;
    return;
  }
  // Not RAM (MMIO is cache-inhibited on this machine).
  raiseAlignment(c, eaX(c, w), true);
}

export const systemInsns: InsnDef[] = [
  P('sc', 17, 'lev', BRANCH | FAULT | SYNC, helper(sc)),
  X('rfmci', 19, 38, '', BRANCH | PRIV | FAULT | SYNC, helper(rfmci)),
  X('rfdi', 19, 39, '', BRANCH | PRIV | FAULT | SYNC, helper(rfdi)),
  X('rfi', 19, 50, '', BRANCH | PRIV | FAULT | SYNC | RETURN, helper(rfi)),
  X('rfci', 19, 51, '', BRANCH | PRIV | FAULT | SYNC | RETURN, helper(rfci)),
  X('isync', 19, 150, '', PURE, () => ''),
  X('icbt', 31, 22, 'ct,ra0,rb', PURE, () => ''),
  X('dcbst', 31, 54, 'ra0,rb', FAULT, helper(cacheOpLoad)),
  X('wait', 31, 62, '', SYNC, helper(wait)),
  X('mfmsr', 31, 83, 'rt', PRIV | FAULT, mfmsr),
  X('dcbf', 31, 86, 'ra0,rb', FAULT, helper(cacheOpLoad)),
  X('wrtee', 31, 131, 'rs', PRIV | FAULT | SYNC, helper(wrtee)),
  X('dcbtstls', 31, 134, 'ct,ra0,rb', FAULT, helper(dcacheLock)),
  X('mtmsr', 31, 146, 'rs', PRIV | FAULT | SYNC, helper(mtmsr)),
  X('wrteei', 31, 163, 'e', PRIV | FAULT | SYNC, helper(wrteei)),
  X('dcbtls', 31, 166, 'ct,ra0,rb', FAULT, helper(dcacheLock)),
  X('icblc', 31, 230, 'ct,ra0,rb', FAULT, helper(icacheLock)),
  X('dcbtst', 31, 246, 'ct,ra0,rb', PURE, () => ''),
  X('ehpriv', 31, 270, 'oc', FAULT, helper(ehpriv)),
  X('dcbt', 31, 278, 'ct,ra0,rb', PURE, () => ''),
  X('mfspr', 31, 339, 'rt,spr', COMMON | FAULT, mfspr),
  X('mftb', 31, 371, 'rt,tbr', FAULT, helper(mftb)),
  X('dcblc', 31, 390, 'ct,ra0,rb', FAULT, helper(dcacheLock)),
  X('mtspr', 31, 467, 'spr,rs', COMMON | FAULT, mtspr),
  X('dcbi', 31, 470, 'ra0,rb', PRIV | FAULT, helper(dcbi)),
  X('icbtls', 31, 486, 'ct,ra0,rb', FAULT, helper(icacheLock)),
  X('sync', 31, 598, 'l', PURE, () => ''),
  X('dcba', 31, 758, 'ra0,rb', PURE, () => ''),
  X('mbar', 31, 854, 'mo', PURE, () => ''),
  X('icbi', 31, 982, 'ra0,rb', FAULT | SYNC, helper(icbi)),
  X('dcbz', 31, 1014, 'ra0,rb', FAULT, helper(dcbz)),
];
