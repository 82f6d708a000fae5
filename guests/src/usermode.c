/*
 * User mode and address space 1, and the system call: sc saves the address
 * of the next instruction in SRR0 and the MSR in SRR1, and enters the
 * handler with MSR[PR,IS,DS,EE] = 0 (MSR[CE,ME,DE] kept); rfi returns to
 * user mode in address space 1. In AS1, only TS = 1 entries translate;
 * asynchronous interrupts taken in user mode return there.
 */
#include "runtime.h"

static volatile u32 sc_srr0, sc_srr1, sc_msr, sc_count, sc_r0;

static void sc_handler(struct rt_frame *f) {
  sc_count++;
  sc_srr0 = f->srr0;
  sc_srr1 = f->srr1;
  sc_msr = mfmsr();
  sc_r0 = f->gpr[0];
  f->gpr[3] += 1000; /* a result for the caller */
}

/* sc with r0 = n, r3 = arg; returns r3; *at = the address of the sc. */
static u32 do_sc(u32 n, u32 arg, u32 *at) {
  register u32 r0 __asm__("r0") = n;
  register u32 r3 __asm__("r3") = arg;
  u32 a;
  __asm__ __volatile__("bl 1f\n1: mflr %2\n addi %2,%2,8\n sc" : "+r"(r0), "+r"(r3), "=&b"(a) : : "lr", "memory");
  *at = a;
  return r3;
}

static volatile u32 user_at;
static u32 u_sc(u32 arg) {
  u32 at;
  u32 r = do_sc(42, arg, &at);
  user_at = at;
  return r;
}

static u32 u_msr_probe(u32 x) {
  /* In user mode AS1: the stack, code and data all come through AS1 entries. */
  static volatile u32 data = 5;
  data += x;
  return data;
}

static volatile int n_dec;
static volatile u32 dec_srr1;
static void dec_handler(struct rt_frame *f) {
  mtspr(SPR_TSR, TSR_DIS);
  if (!(f->srr1 & MSR_PR)) {
    /* Too early (a busy host delayed the way into user mode): again. */
    mtspr(SPR_DEC, 4 * (RT_TB_HZ / 1000));
    return;
  }
  n_dec++;
  dec_srr1 = f->srr1;
  mtspr(SPR_TCR, 0);
}

static u32 u_spin(u32 ms) {
  /* User mode, AS1, MSR[EE] = 1: wait for the decrementer interrupt. */
  u64 end = rt_tb() + (u64)ms * (RT_TB_HZ / 1000);
  while (!n_dec && rt_tb() < end)
    ;
  return n_dec;
}

static u32 u_load(u32 ea) {
  rt_expect(RT_ANY, RT_SKIP);
  return *(volatile u32 *)ea;
}

int main(void) {
  rt_set_handler(IVOR_SYSCALL, sc_handler);
  rt_map_as1();

  /* Supervisor system call. */
  u32 at, msr = mfmsr();
  u32 r = do_sc(7, 1, &at);
  report_eq("sc from supervisor mode: handler ran, r3 passed both ways", r, 1001);
  report_eq("sc: SRR0 = the instruction after sc", sc_srr0, at + 4);
  report_eq("sc: SRR1 = MSR", sc_srr1, msr);
  report_eq("sc: r0 reaches the handler", sc_r0, 7);

  /* System call from user mode in address space 1. */
  u32 umsr = msr | MSR_PR | MSR_IS | MSR_DS;
  r = rt_user_call(u_sc, 5, RT_USER | RT_AS1);
  report_eq("sc from user mode in AS1: result", r, 1005);
  report_eq("sc from user mode: SRR0 = the instruction after sc", sc_srr0, user_at + 4);
  report_eq("sc from user mode: SRR1 = the user MSR (PR, IS, DS)", sc_srr1, umsr);
  report_eq("sc handler runs with MSR[PR,IS,DS,EE] = 0, MSR[ME] kept", sc_msr & (MSR_PR | MSR_IS | MSR_DS | MSR_EE | MSR_ME),
            msr & MSR_ME);

  /* Supervisor in AS1 and user mode in AS0 work too. */
  report_eq("supervisor code in AS1", rt_user_call(u_msr_probe, 1, RT_AS1), 6);
  report_eq("user code in AS0", rt_user_call(u_msr_probe, 1, RT_USER), 7);
  report_eq("user code in AS1", rt_user_call(u_msr_probe, 1, RT_USER | RT_AS1), 8);

  /* In AS1 only TS = 1 entries translate: an AS0-only page gives a data TLB error. */
  rt_map_tlb1(RT_TLB1_FREE, 0x30000000u, 0x00800000u, TSIZE_4K, 0, 0, MAS3_ALL, 0);
  *(volatile u32 *)0x30000000u = 0xa0a0a0a0u;
  rt_user_call(u_load, 0x30000000u, RT_USER | RT_AS1);
  volatile struct rt_caught *c = rt_expect_cancel();
  report("AS1 user load of an AS0-only page: data TLB error", c->taken && c->ivor == IVOR_DTLB &&
         c->dear == 0x30000000u && c->srr1 == umsr);
  report_eq("AS0 user load of the same page works", rt_user_call(u_load, 0x30000000u, RT_USER), 0xa0a0a0a0u);
  rt_expect_cancel();
  /* A supervisor-only AS1 page: DSI for the user. */
  rt_map_tlb1(RT_TLB1_FREE + 1, 0x30000000u, 0x00800000u, TSIZE_4K, 1, 0, MAS3_SR | MAS3_SW, 0);
  rt_user_call(u_load, 0x30000000u, RT_USER | RT_AS1);
  c = rt_expect_cancel();
  report("AS1 user load of a supervisor-only page: DSI", c->taken && c->ivor == IVOR_DSI && c->dear == 0x30000000u);
  report_eq("AS1 supervisor load of it works", rt_user_call(u_load, 0x30000000u, RT_AS1), 0xa0a0a0a0u);
  rt_expect_cancel();
  rt_unmap_tlb1(RT_TLB1_FREE);
  rt_unmap_tlb1(RT_TLB1_FREE + 1);

  /* An asynchronous interrupt in user mode AS1 returns there. */
  rt_set_handler(IVOR_DECREMENTER, dec_handler);
  mtspr(SPR_TSR, TSR_DIS);
  mtspr(SPR_TCR, TCR_DIE);
  mtspr(SPR_DEC, 4 * (RT_TB_HZ / 1000)); /* 4 ms: enough to get into user mode first */
  mtmsr(mfmsr() | MSR_EE);
  r = rt_user_call(u_spin, 500, RT_USER | RT_AS1);
  mtmsr(mfmsr() & ~MSR_EE);
  report("decrementer interrupt taken in user mode AS1, return to user mode", r == 1);
  report_eq("SRR1 of it: user MSR with EE", dec_srr1, umsr | MSR_EE);
  return 0;
}
