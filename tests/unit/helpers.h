/* Helpers shared by the unit tests: scratch directories, key files, running stock tools. */
#ifndef CEREMONY_TESTS_HELPERS_H
#define CEREMONY_TESTS_HELPERS_H

#include <stddef.h>

#include "common/sshkey.h"

/* A fresh empty directory under $CEREMONY_TEST_TMP (or /tmp); caller frees the string. */
char *test_tmpdir(const char *tag);

/* Write a file (creating it, mode 0600); aborts the test on failure. */
void test_write_file(const char *path, const void *data, size_t len);

/* Read a whole file into a NUL-terminated malloc'd buffer; aborts the test on failure. */
char *test_read_file(const char *path, size_t *len_out);

/* Generate an Ed25519 key with ssh-keygen at `path` (and path.pub) with `comment`; no passphrase. */
void test_ssh_keygen(const char *path, const char *comment);

/* Run a shell command; returns its exit status (or -1). */
int test_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
