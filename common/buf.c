#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/error.h"

struct buf buf_make(size_t limit)
{
	struct buf b = {NULL, 0, 0, limit};
	return b;
}

/* Make room for `extra` more bytes plus the terminating NUL. */
static int buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *grown;

	if (extra > b->limit || b->len > b->limit - extra)
		return err_set(CER_ERR_FORMAT, "too large (more than %zu bytes)", b->limit);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/* Not realloc(): the old bytes are wiped before they are freed, so a buffer that held key
	 * material leaves no copy behind when it grows (buf_wipe_free() wipes the last one). */
	grown = malloc(cap);
	if (grown == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if (b->data != NULL) {
		memcpy(grown, b->data, b->len + 1);
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	b->data = grown;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	int r;

	if ((r = buf_reserve(b, len)) != 0)
		return r;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err_set(CER_ERR_INTERNAL, "formatting failed");
	if ((r = buf_reserve(b, (size_t)n)) != 0)
		return r;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return buf_append(b, be, sizeof(be));
}

int buf_put_string(struct buf *b, const void *data, size_t len)
{
	int r;

	if (len > UINT32_MAX)
		return err_set(CER_ERR_FORMAT, "string too long for the wire format");
	if ((r = buf_put_u32(b, (uint32_t)len)) != 0)
		return r;
	return buf_append(b, data, len);
}

int buf_put_cstring(struct buf *b, const char *s)
{
	return buf_put_string(b, s, strlen(s));
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_wipe_free(struct buf *b)
{
	if (b->data != NULL)
		sodium_memzero(b->data, b->cap);
	buf_free(b);
}

uint8_t *buf_steal(struct buf *b, size_t *len_out)
{
	uint8_t *data = b->data;

	if (len_out != NULL)
		*len_out = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return data;
}

struct cursor cursor_make(const void *data, size_t len)
{
	struct cursor c = {data, len};
	return c;
}

int cursor_get_u8(struct cursor *c, uint8_t *out)
{
	*out = 0;
	if (c->left < 1)
		return err_set(CER_ERR_FORMAT, "truncated (expected a byte)");
	*out = c->p[0];
	c->p++;
	c->left--;
	return 0;
}

int cursor_get_u32(struct cursor *c, uint32_t *out)
{
	*out = 0;
	if (c->left < 4)
		return err_set(CER_ERR_FORMAT, "truncated (expected a 32-bit length or number)");
	*out = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | (uint32_t)c->p[3];
	c->p += 4;
	c->left -= 4;
	return 0;
}

int cursor_get_bytes(struct cursor *c, size_t len, const uint8_t **out)
{
	*out = NULL;
	if (c->left < len)
		return err_set(CER_ERR_FORMAT, "truncated (expected %zu more bytes, %zu left)", len, c->left);
	*out = c->p;
	c->p += len;
	c->left -= len;
	return 0;
}

int cursor_get_string(struct cursor *c, size_t max, const uint8_t **out, size_t *len_out)
{
	struct cursor saved = *c;
	uint32_t len;
	int r;

	*out = NULL;
	*len_out = 0;
	if ((r = cursor_get_u32(c, &len)) != 0)
		return r;
	if (len > max) {
		*c = saved;
		return err_set(CER_ERR_FORMAT, "string of %u bytes exceeds the maximum of %zu", len, max);
	}
	if ((r = cursor_get_bytes(c, len, out)) != 0) {
		*c = saved;
		return r;
	}
	*len_out = len;
	return 0;
}

int cursor_get_text(struct cursor *c, size_t max, const uint8_t **out, size_t *len_out)
{
	struct cursor saved = *c;
	int r;

	if ((r = cursor_get_string(c, max, out, len_out)) != 0)
		return r;
	if (memchr(*out, '\0', *len_out) != NULL) {
		*c = saved;
		return err_set(CER_ERR_FORMAT, "embedded NUL byte in a text field");
	}
	return 0;
}

int cursor_expect_cstring(struct cursor *c, const char *expected)
{
	struct cursor saved = *c;
	const uint8_t *s = NULL;
	size_t len = 0;
	int r;

	if ((r = cursor_get_string(c, 4096, &s, &len)) != 0)
		return r;
	if (!bytes_equal_cstring(s, len, expected)) {
		*c = saved;
		return err_set(CER_ERR_FORMAT, "expected \"%s\"", expected);
	}
	return 0;
}

int cursor_expect_end(const struct cursor *c)
{
	if (c->left != 0)
		return err_set(CER_ERR_FORMAT, "%zu trailing bytes", c->left);
	return 0;
}

bool bytes_equal_cstring(const uint8_t *text, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(text, s, len) == 0;
}
