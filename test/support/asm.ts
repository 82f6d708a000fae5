// A tiny PowerPC assembler for test guests: each function returns one
// instruction word (Power ISA encodings, IBM field names).

const D = (op: number, rt: number, ra: number, d: number): number =>
  ((op << 26) | (rt << 21) | (ra << 16) | (d & 0xffff)) >>> 0;
const X = (op: number, rt: number, ra: number, rb: number, xo: number, rc = 0): number =>
  ((op << 26) | (rt << 21) | (ra << 16) | (rb << 11) | (xo << 1) | rc) >>> 0;
const sprField = (spr: number): number => ((spr & 0x1f) << 5) | ((spr >>> 5) & 0x1f);

export const addi = (rt: number, ra: number, si: number): number => D(14, rt, ra, si);
export const li = (rt: number, si: number): number => addi(rt, 0, si);
export const addis = (rt: number, ra: number, si: number): number => D(15, rt, ra, si);
export const lis = (rt: number, si: number): number => addis(rt, 0, si);
export const ori = (ra: number, rs: number, ui: number): number => D(24, rs, ra, ui);
export const oris = (ra: number, rs: number, ui: number): number => D(25, rs, ra, ui);
export const nop = (): number => ori(0, 0, 0);
export const lwz = (rt: number, d: number, ra: number): number => D(32, rt, ra, d);
export const lbz = (rt: number, d: number, ra: number): number => D(34, rt, ra, d);
export const lhz = (rt: number, d: number, ra: number): number => D(40, rt, ra, d);
export const stw = (rs: number, d: number, ra: number): number => D(36, rs, ra, d);
export const stb = (rs: number, d: number, ra: number): number => D(38, rs, ra, d);
export const sth = (rs: number, d: number, ra: number): number => D(44, rs, ra, d);
export const lmw = (rt: number, d: number, ra: number): number => D(46, rt, ra, d);
export const stmw = (rs: number, d: number, ra: number): number => D(47, rs, ra, d);
export const lwzx = (rt: number, ra: number, rb: number): number => X(31, rt, ra, rb, 23);
export const stwx = (rs: number, ra: number, rb: number): number => X(31, rs, ra, rb, 151);
export const add = (rt: number, ra: number, rb: number): number => X(31, rt, ra, rb, 266);
/** Branch relative to this instruction (bytes). */
export const b = (offset: number): number => ((18 << 26) | (offset & 0x03fffffc)) >>> 0;
export const bl = (offset: number): number => (b(offset) | 1) >>> 0;
/** bdnz: decrement CTR, branch if nonzero (relative). */
export const bdnz = (offset: number): number => ((16 << 26) | (16 << 21) | (offset & 0xfffc)) >>> 0;
export const sc = (lev = 0): number => (0x44000002 | (lev << 5)) >>> 0;
export const mtspr = (spr: number, rs: number): number => X(31, rs, 0, 0, 467) | (sprField(spr) << 11);
export const mfspr = (rt: number, spr: number): number => X(31, rt, 0, 0, 339) | (sprField(spr) << 11);
export const mtctr = (rs: number): number => mtspr(9, rs);
export const mtmsr = (rs: number): number => X(31, rs, 0, 0, 146);
export const mfmsr = (rt: number): number => X(31, rt, 0, 0, 83);
export const wrteei = (e: number): number => (X(31, 0, 0, 0, 163) | (e << 15)) >>> 0;
export const rfi = (): number => X(19, 0, 0, 0, 50);
export const isync = (): number => X(19, 0, 0, 0, 150);
export const sync = (): number => X(31, 0, 0, 0, 598);
export const wait = (): number => X(31, 0, 0, 0, 62);
export const tlbwe = (): number => X(31, 0, 0, 0, 978);
export const tlbre = (): number => X(31, 0, 0, 0, 946);
export const tlbsx = (ra: number, rb: number): number => X(31, 0, ra, rb, 914);
export const tlbivax = (ra: number, rb: number): number => X(31, 0, ra, rb, 786);
export const tlbilx = (t: number, ra: number, rb: number): number => X(31, t, ra, rb, 18);
export const dcbz = (ra: number, rb: number): number => X(31, 0, ra, rb, 1014);
export const ehpriv = (oc: number): number => X(31, 0, 0, 0, 270) | ((oc & 0x7fff) << 11);
/** The software breakpoint KVM_REG_PPC_DEBUG_INST reports. */
export const SW_BREAK = 0x00dddd00;

/** Load a 32-bit constant into rt (2 words). */
export function li32(rt: number, v: number): number[] {
  return [lis(rt, (v >>> 16) & 0xffff), ori(rt, rt, v & 0xffff)];
}
