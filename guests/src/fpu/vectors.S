/* Interrupt vectors of the FPU test guest: the program interrupt (IVOR6) and
 * the FP-unavailable interrupt (IVOR7) record what happened in `trap` and
 * return to the instruction after the one that was interrupted. */
  .section .note.GNU-stack,"",@progbits
  .section .text
  .align 8
  .globl vec_program
vec_program:
  mtspr 272, 3              /* SPRG0, SPRG1: scratch */
  mtspr 273, 4
  lis 3, trap@ha
  addi 3, 3, trap@l
  li 4, 6
  stw 4, 4(3)               /* trap.kind = 6 */
  mfspr 4, 62               /* ESR */
  stw 4, 8(3)
  b common
  .align 4
  .globl vec_fpunavail
vec_fpunavail:
  mtspr 272, 3
  mtspr 273, 4
  lis 3, trap@ha
  addi 3, 3, trap@l
  li 4, 7
  stw 4, 4(3)               /* trap.kind = 7 */
  li 4, 0
  stw 4, 8(3)
common:
  lwz 4, 0(3)
  addi 4, 4, 1
  stw 4, 0(3)               /* trap.count++ */
  mfspr 4, 26               /* SRR0 */
  stw 4, 12(3)
  addi 4, 4, 4
  mtspr 26, 4               /* resume after the instruction */
  mfspr 4, 27               /* SRR1 */
  stw 4, 16(3)
  mfmsr 4
  stw 4, 20(3)              /* MSR inside the handler */
  mfspr 3, 272
  mfspr 4, 273
  rfi

  .section .data
  .align 4
  .globl trap
trap:
  .long 0, 0, 0, 0, 0, 0    /* count, kind, esr, srr0, srr1, handler msr */
