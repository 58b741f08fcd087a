/* The recorder's side of the vault (DESIGN.md section 4, "vault step"): ask the ceremony's vault for
 * exactly the operation a step's scenario specifies, and turn its answer into the record's
 * <vault-operation> entries. Nothing here chooses a key, an algorithm or a label: they come from the
 * scenario. Only public values cross into the evidence: fingerprints, digests, log references,
 * public share points; the share a key master contributes is decrypted in secure memory, sent and
 * wiped. */
#ifndef CEREMONY_RECORDER_VAULT_STEP_H
#define CEREMONY_RECORDER_VAULT_STEP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "evidence/record.h"
#include "evidence/scenario.h"

/* The attachments a vault step's output fills when its scenario declares them: the recorder
 * attaches them, never the operator. */
#define VAULT_EXPORT_ATTACHMENT "public-key"
#define VAULT_SIGNATURE_ATTACHMENT "signature"
#define VAULT_IDENTITY_ATTACHMENT "vault-identity"

/* What the vault did for one action: its operations (in order) and, for export and sign, its
 * output (the PEM public key, the signature). `refused` says the vault refused or failed the last
 * operation: then `happened` says how, for the incident record, and `ops` holds that operation
 * with its outcome. */
struct vault_outcome {
	struct record_vault_op ops[RECORD_VAULT_OPS_MAX];
	size_t op_count;
	int refused;
	char happened[512];
	char said[512]; /* the vault's message about the last operation, for people */
	struct buf output;
};

void vault_outcome_init(struct vault_outcome *o);
void vault_outcome_free(struct vault_outcome *o);

/* Is the vault in `dir` the one the ceremony pinned (its id and audit key, from the genesis record
 * or the record of its vault-init step)? Reads DIR/vault.json. Refused (CER_ERR_REFUSED) otherwise. */
__attribute__((warn_unused_result)) int vault_step_check_vault(const char *dir, const uint8_t id[32],
                                                               const uint8_t audit_key[32]);

/* A vault-init step: make the vault in `dir` (vault/init.h: the master secret split `threshold` of
 * the key masters, each share file under SHARES_DIR/ID.share encrypted under that key master's
 * passphrase, from "ID=FILE" in `passphrase_files` or typed on the terminal), then report the init
 * operation (the vault's id and audit key, the seq and hash of the log line) and, as out->output,
 * the public identity DIR/vault.json. Errors are returned; a failed init leaves nothing behind. */
struct vault_step_init_request {
	const char *dir;
	const char *shares_dir;
	unsigned threshold;
	const char *const *key_masters;
	unsigned key_master_count;
	const char *const *passphrase_files; /* "ID=FILE" */
	size_t passphrase_file_count;
	const char *who;
};
__attribute__((warn_unused_result)) int vault_step_init(const struct vault_step_init_request *request,
                                                        struct vault_outcome *out);

/* The genesis record's <vault>: id and audit key from DIR/vault.json. */
__attribute__((warn_unused_result)) int vault_step_identity(const char *dir, uint8_t id[32], uint8_t audit_key[32]);

/* Perform the operation of `step` (generate, export, sign, destroy, seal) for participant `who`;
 * for vault-sign, `input` is the attachment's bytes. Returns 0 once the vault answered (ok or
 * refused: see out->refused); a negative cer_err when it could not be asked (no vault process, a
 * malformed answer): then nothing was done that the evidence must know of. */
__attribute__((warn_unused_result)) int vault_step_run(const char *dir, const struct scenario_step *step,
                                                       const char *who, const uint8_t *input, size_t input_len,
                                                       struct vault_outcome *out);

/* For a vault-unseal step's record: what opened the vault, from its status (each contribution and
 * the unseal line). Refused (CER_ERR_REFUSED) while the vault is sealed, saying how many shares it
 * has of how many. */
__attribute__((warn_unused_result)) int vault_step_opened_by(const char *dir, struct vault_outcome *out);

/* Destroy key `label` / seal the vault, for `who`, appending the operation to `out` (a restart, an
 * incident). Same returns as vault_step_run(). */
__attribute__((warn_unused_result)) int vault_step_destroy(const char *dir, const char *who, const char *label,
                                                           struct vault_outcome *out);
__attribute__((warn_unused_result)) int vault_step_seal(const char *dir, const char *who, struct vault_outcome *out);

/* Is the vault open? 1 or 0; a negative cer_err when it cannot be asked. */
__attribute__((warn_unused_result)) int vault_step_is_open(const char *dir);

/* A key master's contribution: decrypt `share_path` with their passphrase (`passphrase_file`, or
 * the terminal), check that the share file is `key_master`'s (NULL: whoever the file names), send
 * it. The key master's name goes with it, for the vault's log. Returns as vault_step_run();
 * out->ops gets the unseal-share operation (and the unseal, when it opened the vault). Errors
 * before anything reached the vault (wrong passphrase, someone else's share file) are returned. */
__attribute__((warn_unused_result)) int vault_step_contribute(const char *dir, const char *key_master,
                                                              const char *share_path, const char *passphrase_file,
                                                              struct vault_outcome *out);

#endif
