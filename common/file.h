/* Safe file I/O: bounded reads, and writes that land whole or not at all. */
#ifndef CEREMONY_COMMON_FILE_H
#define CEREMONY_COMMON_FILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/buf.h"

/* Open `path` for reading, refusing anything but a regular file without hanging on a FIFO (opened
 * O_NONBLOCK, checked, then made blocking). Returns the descriptor (the caller closes it) and, when
 * `st_out` is not NULL, its stat; or a negative cer_err naming the path: CER_ERR_NOT_FOUND,
 * CER_ERR_IO ("not a regular file", or the system's reason). */
__attribute__((warn_unused_result)) int file_open_regular(const char *path, struct stat *st_out);

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
