#include "common/hash.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "common/encoding.h"

static void digest_or_abort(const EVP_MD *md, const void *data, size_t len, uint8_t *out)
{
	unsigned int out_len = 0;

	if (EVP_Digest(data, len, out, &out_len, md, NULL) != 1) {
		fputs("ceremony: OpenSSL digest failed; refusing to continue\n", stderr);
		abort();
	}
}

void sha256_digest(const void *data, size_t len, uint8_t out[SHA256_DIGEST_BYTES])
{
	digest_or_abort(EVP_sha256(), data, len, out);
}

void sha512_digest(const void *data, size_t len, uint8_t out[SHA512_DIGEST_BYTES])
{
	digest_or_abort(EVP_sha512(), data, len, out);
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_CHARS + 1])
{
	uint8_t d[SHA256_DIGEST_BYTES];

	sha256_digest(data, len, d);
	hex_encode(d, sizeof(d), out);
}
