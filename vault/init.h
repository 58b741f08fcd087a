/* Vault initialization (inside a vault-initialization ceremony): a random master secret, split
 * t of n (vault/shamir), each key master's share written to a file encrypted under their
 * passphrase (vault/sharefile), the public identity (vault/identity) and the vault log's first
 * entries, signed by the audit key derived from the master secret. The master secret and every
 * share are wiped before it returns; nothing secret is written in clear. */
#ifndef CEREMONY_VAULT_INIT_H
#define CEREMONY_VAULT_INIT_H

#include <stddef.h>

#include "common/vault_identity.h"

struct vault_init_request {
	const char *dir; /* the vault directory: created; must not exist or be empty */
	const char *shares_dir; /* where share files go (KEYMASTER.share), created if missing */
	unsigned threshold;
	const char *const *key_masters; /* ids, in share order */
	const char *const *passphrase_files; /* one per key master, or NULL: ask on the terminal */
	unsigned key_master_count;
	const char *who; /* who asked (the operator), for the log */
	int fast_kdf; /* tests only: the cheapest Argon2id settings the share files accept */
};

__attribute__((warn_unused_result)) int vault_init(const struct vault_init_request *request,
                                                   struct vault_identity *identity_out);

#endif
