/*
 * lwarx / stwcx.: a reservation makes the next stwcx. to the same word
 * succeed (CR0 = 0b001 || XER[SO], memory written); a stwcx. without a
 * reservation fails (CR0 = 0b000 || XER[SO], memory unchanged); a stwcx.
 * clears the reservation either way; a new lwarx replaces the reservation.
 *
 * Not tested (undefined or implementation dependent): stwcx. to an address
 * other than the reserved one, whether interrupts or plain stores clear the
 * reservation.
 */
#include "runtime.h"

static volatile u32 word[4] __attribute__((aligned(16)));

static u32 lwarx(volatile u32 *p) {
  u32 v;
  __asm__ __volatile__("lwarx %0,0,%1" : "=r"(v) : "r"(p) : "memory");
  return v;
}

/* stwcx. with XER[SO] = so; returns CR0 (4 bits). */
static u32 stwcx(volatile u32 *p, u32 v, u32 so) {
  u32 cr;
  __asm__ __volatile__("mtxer %3\n stwcx. %1,0,%2\n mfcr %0"
                       : "=r"(cr) : "r"(v), "r"(p), "r"(so << 31) : "cr0", "xer", "memory");
  return cr >> 28;
}

int main(void) {
  word[0] = 100;
  word[1] = 200;
  report_eq("lwarx loads the word", lwarx(&word[0]), 100);
  report_eq("stwcx. after lwarx succeeds: CR0 = EQ", stwcx(&word[0], 101, 0), 0x2);
  report_eq("stwcx. success writes memory", word[0], 101);
  report_eq("stwcx. without a reservation fails: CR0 = 0", stwcx(&word[0], 102, 0), 0x0);
  report_eq("failed stwcx. leaves memory", word[0], 101);

  lwarx(&word[0]);
  report_eq("stwcx. success copies XER[SO] to CR0[SO]", stwcx(&word[0], 103, 1), 0x3);
  report_eq("stwcx. failure copies XER[SO] to CR0[SO]", stwcx(&word[0], 104, 1), 0x1);
  report_eq("memory after the SO cases", word[0], 103);

  lwarx(&word[0]);
  lwarx(&word[1]);
  report_eq("a second lwarx moves the reservation: stwcx. there succeeds", stwcx(&word[1], 201, 0), 0x2);
  report_eq("moved reservation: memory", word[1], 201);

  /* The usual atomic increment loop. */
  word[2] = 0;
  for (int i = 0; i < 1000; i++) {
    u32 t;
    __asm__ __volatile__("1: lwarx %0,0,%1\n addi %0,%0,3\n stwcx. %0,0,%1\n bne- 1b"
                         : "=&b"(t) : "r"(&word[2]) : "cr0", "memory");
  }
  report_eq("lwarx/addi/stwcx. loop", word[2], 3000);
  return 0;
}
