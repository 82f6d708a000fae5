/*
 * Fixed-point arithmetic, logical, rotate, shift, extend, count and compare
 * instructions: every vector of integer.vectors.h (generated from the ISA's
 * definitions by guests/tools/gen-integer.mjs) runs in every form of its
 * instruction, from a preset XER (SO, OV, CA) and CR:
 *   - the result (unless the architecture leaves it undefined: divw/divwu
 *     by zero and 0x80000000 / -1);
 *   - XER[CA]: written by the carrying instructions, unchanged otherwise;
 *   - XER[OV]: set or cleared by the 'o' forms, unchanged otherwise; XER[SO]
 *     sticky (set by an 'o' form that overflows, never cleared);
 *   - CR: the '.' forms (and addic., andi., andis.) set CR0 = LT/GT/EQ of
 *     the result and SO; compares set their field and copy SO; every other
 *     CR field stays as preset.
 */
#include "runtime.h"
#include "integer.vectors.h"

typedef void (*runner)(u32 a, u32 b, u32 xer, u32 cr, u32 *out);

/* out[0] = rD (preset to b: rlwimi inserts into it), out[1] = XER, out[2] = CR. */
#define RUN(fname, insn)                                                        \
  static void fname(u32 a, u32 b, u32 xer, u32 cr, u32 *out) {                  \
    u32 r = b, x, c;                                                            \
    __asm__ __volatile__("mtxer %[xer]\n mtcrf 0xff,%[cr]\n " insn "\n"         \
                         " mfxer %[x]\n mfcr %[c]"                              \
                         : [r] "+&r"(r), [x] "=&r"(x), [c] "=&r"(c)             \
                         : [xer] "r"(xer), [cr] "r"(cr), [a] "b"(a), [b] "b"(b) \
                         : "cr0", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7", "xer"); \
    out[0] = r;                                                                 \
    out[1] = x;                                                                 \
    out[2] = c;                                                                 \
  }

#define DEF_XO4(name, mn, args) RUN(name##_0, mn " " args) RUN(name##_1, mn ". " args) \
  RUN(name##_2, mn "o " args) RUN(name##_3, mn "o. " args)
#define DEF_XO4U DEF_XO4
#define DEF_RC2(name, mn, args) RUN(name##_0, mn " " args) RUN(name##_1, mn ". " args)
#define DEF_RC2U DEF_RC2
#define DEF_INS2 DEF_RC2
#define DEF_D1(name, mn, args) RUN(name##_0, mn " " args)
#define DEF_CMP DEF_D1
#define DEF(name, kind, mn, args, crf, rc) DEF_##kind(name, mn, args)
INTEGER_OPS(DEF)

#define ROW_XO4(name) {name##_0, name##_1, name##_2, name##_3}
#define ROW_XO4U ROW_XO4
#define ROW_RC2(name) {name##_0, name##_1, 0, 0}
#define ROW_RC2U ROW_RC2
#define ROW_INS2 ROW_RC2
#define ROW_D1(name) {name##_0, 0, 0, 0}
#define ROW_CMP ROW_D1
#define ROW(name, kind, mn, args, crf, rc) ROW_##kind(name),
static const runner runners[OP_COUNT][4] = {INTEGER_OPS(ROW)};

#define INFO(name, kind, mn, args, crf, rc) {#name, mn, crf, rc, #kind[0] == 'C'},
static const struct { const char *name, *mn; u8 crf, rc, cmp; } info[OP_COUNT] = {INTEGER_OPS(INFO)};

static const char *const form_suffix[4] = {"", ".", "o", "o."};

int main(void) {
  static int bad[OP_COUNT], count[OP_COUNT];
  int shown = 0;
  for (unsigned i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
    const struct vec *v = &vectors[i];
    u32 a = op_adom[v->op][v->ab >> 4], b = op_bdom[v->op][v->ab & 15];
    u32 so = v->flags & 1, ov = (v->flags >> 1) & 1, ca = (v->flags >> 2) & 1;
    u32 ca_out = (v->flags >> 3) & 1, ov_out = (v->flags >> 4) & 1, undef = (v->flags >> 5) & 1;
    u32 crcode = 8u >> ((v->flags >> 6) & 3), writes_ca = (v->flags >> 8) & 1;
    u32 xer_in = so << 31 | ov << 30 | ca << 29;
    u32 cr_in = 0x5a3c96e1u ^ (i * 0x01010101u);
    for (int f = 0; f < 4; f++) {
      runner run = runners[v->op][f];
      if (!run) continue;
      u32 out[3];
      run(a, b, xer_in, cr_in, out);
      count[v->op]++;
      int oe = f & 2, dot = (f & 1) || info[v->op].rc;
      u32 so_out = so | (oe ? ov_out : 0);
      u32 xer_want = so_out << 31 | (oe ? ov_out : ov) << 30 | (writes_ca ? ca_out : ca) << 29;
      u32 cr_want = cr_in, cr_mask = 0xffffffffu;
      if (info[v->op].cmp) {
        u32 sh = (7 - info[v->op].crf) * 4;
        cr_want = (cr_in & ~(0xfu << sh)) | ((crcode | so) << sh);
      } else if (dot) {
        cr_want = (cr_in & 0x0fffffffu) | (crcode | so_out) << 28;
        if (undef) cr_mask = 0x1fffffffu; /* CR0[LT,GT,EQ] undefined */
      }
      int ok = (out[1] & 0xe000007fu) == xer_want && ((out[2] ^ cr_want) & cr_mask) == 0;
      if (!info[v->op].cmp && !undef && out[0] != v->r) ok = 0;
      if (!ok) {
        bad[v->op]++;
        if (shown++ < 20)
          printf("  %s%s a=0x%08x b=0x%08x xer=0x%08x: r=0x%08x xer=0x%08x cr=0x%08x; want r=0x%08x xer=0x%08x cr=0x%08x%s\n",
                 info[v->op].mn, form_suffix[f], a, b, xer_in, out[0], out[1], out[2], v->r, xer_want, cr_want,
                 undef ? " (r undefined)" : "");
      }
    }
  }
  for (int k = 0; k < OP_COUNT; k++)
    reportf(!bad[k] && count[k] > 0, "%s (%d runs)", info[k].name, count[k]);
  return 0;
}
