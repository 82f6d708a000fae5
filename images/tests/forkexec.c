/* Processes: fork and wait with exit statuses, a process tree, and fork +
 * execve of /bin/sh (BusyBox in the guest, the host's sh under qemu-user)
 * with arguments and an environment. */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests.h"

int main(void) {
	begin("forkexec");
	int sum = 0;
	for (int i = 1; i <= 5; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) _exit(i * 10);
		int status;
		if (waitpid(pid, &status, 0) != pid) { printf("waitpid failed\n"); failures++; }
		sum += WEXITSTATUS(status);
	}
	printf("exit statuses sum %d\n", sum);
	CHECK(sum == 150);

	/* A chain of three generations, each waiting for its child. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) _exit(3);
		int st;
		waitpid(grandchild, &st, 0);
		_exit(WEXITSTATUS(st) + 4);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("grandchild chain status %d\n", WEXITSTATUS(status));
	CHECK(WEXITSTATUS(status) == 7);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "sh", "-c", "echo exec: $0 $1 $TKVM_TEST; exit 9", "zero", "one", NULL };
		char *envp[] = { "TKVM_TEST=env-ok", "PATH=/bin:/usr/bin", NULL };
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	printf("exec status %d\n", WEXITSTATUS(status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 9);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "no-such-program", NULL };
		execve("/no/such/program", argv, NULL);
		_exit(126);
	}
	waitpid(pid, &status, 0);
	printf("failed exec status %d\n", WEXITSTATUS(status));
	CHECK(WEXITSTATUS(status) == 126);
	return end("forkexec");
}
