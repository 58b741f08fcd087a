/* The vault's audit key: the Ed25519 key that signs the vault log. It is derived from the master
 * secret (crypto_kdf, context AUDIT_KDF_CONTEXT), so it exists only while the vault is open and is
 * never stored anywhere (docs/vault.md, "Who signs the vault log while the vault is sealed"). */
#ifndef CEREMONY_VAULT_AUDIT_H
#define CEREMONY_VAULT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_KDF_CONTEXT "CERAUDIT"
#define AUDIT_KDF_SUBKEY 1

struct audit_key {
	uint8_t public_key[32];
	uint8_t *secret; /* 64 bytes, sodium_malloc'd */
};

/* Derive the audit key from the master secret (32 bytes, borrowed). */
__attribute__((warn_unused_result)) int audit_key_derive(struct audit_key **out, const uint8_t master[32]);
/* An ephemeral session key of the same kind, random, for a vault process that is sealed: it signs
 * the log lines written before the audit key exists, and the audit-signed unseal line certifies it
 * (docs/vault.md). It is never stored and dies with the process. */
__attribute__((warn_unused_result)) int audit_session_key_generate(struct audit_key **out);
/* Wipes. Safe on NULL. */
void audit_key_free(struct audit_key *key);
/* A vault_log_sign_fn: ctx is the struct audit_key. */
int audit_key_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);

#endif
