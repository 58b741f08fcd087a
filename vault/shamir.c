#include "vault/shamir.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/error.h"
#include "common/hash.h"

_Static_assert(SHAMIR_SCALAR_BYTES == crypto_core_ristretto255_SCALARBYTES, "scalar size");
_Static_assert(SHAMIR_POINT_BYTES == crypto_core_ristretto255_BYTES, "point size");
_Static_assert(SHAMIR_VAULT_ID_BYTES == SHA256_DIGEST_BYTES, "vault id size");
_Static_assert(SHAMIR_MAX_SHARES < 256, "an index fits the low byte of a scalar");

bool shamir_scalar_is_canonical(const uint8_t s[SHAMIR_SCALAR_BYTES])
{
	/* Reducing the zero-padded value mod L changes it exactly when it is L or more. The copies
	 * hold a secret: they are wiped. */
	uint8_t wide[crypto_core_ristretto255_NONREDUCEDSCALARBYTES] = {0};
	uint8_t reduced[SHAMIR_SCALAR_BYTES];
	bool canonical;

	memcpy(wide, s, SHAMIR_SCALAR_BYTES);
	crypto_core_ristretto255_scalar_reduce(reduced, wide);
	canonical = sodium_memcmp(reduced, s, SHAMIR_SCALAR_BYTES) == 0;
	sodium_memzero(wide, sizeof(wide));
	sodium_memzero(reduced, sizeof(reduced));
	return canonical;
}

static int check_secret_scalar(const uint8_t s[SHAMIR_SCALAR_BYTES], const char *what)
{
	if (!shamir_scalar_is_canonical(s))
		return err_set(CER_ERR_FORMAT, "%s is not a canonical scalar (not below the group order)", what);
	if (sodium_is_zero(s, SHAMIR_SCALAR_BYTES))
		return err_set(CER_ERR_FORMAT, "%s is zero", what);
	return 0;
}

static int check_split_shape(unsigned threshold, unsigned count)
{
	if (threshold < SHAMIR_MIN_THRESHOLD)
		return err_set(CER_ERR_USAGE, "threshold %u is below the minimum of %d", threshold,
		               SHAMIR_MIN_THRESHOLD);
	if (count > SHAMIR_MAX_SHARES)
		return err_set(CER_ERR_USAGE, "%u shares requested, at most %d", count, SHAMIR_MAX_SHARES);
	if (threshold > count)
		return err_set(CER_ERR_USAGE, "threshold %u is above the number of shares %u", threshold, count);
	return 0;
}

/* The verification once the commitments are known to be well formed. */
static int verify_checked(const struct feldman_commitments *c, unsigned index, const uint8_t share[SHAMIR_SCALAR_BYTES])
{
	uint8_t lhs[SHAMIR_POINT_BYTES], rhs[SHAMIR_POINT_BYTES];
	int r;

	if (index < 1 || index > SHAMIR_MAX_SHARES)
		return err_set(CER_ERR_FORMAT, "share index %u is outside 1..%d", index, SHAMIR_MAX_SHARES);
	if (!shamir_scalar_is_canonical(share))
		return err_set(CER_ERR_FORMAT, "share %u is not a canonical scalar", index);
	/* A zero share has no point (base() refuses it); no split hands one out. */
	if (crypto_scalarmult_ristretto255_base(lhs, share) != 0)
		return err_set(CER_ERR_VERIFY, "share %u does not match the vault's commitments", index);
	if ((r = feldman_expected_point(c, index, rhs)) != 0)
		return r;
	if (sodium_memcmp(lhs, rhs, SHAMIR_POINT_BYTES) != 0)
		return err_set(CER_ERR_VERIFY, "share %u does not match the vault's commitments", index);
	return 0;
}

int shamir_verify_share(const struct feldman_commitments *c, unsigned index, const uint8_t share[SHAMIR_SCALAR_BYTES])
{
	int r;

	if ((r = feldman_commitments_check(c)) != 0)
		return r;
	return verify_checked(c, index, share);
}

/* The split itself. `coef` holds a_0 .. a_{threshold-1} (sodium_malloc'd, checked by the caller). */
static int split_polynomial(const uint8_t *coef, unsigned threshold, unsigned count, uint8_t *shares,
                            struct feldman_commitments *out)
{
	struct feldman_commitments c;
	uint8_t x[SHAMIR_SCALAR_BYTES];
	uint8_t *work = NULL, *tmp;
	unsigned i, j;
	int r = 0;

	memset(&c, 0, sizeof(c));
	c.threshold = threshold;
	for (j = 0; j < threshold; j++)
		if (crypto_scalarmult_ristretto255_base(c.c[j], coef + (size_t)j * SHAMIR_SCALAR_BYTES) != 0)
			return err_set(CER_ERR_INTERNAL, "coefficient %u has no commitment", j);

	/* count shares, then one scalar of scratch. */
	work = sodium_malloc(((size_t)count + 1) * SHAMIR_SCALAR_BYTES);
	if (work == NULL)
		return err_set(CER_ERR_NOMEM, "out of secure memory");
	tmp = work + (size_t)count * SHAMIR_SCALAR_BYTES;
	for (i = 1; i <= count; i++) {
		uint8_t *acc = work + (size_t)(i - 1) * SHAMIR_SCALAR_BYTES;

		feldman_scalar_from_index(i, x);
		memcpy(acc, coef + (size_t)(threshold - 1) * SHAMIR_SCALAR_BYTES, SHAMIR_SCALAR_BYTES);
		for (j = threshold - 1; j-- > 0;) {
			crypto_core_ristretto255_scalar_mul(tmp, acc, x);
			crypto_core_ristretto255_scalar_add(acc, tmp, coef + (size_t)j * SHAMIR_SCALAR_BYTES);
		}
		if (sodium_is_zero(acc, SHAMIR_SCALAR_BYTES)) {
			/* Probability about 2^-252 per share; a zero share could not be verified. */
			r = err_set(CER_ERR_INTERNAL, "share %u came out zero: split again", i);
			goto out;
		}
		/* A self-test on every share before it leaves: a fault here would lose the secret. */
		if ((r = verify_checked(&c, i, acc)) != 0) {
			err_context(r, "split self-check");
			r = CER_ERR_INTERNAL;
			goto out;
		}
	}
	memcpy(shares, work, (size_t)count * SHAMIR_SCALAR_BYTES);
	*out = c;
out:
	sodium_free(work);
	return r;
}

int shamir_split_with_coefficients(const uint8_t secret[SHAMIR_SCALAR_BYTES], const uint8_t *coefficients,
                                   unsigned threshold, unsigned count, uint8_t *shares, struct feldman_commitments *out)
{
	uint8_t *coef = NULL;
	unsigned j;
	int r;

	if ((r = check_split_shape(threshold, count)) != 0)
		return r;
	if ((r = check_secret_scalar(secret, "the secret")) != 0)
		return r;
	for (j = 1; j < threshold; j++) {
		char what[32];
		snprintf(what, sizeof(what), "coefficient a%u", j);
		if ((r = check_secret_scalar(coefficients + (size_t)(j - 1) * SHAMIR_SCALAR_BYTES, what)) != 0)
			return r;
	}
	coef = sodium_malloc((size_t)threshold * SHAMIR_SCALAR_BYTES);
	if (coef == NULL)
		return err_set(CER_ERR_NOMEM, "out of secure memory");
	memcpy(coef, secret, SHAMIR_SCALAR_BYTES);
	memcpy(coef + SHAMIR_SCALAR_BYTES, coefficients, (size_t)(threshold - 1) * SHAMIR_SCALAR_BYTES);
	r = split_polynomial(coef, threshold, count, shares, out);
	sodium_free(coef);
	return r;
}

int shamir_split(const uint8_t secret[SHAMIR_SCALAR_BYTES], unsigned threshold, unsigned count, uint8_t *shares,
                 struct feldman_commitments *out)
{
	uint8_t *coef = NULL;
	unsigned j;
	int r;

	if ((r = check_split_shape(threshold, count)) != 0)
		return r;
	if ((r = check_secret_scalar(secret, "the secret")) != 0)
		return r;
	coef = sodium_malloc((size_t)threshold * SHAMIR_SCALAR_BYTES);
	if (coef == NULL)
		return err_set(CER_ERR_NOMEM, "out of secure memory");
	memcpy(coef, secret, SHAMIR_SCALAR_BYTES);
	for (j = 1; j < threshold; j++) {
		uint8_t *a = coef + (size_t)j * SHAMIR_SCALAR_BYTES;
		/* libsodium already redraws zero; the loop states the requirement here too. */
		do
			crypto_core_ristretto255_scalar_random(a);
		while (sodium_is_zero(a, SHAMIR_SCALAR_BYTES));
	}
	r = split_polynomial(coef, threshold, count, shares, out);
	sodium_free(coef);
	return r;
}

int shamir_combine(const unsigned *indexes, const uint8_t *shares, unsigned count,
                   uint8_t secret_out[SHAMIR_SCALAR_BYTES])
{
	uint8_t xi[SHAMIR_SCALAR_BYTES], xj[SHAMIR_SCALAR_BYTES], diff[SHAMIR_SCALAR_BYTES];
	uint8_t num[SHAMIR_SCALAR_BYTES], den[SHAMIR_SCALAR_BYTES], lambda[SHAMIR_SCALAR_BYTES];
	uint8_t *work = NULL, *acc, *term;
	unsigned i, j;
	int r = 0;

	if (count < SHAMIR_MIN_THRESHOLD || count > SHAMIR_MAX_SHARES)
		return err_set(CER_ERR_USAGE, "%u shares given, combining needs %d to %d", count, SHAMIR_MIN_THRESHOLD,
		               SHAMIR_MAX_SHARES);
	for (i = 0; i < count; i++) {
		if (indexes[i] < 1 || indexes[i] > SHAMIR_MAX_SHARES)
			return err_set(CER_ERR_FORMAT, "share index %u is outside 1..%d", indexes[i],
			               SHAMIR_MAX_SHARES);
		for (j = 0; j < i; j++)
			if (indexes[j] == indexes[i])
				return err_set(CER_ERR_FORMAT, "share %u is given twice", indexes[i]);
		if (!shamir_scalar_is_canonical(shares + (size_t)i * SHAMIR_SCALAR_BYTES))
			return err_set(CER_ERR_FORMAT, "share %u is not a canonical scalar", indexes[i]);
		if (sodium_is_zero(shares + (size_t)i * SHAMIR_SCALAR_BYTES, SHAMIR_SCALAR_BYTES))
			return err_set(CER_ERR_FORMAT, "share %u is zero", indexes[i]);
	}

	work = sodium_malloc(2 * SHAMIR_SCALAR_BYTES);
	if (work == NULL)
		return err_set(CER_ERR_NOMEM, "out of secure memory");
	acc = work;
	term = work + SHAMIR_SCALAR_BYTES;
	memset(acc, 0, SHAMIR_SCALAR_BYTES);
	for (i = 0; i < count; i++) {
		/* lambda_i = prod_{j != i} x_j / (x_j - x_i): public, from the indexes alone. */
		feldman_scalar_from_index(1, num);
		feldman_scalar_from_index(1, den);
		feldman_scalar_from_index(indexes[i], xi);
		for (j = 0; j < count; j++) {
			if (j == i)
				continue;
			feldman_scalar_from_index(indexes[j], xj);
			crypto_core_ristretto255_scalar_mul(num, num, xj);
			crypto_core_ristretto255_scalar_sub(diff, xj, xi);
			crypto_core_ristretto255_scalar_mul(den, den, diff);
		}
		if (crypto_core_ristretto255_scalar_invert(lambda, den) != 0) {
			r = err_set(CER_ERR_INTERNAL, "Lagrange denominator is zero");
			goto out;
		}
		crypto_core_ristretto255_scalar_mul(lambda, lambda, num);
		crypto_core_ristretto255_scalar_mul(term, lambda, shares + (size_t)i * SHAMIR_SCALAR_BYTES);
		crypto_core_ristretto255_scalar_add(acc, acc, term);
	}
	if (sodium_is_zero(acc, SHAMIR_SCALAR_BYTES)) {
		r = err_set(CER_ERR_VERIFY, "the shares combine to zero, which is no vault's secret");
		goto out;
	}
	memcpy(secret_out, acc, SHAMIR_SCALAR_BYTES);
out:
	sodium_free(work);
	return r;
}

int shamir_combine_verified(const struct feldman_commitments *c, const unsigned *indexes, const uint8_t *shares,
                            unsigned count, uint8_t secret_out[SHAMIR_SCALAR_BYTES])
{
	uint8_t *secret = NULL;
	uint8_t point[SHAMIR_POINT_BYTES];
	unsigned i;
	int r;

	if ((r = feldman_commitments_check(c)) != 0)
		return r;
	if (count < c->threshold)
		return err_set(CER_ERR_USAGE, "%u shares given, the vault needs %u", count, c->threshold);
	if (count > SHAMIR_MAX_SHARES)
		return err_set(CER_ERR_USAGE, "%u shares given, at most %d", count, SHAMIR_MAX_SHARES);
	for (i = 0; i < count; i++)
		if ((r = verify_checked(c, indexes[i], shares + (size_t)i * SHAMIR_SCALAR_BYTES)) != 0)
			return r;
	secret = sodium_malloc(SHAMIR_SCALAR_BYTES);
	if (secret == NULL)
		return err_set(CER_ERR_NOMEM, "out of secure memory");
	if ((r = shamir_combine(indexes, shares, count, secret)) != 0)
		goto out;
	/* Verified shares cannot combine to anything else; checking costs one multiplication. */
	if (crypto_scalarmult_ristretto255_base(point, secret) != 0 ||
	    sodium_memcmp(point, c->c[0], SHAMIR_POINT_BYTES) != 0) {
		r = err_set(CER_ERR_VERIFY, "the combined secret does not match the vault's public key C0");
		goto out;
	}
	memcpy(secret_out, secret, SHAMIR_SCALAR_BYTES);
out:
	sodium_free(secret);
	return r;
}

int shamir_share_public(const uint8_t share[SHAMIR_SCALAR_BYTES], uint8_t point_out[SHAMIR_POINT_BYTES])
{
	uint8_t point[SHAMIR_POINT_BYTES];
	int r;

	if ((r = check_secret_scalar(share, "the share")) != 0)
		return r;
	if (crypto_scalarmult_ristretto255_base(point, share) != 0)
		return err_set(CER_ERR_INTERNAL, "ristretto255 base multiplication failed");
	memcpy(point_out, point, SHAMIR_POINT_BYTES);
	return 0;
}
