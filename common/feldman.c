#include "common/feldman.h"

#include <string.h>

#include <sodium.h>

#include "common/error.h"
#include "common/hash.h"

_Static_assert(FELDMAN_SCALAR_BYTES == crypto_core_ristretto255_SCALARBYTES, "scalar size");
_Static_assert(FELDMAN_POINT_BYTES == crypto_core_ristretto255_BYTES, "point size");
_Static_assert(FELDMAN_VAULT_ID_BYTES == SHA256_DIGEST_BYTES, "vault id size");
_Static_assert(FELDMAN_MAX_SHARES < 256, "an index fits the low byte of a scalar");

void feldman_scalar_from_index(unsigned index, uint8_t out[FELDMAN_SCALAR_BYTES])
{
	memset(out, 0, FELDMAN_SCALAR_BYTES);
	out[0] = (uint8_t)index;
}

int feldman_commitments_check(const struct feldman_commitments *c)
{
	unsigned j;

	if (c->threshold < FELDMAN_MIN_THRESHOLD || c->threshold > FELDMAN_MAX_SHARES)
		return err_set(CER_ERR_FORMAT, "commitments: threshold %u is outside %d..%d", c->threshold,
		               FELDMAN_MIN_THRESHOLD, FELDMAN_MAX_SHARES);
	for (j = 0; j < c->threshold; j++) {
		/* The identity would mean a zero coefficient: a zero secret or a lower threshold. */
		if (sodium_is_zero(c->c[j], FELDMAN_POINT_BYTES))
			return err_set(CER_ERR_FORMAT, "commitments: C%u is the identity", j);
		if (crypto_core_ristretto255_is_valid_point(c->c[j]) != 1)
			return err_set(CER_ERR_FORMAT, "commitments: C%u is not a valid ristretto255 point", j);
	}
	for (; j < FELDMAN_MAX_SHARES; j++)
		if (!sodium_is_zero(c->c[j], FELDMAN_POINT_BYTES))
			return err_set(CER_ERR_FORMAT, "commitments: C%u is set beyond the threshold %u", j,
			               c->threshold);
	return 0;
}

/* sum_j C_j * x^j by Horner's rule over the points: public values only. */
int feldman_expected_point(const struct feldman_commitments *c, unsigned index, uint8_t out[FELDMAN_POINT_BYTES])
{
	uint8_t x[FELDMAN_SCALAR_BYTES], acc[FELDMAN_POINT_BYTES];
	unsigned j;

	feldman_scalar_from_index(index, x);
	memcpy(acc, c->c[c->threshold - 1], FELDMAN_POINT_BYTES);
	for (j = c->threshold - 1; j-- > 0;) {
		/* A -1 means the product is the identity (encoded as zeros), which add() accepts. */
		if (crypto_scalarmult_ristretto255(acc, x, acc) != 0)
			memset(acc, 0, sizeof(acc));
		if (crypto_core_ristretto255_add(acc, acc, c->c[j]) != 0)
			return err_set(CER_ERR_INTERNAL, "ristretto255 point addition failed");
	}
	memcpy(out, acc, FELDMAN_POINT_BYTES);
	return 0;
}

int feldman_commitments_id(const struct feldman_commitments *c, uint8_t id_out[FELDMAN_VAULT_ID_BYTES])
{
	const size_t context_len = sizeof(FELDMAN_VAULT_ID_CONTEXT) - 1;
	uint8_t msg[4 + sizeof(FELDMAN_VAULT_ID_CONTEXT) - 1 + 4 + FELDMAN_MAX_SHARES * FELDMAN_POINT_BYTES];
	size_t len = 0;
	int r;

	if ((r = feldman_commitments_check(c)) != 0)
		return r;
	msg[len++] = 0;
	msg[len++] = 0;
	msg[len++] = 0;
	msg[len++] = (uint8_t)context_len;
	memcpy(msg + len, FELDMAN_VAULT_ID_CONTEXT, context_len);
	len += context_len;
	msg[len++] = 0;
	msg[len++] = 0;
	msg[len++] = 0;
	msg[len++] = (uint8_t)c->threshold;
	memcpy(msg + len, c->c, (size_t)c->threshold * FELDMAN_POINT_BYTES);
	len += (size_t)c->threshold * FELDMAN_POINT_BYTES;
	sha256_digest(msg, len, id_out);
	return 0;
}
