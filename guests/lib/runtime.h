/*
 * tkvm guest test kit: the runtime API (see README.md, "Guest test kit").
 *
 * A test program defines main(); crt0 maps CCSR, installs the exception
 * vectors (rt_init) and calls it. main() reports results with report();
 * when it returns, the runtime prints the summary line and powers off
 * through the GPIO power-off pin (both tkvm and QEMU honour it).
 *
 * The runtime is freestanding: no libc, no floating point (built with
 * -msoft-float, so MSR[FP] stays 0 unless a test sets it).
 */
#ifndef TKVM_RUNTIME_H
#define TKVM_RUNTIME_H

typedef unsigned int u32;
typedef int s32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef unsigned long long u64;
typedef unsigned long uptr;

#define CCSR_VA 0xe0000000u
#define UART ((volatile unsigned char *)(CCSR_VA + 0x4500))

/* ---- console ---- */
void rt_putc(char c);
void rt_puts(const char *s);
/* printf-lite: %d %i %u %x %X %o %c %s %p %%, flags '-' '0', width, 'l' ignored. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, unsigned long size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);

/* ---- reporting ---- */
/* One "PASS: name" or "FAIL: name" line; returns ok. */
int report(const char *name, int ok);
/* Like report(), with a printf-style name. */
int reportf(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Compare two values; on mismatch the FAIL line shows both. */
int report_eq(const char *name, u32 got, u32 want);
/*
 * A check where QEMU is known to depart from the e500mc architecture:
 * arch_ok: the architected behaviour was seen (PASS);
 * qemu_like: QEMU's documented departure was seen instead: a
 *   "KNOWN-QEMU-DIVERGENCE[tag]: name" line, not a failure here; the host
 *   test (test/guests.test.ts) accepts it only under QEMU and only for the
 *   tags it allowlists, each documented there and in the test source;
 * otherwise FAIL.
 */
int report_arch(const char *name, int arch_ok, int qemu_like, const char *tag);
/* Informational line (does not count). */
#define note(...) printf("NOTE: " __VA_ARGS__)
/* Print the summary line and power off (main returning does the same). */
void rt_exit(void) __attribute__((noreturn));
/* Stop at once with a failure (summary FAIL), e.g. when a test cannot go on. */
void rt_abort(const char *why) __attribute__((noreturn));
void rt_poweroff(void) __attribute__((noreturn));

/* ---- special registers ---- */
#define mfspr(n) ({ u32 _v; __asm__ __volatile__("mfspr %0,%1" : "=r"(_v) : "i"(n)); _v; })
#define mtspr(n, v) __asm__ __volatile__("mtspr %0,%1" : : "i"(n), "r"((u32)(v)) : "memory")
static inline u32 mfmsr(void) { u32 v; __asm__ __volatile__("mfmsr %0" : "=r"(v)); return v; }
static inline void mtmsr(u32 v) { __asm__ __volatile__("mtmsr %0; isync" : : "r"(v) : "memory"); }
static inline u32 mfcr(void) { u32 v; __asm__ __volatile__("mfcr %0" : "=r"(v)); return v; }
static inline void isync(void) { __asm__ __volatile__("isync" : : : "memory"); }
static inline void sync(void) { __asm__ __volatile__("sync" : : : "memory"); }
static inline void barrier(void) { __asm__ __volatile__("" : : : "memory"); }

#define SPR_XER 1
#define SPR_LR 8
#define SPR_CTR 9
#define SPR_DEC 22
#define SPR_SRR0 26
#define SPR_SRR1 27
#define SPR_PID 48
#define SPR_DECAR 54
#define SPR_CSRR0 58
#define SPR_CSRR1 59
#define SPR_DEAR 61
#define SPR_ESR 62
#define SPR_IVPR 63
#define SPR_USPRG0 256
#define SPR_SPRG3R 259
#define SPR_SPRG4R 260
#define SPR_TBL 268
#define SPR_TBU 269
#define SPR_SPRG0 272
#define SPR_SPRG1 273
#define SPR_SPRG2 274
#define SPR_SPRG3 275
#define SPR_SPRG4 276
#define SPR_TBWL 284
#define SPR_TBWU 285
#define SPR_PIR 286
#define SPR_PVR 287
#define SPR_DBSR 304
#define SPR_DBCR0 308
#define SPR_TSR 336
#define SPR_TCR 340
#define SPR_IVOR(n) ((n) < 16 ? 400 + (n) : (n) < 38 ? 528 + (n) - 32 : 432 + (n) - 38)
#define SPR_MCSRR0 570
#define SPR_MCSRR1 571
#define SPR_MCSR 572
#define SPR_MAS0 624
#define SPR_MAS1 625
#define SPR_MAS2 626
#define SPR_MAS3 627
#define SPR_MAS4 628
#define SPR_MAS6 630
#define SPR_TLB0CFG 688
#define SPR_TLB1CFG 689
#define SPR_MAS7 944
#define SPR_HID0 1008
#define SPR_L1CSR0 1010
#define SPR_L1CSR1 1011
#define SPR_MMUCSR0 1012
#define SPR_MMUCFG 1015
#define SPR_SVR 1023

#define MSR_CE 0x00020000u
#define MSR_EE 0x00008000u
#define MSR_PR 0x00004000u
#define MSR_FP 0x00002000u
#define MSR_ME 0x00001000u
#define MSR_DE 0x00000200u
#define MSR_IS 0x00000020u
#define MSR_DS 0x00000010u

#define ESR_PIL 0x08000000u
#define ESR_PPR 0x04000000u
#define ESR_PTR 0x02000000u
#define ESR_FP 0x01000000u
#define ESR_ST 0x00800000u
#define ESR_DLK 0x00200000u
#define ESR_ILK 0x00100000u
#define ESR_AP 0x00080000u
#define ESR_PUO 0x00040000u
#define ESR_BO 0x00020000u

#define TCR_WP(n) ((u32)((n) & 3) << 30)
#define TCR_WRC(n) ((u32)((n) & 3) << 28)
#define TCR_WIE 0x08000000u
#define TCR_DIE 0x04000000u
#define TCR_FP(n) ((u32)((n) & 3) << 24)
#define TCR_FIE 0x00800000u
#define TCR_ARE 0x00400000u
#define TCR_WPEXT(n) ((u32)((n) & 0xf) << 17)
#define TCR_FPEXT(n) ((u32)((n) & 0xf) << 13)
#define TSR_ENW 0x80000000u
#define TSR_WIS 0x40000000u
#define TSR_DIS 0x08000000u
#define TSR_FIS 0x04000000u

/* Interrupt numbers: the IVOR that selects each interrupt. */
enum {
  IVOR_CRITICAL = 0, IVOR_MCHECK = 1, IVOR_DSI = 2, IVOR_ISI = 3, IVOR_EXTERNAL = 4,
  IVOR_ALIGNMENT = 5, IVOR_PROGRAM = 6, IVOR_FP_UNAVAIL = 7, IVOR_SYSCALL = 8,
  IVOR_AP_UNAVAIL = 9, IVOR_DECREMENTER = 10, IVOR_FIT = 11, IVOR_WATCHDOG = 12,
  IVOR_DTLB = 13, IVOR_ITLB = 14, IVOR_DEBUG = 15,
  IVOR_PERFMON = 35, IVOR_DOORBELL = 36, IVOR_DOORBELL_CRIT = 37,
  IVOR_GUEST_DOORBELL = 38, IVOR_GUEST_DOORBELL_CRIT = 39, IVOR_HCALL = 40, IVOR_HPRIV = 41,
  RT_NVECTORS = 42,
  RT_ANY = 100, /* rt_expect: whichever interrupt comes first */
};
const char *rt_ivor_name(int ivor);

/* ---- interrupts ---- */

/*
 * The state saved on interrupt entry. srr0/srr1 are the save/restore pair
 * of the interrupt's class (SRR, CSRR or MCSRR). A handler may change any
 * field; the runtime restores from the frame and returns with rfi/rfci/rfmci.
 */
struct rt_frame {
  u32 backchain, lrsave; /* ABI stack frame header */
  u32 gpr[32];
  u32 cr, lr, ctr, xer;
  u32 srr0, srr1;
  u32 esr, dear;
  u32 ivor;
  u32 pad;
};

typedef void (*rt_handler)(struct rt_frame *f);
/* Install a handler for an interrupt (NULL: back to the default, which fails the test). */
void rt_set_handler(int ivor, rt_handler h);

/* What the runtime does after an expected interrupt. */
enum rt_resume {
  RT_SKIP = 0,     /* return to srr0 + 4 (skip the faulting instruction) */
  RT_RETRY = 1,    /* return to srr0 (e.g. after a handler fixed the cause) */
  RT_RETURN_LR = 2 /* return to the interrupted code's LR (an ISI/ITLB after a bl) */
};

/* What an expected interrupt looked like. */
struct rt_caught {
  int taken;      /* number of expected interrupts taken (0 or 1) */
  int ivor;
  u32 srr0, srr1, esr, dear;
  u32 msr_armed;  /* the MSR the faulting code ran with */
  u32 lr;
};
extern volatile struct rt_caught rt_caught;

/*
 * Expect the next interrupt to be `ivor` (RT_ANY: whichever comes first,
 * except interrupts that have a handler installed); after it the runtime
 * resumes as `resume` says. Anything else (or a second interrupt) goes to
 * its handler or fails the test. Call rt_expect in the context that will
 * fault: in user mode (entered with rt_user_call) the armed MSR is the
 * user MSR.
 */
void rt_expect(int ivor, enum rt_resume resume);
/*
 * End an expectation: checks it was taken (reports a failure named `name`
 * if not) and returns the record. Also cancels a pending expectation.
 */
volatile struct rt_caught *rt_expect_end(const char *name);
/* End an expectation without judging it (the caller reports). */
volatile struct rt_caught *rt_expect_cancel(void);
/*
 * Check an expected interrupt: it was taken, SRR0 == srr0, ESR == esr
 * (esr < 0: ESR not checked), and SRR1 == the MSR it was armed with
 * (program interrupts under QEMU: see report_arch). Reports "name".
 */
int rt_check_caught(const char *name, int ivor, u32 srr0, long long esr);

/* ---- privilege and address space ---- */
#define RT_USER 1u  /* MSR[PR] = 1 */
#define RT_AS1 2u   /* MSR[IS] = MSR[DS] = 1: needs AS1 translations (rt_map_as1) */
/*
 * Call fn(arg) in user mode and/or address space 1 (flags), return its
 * result. The function runs on the current stack; it must return normally
 * (the runtime gets back to supervisor mode with a system call it reserves:
 * r0 = RT_SC_MAGIC, from its own trampoline). Calls do not nest.
 */
u32 rt_user_call(u32 (*fn)(u32), u32 arg, u32 flags);
extern volatile u32 rt_user_msr; /* MSR of the running rt_user_call (0 outside) */
/* The user-mode-to-runtime system call: r0 = RT_SC_MAGIC, sc. */
#define RT_SC_MAGIC 0x7e57c0deu

/* ---- TLB ---- */
#define MAS0_TLBSEL(n) ((u32)(n) << 28)
#define MAS0_ESEL(n) ((u32)(n) << 16)
#define MAS0_NV(n) ((u32)(n))
#define MAS1_V 0x80000000u
#define MAS1_IPROT 0x40000000u
#define MAS1_TID(n) ((u32)((n) & 0xff) << 16)
#define MAS1_TS 0x00001000u
#define MAS1_TSIZE(n) ((u32)((n) & 0xf) << 8) /* 4^n KiB: 1 = 4K, 2 = 16K, 5 = 1M, 7 = 16M, 8 = 64M */
#define TSIZE_4K 1
#define TSIZE_16K 2
#define TSIZE_64K 3
#define TSIZE_256K 4
#define TSIZE_1M 5
#define TSIZE_16M 7
#define TSIZE_64M 8
#define MAS2_W 0x10u
#define MAS2_I 0x08u
#define MAS2_M 0x04u
#define MAS2_G 0x02u
#define MAS2_E 0x01u
#define MAS3_UX 0x20u
#define MAS3_SX 0x10u
#define MAS3_UW 0x08u
#define MAS3_SW 0x04u
#define MAS3_UR 0x02u
#define MAS3_SR 0x01u
#define MAS3_ALL 0x3fu
#define MAS4_TLBSELD(n) ((u32)(n) << 28)
#define MAS4_TSIZED(n) ((u32)((n) & 0xf) << 8)
#define MAS6_SPID(n) ((u32)((n) & 0xff) << 16)
#define MAS6_SAS 1u

struct rt_mas { u32 mas0, mas1, mas2, mas3, mas7; };
/* tlbwe with the given MAS registers (isync around it). */
void rt_tlbwe(u32 mas0, u32 mas1, u32 mas2, u32 mas3, u32 mas7);
/* tlbre of the entry MAS0/MAS2 select; returns MAS0..3, 7 after it. */
void rt_tlbre(u32 mas0, u32 mas2, struct rt_mas *out);
/* tlbsx for ea with MAS6 = mas6; returns the MAS registers after it. */
void rt_tlbsx(u32 ea, u32 mas6, struct rt_mas *out);
void rt_read_mas(struct rt_mas *out);
/* Write TLB1 entry esel: va -> pa (36-bit), size 4^tsize KiB, as/tid/perms/wimge. */
void rt_map_tlb1(int esel, u32 va, u64 pa, int tsize, int as, int tid, u32 perms, u32 wimge);
/* Write a TLB0 entry (way `way` of va's set): a 4 KiB page. */
void rt_map_tlb0(int way, u32 va, u64 pa, int as, int tid, u32 perms, u32 wimge);
/* Invalidate TLB1 entry esel (IPROT cleared first). */
void rt_unmap_tlb1(int esel);
/*
 * Map the runtime's RAM (64 MiB at 0) and CCSR in address space 1 as well
 * (TLB1 entries RT_TLB1_AS1_RAM and RT_TLB1_AS1_CCSR), for RT_AS1 calls.
 */
void rt_map_as1(void);
#define RT_TLB1_BOOT 0     /* 64 MiB at 0, AS0 (the loader's entry) */
#define RT_TLB1_CCSR 1     /* CCSR at CCSR_VA, AS0 (crt0) */
#define RT_TLB1_AS1_RAM 2
#define RT_TLB1_AS1_CCSR 3
#define RT_TLB1_FREE 4     /* first TLB1 entry tests may use */

/* ---- time base ---- */
u64 rt_tb(void);
/* Busy-wait until the time base has advanced by `ticks`. */
void rt_delay_ticks(u64 ticks);
#define RT_TB_HZ 400000000u

#endif
