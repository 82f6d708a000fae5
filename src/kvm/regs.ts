// struct kvm_regs for ppc, as a typed object. Every field is a u64 in KVM;
// an e500mc is a 32-bit core, so values are 32-bit unsigned numbers here and
// anything wider is rejected by setRegs.

import type { Cpu } from '../core/cpu.js';
import { MSR_GUEST_MASK } from '../core/regbits.js';
import { SPR } from '../core/spr.js';
import { fail } from './errors.js';

export interface KvmRegs {
  pc: number;
  cr: number;
  ctr: number;
  lr: number;
  xer: number;
  msr: number;
  srr0: number;
  srr1: number;
  pid: number;
  sprg0: number;
  sprg1: number;
  sprg2: number;
  sprg3: number;
  sprg4: number;
  sprg5: number;
  sprg6: number;
  sprg7: number;
  gpr: number[];
}

const SCALARS = ['pc', 'cr', 'ctr', 'lr', 'xer', 'msr', 'srr0', 'srr1', 'pid',
  'sprg0', 'sprg1', 'sprg2', 'sprg3', 'sprg4', 'sprg5', 'sprg6', 'sprg7'] as const;

/** XER bits an e500mc implements: SO, OV, CA and the string byte count. */
const XER_IMPLEMENTED = 0xe000007f | 0;

/** Byte size of struct kvm_regs (17 scalars + 32 GPRs, 8 bytes each). */
export const KVM_REGS_SIZE = (SCALARS.length + 32) * 8;

export function readRegs(c: Cpu): KvmRegs {
  const s = c.spr;
  return {
    pc: c.pc >>> 0,
    cr: c.cr >>> 0,
    ctr: c.ctr >>> 0,
    lr: c.lr >>> 0,
    xer: c.getXer() >>> 0,
    msr: c.msr >>> 0,
    srr0: s[SPR.SRR0] >>> 0,
    srr1: s[SPR.SRR1] >>> 0,
    pid: s[SPR.PID] >>> 0,
    sprg0: s[SPR.SPRG0] >>> 0,
    sprg1: s[SPR.SPRG1] >>> 0,
    sprg2: s[SPR.SPRG2] >>> 0,
    sprg3: s[SPR.SPRG3] >>> 0,
    sprg4: s[SPR.SPRG4] >>> 0,
    sprg5: s[SPR.SPRG5] >>> 0,
    sprg6: s[SPR.SPRG6] >>> 0,
    sprg7: s[SPR.SPRG7] >>> 0,
    gpr: Array.from(c.gpr, (v) => v >>> 0),
  };
}

function u32(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    fail('EINVAL', `${what} must be an integer in [0, 2^32) on a 32-bit vCPU (got ${String(v)})`);
  }
  return v | 0;
}

/** Validate all of `r` first, then write it: a failed call changes nothing. */
export function writeRegs(c: Cpu, r: KvmRegs): void {
  if (r === null || typeof r !== 'object') fail('EFAULT', 'regs must be an object');
  const known = new Set<string>([...SCALARS, 'gpr']);
  for (const k of Object.keys(r)) if (!known.has(k)) fail('EINVAL', `unknown field kvm_regs.${k}`);
  const vals = SCALARS.map((k) => u32(r[k], `kvm_regs.${k}`));
  if (!Array.isArray(r.gpr) || r.gpr.length !== 32) fail('EINVAL', 'kvm_regs.gpr must have 32 entries');
  const gpr = r.gpr.map((v, i) => u32(v, `kvm_regs.gpr[${i}]`));
  const [pc, cr, ctr, lr, xer, msr, srr0, srr1, pid, ...sprg] = vals;
  // Bits the e500mc cannot hold are rejected rather than dropped, so a
  // value that reads back differently is never accepted silently.
  if ((pc & 3) !== 0) fail('EINVAL', `kvm_regs.pc 0x${(pc >>> 0).toString(16)} is not word aligned`);
  if ((msr & ~MSR_GUEST_MASK) !== 0) {
    fail('EINVAL', `kvm_regs.msr has bits a guest cannot set: 0x${((msr & ~MSR_GUEST_MASK) >>> 0).toString(16)}`);
  }
  if ((xer & ~XER_IMPLEMENTED) !== 0) {
    fail('EINVAL', `kvm_regs.xer has unimplemented bits 0x${((xer & ~XER_IMPLEMENTED) >>> 0).toString(16)} (SO, OV, CA and the byte count exist)`);
  }
  if ((pid >>> 0) > 0xff) fail('EINVAL', `kvm_regs.pid ${pid >>> 0} exceeds the 8-bit PID of e500mc`);
  c.pc = c.nip = pc;
  c.cr = cr;
  c.ctr = ctr;
  c.lr = lr;
  c.setXer(xer);
  c.setMsr(msr);
  const s = c.spr;
  s[SPR.SRR0] = srr0;
  s[SPR.SRR1] = srr1;
  c.setPid(pid);
  for (let i = 0; i < 8; i++) s[SPR.SPRG0 + i] = sprg[i];
  c.gpr.set(gpr);
}

/** Bytes of struct kvm_regs. */
export const KVM_REGS_BYTES = KVM_REGS_SIZE;

/**
 * Write struct kvm_regs (49 big-endian u64, the ppc layout) at `off`, e.g.
 * into kvm_run.s.regs. Allocation-free: it runs on every exit with
 * KVM_SYNC_PPC_REGS.
 */
export function encodeRegs(c: Cpu, dv: DataView, off: number): void {
  const s = c.spr;
  const put = (i: number, v: number): void => {
    dv.setUint32(off + i * 8, 0);
    dv.setUint32(off + i * 8 + 4, v >>> 0);
  };
  put(0, c.pc);
  put(1, c.cr);
  put(2, c.ctr);
  put(3, c.lr);
  put(4, c.getXer());
  put(5, c.msr);
  put(6, s[SPR.SRR0]);
  put(7, s[SPR.SRR1]);
  put(8, s[SPR.PID]);
  for (let i = 0; i < 8; i++) put(9 + i, s[SPR.SPRG0 + i]);
  for (let i = 0; i < 32; i++) put(17 + i, c.gpr[i]);
}

/** Read struct kvm_regs from `off`; a value wider than 32 bits fails with EINVAL (the vCPU is 32-bit). */
export function decodeRegs(dv: DataView, off: number): KvmRegs {
  const get = (i: number, what: string): number => {
    if (dv.getUint32(off + i * 8) !== 0) fail('EINVAL', `${what} must be below 2^32 on a 32-bit vCPU`);
    return dv.getUint32(off + i * 8 + 4);
  };
  const r: Record<string, unknown> = {};
  SCALARS.forEach((k, i) => { r[k] = get(i, `kvm_regs.${k}`); });
  const gpr: number[] = [];
  for (let i = 0; i < 32; i++) gpr.push(get(17 + i, `kvm_regs.gpr[${i}]`));
  r.gpr = gpr;
  return r as unknown as KvmRegs;
}
