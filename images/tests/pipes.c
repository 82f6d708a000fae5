/* Pipes: a megabyte through a pipe between two processes with a checksum,
 * end-of-file when the writer closes, EPIPE and SIGPIPE when the reader has
 * gone, and dup2 onto standard output. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests.h"

int main(void) {
	begin("pipes");
	int fd[2];
	CHECK(pipe(fd) == 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		uint8_t buf[4096];
		uint32_t x = 1;
		for (int block = 0; block < 256; block++) {
			for (size_t i = 0; i < sizeof buf; i++) { x = x * 1664525u + 1013904223u; buf[i] = (uint8_t)(x >> 24); }
			for (size_t off = 0; off < sizeof buf;) {
				ssize_t n = write(fd[1], buf + off, sizeof buf - off);
				if (n <= 0) _exit(1);
				off += (size_t)n;
			}
		}
		_exit(0);
	}
	close(fd[1]);
	uint8_t buf[1000];
	uint32_t sum = 0, total = 0;
	ssize_t n;
	while ((n = read(fd[0], buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) sum = (sum << 5 | sum >> 27) ^ buf[i];
		total += (uint32_t)n;
	}
	close(fd[0]);
	int status;
	waitpid(pid, &status, 0);
	printf("read %u bytes, checksum %08x, eof %d, writer status %d\n", total, sum, n == 0, WEXITSTATUS(status));
	CHECK(total == 256 * 4096 && n == 0 && WEXITSTATUS(status) == 0);

	CHECK(pipe(fd) == 0);
	close(fd[0]);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	n = write(fd[1], "x", 1);
	printf("write without reader: %zd %s\n", n, errno == EPIPE ? "EPIPE" : strerror(errno));
	CHECK(n == -1 && errno == EPIPE);
	close(fd[1]);

	CHECK(pipe(fd) == 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		close(fd[0]);
		for (;;) write(fd[1], "y", 1);
	}
	close(fd[1]);
	char c;
	CHECK(read(fd[0], &c, 1) == 1);
	close(fd[0]);
	waitpid(pid, &status, 0);
	printf("writer after reader closed: signal %d (SIGPIPE %d)\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0, SIGPIPE);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);

	CHECK(pipe(fd) == 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		printf("through dup2\n");
		fflush(stdout);
		_exit(0);
	}
	close(fd[1]);
	char line[64] = { 0 };
	n = read(fd[0], line, sizeof line - 1);
	waitpid(pid, &status, 0);
	printf("child said: %s", line);
	CHECK(strcmp(line, "through dup2\n") == 0);
	return end("pipes");
}
