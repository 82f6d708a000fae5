/* Time: clocks that move forward, sleeps that last (nanosleep, usleep,
 * clock_nanosleep), an interval timer and a POSIX timer delivering signals.
 * Only facts that do not depend on the speed of the machine are printed. */
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "tests.h"

static volatile sig_atomic_t alarms, timer_ticks;
static void on_alarm(int sig) { (void)sig; alarms++; }
static void on_timer(int sig) { (void)sig; timer_ticks++; }

static long long now_ms(clockid_t clock) {
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void slept(const char *what, long long t0, long long want_ms) {
	long long ms = now_ms(CLOCK_MONOTONIC) - t0;
	printf("%s: slept at least %lld ms: %s\n", what, want_ms, ms >= want_ms ? "yes" : "NO");
	CHECK(ms >= want_ms);
}

int main(void) {
	begin("timers");
	long long a = now_ms(CLOCK_MONOTONIC), r = now_ms(CLOCK_REALTIME);
	printf("clocks readable: %d\n", a >= 0 && r >= 0);

	long long t0 = now_ms(CLOCK_MONOTONIC);
	struct timespec ts = { 0, 100 * 1000000 };
	CHECK(nanosleep(&ts, NULL) == 0);
	slept("nanosleep", t0, 100);

	t0 = now_ms(CLOCK_MONOTONIC);
	CHECK(usleep(50 * 1000) == 0);
	slept("usleep", t0, 50);

	t0 = now_ms(CLOCK_MONOTONIC);
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += 80 * 1000000;
	if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == 0);
	slept("clock_nanosleep absolute", t0, 80);

	signal(SIGALRM, on_alarm);
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	t0 = now_ms(CLOCK_MONOTONIC);
	setitimer(ITIMER_REAL, &it, NULL);
	while (alarms < 3) pause();
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	printf("setitimer: at least 3 alarms: %s\n", alarms >= 3 ? "yes" : "NO");
	slept("setitimer", t0, 60);

	signal(SIGUSR1, on_timer);
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	timer_t timer;
	CHECK(timer_create(CLOCK_MONOTONIC, &sev, &timer) == 0);
	struct itimerspec its = { { 0, 10 * 1000000 }, { 0, 10 * 1000000 } };
	t0 = now_ms(CLOCK_MONOTONIC);
	CHECK(timer_settime(timer, 0, &its, NULL) == 0);
	while (timer_ticks < 5) pause();
	timer_delete(timer);
	printf("timer_create: at least 5 ticks: %s\n", timer_ticks >= 5 ? "yes" : "NO");
	slept("timer_create", t0, 50);
	return end("timers");
}
