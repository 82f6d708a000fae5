/* Integer arithmetic: 32- and 64-bit multiply and divide (signed and
 * unsigned), shifts and rotates, carries, and a CRC-32 and a sort whose
 * results are known. */
#include <stdint.h>
#include <string.h>
#include "tests.h"

static uint32_t crc32(const uint8_t *p, size_t n) {
	uint32_t c = 0xffffffffu;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

static int cmp(const void *a, const void *b) {
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* volatile: keep the compiler from folding the arithmetic at build time. */
static volatile int32_t vi[] = { 7, -7, 2147483647, -2147483647 - 1, 3, -1 };
static volatile uint64_t vu64[] = { 0x123456789abcdef0ull, 0xfedcba9876543210ull, 1000000007ull };

int main(void) {
	begin("integer");
	int32_t a = vi[0], b = vi[1], max = vi[2], min = vi[3], three = vi[4], m1 = vi[5];
	printf("div %d %d %d %d\n", a / three, b / three, a % three, b % three);
	printf("udiv %u %u\n", (uint32_t)max / 10u, (uint32_t)min / 7u);
	printf("mul %d %lld\n", max * three, (long long)max * three);
	printf("mulhu %08x\n", (uint32_t)(((uint64_t)(uint32_t)max * 0xdeadbeefu) >> 32));
	printf("overflow %d %d\n", max + 1 == min, min / m1 == min || 1);
	printf("shift %08x %08x %d\n", (uint32_t)a << 29, (uint32_t)min >> 31, min >> 31);
	uint32_t r = 0x80000001u;
	printf("rotl %08x\n", (r << 4) | (r >> 28));
	uint64_t x = vu64[0], y = vu64[1], p = vu64[2];
	printf("u64 %016llx %016llx %016llx\n", (unsigned long long)(x + y), (unsigned long long)(x * y), (unsigned long long)(y / p));
	printf("u64mod %llu %lld\n", (unsigned long long)(y % p), (long long)((int64_t)y / 1000));
	printf("clz %d %d popcount %d\n", __builtin_clz(1u), __builtin_clzll(1ull << 40), __builtin_popcount(0xf0f0f00fu));
	const char *msg = "The quick brown fox jumps over the lazy dog";
	uint32_t crc = crc32((const uint8_t *)msg, strlen(msg));
	printf("crc32 %08x\n", crc);
	CHECK(crc == 0x414fa339u);
	int32_t arr[64];
	uint32_t seed = 12345;
	for (int i = 0; i < 64; i++) { seed = seed * 1103515245u + 12345u; arr[i] = (int32_t)(seed >> 8) - (1 << 22); }
	qsort(arr, 64, sizeof arr[0], cmp);
	int sorted = 1;
	for (int i = 1; i < 64; i++) sorted &= arr[i - 1] <= arr[i];
	printf("sort %d %d %d\n", sorted, arr[0], arr[63]);
	CHECK(sorted);
	CHECK(a / three == 2 && b / three == -2 && b % three == -1);
	CHECK(x + y == 0x1111111111111100ull);
	return end("integer");
}
