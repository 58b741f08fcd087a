/* Feldman commitments of a vault's Shamir split over the ristretto255 group, and the checks made with
 * them (DESIGN.md section 5, "Vault"). Everything here is public: the commitments C_j = a_j * G are
 * in the vault's identity, and s_i * G is what a share shows of itself. So it lives below both the
 * vault (vault/shamir.h splits and combines the secrets) and the verifier (which checks the share
 * points the evidence records against the vault's commitments, and never links the vault).
 *
 * Scalars are 32-byte little-endian integers below the group order L; points are ristretto255
 * encodings. Known-answer values: shared/vectors/feldman-ristretto255.txt. */
#ifndef CEREMONY_COMMON_FELDMAN_H
#define CEREMONY_COMMON_FELDMAN_H

#include <stdint.h>

#define FELDMAN_SCALAR_BYTES 32
#define FELDMAN_POINT_BYTES 32
#define FELDMAN_MIN_THRESHOLD 2
#define FELDMAN_MAX_SHARES 32
#define FELDMAN_VAULT_ID_BYTES 32
/* The domain-separation prefix of feldman_commitments_id(). */
#define FELDMAN_VAULT_ID_CONTEXT "ceremony-vault-commitments-v1"

/* The public half of a split: C_j = a_j * G for j < threshold; the entries from `threshold` on
 * are all zero bytes, so one set of commitments has exactly one representation. */
struct feldman_commitments {
	uint8_t c[FELDMAN_MAX_SHARES][FELDMAN_POINT_BYTES];
	unsigned threshold;
};

/* The scalar of a small public integer (a share index, 0..255). */
void feldman_scalar_from_index(unsigned index, uint8_t out[FELDMAN_SCALAR_BYTES]);

/* Are these commitments well formed? threshold within FELDMAN_MIN_THRESHOLD..FELDMAN_MAX_SHARES,
 * each C_j (j < threshold) a valid ristretto255 point other than the identity, the unused entries
 * zero. Returns 0 or CER_ERR_FORMAT naming the first bad entry. */
__attribute__((warn_unused_result)) int feldman_commitments_check(const struct feldman_commitments *c);

/* The point a share at 1-based `index` must show: sum_j C_j * index^j. The commitments must have
 * passed feldman_commitments_check(). Returns 0 or CER_ERR_INTERNAL. */
__attribute__((warn_unused_result)) int feldman_expected_point(const struct feldman_commitments *c, unsigned index,
                                                               uint8_t out[FELDMAN_POINT_BYTES]);

/* The vault id: SHA-256 of the string FELDMAN_VAULT_ID_CONTEXT (uint32 length + bytes), the
 * threshold (uint32 big-endian) and C_0 .. C_{threshold-1}. Refuses malformed commitments. */
__attribute__((warn_unused_result)) int feldman_commitments_id(const struct feldman_commitments *c,
                                                               uint8_t id_out[FELDMAN_VAULT_ID_BYTES]);

#endif
