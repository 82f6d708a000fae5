// KVM_GET_ONE_REG / KVM_SET_ONE_REG / KVM_GET_REG_LIST for an e500mc vCPU:
// the KVM_REG_PPC_* ids of the Book E registers, with the sizes the headers
// give them. A U32 register's value is a number, a U64 register's a bigint.
//
// Errors, as KVM's ppc code has them: an id that names no register of this
// vCPU, including a known register with the wrong size field, is EINVAL
// (booke.c/e500_mmu.c end in `r = -EINVAL`); a value of the wrong type or
// range for the register's size, or with bits the register cannot hold, is
// EINVAL; a read-only register accepts only its current value (KVM does that
// for MMUCFG and TLBnCFG). Registers without a ONE_REG id (IVORs, SPRG0-8,
// CSRR/MCSRR/DSRR, ...) are in kvm_sregs; SPRG0-7 and the GPRs in kvm_regs.

import type { Cpu } from '../core/cpu.js';
import { SW_BREAKPOINT_INST } from '../core/isa/system.js';
import { MMUCFG_E500MC, SPR } from '../core/spr.js';
import { hex, u32, u64 } from './check.js';
import { KVM_REG_ARCH_MASK, KVM_REG_PPC, KVM_REG_SIZE_MASK, Reg, regFpr, regSize } from './constants.js';
import { fail } from './errors.js';

export type RegValue = number | bigint;

/** vCPU state kept by the API layer rather than the core. */
export interface OneRegVcpu {
  /** TKVM_ICOUNT_DEADLINE as a number (Infinity: none). */
  icountDeadline: number;
}

interface RegDef {
  readonly name: string;
  /** Listed by KVM_GET_REG_LIST (write-only pseudo registers are not). */
  readonly listed: boolean;
  get?(c: Cpu, x: OneRegVcpu): RegValue;
  /** Validate `v` (already checked for type and size) and return a function that applies it. */
  check?(c: Cpu, v: RegValue, x: OneRegVcpu): () => void;
}

const DEFS = new Map<bigint, RegDef>();

function def(id: bigint, d: RegDef): void {
  if (DEFS.has(id)) throw new Error(`duplicate ONE_REG id ${hex(id)}`);
  DEFS.set(id, d);
}

const low32 = (v: RegValue, name: string): number => {
  const b = v as bigint;
  if (b > 0xffffffffn) fail('EINVAL', `${name} = ${hex(b)} does not fit the 32-bit register of an e500mc`);
  return Number(b) | 0;
};
const masked = (v: number, mask: number, name: string): number => {
  if ((v & ~mask) !== 0) fail('EINVAL', `${name} = ${hex(v)} sets bits the register does not implement (${hex(v & ~mask)})`);
  return v;
};

/** A plain 32-bit SPR behind a U32 or U64 id. */
function sprReg(id: bigint, name: string, spr: number, mask = -1): void {
  const wide = regSize(id) === 8;
  def(id, {
    name, listed: true,
    get: (c) => (wide ? BigInt(c.spr[spr] >>> 0) : c.spr[spr] >>> 0),
    check: (c, v) => {
      const x = masked(wide ? low32(v, name) : (v as number) | 0, mask, name);
      return () => { c.spr[spr] = x; };
    },
  });
}

/** A read-only register: reading gives `value`; writing it back unchanged is allowed. */
function roReg(id: bigint, name: string, value: (c: Cpu) => number): void {
  def(id, {
    name, listed: true,
    get: (c) => value(c) >>> 0,
    check: (c, v) => {
      if ((v as number) !== value(c) >>> 0) fail('EINVAL', `${name} is read-only (${hex(value(c))}, got ${hex(v as number)})`);
      return () => {};
    },
  });
}

sprReg(Reg.IAC1, 'KVM_REG_PPC_IAC1', SPR.IAC1, 0xfffffffc | 0);
sprReg(Reg.IAC2, 'KVM_REG_PPC_IAC2', SPR.IAC2, 0xfffffffc | 0);
sprReg(Reg.DAC1, 'KVM_REG_PPC_DAC1', SPR.DAC1);
sprReg(Reg.DAC2, 'KVM_REG_PPC_DAC2', SPR.DAC2);
for (let i = 0; i < 32; i++) {
  const name = `KVM_REG_PPC_FPR${i}`;
  def(regFpr(i), {
    name, listed: true,
    get: (c) => (BigInt(c.fprw[2 * i + 1]) << 32n) | BigInt(c.fprw[2 * i]),
    check: (c, v) => {
      const b = v as bigint;
      return () => {
        c.fprw[2 * i + 1] = Number(b >> 32n);
        c.fprw[2 * i] = Number(b & 0xffffffffn);
      };
    },
  });
}
def(Reg.FPSCR, {
  name: 'KVM_REG_PPC_FPSCR', listed: true,
  get: (c) => BigInt(c.fpscr >>> 0),
  check: (c, v) => {
    const x = low32(v, 'KVM_REG_PPC_FPSCR');
    return () => { c.fpscr = x; };
  },
});
sprReg(Reg.EPCR, 'KVM_REG_PPC_EPCR', SPR.EPCR);
sprReg(Reg.EPR, 'KVM_REG_PPC_EPR', SPR.EPR);
def(Reg.OR_TSR, {
  name: 'KVM_REG_PPC_OR_TSR', listed: false,
  check: (c, v) => () => {
    c.timers.update();
    c.spr[SPR.TSR] |= v as number;
    c.sliceEnd = 0;
  },
});
def(Reg.CLEAR_TSR, {
  name: 'KVM_REG_PPC_CLEAR_TSR', listed: false,
  check: (c, v) => () => {
    c.timers.update();
    c.spr[SPR.TSR] &= ~(v as number);
  },
});
def(Reg.TCR, {
  name: 'KVM_REG_PPC_TCR', listed: true,
  get: (c) => c.spr[SPR.TCR] >>> 0,
  check: (c, v) => () => c.timers.setTcr(v as number),
});
def(Reg.TSR, {
  name: 'KVM_REG_PPC_TSR', listed: true,
  get: (c) => {
    c.timers.update();
    return c.spr[SPR.TSR] >>> 0;
  },
  check: (c, v) => () => {
    c.timers.update();
    c.spr[SPR.TSR] = v as number;
    c.sliceEnd = 0;
  },
});
roReg(Reg.DEBUG_INST, 'KVM_REG_PPC_DEBUG_INST', () => SW_BREAKPOINT_INST);
sprReg(Reg.MAS0, 'KVM_REG_PPC_MAS0', SPR.MAS0);
sprReg(Reg.MAS1, 'KVM_REG_PPC_MAS1', SPR.MAS1);
sprReg(Reg.MAS2, 'KVM_REG_PPC_MAS2', SPR.MAS2);
def(Reg.MAS7_3, {
  name: 'KVM_REG_PPC_MAS7_3', listed: true,
  get: (c) => (BigInt(c.spr[SPR.MAS7] >>> 0) << 32n) | BigInt(c.spr[SPR.MAS3] >>> 0),
  check: (c, v) => {
    const b = v as bigint;
    const mas7 = masked(Number(b >> 32n), 0xf, 'KVM_REG_PPC_MAS7_3 (MAS7)');
    const mas3 = Number(b & 0xffffffffn) | 0;
    return () => {
      c.spr[SPR.MAS7] = mas7;
      c.spr[SPR.MAS3] = mas3;
    };
  },
});
sprReg(Reg.MAS4, 'KVM_REG_PPC_MAS4', SPR.MAS4);
sprReg(Reg.MAS6, 'KVM_REG_PPC_MAS6', SPR.MAS6);
roReg(Reg.MMUCFG, 'KVM_REG_PPC_MMUCFG', () => MMUCFG_E500MC);
roReg(Reg.TLB0CFG, 'KVM_REG_PPC_TLB0CFG', (c) => c.spr[SPR.TLB0CFG]);
roReg(Reg.TLB1CFG, 'KVM_REG_PPC_TLB1CFG', (c) => c.spr[SPR.TLB1CFG]);
roReg(Reg.TLB2CFG, 'KVM_REG_PPC_TLB2CFG', () => 0);
roReg(Reg.TLB3CFG, 'KVM_REG_PPC_TLB3CFG', () => 0);
// TLBnPS exist only with MMUCFG[MAVN] = 1 (MMU v2); e500mc is MAV 1.0, so they read as 0.
roReg(Reg.TLB0PS, 'KVM_REG_PPC_TLB0PS', () => 0);
roReg(Reg.TLB1PS, 'KVM_REG_PPC_TLB1PS', () => 0);
roReg(Reg.TLB2PS, 'KVM_REG_PPC_TLB2PS', () => 0);
roReg(Reg.TLB3PS, 'KVM_REG_PPC_TLB3PS', () => 0);
roReg(Reg.EPTCFG, 'KVM_REG_PPC_EPTCFG', () => 0);
def(Reg.TB_OFFSET, {
  // Guest time base = the VM's clock (in time-base ticks) + TB_OFFSET, modulo 2^64.
  name: 'KVM_REG_PPC_TB_OFFSET', listed: true,
  get: (c) => BigInt.asUintN(64, BigInt(c.timers.tbOffset)),
  check: (c, v) => {
    const off = BigInt.asIntN(64, v as bigint);
    if (off > BigInt(Number.MAX_SAFE_INTEGER) || off < -BigInt(Number.MAX_SAFE_INTEGER)) {
      fail('EINVAL', `KVM_REG_PPC_TB_OFFSET ${hex(v as bigint)} is beyond the 2^53 ticks tkvm keeps exactly`);
    }
    return () => {
      const t = c.timers;
      t.update();
      const tb = t.now() + Number(off);
      t.tbOffset = Number(off);
      t.lastTb = tb;
    };
  },
});
sprReg(Reg.VRSAVE, 'KVM_REG_PPC_VRSAVE', SPR.VRSAVE);
sprReg(Reg.SPRG9, 'KVM_REG_PPC_SPRG9', SPR.SPRG9);
def(Reg.DBSR, {
  // Sets the value directly (not write-one-to-clear), like KVM_SET_SREGS with KVM_SREGS_E_UPDATE_DBSR.
  name: 'KVM_REG_PPC_DBSR', listed: true,
  get: (c) => c.spr[SPR.DBSR] >>> 0,
  check: (c, v) => () => { c.spr[SPR.DBSR] = v as number; },
});
def(Reg.DEC_EXPIRY, {
  // The time-base value at which DEC reaches 0; 2^64-1 while the decrementer is stopped.
  name: 'KVM_REG_PPC_DEC_EXPIRY', listed: true,
  get: (c) => {
    const t = c.timers;
    t.update();
    return t.decRunning ? BigInt.asUintN(64, BigInt(t.decExpiry + t.tbOffset)) : 0xffffffffffffffffn;
  },
  check: (c, v) => {
    const b = v as bigint;
    if (b !== 0xffffffffffffffffn && b > BigInt(Number.MAX_SAFE_INTEGER)) {
      fail('EINVAL', `KVM_REG_PPC_DEC_EXPIRY ${hex(b)} is beyond the 2^53 ticks tkvm keeps exactly`);
    }
    return () => {
      const t = c.timers;
      t.update();
      if (b === 0xffffffffffffffffn) {
        t.decRunning = false;
        t.decStopped = 0;
      } else {
        t.decRunning = true;
        t.decExpiry = Number(b) - t.tbOffset;
      }
      c.sliceEnd = 0;
    };
  },
});

const U64_MAX = 0xffffffffffffffffn;
const safeU64 = (b: bigint, name: string): number => {
  if (b > BigInt(Number.MAX_SAFE_INTEGER)) fail('EINVAL', `${name} ${hex(b)} is beyond the 2^53 tkvm keeps exactly`);
  return Number(b);
};
def(Reg.TKVM_TLB0_NV, {
  // The way a TLB0 miss proposes in MAS0[NV] (and ESEL); tlbwe to TLB0 sets it from MAS0[NV].
  name: 'KVM_REG_PPC_TKVM_TLB0_NV', listed: true,
  get: (c) => c.tlb0Nv,
  check: (c, v) => {
    const n = v as number;
    if (n > 3) fail('EINVAL', `KVM_REG_PPC_TKVM_TLB0_NV ${n}: TLB0 has 4 ways`);
    return () => { c.tlb0Nv = n; };
  },
});
def(Reg.TKVM_RESERVATION, {
  // lwarx's reservation (the core keeps its effective address, as QEMU); 2^64-1: none.
  name: 'KVM_REG_PPC_TKVM_RESERVATION', listed: true,
  get: (c) => (c.resv === -1 ? U64_MAX : BigInt(c.resv >>> 0)),
  check: (c, v) => {
    const b = v as bigint;
    if (b !== U64_MAX && (b > 0xffffffffn || (b & 3n) !== 0n)) {
      fail('EINVAL', `KVM_REG_PPC_TKVM_RESERVATION ${hex(b)} is not a word-aligned 32-bit effective address (or 2^64-1)`);
    }
    const r = b === U64_MAX ? -1 : Number(b);
    return () => { c.resv = r; };
  },
});
def(Reg.TKVM_ICOUNT, {
  // Instructions the vCPU retired, plus, with TKVM_CAP_ICOUNT_CLOCK, those a
  // waiting vCPU skipped to its next timer event: that clock's time. Writing
  // it moves that clock (TB_OFFSET is kept, so TB moves too, without timer
  // events for the time skipped). A checkpoint restores it before TB_OFFSET
  // and DEC_EXPIRY.
  name: 'KVM_REG_PPC_TKVM_ICOUNT', listed: false,
  get: (c) => BigInt(c.icount),
  check: (c, v) => {
    const n = safeU64(v as bigint, 'KVM_REG_PPC_TKVM_ICOUNT');
    return () => {
      const t = c.timers;
      t.update();
      c.icount = n;
      t.lastTb = t.tb();
      c.sliceEnd = 0;
    };
  },
});
def(Reg.TKVM_ICOUNT_DEADLINE, {
  // KVM_RUN returns KVM_EXIT_INTR once TKVM_ICOUNT has reached it; 2^64-1: none.
  name: 'KVM_REG_PPC_TKVM_ICOUNT_DEADLINE', listed: false,
  get: (_c, x) => (x.icountDeadline === Infinity ? U64_MAX : BigInt(x.icountDeadline)),
  check: (_c, v, x) => {
    const b = v as bigint;
    const n = b === U64_MAX ? Infinity : safeU64(b, 'KVM_REG_PPC_TKVM_ICOUNT_DEADLINE');
    return () => { x.icountDeadline = n; };
  },
});

function lookup(id: unknown): [bigint, RegDef] {
  if (typeof id !== 'bigint') fail('EINVAL', `a register id is a bigint (KVM_REG_PPC | size | number), got ${typeof id}`);
  if (id < 0n || id > 0xffffffffffffffffn) fail('EINVAL', `register id ${String(id)} is not a u64`);
  if ((id & KVM_REG_ARCH_MASK) !== KVM_REG_PPC) fail('EINVAL', `register id ${hex(id)} is not a KVM_REG_PPC register`);
  const d = DEFS.get(id);
  if (d === undefined) {
    const other = [...DEFS.keys()].find((k) => (k & ~KVM_REG_SIZE_MASK) === (id & ~KVM_REG_SIZE_MASK));
    if (other !== undefined) fail('EINVAL', `register id ${hex(id)}: ${DEFS.get(other)!.name} is ${regSize(other)} bytes, the id says ${regSize(id)}`);
    fail('EINVAL', `register id ${hex(id)} names no register of an e500mc vCPU`);
  }
  return [id, d];
}

export function getOneReg(c: Cpu, id: bigint, x: OneRegVcpu): RegValue {
  const [, d] = lookup(id);
  if (d.get === undefined) fail('EINVAL', `${d.name} is write-only`);
  return d.get(c, x);
}

export function setOneReg(c: Cpu, id: bigint, value: RegValue, x: OneRegVcpu): void {
  const [rid, d] = lookup(id);
  if (d.check === undefined) fail('EINVAL', `${d.name} is read-only`);
  const v = regSize(rid) === 8 ? u64(value, d.name) : u32(value, d.name);
  d.check(c, v, x)();
}

/** The ids KVM_GET_REG_LIST reports, in ascending order. */
export const REG_LIST: readonly bigint[] = [...DEFS.entries()]
  .filter(([, d]) => d.listed)
  .map(([id]) => id)
  .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
