#include "common/file.h"

#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/error.h"

int file_open_regular(const char *path, struct stat *st_out)
{
	struct stat st;
	int fd, r;

	/* O_NONBLOCK: opening a FIFO with no writer would otherwise wait for ever before we can refuse it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_set(errno == ENOENT ? CER_ERR_NOT_FOUND : CER_ERR_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		r = err_set(CER_ERR_IO, "%s: not a regular file", path);
	else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
		r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	else {
		if (st_out != NULL)
			*st_out = st;
		return fd;
	}
	close(fd);
	return r;
}

int file_read_all(const char *path, size_t max, struct buf *out)
{
	uint8_t chunk[16384];
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	buf_reset(out);
	if ((fd = file_open_regular(path, &st)) < 0)
		return fd;
	if ((uint64_t)st.st_size > (uint64_t)max) {
		r = err_set(CER_ERR_FORMAT, "%s: too large (%lld bytes, at most %zu)", path, (long long)st.st_size,
		            max);
		goto out;
	}
	/* Read to EOF rather than trusting st_size: the file may change under us, the limit still holds. */
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > max) {
			r = err_set(CER_ERR_FORMAT, "%s: too large (more than %zu bytes)", path, max);
			goto out;
		}
		if ((r = buf_append(out, chunk, (size_t)n)) != 0) {
			err_context(r, "%s", path);
			goto out;
		}
	}
out:
	close(fd);
	sodium_memzero(chunk, sizeof(chunk)); /* the file may be a private key */
	if (r != 0 && out->data != NULL) {
		sodium_memzero(out->data, out->cap);
		buf_reset(out);
	}
	return r;
}

int file_write_full(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int file_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(CER_ERR_IO, "%s: %s", dir, strerror(errno));
	if (fsync(fd) != 0) {
		int saved = errno;
		close(fd);
		return err_set(CER_ERR_IO, "%s: fsync: %s", dir, strerror(saved));
	}
	close(fd);
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096], dir[4096];
	int fd, n, r = 0;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp) || strlen(path) >= sizeof(dir))
		return err_set(CER_ERR_USAGE, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return err_set(CER_ERR_IO, "%s: %s", tmp, strerror(errno));
	if (file_write_full(fd, data, len) != 0 || fsync(fd) != 0) {
		r = err_set(CER_ERR_IO, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return r;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return r;
	}
	memcpy(dir, path, strlen(path) + 1);
	return file_sync_dir(dirname(dir));
}

/* nftw() has no context argument: the one flag it needs is per thread. */
static _Thread_local int removing_keeps_top;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level == 0 && removing_keeps_top)
		return 0;
	return remove(path);
}

void file_remove_tree(const char *path, int keep_top)
{
	removing_keeps_top = keep_top;
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
