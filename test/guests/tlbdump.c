/*
 * Guest for the -dump-tlb test: writes TLB entries with varied attributes,
 * then returns (crt0 powers the machine off). Built with:
 *   powerpc-linux-gnu-gcc -mcpu=e500mc -O2 -fno-pic -fno-pie -no-pie -ffreestanding -nostdlib -static \
 *     -Wl,--build-id=none -I../../guests/lib -T ../../guests/lib/link.ld ../../guests/lib/crt0.S tlbdump.c -o tlbdump.elf
 */
#include "runtime.h"

static void tlbwe(unsigned mas0, unsigned mas1, unsigned mas2, unsigned mas3, unsigned mas7)
{
  asm volatile("mtspr 624,%0; mtspr 625,%1; mtspr 626,%2; mtspr 627,%3; mtspr 944,%4; isync; tlbwe; isync"
               :: "r"(mas0), "r"(mas1), "r"(mas2), "r"(mas3), "r"(mas7));
}

int main(void)
{
  tlbwe(0x00000000, 0x80050100, 0x40001000 | 0x1f, 0x00123000 | 0x3c0 | 0x15, 0); /* TLB0, TID 5, all WIMGE, U0-3 */
  tlbwe(0x00010000, 0x80001100, 0x40002000 | 0x04, 0x00456000 | 0x2a, 0x3);        /* TLB0, TS 1, above 4 GiB */
  tlbwe(0x00030000, 0x80000100, 0x7ff7f000 | 0x02, 0x0fff7000 | 0x01, 0x0);        /* TLB0 set 127, way 3 */
  tlbwe(0x10020000, 0xc0ff0700, 0x80000000 | 0x08, 0x10000000 | 0x3f, 0x0);        /* TLB1, 16M, TID 255 */
  tlbwe(0x10030000, 0x80070200, 0x90000000, 0x20000000 | 0x01, 0x0);               /* TLB1, 16K */
  tlbwe(0x10040000, 0x80000a00, 0xc0000000, 0x40000000 | 0x3f, 0x1);               /* TLB1, 1G */
  tlbwe(0x10050000, 0x80000400, 0xa0040000, 0x00040000 | 0x12, 0x0);               /* TLB1, 256K */
  rt_puts("tlb written\n");
  return 0;
}
