/* FPU test guest: runs the e500mc's floating-point instructions over a table
 * of interesting operands in each rounding mode and prints, one line per
 * case, the result's bits, the FPSCR and the CR; then checks enabled
 * exceptions, FP-unavailable and the load/store forms from inside the guest
 * and prints PASS/FAIL lines. tkvm's output is compared with QEMU's line by
 * line (test/fpu-guest.test.ts).
 *
 * Line format: <op> <a> <b> <c> <mode> <result> <fpscr> <cr>
 *   a, b, c: operand indices (hex, "--" when unused) into the tables below;
 *   mode: FPSCR[RN] (0 nearest, 1 zero, 2 +inf, 3 -inf) or a group letter.
 *
 * Built with -msoft-float: the C code never touches the FPU, so the FPRs and
 * FPSCR hold only what the stubs (stubs.S) put there. */
#include "runtime.h"

typedef unsigned int u32;
typedef unsigned long long u64;

struct out { u64 res; u64 fps; u32 cr; u32 pad; u64 mem; };
typedef void stub_t(const u64 *a, const u64 *b, const u64 *c, struct out *o, const u64 *ctl);

#define STUBS(X) X(fadd) X(fsub) X(fmul) X(fdiv) X(fadds) X(fsubs) X(fmuls) X(fdivs) \
  X(fmadd) X(fmsub) X(fnmadd) X(fnmsub) X(fmadds) X(fmsubs) X(fnmadds) X(fnmsubs) X(fsel) \
  X(frsp) X(fctiw) X(fctiwz) X(fres) X(frsqrte) X(fmr) X(fneg) X(fabs) X(fnabs) \
  X(fadd_nr) X(fmuls_nr) X(fmadd_nr) X(frsp_nr) X(fctiw_nr) X(fneg_nr) X(fsel_nr) X(fres_nr) \
  X(fcmpu) X(fcmpo) X(fcmpu0) X(fcmpo7) X(lfs) X(lfd) X(stfs) X(stfd) X(stfiwx) \
  X(mffs) X(mffs_nr) X(mtfsf_00) X(mtfsf_01) X(mtfsf_02) X(mtfsf_04) X(mtfsf_08) X(mtfsf_10) \
  X(mtfsf_20) X(mtfsf_40) X(mtfsf_80) X(mtfsf_ff) X(mtfsf_81) X(mtfsf_l)
#define DECL(n) extern stub_t s_##n; extern char s_##n##_at[];
STUBS(DECL)
extern stub_t *const mcrfs_stubs[8], *const mtfsfi_stubs[128], *const mtfsb0_stubs[32], *const mtfsb1_stubs[32];
extern void u_lfd(void *), u_lfs(void *), u_stfd(void *), u_stfiwx(void *), u_fadd(void *), u_fmr(void *),
  u_mffs(void *), u_mtfsf(void *), u_mtfsb1(void *), u_fcmpu(void *), u_lfdu0(void *);
extern void g_state(u64 *);
extern char vec_program[], vec_fpunavail[];

struct trap { u32 count, kind, esr, srr0, srr1, msr; };
extern volatile struct trap trap;

/* MSR_FP comes from runtime.h. */
#define MSR_FE0 0x0800u
#define MSR_FE1 0x0100u
#define ESR_FP 0x01000000u
#define ESR_PIL 0x08000000u
#define MARK 0x123456789abcdef0ull

/* ---- output ---- */

static void hex(u32 v, int digits) {
  for (int i = (digits - 1) * 4; i >= 0; i -= 4) rt_putc("0123456789abcdef"[(v >> i) & 15]);
}
static void hex64(u64 v) { hex((u32)(v >> 32), 8); hex((u32)v, 8); }
static void sp(void) { rt_putc(' '); }
static void nl(void) { rt_puts("\n"); }
static void idx(int i) { if (i < 0) rt_puts("--"); else hex((u32)i, 2); }

static void line(const char *name, int a, int b, int c, char mode, const struct out *o, u64 shown) {
  rt_puts(name); sp(); idx(a); sp(); idx(b); sp(); idx(c); sp(); rt_putc(mode); sp();
  hex64(shown); sp(); hex((u32)o->fps, 8); sp(); hex(o->cr, 8); nl();
}

static u64 ctl[2];
static struct out o;

static void run(stub_t *s, const u64 *a, const u64 *b, const u64 *c, u32 fpscr) {
  ctl[0] = fpscr;
  ctl[1] = MARK;
  o.res = o.fps = o.mem = 0;
  o.cr = 0;
  o.mem = MARK;
  s(a, b, c, &o, ctl);
}

static u32 msr_get(void) { u32 m; asm volatile("mfmsr %0" : "=r"(m)); return m; }
static void msr_set(u32 m) { asm volatile("mtmsr %0; isync" :: "r"(m)); }

/* ---- operand tables ---- */

static const u64 dvals[] = {
  0x0000000000000000ull, 0x8000000000000000ull, /* +0 -0 */
  0x0000000000000001ull, 0x800fffffffffffffull, /* +min denormal, -max denormal */
  0x0010000000000000ull, 0x3ff0000000000000ull, /* min normal, 1 */
  0xc008000000000000ull, 0x3ff0000000000001ull, /* -3, 1+ulp */
  0x3ca0000000000000ull, 0x7fefffffffffffffull, /* 2^-53, max */
  0xe578000000000000ull, 0x1a74000000000000ull, /* -1.5*2^600, 1.25*2^-600 */
  0x3fd5555555555555ull, 0x3ff0000010000000ull, /* 1/3, 1+2^-24 (single tie) */
  0x7ff0000000000000ull, 0xfff0000000000000ull, /* +inf -inf */
  0x7ff8000000000000ull, 0xfff8000000000abcull, /* QNaN, -QNaN with payload */
  0x7ff0000000000001ull, 0xfff4000000012345ull, /* SNaN, -SNaN with payload */
};
#define NDFIN 14
#define NDVAL 20

static const u64 svals[] = {
  0x0000000000000000ull, 0x8000000000000000ull, /* +0 -0 */
  0x36a0000000000000ull, 0xb80fffffc0000000ull, /* single: +min denormal, -max denormal */
  0x3810000000000000ull, 0x3ff0000000000000ull, /* single min normal, 1 */
  0xc008000000000000ull, 0x3ff0000020000000ull, /* -3, 1+2^-23 */
  0x3e70000000000000ull, 0x47efffffe0000000ull, /* 2^-24, single max */
  0xc638000000000000ull, 0x39b4000000000000ull, /* -1.5*2^100, 1.25*2^-100 */
  0x7ff0000000000000ull, 0xfff0000000000000ull,
  0x7ff8000000000000ull, 0xfff8000000000abcull,
  0x7ff0000000000001ull, 0xfff4000000012345ull,
};
#define NSFIN 12
#define NSVAL 18

/* Operands of the one-operand instructions (frsp, conversions, estimates, stfs). */
static const u64 uvals[] = {
  0x0000000000000000ull, 0x8000000000000000ull, 0x0000000000000001ull, 0x800fffffffffffffull,
  0x3ff0000000000000ull, 0xbff8000000000000ull, 0x4004000000000000ull, 0x400c000000000000ull,
  0xc004000000000000ull, 0x3fdfffffffffffffull, 0x3fe0000000000000ull, 0xbfe0000000000001ull,
  0x41dfffffffc00000ull, 0x41dfffffffe00000ull, 0x41e0000000000000ull, 0xc1e0000000000000ull,
  0xc1e0000000100000ull, 0xc1e0000000200000ull, 0x4415af1d78b58c40ull, 0xc415af1d78b58c40ull,
  0x47efffffe0000000ull, 0x47efffffefffffffull, 0x47effffff0000000ull, 0x47f0000000000000ull,
  0x3ff0000010000000ull, 0x3ff0000010000001ull, 0x3ff0000030000000ull, 0xbff000000fffffffull,
  0x36a0000000000000ull, 0x3690000000000000ull, 0x3690000000000001ull, 0x380fffffe0000000ull,
  0x37ffffffffffffffull, 0xb69fffffffffffffull, 0x7fefffffffffffffull, 0x4c70000000000000ull,
  0x3fd5555555555555ull, 0x0170000000000000ull, 0x4330000000000001ull, 0xc00fffffffffffffull,
  0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000abcull,
  0x7ff0000000000001ull, 0xfff4000000012345ull,
};
#define NUVAL ((int)(sizeof uvals / sizeof uvals[0]))
#define NUFIN (NUVAL - 6)

/* Multiply-add operands for the NaN/infinity/zero combinations. */
static const u64 tvals[] = {
  0x0000000000000000ull, 0x3ff0000000000000ull, 0x7ff0000000000000ull,
  0xfff0000000000000ull, 0xfff8000000000abcull, 0x7ff4000000012345ull,
};
#define NTVAL 6

/* Multiply-add edge cases: a, c, b (result a*c+b). */
static const u64 fma_edges[][3] = {
  { 0x7fefffffffffffffull, 0x4000000000000000ull, 0xffefffffffffffffull }, /* max*2 - max: fused, no overflow */
  { 0x6570000000000000ull, 0x6570000000000000ull, 0x3ff0000000000000ull }, /* overflow */
  { 0x1a70000000000000ull, 0x1a70000000000000ull, 0x0000000000000000ull }, /* underflow to zero */
  { 0x1a70000000000000ull, 0x1a70000000000000ull, 0x0000000000000001ull }, /* tiny + denormal */
  { 0x3ff0000000000000ull, 0x0000000000000000ull, 0x8000000000000000ull }, /* +0 + -0 */
  { 0xbff0000000000000ull, 0x0000000000000000ull, 0x8000000000000000ull }, /* -0 + -0 */
  { 0x3ff0000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull }, /* exact zero */
  { 0x4008000000000000ull, 0x3fd5555555555555ull, 0xbff0000000000000ull }, /* 3*(1/3) - 1 */
  { 0x3ff0000000000001ull, 0x3ff0000000000001ull, 0xbff0000000000000ull }, /* (1+u)^2 - 1 */
  { 0x3ff0000000000001ull, 0x3ff0000000000001ull, 0xbff0000000000002ull },
  { 0x0170000000000000ull, 0x3c30000000000000ull, 0x0000000000000001ull }, /* denormal result */
  { 0x3ff0000010000000ull, 0x3ff0000010000000ull, 0x0000000000000000ull }, /* single: rounding of a square */
  { 0x47efffffe0000000ull, 0x4000000000000000ull, 0xc7efffffe0000000ull }, /* single max*2 - max */
  { 0x3810000000000000ull, 0x3fe0000000000000ull, 0x0000000000000000ull }, /* single: min normal / 2 */
  { 0x3ff0000000000000ull, 0x3ff0000000000000ull, 0x3ca0000000000000ull }, /* 1 + 2^-53: tie */
  { 0x3ff0000000000000ull, 0x3ff0000000000000ull, 0x3ca0000000000001ull }, /* just above the tie */
};
#define NFMAEDGE ((int)(sizeof fma_edges / sizeof fma_edges[0]))

/* The same for the single-precision forms, with single-precision operands
 * (other operands make the result undefined, Book I 4.3.5.1). */
static const u64 fma_edges_s[][3] = {
  { 0x47efffffe0000000ull, 0x4000000000000000ull, 0xc7efffffe0000000ull }, /* max*2 - max: fused, no overflow */
  { 0x4530000000000000ull, 0x4530000000000000ull, 0x3ff0000000000000ull }, /* 2^84 * 2^84: overflow */
  { 0x3ad0000000000000ull, 0x3ad0000000000000ull, 0x0000000000000000ull }, /* 2^-82 squared: underflow to zero */
  { 0x3ad0000000000000ull, 0x3ad0000000000000ull, 0x36a0000000000000ull }, /* tiny + single min denormal */
  { 0x3ff0000000000000ull, 0x0000000000000000ull, 0x8000000000000000ull }, /* +0 + -0 */
  { 0xbff0000000000000ull, 0x0000000000000000ull, 0x8000000000000000ull }, /* -0 + -0 */
  { 0x3ff0000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull }, /* exact zero */
  { 0x4008000000000000ull, 0x3fd5555540000000ull, 0xbff0000000000000ull }, /* 3*(1/3) - 1 */
  { 0x3ff0000020000000ull, 0x3ff0000020000000ull, 0xbff0000000000000ull }, /* (1+u)^2 - 1 */
  { 0x3ff0000020000000ull, 0x3ff0000020000000ull, 0xbff0000040000000ull },
  { 0x3810000000000000ull, 0x3e70000000000000ull, 0x36a0000000000000ull }, /* denormal result */
  { 0x3ff0000010000000ull, 0x3ff0000010000000ull, 0x0000000000000000ull }, /* not single: rounding of a square */
  { 0x3810000000000000ull, 0x3fe0000000000000ull, 0x0000000000000000ull }, /* min normal / 2 */
  { 0x3ff0000000000000ull, 0x3ff0000000000000ull, 0x3e70000000000000ull }, /* 1 + 2^-24: tie */
  { 0x3ff0000000000000ull, 0x3ff0000000000000ull, 0x3e70000020000000ull }, /* just above the tie */
  { 0x3ff0000000000000ull, 0x3ff0000000000000ull, 0x3e6fffffe0000000ull }, /* just below the tie */
};
#define NFMAEDGE_S ((int)(sizeof fma_edges_s / sizeof fma_edges_s[0]))

static int is_fin(u64 v) { return ((v >> 52) & 0x7ff) != 0x7ff; }

/* ---- the table runs ---- */

struct op { const char *name; stub_t *stub; };

static void binary_ops(const struct op *ops, int nops, const u64 *vals, int nval) {
  for (int k = 0; k < nops; k++)
    for (int i = 0; i < nval; i++)
      for (int j = 0; j < nval; j++) {
        int modes = is_fin(vals[i]) && is_fin(vals[j]) ? 4 : 1;
        for (int m = 0; m < modes; m++) {
          run(ops[k].stub, &vals[i], &vals[j], &vals[0], (u32)m);
          line(ops[k].name, i, j, -1, (char)('0' + m), &o, o.res);
        }
      }
}

static void unary_ops(const struct op *ops, int nops, int modes) {
  for (int k = 0; k < nops; k++)
    for (int i = 0; i < NUVAL; i++)
      for (int m = 0; m < (i < NUFIN ? modes : 1); m++) {
        run(ops[k].stub, &uvals[0], &uvals[i], &uvals[0], (u32)m);
        line(ops[k].name, -1, i, -1, (char)('0' + m), &o, o.res);
      }
}

static const struct op fma_d[] = {
  { "fmadd", s_fmadd }, { "fmsub", s_fmsub }, { "fnmadd", s_fnmadd }, { "fnmsub", s_fnmsub },
};
static const struct op fma_s[] = {
  { "fmadds", s_fmadds }, { "fmsubs", s_fmsubs }, { "fnmadds", s_fnmadds }, { "fnmsubs", s_fnmsubs },
};

static void fma_line(const struct op *op, const u64 *t, int tag, char mode_base, int modes) {
  for (int m = 0; m < modes; m++) {
    run(op->stub, &t[0], &t[2], &t[1], (u32)m);
    line(op->name, tag, -1, -1, (char)(mode_base + m), &o, o.res);
  }
}

static u32 rng = 12345;
static u32 rnd(void) { rng = rng * 1664525u + 1013904223u; return rng; }

/* A random double (single: 24-bit significand) with its exponent in [bias+lo, bias+hi). */
static u64 rnd_val(int single, int lo, int hi) {
  u32 e = (u32)(1023 + lo + (int)(rnd() % (u32)(hi - lo)));
  u64 m = ((u64)(rnd() & 0xfffff) << 32) | rnd();
  if (single) m &= ~0x1fffffffull;
  return ((u64)(rnd() & 1) << 63) | ((u64)e << 52) | m;
}

static void fma_random(int count) {
  for (int n = 0; n < count; n++) {
    int single = n & 1, kind = (n >> 1) % 5;
    int span = single ? 20 : 60;
    u64 t[3];
    t[0] = rnd_val(single, -span, span);
    t[1] = rnd_val(single, -span, span);
    if (kind == 0) {
      t[2] = rnd_val(single, -span, span);
    } else if (kind == 1 || kind == 2) {
      /* b = -(a*c) nearly: massive cancellation */
      run(single ? s_fmuls : s_fmul, &t[0], &t[1], &t[0], 0);
      u64 d = (u64)(rnd() % 7) << (single ? 29 : 0);
      t[2] = (o.res ^ 0x8000000000000000ull) + d - (3ull << (single ? 29 : 0));
      if (kind == 2) t[2] ^= 0x8000000000000000ull; /* or doubling */
    } else if (kind == 3) {
      t[2] = rnd_val(single, -2 * span - 30, -2 * span); /* b far below a*c */
    } else {
      t[2] = rnd_val(single, 2 * span, 2 * span + 30); /* b far above a*c */
    }
    const struct op *ops = single ? fma_s : fma_d;
    for (int k = 0; k < 4; k++) {
      for (int m = 0; m < 4; m++) {
        run(ops[k].stub, &t[0], &t[2], &t[1], (u32)m);
        rt_puts(ops[k].name); rt_puts(" r "); hex64(t[0]); sp(); hex64(t[1]); sp(); hex64(t[2]); sp();
        rt_putc((char)('0' + m)); sp(); hex64(o.res); sp(); hex((u32)o.fps, 8); sp(); hex(o.cr, 8); nl();
      }
    }
  }
}

static void random_binary(int count) {
  static const struct op ops[] = {
    { "fadd", s_fadd }, { "fsub", s_fsub }, { "fmul", s_fmul }, { "fdiv", s_fdiv },
    { "fadds", s_fadds }, { "fsubs", s_fsubs }, { "fmuls", s_fmuls }, { "fdivs", s_fdivs },
  };
  for (int n = 0; n < count; n++) {
    int single = (n & 1);
    u64 a = rnd_val(single, -30, 30), b = rnd_val(single, -30, 30);
    if ((n & 6) == 2) b = (a ^ 0x8000000000000000ull) + (rnd() & 0xff) - 0x80; /* cancellation */
    for (int k = single * 4; k < single * 4 + 4; k++)
      for (int m = 0; m < 4; m++) {
        run(ops[k].stub, &a, &b, &a, (u32)m);
        rt_puts(ops[k].name); rt_puts(" r "); hex64(a); sp(); hex64(b); sp(); rt_putc((char)('0' + m)); sp();
        hex64(o.res); sp(); hex((u32)o.fps, 8); sp(); hex(o.cr, 8); nl();
      }
  }
}

static void tables(void) {
  static const struct op dops[] = {
    { "fadd", s_fadd }, { "fsub", s_fsub }, { "fmul", s_fmul }, { "fdiv", s_fdiv },
  };
  static const struct op sops[] = {
    { "fadds", s_fadds }, { "fsubs", s_fsubs }, { "fmuls", s_fmuls }, { "fdivs", s_fdivs },
  };
  binary_ops(dops, 4, dvals, NDVAL);
  binary_ops(sops, 4, svals, NSVAL);
  random_binary(64);

  static const struct op rounding[] = {
    { "frsp", s_frsp }, { "fctiw", s_fctiw }, { "fctiwz", s_fctiwz }, { "fres", s_fres }, { "frsqrte", s_frsqrte },
  };
  unary_ops(rounding, 5, 4);
  static const struct op moves[] = {
    { "fmr", s_fmr }, { "fneg", s_fneg }, { "fabs", s_fabs }, { "fnabs", s_fnabs },
  };
  unary_ops(moves, 4, 1);

  /* multiply-add: NaN, infinity and zero combinations, then edges, then random */
  for (int k = 0; k < 8; k++) {
    const struct op *op = k < 4 ? &fma_d[k] : &fma_s[k - 4];
    for (int i = 0; i < NTVAL; i++)
      for (int j = 0; j < NTVAL; j++)
        for (int l = 0; l < NTVAL; l++) {
          run(op->stub, &tvals[i], &tvals[l], &tvals[j], 0);
          line(op->name, i, j, l, '0', &o, o.res);
        }
    if (k < 4) for (int e = 0; e < NFMAEDGE; e++) fma_line(op, fma_edges[e], e, '0', 4);
    else for (int e = 0; e < NFMAEDGE_S; e++) fma_line(op, fma_edges_s[e], e, '0', 4);
  }
  fma_random(80);

  /* fsel: a >= 0 ? c : b */
  for (int i = 0; i < NDVAL; i++) {
    run(s_fsel, &dvals[i], &dvals[6], &dvals[5], 0);
    line("fsel", i, 6, 5, '0', &o, o.res);
  }

  /* compares */
  static const u64 cvals[] = {
    0xfff0000000000000ull, 0xbff0000000000000ull, 0x8000000000000000ull, 0x0000000000000000ull,
    0x0000000000000001ull, 0x3ff0000000000000ull, 0x7ff0000000000000ull, 0x7ff8000000000000ull,
    0x7ff0000000000001ull,
  };
  for (int i = 0; i < 9; i++)
    for (int j = 0; j < 9; j++) {
      run(s_fcmpu, &cvals[i], &cvals[j], &cvals[0], 0);
      line("fcmpu", i, j, -1, '0', &o, o.res);
      run(s_fcmpo, &cvals[i], &cvals[j], &cvals[0], 0);
      line("fcmpo", i, j, -1, '0', &o, o.res);
      run(s_fcmpo, &cvals[i], &cvals[j], &cvals[0], 0x80); /* VE=1: VXVC only if not SNaN */
      line("fcmpo", i, j, -1, 'v', &o, o.res);
    }
  for (int i = 3; i < 9; i += 2) {
    run(s_fcmpu0, &cvals[i], &cvals[5], &cvals[0], 0);
    line("fcmpu0", i, 5, -1, '0', &o, o.res);
    run(s_fcmpo7, &cvals[i], &cvals[5], &cvals[0], 0);
    line("fcmpo7", i, 5, -1, '0', &o, o.res);
  }

  /* Rc=0 forms */
  static const struct op norc[] = {
    { "fadd_nr", s_fadd_nr }, { "fmuls_nr", s_fmuls_nr }, { "fmadd_nr", s_fmadd_nr }, { "frsp_nr", s_frsp_nr },
    { "fctiw_nr", s_fctiw_nr }, { "fneg_nr", s_fneg_nr }, { "fsel_nr", s_fsel_nr }, { "fres_nr", s_fres_nr },
  };
  for (int k = 0; k < 8; k++)
    for (int i = 3; i < NDVAL; i += 4) {
      run(norc[k].stub, &dvals[i], &dvals[12], &dvals[6], 0);
      line(norc[k].name, i, 12, 6, '0', &o, o.res);
    }

  /* loads and stores: lfs of single patterns, stfs/stfd/stfiwx of doubles */
  static const u64 singles[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x0000000100000000ull, 0x807fffff00000000ull,
    0x0080000000000000ull, 0x3f80000000000000ull, 0xc0490fdb00000000ull, 0x7f7fffff00000000ull,
    0x7f80000000000000ull, 0xff80000000000000ull, 0x7fc0000000000000ull, 0xffc0123400000000ull,
    0x7f80000100000000ull, 0xffa5a5a500000000ull, 0x0040000000000000ull, 0x8000000300000000ull,
  };
  for (int i = 0; i < 16; i++) {
    run(s_lfs, &singles[i], &uvals[0], &uvals[0], 0);
    line("lfs", i, -1, -1, '0', &o, o.res);
  }
  for (int i = 0; i < NUVAL; i++) {
    run(s_stfs, &uvals[i], &uvals[0], &uvals[0], 0);
    line("stfs", i, -1, -1, '0', &o, o.mem);
    run(s_stfiwx, &uvals[i], &uvals[0], &uvals[0], 0);
    line("stfiwx", i, -1, -1, '0', &o, o.mem);
  }
  for (int i = 0; i < NDVAL; i += 3) {
    run(s_lfd, &dvals[i], &uvals[0], &uvals[0], 0);
    line("lfd", i, -1, -1, '0', &o, o.res);
    run(s_stfd, &dvals[i], &uvals[0], &uvals[0], 0);
    line("stfd", i, -1, -1, '0', &o, o.mem);
  }
}

/* ---- FPSCR instructions ---- */

static void fpscr_moves(void) {
  static const u64 pats[] = {
    0x00000000ffffffffull, 0xfff8000000000000ull, 0x0000000060000000ull, 0x00000000900000f8ull,
    0x0000000007f80700ull, 0x000000000001f000ull,
  };
  static const u32 inits[] = { 0x00000000u, 0x9ff80700u, 0x000000f8u };
  static const struct { const char *name; stub_t *s; } m[] = {
    { "mtfsf00", s_mtfsf_00 }, { "mtfsf01", s_mtfsf_01 }, { "mtfsf02", s_mtfsf_02 }, { "mtfsf04", s_mtfsf_04 },
    { "mtfsf08", s_mtfsf_08 }, { "mtfsf10", s_mtfsf_10 }, { "mtfsf20", s_mtfsf_20 }, { "mtfsf40", s_mtfsf_40 },
    { "mtfsf80", s_mtfsf_80 }, { "mtfsfff", s_mtfsf_ff }, { "mtfsf81", s_mtfsf_81 }, { "mtfsfL", s_mtfsf_l },
  };
  for (int k = 0; k < 12; k++)
    for (int p = 0; p < 6; p++)
      for (int i = 0; i < 3; i++) {
        run(m[k].s, &uvals[0], &pats[p], &uvals[0], inits[i]);
        line(m[k].name, p, i, -1, '0', &o, o.res);
      }
  /* mtfsfi: every field and immediate, from zero and from a busy FPSCR */
  for (int f = 0; f < 8; f++)
    for (int i = 0; i < 16; i++)
      for (int n = 0; n < 2; n++) {
        run(mtfsfi_stubs[f * 16 + i], &uvals[0], &uvals[0], &uvals[0], n ? 0x6ff80700u : 0);
        line("mtfsfi", f, i, n, '0', &o, o.res);
      }
  /* mtfsb0/mtfsb1: every bit, from zero, from all exceptions set, and with every enable set */
  static const u32 binits[] = { 0x00000000u, 0x9ff80700u, 0x000000f8u, 0x000000ffu };
  for (int b = 0; b < 32; b++)
    for (int n = 0; n < 4; n++) {
      run(mtfsb0_stubs[b], &uvals[0], &uvals[0], &uvals[0], binits[n]);
      line("mtfsb0", b, n, -1, '0', &o, o.res);
      run(mtfsb1_stubs[b], &uvals[0], &uvals[0], &uvals[0], binits[n]);
      line("mtfsb1", b, n, -1, '0', &o, o.res);
    }
  /* mcrfs: every field from a busy FPSCR */
  for (int f = 0; f < 8; f++) {
    run(mcrfs_stubs[f], &uvals[0], &uvals[0], &uvals[0], 0x9ff8f7ffu);
    line("mcrfs", f, -1, -1, '0', &o, o.res);
    run(mcrfs_stubs[f], &uvals[0], &uvals[0], &uvals[0], 0x1ff807f8u);
    line("mcrfs", f, -1, -1, '1', &o, o.res);
  }
  run(s_mffs, &uvals[0], &uvals[0], &uvals[0], 0x9ff8f0ffu);
  line("mffs", -1, -1, -1, '0', &o, o.res);
  run(s_mffs_nr, &uvals[0], &uvals[0], &uvals[0], 0x9ff8f0ffu);
  line("mffs_nr", -1, -1, -1, '0', &o, o.res);
}

/* ---- enabled exceptions with MSR[FE0,FE1] = 0 (ignore-exceptions mode): results are still architected ---- */

static void enabled_ignored(void) {
  static const u64 e[] = {
    0x3ff0000000000000ull, 0x4008000000000000ull, 0x7fefffffffffffffull, 0x6570000000000000ull,
    0x1a70000000000000ull, 0x0000000000000001ull, 0x0000000000000000ull, 0x7ff0000000000000ull,
    0x7ff0000000000001ull, 0x7ff8000000000000ull, 0x4c70000000000000ull, 0x36a0000000000000ull,
  };
  /* single-precision operands for the single-precision forms */
  static const u64 es[] = {
    0x3ff0000000000000ull, 0x4008000000000000ull, 0x47efffffe0000000ull, 0x4530000000000000ull,
    0x3ad0000000000000ull, 0x36a0000000000000ull, 0x0000000000000000ull, 0x7ff0000000000000ull,
    0x7ff0000020000000ull, 0x7ff8000000000000ull, 0x4330000000000000ull, 0x3810000000000000ull,
  };
  static const struct op ops[] = {
    { "fadd", s_fadd }, { "fmul", s_fmul }, { "fdiv", s_fdiv }, { "fmadd", s_fmadd },
    { "fadds", s_fadds }, { "fmuls", s_fmuls }, { "fdivs", s_fdivs }, { "fmadds", s_fmadds },
  };
  static const u32 en[] = { 0xf8, 0x80, 0x40, 0x20 };
  for (int k = 0; k < 8; k++)
    for (int i = 0; i < 12; i++)
      for (int j = 0; j < 12; j++) {
        const u64 *v = k < 4 ? e : es;
        run(ops[k].stub, &v[i], &v[j], &v[i], 0xf8);
        line(ops[k].name, i, j, -1, 'e', &o, o.res);
      }
  static const struct op un[] = { { "frsp", s_frsp }, { "fctiw", s_fctiw }, { "fres", s_fres }, { "frsqrte", s_frsqrte } };
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < NUVAL; i++)
      for (int n = 0; n < 4; n++) {
        run(un[k].stub, &uvals[0], &uvals[i], &uvals[0], en[n]);
        line(un[k].name, n, i, -1, 'e', &o, o.res);
      }
  /* conversions leave FPRF undefined: see what becomes of a preset one */
  for (int i = 0; i < NUVAL; i += 3) {
    run(s_fctiw, &uvals[0], &uvals[i], &uvals[0], 0x0001f000);
    line("fctiw", -1, i, -1, 'f', &o, o.res);
    run(s_fctiwz, &uvals[0], &uvals[i], &uvals[0], 0x0001f080);
    line("fctiwz", -1, i, -1, 'f', &o, o.res);
  }
  /* NI=1 */
  for (int i = 0; i < NDFIN; i++) {
    run(s_fmul, &dvals[i], &dvals[11], &dvals[0], 0x04);
    line("fmul", i, 11, -1, 'n', &o, o.res);
    run(s_fadd, &dvals[i], &dvals[2], &dvals[0], 0x04);
    line("fadd", i, 2, -1, 'n', &o, o.res);
  }
}

/* ---- checks from inside the guest ---- */

static int fails;

static void check(const char *name, int ok, u32 got1, u32 got2) {
  rt_puts(ok ? "PASS " : "FAIL ");
  rt_puts(name);
  if (!ok) { sp(); hex(got1, 8); sp(); hex(got2, 8); }
  nl();
  if (!ok) fails++;
}

/* Run a stub with MSR[FE0,FE1] = fe and check the enabled-exception interrupt. */
static void precise(const char *name, stub_t *s, char *at, const u64 *a, const u64 *b, const u64 *c,
                    u32 fpscr, u32 fe, int want_trap, u64 want_res, u32 want_fpscr) {
  u32 msr = msr_get();
  u32 before = trap.count;
  if (at == 0) at = (char *)s + (s_fadd_at - (char *)s_fadd);
  trap.kind = trap.esr = trap.srr0 = trap.srr1 = 0;
  msr_set(msr | fe);
  run(s, a, b, c, fpscr);
  u32 inside = msr_get();
  msr_set(msr);
  rt_puts("     "); rt_puts(name); rt_puts(" - "); hex64(o.res); sp(); hex((u32)o.fps, 8); sp(); hex(o.cr, 8); nl();
  if (!want_trap) {
    check(name, trap.count == before, trap.count - before, 0);
  } else {
    check(name, trap.count == before + 1 && trap.kind == 6, trap.count - before, trap.kind);
    check(name, trap.esr == ESR_FP, trap.esr, 0);
    check(name, trap.srr0 == (u32)at, trap.srr0, (u32)at);
    check(name, trap.srr1 == (msr | fe), trap.srr1, msr | fe);
    check(name, (trap.msr & (MSR_FP | MSR_FE0 | MSR_FE1)) == 0, trap.msr, 0);
    check(name, inside == (msr | fe), inside, 0);
  }
  check(name, o.res == want_res, (u32)(o.res >> 32), (u32)o.res);
  check(name, (u32)o.fps == want_fpscr, (u32)o.fps, want_fpscr);
  /* Rc = 1 stubs: CR1 is FPSCR[0:3] after the instruction (compares set CR6 instead) */
  u32 want_cr = s == s_fcmpo ? 0x10u : (want_fpscr >> 28) << 24;
  check(name, o.cr == want_cr, o.cr, want_cr);
}

static const u64 one = 0x3ff0000000000000ull, three = 0x4008000000000000ull, zero = 0, two = 0x4000000000000000ull;
static const u64 snan = 0x7ff0000000000001ull, qnan = 0x7ff8000000000000ull, dmax = 0x7fefffffffffffffull;
static const u64 p600 = 0x1a70000000000000ull, big200 = 0x4c70000000000000ull, third = 0x3fd5555555555555ull;

static void enabled_precise(void) {
  precise("no-exception", s_fadd, s_fadd_at, &one, &one, &one, 0xf8, MSR_FE0, 0, 0x4000000000000000ull, 0x000040f8u);
  check("stub-layout", s_fdiv_at - (char *)s_fdiv == 40 && s_mtfsf_ff_at - (char *)s_mtfsf_ff == 40, 0, 0);
  precise("ve-fadd-snan", s_fadd, s_fadd_at, &snan, &one, &one, 0x80, MSR_FE0, 1, MARK, 0xe1000080u);
  precise("ze-fdiv", s_fdiv, s_fdiv_at, &one, &zero, &one, 0x10, MSR_FE0, 1, MARK, 0xc4000010u);
  precise("oe-fmul", s_fmul, s_fmul_at, &dmax, &two, &one, 0x40, MSR_FE0 | MSR_FE1, 1, 0x1fffffffffffffffull, 0xd0004040u);
  precise("ue-fmul", s_fmul, s_fmul_at, &p600, &p600, &one, 0x20, MSR_FE1, 1, 0x54f0000000000000ull, 0xc8004020u);
  precise("xe-fdiv", s_fdiv, s_fdiv_at, &one, &three, &one, 0x08, MSR_FE0, 1, 0x3fd5555555555555ull, 0xc2024008u);
  precise("xe-fmadd", s_fmadd, s_fmadd_at, &three, &one, &third, 0x08, MSR_FE0, 1, 0x4000000000000000ull, 0xc2064008u);
  precise("ve-fctiw-qnan", s_fctiw, s_fctiw_at, &one, &qnan, &one, 0x80, MSR_FE0, 1, MARK, 0xe0000180u);
  precise("oe-frsp", s_frsp, s_frsp_at, &one, &big200, &one, 0x40, MSR_FE0, 1, 0x4070000000000000ull, 0xd0004040u);
  precise("ve-fcmpo-qnan", s_fcmpo, s_fcmpo_at, &qnan, &one, &one, 0x80, MSR_FE0, 1, MARK, 0xe0081080u);
  precise("ve-mtfsb1", mtfsb1_stubs[7], 0, &one, &one, &one, 0x80, MSR_FE0, 1, MARK, 0xe1000080u);
  precise("ve-mtfsfi", mtfsfi_stubs[6 * 16 + 8], 0, &one, &one, &one, 0x01000000, MSR_FE0, 1, MARK, 0x61000080u);
  precise("ze-fdivs-fe1", s_fdivs, s_fdivs_at, &three, &zero, &one, 0x10, MSR_FE1, 1, MARK, 0xc4000010u);
  precise("ignored-xe-fdiv", s_fdiv, s_fdiv_at, &one, &three, &one, 0x08, 0, 0, 0x3fd5555555555555ull, 0xc2024008u);
  precise("no-exception-after-ignored", s_fadd, s_fadd_at, &one, &one, &one, 0xf8, MSR_FE0, 0, 0x4000000000000000ull, 0x000040f8u);
}

/* FP unavailable: every FP instruction traps without effect when MSR[FP] = 0. */
static void fp_unavailable(void) {
  static u64 cell = 0x4000000000000000ull, state[3];
  static const u64 pat = 0x3ff00000000000f8ull;
  static const struct { const char *name; void (*f)(void *); } u[] = {
    { "unavail-lfd", u_lfd }, { "unavail-lfs", u_lfs }, { "unavail-stfd", u_stfd }, { "unavail-stfiwx", u_stfiwx },
    { "unavail-fadd", u_fadd }, { "unavail-fmr", u_fmr }, { "unavail-mffs", u_mffs }, { "unavail-mtfsf", u_mtfsf },
    { "unavail-mtfsb1", u_mtfsb1 }, { "unavail-fcmpu", u_fcmpu },
  };
  u32 msr = msr_get();
  /* an invalid form with MSR[FP] = 0: which interrupt comes first */
  {
    u32 before = trap.count;
    msr_set(msr & ~MSR_FP);
    u_lfdu0(&cell);
    msr_set(msr);
    rt_puts("unavail-lfdu-ra0 "); hex(trap.count - before, 1); sp(); hex(trap.kind, 1); sp(); hex(trap.esr, 8); nl();
  }
  for (int k = 0; k < 10; k++) {
    /* f0 = f1 = pat (its low word would set enables if moved to the FPSCR), FPSCR = 0 */
    run(s_lfd, &pat, &pat, &pat, 0);
    cell = 0x4000000000000000ull;
    u32 before = trap.count;
    msr_set(msr & ~MSR_FP);
    u[k].f(&cell);
    msr_set(msr);
    check(u[k].name, trap.count == before + 1 && trap.kind == 7, trap.count - before, trap.kind);
    check(u[k].name, trap.srr0 == (u32)u[k].f, trap.srr0, (u32)u[k].f);
    check(u[k].name, cell == 0x4000000000000000ull, (u32)(cell >> 32), (u32)cell);
    /* f0, f1 and the FPSCR are unchanged */
    g_state(state);
    check(u[k].name, state[0] == pat && state[1] == pat, (u32)state[0], (u32)state[1]);
    check(u[k].name, (u32)state[2] == 0, (u32)state[2], 0);
  }
}

/* Indexed and update forms of the FP loads and stores. */
static void load_store_forms(void) {
  static u64 buf[4] = { 0x3ff8000000000000ull, 0x3fc0000040000000ull, 0x4000000000000000ull, 0xc000000000000000ull };
  static u64 dst[4];
  u64 *p;
  u64 r;
  char *base = (char *)buf;

  /* lfsx f0, base, 8 -> single at buf[1] (0x3fc00000 = 1.5) */
  asm volatile("lfsx 0,%1,%2; stfd 0,0(%0)" :: "b"(dst), "b"(base), "r"(8) : "memory");
  check("lfsx", dst[0] == 0x3ff8000000000000ull, (u32)(dst[0] >> 32), (u32)dst[0]);
  p = buf;
  asm volatile("lfsu 0,8(%1); stfd 0,0(%2)" : "=m"(dst[0]), "+b"(p) : "b"(dst) : "memory");
  check("lfsu", dst[0] == 0x3ff8000000000000ull && p == &buf[1], (u32)(dst[0] >> 32), (u32)p);
  p = buf;
  asm volatile("lfsux 0,%1,%3; stfd 0,0(%2)" : "=m"(dst[0]), "+b"(p) : "b"(dst), "r"(16) : "memory");
  check("lfsux", dst[0] == 0x4000000000000000ull && p == &buf[2], (u32)(dst[0] >> 32), (u32)p);
  asm volatile("lfdx 0,%1,%2; stfd 0,0(%0)" :: "b"(dst), "b"(base), "r"(24) : "memory");
  check("lfdx", dst[0] == 0xc000000000000000ull, (u32)(dst[0] >> 32), (u32)dst[0]);
  p = buf;
  asm volatile("lfdu 0,16(%1); stfd 0,0(%2)" : "=m"(dst[0]), "+b"(p) : "b"(dst) : "memory");
  check("lfdu", dst[0] == 0x4000000000000000ull && p == &buf[2], (u32)(dst[0] >> 32), (u32)p);
  p = buf;
  asm volatile("lfdux 0,%1,%3; stfd 0,0(%2)" : "=m"(dst[0]), "+b"(p) : "b"(dst), "r"(8) : "memory");
  check("lfdux", dst[0] == 0x3fc0000040000000ull && p == &buf[1], (u32)(dst[0] >> 32), (u32)p);

  /* stores: f1 = 2.0 */
  asm volatile("lfd 1,16(%0)" :: "b"(buf) : "memory");
  dst[0] = dst[1] = dst[2] = dst[3] = 0;
  asm volatile("stfsx 1,%0,%1" :: "b"(dst), "r"(4) : "memory");
  check("stfsx", dst[0] == 0x0000000040000000ull, (u32)(dst[0] >> 32), (u32)dst[0]);
  p = dst;
  asm volatile("stfsu 1,8(%0)" : "+b"(p) :: "memory");
  check("stfsu", dst[1] == 0x4000000000000000ull && p == &dst[1], (u32)(dst[1] >> 32), (u32)p);
  p = dst;
  asm volatile("stfsux 1,%0,%1" : "+b"(p) : "r"(20) : "memory");
  check("stfsux", dst[2] == 0x0000000040000000ull && (char *)p == (char *)dst + 20, (u32)dst[2], (u32)p);
  p = dst;
  asm volatile("stfdx 1,%0,%1" :: "b"(p), "r"(24) : "memory");
  check("stfdx", dst[3] == 0x4000000000000000ull, (u32)(dst[3] >> 32), (u32)dst[3]);
  dst[0] = dst[1] = dst[2] = dst[3] = 0;
  p = dst;
  asm volatile("stfdu 1,16(%0)" : "+b"(p) :: "memory");
  check("stfdu", dst[2] == 0x4000000000000000ull && p == &dst[2], (u32)(dst[2] >> 32), (u32)p);
  p = dst;
  asm volatile("stfdux 1,%0,%1" : "+b"(p) : "r"(8) : "memory");
  check("stfdux", dst[1] == 0x4000000000000000ull && p == &dst[1], (u32)(dst[1] >> 32), (u32)p);
  /* misaligned doubleword across a word boundary */
  static unsigned char bytes[24];
  for (int i = 0; i < 24; i++) bytes[i] = (unsigned char)(i * 17 + 3);
  asm volatile("lfd 0,3(%0); stfd 0,12(%0)" :: "b"(bytes) : "memory");
  r = 0;
  for (int i = 0; i < 8; i++) r = (r << 8) | bytes[12 + i];
  check("lfd-misaligned", r == 0x36475869 * 0x100000000ull + 0x7a8b9cadull, (u32)(r >> 32), (u32)r);

  /* invalid update forms (rA = 0) */
  static const u32 invalid[] = {
    0xc4000000u, /* lfsu f0,0(0) */
    0xcc000000u, /* lfdu f0,0(0) */
    0xd4000000u, /* stfsu f0,0(0) */
    0xdc000000u, /* stfdu f0,0(0) */
    0x7c001c6eu, /* lfsux f0,0,r3 */
    0x7c001ceeu, /* lfdux f0,0,r3 */
    0x7c001d6eu, /* stfsux f0,0,r3 */
    0x7c001deeu, /* stfdux f0,0,r3 */
  };
  static u32 code[2] __attribute__((aligned(8)));
  for (int k = 0; k < 8; k++) {
    code[0] = invalid[k];
    code[1] = 0x4e800020u; /* blr */
    asm volatile("dcbst 0,%0; sync; icbi 0,%0; isync" :: "r"(code) : "memory");
    u32 before = trap.count;
    trap.esr = 0;
    asm volatile("mtctr %0; mr 3,%1; bctrl" :: "r"(code), "r"(dst) : "r3", "lr", "ctr", "memory");
    rt_puts("invalid-form "); hex(invalid[k], 8); sp(); hex(trap.count - before, 1); sp(); hex(trap.esr, 8); nl();
  }
}

int main(void) {
  asm volatile("mtspr 63,%0" :: "r"((u32)vec_program & 0xffff0000u));    /* IVPR */
  asm volatile("mtspr 406,%0" :: "r"((u32)vec_program & 0xfff0u));       /* IVOR6 */
  asm volatile("mtspr 407,%0" :: "r"((u32)vec_fpunavail & 0xfff0u));     /* IVOR7 */
  msr_set(msr_get() | MSR_FP);
  rt_puts("fpu guest\n");
  tables();
  fpscr_moves();
  enabled_ignored();
  enabled_precise();
  fp_unavailable();
  load_store_forms();
  rt_puts(fails ? "fpu guest: FAILURES\n" : "fpu guest: all checks passed\n");
  /* The line above is the verdict (test/fpu-guest.test.ts compares the whole
     output with QEMU's): power off without the kit's summary line. */
  rt_poweroff();
}
