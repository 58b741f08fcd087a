/* common/buf: the growing buffer's ceiling and the bounded cursor every untrusted byte goes through. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/buf.h"
#include "common/error.h"

static void assert_error(int r, int code, const char *fragment)
{
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert(strstr(err_message(), fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

/* ---- struct buf ---- */

Test(buf, append_keeps_nul_terminated)
{
	struct buf b = buf_make(64);

	cr_assert_null(b.data);
	cr_assert_eq(buf_append(&b, "abc", 3), 0);
	cr_assert_eq(b.len, 3);
	cr_assert_str_eq((const char *)b.data, "abc");
	cr_assert_eq(buf_append_str(&b, "de"), 0);
	cr_assert_eq(buf_printf(&b, "-%d-%s", 42, "x"), 0);
	cr_assert_eq(b.len, strlen("abcde-42-x"));
	cr_assert_str_eq((const char *)b.data, "abcde-42-x");
	buf_free(&b);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.limit, 64, "buf_free keeps the limit");
}

Test(buf, empty_append_allocates_terminator)
{
	struct buf b = buf_make(8);

	cr_assert_eq(buf_append(&b, NULL, 0), 0);
	cr_assert_not_null(b.data);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.data[0], '\0');
	buf_free(&b);
}

Test(buf, limit_is_exact)
{
	struct buf b = buf_make(10);

	cr_assert_eq(buf_append(&b, "0123456789", 10), 0, "exactly the limit fits");
	cr_assert_eq(b.len, 10);
	err_clear();
	assert_error(buf_append(&b, "x", 1), CER_ERR_FORMAT, "too large");
	cr_assert_eq(b.len, 10, "a refused append leaves the contents");
	cr_assert_str_eq((const char *)b.data, "0123456789");
	buf_free(&b);
}

Test(buf, limit_refuses_one_big_append)
{
	struct buf b = buf_make(16);
	char big[17];

	memset(big, 'a', sizeof(big));
	assert_error(buf_append(&b, big, sizeof(big)), CER_ERR_FORMAT, "more than 16 bytes");
	cr_assert_eq(b.len, 0);
	/* A length chosen to wrap size_t arithmetic must not slip past the limit. */
	assert_error(buf_append(&b, big, SIZE_MAX), CER_ERR_FORMAT, "too large");
	cr_assert_eq(buf_append(&b, "ab", 2), 0);
	assert_error(buf_append(&b, big, SIZE_MAX - 1), CER_ERR_FORMAT, "too large");
	cr_assert_eq(b.len, 2);
	buf_free(&b);
}

Test(buf, printf_respects_limit)
{
	struct buf b = buf_make(8);

	cr_assert_eq(buf_printf(&b, "%s", "1234"), 0);
	assert_error(buf_printf(&b, "%s", "56789"), CER_ERR_FORMAT, "too large");
	cr_assert_eq(b.len, 4);
	cr_assert_str_eq((const char *)b.data, "1234");
	cr_assert_eq(buf_printf(&b, "%d", 5678), 0);
	cr_assert_str_eq((const char *)b.data, "12345678");
	buf_free(&b);
}

Test(buf, wire_integers_and_strings)
{
	static const uint8_t expected[] = {0x01, 0x02, 0x03, 0x04, 0, 0, 0, 2,   'h', 'i', 0,
	                                   0,    0,    0,    0,    0, 0, 3, 'a', 0,   'b'};
	struct buf b = buf_make(64);

	cr_assert_eq(buf_put_u32(&b, 0x01020304u), 0);
	cr_assert_eq(buf_put_cstring(&b, "hi"), 0);
	cr_assert_eq(buf_put_string(&b, "", 0), 0);
	cr_assert_eq(buf_put_string(&b, "a\0b", 3), 0);
	cr_assert_eq(b.len, sizeof(expected));
	cr_assert_arr_eq(b.data, expected, sizeof(expected));
	buf_free(&b);
}

Test(buf, reset_steal_wipe)
{
	struct buf b = buf_make(32);
	uint8_t *stolen;
	size_t len = 0;

	cr_assert_eq(buf_append_str(&b, "secret"), 0);
	buf_reset(&b);
	cr_assert_eq(b.len, 0);
	cr_assert_not_null(b.data, "reset keeps the allocation");
	cr_assert_eq(b.data[0], '\0');
	cr_assert_eq(buf_append_str(&b, "kept"), 0);
	stolen = buf_steal(&b, &len);
	cr_assert_eq(len, 4);
	cr_assert_str_eq((const char *)stolen, "kept");
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	free(stolen);
	cr_assert_eq(buf_append_str(&b, "again"), 0, "a stolen-from buffer is usable again");
	buf_wipe_free(&b);
	cr_assert_null(b.data);
	buf_wipe_free(&b); /* safe on an empty buffer */
	buf_free(&b);
}

/* ---- struct cursor ---- */

Test(cursor, reads_in_order_and_ends)
{
	static const uint8_t data[] = {7, 0, 0, 1, 0, 0, 0, 0, 3, 'a', 'b', 'c', 'x', 'y'};
	struct cursor c = cursor_make(data, sizeof(data));
	const uint8_t *s = NULL;
	size_t len = 0;
	uint8_t u8 = 0;
	uint32_t u32 = 0;

	cr_assert_eq(cursor_get_u8(&c, &u8), 0);
	cr_assert_eq(u8, 7);
	cr_assert_eq(cursor_get_u32(&c, &u32), 0);
	cr_assert_eq(u32, 0x00000100u);
	cr_assert_eq(cursor_get_text(&c, 3, &s, &len), 0);
	cr_assert_eq(len, 3);
	cr_assert_arr_eq(s, "abc", 3);
	cr_assert_eq(s, data + 9, "strings borrow from the data");
	assert_error(cursor_expect_end(&c), CER_ERR_FORMAT, "2 trailing bytes");
	cr_assert_eq(cursor_get_bytes(&c, 2, &s), 0);
	cr_assert_arr_eq(s, "xy", 2);
	cr_assert_eq(cursor_expect_end(&c), 0);
	assert_error(cursor_get_u8(&c, &u8), CER_ERR_FORMAT, "truncated");
}

Test(cursor, truncated_u32_leaves_cursor)
{
	static const uint8_t data[] = {0, 0, 1};
	struct cursor c = cursor_make(data, sizeof(data));
	uint32_t v = 99;

	assert_error(cursor_get_u32(&c, &v), CER_ERR_FORMAT, "truncated");
	cr_assert_eq(c.left, 3);
	cr_assert_eq(c.p, data);
}

Test(cursor, truncated_bytes)
{
	static const uint8_t data[] = {1, 2, 3};
	struct cursor c = cursor_make(data, sizeof(data));
	const uint8_t *p = data;

	assert_error(cursor_get_bytes(&c, 4, &p), CER_ERR_FORMAT, "expected 4 more bytes, 3 left");
	cr_assert_null(p);
	cr_assert_eq(c.left, 3);
	assert_error(cursor_get_bytes(&c, SIZE_MAX, &p), CER_ERR_FORMAT, "truncated");
	cr_assert_eq(c.left, 3);
}

Test(cursor, truncated_string_body_leaves_cursor)
{
	/* The length says 5, only 2 bytes follow: the failed read must not consume the length. */
	static const uint8_t data[] = {0, 0, 0, 5, 'a', 'b'};
	struct cursor c = cursor_make(data, sizeof(data));
	const uint8_t *s = NULL;
	size_t len = 7;

	assert_error(cursor_get_string(&c, 100, &s, &len), CER_ERR_FORMAT, "truncated");
	cr_assert_eq(c.left, sizeof(data));
	cr_assert_eq(c.p, data);
	cr_assert_null(s);
	cr_assert_eq(len, 0);
}

Test(cursor, string_length_over_max)
{
	static const uint8_t data[] = {0, 0, 0, 4, 'a', 'b', 'c', 'd'};
	struct cursor c = cursor_make(data, sizeof(data));
	const uint8_t *s = NULL;
	size_t len = 0;

	assert_error(cursor_get_string(&c, 3, &s, &len), CER_ERR_FORMAT, "exceeds the maximum of 3");
	cr_assert_eq(c.left, sizeof(data));
	cr_assert_eq(cursor_get_string(&c, 4, &s, &len), 0, "exactly the maximum is accepted");
	cr_assert_eq(len, 4);
	cr_assert_eq(cursor_expect_end(&c), 0);
}

Test(cursor, huge_length_field)
{
	/* 0xffffffff: a length an attacker writes to make a reader allocate or read past the end. */
	static const uint8_t data[] = {0xff, 0xff, 0xff, 0xff, 'a'};
	struct cursor c = cursor_make(data, sizeof(data));
	const uint8_t *s = NULL;
	size_t len = 0;

	assert_error(cursor_get_string(&c, SIZE_MAX, &s, &len), CER_ERR_FORMAT, "truncated");
	cr_assert_eq(c.left, sizeof(data));
	assert_error(cursor_get_string(&c, 1024, &s, &len), CER_ERR_FORMAT, "4294967295 bytes exceeds");
}

Test(cursor, text_refuses_embedded_nul)
{
	static const uint8_t data[] = {0, 0, 0, 3, 'a', 0, 'b'};
	struct cursor c = cursor_make(data, sizeof(data));
	const uint8_t *s = NULL;
	size_t len = 0;

	assert_error(cursor_get_text(&c, 16, &s, &len), CER_ERR_FORMAT, "embedded NUL");
	cr_assert_eq(c.left, sizeof(data), "a refused text field is not consumed");
	cr_assert_eq(cursor_get_string(&c, 16, &s, &len), 0, "the same bytes are a fine binary string");
	cr_assert_eq(len, 3);
}

Test(cursor, text_refuses_trailing_nul)
{
	static const uint8_t data[] = {0, 0, 0, 3, 'a', 'b', 0};
	struct cursor c = cursor_make(data, sizeof(data));
	const uint8_t *s = NULL;
	size_t len = 0;

	assert_error(cursor_get_text(&c, 16, &s, &len), CER_ERR_FORMAT, "embedded NUL");
}

Test(cursor, text_empty_is_fine)
{
	static const uint8_t data[] = {0, 0, 0, 0};
	struct cursor c = cursor_make(data, sizeof(data));
	const uint8_t *s = NULL;
	size_t len = 1;

	cr_assert_eq(cursor_get_text(&c, 0, &s, &len), 0);
	cr_assert_eq(len, 0);
	cr_assert_eq(cursor_expect_end(&c), 0);
}

Test(cursor, expect_cstring)
{
	static const uint8_t data[] = {0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 2, 'a', 'b'};
	struct cursor c = cursor_make(data, sizeof(data));

	assert_error(cursor_expect_cstring(&c, "abd"), CER_ERR_FORMAT, "expected \"abd\"");
	cr_assert_eq(c.left, sizeof(data), "a mismatch is not consumed");
	assert_error(cursor_expect_cstring(&c, "ab"), CER_ERR_FORMAT, "expected \"ab\"");
	cr_assert_eq(cursor_expect_cstring(&c, "abc"), 0);
	assert_error(cursor_expect_cstring(&c, "abc"), CER_ERR_FORMAT, "expected \"abc\"");
	cr_assert_eq(cursor_expect_cstring(&c, "ab"), 0);
	cr_assert_eq(cursor_expect_end(&c), 0);
}

Test(cursor, bytes_equal_cstring)
{
	cr_assert(bytes_equal_cstring((const uint8_t *)"abc", 3, "abc"));
	cr_assert_not(bytes_equal_cstring((const uint8_t *)"abc", 2, "abc"));
	cr_assert_not(bytes_equal_cstring((const uint8_t *)"abcd", 4, "abc"));
	cr_assert_not(bytes_equal_cstring((const uint8_t *)"ab\0", 3, "ab"));
	cr_assert(bytes_equal_cstring((const uint8_t *)"", 0, ""));
}

Test(cursor, empty_input)
{
	struct cursor c = cursor_make(NULL, 0);
	uint32_t v = 0;

	cr_assert_eq(cursor_expect_end(&c), 0);
	assert_error(cursor_get_u32(&c, &v), CER_ERR_FORMAT, "truncated");
}

/* ---- error.h, which every message above relies on ---- */

Test(error, set_context_clear)
{
	err_clear();
	cr_assert_str_eq(err_message(), "");
	cr_assert_eq(err_set(CER_ERR_IO, "cannot read %s", "x"), CER_ERR_IO);
	cr_assert_str_eq(err_message(), "cannot read x");
	cr_assert_eq(err_context(CER_ERR_IO, "file %d", 3), CER_ERR_IO);
	cr_assert_str_eq(err_message(), "file 3: cannot read x");
	err_clear();
	cr_assert_eq(err_context(CER_ERR_FORMAT, "only context"), CER_ERR_FORMAT);
	cr_assert_str_eq(err_message(), "only context");
	cr_assert_str_eq(err_code_name(CER_ERR_VERIFY), "verification failed");
	cr_assert_str_eq(err_code_name(12345), "internal error");
}

Test(error, long_messages_are_truncated)
{
	char longer[2 * ERR_MESSAGE_MAX];

	memset(longer, 'z', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	err_set(CER_ERR_FORMAT, "%s", longer);
	cr_assert_eq(strlen(err_message()), ERR_MESSAGE_MAX - 1);
	err_context(CER_ERR_FORMAT, "%s", longer);
	cr_assert_eq(strlen(err_message()), ERR_MESSAGE_MAX - 1);
	err_set(CER_ERR_FORMAT, "short");
	err_context(CER_ERR_FORMAT, "ctx");
	cr_assert_str_eq(err_message(), "ctx: short");
}

Test(error, control_characters_are_scrubbed)
{
	/* Messages quote untrusted bytes and are printed as one line: no line breaks, no escapes. */
	const char evil[] = "ns\"\nceremony: verification OK\x1b[2K\r\t\x7f";

	err_set(CER_ERR_VERIFY, "wrong namespace \"%s\"", evil);
	cr_assert_str_eq(err_message(), "wrong namespace \"ns\"?ceremony: verification OK?[2K???\"");
	err_context(CER_ERR_VERIFY, "record %s", "a\nb");
	cr_assert_str_eq(err_message(), "record a?b: wrong namespace \"ns\"?ceremony: verification OK?[2K???\"");
	/* Bytes of UTF-8 text are kept. */
	err_set(CER_ERR_FORMAT, "cl\xc3\xa9");
	cr_assert_str_eq(err_message(), "cl\xc3\xa9");
}
