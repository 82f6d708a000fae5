/* mpic-echo: program the MPIC for the UART's interrupt (source 42, level,
 * priority 8, vector 42), enable the UART's receive interrupt and MSR[EE],
 * and echo each received character from the interrupt handler until 'q'
 * (after 'p', in the MPIC's external proxy mode). */
#define CCSR 0xc0000000u
#define UART ((volatile unsigned char *)(CCSR + 0x4500))
#define MPIC(o) (*(volatile unsigned *)(CCSR + 0x40000 + (o)))

static volatile int quit;
static volatile int count;
static volatile int proxy;

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
static void putdec(unsigned v) {
  char b[12];
  int n = 0;
  do { b[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) putc_(b[--n]);
}

static unsigned mfepr(void) {
  unsigned v;
  __asm__ volatile("mfspr %0, 702" : "=r"(v));
  return v;
}

/* One character per interrupt: the source is level-sensitive, so a second
 * waiting character interrupts again after EOI. 'p' switches the MPIC to
 * external proxy mode: from then on the core takes the vector into EPR as
 * it takes the interrupt, and the handler must not IACK. */
void irq(void) {
  unsigned vector = proxy ? mfepr() : MPIC(0x200a0); /* EPR or IACK */
  if (vector == 42 && (UART[5] & 1)) {
    char c = (char)UART[0];
    if (c != '\n' && c != '\r') {
      count++;
      puts_("mpic-echo: got '");
      putc_(c);
      puts_("' from vector ");
      putdec(vector);
      puts_(proxy ? " (EPR)\n" : " (IACK)\n");
      if (c == 'p') {
        proxy = 1;
        MPIC(0x1020) = 0x60000000u; /* GCR: external proxy mode */
      }
      if (c == 'q') {
        quit = 1;
        UART[1] = 0; /* no more receive interrupts: what follows 'q' stays unread */
      }
    }
  } else if (vector != 42) {
    puts_("mpic-echo: vector ");
    putdec(vector);
    puts_("\n");
  }
  MPIC(0x200b0) = 0; /* EOI */
}

int main(void) {
  MPIC(0x1020) = 0x80000000u; /* reset */
  while (MPIC(0x1020) & 0x80000000u) {}
  MPIC(0x1020) = 0x20000000u; /* mixed mode */
  MPIC(0x10000 + 42 * 0x20) = (8u << 16) | 42u | 0x00800000u | 0x00400000u;
  MPIC(0x10010 + 42 * 0x20) = 1; /* to CPU 0 */
  MPIC(0x20080) = 0; /* task priority 0 */
  UART[1] = 0x01; /* IER: received data available */
  __asm__ volatile("wrteei 1");
  puts_("mpic-echo: ready\n");
  while (!quit) {}
  __asm__ volatile("wrteei 0");
  puts_("mpic-echo: ");
  putdec(count);
  puts_(" characters, IACK now ");
  putdec(MPIC(0x200a0));
  puts_(" (spurious)\n");
  return 0;
}
