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

void sha1_digest_parts(const void *head, size_t head_len, const void *body, size_t body_len,
                       uint8_t out[SHA1_DIGEST_BYTES])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int out_len = 0;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, head, head_len) != 1 || EVP_DigestUpdate(ctx, body, body_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &out_len) != 1) {
		fputs("ceremony: OpenSSL digest failed; refusing to continue\n", stderr);
		abort();
	}
	EVP_MD_CTX_free(ctx);
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_CHARS + 1])
{
	uint8_t d[SHA256_DIGEST_BYTES];

	sha256_digest(data, len, d);
	hex_encode(d, sizeof(d), out);
}
