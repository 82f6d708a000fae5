/* Floating point: IEEE double and single arithmetic, rounding, conversions,
 * special values, and libm functions (printed exactly, with %a and %.17g).
 *
 * Not sin, cos, tan, atan or atan2: Debian 12's glibc runs them under a
 * saved-and-restored rounding mode, which it switches with mffscrni (Power
 * ISA 3.0), and QEMU 7.2 raises an illegal-instruction exception for that on
 * an e500mc (user and system emulation alike). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "tests.h"

static volatile double vd[] = { 1.0, 3.0, 0.1, 0.2, 1e308, -0.0, 2.0 };
static volatile float vf[] = { 1.0f, 3.0f, 16777216.0f };

static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }

int main(void) {
	begin("float");
	double one = vd[0], three = vd[1], tenth = vd[2], fifth = vd[3], big = vd[4], nzero = vd[5], two = vd[6];
	printf("div %.17g %a\n", one / three, one / three);
	printf("add %.17g eq %d\n", tenth + fifth, tenth + fifth == 0.3);
	printf("sqrt %.17g %016llx\n", sqrt(two), (unsigned long long)bits(sqrt(two)));
	printf("fma %.17g\n", fma(tenth, three, -0.3));
	printf("inf %g %g nan %d\n", big * 10, -big * 10, isnan((big * 10) - (big * 10)));
	printf("zero %g %d\n", nzero, signbit(nzero) != 0);
	printf("denormal %g %d\n", DBL_MIN / 4, fpclassify(DBL_MIN / 4) == FP_SUBNORMAL);
	printf("conv %d %d %lld %u\n", (int)-2.7, (int)2.7, (long long)-1e18, (unsigned)3e9);
	printf("round %g %g %g %g\n", floor(-2.5), ceil(-2.5), round(-2.5), rint(-2.5));
	float f1 = vf[0], f3 = vf[1], f24 = vf[2];
	printf("single %.9g %a %.9g\n", f1 / f3, f1 / f3, f24 + f1);
	printf("libm %.17g %.17g %.17g %.17g %.17g\n", exp(one), log(three), log1p(one), cbrt(three), hypot(one, three));
	printf("pow %.17g %.17g\n", pow(two, 0.5), pow(three, 40.0));
	double s = 0;
	for (int i = 1; i <= 1000; i++) s += 1.0 / ((double)i * i);
	printf("basel %.17g\n", s);
	CHECK(one / three == 1.0 / 3.0);
	CHECK(sqrt(two) * sqrt(two) != two);
	CHECK(fabs(s - 1.6439345666815615) < 1e-15);
	CHECK(f24 + f1 == f24);
	return end("float");
}
