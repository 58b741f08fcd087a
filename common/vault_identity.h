/* The vault's public identity (DIR/vault.json): its id, the quorum, the Feldman commitments, the
 * key masters and their share indexes, and the audit public key that signs the vault log. It is
 * public and goes into the evidence; docs/formats/vault-identity.md is the format. */
#ifndef CEREMONY_COMMON_VAULT_IDENTITY_H
#define CEREMONY_COMMON_VAULT_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "common/feldman.h"

#define VAULT_IDENTITY_FILE "vault.json"
#define VAULT_LOG_FILE "vault.log"
#define VAULT_IDENTITY_VERSION 1
#define VAULT_IDENTITY_MAX (64 * 1024)
#define VAULT_KEY_MASTER_ID_MAX 64

struct vault_identity {
	uint8_t id[FELDMAN_VAULT_ID_BYTES];
	struct feldman_commitments commitments; /* threshold inside */
	unsigned key_master_count;
	char key_masters[FELDMAN_MAX_SHARES][VAULT_KEY_MASTER_ID_MAX + 1]; /* key_masters[i] holds share i+1 */
	uint8_t audit_public_key[32];
};

/* Write DIR/vault.json (never overwritten), fsync'd. */
__attribute__((warn_unused_result)) int vault_identity_write(const char *dir, const struct vault_identity *identity);
/* Read and check DIR/vault.json strictly: exact fields, types, hex lengths, valid commitments,
 * and an id that is the commitments' id. Errors name the file. */
__attribute__((warn_unused_result)) int vault_identity_read(const char *dir, struct vault_identity *out);

/* The same, from an identity file anywhere (a copy an auditor holds, or one the evidence keeps). */
__attribute__((warn_unused_result)) int vault_identity_read_file(const char *path, struct vault_identity *out);

#endif
