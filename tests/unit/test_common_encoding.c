/* common/encoding and common/hash: exact hex and base64, nothing more, nothing less. */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/init.h"

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
}

TestSuite(hex, .init = setup);
TestSuite(base64, .init = setup);
TestSuite(hash, .init = setup);

static void assert_error(int r, int code, const char *fragment)
{
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert(strstr(err_message(), fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

/* ---- hex ---- */

Test(hex, encode_lower_case)
{
	static const uint8_t bin[] = {0x00, 0x01, 0xab, 0xCD, 0xff};
	char out[2 * sizeof(bin) + 1];

	memset(out, 'X', sizeof(out));
	hex_encode(bin, sizeof(bin), out);
	cr_assert_str_eq(out, "0001abcdff");
	hex_encode(bin, 0, out);
	cr_assert_str_eq(out, "");
}

Test(hex, decode_exact_either_case)
{
	uint8_t out[4] = {0};
	static const uint8_t expected[] = {0xde, 0xad, 0xBE, 0xef};

	cr_assert_eq(hex_decode_exact("deadBEEF", 8, out, 4), 0, "%s", err_message());
	cr_assert_arr_eq(out, expected, 4);
	cr_assert_eq(hex_decode_exact("", 0, out, 0), 0);
}

Test(hex, decode_round_trip)
{
	uint8_t bin[32], back[32];
	char text[65];

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 37 + 5);
	hex_encode(bin, sizeof(bin), text);
	cr_assert_eq(hex_decode_exact(text, 64, back, sizeof(back)), 0);
	cr_assert_arr_eq(bin, back, sizeof(bin));
}

Test(hex, refuses_wrong_length)
{
	uint8_t out[4];

	assert_error(hex_decode_exact("deadbee", 7, out, 4), CER_ERR_FORMAT, "expected 8 hex digits, got 7");
	assert_error(hex_decode_exact("deadbeef00", 10, out, 4), CER_ERR_FORMAT, "expected 8 hex digits, got 10");
	assert_error(hex_decode_exact("", 0, out, 4), CER_ERR_FORMAT, "got 0");
}

Test(hex, refuses_non_hex_characters)
{
	uint8_t out[4];

	assert_error(hex_decode_exact("deadbeeg", 8, out, 4), CER_ERR_FORMAT, "not a hex string");
	assert_error(hex_decode_exact("dead beef", 9, out, 4), CER_ERR_FORMAT, "expected 8 hex digits");
	assert_error(hex_decode_exact("dea beef", 8, out, 4), CER_ERR_FORMAT, "not a hex string");
	assert_error(hex_decode_exact("de:adbeef", 8, out, 4), CER_ERR_FORMAT, "not a hex string");
	assert_error(hex_decode_exact("0xdeadbe", 8, out, 4), CER_ERR_FORMAT, "not a hex string");
	/* An embedded NUL inside the stated length is garbage, not the end of the string. */
	assert_error(hex_decode_exact("dead\0eef", 8, out, 4), CER_ERR_FORMAT, "not a hex string");
}

/* ---- base64 ---- */

/* RFC 4648 section 10. */
static const struct {
	const char *bin;
	const char *b64;
} rfc4648[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
};

Test(base64, rfc4648_vectors_encode)
{
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		struct buf out = buf_make(64);
		cr_assert_eq(base64_append(&out, (const uint8_t *)rfc4648[i].bin, strlen(rfc4648[i].bin)), 0);
		cr_assert_eq(out.len, strlen(rfc4648[i].b64));
		if (out.len > 0)
			cr_assert_str_eq((const char *)out.data, rfc4648[i].b64);
		buf_free(&out);
	}
}

Test(base64, append_appends)
{
	struct buf out = buf_make(64);

	cr_assert_eq(buf_append_str(&out, "key "), 0);
	cr_assert_eq(base64_append(&out, (const uint8_t *)"foobar", 6), 0);
	cr_assert_str_eq((const char *)out.data, "key Zm9vYmFy");
	buf_free(&out);
}

Test(base64, append_respects_limit)
{
	struct buf out = buf_make(7);

	assert_error(base64_append(&out, (const uint8_t *)"foobar", 6), CER_ERR_FORMAT, "too large");
	cr_assert_eq(out.len, 0);
	buf_free(&out);
}

Test(base64, rfc4648_vectors_decode)
{
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		struct buf out = buf_make(64);
		cr_assert_eq(base64_decode(rfc4648[i].b64, strlen(rfc4648[i].b64), NULL, &out), 0, "%s: %s",
		             rfc4648[i].b64, err_message());
		cr_assert_eq(out.len, strlen(rfc4648[i].bin));
		cr_assert_arr_eq(out.data, rfc4648[i].bin, out.len);
		buf_free(&out);
	}
}

Test(base64, decode_resets_output)
{
	struct buf out = buf_make(64);

	cr_assert_eq(buf_append_str(&out, "old contents"), 0);
	cr_assert_eq(base64_decode("Zm9v", 4, NULL, &out), 0);
	cr_assert_eq(out.len, 3);
	cr_assert_str_eq((const char *)out.data, "foo");
	buf_free(&out);
}

Test(base64, decode_ignores_only_listed_characters)
{
	struct buf out = buf_make(64);

	cr_assert_eq(base64_decode("Zm9v\nYmFy\n", 10, "\n", &out), 0, "%s", err_message());
	cr_assert_str_eq((const char *)out.data, "foobar");
	assert_error(base64_decode("Zm9v\nYmFy", 9, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	assert_error(base64_decode("Zm9v YmFy", 9, "\n", &out), CER_ERR_FORMAT, "invalid base64");
	buf_free(&out);
}

Test(base64, refuses_trailing_garbage)
{
	struct buf out = buf_make(64);

	assert_error(base64_decode("Zm9vYmFy!", 9, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	assert_error(base64_decode("Zm8=Zm8=", 8, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	assert_error(base64_decode("Zm8=x", 5, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	assert_error(base64_decode("Zg===", 5, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	/* An embedded NUL inside the stated length is garbage too... */
	assert_error(base64_decode("Zm9v\0Zm9v", 9, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	/* ...also when characters are being skipped: libsodium's strchr() lookup would find the NUL in
	 * the terminator of the ignore list and skip it. */
	assert_error(base64_decode("Zm9v\0YmFy", 9, "\n", &out), CER_ERR_FORMAT, "invalid base64");
	assert_error(base64_decode("Zm9v\nYmFy\0", 10, " \t\r\n", &out), CER_ERR_FORMAT, "invalid base64");
	cr_assert_eq(out.len, 0, "a refused decode leaves the output empty");
	buf_free(&out);
}

Test(base64, refuses_missing_padding_and_bad_characters)
{
	struct buf out = buf_make(64);

	assert_error(base64_decode("Zg", 2, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	assert_error(base64_decode("Zm8", 3, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	assert_error(base64_decode("Zm-v", 4, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	assert_error(base64_decode("Zm_v", 4, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	assert_error(base64_decode("Z===", 4, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	buf_free(&out);
}

Test(base64, refuses_non_canonical_trailing_bits)
{
	/* "Zh==" decodes to "f" only if the unused low bits are ignored: a second spelling of the same
	 * bytes. libsodium refuses it, and so must we. */
	struct buf out = buf_make(64);

	assert_error(base64_decode("Zh==", 4, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	assert_error(base64_decode("Zm9=", 4, NULL, &out), CER_ERR_FORMAT, "invalid base64");
	buf_free(&out);
}

Test(base64, decode_respects_output_limit)
{
	struct buf out = buf_make(5);

	assert_error(base64_decode("Zm9vYmFy", 8, NULL, &out), CER_ERR_FORMAT, "too large");
	buf_free(&out);
}

Test(base64, round_trip_all_lengths)
{
	uint8_t bin[100];

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(255 - i * 7);
	for (size_t n = 0; n <= sizeof(bin); n++) {
		struct buf text = buf_make(1024), back = buf_make(1024);
		cr_assert_eq(base64_append(&text, bin, n), 0);
		cr_assert_eq(text.len, (n + 2) / 3 * 4);
		cr_assert_eq(base64_decode((const char *)text.data, text.len, NULL, &back), 0, "n=%zu", n);
		cr_assert_eq(back.len, n);
		if (n > 0)
			cr_assert_arr_eq(back.data, bin, n);
		buf_free(&text);
		buf_free(&back);
	}
}

/* ---- hash ---- */

Test(hash, sha256_known_answers)
{
	char hex[SHA256_HEX_CHARS + 1];

	sha256_hex("", 0, hex);
	cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(hash, sha512_known_answer)
{
	uint8_t d[SHA512_DIGEST_BYTES];
	char hex[2 * SHA512_DIGEST_BYTES + 1];

	sha512_digest("abc", 3, d);
	hex_encode(d, sizeof(d), hex);
	cr_assert_str_eq(hex, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	                      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}
