/* Shared by the tkvm test programs: each prints deterministic output, the
 * same under qemu-ppc-static on the host as in a guest, and exits 0 only if
 * its own checks passed. */
#ifndef TKVM_TESTS_H
#define TKVM_TESTS_H
#include <stdio.h>
#include <stdlib.h>

static int failures;

#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

/* Line-buffered, so that output is not duplicated by fork() and comes out in
 * the same order on a pipe as on a terminal. */
static void begin(const char *name) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("== %s\n", name);
}

static int end(const char *name) {
	printf("== %s: %s\n", name, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
#endif
