#include "vault/passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "common/error.h"
#include "common/file.h"

/* Room for the passphrase, "\r\n", one byte more to notice a longer file, and the NUL. */
#define PASSPHRASE_BUF_BYTES (PASSPHRASE_MAX + 4)

void passphrase_free(char *passphrase)
{
	sodium_free(passphrase);
}

/* Checks shared by both sources, once the line ending is gone. */
static int check_line(const char *p, size_t len, const char *source)
{
	if (len == 0)
		return err_set(CER_ERR_FORMAT, "%s: empty passphrase", source);
	if (len > PASSPHRASE_MAX)
		return err_set(CER_ERR_FORMAT, "%s: passphrase longer than %d bytes", source, PASSPHRASE_MAX);
	if (memchr(p, '\0', len) != NULL)
		return err_set(CER_ERR_FORMAT, "%s: NUL byte in the passphrase", source);
	if (memchr(p, '\n', len) != NULL || memchr(p, '\r', len) != NULL)
		return err_set(CER_ERR_FORMAT, "%s: the passphrase must be a single line", source);
	return 0;
}

/* Not file_read_all(): its buffers are plain heap memory that grows by realloc and is not wiped. */
static int read_file(const char *path, char *p, size_t *len_out)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, r = 0;

	if ((fd = file_open_regular(path, &st)) < 0)
		return fd;
	if (st.st_uid != geteuid()) {
		r = err_set(CER_ERR_REFUSED, "%s: the passphrase file is owned by another user", path);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		r = err_set(CER_ERR_REFUSED,
		            "%s: the passphrase file is accessible to others (mode %04o; chmod 600 it)", path,
		            (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (len < PASSPHRASE_BUF_BYTES - 1) {
		n = read(fd, p + len, PASSPHRASE_BUF_BYTES - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > 0 && p[len - 1] == '\n') {
		len--;
		if (len > 0 && p[len - 1] == '\r')
			len--;
	}
	if ((r = check_line(p, len, path)) != 0)
		goto out;
	p[len] = '\0';
	*len_out = len;
out:
	close(fd);
	return r;
}

static int read_tty(const char *prompt, char *p, size_t *len_out)
{
	struct termios saved, quiet;
	sigset_t keyboard, old_mask, pending;
	size_t len = 0;
	int fd, r = 0, overflow = 0, interrupted = 0;
	char ch = 0;
	ssize_t n;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set(CER_ERR_IO, "no terminal to read the passphrase from (%s); use --passphrase-file",
		               strerror(errno));
	if (tcgetattr(fd, &saved) != 0) {
		r = err_set(CER_ERR_IO, "/dev/tty: %s", strerror(errno));
		close(fd);
		return r;
	}
	/* Held back while echo is off, so that no signal can leave the terminal silent; a pending one
	 * refuses the passphrase and is delivered once the terminal is restored. */
	sigemptyset(&keyboard);
	sigaddset(&keyboard, SIGINT);
	sigaddset(&keyboard, SIGQUIT);
	sigaddset(&keyboard, SIGTSTP);
	sigaddset(&keyboard, SIGHUP);
	sigaddset(&keyboard, SIGTERM);
	sigprocmask(SIG_BLOCK, &keyboard, &old_mask);

	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		r = err_set(CER_ERR_IO, "/dev/tty: cannot turn echo off: %s", strerror(errno));
		goto restore;
	}
	if (prompt != NULL && file_write_full(fd, prompt, strlen(prompt)) != 0) {
		r = err_set(CER_ERR_IO, "/dev/tty: %s", strerror(errno));
		goto restore;
	}
	for (;;) {
		n = read(fd, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = err_set(CER_ERR_IO, "/dev/tty: %s", strerror(errno));
			goto restore;
		}
		if (n == 0 || ch == '\n')
			break;
		if (len < PASSPHRASE_MAX)
			p[len++] = ch;
		else
			overflow = 1;
	}
restore:
	sodium_memzero(&ch, sizeof(ch));
	tcsetattr(fd, TCSAFLUSH, &saved);
	if (file_write_full(fd, "\n", 1) != 0) /* the typed newline was not echoed; cosmetic */
		errno = 0;
	if (sigpending(&pending) == 0)
		for (int s = 1; s < NSIG; s++)
			if (sigismember(&keyboard, s) == 1 && sigismember(&pending, s) == 1)
				interrupted = 1;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	close(fd);
	if (r != 0)
		return r;
	if (interrupted)
		return err_set(CER_ERR_REFUSED, "passphrase entry interrupted");
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (overflow)
		return err_set(CER_ERR_FORMAT, "terminal: passphrase longer than %d bytes", PASSPHRASE_MAX);
	if ((r = check_line(p, len, "terminal")) != 0)
		return r;
	p[len] = '\0';
	*len_out = len;
	return 0;
}

int passphrase_read(const char *prompt, const char *passphrase_file, char **out, size_t *len_out)
{
	char *p = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	*len_out = 0;
	p = sodium_malloc(PASSPHRASE_BUF_BYTES);
	if (p == NULL)
		return err_set(CER_ERR_NOMEM, "out of secure memory");
	if (passphrase_file != NULL)
		r = read_file(passphrase_file, p, &len);
	else
		r = read_tty(prompt, p, &len);
	if (r != 0) {
		sodium_free(p);
		return r;
	}
	*out = p; /* transferred */
	*len_out = len;
	return 0;
}
