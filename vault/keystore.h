/* The vault's keys at rest (DESIGN.md section 5, "Vault"; byte-level format: docs/formats/keystore.md).
 *
 * Each private key is stored encrypted under a key-encryption key (KEK) derived from the vault's
 * master secret, in DIR/keys/LABEL.key (mode 0600), beside its public key DIR/keys/LABEL.pub
 * (PEM SubjectPublicKeyInfo). A key file is XChaCha20-Poly1305 of the PKCS#8 DER private key with
 * a random nonce; its associated data is the file's whole header (format version, label, algorithm,
 * fingerprint), so a file renamed to another label, altered on disk or written by another vault
 * is refused: "keystore file PATH was altered or belongs to another vault".
 *
 * A destroyed key leaves a tombstone DIR/keys/LABEL.destroyed naming its algorithm and fingerprint:
 * the key can never be used again. A new key may take the label once the destroy is complete: the
 * old tombstone is then kept as LABEL.destroyed-FP16 (the first 16 hex digits of the destroyed key's
 * fingerprint; a restarted ceremony makes its key again under the scenario's label). LABEL.pub stays, so that what the key signed before can still
 * be checked. The tombstone is not authenticated (destroy needs no secret): the vault log, which
 * records every destroy, is what proves it.
 *
 * Labels: 1 to KEYSTORE_LABEL_MAX characters of [a-z0-9._-], the first a letter or a digit.
 * Secrets (the master secret, the KEK, decrypted keys) are only in the caller's sodium_malloc'd
 * memory or in sodium_malloc'd work areas wiped before return. ceremony_init() must have been called. */
#ifndef CEREMONY_VAULT_KEYSTORE_H
#define CEREMONY_VAULT_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "vault/keys.h"

#define KEYSTORE_MASTER_BYTES 32 /* the vault's master secret, a ristretto255 scalar */
#define KEYSTORE_KEK_BYTES 32
/* crypto_kdf_derive_from_key(kek, KEYSTORE_KEK_BYTES, KEYSTORE_KDF_SUBKEY_ID, KEYSTORE_KDF_CONTEXT, master) */
#define KEYSTORE_KDF_CONTEXT "CERKEYST"
#define KEYSTORE_KDF_SUBKEY_ID 1

#define KEYSTORE_SUBDIR "keys"
#define KEYSTORE_KEY_SUFFIX ".key"
#define KEYSTORE_PUBLIC_SUFFIX ".pub"
#define KEYSTORE_TOMBSTONE_SUFFIX ".destroyed"
#define KEYSTORE_LABEL_MAX 64

/* Key file: KEYSTORE_MAGIC, uint32 KEYSTORE_VERSION, string label, string algorithm, string
 * fingerprint, byte[KEYSTORE_NONCE_BYTES] nonce, string ciphertext (docs/formats/keystore.md). */
#define KEYSTORE_MAGIC "CEREMKEY"
#define KEYSTORE_MAGIC_BYTES 8
#define KEYSTORE_VERSION 1
#define KEYSTORE_NONCE_BYTES 24 /* crypto_aead_xchacha20poly1305_ietf_NPUBBYTES */
#define KEYSTORE_TAG_BYTES 16 /* crypto_aead_xchacha20poly1305_ietf_ABYTES */
#define KEYSTORE_CIPHERTEXT_MAX (VAULT_KEY_PRIVATE_DER_MAX + KEYSTORE_TAG_BYTES)
#define KEYSTORE_FILE_MAX                                                                                              \
	(KEYSTORE_MAGIC_BYTES + 4 + 4 + KEYSTORE_LABEL_MAX + 4 + VAULT_KEY_ALG_NAME_MAX + 4 +                          \
	 VAULT_KEY_FINGERPRINT_BYTES + KEYSTORE_NONCE_BYTES + 4 + KEYSTORE_CIPHERTEXT_MAX)

/* Tombstone: four lines of text (docs/formats/keystore.md). */
#define KEYSTORE_TOMBSTONE_MAGIC "ceremony-keystore-tombstone 1"
#define KEYSTORE_TOMBSTONE_MAX 512

/* At most this many keys (live or destroyed) in one keystore. */
#define KEYSTORE_ENTRIES_MAX 1024

/* Derive the key-encryption key from the master secret (both KEYSTORE_*_BYTES, both in memory the
 * caller sodium_malloc'd): BLAKE2b as libsodium's crypto_kdf_derive_from_key, context
 * KEYSTORE_KDF_CONTEXT, subkey id KEYSTORE_KDF_SUBKEY_ID. Writes `kek_out` on success only.
 * Returns 0 or CER_ERR_INTERNAL. */
__attribute__((warn_unused_result)) int keystore_kek_derive(uint8_t kek_out[KEYSTORE_KEK_BYTES],
                                                            const uint8_t master[KEYSTORE_MASTER_BYTES]);

/* Is `label` a valid key label? Returns 0 or CER_ERR_USAGE (the label is not repeated: it may be
 * anything). */
__attribute__((warn_unused_result)) int keystore_label_check(const char *label);

/* Store `key` (borrowed) under `label` in DIR/keys (created 0700 if missing; DIR must exist):
 * LABEL.key written whole or not at all (temporary file, fsync, link, fsync of the directory) and
 * never over an existing file, then LABEL.pub. Returns 0; CER_ERR_USAGE (bad label);
 * CER_ERR_REFUSED "key \"LABEL\" already exists" or "key \"LABEL\" is being destroyed: destroy it
 * again to finish first"; CER_ERR_IO; CER_ERR_INTERNAL. Over a completed destroy's tombstone, the
 * tombstone is archived first (see above). */
__attribute__((warn_unused_result)) int keystore_put(const char *dir, const uint8_t kek[KEYSTORE_KEK_BYTES],
                                                     const char *label, const struct vault_key *key);

/* Load the key stored under `label`. Returns 0 and *out (free with vault_key_free()); CER_ERR_USAGE
 * (bad label); CER_ERR_REFUSED "key \"LABEL\" was destroyed"; CER_ERR_NOT_FOUND (no such key);
 * CER_ERR_FORMAT (not a key file, unknown version, truncated, trailing bytes);
 * CER_ERR_UNSUPPORTED (unknown algorithm); CER_ERR_VERIFY "keystore file PATH was altered or belongs
 * to another vault" (wrong master secret, the file of another label, any byte changed).
 * *out is set on success only. */
__attribute__((warn_unused_result)) int keystore_get(const char *dir, const uint8_t kek[KEYSTORE_KEK_BYTES],
                                                     const char *label, struct vault_key **out);

enum keystore_key_state {
	KEYSTORE_KEY_LIVE = 1, /* LABEL.key, checked under the KEK */
	KEYSTORE_KEY_DESTROYED = 2, /* LABEL.destroyed: algorithm and fingerprint as the tombstone says */
};

struct keystore_entry {
	char label[KEYSTORE_LABEL_MAX + 1];
	enum vault_key_alg alg;
	uint8_t fingerprint[VAULT_KEY_FINGERPRINT_BYTES];
	enum keystore_key_state state;
};

struct keystore_entries {
	struct keystore_entry *entries; /* sorted by label */
	size_t count;
};

/* Every key of the keystore, live and destroyed, sorted by label. Each live key file is
 * authenticated under `kek` (decrypted into secure memory and wiped, never parsed), so the
 * algorithm and fingerprint listed are the ones the vault wrote; the first file that fails is
 * refused as keystore_get() would. Files that are neither LABEL.key nor LABEL.destroyed with a valid
 * label are ignored (LABEL.pub, a temporary file left by a crash). A missing DIR/keys is an empty
 * keystore. Returns 0 and *out (free with keystore_entries_free()); CER_ERR_IO; CER_ERR_FORMAT (more
 * than KEYSTORE_ENTRIES_MAX keys, a malformed tombstone); the errors of keystore_get(). */
__attribute__((warn_unused_result)) int keystore_list(struct keystore_entries **out, const char *dir,
                                                      const uint8_t kek[KEYSTORE_KEK_BYTES]);
void keystore_entries_free(struct keystore_entries *list);

/* Destroy the key stored under `label`: write the tombstone LABEL.destroyed (algorithm and
 * fingerprint from the key file's header), overwrite LABEL.key with zeros, fsync, unlink it and
 * fsync the directory. Overwriting is best effort (journaling and copy-on-write file systems, SSDs
 * may keep old blocks); the file was encrypted. A destroy interrupted after the tombstone was
 * written is finished by calling this again. Returns 0; CER_ERR_USAGE (bad label);
 * CER_ERR_NOT_FOUND (no such key); CER_ERR_REFUSED "key \"LABEL\" was already destroyed";
 * CER_ERR_FORMAT or CER_ERR_UNSUPPORTED (a key file whose header does not parse is left alone);
 * CER_ERR_IO. */
__attribute__((warn_unused_result)) int keystore_destroy(const char *dir, const char *label);

#endif
