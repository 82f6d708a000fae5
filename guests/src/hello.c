/* The demo guest (npm start): greets, shows the machine, passes one check. */
#include "runtime.h"

int main(void) {
  printf("Hello from an e500mc guest on the ppce500 machine!\n");
  printf("PVR 0x%08x, TLB0CFG 0x%08x, TLB1CFG 0x%08x\n", mfspr(SPR_PVR), mfspr(SPR_TLB0CFG), mfspr(SPR_TLB1CFG));
  report_eq("PVR is e500mc", mfspr(SPR_PVR), 0x80230020);
  return 0;
}
