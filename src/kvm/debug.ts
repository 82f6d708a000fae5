// KVM_SET_GUEST_DEBUG for Book E (struct kvm_guest_debug with ppc's
// kvm_guest_debug_arch), validated completely, then applied to the core's
// host-debug state. Semantics follow booke.c: single step; software
// breakpoints (KVM_REG_PPC_DEBUG_INST) with KVM_GUESTDBG_USE_SW_BP; with
// KVM_GUESTDBG_USE_HW_BP up to 2 instruction breakpoints (IAC1/2) and 2
// watchpoints (DAC1/2) from the 16 bp[] slots, slots of type NONE skipped.

import type { Cpu } from '../core/cpu.js';
import { checkFields, hex, u32, u64 } from './check.js';
import {
  KVM_GUEST_DEBUG_BP_SLOTS, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_HW_BP,
  KVM_GUESTDBG_USE_SW_BP, KVMPPC_BOOKE_DAC_NUM, KVMPPC_BOOKE_IAC_NUM, KVMPPC_DEBUG_BREAKPOINT,
  KVMPPC_DEBUG_NONE, KVMPPC_DEBUG_WATCH_READ, KVMPPC_DEBUG_WATCH_WRITE,
} from './constants.js';
import { fail } from './errors.js';

export interface GuestDebugBp {
  /** Instruction address (breakpoint) or data address (watchpoint). */
  addr: bigint;
  /** KVMPPC_DEBUG_NONE, KVMPPC_DEBUG_BREAKPOINT, or WATCH_READ and/or WATCH_WRITE. */
  type: number;
  reserved?: number;
}

/** struct kvm_guest_debug. */
export interface GuestDebug {
  control: number;
  pad?: number;
  /** kvm_guest_debug_arch: up to 16 slots (missing slots are NONE). */
  arch?: { bp: GuestDebugBp[] };
}

const CONTROL_BITS = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP;
const WATCH = KVMPPC_DEBUG_WATCH_READ | KVMPPC_DEBUG_WATCH_WRITE;

export function setGuestDebug(c: Cpu, dbg: GuestDebug): void {
  const o = checkFields(dbg, ['control', 'pad', 'arch'], 'kvm_guest_debug');
  const control = u32(o.control, 'kvm_guest_debug.control');
  if ((control & ~CONTROL_BITS) !== 0) fail('EINVAL', `unknown kvm_guest_debug.control bits ${hex(control & ~CONTROL_BITS)}`);
  if (o.pad !== undefined && o.pad !== 0) fail('EINVAL', 'kvm_guest_debug.pad must be 0');
  let slots: Record<string, unknown>[] = [];
  if (o.arch !== undefined) {
    const arch = checkFields(o.arch, ['bp'], 'kvm_guest_debug.arch');
    if (!Array.isArray(arch.bp) || arch.bp.length > KVM_GUEST_DEBUG_BP_SLOTS) {
      fail('EINVAL', `kvm_guest_debug.arch.bp must be an array of at most ${KVM_GUEST_DEBUG_BP_SLOTS} slots`);
    }
    slots = arch.bp.map((b, i) => checkFields(b, ['addr', 'type', 'reserved'], `kvm_guest_debug.arch.bp[${i}]`));
  }
  const on = (control & KVM_GUESTDBG_ENABLE) !== 0;
  const useHw = on && (control & KVM_GUESTDBG_USE_HW_BP) !== 0;
  const breaks: number[] = [];
  const watch: { addr: number; len: number; kind: number }[] = [];
  slots.forEach((s, i) => {
    const what = `kvm_guest_debug.arch.bp[${i}]`;
    const addr = u64(s.addr, `${what}.addr`);
    const type = u32(s.type, `${what}.type`);
    if (s.reserved !== undefined && s.reserved !== 0) fail('EINVAL', `${what}.reserved must be 0`);
    if (type === KVMPPC_DEBUG_NONE) return;
    if ((type & ~(KVMPPC_DEBUG_BREAKPOINT | WATCH)) !== 0) fail('EINVAL', `${what}.type ${hex(type)} has unknown bits`);
    if ((type & KVMPPC_DEBUG_BREAKPOINT) !== 0 && (type & WATCH) !== 0) {
      fail('EINVAL', `${what}.type ${hex(type)}: a slot is a breakpoint or a watchpoint, not both`);
    }
    if (addr > 0xffffffffn) fail('EINVAL', `${what}.addr ${hex(addr)} is not a 32-bit effective address`);
    if (!useHw) return; // KVM looks at the slots only with KVM_GUESTDBG_USE_HW_BP
    if (type === KVMPPC_DEBUG_BREAKPOINT) {
      if ((addr & 3n) !== 0n) fail('EINVAL', `${what}.addr ${hex(addr)}: instruction breakpoints are word aligned`);
      if (breaks.length >= KVMPPC_BOOKE_IAC_NUM) fail('EINVAL', `more than ${KVMPPC_BOOKE_IAC_NUM} hardware breakpoints (e500mc has IAC1 and IAC2)`);
      breaks.push(Number(addr) | 0);
    } else {
      if (watch.length >= KVMPPC_BOOKE_DAC_NUM) fail('EINVAL', `more than ${KVMPPC_BOOKE_DAC_NUM} watchpoints (e500mc has DAC1 and DAC2)`);
      watch.push({
        addr: Number(addr), len: 1,
        kind: ((type & KVMPPC_DEBUG_WATCH_READ) !== 0 ? 1 : 0) | ((type & KVMPPC_DEBUG_WATCH_WRITE) !== 0 ? 2 : 0),
      });
    }
  });

  const d = c.debug;
  d.singleStep = on && (control & KVM_GUESTDBG_SINGLESTEP) !== 0;
  d.swBreak = on && (control & KVM_GUESTDBG_USE_SW_BP) !== 0;
  d.hwBreaks = breaks;
  d.watch = watch;
  d.resumePc = -1;
  d.update();
  // Watchpoints need every data access on the slow path (mem.ts).
  const disable = watch.length > 0;
  if (c.tc.disabled !== disable || disable) {
    c.tc.disabled = disable;
    c.tc.flush();
  }
  c.sliceEnd = 0;
}
