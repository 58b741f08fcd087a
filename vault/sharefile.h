/* Share files: each key master's share, encrypted under that key master's passphrase
 * (Argon2id, then XChaCha20-Poly1305). docs/formats/share-file.md is the spec; the names there
 * are the constants below.
 *
 *   byte[8]  SHAREFILE_MAGIC "CERSHARE"     uint32 SHAREFILE_VERSION (1)
 *   byte[32] vault_id                       uint32 share_index
 *   string   key_master_id                  uint32 opslimit   uint32 memlimit
 *   byte[16] salt   byte[24] nonce          byte[48] ciphertext (the 32-byte share, then the tag)
 *
 * Integers are big-endian, a string is a uint32 length then its bytes. Every byte before the
 * ciphertext is the AEAD's associated data, so no header field can be changed unnoticed. */
#ifndef CEREMONY_VAULT_SHAREFILE_H
#define CEREMONY_VAULT_SHAREFILE_H

#include <stddef.h>
#include <stdint.h>

#include "vault/shamir.h"

#define SHAREFILE_MAGIC "CERSHARE"
#define SHAREFILE_MAGIC_BYTES 8
#define SHAREFILE_VERSION 1
#define SHAREFILE_VAULT_ID_BYTES SHAMIR_VAULT_ID_BYTES
/* A key master id is a participant id: 1 to 64 characters of a-z, 0-9, '.', '_', '-', the first a
 * letter or digit (the rule of the roster, evidence/roster.h). */
#define SHAREFILE_KEY_MASTER_ID_MAX 64
#define SHAREFILE_SALT_BYTES 16 /* crypto_pwhash_SALTBYTES */
#define SHAREFILE_NONCE_BYTES 24 /* crypto_aead_xchacha20poly1305_ietf_NPUBBYTES */
#define SHAREFILE_TAG_BYTES 16 /* crypto_aead_xchacha20poly1305_ietf_ABYTES */
#define SHAREFILE_CIPHERTEXT_BYTES (SHAMIR_SCALAR_BYTES + SHAREFILE_TAG_BYTES)
/* Larger files are refused before parsing (the largest valid one is 212 bytes). */
#define SHAREFILE_MAX_BYTES 512

/* Argon2id parameters (libsodium's crypto_pwhash units: passes, bytes). The default is
 * libsodium's MODERATE; nothing below INTERACTIVE is written or read, and nothing above
 * SHAREFILE_MEMLIMIT_MAX is read, so a hostile file cannot make us allocate more than 1 GiB. */
#define SHAREFILE_OPSLIMIT_MIN 2u /* crypto_pwhash_OPSLIMIT_INTERACTIVE */
#define SHAREFILE_OPSLIMIT_DEFAULT 3u /* crypto_pwhash_OPSLIMIT_MODERATE */
#define SHAREFILE_OPSLIMIT_MAX 10u /* a bound on the time a hostile file can cost */
#define SHAREFILE_MEMLIMIT_MIN 67108864u /* 64 MiB, crypto_pwhash_MEMLIMIT_INTERACTIVE */
#define SHAREFILE_MEMLIMIT_DEFAULT 268435456u /* 256 MiB, crypto_pwhash_MEMLIMIT_MODERATE */
#define SHAREFILE_MEMLIMIT_MAX 1073741824u /* 1 GiB, crypto_pwhash_MEMLIMIT_SENSITIVE */

/* The public fields of a share file. */
struct sharefile_header {
	uint8_t vault_id[SHAREFILE_VAULT_ID_BYTES]; /* feldman_commitments_id() of the vault */
	unsigned share_index; /* 1..SHAMIR_MAX_SHARES */
	char key_master_id[SHAREFILE_KEY_MASTER_ID_MAX + 1];
	uint32_t opslimit;
	uint32_t memlimit;
};

/* Fill `h` for a share of vault `vault_id` (borrowed) at `share_index` for `key_master_id`, with
 * the default KDF parameters. Refuses (CER_ERR_USAGE) an index outside 1..SHAMIR_MAX_SHARES or a
 * malformed key master id; `h` is written on success only. */
__attribute__((warn_unused_result)) int sharefile_header_init(struct sharefile_header *h,
                                                              const uint8_t vault_id[SHAREFILE_VAULT_ID_BYTES],
                                                              unsigned share_index, const char *key_master_id);

/* Encrypt `share` (a canonical nonzero scalar, borrowed) under `passphrase` (passphrase_len bytes,
 * 1..PASSPHRASE_MAX) and write it to `path`, a new file of mode 0600: an existing file is never
 * overwritten (CER_ERR_REFUSED). The file is fsync'd, then its directory; on failure nothing is
 * left at `path`. The KDF parameters are those of `h` and must lie within the MIN..MAX bounds
 * above (CER_ERR_USAGE otherwise). */
__attribute__((warn_unused_result)) int sharefile_write(const char *path, const struct sharefile_header *h,
                                                        const uint8_t share[SHAMIR_SCALAR_BYTES],
                                                        const char *passphrase, size_t passphrase_len);

/* Read the share file at `path`, which must belong to the vault `expected_vault_id`, and decrypt it
 * with `passphrase`. On success *out holds its header and `share_out` (sodium_malloc'd by the
 * caller, SHAMIR_SCALAR_BYTES) the share; on failure neither is touched. The share still has to be
 * checked against the vault's commitments (shamir_verify_share()).
 * Refusals, each naming the path: missing (CER_ERR_NOT_FOUND); larger than SHAREFILE_MAX_BYTES,
 * truncated, trailing bytes, bad magic, a malformed field, a decrypted share that is not a canonical
 * nonzero scalar (CER_ERR_FORMAT); unknown version, KDF parameters out of bounds, checked before
 * the key derivation (CER_ERR_UNSUPPORTED); a share file of another vault, checked before any
 * cryptography (CER_ERR_REFUSED); wrong passphrase or any changed byte (CER_ERR_VERIFY "wrong
 * passphrase or corrupted share file"); an empty passphrase (CER_ERR_USAGE). */
__attribute__((warn_unused_result)) int sharefile_read(const char *path,
                                                       const uint8_t expected_vault_id[SHAREFILE_VAULT_ID_BYTES],
                                                       const char *passphrase, size_t passphrase_len,
                                                       struct sharefile_header *out, uint8_t *share_out);

#endif
