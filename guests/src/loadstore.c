/*
 * Fixed-point loads and stores: every D and X form with and without update
 * (zero and sign extension, rA = 0 meaning 0 in non-update forms, rA updated
 * with the EA in update forms), byte-reversed forms, load/store multiple,
 * the absence of the load/store string instructions, and misaligned
 * accesses, including ones that cross a page boundary (handled by the
 * e500mc without an interrupt).
 *
 * Not tested (invalid forms, undefined): update forms with rA = 0 or
 * rA = rD, lmw ranges that include rA.
 */
#include "runtime.h"

static u8 buf[8192] __attribute__((aligned(4096)));

static void fill(void) {
  for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (u8)(i * 7 + 0x81);
}
static u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }

#define LOAD_D(mn, off, base)                                                    \
  ({ u32 _v; __asm__ __volatile__(mn " %0," #off "(%1)" : "=r"(_v) : "b"(base) : "memory"); _v; })
#define LOAD_X(mn, base, idx)                                                    \
  ({ u32 _v; __asm__ __volatile__(mn " %0,%1,%2" : "=r"(_v) : "b"(base), "r"(idx) : "memory"); _v; })
/* Update forms: returns the value, *pa becomes the updated rA. */
#define LOAD_DU(mn, off, pa)                                                     \
  ({ u32 _v; __asm__ __volatile__(mn " %0," #off "(%1)" : "=&r"(_v), "+b"(*(pa)) : : "memory"); _v; })
#define LOAD_XU(mn, pa, idx)                                                     \
  ({ u32 _v; __asm__ __volatile__(mn " %0,%1,%2" : "=&r"(_v), "+b"(*(pa)) : "r"(idx) : "memory"); _v; })
#define STORE_D(mn, v, off, base) __asm__ __volatile__(mn " %0," #off "(%1)" : : "r"(v), "b"(base) : "memory")
#define STORE_X(mn, v, base, idx) __asm__ __volatile__(mn " %0,%1,%2" : : "r"(v), "b"(base), "r"(idx) : "memory")
#define STORE_DU(mn, v, off, pa) __asm__ __volatile__(mn " %1," #off "(%0)" : "+b"(*(pa)) : "r"(v) : "memory")
#define STORE_XU(mn, v, pa, idx) __asm__ __volatile__(mn " %1,%0,%2" : "+b"(*(pa)) : "r"(v), "r"(idx) : "memory")

static void loads(void) {
  fill();
  u8 *b = buf + 256;
  u32 p, bad;

  report_eq("lbz", LOAD_D("lbz", 5, b), b[5]);
  report_eq("lbz negative displacement", LOAD_D("lbz", -3, b), b[-3]);
  report_eq("lhz", LOAD_D("lhz", 6, b), be16(b + 6));
  report_eq("lwz", LOAD_D("lwz", 8, b), be32(b + 8));
  report_eq("lbzx", LOAD_X("lbzx", b, 9), b[9]);
  report_eq("lhzx", LOAD_X("lhzx", b, 10), be16(b + 10));
  report_eq("lwzx", LOAD_X("lwzx", b, 12), be32(b + 12));
  report_eq("lwzx negative index", LOAD_X("lwzx", b, -16), be32(b - 16));

  /* Sign extension: find bytes with bit 15 set and clear. */
  b[0] = 0x80; b[1] = 0x01; b[2] = 0x7f; b[3] = 0xfe;
  report_eq("lha sign-extends 0x8001", LOAD_D("lha", 0, b), 0xffff8001u);
  report_eq("lha 0x7ffe", LOAD_D("lha", 2, b), 0x7ffe);
  report_eq("lhax sign-extends", LOAD_X("lhax", b, 0), 0xffff8001u);
  report_eq("lhz zero-extends 0x8001", LOAD_D("lhz", 0, b), 0x8001);
  report_eq("lbz zero-extends 0x80", LOAD_D("lbz", 0, b), 0x80);

  p = (u32)(uptr)b;
  report_eq("lbzu value", LOAD_DU("lbzu", 3, &p), b[3]);
  report_eq("lbzu rA = EA", p, (u32)(uptr)(b + 3));
  p = (u32)(uptr)b;
  report_eq("lhzu value", LOAD_DU("lhzu", -2, &p), be16(b - 2));
  report_eq("lhzu rA = EA", p, (u32)(uptr)(b - 2));
  p = (u32)(uptr)b;
  report_eq("lhau value", LOAD_DU("lhau", 0, &p), 0xffff8001u);
  report_eq("lhau rA = EA", p, (u32)(uptr)b);
  p = (u32)(uptr)b;
  report_eq("lwzu value", LOAD_DU("lwzu", 20, &p), be32(b + 20));
  report_eq("lwzu rA = EA", p, (u32)(uptr)(b + 20));
  p = (u32)(uptr)b;
  report_eq("lbzux value", LOAD_XU("lbzux", &p, 33), b[33]);
  report_eq("lbzux rA = EA", p, (u32)(uptr)(b + 33));
  p = (u32)(uptr)b;
  report_eq("lhzux value", LOAD_XU("lhzux", &p, -34), be16(b - 34));
  report_eq("lhzux rA = EA", p, (u32)(uptr)(b - 34));
  p = (u32)(uptr)(b + 2);
  report_eq("lhaux value", LOAD_XU("lhaux", &p, -2), 0xffff8001u);
  report_eq("lhaux rA = EA", p, (u32)(uptr)b);
  p = (u32)(uptr)b;
  report_eq("lwzux value", LOAD_XU("lwzux", &p, 36), be32(b + 36));
  report_eq("lwzux rA = EA", p, (u32)(uptr)(b + 36));

  /* Byte reversal. */
  b[40] = 0x11; b[41] = 0x22; b[42] = 0x33; b[43] = 0x44;
  report_eq("lwbrx", LOAD_X("lwbrx", b, 40), 0x44332211u);
  report_eq("lhbrx", LOAD_X("lhbrx", b, 40), 0x2211u);
  report_eq("lhbrx zero-extends", LOAD_X("lhbrx", b, 0), 0x0180u);

  /* rA = 0 means 0 (absolute addresses). */
  volatile u32 *low = (volatile u32 *)0x3000;
  *low = 0xcafef00du;
  u32 v;
  __asm__ __volatile__("lwz %0,0x3000(0)" : "=r"(v) : : "memory");
  report_eq("lwz d(0): rA = 0 is the value 0", v, 0xcafef00du);
  __asm__ __volatile__("li 0,0x77\n lwzx %0,0,%1" : "=r"(v) : "r"(0x3000) : "r0", "memory");
  report_eq("lwzx 0,rB: rA = 0 is the value 0", v, 0xcafef00du);

  /* Misaligned loads, within a word, across words, across a page. */
  fill();
  bad = 0;
  for (int off = 0; off < 8; off++) {
    u8 *q = buf + 4096 - 4 + off; /* off 1..3 cross the page boundary for lwz */
    bad += LOAD_D("lwz", 0, q) != be32(q);
    bad += LOAD_D("lhz", 0, q + 2) != be16(q + 2);
    bad += LOAD_X("lwbrx", q, 0) != (u32)(q[3] << 24 | q[2] << 16 | q[1] << 8 | q[0]);
  }
  report("misaligned loads (also across a page boundary)", !bad);
}

static void stores(void) {
  u8 *b = buf + 512;
  u32 p;
  fill();
  u8 ref[64];
  memcpy(ref, b, 64);

  STORE_D("stb", 0x1234567fu, 1, b);
  ref[1] = 0x7f;
  STORE_D("sth", 0x1234abcdu, 2, b);
  ref[2] = 0xab; ref[3] = 0xcd;
  STORE_D("stw", 0x89abcdefu, 4, b);
  ref[4] = 0x89; ref[5] = 0xab; ref[6] = 0xcd; ref[7] = 0xef;
  STORE_X("stbx", 0x55u, b, 8);
  ref[8] = 0x55;
  STORE_X("sthx", 0xa5a6u, b, 10);
  ref[10] = 0xa5; ref[11] = 0xa6;
  STORE_X("stwx", 0x01020304u, b, 12);
  ref[12] = 1; ref[13] = 2; ref[14] = 3; ref[15] = 4;
  STORE_X("stwbrx", 0x01020304u, b, 16);
  ref[16] = 4; ref[17] = 3; ref[18] = 2; ref[19] = 1;
  STORE_X("sthbrx", 0xffff0102u, b, 20);
  ref[20] = 2; ref[21] = 1;
  report("stb, sth, stw, stbx, sthx, stwx, stwbrx, sthbrx store the right bytes only", !memcmp(b, ref, 64));

  p = (u32)(uptr)b;
  STORE_DU("stbu", 0xeeu, 24, &p);
  ref[24] = 0xee;
  report("stbu: rA = EA", p == (u32)(uptr)(b + 24));
  p = (u32)(uptr)b;
  STORE_DU("sthu", 0xeeddu, 26, &p);
  ref[26] = 0xee; ref[27] = 0xdd;
  report("sthu: rA = EA", p == (u32)(uptr)(b + 26));
  p = (u32)(uptr)(b + 32);
  STORE_DU("stwu", 0xdeadbeefu, -4, &p);
  ref[28] = 0xde; ref[29] = 0xad; ref[30] = 0xbe; ref[31] = 0xef;
  report("stwu: rA = EA", p == (u32)(uptr)(b + 28));
  p = (u32)(uptr)b;
  STORE_XU("stbux", 0x99u, &p, 32);
  ref[32] = 0x99;
  report("stbux: rA = EA", p == (u32)(uptr)(b + 32));
  p = (u32)(uptr)b;
  STORE_XU("sthux", 0x8877u, &p, 34);
  ref[34] = 0x88; ref[35] = 0x77;
  report("sthux: rA = EA", p == (u32)(uptr)(b + 34));
  p = (u32)(uptr)(b + 40);
  STORE_XU("stwux", 0x10203040u, &p, -4);
  ref[36] = 0x10; ref[37] = 0x20; ref[38] = 0x30; ref[39] = 0x40;
  report("stwux: rA = EA", p == (u32)(uptr)(b + 36));
  report("update-form stores store the right bytes only", !memcmp(b, ref, 64));

  /* Misaligned stores, across a page boundary too. */
  int bad = 0;
  for (int off = 0; off < 8; off++) {
    fill();
    u8 *q = buf + 4096 - 4 + off;
    u8 before = q[-1], after = q[4];
    STORE_D("stw", 0xa1b2c3d4u, 0, q);
    bad += be32(q) != 0xa1b2c3d4u || q[-1] != before || q[4] != after;
    STORE_X("sthbrx", 0x1122u, q, 1);
    bad += q[1] != 0x22 || q[2] != 0x11;
  }
  report("misaligned stores (also across a page boundary)", !bad);
}

static void multiple(void) {
  u32 *w = (u32 *)(buf + 1024);
  for (int i = 0; i < 8; i++) w[i] = 0x11111111u * (u32)(i + 1);
  u32 r29, r30, r31;
  __asm__ __volatile__("lmw 29,4(%3)\n mr %0,29\n mr %1,30\n mr %2,31"
                       : "=r"(r29), "=r"(r30), "=r"(r31) : "b"(w) : "r29", "r30", "r31", "memory");
  report("lmw r29: r29..r31 from consecutive words", r29 == w[1] && r30 == w[2] && r31 == w[3]);
  __asm__ __volatile__("lis 28,0x1234\n lis 29,0x5678\n lis 30,0x9abc\n lis 31,0xdef0\n stmw 28,0(%0)"
                       : : "b"(w) : "r28", "r29", "r30", "r31", "memory");
  report("stmw r28: r28..r31 to consecutive words",
         w[0] == 0x12340000u && w[1] == 0x56780000u && w[2] == 0x9abc0000u && w[3] == 0xdef00000u && w[4] == 0x55555555u);
}

/*
 * The e500mc does not implement the load/store string instructions (the
 * Move Assist category): lswi, lswx, stswi and stswx are illegal
 * instructions (Linux emulates them for user programs), and they change
 * neither registers nor memory.
 */
#define STRING_ILLEGAL(name, insn)                                               \
  do {                                                                          \
    u32 _r5 = 0x5555u, _at;                                                     \
    rt_expect(IVOR_PROGRAM, RT_SKIP);                                           \
    __asm__ __volatile__("li 0,4\n mtxer 0\n mr 5,%[v]\n bl 1f\n1: mflr %[at]\n addi %[at],%[at],12\n" \
                         " mr 9,%[s]\n " insn "\n mr %[v],5"                   \
                         : [v] "+&r"(_r5), [at] "=&b"(_at) : [s] "b"(s)          \
                         : "r0", "r5", "r6", "r9", "lr", "xer", "memory");      \
    rt_check_caught(name, IVOR_PROGRAM, _at, ESR_PIL);                          \
    report_eq(name " changes no register", _r5, 0x5555u);                       \
  } while (0)

static void strings(void) {
  u8 *s = buf + 2048;
  for (int i = 0; i < 64; i++) s[i] = (u8)(0x10 + i);
  u8 ref[64];
  memcpy(ref, s, 64);
  STRING_ILLEGAL("lswi is illegal on e500mc", "lswi 5,9,8");
  STRING_ILLEGAL("lswx is illegal on e500mc", "lswx 5,0,9");
  STRING_ILLEGAL("stswi is illegal on e500mc", "stswi 5,9,8");
  STRING_ILLEGAL("stswx is illegal on e500mc", "stswx 5,0,9");
  report("string instructions change no memory", !memcmp(ref, s, 64));
}

int main(void) {
  loads();
  stores();
  multiple();
  strings();
  return 0;
}
