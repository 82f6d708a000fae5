/*
 * Branches: b/ba/bl/bla, bc/bca/bcl/bcla, bclr/bclrl, bcctr/bcctrl with
 * every defined BO encoding (CTR decrement and test, CR bit test; the 'z'
 * bits zero, the 'at' hint bits in all combinations), LR updates by LK=1
 * whether or not the branch is taken, and branch targets.
 *
 * Not tested (invalid forms, undefined): bcctr with BO[2] = 0 (decrement).
 */
#include "runtime.h"

/* The defined BO values of Power ISA 2.06: z bits 0; hint bits "at" = 00, 10
   or 11 (01 is reserved, and the assembler refuses it). */
#define BO_LIST(X) X(0) X(2) X(4) X(6) X(7) X(8) X(10) X(12) X(14) X(15) \
  X(16) X(18) X(20) X(24) X(25) X(26) X(27)

static int bo_model(int bo, u32 *ctr, int crbit) {
  int ctr_ok = 1;
  if (!(bo & 4)) {
    *ctr -= 1;
    ctr_ok = (*ctr != 0) == !(bo & 2);
  }
  int cond_ok = (bo & 16) || crbit == ((bo >> 3) & 1);
  return ctr_ok && cond_ok;
}

/* bc BO,6,target with CTR and CR set: returns taken; *ctr_io in/out; *lr out. */
#define BC_FN(bo)                                                                \
  static int bc_##bo(u32 *ctr_io, u32 cr, u32 *lr_out, u32 *lr_want) {          \
    u32 taken, ctr = *ctr_io, lr, next;                                         \
    __asm__ __volatile__("mtctr %[ctr]\n mtcrf 0xff,%[cr]\n li %[t],0\n"        \
                         " bcl " #bo ",6,1f\n"                                  \
                         "2: b 3f\n"                                            \
                         "1: li %[t],1\n"                                       \
                         "3: mflr %[lr]\n mfctr %[ctr]\n"                       \
                         " bl 4f\n4: mflr %[n]\n"                                \
                         : [t] "=&r"(taken), [ctr] "+&r"(ctr), [lr] "=&r"(lr),  \
                           [n] "=&b"(next)                                      \
                         : [cr] "r"(cr)                                         \
                         : "lr", "ctr", "cr0", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7"); \
    *ctr_io = ctr;                                                              \
    *lr_out = lr;                                                               \
    *lr_want = next - 20; /* the instruction after the bcl */                 \
    return (int)taken;                                                          \
  }
BO_LIST(BC_FN)

/* bclr BO,6 (LK=0): the target is a label loaded into LR. */
#define BCLR_FN(bo)                                                              \
  static int bclr_##bo(u32 *ctr_io, u32 cr) {                                   \
    u32 taken, ctr = *ctr_io, t;                                                \
    __asm__ __volatile__("mtctr %[ctr]\n mtcrf 0xff,%[cr]\n li %[t],0\n"        \
                         " bl 5f\n5: mflr %[x]\n addi %[x],%[x],20\n mtlr %[x]\n" \
                         " bclr " #bo ",6\n"                                    \
                         " b 3f\n"                                              \
                         "1: li %[t],1\n"                                       \
                         "3: mfctr %[ctr]\n"                                    \
                         : [t] "=&r"(taken), [ctr] "+&r"(ctr), [x] "=&b"(t)     \
                         : [cr] "r"(cr)                                         \
                         : "lr", "ctr", "cr0", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7"); \
    *ctr_io = ctr;                                                              \
    return (int)taken;                                                          \
  }
BO_LIST(BCLR_FN)

/* bcctr BO,6 (LK=0), only BO with BO[2] = 1 (no decrement). */
#define BCCTR_FN(bo)                                                             \
  static int bcctr_##bo(u32 cr) {                                               \
    u32 taken, t;                                                               \
    __asm__ __volatile__("mtcrf 0xff,%[cr]\n li %[t],0\n"                       \
                         " bl 5f\n5: mflr %[x]\n addi %[x],%[x],20\n mtctr %[x]\n" \
                         " bcctr " #bo ",6\n"                                   \
                         " b 3f\n"                                              \
                         "1: li %[t],1\n"                                       \
                         "3:\n"                                                 \
                         : [t] "=&r"(taken), [x] "=&b"(t)                       \
                         : [cr] "r"(cr)                                         \
                         : "lr", "ctr", "cr0", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7"); \
    return (int)taken;                                                          \
  }
#define BCCTR_LIST(X) X(4) X(6) X(7) X(12) X(14) X(15) X(20)
BCCTR_LIST(BCCTR_FN)

typedef int (*bc_fn)(u32 *, u32, u32 *, u32 *);
typedef int (*bclr_fn)(u32 *, u32);
typedef int (*bcctr_fn)(u32);
#define ENTRY_BC(bo) {bo, bc_##bo, bclr_##bo},
static const struct { int bo; bc_fn bc; bclr_fn bclr; } bos[] = {BO_LIST(ENTRY_BC)};
#define ENTRY_BCCTR(bo) {bo, bcctr_##bo},
static const struct { int bo; bcctr_fn f; } bcctrs[] = {BCCTR_LIST(ENTRY_BCCTR)};

static void conditional(void) {
  static const u32 ctrs[] = {0, 1, 2, 0xffffffffu, 0x80000000u};
  for (unsigned k = 0; k < sizeof bos / sizeof bos[0]; k++) {
    int bad = 0, badl = 0, badlr = 0;
    for (int crbit = 0; crbit < 2; crbit++) {
      u32 cr = crbit ? 0x02000000u : ~0x02000000u; /* CR bit 6 (cr1[EQ]) */
      for (unsigned c = 0; c < sizeof ctrs / sizeof ctrs[0]; c++) {
        u32 want_ctr = ctrs[c];
        int want = bo_model(bos[k].bo, &want_ctr, crbit);
        u32 ctr = ctrs[c], lr, lr_want;
        int got = bos[k].bc(&ctr, cr, &lr, &lr_want);
        if (got != want || ctr != want_ctr) {
          if (bad++ < 2) printf("  bcl %d,6 crbit=%d ctr=0x%x: taken %d ctr 0x%x, want %d 0x%x\n",
                                bos[k].bo, crbit, ctrs[c], got, ctr, want, want_ctr);
        }
        if (lr != lr_want) badlr++;
        ctr = ctrs[c];
        got = bos[k].bclr(&ctr, cr);
        if (got != want || ctr != want_ctr) {
          if (badl++ < 2) printf("  bclr %d,6 crbit=%d ctr=0x%x: taken %d ctr 0x%x, want %d 0x%x\n",
                                 bos[k].bo, crbit, ctrs[c], got, ctr, want, want_ctr);
        }
      }
    }
    reportf(!bad, "bcl BO=%d: condition and CTR", bos[k].bo);
    reportf(!badlr, "bcl BO=%d: LR = next instruction, taken or not", bos[k].bo);
    reportf(!badl, "bclr BO=%d: condition and CTR", bos[k].bo);
  }
  for (unsigned k = 0; k < sizeof bcctrs / sizeof bcctrs[0]; k++) {
    int bad = 0;
    for (int crbit = 0; crbit < 2; crbit++) {
      u32 cr = crbit ? 0x02000000u : ~0x02000000u;
      u32 dummy = 5;
      if (bcctrs[k].f(cr) != bo_model(bcctrs[k].bo, &dummy, crbit)) bad++;
    }
    reportf(!bad, "bcctr BO=%d", bcctrs[k].bo);
  }
}

/* Link forms: bclrl and bcctrl set LR to the next instruction after reading the target. */
static void links(void) {
  u32 lr, want, ctr, r;
  /* bclrl: the target comes from the old LR, the new LR is the return address. */
  __asm__ __volatile__("bl 1f\n1: mflr %[w]\n addi %[r],%[w],16\n mtlr %[r]\n"
                       " bclrl 20,0\n"          /* 1+12: jumps to 1+16 */
                       "2: mflr %[lr]\n"        /* 1+16 */
                       " addi %[w],%[w],16\n"
                       : [lr] "=&r"(lr), [w] "=&b"(want), [r] "=&b"(r) : : "lr");
  report_eq("bclrl: target from old LR, LR = next instruction", lr, want);
  __asm__ __volatile__("bl 1f\n1: mflr %[w]\n addi %[r],%[w],16\n mtctr %[r]\n"
                       " bcctrl 20,0\n"
                       "2: mflr %[lr]\n mfctr %[c]\n"
                       " addi %[w],%[w],16\n"
                       : [lr] "=&r"(lr), [w] "=&b"(want), [r] "=&b"(r), [c] "=&r"(ctr) : : "lr", "ctr");
  report_eq("bcctrl: LR = next instruction", lr, want);
  report_eq("bcctrl: CTR unchanged", ctr, want);
  /* Not-taken bcl still writes LR. */
  __asm__ __volatile__("li %[r],0\n mtcrf 0x80,%[r]\n"
                       " bl 1f\n1: mflr %[w]\n"
                       " bcl 12,2,3f\n"         /* cr0[EQ] = 0: not taken */
                       "2: mflr %[lr]\n"
                       " addi %[w],%[w],8\n"
                       "3:\n"
                       : [lr] "=&r"(lr), [w] "=&b"(want), [r] "=&b"(r) : : "lr", "cr0");
  report_eq("bcl not taken: LR = next instruction", lr, want);
  /* bdnz loop counts down CTR to 0. */
  u32 n = 0;
  __asm__ __volatile__("li %[c],7\n mtctr %[c]\n li %[n],0\n"
                       "1: addi %[n],%[n],1\n bdnz 1b\n mfctr %[c]\n"
                       : [n] "=&r"(n), [c] "=&r"(ctr) : : "ctr");
  report("bdnz loop: 7 iterations, CTR = 0", n == 7 && ctr == 0);
  /* bdz with CTR = 0 wraps to 0xffffffff and is not taken. */
  __asm__ __volatile__("li %[c],0\n mtctr %[c]\n li %[n],0\n"
                       " bdz 1f\n li %[n],1\n1: mfctr %[c]\n"
                       : [n] "=&r"(n), [c] "=&r"(ctr) : : "ctr");
  report("bdz from CTR = 0: CTR wraps to 0xffffffff, not taken", n == 1 && ctr == 0xffffffffu);
  /* bclr masks the two low bits of LR. */
  __asm__ __volatile__("li %[n],0\n bl 1f\n1: mflr %[r]\n addi %[r],%[r],23\n mtlr %[r]\n"
                       " blr\n li %[n],2\n"     /* 1+16: skipped */
                       " li %[n],1\n"           /* 1+20: the target */
                       : [n] "=&r"(n), [r] "=&b"(r) : : "lr");
  report("blr ignores LR[30:31]", n == 1);
  __asm__ __volatile__("li %[n],0\n bl 1f\n1: mflr %[r]\n addi %[r],%[r],22\n mtctr %[r]\n"
                       " bctr\n li %[n],2\n"
                       " li %[n],1\n"
                       : [n] "=&r"(n), [r] "=&b"(r) : : "lr", "ctr");
  report("bctr ignores CTR[30:31]", n == 1);
}

/* Absolute branches: code copied to 0x2000 (within ba/bca reach). */
#define LOW_CODE 0x2000u
static void absolute(void) {
  volatile u32 *p = (volatile u32 *)LOW_CODE;
  p[0] = 0x3860002a; /* li r3,42 */
  p[1] = 0x4e800020; /* blr */
  __asm__ __volatile__("dcbst 0,%0\n sync\n icbi 0,%0\n sync\n isync" : : "r"(LOW_CODE) : "memory");
  u32 r3, lr, want;
  __asm__ __volatile__("li 3,0\n bla 0x2000\n mr %[r3],3\n"
                       : [r3] "=&r"(r3) : : "r3", "lr", "memory");
  report("bla 0x2000: absolute target", r3 == 42);
  __asm__ __volatile__("li 3,0\n li 0,0\n mtcrf 0x80,0\n bl 1f\n1: mflr %[w]\n"
                       " bcla 12,2,0x2000\n mflr %[lr]\n mr %[r3],3\n addi %[w],%[w],8\n"
                       : [r3] "=&r"(r3), [lr] "=&r"(lr), [w] "=&b"(want) : : "r0", "r3", "lr", "cr0", "memory");
  report("bcla not taken: no call", r3 == 0);
  report_eq("bcla not taken: LR = next instruction", lr, want);
  __asm__ __volatile__("li 3,0\n lis 0,0x2000\n mtcrf 0x80,0\n bcla 12,2,0x2000\n mr %[r3],3\n"
                       : [r3] "=&r"(r3) : : "r0", "r3", "lr", "cr0", "memory");
  report("bcla taken: absolute target", r3 == 42);
}

/* ---- condition register ---- */

#define CROP(name)                                                               \
  static u32 run_##name(u32 cr) {                                               \
    __asm__ __volatile__("mtcrf 0xff,%0\n " #name " 13,2,31\n mfcr %0"          \
                         : "+r"(cr) : : "cr0", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7"); \
    return cr;                                                                  \
  }
CROP(crand) CROP(cror) CROP(crxor) CROP(crnand) CROP(crnor) CROP(creqv) CROP(crandc) CROP(crorc)

static void cr_logical(void) {
  /* truth tables indexed by (a << 1) | b */
  static const struct { const char *name; u32 (*f)(u32); u8 tt[4]; } ops[] = {
    {"crand", run_crand, {0, 0, 0, 1}}, {"cror", run_cror, {0, 1, 1, 1}},
    {"crxor", run_crxor, {0, 1, 1, 0}}, {"crnand", run_crnand, {1, 1, 1, 0}},
    {"crnor", run_crnor, {1, 0, 0, 0}}, {"creqv", run_creqv, {1, 0, 0, 1}},
    {"crandc", run_crandc, {0, 0, 1, 0}}, {"crorc", run_crorc, {1, 0, 1, 1}},
  };
  for (unsigned k = 0; k < 8; k++) {
    int bad = 0;
    for (int ab = 0; ab < 4; ab++)
      for (int old = 0; old < 2; old++) {
        u32 a = ab >> 1, b = ab & 1;
        /* crbA = 2, crbB = 31, crbD = 13; background pattern elsewhere */
        u32 cr = 0x6b94e53cu;
        cr = (cr & ~(1u << 29)) | a << 29;
        cr = (cr & ~1u) | b;
        cr = (cr & ~(1u << 18)) | (u32)old << 18;
        u32 want = (cr & ~(1u << 18)) | (u32)ops[k].tt[ab] << 18;
        u32 got = ops[k].f(cr);
        if (got != want) {
          bad++;
          printf("  %s a=%u b=%u: CR 0x%08x, want 0x%08x\n", ops[k].name, a, b, got, want);
        }
      }
    report(ops[k].name, !bad);
  }
}

static void cr_moves(void) {
  u32 cr, r;
  __asm__ __volatile__("mtcrf 0xff,%1\n mcrf 6,1\n mcrf 0,7\n mfcr %0" : "=r"(cr) : "r"(0x12345678u) : "cr0", "cr6");
  report_eq("mcrf 6,1 and 0,7", cr, 0x82345628u);
  __asm__ __volatile__("mtcrf 0xff,%1\n mtcrf 0x81,%2\n mfcr %0" : "=r"(cr) : "r"(0x12345678u), "r"(0xabcdef09u)
                       : "cr0", "cr7");
  report_eq("mtcrf 0x81 writes fields 0 and 7 only", cr, 0xa2345679u);
  __asm__ __volatile__("mtcrf 0xff,%1\n mtcrf 0x00,%2\n mfcr %0" : "=r"(cr) : "r"(0x12345678u), "r"(0xabcdef09u));
  report_eq("mtcrf 0x00 writes nothing", cr, 0x12345678u);
  __asm__ __volatile__("mtcrf 0xff,%1\n mtcrf 0xff,%2\n mfcr %0" : "=r"(cr) : "r"(0x12345678u), "r"(0xabcdef09u)
                       : "cr0", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7");
  report_eq("mtcrf 0xff writes all", cr, 0xabcdef09u);
  __asm__ __volatile__("mtcrf 0xff,%1\n mtocrf 0x04,%2\n mfcr %0" : "=r"(cr) : "r"(0x12345678u), "r"(0xabcdef09u)
                       : "cr5");
  report_eq("mtocrf 0x04 writes field 5", cr, 0x12345f78u);
  /* mfocrf: the selected field is defined; the others are undefined (not checked). */
  __asm__ __volatile__("mtcrf 0xff,%1\n mfocrf %0,0x10" : "=r"(r) : "r"(0x12345678u));
  report_eq("mfocrf 0x10 reads field 3", r & 0x000f0000u, 0x00040000u);
  __asm__ __volatile__("mtcrf 0xff,%1\n mfocrf %0,0x01" : "=r"(r) : "r"(0x9abcdef7u));
  report_eq("mfocrf 0x01 reads field 7", r & 0xfu, 0x7u);
  /* mcrxr: CR field <- XER[SO,OV,CA,0], those XER bits cleared. */
  u32 xer;
  __asm__ __volatile__("mtcrf 0xff,%2\n mtxer %3\n mcrxr 4\n mfcr %0\n mfxer %1"
                       : "=&r"(cr), "=&r"(xer) : "r"(0xffffffffu), "r"(0xa0000011u) : "cr4", "xer");
  report_eq("mcrxr 4: CR field", cr, 0xffffafffu);
  report_eq("mcrxr 4: XER[SO,OV,CA] cleared", xer, 0x00000011u);
}

/* isel rD,rA,rB,crb: rD = CR[crb] ? (rA|0) : rB. */
#define ISEL(bc)                                                                 \
  static u32 isel_##bc(u32 cr, u32 a, u32 b) {                                  \
    u32 r;                                                                      \
    __asm__ __volatile__("mtcrf 0xff,%1\n isel %0,%2,%3," #bc                   \
                         : "=&r"(r) : "r"(cr), "b"(a), "r"(b) : "cr0", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7"); \
    return r;                                                                   \
  }
ISEL(0) ISEL(3) ISEL(13) ISEL(22) ISEL(31)

static void isel(void) {
  static const struct { int bc; u32 (*f)(u32, u32, u32); } t[] = {
    {0, isel_0}, {3, isel_3}, {13, isel_13}, {22, isel_22}, {31, isel_31},
  };
  int bad = 0;
  for (unsigned k = 0; k < 5; k++)
    for (int v = 0; v < 2; v++) {
      u32 cr = v ? (1u << (31 - t[k].bc)) : ~(1u << (31 - t[k].bc));
      u32 got = t[k].f(cr, 0x1111u, 0x2222u);
      if (got != (v ? 0x1111u : 0x2222u)) {
        bad++;
        printf("  isel bc=%d bit=%d: 0x%x\n", t[k].bc, v, got);
      }
    }
  report("isel selects rA or rB by the CR bit", !bad);
  u32 r;
  __asm__ __volatile__("li 0,77\n mtcrf 0xff,%1\n isel %0,0,%2,5" : "=&r"(r) : "r"(0xffffffffu), "r"(5u)
                       : "r0", "cr1");
  report_eq("isel with rA = 0 selects 0", r, 0);
}

int main(void) {
  conditional();
  links();
  absolute();
  cr_logical();
  cr_moves();
  isel();
  return 0;
}
