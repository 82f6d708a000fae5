  .section .note.GNU-stack,"",@progbits
  .section .text.start
  .globl _start
_start:
  /* map CCSR at 0xe0000000 with TLB1 entry 1 (1 MiB, I|G) */
  lis 3, 0x1001
  mtspr 624, 3
  lis 3, 0xc000
  ori 3, 3, 0x0500
  mtspr 625, 3
  lis 3, 0xe000
  ori 3, 3, 0x0a
  mtspr 626, 3
  lis 3, 0xe000
  ori 3, 3, 0x15
  mtspr 627, 3
  li 3, 0xf
  mtspr 944, 3
  isync
  tlbwe
  isync
  lis 1, _stack_top@ha
  addi 1, 1, _stack_top@l
  li 0, 0
  stwu 0, -16(1)
  bl main
  /* power off */
  lis 4, 0xe00f
  ori 4, 4, 0xf000
  lis 5, 0x8000
  stw 5, 0(4)
  stw 5, 8(4)
1: b 1b
