/* Shamir secret sharing over the ristretto255 scalar field, with Feldman commitments
 * (DESIGN.md section 5, "Vault").
 *
 * The master secret a_0 is a nonzero scalar. Splitting it t-of-n draws a polynomial
 * f(x) = a_0 + a_1 x + ... + a_{t-1} x^{t-1} with random nonzero coefficients; key master i
 * (1-based) receives the share s_i = f(i) mod L. The commitments C_j = a_j * G are public: a
 * share is accepted only if s_i * G == sum_j C_j * i^j, so a wrong share is detected and the key
 * master who presented it is named. C_0 = a_0 * G is the vault's public key.
 *
 * Scalars are 32-byte little-endian integers below the group order L (libsodium's
 * crypto_core_ristretto255 encoding); anything else is refused as non-canonical. Points are
 * ristretto255 encodings. Known-answer values: shared/vectors/feldman-ristretto255.txt.
 *
 * Secrets (the master secret, the coefficients, the shares) are only ever held in memory the
 * caller allocated with sodium_malloc(), or in sodium_malloc'd work areas wiped before return.
 * Every output is written on success only. */
#ifndef CEREMONY_VAULT_SHAMIR_H
#define CEREMONY_VAULT_SHAMIR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/feldman.h"

/* The vault's names for the public sizes and bounds (common/feldman.h). */
#define SHAMIR_SCALAR_BYTES FELDMAN_SCALAR_BYTES
#define SHAMIR_POINT_BYTES FELDMAN_POINT_BYTES
#define SHAMIR_MIN_THRESHOLD FELDMAN_MIN_THRESHOLD
#define SHAMIR_MAX_SHARES FELDMAN_MAX_SHARES
#define SHAMIR_VAULT_ID_BYTES FELDMAN_VAULT_ID_BYTES

/* Is `s` the canonical encoding of a scalar (an integer below L)? Does not say whether it is zero. */
bool shamir_scalar_is_canonical(const uint8_t s[SHAMIR_SCALAR_BYTES]);

/* Split `secret` (a canonical nonzero scalar, borrowed) `threshold`-of-`count` with fresh random
 * nonzero coefficients. On success writes `count` shares of SHAMIR_SCALAR_BYTES to `shares`
 * (share k at offset k * 32 is f(k + 1); the caller allocates it with sodium_malloc) and the
 * commitments to *out; on failure neither is touched.
 * Refuses (CER_ERR_USAGE) threshold < SHAMIR_MIN_THRESHOLD, threshold > count,
 * count > SHAMIR_MAX_SHARES; (CER_ERR_FORMAT) a zero or non-canonical secret. Every share is
 * checked against the commitments before it is handed out. */
__attribute__((warn_unused_result)) int shamir_split(const uint8_t secret[SHAMIR_SCALAR_BYTES], unsigned threshold,
                                                     unsigned count, uint8_t *shares, struct feldman_commitments *out);

/* The same with the coefficients a_1 .. a_{threshold-1} given (threshold - 1 scalars of 32 bytes,
 * borrowed), for known-answer tests. Each coefficient must be canonical and nonzero
 * (CER_ERR_FORMAT): a zero leading coefficient would lower the threshold. */
__attribute__((warn_unused_result)) int shamir_split_with_coefficients(const uint8_t secret[SHAMIR_SCALAR_BYTES],
                                                                       const uint8_t *coefficients, unsigned threshold,
                                                                       unsigned count, uint8_t *shares,
                                                                       struct feldman_commitments *out);

/* Does `share` (borrowed, secret) belong at 1-based `index` of the vault of `c`?
 * Returns 0 when s_i * G == sum_j C_j * i^j; CER_ERR_VERIFY "share <index> does not match the
 * vault's commitments" when it does not (or the share is zero); CER_ERR_FORMAT for an index
 * outside 1..SHAMIR_MAX_SHARES, a non-canonical share or malformed commitments. */
__attribute__((warn_unused_result)) int shamir_verify_share(const struct feldman_commitments *c, unsigned index,
                                                            const uint8_t share[SHAMIR_SCALAR_BYTES]);

/* Recover the secret from `count` shares (Lagrange interpolation at 0): indexes[k] is the 1-based
 * index of the share at shares + k * 32. Nothing is verified: with a wrong share the result is a
 * different secret, so callers holding the commitments use shamir_combine_verified().
 * Writes `secret_out` (sodium_malloc'd by the caller) on success only. Refuses (CER_ERR_USAGE)
 * count < SHAMIR_MIN_THRESHOLD or > SHAMIR_MAX_SHARES; (CER_ERR_FORMAT) an index 0 or above
 * SHAMIR_MAX_SHARES, the same index twice, a zero or non-canonical share; (CER_ERR_VERIFY) shares
 * that combine to zero, which no split produces. */
__attribute__((warn_unused_result)) int shamir_combine(const unsigned *indexes, const uint8_t *shares, unsigned count,
                                                       uint8_t secret_out[SHAMIR_SCALAR_BYTES]);

/* Verify every share against `c` (the first that fails is named, see shamir_verify_share()),
 * refuse fewer than c->threshold shares (CER_ERR_USAGE), combine, and check that the secret
 * times G is C_0. Writes `secret_out` on success only. */
__attribute__((warn_unused_result)) int shamir_combine_verified(const struct feldman_commitments *c,
                                                                const unsigned *indexes, const uint8_t *shares,
                                                                unsigned count,
                                                                uint8_t secret_out[SHAMIR_SCALAR_BYTES]);

/* The public verification point s_i * G of a share, for the evidence (the share itself never
 * leaves the vault). Refuses a zero or non-canonical share (CER_ERR_FORMAT). */
__attribute__((warn_unused_result)) int shamir_share_public(const uint8_t share[SHAMIR_SCALAR_BYTES],
                                                            uint8_t point_out[SHAMIR_POINT_BYTES]);

#endif
