/* The evidence joined with the vault's own log (`verify --vault-log`, docs/verify.md, "The vault
 * log"): every vault operation a record claims is the log's line at that seq, with that hash, the
 * same operation, key, fingerprint and outcome; every line written during the ceremony that needs a
 * record is explained by one; the log's chain and signatures hold, and what it says during the
 * ceremony is the vault's word (no uncertified session-key lines); a key destroyed is never used
 * again. The log is read in bounded memory; the claims are as many as the evidence reports. */
#ifndef CEREMONY_VERIFIER_VAULT_JOIN_H
#define CEREMONY_VERIFIER_VAULT_JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "evidence/record.h"
#include "verifier/findings.h"

/* One vault operation a record claims, and where in the evidence it was claimed. */
struct vault_claim {
	struct record_vault_op op;
	uint32_t record; /* its sequence */
	char step[RECORD_ID_MAX + 1];
	char commit[41]; /* hex */
};

/* What the evidence says about the vault, collected while it is verified (evidence_check). */
struct vault_claims {
	struct vault_claim *items;
	size_t count, cap;
	int has_vault; /* the vault's id and audit key: from the genesis record or a vault-init record */
	uint8_t vault_id[32];
	uint8_t audit_key[32];
	char first_time[RECORD_TIME_CHARS + 1]; /* the genesis record's time: the ceremony starts */
	char close_time[RECORD_TIME_CHARS + 1]; /* the close record's, "" while the ceremony is open */
};

/* Note what record `rec` (sequence rec->sequence, commit `hex`) says about the vault. */
__attribute__((warn_unused_result)) int vault_claims_note(struct vault_claims *claims, const struct record *rec,
                                                          const char *hex);
void vault_claims_free(struct vault_claims *claims);

struct vault_join_result {
	uint64_t entries; /* log lines read */
	size_t joined; /* claims found in the log as claimed */
};

/* Join `claims` with the vault log at `log_path`, adding findings (docs/verify.md: vault-unknown,
 * vault-log-invalid, vault-log-uncertified, vault-op-missing, vault-op-mismatch, vault-op-unexplained,
 * vault-key-used-after-destroy). Returns 0 once the join ran (whatever it found); a negative cer_err
 * when the log cannot be read at all (CER_ERR_NOT_FOUND, CER_ERR_IO). */
__attribute__((warn_unused_result)) int vault_join(const char *log_path, const struct vault_claims *claims,
                                                   struct findings *findings, struct vault_join_result *result);

/* Check the share contributions the records report against the vault's public identity
 * (vault.json): it must be the vault the evidence pins (vault-identity-mismatch), and each share's
 * public point must be what the commitments say for its index, held by the key master the identity
 * names for it (vault-share-invalid). Adds findings; returns 0, or a negative cer_err. */
struct vault_identity;
__attribute__((warn_unused_result)) int
vault_check_shares(const struct vault_claims *claims, const struct vault_identity *identity, struct findings *findings);

#endif
