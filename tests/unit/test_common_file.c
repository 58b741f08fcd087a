/* common/file: bounded reads that name the path when they refuse, and writes that land whole. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common/error.h"
#include "common/file.h"
#include "helpers.h"

static char *dir;

static void setup(void)
{
	dir = test_tmpdir("file");
}

static void teardown(void)
{
	if (dir == NULL)
		return;
	test_run("rm -rf '%s'", dir);
	free(dir);
	dir = NULL;
}

TestSuite(file, .init = setup, .fini = teardown, .timeout = 20);

static char *path_in(const char *name)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void assert_error(int r, int code, const char *fragment)
{
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert(strstr(err_message(), fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

/* How many entries (other than . and ..) the scratch directory holds. */
static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ---- file_read_all ---- */

Test(file, read_whole_file)
{
	char *p = path_in("a.txt");
	struct buf b = buf_make(1 << 20);

	test_write_file(p, "hello\0world", 11);
	cr_assert_eq(file_read_all(p, 11, &b), 0, "%s", err_message());
	cr_assert_eq(b.len, 11, "exactly max bytes is accepted");
	cr_assert_arr_eq(b.data, "hello\0world", 11);
	cr_assert_eq(b.data[11], '\0', "NUL-terminated");
	buf_free(&b);
	free(p);
}

Test(file, read_empty_file)
{
	char *p = path_in("empty");
	struct buf b = buf_make(16);

	test_write_file(p, "", 0);
	cr_assert_eq(buf_append_str(&b, "stale"), 0);
	cr_assert_eq(file_read_all(p, 16, &b), 0, "%s", err_message());
	cr_assert_eq(b.len, 0, "the buffer is reset first");
	buf_free(&b);
	free(p);
}

Test(file, read_larger_than_max_names_path)
{
	char *p = path_in("big.bin");
	char data[4097];
	struct buf b = buf_make(1 << 20);

	memset(data, 'x', sizeof(data));
	test_write_file(p, data, sizeof(data));
	assert_error(file_read_all(p, 4096, &b), CER_ERR_FORMAT, "too large");
	cr_assert(strstr(err_message(), p) != NULL, "names the path: %s", err_message());
	cr_assert(strstr(err_message(), "4097") != NULL, "says the size: %s", err_message());
	cr_assert_eq(b.len, 0);
	buf_free(&b);
	free(p);
}

Test(file, read_larger_than_buffer_limit_names_path)
{
	/* The buffer's own ceiling holds even when the caller's max is larger. */
	char *p = path_in("big2.bin");
	char data[100];
	struct buf b = buf_make(50);

	memset(data, 'y', sizeof(data));
	test_write_file(p, data, sizeof(data));
	cr_assert_eq(file_read_all(p, 1000, &b), CER_ERR_FORMAT);
	cr_assert(strstr(err_message(), p) != NULL, "names the path: %s", err_message());
	cr_assert_eq(b.len, 0);
	buf_free(&b);
	free(p);
}

Test(file, read_missing_names_path)
{
	char *p = path_in("no-such-file");
	struct buf b = buf_make(16);

	assert_error(file_read_all(p, 16, &b), CER_ERR_NOT_FOUND, p);
	cr_assert(strstr(err_message(), "No such file") != NULL, "%s", err_message());
	buf_free(&b);
	free(p);
}

Test(file, read_directory_refused)
{
	char *p = path_in("subdir");
	struct buf b = buf_make(16);

	cr_assert_eq(mkdir(p, 0700), 0);
	assert_error(file_read_all(p, 16, &b), CER_ERR_IO, "not a regular file");
	cr_assert(strstr(err_message(), p) != NULL, "names the path: %s", err_message());
	buf_free(&b);
	free(p);
}

Test(file, read_fifo_refused_without_blocking)
{
	/* A FIFO with no writer must be refused at once, not wait for ever for someone to open it. */
	char *p = path_in("fifo");
	struct buf b = buf_make(16);

	cr_assert_eq(mkfifo(p, 0600), 0);
	assert_error(file_read_all(p, 16, &b), CER_ERR_IO, "not a regular file");
	cr_assert(strstr(err_message(), p) != NULL, "names the path: %s", err_message());
	buf_free(&b);
	free(p);
}

Test(file, read_device_refused)
{
	struct buf b = buf_make(16);

	assert_error(file_read_all("/dev/zero", 16, &b), CER_ERR_IO, "/dev/zero: not a regular file");
	buf_free(&b);
}

Test(file, read_unreadable_names_path)
{
	char *p = path_in("locked");
	struct buf b = buf_make(16);

	if (geteuid() == 0) {
		teardown(); /* Criterion does not run .fini for a skipped test */
		cr_skip_test("root reads files whatever their mode");
	}
	test_write_file(p, "x", 1);
	cr_assert_eq(chmod(p, 0), 0);
	assert_error(file_read_all(p, 16, &b), CER_ERR_IO, p);
	cr_assert(strstr(err_message(), "Permission denied") != NULL, "%s", err_message());
	buf_free(&b);
	free(p);
}

Test(file, read_follows_symlink_to_regular_file)
{
	char *target = path_in("target"), *link = path_in("link");
	struct buf b = buf_make(16);

	test_write_file(target, "abc", 3);
	cr_assert_eq(symlink(target, link), 0);
	cr_assert_eq(file_read_all(link, 16, &b), 0, "%s", err_message());
	cr_assert_str_eq((const char *)b.data, "abc");
	buf_free(&b);
	free(target);
	free(link);
}

/* ---- file_write_atomic ---- */

Test(file, write_atomic_creates_with_mode)
{
	char *p = path_in("out.txt");
	struct stat st;
	size_t len = 0;
	char *back;
	mode_t old = umask(022);

	cr_assert_eq(file_write_atomic(p, "data\n", 5, 0640), 0, "%s", err_message());
	umask(old);
	back = test_read_file(p, &len);
	cr_assert_eq(len, 5);
	cr_assert_str_eq(back, "data\n");
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640);
	cr_assert_eq(count_entries(), 1, "no temporary file is left behind");
	free(back);
	free(p);
}

Test(file, write_atomic_replaces_whole)
{
	char *p = path_in("replace.txt");
	size_t len = 0;
	char *back;

	cr_assert_eq(file_write_atomic(p, "a much longer first version\n", 28, 0600), 0, "%s", err_message());
	cr_assert_eq(file_write_atomic(p, "v2\n", 3, 0600), 0, "%s", err_message());
	back = test_read_file(p, &len);
	cr_assert_eq(len, 3, "no tail of the old contents remains");
	cr_assert_str_eq(back, "v2\n");
	cr_assert_eq(count_entries(), 1);
	free(back);
	free(p);
}

Test(file, write_atomic_empty)
{
	char *p = path_in("empty.txt");
	struct stat st;

	cr_assert_eq(file_write_atomic(p, "", 0, 0600), 0, "%s", err_message());
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_size, 0);
	free(p);
}

Test(file, write_atomic_missing_directory_names_path)
{
	char *p = path_in("no-such-dir/out.txt");

	assert_error(file_write_atomic(p, "x", 1, 0600), CER_ERR_IO, "no-such-dir/out.txt");
	cr_assert_eq(count_entries(), 0);
	free(p);
}

Test(file, write_atomic_failed_rename_keeps_old_and_cleans_up)
{
	/* The target is a non-empty directory: rename fails, nothing of ours may remain. */
	char *p = path_in("target"), *inner = path_in("target/keep");

	cr_assert_eq(mkdir(p, 0700), 0);
	test_write_file(inner, "old", 3);
	assert_error(file_write_atomic(p, "new", 3, 0600), CER_ERR_IO, p);
	cr_assert_eq(count_entries(), 1, "the temporary file was removed");
	cr_assert_eq(test_run("test \"$(cat '%s')\" = old", inner), 0);
	free(p);
	free(inner);
}

Test(file, write_atomic_relative_path)
{
	char *cwd = getcwd(NULL, 0);
	size_t len = 0;
	char *back;

	cr_assert_eq(chdir(dir), 0);
	cr_assert_eq(file_write_atomic("rel.txt", "rel", 3, 0600), 0, "%s", err_message());
	back = test_read_file("rel.txt", &len);
	cr_assert_str_eq(back, "rel");
	cr_assert_eq(chdir(cwd), 0);
	free(back);
	free(cwd);
}

Test(file, write_atomic_path_too_long)
{
	char *p = malloc(5000);

	memset(p, 'a', 4999);
	p[4999] = '\0';
	/* The message names the path first and is cut at ERR_MESSAGE_MAX: check the code and the start. */
	cr_assert_eq(file_write_atomic(p, "x", 1, 0600), CER_ERR_USAGE, "%s", err_message());
	cr_assert(strncmp(err_message(), "aaaaaaaa", 8) == 0, "%s", err_message());
	free(p);
}

Test(file, sync_dir)
{
	char *p = path_in("nope");

	cr_assert_eq(file_sync_dir(dir), 0, "%s", err_message());
	assert_error(file_sync_dir(p), CER_ERR_IO, p);
	free(p);
}
