// KVM_GET_SREGS / KVM_SET_SREGS: the Book E part of struct kvm_sregs
// (arch/powerpc/include/uapi/asm/kvm.h, the `u.e` member), as a typed
// object. __u64 fields are bigints, __u32 and __u8 fields numbers.
//
// Semantics (the header's and booke.c's, with the differences noted):
//  - `features` says which sections are valid. GET reports every section
//    this vCPU has; SET writes only the sections whose bit is set and fails
//    with EINVAL on a section the vCPU does not have (KVM ignores those).
//  - `update_special`: MCSR, TSR, DEC and DBSR may change while the vCPU is
//    stopped, so SET writes them only when their bit is set. Unknown bits are
//    accepted, as the header asks ("set update_special to 0xffffffff to ensure
//    that everything is restored"). KVM itself writes MCSR unconditionally and
//    never writes DBSR; tkvm follows the header.
//  - Read-only fields: pvr must match (EINVAL otherwise, as KVM); pir must
//    equal the vCPU id when ARCH206 is set (as KVM); tb is ignored (it moves);
//    mmucfg, eptcfg, tlbcfg[], tlbps[] (ARCH206_MMU) and num_iac/dac/dvc
//    (DEBUG) must equal the vCPU's values (KVM ignores them in SET_SREGS but
//    rejects a different value through ONE_REG).
//  - A value with bits the register does not implement (the upper half of a
//    u64 field of a 32-bit register, IVOR bits outside 0xfff0, ...) is
//    rejected, never truncated.
//  - Calling SET on an unmodified result of GET changes nothing.

import type { Cpu } from '../core/cpu.js';
import { MMUCFG_E500MC, SPR } from '../core/spr.js';
import {
  checkFields, hex, inMask, u32, u32Array, u64, u64Low, u8,
} from './check.js';
import { KVM_SREGS_E_IMPL_FSL, KVM_SREGS_E_IMPL_NONE, SregsFeature, SregsUpdate } from './constants.js';
import { fail } from './errors.js';

export interface KvmSregsFsl {
  /** KVM_SREGS_E_FSL_*: PID1/PID2 (KVM_SREGS_E_FSL_PIDn) do not exist on e500mc, so 0. */
  features: number;
  svr: number;
  mcar: bigint;
  hid0: number;
  pid1: number;
  pid2: number;
}

export interface KvmSregsE {
  impl: { fsl: KvmSregsFsl };
  features: number;
  implId: number;
  updateSpecial: number;
  pir: number;
  sprg8: bigint;
  sprg9: bigint;
  csrr0: bigint;
  dsrr0: bigint;
  mcsrr0: bigint;
  csrr1: number;
  dsrr1: number;
  mcsrr1: number;
  esr: number;
  dear: bigint;
  ivpr: bigint;
  mcivpr: bigint;
  mcsr: bigint;
  tsr: number;
  tcr: number;
  decar: number;
  dec: number;
  tb: bigint;
  dbsr: number;
  dbcr: number[];
  iac: number[];
  dac: number[];
  dvc: number[];
  numIac: number;
  numDac: number;
  numDvc: number;
  epr: number;
  vrsave: number;
  epcr: number;
  mas0: number;
  mas1: number;
  mas2: bigint;
  mas7_3: bigint;
  mas4: number;
  mas6: number;
  ivorLow: number[];
  ivorHigh: number[];
  mmucfg: number;
  eptcfg: number;
  tlbcfg: number[];
  tlbps: number[];
  eplc: number;
  epsc: number;
}

export interface KvmSregs {
  pvr: number;
  e: KvmSregsE;
}

/** The sections an e500mc vCPU has. */
export const SREGS_FEATURES =
  SregsFeature.BASE | SregsFeature.ARCH206 | SregsFeature.E_64 | SregsFeature.SPRG8 | SregsFeature.IVOR |
  SregsFeature.ARCH206_MMU | SregsFeature.DEBUG | SregsFeature.ED | SregsFeature.PC | SregsFeature.PM;

export const NUM_IAC = 2;
export const NUM_DAC = 2;
export const NUM_DVC = 0;

const E_FIELDS = [
  'impl', 'features', 'implId', 'updateSpecial', 'pir', 'sprg8', 'sprg9', 'csrr0', 'dsrr0', 'mcsrr0',
  'csrr1', 'dsrr1', 'mcsrr1', 'esr', 'dear', 'ivpr', 'mcivpr', 'mcsr', 'tsr', 'tcr', 'decar', 'dec', 'tb',
  'dbsr', 'dbcr', 'iac', 'dac', 'dvc', 'numIac', 'numDac', 'numDvc', 'epr', 'vrsave', 'epcr',
  'mas0', 'mas1', 'mas2', 'mas7_3', 'mas4', 'mas6', 'ivorLow', 'ivorHigh', 'mmucfg', 'eptcfg', 'tlbcfg', 'tlbps',
  'eplc', 'epsc',
] as const;
const FSL_FIELDS = ['features', 'svr', 'mcar', 'hid0', 'pid1', 'pid2'] as const;

/** IVOR32..37 are ivor_high[0..5]; e500mc has IVOR35 (PM) and IVOR36/37 (PC) of them. */
const IVOR_HIGH = 18;
const IVOR_MASK = 0xfff0;
const IVPR_MASK = 0xffff0000 | 0;
const IAC_MASK = 0xfffffffc | 0;

const big = (v: number): bigint => BigInt(v >>> 0);

export function getSregs(c: Cpu): KvmSregs {
  const s = c.spr;
  const t = c.timers;
  // One reading of the clock, so `dec` and `tb` agree.
  const now = t.update();
  const dec = t.decRunning ? Math.max(0, t.decExpiry - now) : t.decStopped;
  const ivorHigh = new Array<number>(IVOR_HIGH).fill(0);
  ivorHigh[3] = s[SPR.IVOR32 + 3] >>> 0;
  ivorHigh[4] = s[SPR.IVOR32 + 4] >>> 0;
  ivorHigh[5] = s[SPR.IVOR32 + 5] >>> 0;
  return {
    pvr: s[SPR.PVR] >>> 0,
    e: {
      impl: {
        fsl: { features: 0, svr: s[SPR.SVR] >>> 0, mcar: big(s[SPR.MCAR]), hid0: s[SPR.HID0] >>> 0, pid1: 0, pid2: 0 },
      },
      features: SREGS_FEATURES,
      implId: KVM_SREGS_E_IMPL_FSL,
      updateSpecial: 0,
      pir: s[SPR.PIR] >>> 0,
      sprg8: big(s[SPR.SPRG8]),
      sprg9: big(s[SPR.SPRG9]),
      csrr0: big(s[SPR.CSRR0]),
      dsrr0: big(s[SPR.DSRR0]),
      mcsrr0: big(s[SPR.MCSRR0]),
      csrr1: s[SPR.CSRR1] >>> 0,
      dsrr1: s[SPR.DSRR1] >>> 0,
      mcsrr1: s[SPR.MCSRR1] >>> 0,
      esr: s[SPR.ESR] >>> 0,
      dear: big(s[SPR.DEAR]),
      ivpr: big(s[SPR.IVPR]),
      mcivpr: 0n,
      mcsr: big(s[SPR.MCSR]),
      tsr: s[SPR.TSR] >>> 0,
      tcr: s[SPR.TCR] >>> 0,
      decar: s[SPR.DECAR] >>> 0,
      dec: dec >>> 0,
      tb: BigInt.asUintN(64, BigInt(now + t.tbOffset)),
      dbsr: s[SPR.DBSR] >>> 0,
      dbcr: [s[SPR.DBCR0] >>> 0, s[SPR.DBCR1] >>> 0, s[SPR.DBCR2] >>> 0],
      iac: [s[SPR.IAC1] >>> 0, s[SPR.IAC2] >>> 0, 0, 0],
      dac: [s[SPR.DAC1] >>> 0, s[SPR.DAC2] >>> 0],
      dvc: [0, 0],
      numIac: NUM_IAC,
      numDac: NUM_DAC,
      numDvc: NUM_DVC,
      epr: 0,
      vrsave: s[SPR.VRSAVE] >>> 0,
      epcr: s[SPR.EPCR] >>> 0,
      mas0: s[SPR.MAS0] >>> 0,
      mas1: s[SPR.MAS1] >>> 0,
      mas2: big(s[SPR.MAS2]),
      mas7_3: (big(s[SPR.MAS7]) << 32n) | big(s[SPR.MAS3]),
      mas4: s[SPR.MAS4] >>> 0,
      mas6: s[SPR.MAS6] >>> 0,
      ivorLow: Array.from({ length: 16 }, (_, i) => s[SPR.IVOR0 + i] >>> 0),
      ivorHigh,
      mmucfg: MMUCFG_E500MC >>> 0,
      eptcfg: 0,
      tlbcfg: [s[SPR.TLB0CFG] >>> 0, s[SPR.TLB1CFG] >>> 0, 0, 0],
      tlbps: [0, 0, 0, 0],
      eplc: 0,
      epsc: 0,
    },
  };
}

/** Validate everything, then write the selected sections. */
export function setSregs(c: Cpu, sregs: KvmSregs): void {
  const top = checkFields(sregs, ['pvr', 'e'], 'kvm_sregs');
  const pvr = u32(top.pvr, 'kvm_sregs.pvr');
  const e = checkFields(top.e, E_FIELDS, 'kvm_sregs.u.e');
  const impl = checkFields(e.impl, ['fsl'], 'kvm_sregs.u.e.impl');
  const fsl = checkFields(impl.fsl, FSL_FIELDS, 'kvm_sregs.u.e.impl.fsl');
  const P = 'kvm_sregs.u.e.';

  // Types of every field first (all are checked, selected or not).
  const n = (k: string): number => u32(e[k], P + k);
  const b = (k: string): bigint => u64(e[k], P + k);
  const features = n('features');
  const implId = n('implId');
  const updateSpecial = n('updateSpecial');
  const scalars32 = ['pir', 'csrr1', 'dsrr1', 'mcsrr1', 'esr', 'tsr', 'tcr', 'decar', 'dec', 'dbsr', 'epr', 'vrsave',
    'epcr', 'mas0', 'mas1', 'mas4', 'mas6', 'mmucfg', 'eptcfg', 'eplc', 'epsc'];
  const scalars64 = ['sprg8', 'sprg9', 'csrr0', 'dsrr0', 'mcsrr0', 'dear', 'ivpr', 'mcivpr', 'mcsr', 'tb', 'mas2', 'mas7_3'];
  for (const k of scalars32) n(k);
  for (const k of scalars64) b(k);
  for (const k of ['numIac', 'numDac', 'numDvc']) u8(e[k], P + k);
  const dbcr = u32Array(e.dbcr, 3, P + 'dbcr');
  const iac = u32Array(e.iac, 4, P + 'iac');
  const dac = u32Array(e.dac, 2, P + 'dac');
  const dvc = u32Array(e.dvc, 2, P + 'dvc');
  const ivorLow = u32Array(e.ivorLow, 16, P + 'ivor_low');
  const ivorHigh = u32Array(e.ivorHigh, IVOR_HIGH, P + 'ivor_high');
  const tlbcfg = u32Array(e.tlbcfg, 4, P + 'tlbcfg');
  const tlbps = u32Array(e.tlbps, 4, P + 'tlbps');
  const F = 'kvm_sregs.u.e.impl.fsl.';
  const fslFeatures = u32(fsl.features, F + 'features');
  const svr = u32(fsl.svr, F + 'svr');
  const mcar = u64(fsl.mcar, F + 'mcar');
  const hid0 = u32(fsl.hid0, F + 'hid0');
  const pid1 = u32(fsl.pid1, F + 'pid1');
  const pid2 = u32(fsl.pid2, F + 'pid2');

  // Then the meaning.
  const s = c.spr;
  if (pvr !== s[SPR.PVR] >>> 0) fail('EINVAL', `kvm_sregs.pvr ${hex(pvr)} is not this vCPU's PVR ${hex(s[SPR.PVR])}`);
  const unsupported = features & ~SREGS_FEATURES;
  if (unsupported !== 0) fail('EINVAL', `kvm_sregs.u.e.features ${hex(unsupported)}: sections an e500mc vCPU does not have`);
  if (implId !== KVM_SREGS_E_IMPL_NONE && implId !== KVM_SREGS_E_IMPL_FSL) fail('EINVAL', `unknown kvm_sregs.u.e.impl_id ${implId}`);
  const has = (f: number): boolean => (features & f) !== 0;
  const upd = (f: number): boolean => (updateSpecial & f) !== 0;
  if (implId === KVM_SREGS_E_IMPL_FSL) {
    if (fslFeatures !== 0) fail('EINVAL', `kvm_sregs.u.e.impl.fsl.features ${hex(fslFeatures)}: e500mc has no PID1/PID2`);
    if (pid1 !== 0 || pid2 !== 0) fail('EINVAL', 'kvm_sregs.u.e.impl.fsl.pid1/pid2 must be 0 (e500mc has no PID1/PID2)');
    u64Low(mcar, F + 'mcar');
  }
  const v = {
    csrr0: 0, mcsr: 0, dear: 0, mcsrr0: 0, ivpr: 0, epcr: 0, sprg8: 0, sprg9: 0, dsrr0: 0, mas2: 0, mas3: 0, mas7: 0,
  };
  if (has(SregsFeature.BASE)) {
    v.csrr0 = u64Low(e.csrr0, P + 'csrr0');
    v.dear = u64Low(e.dear, P + 'dear');
    v.mcsr = u64Low(e.mcsr, P + 'mcsr');
  }
  if (has(SregsFeature.ARCH206)) {
    if (n('pir') !== s[SPR.PIR] >>> 0) fail('EINVAL', `kvm_sregs.u.e.pir ${n('pir')} is not this vCPU's id ${s[SPR.PIR]}`);
    v.mcsrr0 = u64Low(e.mcsrr0, P + 'mcsrr0');
    v.ivpr = inMask(u64Low(e.ivpr, P + 'ivpr'), IVPR_MASK, P + 'ivpr');
  }
  if (has(SregsFeature.E_64)) v.epcr = n('epcr');
  if (has(SregsFeature.SPRG8)) v.sprg8 = u64Low(e.sprg8, P + 'sprg8');
  if (has(SregsFeature.ED)) {
    v.sprg9 = u64Low(e.sprg9, P + 'sprg9');
    v.dsrr0 = u64Low(e.dsrr0, P + 'dsrr0');
  }
  if (has(SregsFeature.IVOR)) {
    ivorLow.forEach((x, i) => inMask(x, IVOR_MASK, `${P}ivor_low[${i}]`));
    const used = [has(SregsFeature.PM) ? 3 : -1, has(SregsFeature.PC) ? 4 : -1, has(SregsFeature.PC) ? 5 : -1];
    for (const i of used) if (i >= 0) inMask(ivorHigh[i], IVOR_MASK, `${P}ivor_high[${i}]`);
  }
  if (has(SregsFeature.ARCH206_MMU)) {
    v.mas2 = u64Low(e.mas2, P + 'mas2');
    const m73 = b('mas7_3');
    v.mas7 = Number(m73 >> 32n);
    v.mas3 = Number(m73 & 0xffffffffn);
    inMask(v.mas7, 0xf, P + 'mas7_3 (MAS7)');
    const ro: [string, number, number][] = [
      ['mmucfg', n('mmucfg'), MMUCFG_E500MC >>> 0],
      ['eptcfg', n('eptcfg'), 0],
      ['tlbcfg[0]', tlbcfg[0], s[SPR.TLB0CFG] >>> 0],
      ['tlbcfg[1]', tlbcfg[1], s[SPR.TLB1CFG] >>> 0],
      ['tlbcfg[2]', tlbcfg[2], 0],
      ['tlbcfg[3]', tlbcfg[3], 0],
      ...tlbps.map((x, i): [string, number, number] => [`tlbps[${i}]`, x, 0]),
    ];
    for (const [k, got, want] of ro) if (got !== want) fail('EINVAL', `${P}${k} is read-only (${hex(want)}, got ${hex(got)})`);
  }
  if (has(SregsFeature.DEBUG)) {
    if (e.numIac !== NUM_IAC || e.numDac !== NUM_DAC || e.numDvc !== NUM_DVC) {
      fail('EINVAL', `${P}num_iac/num_dac/num_dvc are read-only (${NUM_IAC}, ${NUM_DAC}, ${NUM_DVC})`);
    }
    inMask(iac[0], IAC_MASK, P + 'iac[0]');
    inMask(iac[1], IAC_MASK, P + 'iac[1]');
    if (iac[2] !== 0 || iac[3] !== 0) fail('EINVAL', `${P}iac[2..3] must be 0: e500mc has ${NUM_IAC} IACs`);
    if (dvc[0] !== 0 || dvc[1] !== 0) fail('EINVAL', `${P}dvc[] must be 0: e500mc has no DVC registers`);
  }

  // Apply.
  const t = c.timers;
  if (implId === KVM_SREGS_E_IMPL_FSL) {
    s[SPR.SVR] = svr;
    s[SPR.HID0] = hid0;
    s[SPR.MCAR] = Number(mcar);
  }
  if (has(SregsFeature.BASE)) {
    s[SPR.CSRR0] = v.csrr0;
    s[SPR.CSRR1] = n('csrr1');
    s[SPR.ESR] = n('esr');
    s[SPR.DEAR] = v.dear;
    s[SPR.VRSAVE] = n('vrsave');
    t.setTcr(n('tcr'));
    if (upd(SregsUpdate.MCSR)) s[SPR.MCSR] = v.mcsr;
    if (upd(SregsUpdate.DEC)) t.writeDec(n('dec'));
    if (upd(SregsUpdate.TSR)) {
      t.update();
      s[SPR.TSR] = n('tsr');
    }
  }
  if (has(SregsFeature.ARCH206)) {
    s[SPR.MCSRR0] = v.mcsrr0;
    s[SPR.MCSRR1] = n('mcsrr1');
    s[SPR.DECAR] = n('decar');
    s[SPR.IVPR] = v.ivpr;
  }
  if (has(SregsFeature.E_64)) s[SPR.EPCR] = v.epcr;
  if (has(SregsFeature.SPRG8)) s[SPR.SPRG8] = v.sprg8;
  if (has(SregsFeature.ED)) {
    s[SPR.SPRG9] = v.sprg9;
    s[SPR.DSRR0] = v.dsrr0;
    s[SPR.DSRR1] = n('dsrr1');
  }
  if (has(SregsFeature.IVOR)) {
    for (let i = 0; i < 16; i++) s[SPR.IVOR0 + i] = ivorLow[i];
    if (has(SregsFeature.PM)) s[SPR.IVOR32 + 3] = ivorHigh[3];
    if (has(SregsFeature.PC)) {
      s[SPR.IVOR32 + 4] = ivorHigh[4];
      s[SPR.IVOR32 + 5] = ivorHigh[5];
    }
  }
  if (has(SregsFeature.ARCH206_MMU)) {
    s[SPR.MAS0] = n('mas0');
    s[SPR.MAS1] = n('mas1');
    s[SPR.MAS2] = v.mas2;
    s[SPR.MAS3] = v.mas3;
    s[SPR.MAS7] = v.mas7;
    s[SPR.MAS4] = n('mas4');
    s[SPR.MAS6] = n('mas6');
  }
  if (has(SregsFeature.DEBUG)) {
    s[SPR.DBCR0] = dbcr[0];
    s[SPR.DBCR1] = dbcr[1];
    s[SPR.DBCR2] = dbcr[2];
    s[SPR.IAC1] = iac[0];
    s[SPR.IAC2] = iac[1];
    s[SPR.DAC1] = dac[0];
    s[SPR.DAC2] = dac[1];
    if (upd(SregsUpdate.DBSR)) s[SPR.DBSR] = n('dbsr');
  }
  c.sliceEnd = 0;
}
