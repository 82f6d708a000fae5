/*
 * Alignment interrupts of the e500mc: lwarx and stwcx. not word aligned,
 * lmw and stmw not word aligned, dcbz to a cache-inhibited page. SRR0 is
 * the instruction, DEAR the effective address, ESR[ST] set for stores; the
 * instruction has no effect. Ordinary misaligned loads and stores are done
 * by the hardware (guests/src/loadstore.c).
 *
 * Known QEMU 7.2 departures (allowlisted in test/guests.test.ts):
 *  - stwcx-misaligned: QEMU compares the EA with the reservation first and
 *    fails the stwcx. (CR0[EQ] = 0) without an alignment interrupt;
 *  - lmw-stmw-misaligned: QEMU performs misaligned lmw/stmw;
 *  - dcbz-cache-inhibited: QEMU zeroes the line of a cache-inhibited page.
 */
#include "runtime.h"

static u8 buf[256] __attribute__((aligned(64)));

int main(void) {
  u8 *p = buf + 64;
  for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (u8)i;

  for (int off = 1; off < 4; off++) {
    u32 v = 0x1234, at;
    rt_expect(IVOR_ALIGNMENT, RT_SKIP);
    __asm__ __volatile__("bl 1f\n1: mflr %1\n addi %1,%1,8\n lwarx %0,0,%2"
                         : "+r"(v), "=&b"(at) : "r"(p + off) : "lr", "memory");
    if (rt_check_caught("lwarx misaligned", IVOR_ALIGNMENT, at, 0))
      reportf(rt_caught.dear == (u32)(uptr)(p + off) && v == 0x1234,
              "lwarx at offset %d: DEAR = EA, rD unchanged", off);

    u32 cr;
    __asm__ __volatile__("lwarx %0,0,%1" : "=r"(cr) : "r"(p) : "memory"); /* a reservation nearby */
    rt_expect(IVOR_ALIGNMENT, RT_SKIP);
    __asm__ __volatile__("li %0,0\n mtcrf 0x80,%0\n bl 1f\n1: mflr %1\n addi %1,%1,8\n"
                         " stwcx. %2,0,%3\n mfcr %0"
                         : "=&r"(cr), "=&b"(at) : "r"(v), "r"(p + off) : "lr", "cr0", "memory");
    volatile struct rt_caught *c = rt_expect_cancel();
    int arch = c->taken && c->srr0 == at && c->dear == (u32)(uptr)(p + off) && c->esr == ESR_ST && c->srr1 == c->msr_armed;
    int qemu = !c->taken && (cr >> 28) == 0;
    char name[80];
    snprintf(name, sizeof name, "stwcx. at offset %d: alignment, DEAR = EA, ESR = ST", off);
    report_arch(name, arch, qemu, "stwcx-misaligned");
  }
  report("misaligned lwarx/stwcx. changed no memory", p[1] == 65 && p[2] == 66 && p[3] == 67 && p[4] == 68);

  /* lmw r30 at p+2: architected alignment interrupt, registers unchanged. */
  u32 r30 = 1, r31 = 2, at;
  rt_expect(IVOR_ALIGNMENT, RT_SKIP);
  __asm__ __volatile__("mr 30,%0\n mr 31,%1\n bl 1f\n1: mflr %2\n addi %2,%2,8\n lmw 30,0(%3)\n mr %0,30\n mr %1,31"
                       : "+r"(r30), "+r"(r31), "=&b"(at) : "b"(p + 2) : "r30", "r31", "lr", "memory");
  volatile struct rt_caught *c = rt_expect_cancel();
  report_arch("lmw misaligned: alignment, DEAR = EA, registers unchanged",
              c->taken && c->srr0 == at && c->dear == (u32)(uptr)(p + 2) && c->esr == 0 && r30 == 1 && r31 == 2,
              !c->taken && r30 == 0x42434445u && r31 == 0x46474849u, "lmw-stmw-misaligned");

  rt_expect(IVOR_ALIGNMENT, RT_SKIP);
  __asm__ __volatile__("li 30,0\n li 31,0\n bl 1f\n1: mflr %0\n addi %0,%0,8\n stmw 30,0(%1)"
                       : "=&b"(at) : "b"(p + 1) : "r30", "r31", "lr", "memory");
  c = rt_expect_cancel();
  report_arch("stmw misaligned: alignment, DEAR = EA, ESR = ST, memory unchanged",
              c->taken && c->srr0 == at && c->dear == (u32)(uptr)(p + 1) && c->esr == ESR_ST && p[1] == 65 && p[8] == 72,
              !c->taken && p[1] == 0 && p[8] == 0, "lmw-stmw-misaligned");

  /* dcbz to a cache-inhibited page: map a scratch page I=1 through TLB1. */
  u32 va = 0x30000000u;
  rt_map_tlb1(RT_TLB1_FREE, va, 0x00800000u, TSIZE_4K, 0, 0, MAS3_SR | MAS3_SW, MAS2_I | MAS2_G);
  volatile u32 *ci = (volatile u32 *)va;
  ci[16] = 0xabcdef01u;
  rt_expect(IVOR_ALIGNMENT, RT_SKIP);
  __asm__ __volatile__("bl 1f\n1: mflr %0\n addi %0,%0,8\n dcbz 0,%1" : "=&b"(at) : "b"(va + 0x44) : "lr", "memory");
  c = rt_expect_cancel();
  report_arch("dcbz on a cache-inhibited page: alignment, DEAR = EA, ESR = ST, nothing zeroed",
              c->taken && c->srr0 == at && c->dear == va + 0x44 && c->esr == ESR_ST && ci[16] == 0xabcdef01u,
              !c->taken && ci[16] == 0, "dcbz-cache-inhibited");
  rt_unmap_tlb1(RT_TLB1_FREE);
  return 0;
}
