/* vault/shamir: Shamir sharing over ristretto255 with Feldman commitments. Known answers from
 * shared/vectors/feldman-ristretto255.txt, every refusal with its code and message, and random
 * t-of-n splits recombined from every subset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "vault/shamir.h"

#define S SHAMIR_SCALAR_BYTES

/* The known-answer values, read from the vectors file at test time. */
struct feldman_vectors {
	uint8_t a0[S], a1[S], c0[SHAMIR_POINT_BYTES], c1[SHAMIR_POINT_BYTES];
	uint8_t share[3][S];
};

/* The group order L, little-endian: the smallest non-canonical scalar. */
static const uint8_t group_order[S] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                       0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                       0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};

static void setup(void)
{
	cr_assert(sodium_init() >= 0);
}

TestSuite(shamir, .init = setup, .timeout = 60);

static void assert_error(int r, int code, const char *fragment)
{
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert(strstr(err_message(), fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

/* Set `out` from the line "name hex" of the vectors file. */
static void vector_get(const char *text, const char *name, uint8_t *out, size_t len)
{
	const char *p = text;
	size_t name_len = strlen(name);

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '\n');
		size_t line_len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (line_len > name_len && p[0] != '#' && memcmp(p, name, name_len) == 0 &&
		    (p[name_len] == ' ' || p[name_len] == '\t')) {
			const char *hex = p + name_len;
			size_t hex_len;

			while (*hex == ' ' || *hex == '\t')
				hex++;
			hex_len = line_len - (size_t)(hex - p);
			while (hex_len > 0 && (hex[hex_len - 1] == ' ' || hex[hex_len - 1] == '\r'))
				hex_len--;
			cr_assert_eq(hex_decode_exact(hex, hex_len, out, len), 0, "vector %s: %s", name, err_message());
			return;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	cr_assert_fail("vector %s not found", name);
}

static void vectors_load(struct feldman_vectors *v)
{
	const char *shared = getenv("CEREMONY_SHARED_DIR");
	char *path = NULL, *text;
	long len;
	FILE *f;

	cr_assert(asprintf(&path, "%s/vectors/feldman-ristretto255.txt", shared != NULL ? shared : "/work/shared") > 0);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	cr_assert(len > 0 && len < 65536);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	cr_assert_not_null(text);
	cr_assert_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	vector_get(text, "secret_a0", v->a0, S);
	vector_get(text, "coefficient_a1", v->a1, S);
	vector_get(text, "commitment_C0", v->c0, SHAMIR_POINT_BYTES);
	vector_get(text, "commitment_C1", v->c1, SHAMIR_POINT_BYTES);
	vector_get(text, "share_1", v->share[0], S);
	vector_get(text, "share_2", v->share[1], S);
	vector_get(text, "share_3", v->share[2], S);
	free(text);
	free(path);
}

static uint8_t *secure_alloc(size_t len)
{
	uint8_t *p = sodium_malloc(len);
	cr_assert_not_null(p);
	return p;
}

/* The known-answer split: 2 of 3 with the vectors' a0 and a1. */
static void kat_split(const struct feldman_vectors *v, uint8_t *shares, struct feldman_commitments *c)
{
	cr_assert_eq(shamir_split_with_coefficients(v->a0, v->a1, 2, 3, shares, c), 0, "%s", err_message());
}

static void random_secret(uint8_t out[S])
{
	crypto_core_ristretto255_scalar_random(out);
}

/* ---- known answers ---- */

Test(shamir, known_answer_split)
{
	struct feldman_vectors v;
	struct feldman_commitments c;
	uint8_t *shares = secure_alloc(3 * S);

	vectors_load(&v);
	kat_split(&v, shares, &c);
	for (int i = 0; i < 3; i++)
		cr_assert_arr_eq(shares + i * S, v.share[i], S, "share_%d differs from the vector", i + 1);
	cr_assert_eq(c.threshold, 2);
	cr_assert_arr_eq(c.c[0], v.c0, SHAMIR_POINT_BYTES, "C0 differs from the vector");
	cr_assert_arr_eq(c.c[1], v.c1, SHAMIR_POINT_BYTES, "C1 differs from the vector");
	for (int j = 2; j < SHAMIR_MAX_SHARES; j++)
		cr_assert(sodium_is_zero(c.c[j], SHAMIR_POINT_BYTES), "C%d beyond the threshold is zero", j);
	cr_assert_eq(feldman_commitments_check(&c), 0, "%s", err_message());
	sodium_free(shares);
}

Test(shamir, known_answer_shares_verify)
{
	struct feldman_vectors v;
	struct feldman_commitments c;

	vectors_load(&v);
	memset(&c, 0, sizeof(c));
	c.threshold = 2;
	memcpy(c.c[0], v.c0, SHAMIR_POINT_BYTES);
	memcpy(c.c[1], v.c1, SHAMIR_POINT_BYTES);
	for (unsigned i = 1; i <= 3; i++)
		cr_assert_eq(shamir_verify_share(&c, i, v.share[i - 1]), 0, "share %u: %s", i, err_message());
}

Test(shamir, known_answer_public_points)
{
	struct feldman_vectors v;
	uint8_t point[SHAMIR_POINT_BYTES], expect[SHAMIR_POINT_BYTES], c1_times_i[SHAMIR_POINT_BYTES];
	uint8_t x[S] = {0};

	vectors_load(&v);
	cr_assert_eq(shamir_share_public(v.a0, point), 0, "%s", err_message());
	cr_assert_arr_eq(point, v.c0, SHAMIR_POINT_BYTES, "a0 * G is the group public key C0");
	/* The Feldman equation, computed independently: share_i * G == C0 + i * C1. */
	for (unsigned i = 1; i <= 3; i++) {
		x[0] = (uint8_t)i;
		cr_assert_eq(crypto_scalarmult_ristretto255(c1_times_i, x, v.c1), 0);
		cr_assert_eq(crypto_core_ristretto255_add(expect, v.c0, c1_times_i), 0);
		cr_assert_eq(shamir_share_public(v.share[i - 1], point), 0, "%s", err_message());
		cr_assert_arr_eq(point, expect, SHAMIR_POINT_BYTES, "verification point of share %u", i);
	}
}

Test(shamir, known_answer_combine_every_pair)
{
	struct feldman_vectors v;
	uint8_t *shares = secure_alloc(3 * S), *secret = secure_alloc(S);

	vectors_load(&v);
	for (unsigned a = 1; a <= 3; a++)
		for (unsigned b = 1; b <= 3; b++) {
			unsigned idx[2] = {a, b};
			if (a == b)
				continue;
			memcpy(shares, v.share[a - 1], S);
			memcpy(shares + S, v.share[b - 1], S);
			cr_assert_eq(shamir_combine(idx, shares, 2, secret), 0, "%s", err_message());
			cr_assert_arr_eq(secret, v.a0, S, "shares %u and %u give a0", a, b);
		}
	{
		unsigned idx[3] = {3, 1, 2};
		memcpy(shares, v.share[2], S);
		memcpy(shares + S, v.share[0], S);
		memcpy(shares + 2 * S, v.share[1], S);
		cr_assert_eq(shamir_combine(idx, shares, 3, secret), 0, "%s", err_message());
		cr_assert_arr_eq(secret, v.a0, S, "all three shares give a0");
	}
	sodium_free(shares);
	sodium_free(secret);
}

/* ---- bad shares are detected and attributed ---- */

Test(shamir, changed_share_is_refused_and_attributed)
{
	struct feldman_vectors v;
	struct feldman_commitments c;
	uint8_t *shares = secure_alloc(3 * S);
	static const struct {
		unsigned byte, bit;
	} flips[] = {{0, 0}, {5, 3}, {17, 7}, {30, 1}};

	vectors_load(&v);
	kat_split(&v, shares, &c);
	for (unsigned i = 1; i <= 3; i++)
		for (size_t f = 0; f < sizeof(flips) / sizeof(flips[0]); f++) {
			uint8_t changed[S];
			char expect[64];

			memcpy(changed, shares + (i - 1) * S, S);
			changed[flips[f].byte] ^= (uint8_t)(1u << flips[f].bit);
			snprintf(expect, sizeof(expect), "share %u does not match the vault's commitments", i);
			assert_error(shamir_verify_share(&c, i, changed), CER_ERR_VERIFY, expect);
		}
	sodium_free(shares);
}

Test(shamir, share_at_the_wrong_index_is_refused)
{
	struct feldman_vectors v;
	struct feldman_commitments c;
	uint8_t *shares = secure_alloc(3 * S);

	vectors_load(&v);
	kat_split(&v, shares, &c);
	assert_error(shamir_verify_share(&c, 2, shares), CER_ERR_VERIFY,
	             "share 2 does not match the vault's commitments");
	assert_error(shamir_verify_share(&c, 4, shares + 2 * S), CER_ERR_VERIFY, "share 4 does not match");
	sodium_free(shares);
}

Test(shamir, share_of_another_vault_is_refused)
{
	struct feldman_vectors v;
	struct feldman_commitments c, other;
	uint8_t *shares = secure_alloc(3 * S), *other_shares = secure_alloc(3 * S), *secret = secure_alloc(S);

	vectors_load(&v);
	kat_split(&v, shares, &c);
	/* Another vault with the same secret but other coefficients, and one with another secret. */
	cr_assert_eq(shamir_split(v.a0, 2, 3, other_shares, &other), 0, "%s", err_message());
	for (unsigned i = 1; i <= 3; i++) {
		assert_error(shamir_verify_share(&c, i, other_shares + (i - 1) * S), CER_ERR_VERIFY,
		             "does not match the vault's commitments");
		assert_error(shamir_verify_share(&other, i, shares + (i - 1) * S), CER_ERR_VERIFY,
		             "does not match the vault's commitments");
	}
	random_secret(secret);
	cr_assert_eq(shamir_split(secret, 2, 3, other_shares, &other), 0, "%s", err_message());
	assert_error(shamir_verify_share(&c, 1, other_shares), CER_ERR_VERIFY, "share 1 does not match");
	sodium_free(shares);
	sodium_free(other_shares);
	sodium_free(secret);
}

Test(shamir, bad_share_combines_to_another_secret_and_verify_catches_it)
{
	struct feldman_vectors v;
	struct feldman_commitments c;
	uint8_t *shares = secure_alloc(3 * S), *secret = secure_alloc(S), *before = secure_alloc(S);
	unsigned idx[2] = {1, 3};

	vectors_load(&v);
	kat_split(&v, shares, &c);
	memmove(shares + S, shares + 2 * S, S); /* shares 1 and 3 */
	shares[S + 9] ^= 0x10;
	cr_assert_eq(shamir_combine(idx, shares, 2, secret), 0, "%s", err_message());
	cr_assert(memcmp(secret, v.a0, S) != 0, "a bad share gives a different secret");
	assert_error(shamir_verify_share(&c, 3, shares + S), CER_ERR_VERIFY, "share 3 does not match");
	/* The verified combination names the bad share and leaves the output alone. */
	memset(before, 0xa5, S);
	memcpy(secret, before, S);
	assert_error(shamir_combine_verified(&c, idx, shares, 2, secret), CER_ERR_VERIFY,
	             "share 3 does not match the vault's commitments");
	cr_assert_arr_eq(secret, before, S, "secret_out untouched on failure");
	shares[S + 9] ^= 0x10;
	cr_assert_eq(shamir_combine_verified(&c, idx, shares, 2, secret), 0, "%s", err_message());
	cr_assert_arr_eq(secret, v.a0, S);
	sodium_free(shares);
	sodium_free(secret);
	sodium_free(before);
}

Test(shamir, combine_verified_needs_the_threshold)
{
	struct feldman_commitments c;
	uint8_t *secret = secure_alloc(S), *shares = secure_alloc(5 * S), *out = secure_alloc(S);
	unsigned idx[3] = {5, 2, 4};

	random_secret(secret);
	cr_assert_eq(shamir_split(secret, 3, 5, shares, &c), 0, "%s", err_message());
	memcpy(shares, shares + 4 * S, S); /* share 5 first */
	memcpy(shares + 2 * S, shares + 3 * S, S);
	/* shares now holds 5, 2, 4 at positions 0, 1, 2 */
	assert_error(shamir_combine_verified(&c, idx, shares, 2, out), CER_ERR_USAGE, "the vault needs 3");
	cr_assert_eq(shamir_combine_verified(&c, idx, shares, 3, out), 0, "%s", err_message());
	cr_assert_arr_eq(out, secret, S);
	sodium_free(secret);
	sodium_free(shares);
	sodium_free(out);
}

/* ---- random splits ---- */

/* Every subset of {1..n} of size k, as bit masks, is visited by iterating over all masks. */
static unsigned popcount(unsigned m)
{
	unsigned n = 0;
	for (; m != 0; m &= m - 1)
		n++;
	return n;
}

static void check_random_split(unsigned t, unsigned n)
{
	struct feldman_commitments c;
	uint8_t *secret = secure_alloc(S), *shares = secure_alloc(n * S), *subset = secure_alloc(n * S);
	uint8_t *out = secure_alloc(S), point[SHAMIR_POINT_BYTES];
	unsigned idx[SHAMIR_MAX_SHARES];
	unsigned subsets = 0;

	random_secret(secret);
	cr_assert_eq(shamir_split(secret, t, n, shares, &c), 0, "%u of %u: %s", t, n, err_message());
	cr_assert_eq(c.threshold, t);
	cr_assert_eq(shamir_share_public(secret, point), 0);
	cr_assert_arr_eq(point, c.c[0], SHAMIR_POINT_BYTES, "C0 is the secret's public point");
	for (unsigned i = 1; i <= n; i++)
		cr_assert_eq(shamir_verify_share(&c, i, shares + (i - 1) * S), 0, "%s", err_message());
	for (unsigned mask = 1; mask < (1u << n); mask++) {
		unsigned k = 0, size = popcount(mask);

		if (size != t && size != t - 1)
			continue;
		for (unsigned i = 1; i <= n; i++)
			if (mask & (1u << (i - 1))) {
				idx[k] = i;
				memcpy(subset + k * S, shares + (i - 1) * S, S);
				k++;
			}
		if (size == t) {
			cr_assert_eq(shamir_combine(idx, subset, k, out), 0, "%s", err_message());
			cr_assert_arr_eq(out, secret, S, "%u of %u: subset %#x gives the secret", t, n, mask);
			subsets++;
		} else if (size >= SHAMIR_MIN_THRESHOLD) {
			/* One share short: the result is unrelated to the secret. */
			cr_assert_eq(shamir_combine(idx, subset, k, out), 0, "%s", err_message());
			cr_assert(memcmp(out, secret, S) != 0, "%u of %u: subset %#x of t-1 shares", t, n, mask);
		}
	}
	cr_assert(subsets > 0);
	sodium_free(secret);
	sodium_free(shares);
	sodium_free(subset);
	sodium_free(out);
}

Test(shamir, random_splits_combine_from_every_subset)
{
	static const unsigned cases[][2] = {{2, 2}, {2, 3}, {2, 5}, {3, 3}, {3, 5}, {4, 6}, {5, 7}, {7, 9}};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		check_random_split(cases[k][0], cases[k][1]);
}

Test(shamir, largest_split)
{
	struct feldman_commitments c;
	uint8_t *secret = secure_alloc(S), *shares = secure_alloc(SHAMIR_MAX_SHARES * S), *out = secure_alloc(S);
	unsigned idx[SHAMIR_MAX_SHARES];

	random_secret(secret);
	cr_assert_eq(shamir_split(secret, SHAMIR_MAX_SHARES, SHAMIR_MAX_SHARES, shares, &c), 0, "%s", err_message());
	for (unsigned i = 0; i < SHAMIR_MAX_SHARES; i++)
		idx[i] = i + 1;
	cr_assert_eq(shamir_combine_verified(&c, idx, shares, SHAMIR_MAX_SHARES, out), 0, "%s", err_message());
	cr_assert_arr_eq(out, secret, S);
	assert_error(shamir_combine_verified(&c, idx, shares, SHAMIR_MAX_SHARES - 1, out), CER_ERR_USAGE,
	             "the vault needs 32");
	sodium_free(secret);
	sodium_free(shares);
	sodium_free(out);
}

Test(shamir, splits_of_one_secret_differ)
{
	struct feldman_commitments c1, c2;
	uint8_t *secret = secure_alloc(S), *s1 = secure_alloc(3 * S), *s2 = secure_alloc(3 * S);

	random_secret(secret);
	cr_assert_eq(shamir_split(secret, 2, 3, s1, &c1), 0);
	cr_assert_eq(shamir_split(secret, 2, 3, s2, &c2), 0);
	cr_assert_arr_eq(c1.c[0], c2.c[0], SHAMIR_POINT_BYTES, "same secret, same C0");
	cr_assert(memcmp(c1.c[1], c2.c[1], SHAMIR_POINT_BYTES) != 0, "fresh coefficients each time");
	cr_assert(memcmp(s1, s2, 3 * S) != 0);
	sodium_free(secret);
	sodium_free(s1);
	sodium_free(s2);
}

/* ---- refusals of split ---- */

/* A failed split leaves both outputs as they were. */
static void assert_split_refused(const uint8_t *secret, const uint8_t *coef, unsigned t, unsigned n, int code,
                                 const char *fragment)
{
	struct feldman_commitments c, before;
	uint8_t *shares = secure_alloc(SHAMIR_MAX_SHARES * S + S);
	int r;

	memset(&c, 0x5a, sizeof(c));
	before = c;
	memset(shares, 0x5a, SHAMIR_MAX_SHARES * S + S);
	if (coef != NULL)
		r = shamir_split_with_coefficients(secret, coef, t, n, shares, &c);
	else
		r = shamir_split(secret, t, n, shares, &c);
	assert_error(r, code, fragment);
	cr_assert(memcmp(&c, &before, sizeof(c)) == 0, "commitments untouched on failure");
	for (size_t k = 0; k < SHAMIR_MAX_SHARES * S + S; k++)
		cr_assert_eq(shares[k], 0x5a, "shares untouched on failure");
	sodium_free(shares);
}

Test(shamir, split_refuses_bad_shapes)
{
	uint8_t *secret = secure_alloc(S);

	random_secret(secret);
	assert_split_refused(secret, NULL, 1, 3, CER_ERR_USAGE, "threshold 1 is below the minimum of 2");
	assert_split_refused(secret, NULL, 0, 3, CER_ERR_USAGE, "threshold 0 is below the minimum");
	assert_split_refused(secret, NULL, 4, 3, CER_ERR_USAGE, "threshold 4 is above the number of shares 3");
	assert_split_refused(secret, NULL, 2, SHAMIR_MAX_SHARES + 1, CER_ERR_USAGE, "33 shares requested, at most 32");
	sodium_free(secret);
}

Test(shamir, split_refuses_zero_and_non_canonical_secrets)
{
	uint8_t *secret = secure_alloc(S);

	memset(secret, 0, S);
	assert_split_refused(secret, NULL, 2, 3, CER_ERR_FORMAT, "the secret is zero");
	memcpy(secret, group_order, S);
	assert_split_refused(secret, NULL, 2, 3, CER_ERR_FORMAT, "the secret is not a canonical scalar");
	memset(secret, 0xff, S);
	assert_split_refused(secret, NULL, 2, 3, CER_ERR_FORMAT, "the secret is not a canonical scalar");
	sodium_free(secret);
}

Test(shamir, split_with_coefficients_refuses_bad_coefficients)
{
	struct feldman_vectors v;
	uint8_t coef[2 * S];

	vectors_load(&v);
	memset(coef, 0, sizeof(coef));
	assert_split_refused(v.a0, coef, 2, 3, CER_ERR_FORMAT, "coefficient a1 is zero");
	memcpy(coef, v.a1, S);
	memcpy(coef + S, group_order, S);
	assert_split_refused(v.a0, coef, 3, 3, CER_ERR_FORMAT, "coefficient a2 is not a canonical scalar");
	memcpy(coef, group_order, S);
	coef[0]++; /* L + 1 */
	assert_split_refused(v.a0, coef, 2, 3, CER_ERR_FORMAT, "coefficient a1 is not a canonical scalar");
}

Test(shamir, canonical_scalars)
{
	uint8_t s[S];

	memcpy(s, group_order, S);
	cr_assert(!shamir_scalar_is_canonical(s), "L is not canonical");
	s[0]--;
	cr_assert(shamir_scalar_is_canonical(s), "L - 1 is canonical");
	memset(s, 0, S);
	cr_assert(shamir_scalar_is_canonical(s), "zero is canonical (and refused elsewhere)");
	s[31] = 0x80;
	cr_assert(!shamir_scalar_is_canonical(s), "the top bit set is not canonical");
}

/* ---- refusals of verify ---- */

Test(shamir, verify_refuses_bad_indexes_and_shares)
{
	struct feldman_vectors v;
	struct feldman_commitments c;
	uint8_t *shares = secure_alloc(3 * S), bad[S];

	vectors_load(&v);
	kat_split(&v, shares, &c);
	assert_error(shamir_verify_share(&c, 0, shares), CER_ERR_FORMAT, "share index 0 is outside 1..32");
	assert_error(shamir_verify_share(&c, 33, shares), CER_ERR_FORMAT, "share index 33 is outside 1..32");
	memcpy(bad, group_order, S);
	assert_error(shamir_verify_share(&c, 2, bad), CER_ERR_FORMAT, "share 2 is not a canonical scalar");
	/* share + L encodes the same residue but is not canonical: refused, not accepted. */
	memcpy(bad, shares, S);
	{
		unsigned carry = 0;
		for (int k = 0; k < S; k++) {
			unsigned sum = bad[k] + group_order[k] + carry;
			bad[k] = (uint8_t)sum;
			carry = sum >> 8;
		}
	}
	assert_error(shamir_verify_share(&c, 1, bad), CER_ERR_FORMAT, "share 1 is not a canonical scalar");
	memset(bad, 0, S);
	assert_error(shamir_verify_share(&c, 3, bad), CER_ERR_VERIFY, "share 3 does not match");
	sodium_free(shares);
}

Test(shamir, verify_refuses_malformed_commitments)
{
	struct feldman_vectors v;
	struct feldman_commitments c, bad;
	uint8_t *shares = secure_alloc(3 * S);

	vectors_load(&v);
	kat_split(&v, shares, &c);

	bad = c;
	memset(bad.c[1], 0xff, SHAMIR_POINT_BYTES);
	assert_error(shamir_verify_share(&bad, 1, shares), CER_ERR_FORMAT, "C1 is not a valid ristretto255 point");
	bad = c;
	bad.c[0][0] ^= 0x01; /* a non-canonical (odd) field element encoding */
	assert_error(shamir_verify_share(&bad, 1, shares), CER_ERR_FORMAT, "C0 is not a valid ristretto255 point");
	bad = c;
	memset(bad.c[1], 0, SHAMIR_POINT_BYTES);
	assert_error(shamir_verify_share(&bad, 1, shares), CER_ERR_FORMAT, "C1 is the identity");
	bad = c;
	bad.threshold = 1;
	assert_error(shamir_verify_share(&bad, 1, shares), CER_ERR_FORMAT, "threshold 1 is outside 2..32");
	bad = c;
	bad.threshold = 33;
	assert_error(shamir_verify_share(&bad, 1, shares), CER_ERR_FORMAT, "threshold 33 is outside 2..32");
	bad = c;
	bad.threshold = 3; /* C2 is zero: the identity */
	assert_error(shamir_verify_share(&bad, 1, shares), CER_ERR_FORMAT, "C2 is the identity");
	bad = c;
	memcpy(bad.c[2], c.c[1], SHAMIR_POINT_BYTES);
	assert_error(shamir_verify_share(&bad, 1, shares), CER_ERR_FORMAT, "C2 is set beyond the threshold 2");
	sodium_free(shares);
}

/* ---- refusals of combine ---- */

Test(shamir, combine_refuses_bad_input)
{
	struct feldman_vectors v;
	uint8_t *shares = secure_alloc(3 * S), *out = secure_alloc(S);
	unsigned dup[3] = {1, 2, 1}, zero[2] = {0, 2}, high[2] = {1, 33}, ok[2] = {1, 2};

	vectors_load(&v);
	memcpy(shares, v.share[0], S);
	memcpy(shares + S, v.share[1], S);
	memcpy(shares + 2 * S, v.share[2], S);
	memset(out, 0x77, S);
	assert_error(shamir_combine(dup, shares, 3, out), CER_ERR_FORMAT, "share 1 is given twice");
	assert_error(shamir_combine(zero, shares, 2, out), CER_ERR_FORMAT, "share index 0 is outside 1..32");
	assert_error(shamir_combine(high, shares, 2, out), CER_ERR_FORMAT, "share index 33 is outside 1..32");
	assert_error(shamir_combine(ok, shares, 0, out), CER_ERR_USAGE, "0 shares given");
	assert_error(shamir_combine(ok, shares, 1, out), CER_ERR_USAGE, "1 shares given, combining needs 2 to 32");
	memcpy(shares + S, group_order, S);
	assert_error(shamir_combine(ok, shares, 2, out), CER_ERR_FORMAT, "share 2 is not a canonical scalar");
	memset(shares + S, 0, S);
	assert_error(shamir_combine(ok, shares, 2, out), CER_ERR_FORMAT, "share 2 is zero");
	for (int k = 0; k < S; k++)
		cr_assert_eq(out[k], 0x77, "secret_out untouched on failure");
	sodium_free(shares);
	sodium_free(out);
}

Test(shamir, share_public_refuses_bad_shares)
{
	uint8_t zero[S] = {0}, point[SHAMIR_POINT_BYTES];

	assert_error(shamir_share_public(zero, point), CER_ERR_FORMAT, "the share is zero");
	assert_error(shamir_share_public(group_order, point), CER_ERR_FORMAT, "the share is not a canonical scalar");
}

/* ---- vault id ---- */

Test(shamir, vault_id_names_the_commitments)
{
	struct feldman_vectors v;
	struct feldman_commitments c, other;
	uint8_t *shares = secure_alloc(3 * S);
	uint8_t id1[SHAMIR_VAULT_ID_BYTES], id2[SHAMIR_VAULT_ID_BYTES], id3[SHAMIR_VAULT_ID_BYTES];

	vectors_load(&v);
	kat_split(&v, shares, &c);
	cr_assert_eq(feldman_commitments_id(&c, id1), 0, "%s", err_message());
	cr_assert_eq(feldman_commitments_id(&c, id2), 0);
	cr_assert_arr_eq(id1, id2, sizeof(id1), "deterministic");
	cr_assert_eq(shamir_split(v.a0, 2, 3, shares, &other), 0);
	cr_assert_eq(feldman_commitments_id(&other, id3), 0);
	cr_assert(memcmp(id1, id3, sizeof(id1)) != 0, "another split, another id");
	other.threshold = 1;
	assert_error(feldman_commitments_id(&other, id3), CER_ERR_FORMAT, "threshold 1");
	sodium_free(shares);
}
