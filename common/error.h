/* Error codes and the one last-error message of the calling thread.
 *
 * Modules return 0 on success or a negative cer_err code; the function that detects a
 * problem records one human sentence with err_set(). Callers propagate the code and do not
 * overwrite the message; they may prepend context (the file, the record) with err_context().
 * Only main() prints it: "ceremony: <message>". */
#ifndef CEREMONY_COMMON_ERROR_H
#define CEREMONY_COMMON_ERROR_H

#include <stddef.h>

typedef enum cer_err {
	CER_OK = 0,
	CER_ERR_NOMEM = -1, /* allocation failed */
	CER_ERR_IO = -2, /* a file or socket could not be read or written */
	CER_ERR_FORMAT = -3, /* input is malformed, truncated, oversized or of unknown version */
	CER_ERR_VERIFY = -4, /* a signature or digest does not verify */
	CER_ERR_UNSUPPORTED = -5, /* well-formed but an algorithm or feature we refuse */
	CER_ERR_USAGE = -6, /* the request itself is wrong (bad option, missing argument) */
	CER_ERR_BUSY = -7, /* another writer holds the evidence repository */
	CER_ERR_REFUSED = -8, /* the request is understood and refused (append after close...) */
	CER_ERR_NOT_FOUND = -9, /* a named key, file or record does not exist */
	CER_ERR_INTERNAL = -10, /* a library failed in a way we did not expect */
} cer_err;

/* Record the calling thread's last error and return `code` (so `return err_set(...)` reads well).
 * The message is truncated to ERR_MESSAGE_MAX - 1 bytes. */
#define ERR_MESSAGE_MAX 512
__attribute__((format(printf, 2, 3))) int err_set(int code, const char *fmt, ...);

/* Prepend "<context>: " to the last message, so a low-level reason gains the file or record it
 * concerns. Returns `code` unchanged. */
__attribute__((format(printf, 2, 3))) int err_context(int code, const char *fmt, ...);

/* The last message of this thread; "" when none was set. Borrowed, valid until the next err_* call. */
const char *err_message(void);

/* Forget the last message. */
void err_clear(void);

/* A short English name for a code ("malformed input", ...), never NULL. */
const char *err_code_name(int code);

#endif
