// Guest memory as a debugger or the monitor sees it: effective addresses
// translated through the guest's MMU as the vCPU would (the TLB walker over
// the shared TLB, synchronized through the API), data address space first
// (MSR[DS]) then the instruction one (MSR[IS]), as QEMU's debug accesses
// do; physical accesses reach RAM only (device registers have side effects
// on reads, so a debugger never touches them).

import type { Ppce500 } from '../machine/ppce500.js';

const MSR_IS = 0x20, MSR_DS = 0x10;
const PAGE = 4096;

/** The physical address of effective address `ea` for a debugger, or null if the guest has no mapping. */
export function translateDebug(m: Ppce500, ea: number): number | null {
  const r = m.vcpu.getRegs();
  const pid = r.pid & 0xff;
  const ds = (r.msr & MSR_DS) !== 0 ? 1 : 0, is = (r.msr & MSR_IS) !== 0 ? 1 : 0;
  const t = m.tlbView.translate(ea >>> 0, ds, pid) ?? (is !== ds ? m.tlbView.translate(ea >>> 0, is, pid) : null);
  return t === null ? null : t.realAddress;
}

/** Read `len` bytes at effective address `ea` (software breakpoints hidden); null if any byte is not mapped RAM. */
export function readVirtual(m: Ppce500, ea: number, len: number): Uint8Array | null {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const a = (ea + done) >>> 0;
    const n = Math.min(len - done, PAGE - (a % PAGE));
    const pa = translateDebug(m, a);
    if (pa === null) return null;
    const part = m.readPhys(pa, n);
    if (part === null) return null;
    out.set(part, done);
    done += n;
  }
  return out;
}

/** Write at effective address `ea`; false (nothing written) if any byte is not mapped RAM. */
export function writeVirtual(m: Ppce500, ea: number, data: Uint8Array): boolean {
  const parts: { pa: number; from: number; n: number }[] = [];
  let done = 0;
  while (done < data.length) {
    const a = (ea + done) >>> 0;
    const n = Math.min(data.length - done, PAGE - (a % PAGE));
    const pa = translateDebug(m, a);
    if (pa === null || !m.isRam(pa, n)) return false;
    parts.push({ pa, from: done, n });
    done += n;
  }
  for (const p of parts) m.writePhys(p.pa, data.subarray(p.from, p.from + p.n));
  return true;
}
