/* CPU-bound work for the benchmarks (`npm run bench -- cpu`): a quicksort of
 * 200,000 ints, a table-driven CRC-32 over 10 MB, and a 5-body gravitational
 * simulation in double precision. Each part prints a checksum line, so the
 * output is the same under qemu-ppc-static, qemu-system-ppc and tkvm (the
 * image tests compare them); the benchmark times the whole program at the
 * shell, from the command to its last line.
 *
 * Floating point: only +, -, *, / and sqrt (no sin, cos, exp or pow: see
 * float.c, glibc's libm runs some of them with mffscrni, which QEMU 7.2
 * refuses on an e500mc). The input data comes from a fixed linear
 * congruential generator, so every run does the same work. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "tests.h"

static uint32_t seed;
static uint32_t lcg(void) { return seed = seed * 1664525u + 1013904223u; }

/* ---- quicksort ---- */

#define NSORT 200000

static void swap(int32_t *a, int32_t *b) { int32_t t = *a; *a = *b; *b = t; }

/* Median-of-three Hoare partitioning; recursion on the smaller side (the
 * stack stays O(log n)), insertion sort below 16 elements. */
static void quicksort(int32_t *v, int lo, int hi) {
	while (hi - lo >= 16) {
		int mid = lo + (hi - lo) / 2;
		if (v[mid] < v[lo]) swap(&v[mid], &v[lo]);
		if (v[hi] < v[lo]) swap(&v[hi], &v[lo]);
		if (v[hi] < v[mid]) swap(&v[hi], &v[mid]);
		int32_t pivot = v[mid];
		int i = lo - 1, j = hi + 1;
		for (;;) {
			do i++; while (v[i] < pivot);
			do j--; while (v[j] > pivot);
			if (i >= j) break;
			swap(&v[i], &v[j]);
		}
		if (j - lo < hi - j) { quicksort(v, lo, j); lo = j + 1; }
		else { quicksort(v, j + 1, hi); hi = j; }
	}
	for (int i = lo + 1; i <= hi; i++) {
		int32_t x = v[i];
		int k = i - 1;
		while (k >= lo && v[k] > x) { v[k + 1] = v[k]; k--; }
		v[k + 1] = x;
	}
}

static void part_sort(void) {
	static int32_t v[NSORT];
	seed = 1;
	int64_t sum = 0;
	for (int i = 0; i < NSORT; i++) { v[i] = (int32_t)lcg(); sum += v[i]; }
	quicksort(v, 0, NSORT - 1);
	int sorted = 1;
	int64_t after = 0;
	uint32_t h = 0;
	for (int i = 0; i < NSORT; i++) {
		if (i > 0 && v[i - 1] > v[i]) sorted = 0;
		after += v[i];
		h = h * 31u + (uint32_t)v[i];
	}
	CHECK(sorted);
	CHECK(after == sum);
	printf("sort n=%d min %d median %d max %d hash %08x\n", NSORT, v[0], v[NSORT / 2], v[NSORT - 1], h);
}

/* ---- CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320) ---- */

#define NCRC (10u << 20)

static uint32_t table[256];

static void crc_init(void) {
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
		table[i] = c;
	}
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n) {
	uint32_t c = ~crc;
	while (n--) c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

static void part_crc(void) {
	static uint8_t buf[NCRC];
	crc_init();
	CHECK(crc32(0, (const uint8_t *)"123456789", 9) == 0xcbf43926u);
	seed = 2;
	for (size_t i = 0; i < NCRC; i += 4) {
		uint32_t w = lcg();
		memcpy(buf + i, &w, 4);
	}
	uint32_t whole = crc32(0, buf, NCRC);
	/* The same CRC in two pieces: the running value carries over. */
	uint32_t split = crc32(crc32(0, buf, 12345), buf + 12345, NCRC - 12345);
	CHECK(whole == split);
	printf("crc32 %u bytes %08x\n", NCRC, whole);
}

/* ---- a 5-body system: one heavy body, four light ones in near-circular orbits ---- */

#define NBODY 5
#define STEPS 40000

struct body { double x, y, z, vx, vy, vz, m; };

static double energy(const struct body *b) {
	double e = 0;
	for (int i = 0; i < NBODY; i++) {
		e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
		for (int j = i + 1; j < NBODY; j++) {
			double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
			e -= b[i].m * b[j].m / sqrt(dx * dx + dy * dy + dz * dz);
		}
	}
	return e;
}

/* One leapfrog step (kick, drift) with the gravitational constant 1. */
static void step(struct body *b, double dt) {
	for (int i = 0; i < NBODY; i++) {
		for (int j = i + 1; j < NBODY; j++) {
			double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
			double d2 = dx * dx + dy * dy + dz * dz;
			double mag = dt / (d2 * sqrt(d2));
			b[i].vx -= dx * b[j].m * mag; b[i].vy -= dy * b[j].m * mag; b[i].vz -= dz * b[j].m * mag;
			b[j].vx += dx * b[i].m * mag; b[j].vy += dy * b[i].m * mag; b[j].vz += dz * b[i].m * mag;
		}
	}
	for (int i = 0; i < NBODY; i++) {
		b[i].x += dt * b[i].vx; b[i].y += dt * b[i].vy; b[i].z += dt * b[i].vz;
	}
}

static void part_nbody(void) {
	/* Radii, masses and small inclinations (z velocity) of the four light bodies. */
	static const double r[4] = { 1.0, 1.7, 2.6, 4.1 }, m[4] = { 2e-3, 5e-4, 1e-3, 3e-4 }, tilt[4] = { 0.01, -0.02, 0.015, 0.005 };
	struct body b[NBODY];
	memset(b, 0, sizeof b);
	b[0].m = 1.0;
	for (int i = 0; i < 4; i++) {
		struct body *p = &b[i + 1];
		double v = sqrt(1.0 / r[i]);
		/* On alternating axes, going round the same way. */
		if (i & 1) { p->y = r[i]; p->vx = -v; }
		else { p->x = r[i]; p->vy = v; }
		p->vz = tilt[i] * v;
		p->m = m[i];
	}
	/* The heavy body moves so that the total momentum is zero. */
	for (int i = 1; i < NBODY; i++) {
		b[0].vx -= b[i].vx * b[i].m / b[0].m;
		b[0].vy -= b[i].vy * b[i].m / b[0].m;
		b[0].vz -= b[i].vz * b[i].m / b[0].m;
	}
	double e0 = energy(b);
	for (int s = 0; s < STEPS; s++) step(b, 0.001);
	double e1 = energy(b);
	CHECK(fabs((e1 - e0) / e0) < 1e-4);
	printf("nbody steps %d energy %.17g -> %.17g\n", STEPS, e0, e1);
	printf("nbody body1 %.17g %.17g %.17g\n", b[1].x, b[1].y, b[1].z);
	printf("nbody body4 %.17g %.17g %.17g\n", b[4].x, b[4].y, b[4].z);
}

int main(void) {
	begin("cpubench");
	part_sort();
	part_crc();
	part_nbody();
	return end("cpubench");
}
