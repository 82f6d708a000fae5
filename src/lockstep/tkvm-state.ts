// tkvm's side of the comparison: the vCPU's state read into the lockstep
// layout (fields.ts) through the hypervisor API, and written back from a
// reference state when an allowlisted difference makes the runs adopt
// QEMU's values.

import { Reg, SregsUpdate, type KvmSregs, type Vcpu } from '../kvm/index.js';
import { F, type State } from './fields.js';

const lo = (b: bigint): number => Number(BigInt.asUintN(32, b));
const hi = (b: bigint): number => Number(BigInt.asUintN(32, b >> 32n));
const u64 = (h: number, l: number): bigint => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);

/** Fill `s` with the vCPU's state. */
export function readTkvmState(v: Vcpu, s: State): void {
  const r = v.getRegs();
  s[F.nip] = r.pc; s[F.lr] = r.lr; s[F.ctr] = r.ctr; s[F.xer] = r.xer; s[F.msr] = r.msr; s[F.cr] = r.cr;
  s[F.srr0] = r.srr0; s[F.srr1] = r.srr1; s[F.pid] = r.pid;
  s[F.sprg0] = r.sprg0; s[F.sprg1] = r.sprg1; s[F.sprg2] = r.sprg2; s[F.sprg3] = r.sprg3;
  s[F.sprg4] = r.sprg4; s[F.sprg5] = r.sprg5; s[F.sprg6] = r.sprg6; s[F.sprg7] = r.sprg7;
  for (let i = 0; i < 32; i++) s[F.gpr0 + i] = r.gpr[i];
  const sr = v.getSregs();
  const e = sr.e;
  s[F.pvr] = sr.pvr;
  s[F.sprg8] = lo(e.sprg8);
  s[F.csrr0] = lo(e.csrr0); s[F.csrr1] = e.csrr1; s[F.mcsrr0] = lo(e.mcsrr0); s[F.mcsrr1] = e.mcsrr1;
  s[F.tcr] = e.tcr; s[F.tsr] = e.tsr; s[F.esr] = e.esr; s[F.dear] = lo(e.dear);
  s[F.pir] = e.pir; s[F.decar] = e.decar; s[F.ivpr] = lo(e.ivpr); s[F.epcr] = e.epcr;
  s[F.mcsr] = lo(e.mcsr); s[F.epr] = e.epr; s[F.mcar] = lo(e.impl.fsl.mcar); s[F.svr] = e.impl.fsl.svr;
  s[F.mas0] = e.mas0; s[F.mas1] = e.mas1; s[F.mas2] = lo(e.mas2);
  s[F.mas3] = lo(e.mas7_3); s[F.mas7] = hi(e.mas7_3); s[F.mas4] = e.mas4; s[F.mas6] = e.mas6;
  s[F.mmucfg] = e.mmucfg; s[F.tlb0cfg] = e.tlbcfg[0]; s[F.tlb1cfg] = e.tlbcfg[1];
  s[F.fpscr] = lo(v.getOneReg(Reg.FPSCR) as bigint);
  const fpr = v.getFpu().fpr;
  for (let i = 0; i < 32; i++) { s[F.fpr0 + 2 * i] = hi(fpr[i]); s[F.fpr0 + 2 * i + 1] = lo(fpr[i]); }
}

/**
 * Make the vCPU's registers those of `s` (the reference's), for the
 * registers the comparison covers. The time base and DEC stay tkvm's.
 */
export function writeTkvmState(v: Vcpu, s: State): void {
  const gpr: number[] = [];
  for (let i = 0; i < 32; i++) gpr.push(s[F.gpr0 + i]);
  v.setRegs({
    pc: s[F.nip], cr: s[F.cr], ctr: s[F.ctr], lr: s[F.lr], xer: s[F.xer], msr: s[F.msr],
    srr0: s[F.srr0], srr1: s[F.srr1], pid: s[F.pid],
    sprg0: s[F.sprg0], sprg1: s[F.sprg1], sprg2: s[F.sprg2], sprg3: s[F.sprg3],
    sprg4: s[F.sprg4], sprg5: s[F.sprg5], sprg6: s[F.sprg6], sprg7: s[F.sprg7], gpr,
  });
  const sr: KvmSregs = v.getSregs();
  const e = sr.e;
  e.sprg8 = BigInt(s[F.sprg8]);
  e.csrr0 = BigInt(s[F.csrr0]); e.csrr1 = s[F.csrr1]; e.mcsrr0 = BigInt(s[F.mcsrr0]); e.mcsrr1 = s[F.mcsrr1];
  e.tcr = s[F.tcr]; e.tsr = s[F.tsr]; e.esr = s[F.esr]; e.dear = BigInt(s[F.dear]);
  e.decar = s[F.decar]; e.ivpr = BigInt(s[F.ivpr]); e.epcr = s[F.epcr]; e.mcsr = BigInt(s[F.mcsr]);
  e.mas0 = s[F.mas0]; e.mas1 = s[F.mas1]; e.mas2 = BigInt(s[F.mas2]);
  e.mas7_3 = u64(s[F.mas7], s[F.mas3]); e.mas4 = s[F.mas4]; e.mas6 = s[F.mas6];
  e.updateSpecial = SregsUpdate.TSR | SregsUpdate.MCSR;
  v.setSregs(sr);
  v.setOneReg(Reg.FPSCR, BigInt(s[F.fpscr]));
  const fpr: bigint[] = [];
  for (let i = 0; i < 32; i++) fpr.push(u64(s[F.fpr0 + 2 * i], s[F.fpr0 + 2 * i + 1]));
  v.setFpu({ fpr });
}
