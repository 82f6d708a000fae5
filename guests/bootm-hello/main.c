/* The bootm test guest: proves it was entered with a device tree and the
 * ePAPR magic, prints a line, and powers the machine off. */
#define UART ((volatile unsigned char *)0xc0004500u)

static void putc_(char c) {
  while ((UART[5] & 0x20) == 0) {}
  UART[0] = (unsigned char)c;
}
static void puts_(const char *s) {
  for (; *s; s++) {
    if (*s == '\n') putc_('\r');
    putc_(*s);
  }
}
static void puthex(unsigned v) {
  for (int i = 28; i >= 0; i -= 4) putc_("0123456789abcdef"[(v >> i) & 15]);
}

int main(const unsigned *fdt, unsigned magic) {
  puts_("bootm-hello: entered, device tree ");
  puts_(fdt[0] == 0xd00dfeedu ? "found" : "MISSING");
  puts_(", ePAPR magic ");
  puts_(magic == 0x45504150u ? "ok" : "MISSING");
  puts_(", total size 0x");
  puthex(fdt[1]);
  puts_("\nbootm-hello: powering off\n");
  return 0;
}
