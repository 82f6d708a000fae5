/*
 * CPU-bound benchmark: a linear-congruential generator, 2 iterations per
 * loop trip, 9 instructions per trip (mullw, addi, srwi, add twice; bdnz).
 * The trip count is the word at `trips`; the benchmark patches it in the
 * ELF to run more or fewer instructions. Powers off through the GPIO.
 */
  .section .note.GNU-stack,"",@progbits
  .section .text.start,"ax"
  .globl _start
_start:
  lis 3, 0x1001          /* TLB1[1]: EA 0xe0000000 -> PA 0xf_e000_0000, 1 MiB, I|G */
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
  lis 3, trips@ha
  lwz 3, trips@l(3)
  mtctr 3
  lis 5, 0x41c6          /* a = 1103515245 */
  ori 5, 5, 0x4e6d
  li 4, 1                /* x */
  li 6, 0                /* sum */
1:
  mullw 4, 4, 5
  addi 4, 4, 12345
  srwi 7, 4, 16
  add 6, 6, 7
  mullw 4, 4, 5
  addi 4, 4, 12345
  srwi 7, 4, 16
  add 6, 6, 7
  bdnz 1b
  lis 4, 0xe00f          /* power off: GPIO pin 0 */
  ori 4, 4, 0xf000
  lis 5, 0x8000
  stw 5, 0(4)
  stw 5, 8(4)
2: b 2b

  .data
  .globl trips
  .balign 4
trips: .long 1000000
