/* The script's rules for vault operations (docs/verify.md, "script-vault"): what each vault step
 * must report, and the life of the keys a ceremony makes. Shared by the recorder, which checks a
 * record before anyone signs it, and the verifier, which replays the evidence. */
#include <stdio.h>
#include <string.h>

#include "evidence/script.h"

static const char *step_op(enum step_kind kind)
{
	switch (kind) {
	case STEP_VAULT_GENERATE:
		return "generate";
	case STEP_VAULT_EXPORT:
		return "export";
	case STEP_VAULT_SIGN:
		return "sign";
	case STEP_VAULT_DESTROY:
		return "destroy";
	case STEP_VAULT_SEAL:
		return "seal";
	case STEP_VAULT_UNSEAL:
		return "unseal";
	case STEP_VAULT_INIT:
		return "init";
	default:
		return NULL;
	}
}

static long find_label(char (*labels)[SCENARIO_ID_MAX + 1], size_t count, const char *label)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(labels[i], label) == 0)
			return (long)i;
	return -1;
}

static int was_destroyed(const struct script_state *state, const uint8_t fingerprint[32])
{
	for (size_t i = 0; i < state->destroyed_key_count; i++)
		if (memcmp(state->destroyed_keys[i], fingerprint, 32) == 0)
			return 1;
	return 0;
}

/* The bookkeeping of one operation that happened (outcome ok). */
static int note_op(struct script_state *state, const struct record_vault_op *op, struct script_violation *v)
{
	long at;

	if (strcmp(op->outcome, "ok") == 0 && strcmp(op->op, "init") == 0 && op->has_vault) {
		state->has_vault = 1;
		memcpy(state->vault_id, op->vault_id, 32);
		memcpy(state->vault_audit_key, op->audit_key, 32);
	}
	if (strcmp(op->outcome, "ok") != 0 || op->label[0] == '\0')
		return 0;
	if (op->has_fingerprint && was_destroyed(state, op->fingerprint))
		return script_violate(v, "script-key-destroyed",
		                      "vault operation %s on key %s, whose fingerprint is that of a destroyed key",
		                      op->op, op->label);
	if (strcmp(op->op, "generate") == 0) {
		if (find_label(state->session_keys, state->session_key_count, op->label) < 0) {
			if (state->session_key_count == SCRIPT_SESSION_KEYS_MAX)
				return script_violate(v, "script-vault", "more than %d keys made in one session",
				                      SCRIPT_SESSION_KEYS_MAX);
			snprintf(state->session_keys[state->session_key_count++], SCENARIO_ID_MAX + 1, "%s", op->label);
		}
	} else if (strcmp(op->op, "destroy") == 0) {
		at = find_label(state->session_keys, state->session_key_count, op->label);
		if (at >= 0)
			memcpy(state->session_keys[at], state->session_keys[--state->session_key_count],
			       SCENARIO_ID_MAX + 1);
		if (!op->has_fingerprint)
			return script_violate(v, "script-vault", "the destroy of key %s does not say its fingerprint",
			                      op->label);
		if (state->destroyed_key_count == SCRIPT_DESTROYED_KEYS_MAX)
			return script_violate(v, "script-vault", "more than %d keys destroyed in one ceremony",
			                      SCRIPT_DESTROYED_KEYS_MAX);
		memcpy(state->destroyed_keys[state->destroyed_key_count++], op->fingerprint, 32);
	}
	return 0;
}

static const struct record_attachment *attachment_named(const struct record *rec, const char *name)
{
	for (size_t i = 0; i < rec->attachment_count; i++)
		if (strcmp(rec->attachments[i].name, name) == 0)
			return &rec->attachments[i];
	return NULL;
}

/* A vault-unseal step: one or more distinct accepted contributions, then the unseal that they made. */
static int check_unseal(const struct record *rec, struct script_violation *v)
{
	size_t n = rec->vault_op_count;

	if (n < 2 || strcmp(rec->vault_ops[n - 1].op, "unseal") != 0 ||
	    strcmp(rec->vault_ops[n - 1].outcome, "ok") != 0)
		return script_violate(v, "script-vault",
		                      "step %s must report the share contributions and the unseal "
		                      "that opened the vault",
		                      rec->step);
	for (size_t i = 0; i + 1 < n; i++) {
		const struct record_vault_op *op = &rec->vault_ops[i];
		if (strcmp(op->op, "unseal-share") != 0 || strcmp(op->outcome, "ok") != 0 || op->who[0] == '\0' ||
		    op->share_index == 0 || !op->has_point)
			return script_violate(
			        v, "script-vault",
			        "step %s reports %s where an accepted share contribution (key master, index, "
			        "public point) belongs",
			        rec->step, op->op);
		for (size_t k = 0; k < i; k++)
			if (strcmp(rec->vault_ops[k].who, op->who) == 0 ||
			    rec->vault_ops[k].share_index == op->share_index)
				return script_violate(v, "script-vault",
				                      "step %s counts key master %s or share %u twice", rec->step,
				                      op->who, op->share_index);
	}
	return 0;
}

/* A vault-init step: exactly one accepted init that names the vault it made; a ceremony makes one. */
static int check_init(const struct script_state *state, const struct record *rec, struct script_violation *v)
{
	const struct record_vault_op *op = &rec->vault_ops[0];

	if (rec->vault_op_count != 1 || strcmp(op->op, "init") != 0 || strcmp(op->outcome, "ok") != 0 || !op->has_vault)
		return script_violate(v, "script-vault",
		                      "step %s must report exactly one accepted init and the vault it made", rec->step);
	if (state->has_vault)
		return script_violate(v, "script-vault", "step %s makes a second vault in one ceremony", rec->step);
	return 0;
}

/* A step of a key-working kind: exactly its operation, accepted, on the scenario's key. */
static int check_key_step(const struct scenario_step *step, const struct record *rec, const char *want,
                          struct script_violation *v)
{
	const struct record_vault_op *op = &rec->vault_ops[0];
	const struct record_attachment *input;

	if (rec->vault_op_count != 1 || strcmp(op->op, want) != 0 || strcmp(op->outcome, "ok") != 0)
		return script_violate(v, "script-vault", "step %s must report exactly one accepted %s", rec->step,
		                      want);
	if (step->kind == STEP_VAULT_SEAL)
		return 0;
	if (strcmp(op->label, step->key.label) != 0)
		return script_violate(v, "script-vault", "step %s worked on key \"%s\", the scenario names \"%s\"",
		                      rec->step, op->label, step->key.label);
	if (step->key.algorithm[0] != '\0' && strcmp(op->algorithm, step->key.algorithm) != 0)
		return script_violate(v, "script-vault", "step %s: key %s is %s, the scenario says %s", rec->step,
		                      op->label, op->algorithm[0] ? op->algorithm : "of no stated algorithm",
		                      step->key.algorithm);
	if (!op->has_fingerprint)
		return script_violate(v, "script-vault", "step %s does not report the key's fingerprint", rec->step);
	if (step->kind == STEP_VAULT_SIGN) {
		input = attachment_named(rec, step->key.sign_input);
		if (!op->has_message || !op->has_signature)
			return script_violate(v, "script-vault",
			                      "step %s does not report what was signed and the signature", rec->step);
		if (input == NULL || memcmp(input->sha256, op->message_sha256, 32) != 0)
			return script_violate(v, "script-vault",
			                      "step %s signed something other than its attachment %s", rec->step,
			                      step->key.sign_input);
	}
	return 0;
}

int script_check_vault_ops(struct script_state *state, const struct scenario_step *step, const struct record *rec,
                           struct script_violation *v)
{
	const char *want;
	int r = 0;

	if (rec->type == RECORD_STEP) {
		want = step_op(step->kind);
		if (want == NULL && rec->vault_op_count > 0)
			return script_violate(v, "script-vault",
			                      "step %s is not a vault step, yet reports a vault operation", rec->step);
		if (step->kind == STEP_VAULT_UNSEAL)
			r = check_unseal(rec, v);
		else if (step->kind == STEP_VAULT_INIT)
			r = check_init(state, rec, v);
		else if (want != NULL)
			r = check_key_step(step, rec, want, v);
		if (r != 0)
			return r;
	} else if (rec->type == RECORD_CLOSE && rec->vault_op_count > 0) {
		return script_violate(v, "script-vault", "a closing record reports a vault operation");
	} else if (rec->type == RECORD_RESTART) {
		for (size_t i = 0; i < rec->vault_op_count; i++)
			if (strcmp(rec->vault_ops[i].op, "destroy") != 0 && strcmp(rec->vault_ops[i].op, "seal") != 0)
				return script_violate(v, "script-vault",
				                      "a restart reports %s; it only destroys keys and seals",
				                      rec->vault_ops[i].op);
	}
	for (size_t i = 0; i < rec->vault_op_count; i++)
		if ((r = note_op(state, &rec->vault_ops[i], v)) != 0)
			return r;
	if (rec->type == RECORD_RESTART && state->session_key_count > 0)
		return script_violate(v, "script-keys-not-destroyed",
		                      "restart while key %s%s made in the invalidated session %s not destroyed",
		                      state->session_keys[0], state->session_key_count > 1 ? " (and others)" : "",
		                      state->session_key_count > 1 ? "are" : "is");
	return 0;
}
