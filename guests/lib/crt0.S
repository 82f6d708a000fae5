/*
 * tkvm guest test kit: entry point, exception vectors, interrupt entry and
 * exit, and the user-mode trampoline.
 *
 * Boot (ePAPR, as tkvm and QEMU's -kernel both do it): MSR = 0, TLB1
 * entry 0 maps 64 MiB of RAM at 0 (AS0, IPROT), r3 = device tree.
 */
  .file "crt0.S"
  .section .note.GNU-stack,"",@progbits

/* Layout of struct rt_frame (runtime.h). */
#define F_GPR(n) (8 + 4 * (n))
#define F_CR 136
#define F_LR 140
#define F_CTR 144
#define F_XER 148
#define F_SRR0 152
#define F_SRR1 156
#define F_ESR 160
#define F_DEAR 164
#define F_IVOR 168
#define FRAME_SIZE 176

#define SPRG0 272
#define SPRG1 273
#define SPRG4 276
#define SPRG5 277
#define SPRG6 278
#define SPRG7 279
#define SRR0 26
#define SRR1 27
#define CSRR0 58
#define CSRR1 59
#define MCSRR0 570
#define MCSRR1 571
#define ESR 62
#define DEAR 61

  .section .text.start, "ax"
  .globl _start
_start:
  /* Map CCSR at 0xe0000000 with TLB1 entry 1: 1 MiB, I|G, user and
     supervisor read/write (tests print from user mode too), IPROT. */
  lis 3, 0x1001
  mtspr 624, 3
  lis 3, 0xc000
  ori 3, 3, 0x0500
  mtspr 625, 3
  lis 3, 0xe000
  ori 3, 3, 0x0a
  mtspr 626, 3
  lis 3, 0xe000
  ori 3, 3, 0x0f
  mtspr 627, 3
  li 3, 0xf
  mtspr 944, 3
  isync
  tlbwe
  isync
  /* Protect the loader's TLB1 entry 0 (the RAM the runtime lives in) from
     invalidate-all operations: set its IPROT (QEMU's loader leaves it 0). */
  lis 3, 0x1000
  mtspr 624, 3
  isync
  tlbre
  isync
  mfspr 3, 625
  oris 3, 3, 0x4000
  mtspr 625, 3
  isync
  tlbwe
  isync
  lis 1, _stack_top@ha
  addi 1, 1, _stack_top@l
  li 0, 0
  stwu 0, -16(1)
  /* Clear .bss (the loaders do, but a test kit should not rely on it). */
  lis 3, __bss_start@ha
  addi 3, 3, __bss_start@l
  lis 4, __bss_end@ha
  addi 4, 4, __bss_end@l
1: cmplw 3, 4
  bge 2f
  stw 0, 0(3)
  addi 3, 3, 4
  b 1b
2: bl rt_start
  /* rt_start does not return; if it did, power off anyway. */
  .globl rt_poweroff
rt_poweroff:
  lis 4, 0xe00f
  ori 4, 4, 0xf000
  lis 5, 0x8000
  stw 5, 0(4)    /* GPDIR: pin 0 is an output */
  stw 5, 8(4)    /* GPDAT: drive it high */
3: b 3b

/*
 * Exception vectors: slot n (16 bytes) is the vector of IVORn, so the
 * runtime sets IVPR to the table's 64 KiB page and IVORn to its offset.
 * Each stub saves r1 and r3 in its class's scratch SPRGs, puts n in r3 and
 * jumps to the class's common entry.
 */
.macro VEC n, cls
  .balign 16
  mtspr \cls\()_S1, 1
  mtspr \cls\()_S3, 3
  li 3, \n
  b rt_entry_\cls
.endm

  .set base_S1, SPRG0
  .set base_S3, SPRG1
  .set crit_S1, SPRG4
  .set crit_S3, SPRG5
  .set mc_S1, SPRG6
  .set mc_S3, SPRG7

  .section .text.vectors, "ax"
  .balign 16
  .globl rt_vectors
rt_vectors:
  VEC 0, crit    /* critical input */
  VEC 1, mc      /* machine check */
  VEC 2, base    /* DSI */
  VEC 3, base    /* ISI */
  VEC 4, base    /* external input */
  VEC 5, base    /* alignment */
  VEC 6, base    /* program */
  VEC 7, base    /* FP unavailable */
  VEC 8, base    /* system call */
  VEC 9, base    /* AP unavailable */
  VEC 10, base   /* decrementer */
  VEC 11, base   /* fixed-interval timer */
  VEC 12, crit   /* watchdog */
  VEC 13, base   /* data TLB error */
  VEC 14, base   /* instruction TLB error */
  VEC 15, crit   /* debug (critical class: the runtime leaves HID0[DAPUEN] = 0) */
  VEC 16, base   /* 16..31: no IVOR; slots keep the table's arithmetic simple */
  VEC 17, base
  VEC 18, base
  VEC 19, base
  VEC 20, base
  VEC 21, base
  VEC 22, base
  VEC 23, base
  VEC 24, base
  VEC 25, base
  VEC 26, base
  VEC 27, base
  VEC 28, base
  VEC 29, base
  VEC 30, base
  VEC 31, base
  VEC 32, base   /* SPE/embedded FP unavailable (not on e500mc) */
  VEC 33, base
  VEC 34, base
  VEC 35, base   /* performance monitor */
  VEC 36, base   /* doorbell */
  VEC 37, crit   /* doorbell critical */
  VEC 38, base   /* guest doorbell */
  VEC 39, crit   /* guest doorbell critical */
  VEC 40, base   /* hypervisor system call */
  VEC 41, base   /* hypervisor privilege */
  .globl rt_vectors_end
rt_vectors_end:

/*
 * Common entry of a class: take a frame from the class's exception stack
 * (rt_sp_<cls>, moved down while the frame is in use, so interrupts of the
 * class nest), save everything, call rt_dispatch(frame), restore, return.
 * Nothing here can fault: the stacks are in the loader's 64 MiB AS0
 * mapping, and interrupts run in AS0 supervisor mode.
 */
.macro ENTRY cls, s1, s3, srr0, srr1, rfx
  .text
  .balign 16
rt_entry_\cls:
  lis 1, rt_sp_\cls@ha
  lwz 1, rt_sp_\cls@l(1)
  addi 1, 1, -FRAME_SIZE
  stw 3, F_IVOR(1)
  stw 0, F_GPR(0)(1)
  lis 3, rt_sp_\cls@ha
  stw 1, rt_sp_\cls@l(3)
  mfspr 3, \s1
  stw 3, F_GPR(1)(1)
  mfspr 3, \s3
  stw 3, F_GPR(3)(1)
  stw 2, F_GPR(2)(1)
  .irp r, 4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  stw \r, F_GPR(\r)(1)
  .endr
  mfcr 3
  stw 3, F_CR(1)
  mflr 3
  stw 3, F_LR(1)
  mfctr 3
  stw 3, F_CTR(1)
  mfxer 3
  stw 3, F_XER(1)
  mfspr 3, \srr0
  stw 3, F_SRR0(1)
  mfspr 3, \srr1
  stw 3, F_SRR1(1)
  mfspr 3, ESR
  stw 3, F_ESR(1)
  mfspr 3, DEAR
  stw 3, F_DEAR(1)
  li 0, 0
  stw 0, 0(1)
  mr 3, 1
  bl rt_dispatch
  lwz 3, F_SRR0(1)
  mtspr \srr0, 3
  lwz 3, F_SRR1(1)
  mtspr \srr1, 3
  lwz 3, F_CR(1)
  mtcr 3
  lwz 3, F_LR(1)
  mtlr 3
  lwz 3, F_CTR(1)
  mtctr 3
  lwz 3, F_XER(1)
  mtxer 3
  /* Give the frame back; the class is masked until \rfx, so no interrupt
     of this class can reuse it before the registers are out. */
  addi 3, 1, FRAME_SIZE
  lis 4, rt_sp_\cls@ha
  stw 3, rt_sp_\cls@l(4)
  lwz 0, F_GPR(0)(1)
  lwz 2, F_GPR(2)(1)
  .irp r, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  lwz \r, F_GPR(\r)(1)
  .endr
  lwz 1, F_GPR(1)(1)
  \rfx
.endm

  ENTRY base, SPRG0, SPRG1, SRR0, SRR1, rfi
  ENTRY crit, SPRG4, SPRG5, CSRR0, CSRR1, rfci
  ENTRY mc, SPRG6, SPRG7, MCSRR0, MCSRR1, rfmci

/*
 * u32 rt_user_call(u32 (*fn)(u32), u32 arg, u32 flags)
 * Runs fn(arg) with MSR[PR] (RT_USER) and/or MSR[IS,DS] (RT_AS1) set; fn's
 * return is followed by "sc" with r0 = RT_SC_MAGIC, which rt_dispatch turns
 * into a return to rt_user_resume in the caller's MSR.
 */
  .text
  .globl rt_user_call
rt_user_call:
  mflr 0
  stwu 1, -96(1)
  stw 0, 100(1)
  .irp r, 13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  stw \r, (8 + 4 * (\r - 13))(1)
  .endr
  lis 6, rt_user_ksp@ha
  stw 1, rt_user_ksp@l(6)
  mfmsr 6
  lis 7, rt_user_kmsr@ha
  stw 6, rt_user_kmsr@l(7)
  andi. 7, 5, 1
  beq 1f
  ori 6, 6, 0x4000      /* PR */
1: andi. 7, 5, 2
  beq 2f
  ori 6, 6, 0x0030      /* IS | DS */
2: lis 7, rt_user_msr@ha
  stw 6, rt_user_msr@l(7)
  mtspr SRR1, 6
  lis 7, rt_user_tramp@ha
  addi 7, 7, rt_user_tramp@l
  mtspr SRR0, 7
  mtctr 3
  mr 3, 4
  rfi
rt_user_tramp:
  bctrl
  lis 0, 0x7e57
  ori 0, 0, 0xc0de
  .globl rt_user_sc
rt_user_sc:
  sc
  b .
  .globl rt_user_resume
rt_user_resume:
  lis 4, rt_user_ksp@ha
  lwz 1, rt_user_ksp@l(4)
  .irp r, 13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  lwz \r, (8 + 4 * (\r - 13))(1)
  .endr
  lwz 0, 100(1)
  mtlr 0
  addi 1, 1, 96
  blr
