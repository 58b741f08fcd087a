/* pty-drive: run a program on a pseudo-terminal and drive it like a person, from a script of
 *   expect TEXT     wait (at most 30 s) until TEXT appears in the program's output
 *   send TEXT       type TEXT and Enter
 *   exit CODE       the program must end with this exit code
 * Usage: pty-drive SCRIPT PROGRAM [ARG...]. On failure the transcript goes to stderr. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRANSCRIPT_MAX (4 * 1024 * 1024)
#define EXPECT_SECONDS 30

static char transcript[TRANSCRIPT_MAX];
static size_t transcript_len, consumed;

static int fail(const char *what, const char *arg)
{
	fprintf(stderr, "pty-drive: %s%s%s\n--- transcript ---\n%.*s\n--- end ---\n", what, arg ? ": " : "",
	        arg ? arg : "", (int)transcript_len, transcript);
	return 1;
}

/* Read what the program printed, for at most `ms`. Returns -1 at end of output. */
static int pump(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	if (transcript_len == TRANSCRIPT_MAX)
		return -1;
	n = read(fd, transcript + transcript_len, TRANSCRIPT_MAX - transcript_len);
	if (n <= 0)
		return -1;
	transcript_len += (size_t)n;
	return 1;
}

static int expect(int fd, const char *text)
{
	time_t deadline = time(NULL) + EXPECT_SECONDS;

	for (;;) {
		char *found = memmem(transcript + consumed, transcript_len - consumed, text, strlen(text));
		if (found != NULL) {
			consumed = (size_t)(found - transcript) + strlen(text);
			return 0;
		}
		if (time(NULL) > deadline || pump(fd, 200) < 0)
			return fail("never saw", text);
	}
}

int main(int argc, char **argv)
{
	char line[8192];
	FILE *script;
	pid_t pid;
	int fd, status;

	if (argc < 3) {
		fprintf(stderr, "usage: pty-drive SCRIPT PROGRAM [ARG...]\n");
		return 2;
	}
	if ((script = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	pid = forkpty(&fd, NULL, NULL, NULL);
	if (pid < 0) {
		perror("forkpty");
		return 2;
	}
	if (pid == 0) {
		execv(argv[2], argv + 2);
		_exit(127);
	}
	while (fgets(line, sizeof(line), script) != NULL) {
		size_t len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (strncmp(line, "expect ", 7) == 0) {
			if (expect(fd, line + 7) != 0)
				goto kill;
		} else if (strncmp(line, "send ", 5) == 0 || strcmp(line, "send") == 0) {
			const char *text = len > 5 ? line + 5 : "";
			if (write(fd, text, strlen(text)) < 0 || write(fd, "\r", 1) != 1) {
				fail("cannot type", text);
				goto kill;
			}
		} else if (strncmp(line, "exit ", 5) == 0) {
			while (pump(fd, 200) >= 0)
				;
			long want = strtol(line + 5, NULL, 10);
			if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != want) {
				char got[32];
				snprintf(got, sizeof(got), "%d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
				return fail("wrong exit code", got);
			}
			fclose(script);
			return 0;
		} else if (len > 0 && line[0] != '#') {
			fail("bad script line", line);
			goto kill;
		}
	}
	fclose(script);
	return fail("the script has no exit line", NULL);
kill:
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 1;
}
