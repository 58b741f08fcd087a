#include "common/hash.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "common/encoding.h"

/* The digests fetched from OpenSSL's providers once: with EVP_sha256() and its kin OpenSSL 3 looks
 * the implementation up again on every use, which costs more than hashing a small record. */
enum { MD_SHA1, MD_SHA256, MD_SHA512, MD_COUNT };
static EVP_MD *fetched[MD_COUNT];
static pthread_once_t fetched_once = PTHREAD_ONCE_INIT;

static void broken(void)
{
	fputs("ceremony: OpenSSL digest failed; refusing to continue\n", stderr);
	abort();
}

static void fetch_all(void)
{
	static const char *const names[MD_COUNT] = {[MD_SHA1] = "SHA1", [MD_SHA256] = "SHA256", [MD_SHA512] = "SHA512"};

	for (size_t i = 0; i < MD_COUNT; i++)
		if ((fetched[i] = EVP_MD_fetch(NULL, names[i], NULL)) == NULL)
			broken();
}

static const EVP_MD *md(int which)
{
	if (pthread_once(&fetched_once, fetch_all) != 0)
		broken();
	return fetched[which];
}

static void digest_or_abort(const EVP_MD *m, const void *data, size_t len, uint8_t *out)
{
	unsigned int out_len = 0;

	if (EVP_Digest(data, len, out, &out_len, m, NULL) != 1)
		broken();
}

void sha256_digest(const void *data, size_t len, uint8_t out[SHA256_DIGEST_BYTES])
{
	digest_or_abort(md(MD_SHA256), data, len, out);
}

void sha512_digest(const void *data, size_t len, uint8_t out[SHA512_DIGEST_BYTES])
{
	digest_or_abort(md(MD_SHA512), data, len, out);
}

void sha1_digest_parts(const void *head, size_t head_len, const void *body, size_t body_len,
                       uint8_t out[SHA1_DIGEST_BYTES])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int out_len = 0;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, md(MD_SHA1), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, head, head_len) != 1 || EVP_DigestUpdate(ctx, body, body_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &out_len) != 1)
		broken();
	EVP_MD_CTX_free(ctx);
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_CHARS + 1])
{
	uint8_t d[SHA256_DIGEST_BYTES];

	sha256_digest(data, len, d);
	hex_encode(d, sizeof(d), out);
}
