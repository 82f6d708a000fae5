// The flags of an instruction's table line (decode.ts says what each means).

export const PURE = 1;
export const BRANCH = 2;
export const FAULT = 4;
export const PRIV = 8;
export const SYNC = 16;
/**
 * The instructions that make up most of what guests execute: the page
 * interpreter gives these a case of its own (exec/interp.ts). Counted one
 * by one in a Linux boot to the shell (228 M instructions): the 31 that are
 * each over 0.5% of it (96.5% together), and ten close relatives (cmp,
 * srawi, lwzx, sth, rlwimi, ori, neg, mullw, stwx, stbx): 97%.
 */
export const COMMON = 32;
/** Reads or writes GPRs its fields do not name (lmw, stmw): a translator must hand it all of them. */
export const ALLGPR = 64;
/** A return from interrupt that the debug RET event watches (rfi, rfci: Book E's DBCR0[RET]). */
export const RETURN = 128;
