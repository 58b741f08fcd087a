/* Keys the vault generates and uses (DESIGN.md section 5, "Vault"): OpenSSL keys that never leave
 * the vault in clear, their public halves, fingerprints and signatures that stock openssl verifies.
 *
 * Algorithms (the names scenarios use, exactly; anything else is refused):
 *
 *   ecdsa-p256  ECDSA on P-256 with SHA-256, DER signatures    openssl dgst -sha256 -verify pub.pem -signature sig file
 *   ecdsa-p384  ECDSA on P-384 with SHA-384, DER signatures    openssl dgst -sha384 -verify pub.pem -signature sig file
 *   rsa-3072    RSA, e = 65537, PKCS#1 v1.5 with SHA-256       openssl dgst -sha256 -verify pub.pem -signature sig file
 *   rsa-4096    RSA, e = 65537, PKCS#1 v1.5 with SHA-256       openssl dgst -sha256 -verify pub.pem -signature sig file
 *   ed25519     Ed25519 (pure, RFC 8032)                       openssl pkeyutl -verify -pubin -inkey pub.pem -rawin
 *                                                                 -in file -sigfile sig
 *
 * RSA signs with PKCS#1 v1.5, not PSS: it is what `openssl dgst -verify` (and most boot loaders)
 * accept without extra options, it is deterministic, and as a signature scheme (unlike v1.5
 * encryption) it has no known practical weakness; FIPS 186-5 approves both. A PSS signature would
 * need `-sigopt rsa_padding_mode:pss` at every verifier.
 *
 * A key's fingerprint is the SHA-256 of its DER SubjectPublicKeyInfo: exactly the bytes
 * `openssl pkey -pubin -in pub.pem -outform DER | sha256sum` hashes.
 *
 * Self-tests (FIPS 140-3 style): keys_self_test() runs known-answer tests; every operation of this
 * module runs them first if they have not run yet, and once a self-test or a pairwise consistency
 * test has failed, every operation is refused (CER_ERR_INTERNAL) for the rest of the process.
 * The first call is not thread-safe: call keys_self_test() once when the vault starts.
 *
 * OpenSSL holds the private key in its own heap and cleanses it when the key is freed; while it
 * encodes or decodes PKCS#8 it also makes short-lived copies of its own, not all of them cleansed
 * (OpenSSL 3.0), which is why the process refuses core dumps. Our copies of private key bytes
 * (PKCS#8 DER) exist only in buffers the caller sodium_malloc'd. ceremony_init() must have been
 * called (libsodium). */
#ifndef CEREMONY_VAULT_KEYS_H
#define CEREMONY_VAULT_KEYS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

enum vault_key_alg {
	VAULT_KEY_ECDSA_P256 = 1,
	VAULT_KEY_ECDSA_P384 = 2,
	VAULT_KEY_RSA_3072 = 3,
	VAULT_KEY_RSA_4096 = 4,
	VAULT_KEY_ED25519 = 5,
};

#define VAULT_KEY_NAME_ECDSA_P256 "ecdsa-p256"
#define VAULT_KEY_NAME_ECDSA_P384 "ecdsa-p384"
#define VAULT_KEY_NAME_RSA_3072 "rsa-3072"
#define VAULT_KEY_NAME_RSA_4096 "rsa-4096"
#define VAULT_KEY_NAME_ED25519 "ed25519"
/* The longest algorithm name, without its NUL. */
#define VAULT_KEY_ALG_NAME_MAX 16

#define VAULT_KEY_FINGERPRINT_BYTES 32
/* Upper bounds of the encodings (RSA-4096 is the largest of each). */
#define VAULT_KEY_PUBLIC_DER_MAX 1024
#define VAULT_KEY_PRIVATE_DER_MAX 4096
#define VAULT_KEY_SIGNATURE_MAX 1024
/* The largest message sign and verify accept: OpenSSL lengths are ints in places. */
#define VAULT_KEY_MESSAGE_MAX ((size_t)INT_MAX)

struct vault_key;

/* The algorithm named `name` (one of the names above, exactly, case included). Refuses anything
 * else with CER_ERR_UNSUPPORTED "unsupported key algorithm \"NAME\"" (the name is quoted only when
 * it is short printable text). Writes *out on success only. */
__attribute__((warn_unused_result)) int vault_key_alg_parse(enum vault_key_alg *out, const char *name);

/* The scenario name of `alg` ("ecdsa-p256", ...); "unknown" for a value outside the enum. Static. */
const char *vault_key_alg_name(enum vault_key_alg alg);

/* Generate a fresh key of `alg` with OpenSSL (EVP_PKEY_keygen) and run the pairwise consistency
 * test on it. Returns 0, CER_ERR_USAGE for a value outside the enum, CER_ERR_INTERNAL when OpenSSL
 * fails or a self-test fails. *out is set on success only; free it with vault_key_free(). */
__attribute__((warn_unused_result)) int vault_key_generate(struct vault_key **out, enum vault_key_alg alg);

/* Free the key (OpenSSL cleanses the private key as it frees it). Accepts NULL. */
void vault_key_free(struct vault_key *key);

enum vault_key_alg vault_key_get_alg(const struct vault_key *key);

/* The SHA-256 of the DER SubjectPublicKeyInfo, computed when the key was made or loaded. Borrowed:
 * VAULT_KEY_FINGERPRINT_BYTES bytes valid as long as the key. */
const uint8_t *vault_key_fingerprint(const struct vault_key *key);

/* The public key as DER SubjectPublicKeyInfo (the fingerprinted bytes) into `out`, reset first.
 * Returns 0, CER_ERR_INTERNAL (OpenSSL), CER_ERR_NOMEM or CER_ERR_FORMAT (out's limit too small). */
__attribute__((warn_unused_result)) int vault_key_public_der(const struct vault_key *key, struct buf *out);

/* The public key as PEM "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo), as
 * `openssl pkey -pubout` writes it, into `out`, reset first. Same errors as vault_key_public_der(). */
__attribute__((warn_unused_result)) int vault_key_public_pem(const struct vault_key *key, struct buf *out);

/* Sign `msg` (borrowed, at most VAULT_KEY_MESSAGE_MAX bytes) as the table above says, into `sig`
 * (reset first; a signature is public). Returns 0, CER_ERR_USAGE (message too large),
 * CER_ERR_INTERNAL (OpenSSL, or self-tests failed), CER_ERR_NOMEM. */
__attribute__((warn_unused_result)) int vault_key_sign(const struct vault_key *key, const uint8_t *msg, size_t len,
                                                       struct buf *sig);

/* Does `sig` verify over `msg` with the public half of `key`, as the table above says?
 * Returns 0, CER_ERR_VERIFY "signature does not verify", CER_ERR_USAGE (too large), CER_ERR_INTERNAL. */
__attribute__((warn_unused_result)) int vault_key_verify(const struct vault_key *key, const uint8_t *msg, size_t len,
                                                         const uint8_t *sig, size_t sig_len);

/* Write the private key as DER PKCS#8 (PrivateKeyInfo, unencrypted) into `out`, which the caller
 * allocated with sodium_malloc() and which holds `cap` >= VAULT_KEY_PRIVATE_DER_MAX bytes.
 * On success *len_out is the length; on failure `out` is wiped and *len_out untouched.
 * Returns 0, CER_ERR_USAGE (cap below VAULT_KEY_PRIVATE_DER_MAX), CER_ERR_INTERNAL. */
__attribute__((warn_unused_result)) int vault_key_private_der(const struct vault_key *key, uint8_t *out, size_t cap,
                                                              size_t *len_out);

/* Load a private key from DER PKCS#8 (borrowed, the caller's secure memory), which must be a key of
 * `alg`: the same type, curve or modulus size (RSA also e = 65537), and nothing after the DER.
 * The loaded key passes the pairwise consistency test before it is returned.
 * Returns 0, CER_ERR_FORMAT (not PKCS#8 DER, trailing bytes), CER_ERR_UNSUPPORTED "private key is
 * X, expected ALG", CER_ERR_INTERNAL (self-tests). *out is set on success only. */
__attribute__((warn_unused_result)) int vault_key_from_private_der(struct vault_key **out, enum vault_key_alg alg,
                                                                   const uint8_t *der, size_t len);

/* ---- self-tests ---- */

/* The self-tests, in the order keys_self_test() runs them; KEYS_TEST_PAIRWISE is the consistency
 * test of keys_pairwise_test(). */
enum keys_test_id {
	KEYS_TEST_NONE = 0,
	KEYS_TEST_SHA256, /* SHA-256("abc"), FIPS 180-4 example */
	KEYS_TEST_SHA384, /* SHA-384("abc"), FIPS 180-4 example */
	KEYS_TEST_ED25519, /* RFC 8032 section 7.1 test 1: public key from the secret, signature, verification */
	KEYS_TEST_ECDSA_P256, /* verification of a fixed P-256/SHA-256 signature (and refusal of a changed message) */
	KEYS_TEST_ECDSA_P384, /* the same with P-384/SHA-384 */
	KEYS_TEST_RSA, /* the same with RSA-3072, PKCS#1 v1.5, SHA-256 */
	KEYS_TEST_PAIRWISE, /* sign a fixed message with a key, verify with its public half */
	KEYS_TEST_COUNT
};

/* "SHA-256 known-answer test", ..., "pairwise consistency test"; "unknown self-test" otherwise. */
const char *keys_test_name(enum keys_test_id id);

/* Run every known-answer test. Returns 0, or CER_ERR_INTERNAL "self-test failed: <name>" for the
 * first that fails; from then on every operation of this module is refused. */
__attribute__((warn_unused_result)) int keys_self_test(void);

/* Sign a fixed message with `key` and verify it with the key's public half. Returns 0 or
 * CER_ERR_INTERNAL "self-test failed: pairwise consistency test (ALG key)", after which every
 * operation of this module is refused. vault_key_generate() and vault_key_from_private_der() run it. */
__attribute__((warn_unused_result)) int keys_pairwise_test(const struct vault_key *key);

/* Test-only fault injection: when set to a keys_test_id, that test corrupts its expected value (or
 * signature) and so fails. Always KEYS_TEST_NONE in production; it can only make a test fail. */
extern int keys_self_test_fault;

#endif
