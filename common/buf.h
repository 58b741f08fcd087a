/* Growing byte buffers with a ceiling, and the one bounded cursor every untrusted byte is read through.
 *
 * A struct buf owns its bytes (plain heap memory: never use it for secrets, see secmem.h).
 * It never grows past `limit`; appending beyond it fails with CER_ERR_FORMAT, so an attacker's
 * length field cannot make us allocate without bound. Contents are kept NUL-terminated
 * (one byte past len) so text can be handed to C string functions safely.
 *
 * A struct cursor borrows bytes it does not own and consumes them front to back. Every read
 * checks the remaining length first; SSH wire strings (uint32 length + bytes) are capped by the
 * caller's maximum. A failed read leaves the cursor unchanged and sets the last error. */
#ifndef CEREMONY_COMMON_BUF_H
#define CEREMONY_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data; /* NULL until the first append; NUL-terminated past len */
	size_t len;
	size_t cap;
	size_t limit; /* the most bytes this buffer may ever hold */
};

/* An empty buffer that may grow to `limit` bytes. Allocates nothing. */
struct buf buf_make(size_t limit);

/* Append bytes. Returns 0, CER_ERR_FORMAT past the limit, or CER_ERR_NOMEM. */
__attribute__((warn_unused_result)) int buf_append(struct buf *b, const void *data, size_t len);
__attribute__((warn_unused_result)) int buf_append_str(struct buf *b, const char *s);
__attribute__((format(printf, 2, 3), warn_unused_result)) int buf_printf(struct buf *b, const char *fmt, ...);
/* Big-endian uint32, as the SSH wire format has it. */
__attribute__((warn_unused_result)) int buf_put_u32(struct buf *b, uint32_t v);
/* An SSH string: uint32 length then the bytes. */
__attribute__((warn_unused_result)) int buf_put_string(struct buf *b, const void *data, size_t len);
__attribute__((warn_unused_result)) int buf_put_cstring(struct buf *b, const char *s);

/* Forget the contents, keep the allocation. */
void buf_reset(struct buf *b);
/* Release the bytes; the buffer is empty again (same limit). Safe on an empty buffer. */
void buf_free(struct buf *b);
/* Wipe then release: for buffers that held anything a person should not see in a core file. */
void buf_wipe_free(struct buf *b);
/* Hand the bytes to the caller (who frees them with free()); the buffer is left empty. */
uint8_t *buf_steal(struct buf *b, size_t *len_out);

struct cursor {
	const uint8_t *p; /* borrowed */
	size_t left;
};

struct cursor cursor_make(const void *data, size_t len);

__attribute__((warn_unused_result)) int cursor_get_u8(struct cursor *c, uint8_t *out);
__attribute__((warn_unused_result)) int cursor_get_u32(struct cursor *c, uint32_t *out);
/* Exactly `len` bytes; *out borrows from the cursor's data. */
__attribute__((warn_unused_result)) int cursor_get_bytes(struct cursor *c, size_t len, const uint8_t **out);
/* An SSH string of at most `max` bytes; *out borrows from the cursor's data. */
__attribute__((warn_unused_result)) int cursor_get_string(struct cursor *c, size_t max, const uint8_t **out,
                                                          size_t *len_out);
/* An SSH string that must be text without embedded NUL bytes; it is not NUL-terminated in place. */
__attribute__((warn_unused_result)) int cursor_get_text(struct cursor *c, size_t max, const uint8_t **out,
                                                        size_t *len_out);
/* An SSH string that must equal `expected` exactly. */
__attribute__((warn_unused_result)) int cursor_expect_cstring(struct cursor *c, const char *expected);
/* Fails with "trailing bytes" unless everything was consumed. */
__attribute__((warn_unused_result)) int cursor_expect_end(const struct cursor *c);

/* Does the text (len bytes, not NUL-terminated) equal the C string s? */
bool bytes_equal_cstring(const uint8_t *text, size_t len, const char *s);

#endif
