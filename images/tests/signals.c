/* Signals: handlers with sigaction, blocking and pending signals, a fault
 * caught with sigsetjmp/siglongjmp, SA_SIGINFO data, and a child killed by a
 * signal as its parent sees it. */
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests.h"

static volatile sig_atomic_t got_usr1, got_usr2_code;
static sigjmp_buf jump;
/* volatile: the compiler must not see that this store faults. */
static volatile int *volatile bad_address = (int *)8;

static void on_usr1(int sig) { got_usr1 += sig == SIGUSR1; }
static void on_usr2(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; got_usr2_code = si->si_value.sival_int; }
static void on_segv(int sig) { siglongjmp(jump, sig); }

int main(void) {
	begin("signals");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	kill(getpid(), SIGUSR1);
	printf("usr1 handled %d times\n", (int)got_usr1);
	CHECK(got_usr1 == 2);

	sigset_t set, old, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR1);
	sigpending(&pend);
	printf("blocked: pending %d, handled %d\n", sigismember(&pend, SIGUSR1), (int)got_usr1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("unblocked: handled %d\n", (int)got_usr1);
	CHECK(got_usr1 == 3);

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr2;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, NULL);
	union sigval v = { .sival_int = 4242 };
	sigqueue(getpid(), SIGUSR2, v);
	printf("sigqueue value %d\n", (int)got_usr2_code);
	CHECK(got_usr2_code == 4242);

	signal(SIGSEGV, on_segv);
	int sig = sigsetjmp(jump, 1);
	if (sig == 0) {
		*bad_address = 1;
		printf("no fault?\n");
	}
	printf("caught fault: signal %d (%s)\n", sig, sig == SIGSEGV ? "SIGSEGV" : "?");
	CHECK(sig == SIGSEGV);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		pause();
		_exit(0);
	}
	kill(pid, SIGTERM);
	int status;
	waitpid(pid, &status, 0);
	printf("child killed: signaled %d, signal %d\n", WIFSIGNALED(status), WTERMSIG(status));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	return end("signals");
}
