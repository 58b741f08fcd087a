/* The script: does a sequence of records follow the published scenario? One implementation of
 * the rules, used by the recorder (to decide what is next, and what is an incident) and by the
 * verifier (to replay the evidence), so that they can never disagree.
 *
 * Rules (docs/formats/scenario.md, "Sessions"): a session runs the scenario's steps in order,
 * each signed off by distinct people as its rule says; an incident invalidates the session, after
 * which only a restart (signed as the scenario says) is accepted, opening the next session at step
 * 1; a close record follows the last step of a valid session; nothing follows close. */
#ifndef CEREMONY_EVIDENCE_SCRIPT_H
#define CEREMONY_EVIDENCE_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "evidence/record.h"
#include "evidence/scenario.h"

/* Keys the vault made in the current session and did not destroy (labels), and every key destroyed
 * so far (fingerprints: a label may name a new key after its key was destroyed): an invalidated
 * session's keys must be destroyed before its restart, and a destroyed key is never used again
 * (evidence/script_vault.c). */
#define SCRIPT_SESSION_KEYS_MAX 64
#define SCRIPT_DESTROYED_KEYS_MAX 256

struct script_state {
	const struct scenario *scenario; /* borrowed */
	char session_keys[SCRIPT_SESSION_KEYS_MAX][SCENARIO_ID_MAX + 1];
	size_t session_key_count;
	uint8_t destroyed_keys[SCRIPT_DESTROYED_KEYS_MAX][32];
	size_t destroyed_key_count;
	/* The vault a vault-init step made (its record's init operation), pinning it for later steps. */
	int has_vault;
	uint8_t vault_id[32];
	uint8_t vault_audit_key[32];
	uint32_t session;
	size_t next_step; /* index of the step the session expects next */
	int invalidated; /* an incident ended this session: only restart is accepted */
	int closed;
	size_t incidents;
	size_t restarts;
};

/* Where a record breaks the script: a stable code (docs/verify.md) and a sentence. */
struct script_violation {
	const char *code;
	char message[512];
};

/* The state right after the genesis record. */
void script_start(struct script_state *state, const struct scenario *scenario);

/* Check `record`, signed off by the distinct roster participants `signers`, against the script,
 * and advance the state. Returns 0 when it conforms; otherwise 1 with *violation set (the state
 * still advances as the record's type says, so later records are judged sensibly). */
int script_apply(struct script_state *state, const struct record *record, const size_t *signers, size_t signer_count,
                 struct script_violation *violation);

/* Would `record` conform as the next record, once enough people sign it? Everything script_apply
 * checks except that the sign-off rule is met; the state does not change. The recorder checks a
 * pending record with it before anyone is asked to sign. */
int script_check_proposal(const struct script_state *state, const struct record *record, const size_t *signers,
                          size_t signer_count, struct script_violation *violation);

/* Check only the sign-offs of a record of `type` at step `step` (-1 for incident, restart,
 * close): every signer must be allowed, and (when `complete`) the rule met. Used by the recorder
 * to decide between pending and commit. Returns 0, or 1 with *violation. */
int script_check_signoffs(const struct script_state *state, enum record_type type, long step, const size_t *signers,
                          size_t signer_count, int complete, struct script_violation *violation);

/* Set *violation (its code and a sentence) and return 1: for the script's own modules. */
__attribute__((format(printf, 3, 4))) int script_violate(struct script_violation *violation, const char *code,
                                                         const char *fmt, ...);

/* The vault operations of `record` against the script (evidence/script_vault.c): a step record
 * reports exactly the operation its step's kind asks for, on the key the scenario names (`step` is
 * that step; NULL for incident, restart and close records); a restart destroys every key its
 * session made and did not destroy; no operation touches a destroyed key. Applies the key
 * bookkeeping to `state`. Returns 0, or 1 with *violation ("script-vault", "script-key-destroyed",
 * "script-keys-not-destroyed"). */
int script_check_vault_ops(struct script_state *state, const struct scenario_step *step, const struct record *record,
                           struct script_violation *violation);

/* The sign-off rule of a record type at the current state (NULL for incidents: anyone may sign). */
const struct signoff_rule *script_rule(const struct script_state *state, enum record_type type, long step);

#endif
