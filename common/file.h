/* Safe file I/O: bounded reads, and writes that land whole or not at all. */
#ifndef CEREMONY_COMMON_FILE_H
#define CEREMONY_COMMON_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"

/* Read a whole regular file of at most `max` bytes into `out` (reset first).
 * Errors name the path: missing, not a regular file, larger than max, unreadable. */
__attribute__((warn_unused_result)) int file_read_all(const char *path, size_t max, struct buf *out);

/* Write all `len` bytes to `fd`, retrying after signals and short writes. Returns 0, or -1 with
 * errno set (EIO when the write makes no progress). Sets no error message: the caller names what. */
__attribute__((warn_unused_result)) int file_write_full(int fd, const void *data, size_t len);

/* Write `len` bytes to `path` atomically: a temporary file beside it (O_EXCL, `mode`), fsync,
 * rename over `path`, fsync of the directory. A crash leaves either the old file or the new one. */
__attribute__((warn_unused_result)) int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Remove the tree at `path` (files and directories, symbolic links not followed). With `keep_top`
 * the directory `path` itself stays (emptied). Best effort: for cleaning up what we created. */
void file_remove_tree(const char *path, int keep_top);

/* fsync a directory, so that a rename or a new entry in it is durable. */
__attribute__((warn_unused_result)) int file_sync_dir(const char *dir);

#endif
