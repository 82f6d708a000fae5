/* Minimal freestanding runtime for tkvm's guest test kit (to be extended). */
#ifndef TKVM_RUNTIME_H
#define TKVM_RUNTIME_H
#define CCSR_VA 0xe0000000u
#define UART ((volatile unsigned char *)(CCSR_VA + 0x4500))
static inline void rt_putc(char c) { UART[0] = (unsigned char)c; }
static inline void rt_puts(const char *s) { while (*s) { if (*s == '\n') rt_putc('\r'); rt_putc(*s++); } }
static inline void rt_puthex(unsigned v) { for (int i = 28; i >= 0; i -= 4) rt_putc("0123456789abcdef"[(v >> i) & 15]); }
#endif
