// Direct kernel boot (ePAPR), as QEMU does for "-kernel" without "-bios":
// the ELF is loaded at its physical addresses, the device tree follows it,
// TLB1 entry 0 maps the initial mapped area (IMA) from address 0, and the
// vCPU starts at the entry point with r3 = device tree, r6 = ePAPR magic,
// r7 = IMA size. The placement follows QEMU's observable behaviour so that
// both machines start a guest in the same register state.

import { toDtb } from '../fdt/fdt.js';
import { buildTree } from '../machine/devicetree.js';
import type { Ppce500 } from '../machine/ppce500.js';
import { ImageError, parseElf } from './elf.js';
import { TIMEBASE_HZ } from '../../kvm/index.js';

export const EPAPR_MAGIC = 0x45504150;
const MB = 0x100000;
/** QEMU puts the device tree 24 MiB past the kernel, on a 1 MiB boundary. */
const DTB_PAD = 0x1800000;
/** Initial stack pointer QEMU gives a directly booted kernel. */
const INITIAL_SP = 0xfffff8;

export interface DirectBootOptions {
  kernel: Uint8Array;
  kernelName: string;
  bootargs: string;
}

export interface BootInfo {
  entry: number;
  dtbAddr: number;
  imaSize: number;
  symbols: Map<string, number>;
}

export function directBoot(m: Ppce500, o: DirectBootOptions): BootInfo {
  const img = parseElf(o.kernel, o.kernelName);
  const ramSize = m.ramU8.length;
  for (const s of img.segments) {
    if (s.paddr + s.memsz > ramSize) {
      throw new ImageError(`${o.kernelName}: segment at 0x${s.paddr.toString(16)}+0x${s.memsz.toString(16)} does not fit in ${ramSize / MB} MiB of RAM`);
    }
  }
  for (const s of img.segments) {
    m.ramU8.fill(0, s.paddr, s.paddr + s.memsz);
    m.ramU8.set(s.data, s.paddr);
  }
  const dtbAddr = Math.floor((img.high + DTB_PAD) / MB) * MB;
  const tree = buildTree({
    ramBytes: ramSize, bootargs: o.bootargs, timebaseHz: TIMEBASE_HZ, clockHz: TIMEBASE_HZ,
    bootKernel: { base: img.low, size: img.high - img.low },
  });
  const dtb = toDtb(tree, { padding: 0x1000 });
  if (dtbAddr + dtb.length > ramSize) throw new ImageError(`${o.kernelName}: no room for the device tree in RAM`);
  m.ramU8.set(dtb, dtbAddr);

  // IMA: the smallest power-of-4 page (MAV 1.0 TSIZE) covering the device tree.
  let tsize = 1;
  while (1024 * Math.pow(4, tsize) < dtbAddr + dtb.length) tsize++;
  const imaSize = 1024 * Math.pow(4, tsize);
  m.setTlb1Entry(0, 0xc0000000 | (tsize << 8), 0, 0x3f, 0);

  const regs = m.vcpu.getRegs();
  regs.pc = img.entry;
  regs.msr = 0;
  regs.gpr.fill(0);
  regs.gpr[1] = INITIAL_SP;
  regs.gpr[3] = dtbAddr;
  regs.gpr[6] = EPAPR_MAGIC;
  regs.gpr[7] = imaSize;
  m.vcpu.setRegs(regs);
  return { entry: img.entry, dtbAddr, imaSize, symbols: img.symbols };
}
