// TLB management instructions of the e500mc (MMU architecture 1.0):
// tlbwe, tlbre, tlbsx, tlbivax, tlbilx, tlbsync, and MMUCSR0 flash
// invalidation. Entries live in the TlbArray in KVM's shared layout; every
// change that removes or alters a translation drops it from the core's
// translation cache.

import type { Cpu } from '../cpu.js';
import { ESR, MAS } from '../regbits.js';
import { SPR } from '../spr.js';
import { TLB0_ENTRIES, TLB0_SETS, TLB0_WAYS, TLB1_ENTRIES, tsizeBytes } from '../mmu/tlbarray.js';
import { FAULT, PRIV, SYNC, X, helper, type InsnDef } from './decode.js';
import { eaX } from './loadstore.js';
import { privileged } from './privilege.js';

/** TSIZE 1 (4 KiB) in MAS1: the only page size of TLB0. */
const TSIZE_4K = 0x100;

/** The entry index MAS0/MAS2 select, or -1 for an invalid selection. */
export function selectedEntry(mas0: number, mas2: number): number {
  const tlbsel = (mas0 >>> 28) & 3;
  const esel = (mas0 >>> 16) & 0xfff;
  if (tlbsel === 0) {
    const set = (mas2 >>> 12) & (TLB0_SETS - 1);
    return set * TLB0_WAYS + (esel & (TLB0_WAYS - 1));
  }
  if (tlbsel === 1) return TLB0_ENTRIES + (esel & (TLB1_ENTRIES - 1));
  return -1;
}

/** Drop the translations of entry i (before it is overwritten or invalidated). */
export function forgetEntry(c: Cpu, i: number): void {
  const tlb = c.tlb;
  if (!tlb.isValid(i)) return;
  const size = tlb.size(i);
  const epn = tlb.mas2(i) & 0xfffff000;
  c.tc.invalidateRange(size >= 0x100000000 ? 0 : epn & ~(size - 1), size);
}

function tlbwe(c: Cpu, _w: number): void {
  if (!privileged(c)) return;
  const spr = c.spr;
  const mas0 = spr[SPR.MAS0];
  const i = selectedEntry(mas0, spr[SPR.MAS2]);
  if (i < 0) {
    c.raiseProgram(ESR.PIL);
    return;
  }
  let mas1 = spr[SPR.MAS1];
  if (i < TLB0_ENTRIES) {
    // TLB0 has fixed 4 KiB pages and no IPROT (TLB0CFG[AVAIL] = TLB0CFG[IPROT] = 0).
    mas1 = (mas1 & ~(0xf80 | MAS.MAS1_IPROT)) | TSIZE_4K;
    c.tlb0Nv = spr[SPR.MAS0] & (TLB0_WAYS - 1);
  } else {
    mas1 &= ~0x80; // MAS1 bit 24 is reserved in MAV 1.0
  }
  const size = i < TLB0_ENTRIES ? 4096 : tsizeBytes(mas1);
  // The EPN and RPN bits below the page size are not stored (as in QEMU).
  const low = size >= 0x100000000 ? 0xfffff000 | 0 : (size - 1) & 0xfffff000;
  const mas2 = spr[SPR.MAS2] & ~low & (0xfffff000 | 0x1f);
  const mas3 = spr[SPR.MAS3];
  const mas7 = spr[SPR.MAS7] & 0xf;
  forgetEntry(c, i);
  c.tlb.write(i, mas1 & (0xc0ff1f00 | 0), mas2, mas3 & ~0x00000c00, mas7, 0);
}

function tlbre(c: Cpu, _w: number): void {
  if (!privileged(c)) return;
  const spr = c.spr;
  const i = selectedEntry(spr[SPR.MAS0], spr[SPR.MAS2]);
  if (i < 0) {
    c.raiseProgram(ESR.PIL);
    return;
  }
  const tlb = c.tlb;
  spr[SPR.MAS1] = tlb.mas1(i);
  spr[SPR.MAS2] = tlb.mas2(i);
  spr[SPR.MAS3] = tlb.mas3(i);
  spr[SPR.MAS7] = tlb.mas7(i);
  if (i < TLB0_ENTRIES) spr[SPR.MAS0] = (spr[SPR.MAS0] & ~0xfff) | c.tlb0Nv;
}

function tlbsx(c: Cpu, w: number): void {
  if (!privileged(c)) return;
  const spr = c.spr;
  const ea = eaX(c, w);
  const mas6 = spr[SPR.MAS6];
  const pid = (mas6 >>> 16) & 0xff, as = mas6 & 1;
  const tlb = c.tlb;
  const i = tlb.lookup(ea, as, pid);
  if (i >= 0) {
    if (i < TLB0_ENTRIES) {
      spr[SPR.MAS0] = ((i & (TLB0_WAYS - 1)) << 16) | c.tlb0Nv;
    } else {
      spr[SPR.MAS0] = (1 << 28) | ((i - TLB0_ENTRIES) << 16);
    }
    spr[SPR.MAS1] = tlb.mas1(i);
    spr[SPR.MAS2] = tlb.mas2(i);
    spr[SPR.MAS3] = tlb.mas3(i);
    spr[SPR.MAS7] = tlb.mas7(i);
    return;
  }
  // Not found: MAS registers from the MAS4 defaults, V = 0.
  const mas4 = spr[SPR.MAS4];
  const tlbsel = (mas4 >>> 28) & 1;
  const nv = c.tlb0Nv;
  spr[SPR.MAS0] = (tlbsel << 28) | (tlbsel === 0 ? (nv << 16) | ((nv + 1) & (TLB0_WAYS - 1)) : 0);
  spr[SPR.MAS1] = (pid << 16) | (as << 12) | (mas4 & 0xf00);
  spr[SPR.MAS2] = (ea & 0xfffff000) | (mas4 & 0x1f);
  spr[SPR.MAS3] = 0;
  spr[SPR.MAS7] = 0;
}

/** Invalidate entry i unless IPROT protects it. */
function invalidate(c: Cpu, i: number, honourIprot: boolean): void {
  const mas1 = c.tlb.mas1(i);
  if (mas1 >= 0) return; // not valid
  if (honourIprot && (mas1 & MAS.MAS1_IPROT) !== 0) return;
  forgetEntry(c, i);
  c.tlb.setMas1(i, mas1 & ~MAS.MAS1_V);
}

/** tlbivax: EA bit 0x8 selects TLB1, 0x4 invalidates the whole TLB; matches ignore TID and TS. */
function tlbivax(c: Cpu, w: number): void {
  if (!privileged(c)) return;
  const ea = eaX(c, w);
  const tlb1 = (ea & 0x8) !== 0;
  const all = (ea & 0x4) !== 0;
  const tlb = c.tlb;
  if (!tlb1) {
    if (all) {
      for (let i = 0; i < TLB0_ENTRIES; i++) invalidate(c, i, true);
    } else {
      const set = (ea >>> 12) & (TLB0_SETS - 1);
      for (let way = 0; way < TLB0_WAYS; way++) {
        const i = set * TLB0_WAYS + way;
        if (((tlb.mas2(i) ^ ea) & 0xfffff000) === 0) invalidate(c, i, true);
      }
    }
    return;
  }
  for (let k = 0; k < TLB1_ENTRIES; k++) {
    const i = TLB0_ENTRIES + k;
    if (all || matchesPage(c, i, ea)) invalidate(c, i, true);
  }
}

function matchesPage(c: Cpu, i: number, ea: number): boolean {
  const size = c.tlb.size(i);
  return (((ea ^ c.tlb.mas2(i)) >>> 0) & 0xfffff000) < size;
}

/**
 * tlbilx (local invalidate): T=0 all entries, T=1 entries with TID =
 * MAS6[SPID], T=3 the entry translating EA for MAS6[SPID]/MAS6[SAS].
 * Entries protected by IPROT stay.
 */
function tlbilx(c: Cpu, w: number): void {
  if (!privileged(c)) return;
  const t = (w >>> 21) & 3;
  const mas6 = c.spr[SPR.MAS6];
  const pid = (mas6 >>> 16) & 0xff, as = mas6 & 1;
  const tlb = c.tlb;
  if (t === 0 || t === 1) {
    for (let i = 0; i < TLB0_ENTRIES + TLB1_ENTRIES; i++) {
      if (t === 1 && ((tlb.mas1(i) >>> 16) & 0xff) !== pid) continue;
      invalidate(c, i, true);
    }
    return;
  }
  if (t === 3) {
    const ea = eaX(c, w);
    for (let i = 0; i < TLB0_ENTRIES + TLB1_ENTRIES; i++) {
      const mas1 = tlb.mas1(i);
      if (mas1 >= 0) continue;
      if (((mas1 >>> 16) & 0xff) !== pid || ((mas1 >>> 12) & 1) !== as) continue;
      if (matchesPage(c, i, ea)) invalidate(c, i, true);
    }
    return;
  }
  c.raiseProgram(ESR.PIL);
}

/** MMUCSR0: TLB0_FI (0x4) and TLB1_FI (0x2) flash-invalidate; they read back as 0 at once. */
export function mmucsr0Write(c: Cpu, v: number): void {
  if ((v & 0x4) !== 0) for (let i = 0; i < TLB0_ENTRIES; i++) invalidate(c, i, true);
  if ((v & 0x2) !== 0) for (let i = TLB0_ENTRIES; i < TLB0_ENTRIES + TLB1_ENTRIES; i++) invalidate(c, i, true);
  c.spr[SPR.MMUCSR0] = v & ~0x6;
}

function tlbsync(c: Cpu, _w: number): void {
  privileged(c);
}

export const tlbInsns: InsnDef[] = [
  X('tlbilx', 31, 18, 't,ra0,rb', PRIV | FAULT | SYNC, helper(tlbilx)),
  X('tlbsync', 31, 566, '', PRIV | FAULT, helper(tlbsync)),
  X('tlbivax', 31, 786, 'ra0,rb', PRIV | FAULT | SYNC, helper(tlbivax)),
  X('tlbsx', 31, 914, 'ra0,rb', PRIV | FAULT, helper(tlbsx)),
  X('tlbre', 31, 946, '', PRIV | FAULT, helper(tlbre)),
  X('tlbwe', 31, 978, '', PRIV | FAULT | SYNC, helper(tlbwe)),
];
