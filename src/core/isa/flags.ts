// The flags of an instruction's table line (decode.ts says what each means).

export const PURE = 1;
export const BRANCH = 2;
export const FAULT = 4;
export const PRIV = 8;
export const SYNC = 16;
/**
 * Among the instructions that make up all but about 0.1% of what Linux and
 * U-Boot execute (counted per instruction, and a few close relatives): the
 * page interpreter gives these a case of its own (exec/interp.ts).
 */
export const COMMON = 32;
/** Reads or writes GPRs its fields do not name (lmw, stmw): a translator must hand it all of them. */
export const ALLGPR = 64;
/** A return from interrupt that the debug RET event watches (rfi, rfci: Book E's DBCR0[RET]). */
export const RETURN = 128;
