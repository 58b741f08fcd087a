#include "helpers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

char *test_tmpdir(const char *tag)
{
	const char *base = getenv("CEREMONY_TEST_TMP");
	char *path = NULL;

	if (base == NULL)
		base = "/tmp";
	mkdir(base, 0700);
	cr_assert(asprintf(&path, "%s/%s.XXXXXX", base, tag) > 0);
	cr_assert(mkdtemp(path) != NULL, "mkdtemp %s", path);
	return path;
}

void test_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert(f != NULL, "cannot write %s", path);
	cr_assert(fwrite(data, 1, len, f) == len);
	cr_assert(fclose(f) == 0);
	chmod(path, 0600);
}

char *test_read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long len;

	cr_assert(f != NULL, "cannot read %s", path);
	cr_assert(fseek(f, 0, SEEK_END) == 0);
	len = ftell(f);
	cr_assert(len >= 0);
	rewind(f);
	data = malloc((size_t)len + 1);
	cr_assert(data != NULL);
	cr_assert(fread(data, 1, (size_t)len, f) == (size_t)len);
	data[len] = '\0';
	fclose(f);
	if (len_out)
		*len_out = (size_t)len;
	return data;
}

int test_run(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int status;

	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	status = system(cmd);
	free(cmd);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

void test_ssh_keygen(const char *path, const char *comment)
{
	cr_assert(test_run("ssh-keygen -q -t ed25519 -N '' -C '%s' -f '%s' </dev/null >/dev/null", comment, path) == 0,
		  "ssh-keygen failed for %s", path);
}
