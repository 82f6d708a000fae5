/*
 * A program for the debugger test (test/gdb.test.ts): built with -g -O0 so
 * gdb-multiarch can break at square(), print its argument, step through it,
 * watch `counter` change in bump(), and run to the end. On its own it is an
 * ordinary kit program (it checks what it computed).
 */
#include "runtime.h"

volatile int counter;
int result;

int square(int x) {
  int y = x * x;
  return y;
}

void bump(int by) {
  counter += by;
}

int main(void) {
  int total = 0;
  for (int i = 1; i <= 5; i++) {
    total += square(i);
    bump(i);
  }
  result = total;
  report_eq("sum of squares", (u32)total, 55);
  report_eq("counter", (u32)counter, 15);
  return 0;
}
