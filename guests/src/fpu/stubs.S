/* One stub per instruction under test.
 *
 *   void stub(const u64 *a, const u64 *b, const u64 *c, struct out *o, const u64 *ctl)
 *
 * loads f1 = *a, f2 = *b, f3 = *c, sets the FPSCR to ctl[0] (low word) and
 * f0 (the target) to ctl[1], clears the CR, runs the instruction (at label
 * <stub>_at), then stores f0, the FPSCR (mffs) and the CR into *o.
 * out: +0 target, +8 mffs image, +16 CR, +24 memory word(s) for stores.
 * The C caller's CR fields are saved and restored. */
  .section .note.GNU-stack,"",@progbits
  .section .text

.macro STUB name, insn:vararg
  .globl \name
  .globl \name\()_at
\name:
  mfcr 9
  lfd 1, 0(3)
  lfd 2, 0(4)
  lfd 3, 0(5)
  lfd 0, 0(7)
  mtfsf 0xff, 0
  lfd 0, 8(7)
  li 8, 0
  mtcrf 0xff, 8
  addi 10, 6, 24
\name\()_at:
  \insn
  mfcr 8
  mffs 4
  stfd 0, 0(6)
  stfd 4, 8(6)
  stw 8, 16(6)
  mtcrf 0xff, 9
  blr
.endm

/* arithmetic (Rc=1): f0 = f1 op f2; multiply-adds: f1 * f3 + f2 */
STUB s_fadd,    fadd. 0, 1, 2
STUB s_fsub,    fsub. 0, 1, 2
STUB s_fmul,    fmul. 0, 1, 2
STUB s_fdiv,    fdiv. 0, 1, 2
STUB s_fadds,   fadds. 0, 1, 2
STUB s_fsubs,   fsubs. 0, 1, 2
STUB s_fmuls,   fmuls. 0, 1, 2
STUB s_fdivs,   fdivs. 0, 1, 2
STUB s_fmadd,   fmadd. 0, 1, 3, 2
STUB s_fmsub,   fmsub. 0, 1, 3, 2
STUB s_fnmadd,  fnmadd. 0, 1, 3, 2
STUB s_fnmsub,  fnmsub. 0, 1, 3, 2
STUB s_fmadds,  fmadds. 0, 1, 3, 2
STUB s_fmsubs,  fmsubs. 0, 1, 3, 2
STUB s_fnmadds, fnmadds. 0, 1, 3, 2
STUB s_fnmsubs, fnmsubs. 0, 1, 3, 2
STUB s_fsel,    fsel. 0, 1, 3, 2
/* unary on f2 */
STUB s_frsp,    frsp. 0, 2
STUB s_fctiw,   fctiw. 0, 2
STUB s_fctiwz,  fctiwz. 0, 2
STUB s_fres,    fres. 0, 2
STUB s_frsqrte, frsqrte. 0, 2
STUB s_fmr,     fmr. 0, 2
STUB s_fneg,    fneg. 0, 2
STUB s_fabs,    fabs. 0, 2
STUB s_fnabs,   fnabs. 0, 2
/* Rc=0 forms: CR1 must stay clear */
STUB s_fadd_nr,   fadd 0, 1, 2
STUB s_fmuls_nr,  fmuls 0, 1, 2
STUB s_fmadd_nr,  fmadd 0, 1, 3, 2
STUB s_frsp_nr,   frsp 0, 2
STUB s_fctiw_nr,  fctiw 0, 2
STUB s_fneg_nr,   fneg 0, 2
STUB s_fsel_nr,   fsel 0, 1, 3, 2
STUB s_fres_nr,   fres 0, 2
/* compares into CR field 6, 0 and 7 */
STUB s_fcmpu,   fcmpu 6, 1, 2
STUB s_fcmpo,   fcmpo 6, 1, 2
STUB s_fcmpu0,  fcmpu 0, 1, 2
STUB s_fcmpo7,  fcmpo 7, 1, 2
/* loads and stores through *a (a's first word for singles) and out+24 (r10) */
STUB s_lfs,     lfs 0, 0(3)
STUB s_lfd,     lfd 0, 0(3)
STUB s_stfs,    stfs 1, 0(10)
STUB s_stfd,    stfd 1, 0(10)
STUB s_stfiwx,  stfiwx 1, 0, 10
/* FPSCR moves */
STUB s_mffs,    mffs. 0
STUB s_mffs_nr, mffs 0
STUB s_mtfsf_00, mtfsf. 0x00, 2
STUB s_mtfsf_01, mtfsf. 0x01, 2
STUB s_mtfsf_02, mtfsf. 0x02, 2
STUB s_mtfsf_04, mtfsf. 0x04, 2
STUB s_mtfsf_08, mtfsf. 0x08, 2
STUB s_mtfsf_10, mtfsf. 0x10, 2
STUB s_mtfsf_20, mtfsf. 0x20, 2
STUB s_mtfsf_40, mtfsf. 0x40, 2
STUB s_mtfsf_80, mtfsf. 0x80, 2
STUB s_mtfsf_ff, mtfsf. 0xff, 2
STUB s_mtfsf_81, mtfsf 0x81, 2
/* mtfsf with L=1 (all fields) */
STUB s_mtfsf_l,  .long 0xfe00158f

.irp f, 0, 1, 2, 3, 4, 5, 6, 7
STUB s_mcrfs_\f, mcrfs 1, \f
.endr

.irp f, 0, 1, 2, 3, 4, 5, 6, 7
.irp i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
STUB s_mtfsfi_\f\()_\i, mtfsfi. \f, \i
.endr
.endr

.irp b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
STUB s_mtfsb0_\b, mtfsb0. \b
STUB s_mtfsb1_\b, mtfsb1. \b
.endr

  .section .rodata
  .align 2
  .globl mcrfs_stubs, mtfsfi_stubs, mtfsb0_stubs, mtfsb1_stubs
mcrfs_stubs:
.irp f, 0, 1, 2, 3, 4, 5, 6, 7
  .long s_mcrfs_\f
.endr
mtfsfi_stubs:
.irp f, 0, 1, 2, 3, 4, 5, 6, 7
.irp i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
  .long s_mtfsfi_\f\()_\i
.endr
.endr
mtfsb0_stubs:
.irp b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
  .long s_mtfsb0_\b
.endr
mtfsb1_stubs:
.irp b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
  .long s_mtfsb1_\b
.endr

/* Single instructions for the FP-unavailable checks (MSR[FP] = 0): each
 * stub is the instruction then blr; r3 points to a doubleword. */
  .section .text
.macro ONE name, insn:vararg
  .globl \name
\name:
  \insn
  blr
.endm
ONE u_lfd,    lfd 0, 0(3)
ONE u_lfs,    lfs 0, 0(3)
ONE u_stfd,   stfd 0, 0(3)
ONE u_stfiwx, stfiwx 0, 0, 3
ONE u_fadd,   fadd 0, 0, 0
ONE u_fmr,    fmr 1, 0
ONE u_mffs,   mffs 0
ONE u_mtfsf,  mtfsf 0xff, 0
ONE u_mtfsb1, mtfsb1 24
ONE u_fcmpu,  fcmpu 0, 0, 0
ONE u_lfdu0,  .long 0xcc000000   /* lfdu f0,0(0): invalid form */
/* g_state(u64 *p): p[0] = f0, p[1] = f1, p[2] = FPSCR image (MSR[FP] = 1) */
  .globl g_state
g_state:
  stfd 0, 0(3)
  stfd 1, 8(3)
  mffs 0
  stfd 0, 16(3)
  lfd 0, 0(3)
  blr
