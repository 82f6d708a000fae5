/*
 * mpic-echo: a guest that takes the UART's receive interrupt through the
 * MPIC (source 42) as an external interrupt, booted directly (-kernel).
 * CCSR is mapped at virtual 0xc0000000 with TLB1 entry 63; interrupts
 * vector through IVPR = 0x00100000 (this image's base) and IVOR4.
 */
  .section .note.GNU-stack,"",@progbits
  .section .text.start
  .globl _start
_start:
  lis 3, 0x103f          /* MAS0: TLB1, ESEL 63 */
  mtspr 624, 3
  lis 3, 0x8000          /* MAS1: V, 1 MiB */
  ori 3, 3, 0x0500
  mtspr 625, 3
  lis 3, 0xc000          /* MAS2: EPN 0xc0000000, I|G */
  ori 3, 3, 0x0a
  mtspr 626, 3
  lis 3, 0xe000          /* MAS3: RPN 0xe0000000, SR|SW */
  ori 3, 3, 0x05
  mtspr 627, 3
  li 3, 0xf              /* MAS7 */
  mtspr 944, 3
  isync
  tlbwe
  isync
  lis 3, 0x0010          /* IVPR: vectors in this image */
  mtspr 63, 3
  li 3, external@l       /* IVOR4: external input */
  mtspr 404, 3
  lis 1, _stack_top@ha
  addi 1, 1, _stack_top@l
  li 0, 0
  stwu 0, -16(1)
  bl main
  /* power off: GPIO pin 0 as an output, driven high */
  lis 4, 0xc00f
  ori 4, 4, 0xf000
  lis 5, 0x8000
  stw 5, 0(4)
  stw 5, 8(4)
1: b 1b

  /* External interrupt: save the volatile state, call irq(), return. */
  .balign 16
external:
  stwu 1, -96(1)
  stw 0, 8(1)
  stw 3, 12(1)
  stw 4, 16(1)
  stw 5, 20(1)
  stw 6, 24(1)
  stw 7, 28(1)
  stw 8, 32(1)
  stw 9, 36(1)
  stw 10, 40(1)
  stw 11, 44(1)
  stw 12, 48(1)
  mflr 0
  stw 0, 52(1)
  mfcr 0
  stw 0, 56(1)
  mfctr 0
  stw 0, 60(1)
  mfxer 0
  stw 0, 64(1)
  bl irq
  lwz 0, 64(1)
  mtxer 0
  lwz 0, 60(1)
  mtctr 0
  lwz 0, 56(1)
  mtcr 0
  lwz 0, 52(1)
  mtlr 0
  lwz 0, 8(1)
  lwz 3, 12(1)
  lwz 4, 16(1)
  lwz 5, 20(1)
  lwz 6, 24(1)
  lwz 7, 28(1)
  lwz 8, 32(1)
  lwz 9, 36(1)
  lwz 10, 40(1)
  lwz 11, 44(1)
  lwz 12, 48(1)
  addi 1, 1, 96
  rfi
