/*
 * Entry of the bootm test guest: U-Boot's bootm (or a direct boot) enters
 * here with r3 = device tree and r6 = ePAPR magic, translation on, RAM
 * mapped at 0. CCSR is mapped at virtual 0xc0000000 with TLB1 entry 63:
 * neither that entry nor that address is used by U-Boot (which maps CCSR,
 * RAM, the PCI windows and the platform bus at 0xf0000000 before bootm) or
 * by the direct boot, so no mapping the guest runs on is disturbed.
 */
  .section .note.GNU-stack,"",@progbits
  .section .text.start
  .globl _start
_start:
  mr 30, 3
  mr 31, 6
  lis 3, 0x103f          /* MAS0: TLB1, ESEL 63 */
  mtspr 624, 3
  lis 3, 0x8000          /* MAS1: V, TID 0, TS 0, 1 MiB */
  ori 3, 3, 0x0500
  mtspr 625, 3
  lis 3, 0xc000          /* MAS2: EPN 0xc0000000, I|G */
  ori 3, 3, 0x0a
  mtspr 626, 3
  lis 3, 0xe000          /* MAS3: RPN 0xe0000000, SR|SW */
  ori 3, 3, 0x05
  mtspr 627, 3
  li 3, 0xf              /* MAS7: physical 0xf_xxxx_xxxx */
  mtspr 944, 3
  isync
  tlbwe
  isync
  lis 1, _stack_top@ha
  addi 1, 1, _stack_top@l
  li 0, 0
  stwu 0, -16(1)
  mr 3, 30
  mr 4, 31
  bl main
  /* power off: GPIO pin 0 as an output, driven high */
  lis 4, 0xc00f
  ori 4, 4, 0xf000
  lis 5, 0x8000
  stw 5, 0(4)
  stw 5, 8(4)
1: b 1b
