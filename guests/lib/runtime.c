/*
 * tkvm guest test kit: console, printf-lite, reporting, interrupt dispatch,
 * expected interrupts, user mode, TLB helpers. See runtime.h.
 */
#include <stdarg.h>
#include "runtime.h"

int main(void);

/* ---- console ---- */

void rt_putc(char c) {
  /* Wait for THRE (LSR bit 5); both tkvm's and QEMU's 16550 are ready at once. */
  while ((UART[5] & 0x20) == 0)
    ;
  UART[0] = (unsigned char)c;
}

void rt_puts(const char *s) {
  while (*s) {
    if (*s == '\n') rt_putc('\r');
    rt_putc(*s++);
  }
}

void *memset(void *d, int c, unsigned long n) {
  u8 *p = d;
  while (n--) *p++ = (u8)c;
  return d;
}

void *memcpy(void *d, const void *s, unsigned long n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--) *p++ = *q++;
  return d;
}

int memcmp(const void *a, const void *b, unsigned long n) {
  const u8 *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q) return *p < *q ? -1 : 1;
  return 0;
}

/* ---- printf-lite ---- */

struct out { char *buf; unsigned len, cap; };

static void out_c(struct out *o, char c) {
  if (o->buf) {
    if (o->len + 1 < o->cap) o->buf[o->len] = c;
  } else {
    if (c == '\n') rt_putc('\r');
    rt_putc(c);
  }
  o->len++;
}

static void out_num(struct out *o, u32 v, unsigned base, int neg, int width, int zero, int left, int upper) {
  char tmp[12];
  int n = 0;
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    /* Division by a small constant base: no libgcc needed. */
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v);
  int len = n + (neg ? 1 : 0);
  if (!left && !zero)
    for (; width > len; width--) out_c(o, ' ');
  if (neg) out_c(o, '-');
  if (!left && zero)
    for (; width > len; width--) out_c(o, '0');
  while (n) out_c(o, tmp[--n]);
  if (left)
    for (; width > len; width--) out_c(o, ' ');
}

static void vformat(struct out *o, const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      out_c(o, *fmt);
      continue;
    }
    fmt++;
    int zero = 0, left = 0, width = 0;
    for (;; fmt++) {
      if (*fmt == '0') zero = 1;
      else if (*fmt == '-') left = 1;
      else break;
    }
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') fmt++;
    switch (*fmt) {
    case 'd': case 'i': {
      int v = va_arg(ap, int);
      out_num(o, v < 0 ? -(u32)v : (u32)v, 10, v < 0, width, zero, left, 0);
      break;
    }
    case 'u': out_num(o, va_arg(ap, u32), 10, 0, width, zero, left, 0); break;
    case 'x': out_num(o, va_arg(ap, u32), 16, 0, width, zero, left, 0); break;
    case 'X': out_num(o, va_arg(ap, u32), 16, 0, width, zero, left, 1); break;
    case 'o': out_num(o, va_arg(ap, u32), 8, 0, width, zero, left, 0); break;
    case 'p':
      out_c(o, '0');
      out_c(o, 'x');
      out_num(o, (u32)(uptr)va_arg(ap, void *), 16, 0, 8, 1, 0, 0);
      break;
    case 'c': out_c(o, (char)va_arg(ap, int)); break;
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (!s) s = "(null)";
      int n = 0;
      while (s[n]) n++;
      if (!left)
        for (; width > n; width--) out_c(o, ' ');
      while (*s) out_c(o, *s++);
      for (; width > n; width--) out_c(o, ' ');
      break;
    }
    case '%': out_c(o, '%'); break;
    case 0: return;
    default:
      out_c(o, '%');
      out_c(o, *fmt);
    }
  }
}

int printf(const char *fmt, ...) {
  struct out o = {0, 0, 0};
  va_list ap;
  va_start(ap, fmt);
  vformat(&o, fmt, ap);
  va_end(ap);
  return (int)o.len;
}

static void vsnformat(char *buf, unsigned cap, const char *fmt, va_list ap) {
  struct out o = {buf, 0, cap};
  vformat(&o, fmt, ap);
  buf[o.len < cap ? o.len : cap - 1] = 0;
}

int snprintf(char *buf, unsigned long size, const char *fmt, ...) {
  struct out o = {buf, 0, (unsigned)size};
  va_list ap;
  va_start(ap, fmt);
  vformat(&o, fmt, ap);
  va_end(ap);
  if (size) buf[o.len < size ? o.len : size - 1] = 0;
  return (int)o.len;
}

/* ---- reporting ---- */

static volatile int n_pass, n_fail, n_diverge;

int report(const char *name, int ok) {
  if (ok) {
    n_pass++;
    printf("PASS: %s\n", name);
  } else {
    n_fail++;
    printf("FAIL: %s\n", name);
  }
  return ok;
}

int reportf(int ok, const char *fmt, ...) {
  char buf[160];
  va_list ap;
  va_start(ap, fmt);
  vsnformat(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return report(buf, ok);
}

int report_eq(const char *name, u32 got, u32 want) {
  if (got == want) return report(name, 1);
  n_fail++;
  printf("FAIL: %s (got 0x%08x, want 0x%08x)\n", name, got, want);
  return 0;
}

int report_arch(const char *name, int arch_ok, int qemu_like, const char *tag) {
  if (arch_ok) return report(name, 1);
  if (qemu_like) {
    n_diverge++;
    printf("KNOWN-QEMU-DIVERGENCE[%s]: %s\n", tag, name);
    return 1;
  }
  return report(name, 0);
}

void rt_exit(void) {
  int total = n_pass + n_fail + n_diverge;
  if (n_fail == 0 && total > 0) printf("SUMMARY: PASS %d tests", total);
  else if (total == 0) printf("SUMMARY: FAIL no tests reported");
  else printf("SUMMARY: FAIL %d of %d tests", n_fail, total);
  if (n_diverge) printf(" (%d known QEMU divergences)", n_diverge);
  printf("\n");
  rt_poweroff();
}

void rt_abort(const char *why) {
  n_fail++;
  printf("FAIL: aborted: %s\n", why);
  rt_exit();
}

/* ---- interrupt dispatch ---- */

#define STACK_BASE 8192
#define STACK_CRIT 4096
#define STACK_MC 4096
static u8 stack_base[STACK_BASE] __attribute__((aligned(16)));
static u8 stack_crit[STACK_CRIT] __attribute__((aligned(16)));
static u8 stack_mc[STACK_MC] __attribute__((aligned(16)));
/* Current top of each class's exception stack (crt0's entry code moves them). */
u32 rt_sp_base, rt_sp_crit, rt_sp_mc;

static rt_handler handlers[RT_NVECTORS];
extern u8 rt_vectors[], rt_vectors_end[];
extern u8 rt_user_sc[], rt_user_resume[];
volatile u32 rt_user_msr, rt_user_kmsr, rt_user_ksp;

volatile struct rt_caught rt_caught;
static volatile int expect_ivor = -1;
static volatile enum rt_resume expect_resume;
static int depth;

static const char *const ivor_names[RT_NVECTORS] = {
  "critical input", "machine check", "DSI", "ISI", "external input", "alignment",
  "program", "FP unavailable", "system call", "AP unavailable", "decrementer",
  "fixed-interval timer", "watchdog", "data TLB error", "instruction TLB error", "debug",
  [35] = "performance monitor", [36] = "doorbell", [37] = "doorbell critical",
  [38] = "guest doorbell", [39] = "guest doorbell critical", [40] = "hypervisor system call",
  [41] = "hypervisor privilege",
};

const char *rt_ivor_name(int ivor) {
  if (ivor >= 0 && ivor < RT_NVECTORS && ivor_names[ivor]) return ivor_names[ivor];
  return "?";
}

void rt_set_handler(int ivor, rt_handler h) {
  if (ivor >= 0 && ivor < RT_NVECTORS) handlers[ivor] = h;
}

void rt_expect(int ivor, enum rt_resume resume) {
  rt_caught.taken = 0;
  rt_caught.ivor = -1;
  rt_caught.msr_armed = rt_user_msr ? rt_user_msr : mfmsr();
  expect_resume = resume;
  barrier();
  expect_ivor = ivor;
  barrier();
}

volatile struct rt_caught *rt_expect_end(const char *name) {
  barrier();
  if (expect_ivor >= 0) {
    int ivor = expect_ivor;
    expect_ivor = -1;
    printf("FAIL: %s (expected a %s interrupt, none taken)\n", name, rt_ivor_name(ivor));
    n_fail++;
  }
  return &rt_caught;
}

volatile struct rt_caught *rt_expect_cancel(void) {
  barrier();
  expect_ivor = -1;
  barrier();
  return &rt_caught;
}

/* QEMU's classic-PowerPC SRR1 flag bits on program interrupts (see report_arch). */
#define QEMU_SRR1_PROGRAM_BITS 0x000e0000u

static int qemu_program_srr1(int ivor, u32 srr1, u32 msr) {
  u32 extra = srr1 ^ msr;
  return ivor == IVOR_PROGRAM && extra != 0 && (extra & ~QEMU_SRR1_PROGRAM_BITS) == 0 && (srr1 & extra) == extra;
}

int rt_check_caught(const char *name, int ivor, u32 srr0, long long esr) {
  volatile struct rt_caught *c = rt_expect_end(name);
  if (!c->taken) return 0;
  int ok = 1;
  if (c->ivor != ivor) {
    printf("FAIL: %s (took %s, expected %s)\n", name, rt_ivor_name(c->ivor), rt_ivor_name(ivor));
    n_fail++;
    return 0;
  }
  if (c->srr0 != srr0) {
    printf("  %s: SRR0 0x%08x, expected 0x%08x\n", name, c->srr0, srr0);
    ok = 0;
  }
  if (esr >= 0 && c->esr != (u32)esr) {
    printf("  %s: ESR 0x%08x, expected 0x%08x\n", name, c->esr, (u32)esr);
    ok = 0;
  }
  if (!ok) return report(name, 0);
  /* SRR1 is the MSR at the interrupt (Book E). */
  u32 extra = c->srr1 ^ c->msr_armed;
  int qemu_like = qemu_program_srr1(ivor, c->srr1, c->msr_armed);
  if (extra && !qemu_like)
    printf("  %s: SRR1 0x%08x, expected 0x%08x\n", name, c->srr1, c->msr_armed);
  return report_arch(name, extra == 0, qemu_like, "program-srr1-flags");
}

static void unexpected(struct rt_frame *f) {
  printf("FAIL: unexpected %s interrupt (IVOR%u): SRR0 0x%08x SRR1 0x%08x ESR 0x%08x DEAR 0x%08x LR 0x%08x\n",
         rt_ivor_name((int)f->ivor), f->ivor, f->srr0, f->srr1, f->esr, f->dear, f->lr);
  n_fail++;
  rt_exit();
}

void rt_dispatch(struct rt_frame *f);
void rt_dispatch(struct rt_frame *f) {
  int n = (int)f->ivor;
  if (++depth > 6) {
    printf("FAIL: interrupts nested too deep\n");
    unexpected(f);
  }
  if (n == IVOR_SYSCALL && f->gpr[0] == RT_SC_MAGIC && rt_user_msr != 0 &&
      f->srr0 == (u32)(uptr)rt_user_sc + 4) {
    /* The end of an rt_user_call: back to the caller's MSR. */
    f->srr0 = (u32)(uptr)rt_user_resume;
    f->srr1 = rt_user_kmsr;
    rt_user_msr = 0;
  } else if (n == expect_ivor || (expect_ivor == RT_ANY && !(n >= 0 && n < RT_NVECTORS && handlers[n]))) {
    expect_ivor = -1;
    rt_caught.taken++;
    rt_caught.ivor = n;
    rt_caught.srr0 = f->srr0;
    rt_caught.srr1 = f->srr1;
    rt_caught.esr = f->esr;
    rt_caught.dear = f->dear;
    rt_caught.lr = f->lr;
    /* Under QEMU, return with the MSR the code ran with, not QEMU's flag bits
       (0x00020000 is MSR[CE] on Book E; see rt_check_caught). */
    if (qemu_program_srr1(n, f->srr1, rt_caught.msr_armed)) f->srr1 = rt_caught.msr_armed;
    switch (expect_resume) {
    case RT_SKIP: f->srr0 += 4; break;
    case RT_RETRY: break;
    case RT_RETURN_LR: f->srr0 = f->lr; break;
    }
  } else if (n >= 0 && n < RT_NVECTORS && handlers[n]) {
    handlers[n](f);
  } else {
    unexpected(f);
  }
  depth--;
}

/* ---- start ---- */

void rt_start(void);
void rt_start(void) {
  rt_sp_base = (u32)(uptr)(stack_base + STACK_BASE - 16);
  rt_sp_crit = (u32)(uptr)(stack_crit + STACK_CRIT - 16);
  rt_sp_mc = (u32)(uptr)(stack_mc + STACK_MC - 16);
  u32 v = (u32)(uptr)rt_vectors;
  if ((v & 0xffff0000u) != (((u32)(uptr)rt_vectors_end - 1) & 0xffff0000u)) rt_abort("vectors cross a 64 KiB page");
  mtspr(SPR_IVPR, v & 0xffff0000u);
#define SETIVOR(n) mtspr(SPR_IVOR(n), (v + 16 * (n)) & 0xfff0u)
  SETIVOR(0); SETIVOR(1); SETIVOR(2); SETIVOR(3); SETIVOR(4); SETIVOR(5); SETIVOR(6);
  SETIVOR(7); SETIVOR(8); SETIVOR(9); SETIVOR(10); SETIVOR(11); SETIVOR(12); SETIVOR(13);
  SETIVOR(14); SETIVOR(15); SETIVOR(35); SETIVOR(36); SETIVOR(37);
  SETIVOR(38); SETIVOR(39); SETIVOR(40); SETIVOR(41);
  isync();
  /* Machine checks are reported, not ignored. */
  mtmsr(mfmsr() | MSR_ME);
  int r = main();
  if (r != 0) {
    n_fail++;
    printf("FAIL: main returned %d\n", r);
  }
  rt_exit();
}

/* ---- TLB ---- */

void rt_read_mas(struct rt_mas *out) {
  out->mas0 = mfspr(SPR_MAS0);
  out->mas1 = mfspr(SPR_MAS1);
  out->mas2 = mfspr(SPR_MAS2);
  out->mas3 = mfspr(SPR_MAS3);
  out->mas7 = mfspr(SPR_MAS7);
}

void rt_tlbwe(u32 mas0, u32 mas1, u32 mas2, u32 mas3, u32 mas7) {
  mtspr(SPR_MAS0, mas0);
  mtspr(SPR_MAS1, mas1);
  mtspr(SPR_MAS2, mas2);
  mtspr(SPR_MAS3, mas3);
  mtspr(SPR_MAS7, mas7);
  __asm__ __volatile__("isync; tlbwe; isync" : : : "memory");
}

void rt_tlbre(u32 mas0, u32 mas2, struct rt_mas *out) {
  mtspr(SPR_MAS0, mas0);
  mtspr(SPR_MAS2, mas2);
  __asm__ __volatile__("isync; tlbre; isync" : : : "memory");
  rt_read_mas(out);
}

void rt_tlbsx(u32 ea, u32 mas6, struct rt_mas *out) {
  mtspr(SPR_MAS6, mas6);
  __asm__ __volatile__("isync; tlbsx 0,%0; isync" : : "r"(ea) : "memory");
  rt_read_mas(out);
}

void rt_map_tlb1(int esel, u32 va, u64 pa, int tsize, int as, int tid, u32 perms, u32 wimge) {
  rt_tlbwe(MAS0_TLBSEL(1) | MAS0_ESEL(esel),
           MAS1_V | MAS1_IPROT | MAS1_TID(tid) | (as ? MAS1_TS : 0) | MAS1_TSIZE(tsize),
           (va & 0xfffff000u) | (wimge & 0x1f), ((u32)pa & 0xfffff000u) | (perms & 0x3f),
           (u32)(pa >> 32) & 0xf);
}

void rt_map_tlb0(int way, u32 va, u64 pa, int as, int tid, u32 perms, u32 wimge) {
  rt_tlbwe(MAS0_TLBSEL(0) | MAS0_ESEL(way & 3) | MAS0_NV((way + 1) & 3),
           MAS1_V | MAS1_TID(tid) | (as ? MAS1_TS : 0) | MAS1_TSIZE(TSIZE_4K),
           (va & 0xfffff000u) | (wimge & 0x1f), ((u32)pa & 0xfffff000u) | (perms & 0x3f),
           (u32)(pa >> 32) & 0xf);
}

void rt_unmap_tlb1(int esel) {
  rt_tlbwe(MAS0_TLBSEL(1) | MAS0_ESEL(esel), 0, 0, 0, 0);
}

void rt_map_as1(void) {
  rt_map_tlb1(RT_TLB1_AS1_RAM, 0, 0, TSIZE_64M, 1, 0, MAS3_ALL, 0);
  rt_map_tlb1(RT_TLB1_AS1_CCSR, CCSR_VA, 0xfe0000000ull, TSIZE_1M, 1, 0,
              MAS3_UR | MAS3_UW | MAS3_SR | MAS3_SW, MAS2_I | MAS2_G);
}

/* ---- time base ---- */

u64 rt_tb(void) {
  u32 hi, lo, hi2;
  do {
    hi = mfspr(SPR_TBU);
    lo = mfspr(SPR_TBL);
    hi2 = mfspr(SPR_TBU);
  } while (hi != hi2);
  return ((u64)hi << 32) | lo;
}

void rt_delay_ticks(u64 ticks) {
  u64 end = rt_tb() + ticks;
  while (rt_tb() < end)
    ;
}
