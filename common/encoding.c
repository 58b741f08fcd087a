#include "common/encoding.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/error.h"

void hex_encode(const uint8_t *bin, size_t len, char *out)
{
	sodium_bin2hex(out, len * 2 + 1, bin, len);
}

int hex_decode_exact(const char *hex, size_t hex_len, uint8_t *out, size_t len)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (hex_len != len * 2)
		return err_set(CER_ERR_FORMAT, "expected %zu hex digits, got %zu", len * 2, hex_len);
	if (sodium_hex2bin(out, len, hex, hex_len, NULL, &bin_len, &end) != 0 || bin_len != len || end != hex + hex_len)
		return err_set(CER_ERR_FORMAT, "not a hex string");
	return 0;
}

int base64_append(struct buf *out, const uint8_t *bin, size_t len)
{
	const int variant = sodium_base64_VARIANT_ORIGINAL;
	size_t enc_len = sodium_base64_encoded_len(len, variant);
	char *tmp;
	int r;

	tmp = malloc(enc_len);
	if (tmp == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	sodium_bin2base64(tmp, enc_len, bin, len, variant);
	r = buf_append(out, tmp, enc_len - 1);
	sodium_memzero(tmp, enc_len); /* it may have encoded a private key file */
	free(tmp);
	return r;
}

int base64_decode(const char *b64, size_t len, const char *ignore, struct buf *out)
{
	size_t max = len / 4 * 3 + 3, bin_len = 0;
	const char *end = NULL;
	uint8_t *tmp;
	int r;

	buf_reset(out);
	/* libsodium looks characters up in `ignore` with strchr(), which finds the terminator: a NUL byte
	 * would be skipped as if it were listed. No base64 text holds one. */
	if (len > 0 && memchr(b64, '\0', len) != NULL)
		return err_set(CER_ERR_FORMAT, "invalid base64 (NUL byte)");
	tmp = malloc(max + 1);
	if (tmp == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if (sodium_base642bin(tmp, max, b64, len, ignore, &bin_len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != b64 + len) {
		sodium_memzero(tmp, max + 1);
		free(tmp);
		return err_set(CER_ERR_FORMAT, "invalid base64");
	}
	r = buf_append(out, tmp, bin_len);
	/* The decoded bytes may be a private key: leave no copy behind. */
	sodium_memzero(tmp, max + 1);
	free(tmp);
	return r;
}
