/* The recorder's actions: propose a step, sign, declare an incident, restart, close. Each builds
 * the record the script expects, collects sign-offs, and commits when the rule is met; what breaks
 * the script becomes an incident record instead (DESIGN.md section 7, last sentence). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/pgpwords.h"
#include "common/sshsig.h"
#include "recorder/ceremony.h"
#include "recorder/pending.h"
#include "recorder/vault_step.h"

void action_result_init(struct action_result *r)
{
	memset(r, 0, sizeof(*r));
	r->message = buf_make(16384);
}

void action_result_free(struct action_result *r)
{
	buf_free(&r->message);
}

static const char *gitdir_of(const struct ceremony *c)
{
	return git_repository_path(evidence_store_repository(c->store));
}

/* Keep the open ceremony's view of the pending record equal to what is on disk, so that one
 * ceremony object can go on acting after a record became pending. */
static int reload_pending(struct ceremony *c)
{
	pending_free(c->pending);
	c->pending = NULL;
	return pending_load(&c->pending, gitdir_of(c));
}

/* Signed sign-offs of `bytes` by each signer (armored bufs owned by the caller). */
struct signoff_set {
	struct evidence_signoff items[EVIDENCE_SIGNOFFS_MAX];
	struct buf armored[EVIDENCE_SIGNOFFS_MAX];
	size_t people[EVIDENCE_SIGNOFFS_MAX];
	size_t count;
};

static void signoff_set_free(struct signoff_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		buf_free(&set->armored[i]);
	set->count = 0;
}

/* Who the signers are, refused before anything is signed: outside the roster, or a person twice. */
static int people_of(const struct ceremony *c, struct signer *const *signers, size_t count, size_t *people)
{
	struct sshkey_public keys[EVIDENCE_SIGNOFFS_MAX];

	if (count == 0 || count > EVIDENCE_SIGNOFFS_MAX)
		return err_set(CER_ERR_USAGE, "give 1 to %d -k KEY", EVIDENCE_SIGNOFFS_MAX);
	for (size_t i = 0; i < count; i++)
		keys[i] = *signer_public_key(signers[i]);
	return ceremony_signers_to_people(c, keys, count, people);
}

static int sign_all(struct signer *const *signers, size_t count, const struct buf *bytes, struct signoff_set *set,
                    size_t *failed)
{
	int r;

	for (size_t i = 0; i < count; i++) {
		set->armored[i] = buf_make(SSHSIG_ARMORED_MAX);
		set->count = i + 1;
		if ((r = sshsig_sign(signers[i], SSHSIG_NAMESPACE_RECORD, bytes->data, bytes->len, &set->armored[i])) !=
		    0) {
			*failed = i;
			return r;
		}
		set->items[i].key = *signer_public_key(signers[i]);
		set->items[i].armored = set->armored[i].data;
		set->items[i].armored_len = set->armored[i].len;
	}
	return 0;
}

/* A record with the ceremony's header fields filled from the tip. */
static int new_record(const struct ceremony *c, enum record_type type, const char *step, size_t actor,
                      struct record **out)
{
	int r;

	if ((r = record_new(out)) != 0)
		return r;
	memcpy((*out)->ceremony, c->genesis->ceremony, sizeof((*out)->ceremony));
	memcpy((*out)->scenario_sha256, c->genesis->scenario_sha256, 32);
	memcpy((*out)->previous_sha256, c->tip.record_sha256, 32);
	(*out)->sequence = c->tip.sequence + 1;
	(*out)->session = c->state.session;
	(*out)->type = type;
	snprintf((*out)->step, sizeof((*out)->step), "%s", step);
	snprintf((*out)->actor, sizeof((*out)->actor), "%s", c->scenario->roster->participants[actor]);
	record_time_now((*out)->time);
	return 0;
}

/* Commit and bring the ceremony's view up to date. */
static int commit(struct ceremony *c, const struct buf *bytes, const struct record *rec,
                  const struct evidence_signoff *signoffs, size_t count, const struct evidence_file *files,
                  size_t file_count, struct signer *committer, struct action_result *result)
{
	struct script_violation v;
	size_t people[EVIDENCE_SIGNOFFS_MAX];
	struct sshkey_public keys[EVIDENCE_SIGNOFFS_MAX];
	int r;

	if ((r = evidence_append_signed(c->store, bytes->data, bytes->len, signoffs, count, files, file_count,
	                                committer, EVIDENCE_DEFAULT_LOCK_WAIT_MS, &result->commit)) != 0)
		return r;
	result->committed = 1;
	result->sequence = rec->sequence;
	sha256_digest(bytes->data, bytes->len, result->record_sha256);
	c->tip.empty = 0;
	c->tip.commit = result->commit;
	c->tip.sequence = rec->sequence;
	c->tip.session = rec->session;
	c->tip.type = rec->type;
	memcpy(c->tip.record_sha256, result->record_sha256, 32);
	for (size_t i = 0; i < count; i++)
		keys[i] = signoffs[i].key;
	if ((r = ceremony_signers_to_people(c, keys, count, people)) != 0)
		return r;
	(void)script_apply(&c->state, rec, people, count, &v); /* checked before committing */
	if (c->pending != NULL) {
		pending_free(c->pending);
		c->pending = NULL;
		if ((r = pending_remove(gitdir_of(c))) != 0)
			return r;
	}
	return 0;
}

/* Record an incident of `kind` detected by the recorder (or declared), signed by `signers` (anyone
 * in the roster). The session is invalid afterwards; a pending record is discarded. */
static int record_incident(struct ceremony *c, enum incident_kind kind, const char *expected, const char *happened,
                           const struct vault_outcome *vault, struct signer *const *signers, size_t count,
                           struct action_result *result)
{
	struct signoff_set set = {0};
	struct buf bytes = buf_make(RECORD_BYTES_MAX);
	struct record *rec = NULL;
	size_t people[EVIDENCE_SIGNOFFS_MAX], failed = 0;
	long step = ceremony_next_step(c);
	int r;

	if ((r = people_of(c, signers, count, people)) != 0 ||
	    (r = new_record(c, RECORD_INCIDENT, step >= 0 ? c->scenario->steps[step].id : "incident", people[0],
	                    &rec)) != 0 ||
	    (r = record_set_incident(rec, kind, expected, happened)) != 0)
		goto out;
	for (size_t i = 0; vault != NULL && i < vault->op_count && r == 0; i++)
		r = record_add_vault_op(rec, &vault->ops[i]);
	if (r != 0 || (r = record_serialize(rec, &bytes)) != 0 ||
	    (r = sign_all(signers, count, &bytes, &set, &failed)) != 0 ||
	    (r = commit(c, &bytes, rec, set.items, count, NULL, 0, signers[0], result)) != 0)
		goto out;
	result->incident = kind != INCIDENT_DECLARED;
	r = buf_printf(&result->message,
	               "incident recorded as record %u (%s): expected: %s; happened: %s.\n"
	               "Session %u is invalid: only 'ceremony restart' is accepted now.\n",
	               rec->sequence, incident_kind_name(kind), expected, happened, rec->session);
out:
	signoff_set_free(&set);
	record_free(rec);
	buf_free(&bytes);
	return r;
}

/* After an automatic incident the action itself is refused: say so, with the incident's story. */
static int refuse_with_vault_incident(struct ceremony *c, enum incident_kind kind, const char *expected,
                                      const char *happened, const struct vault_outcome *vault,
                                      struct signer *const *signers, size_t count, struct action_result *result)
{
	int r = record_incident(c, kind, expected, happened, vault, signers, count, result);

	if (r != 0)
		return err_context(r, "%s, and the incident could not be recorded", happened);
	return err_set(CER_ERR_REFUSED, "%s: incident recorded as record %u; the session is invalid, restart it",
	               happened, result->sequence);
}

static int refuse_with_incident(struct ceremony *c, enum incident_kind kind, const char *expected, const char *happened,
                                struct signer *const *signers, size_t count, struct action_result *result)
{
	return refuse_with_vault_incident(c, kind, expected, happened, NULL, signers, count, result);
}

static int describe_missing(const struct ceremony *c, const struct record *rec, long step, const size_t *people,
                            size_t count, struct buf *out)
{
	const struct signoff_rule *rule = script_rule(&c->state, rec->type, step);
	int r;

	if ((r = buf_printf(out, "record %u (%s %s) is pending: signed by", rec->sequence, record_type_name(rec->type),
	                    rec->step)) != 0)
		return r;
	for (size_t i = 0; i < count && r == 0; i++)
		r = buf_printf(out, "%s %s", i ? "," : "", c->scenario->roster->participants[people[i]]);
	if (r == 0)
		r = buf_append_str(out, "; the rule is ");
	if (r == 0 && rule != NULL)
		r = signoff_rule_format(c->scenario, rule, out);
	if (r == 0)
		r = buf_append_str(out, " (distinct people). Add sign-offs with 'ceremony sign'.\n");
	return r;
}

/* Sign a proposed record and commit it, or keep it pending. Sign-offs from people the rule does not
 * allow are an incident. */
static int propose(struct ceremony *c, struct record *rec, long step, const struct evidence_file *files,
                   size_t file_count, const struct vault_outcome *vault, struct signer *const *signers, size_t count,
                   struct action_result *result)
{
	struct signoff_set set = {0};
	struct buf bytes = buf_make(RECORD_BYTES_MAX);
	struct script_violation v;
	size_t people[EVIDENCE_SIGNOFFS_MAX], failed = 0;
	int r;

	if ((r = people_of(c, signers, count, people)) != 0)
		goto out;
	if (script_check_signoffs(&c->state, rec->type, step, people, count, 0, &v) != 0) {
		r = refuse_with_vault_incident(c, INCIDENT_SIGNOFF_NOT_ALLOWED, "sign-offs the script allows",
		                               v.message, vault, signers, count, result);
		goto out;
	}
	if ((r = record_serialize(rec, &bytes)) != 0)
		goto out;
	if ((r = sign_all(signers, count, &bytes, &set, &failed)) != 0) {
		/* A signature that fails (a broken agent or token, a confirmation refused) is an incident. */
		if ((r == CER_ERR_VERIFY || r == CER_ERR_REFUSED) && count > 1) {
			char happened[256];
			snprintf(happened, sizeof(happened), "the signature of %s failed",
			         c->scenario->roster->participants[people[failed]]);
			r = refuse_with_vault_incident(c, INCIDENT_SIGNATURE_FAILED, "a valid signature", happened,
			                               vault, failed == 0 ? signers + 1 : signers,
			                               failed == 0 ? count - 1 : failed, result);
		}
		goto out;
	}
	if (script_check_signoffs(&c->state, rec->type, step, people, count, 1, &v) == 0) {
		r = commit(c, &bytes, rec, set.items, count, files, file_count, signers[0], result);
		if (r == 0)
			r = buf_printf(&result->message, "record %u (%s %s) committed as %s\n", rec->sequence,
			               record_type_name(rec->type), rec->step, git_oid_tostr_s(&result->commit));
		goto out;
	}
	{
		struct pending p;
		memset(&p, 0, sizeof(p));
		p.bytes = bytes;
		p.signoff_count = count;
		memcpy(p.signoffs, set.items, count * sizeof(set.items[0]));
		p.file_count = file_count;
		for (size_t i = 0; i < file_count; i++)
			p.files[i] = files[i];
		if ((r = pending_create(gitdir_of(c), &p)) != 0 || (r = reload_pending(c)) != 0)
			goto out;
	}
	result->pending = 1;
	result->sequence = rec->sequence;
	r = describe_missing(c, rec, step, people, count, &result->message);
out:
	signoff_set_free(&set);
	buf_free(&bytes);
	return r;
}

static int refuse_unless_open(const struct ceremony *c)
{
	if (c->state.closed)
		return err_set(CER_ERR_REFUSED, "the ceremony is closed; nothing can be appended");
	if (c->pending != NULL)
		return err_set(CER_ERR_REFUSED,
		               "record %u (%s %s) is pending: sign it ('ceremony sign') or declare an "
		               "incident first",
		               c->pending->record->sequence, record_type_name(c->pending->record->type),
		               c->pending->record->step);
	return 0;
}

/* The actor of a step: the first signer holding the step's acting role. */
static int step_actor(const struct ceremony *c, const struct scenario_step *step, const size_t *people, size_t count,
                      size_t *actor)
{
	for (size_t i = 0; i < count; i++)
		if (scenario_has_role(c->scenario, people[i], step->role)) {
			*actor = people[i];
			return 0;
		}
	return err_set(CER_ERR_USAGE, "step %s is done by a %s: one of the -k keys must be theirs", step->id,
	               c->scenario->roles[step->role]);
}

/* Check the captured values against the step: unknown or missing names are usage errors (nothing
 * recorded); a value that does not match its pattern is an incident. */
static int fill_values(struct ceremony *c, const struct scenario_step *step, const struct step_input *in,
                       struct record *rec, char *mismatch, size_t mismatch_size)
{
	int r;

	mismatch[0] = '\0';
	for (size_t i = 0; i < in->value_count; i++) {
		const char *eq = strchr(in->values[i], '=');
		char name[RECORD_ID_MAX + 1];
		long found = -1;
		if (eq == NULL || eq == in->values[i] || (size_t)(eq - in->values[i]) > RECORD_ID_MAX)
			return err_set(CER_ERR_USAGE, "--value must be NAME=VALUE, not \"%s\"", in->values[i]);
		memcpy(name, in->values[i], (size_t)(eq - in->values[i]));
		name[eq - in->values[i]] = '\0';
		for (size_t k = 0; k < step->capture_count; k++)
			if (strcmp(step->captures[k].name, name) == 0)
				found = (long)k;
		if (found < 0)
			return err_set(CER_ERR_USAGE, "step %s captures no value named %s", step->id, name);
		if ((r = record_add_value(rec, name, eq + 1)) != 0)
			return r;
		if (mismatch[0] == '\0' && !scenario_capture_matches(&step->captures[found], eq + 1))
			snprintf(mismatch, mismatch_size, "value %s \"%.64s\" does not match %s", name, eq + 1,
			         step->captures[found].pattern);
	}
	for (size_t k = 0; k < step->capture_count; k++) {
		int given = 0;
		for (size_t i = 0; i < rec->value_count; i++)
			given |= strcmp(rec->values[i].name, step->captures[k].name) == 0;
		if (!given)
			return err_set(CER_ERR_USAGE, "step %s needs --value %s=... (%s, pattern %s)", step->id,
			               step->captures[k].name, step->captures[k].label, step->captures[k].pattern);
	}
	(void)c;
	return 0;
}

struct attachment_files {
	struct evidence_file files[RECORD_ATTACHMENTS_MAX];
	char *names[RECORD_ATTACHMENTS_MAX];
	struct buf data[RECORD_ATTACHMENTS_MAX];
	size_t count;
};

static void attachment_files_free(struct attachment_files *a)
{
	for (size_t i = 0; i < a->count; i++) {
		free(a->names[i]);
		buf_free(&a->data[i]);
	}
	a->count = 0;
}

/* Hash each NAME=PATH the step takes; keep the bytes of those the scenario stores. */
static int fill_attachments(const struct scenario_step *step, const struct step_input *in, const char *vault_fills,
                            struct record *rec, struct attachment_files *out)
{
	struct buf data = buf_make(RECORD_ATTACHMENT_MAX);
	uint8_t digest[32];
	int r = 0;

	for (size_t i = 0; i < in->attachment_count && r == 0; i++) {
		const char *eq = strchr(in->attachments[i], '=');
		char name[RECORD_ID_MAX + 1];
		const struct scenario_attachment *a = NULL;
		if (eq == NULL || eq == in->attachments[i] || (size_t)(eq - in->attachments[i]) > RECORD_ID_MAX) {
			r = err_set(CER_ERR_USAGE, "--attach must be NAME=FILE, not \"%s\"", in->attachments[i]);
			break;
		}
		memcpy(name, in->attachments[i], (size_t)(eq - in->attachments[i]));
		name[eq - in->attachments[i]] = '\0';
		for (size_t k = 0; k < step->attachment_count; k++)
			if (strcmp(step->attachments[k].name, name) == 0)
				a = &step->attachments[k];
		if (a == NULL) {
			r = err_set(CER_ERR_USAGE, "step %s takes no attachment named %s", step->id, name);
			break;
		}
		if (vault_fills != NULL && strcmp(name, vault_fills) == 0) {
			r = err_set(CER_ERR_USAGE,
			            "step %s: attachment %s is what the vault outputs; the recorder attaches it",
			            step->id, name);
			break;
		}
		if ((r = file_read_all(eq + 1, data.limit, &data)) != 0)
			break;
		sha256_digest(data.data, data.len, digest);
		if ((r = record_add_attachment(rec, name, digest, data.len, a->store)) != 0 || !a->store)
			continue;
		out->data[out->count] = data;
		data = buf_make(RECORD_ATTACHMENT_MAX);
		if (asprintf(&out->names[out->count], EVIDENCE_ATTACHMENTS_DIR "/%s", name) < 0) {
			out->names[out->count] = NULL;
			r = err_set(CER_ERR_NOMEM, "out of memory");
		}
		out->files[out->count].name = out->names[out->count];
		out->files[out->count].data = out->data[out->count].data;
		out->files[out->count].len = out->data[out->count].len;
		out->count++;
	}
	buf_free(&data);
	for (size_t k = 0; r == 0 && k < step->attachment_count; k++) {
		int given = vault_fills != NULL && strcmp(step->attachments[k].name, vault_fills) == 0;
		for (size_t i = 0; i < rec->attachment_count; i++)
			given |= strcmp(rec->attachments[i].name, step->attachments[k].name) == 0;
		if (!given)
			r = err_set(CER_ERR_USAGE, "step %s needs --attach %s=FILE (%s)", step->id,
			            step->attachments[k].name, step->attachments[k].label);
	}
	return r;
}

/* Is c->vault_dir the vault this ceremony pinned: the genesis record's, or its vault-init step's? */
static int check_ceremony_vault(const struct ceremony *c)
{
	if (c->genesis->has_vault)
		return vault_step_check_vault(c->vault_dir, c->genesis->vault_id, c->genesis->vault_audit_key);
	if (c->state.has_vault)
		return vault_step_check_vault(c->vault_dir, c->state.vault_id, c->state.vault_audit_key);
	return err_set(CER_ERR_REFUSED, "this ceremony has no vault: begin it with -V VAULT, or make one at its "
	                                "vault-init step");
}

/* The attachment of a vault step that the vault's output fills (the recorder attaches it), or NULL. */
static const char *vault_output_attachment(const struct scenario_step *step)
{
	const char *name = step->kind == STEP_VAULT_EXPORT ? VAULT_EXPORT_ATTACHMENT
	                   : step->kind == STEP_VAULT_SIGN ? VAULT_SIGNATURE_ATTACHMENT
	                   : step->kind == STEP_VAULT_INIT ? VAULT_IDENTITY_ATTACHMENT
	                                                   : NULL;

	for (size_t k = 0; name != NULL && k < step->attachment_count; k++)
		if (strcmp(step->attachments[k].name, name) == 0)
			return name;
	return NULL;
}

/* The bytes a vault-sign step signs: its attachment, read again and checked against the hash the
 * record already holds, so what is signed is what is recorded. */
static int sign_input(const struct scenario_step *step, const struct step_input *in, const struct record *rec,
                      struct buf *out)
{
	const char *want = step->key.sign_input;
	uint8_t digest[32];
	int r;

	for (size_t i = 0; i < in->attachment_count; i++) {
		const char *eq = strchr(in->attachments[i], '=');
		if (eq == NULL || (size_t)(eq - in->attachments[i]) != strlen(want) ||
		    strncmp(in->attachments[i], want, strlen(want)) != 0)
			continue;
		if ((r = file_read_all(eq + 1, RECORD_ATTACHMENT_MAX, out)) != 0)
			return r;
		sha256_digest(out->data, out->len, digest);
		for (size_t k = 0; k < rec->attachment_count; k++)
			if (strcmp(rec->attachments[k].name, want) == 0 &&
			    memcmp(rec->attachments[k].sha256, digest, 32) != 0)
				return err_set(CER_ERR_REFUSED,
				               "%s changed while it was being recorded; nothing was signed", eq + 1);
		return 0;
	}
	return err_set(CER_ERR_USAGE, "step %s signs --attach %s=FILE", step->id, want);
}

/* Add what the vault did to the record: its operations, and its output as the attachment the step
 * names for it (kept in the evidence when the scenario says so), and to --output. */
static int take_vault_outcome(const struct scenario_step *step, const struct step_input *in,
                              const struct vault_outcome *vault, struct record *rec, struct attachment_files *files)
{
	const char *fills = vault_output_attachment(step);
	uint8_t digest[32];
	int r = 0;

	for (size_t i = 0; i < vault->op_count && r == 0; i++)
		r = record_add_vault_op(rec, &vault->ops[i]);
	if (r != 0 || vault->output.len == 0)
		return r;
	if (fills != NULL) {
		int store = 0;
		for (size_t k = 0; k < step->attachment_count; k++)
			if (strcmp(step->attachments[k].name, fills) == 0)
				store = step->attachments[k].store;
		sha256_digest(vault->output.data, vault->output.len, digest);
		if ((r = record_add_attachment(rec, fills, digest, vault->output.len, store)) != 0)
			return r;
		if (store) {
			size_t n = files->count;
			files->data[n] = buf_make(RECORD_ATTACHMENT_MAX);
			if (asprintf(&files->names[n], EVIDENCE_ATTACHMENTS_DIR "/%s", fills) < 0) {
				files->names[n] = NULL;
				buf_free(&files->data[n]);
				return err_set(CER_ERR_NOMEM, "out of memory");
			}
			files->count++;
			if ((r = buf_append(&files->data[n], vault->output.data, vault->output.len)) != 0)
				return r;
			files->files[n].name = files->names[n];
			files->files[n].data = files->data[n].data;
			files->files[n].len = files->data[n].len;
		}
	}
	if (in->output_path != NULL)
		r = file_write_atomic(in->output_path, vault->output.data, vault->output.len, 0644);
	return r;
}

/* A vault-init step: the key masters are the roster's holders of the quorum's role, in roster order. */
static int init_vault(const struct ceremony *c, const struct scenario_step *step, const struct step_input *in,
                      const struct record *rec, struct vault_outcome *vault)
{
	const char *masters[SCENARIO_QUORUM_MAX];
	struct vault_step_init_request req;
	unsigned n = 0;

	if (c->genesis->has_vault || c->state.has_vault)
		return err_set(CER_ERR_REFUSED, "this ceremony has its vault already: a ceremony makes one");
	if (in->shares_dir == NULL)
		return err_set(CER_ERR_USAGE,
		               "step %s makes the vault: give --shares DIR, where the key masters' share files go",
		               step->id);
	for (size_t p = 0; p < c->scenario->roster->participant_count; p++)
		if (scenario_has_role(c->scenario, p, step->quorum_role) && n < SCENARIO_QUORUM_MAX)
			masters[n++] = c->scenario->roster->participants[p];
	memset(&req, 0, sizeof(req));
	req.dir = c->vault_dir;
	req.shares_dir = in->shares_dir;
	req.threshold = step->quorum_threshold;
	req.key_masters = masters;
	req.key_master_count = n;
	req.passphrase_files = in->passphrase_files;
	req.passphrase_file_count = in->passphrase_file_count;
	req.who = rec->actor;
	return vault_step_init(&req, vault);
}

/* Ask the vault for the step's operation (the sign-offs were checked first: nothing is asked of the
 * vault for a record that could not be signed). A refusal is an incident that reports it. */
static int run_vault_step(struct ceremony *c, const struct scenario_step *step, const struct step_input *in,
                          struct record *rec, struct vault_outcome *vault, struct signer *const *signers, size_t count,
                          struct action_result *result)
{
	struct buf input = buf_make(RECORD_ATTACHMENT_MAX);
	char expected[256];
	int r;

	if (step->kind == STEP_VAULT_INIT)
		r = init_vault(c, step, in, rec, vault);
	else if (step->kind == STEP_VAULT_UNSEAL)
		r = vault_step_opened_by(c->vault_dir, vault);
	else if (step->kind == STEP_VAULT_SIGN && (r = sign_input(step, in, rec, &input)) != 0)
		;
	else
		r = vault_step_run(c->vault_dir, step, rec->actor, input.data, input.len, vault);
	buf_free(&input);
	if (r != 0)
		return r;
	if (vault->refused) {
		snprintf(expected, sizeof(expected), "the vault's %s of step %s", vault->ops[vault->op_count - 1].op,
		         step->id);
		return refuse_with_vault_incident(c, INCIDENT_VAULT_REFUSED, expected, vault->happened, vault, signers,
		                                  count, result);
	}
	return 0;
}

static int ceremony_record_step_locked(struct ceremony *c, const char *step_id, const struct step_input *in,
                                       struct signer *const *signers, size_t count, struct action_result *result)
{
	struct attachment_files files = {0};
	struct record *rec = NULL;
	struct vault_outcome vault;
	struct script_violation v;
	size_t people[EVIDENCE_SIGNOFFS_MAX], actor = 0;
	long next = ceremony_next_step(c);
	const struct scenario_step *step;
	char mismatch[256], expected[128], happened[256];
	int r, vault_done = 0;

	vault_outcome_init(&vault);
	if ((r = refuse_unless_open(c)) != 0 || (r = people_of(c, signers, count, people)) != 0)
		goto out;
	if (c->state.invalidated) {
		r = err_set(CER_ERR_REFUSED,
		            "session %u was invalidated by an incident: only 'ceremony restart' is "
		            "accepted",
		            c->state.session);
		goto out;
	}
	if (next < 0) {
		r = err_set(CER_ERR_REFUSED,
		            "every step of session %u is recorded: close the ceremony ('ceremony close')",
		            c->state.session);
		goto out;
	}
	step = &c->scenario->steps[next];
	if (strcmp(step_id, step->id) != 0) {
		snprintf(expected, sizeof(expected), "step %s", step->id);
		snprintf(happened, sizeof(happened), "step %.64s was proposed out of order", step_id);
		r = refuse_with_incident(c, INCIDENT_OUT_OF_ORDER, expected, happened, signers, count, result);
		goto out;
	}
	if (step->kind != STEP_MANUAL &&
	    (c->vault_dir == NULL ? (r = err_set(CER_ERR_USAGE, "step %s is a %s step: give the vault with -V VAULT",
	                                         step->id, step_kind_name(step->kind)))
	     : step->kind == STEP_VAULT_INIT ? 0 /* the vault is made there */
	                                     : (r = check_ceremony_vault(c))) != 0)
		goto out;
	if (step->kind != STEP_VAULT_INIT && (in->shares_dir != NULL || in->passphrase_file_count > 0)) {
		r = err_set(CER_ERR_USAGE,
		            "step %s is not a vault-init step: --shares and --passphrase-file belong there", step->id);
		goto out;
	}
	if (step->kind == STEP_MANUAL && in->output_path != NULL) {
		r = err_set(CER_ERR_USAGE, "step %s is not a vault step: it has no output", step->id);
		goto out;
	}
	if (step->confirm && !in->confirmed) {
		r = err_set(CER_ERR_USAGE, "step %s cannot be undone: confirm it with --yes once everyone agrees",
		            step->id);
		goto out;
	}
	if ((r = step_actor(c, step, people, count, &actor)) != 0 ||
	    (r = new_record(c, RECORD_STEP, step->id, actor, &rec)) != 0 ||
	    (r = fill_values(c, step, in, rec, mismatch, sizeof(mismatch))) != 0 ||
	    (r = fill_attachments(step, in, vault_output_attachment(step), rec, &files)) != 0)
		goto out;
	if (mismatch[0] != '\0') {
		snprintf(expected, sizeof(expected), "the values step %s captures", step->id);
		r = refuse_with_incident(c, INCIDENT_VALUE_MISMATCH, expected, mismatch, signers, count, result);
		goto out;
	}
	rec->confirmed = step->confirm;
	if (in->note != NULL && (rec->note = strdup(in->note)) == NULL) {
		r = err_set(CER_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (step->kind != STEP_MANUAL) {
		if (script_check_signoffs(&c->state, RECORD_STEP, next, people, count, 0, &v) != 0) {
			r = refuse_with_incident(c, INCIDENT_SIGNOFF_NOT_ALLOWED, "sign-offs the script allows",
			                         v.message, signers, count, result);
			goto out;
		}
		if ((r = run_vault_step(c, step, in, rec, &vault, signers, count, result)) != 0)
			goto out;
		vault_done = 1;
		if ((r = take_vault_outcome(step, in, &vault, rec, &files)) != 0)
			goto out;
		/* What the vault did must be what the scenario names (its key, its algorithm): else an incident
		 * that reports it. */
		if (script_check_proposal(&c->state, rec, people, count, &v) != 0 &&
		    (strcmp(v.code, "script-vault") == 0 || strncmp(v.code, "script-key", 10) == 0)) {
			r = refuse_with_vault_incident(c, INCIDENT_VAULT_REFUSED, "what the scenario specifies",
			                               v.message, &vault, signers, count, result);
			goto out;
		}
	}
	r = propose(c, rec, next, files.files, files.count, vault_done ? &vault : NULL, signers, count, result);
	for (size_t i = 0; r == 0 && vault_done && i < vault.op_count; i++) {
		const struct record_vault_op *op = &vault.ops[i];
		char fp[65];
		if ((r = buf_printf(&result->message, "vault: %s%s%s, vault log entry %llu", op->op,
		                    op->label[0] ? " " : "", op->label, (unsigned long long)op->log_seq)) == 0 &&
		    op->has_fingerprint) {
			/* The fingerprint people read aloud and compare: hex and PGP words. */
			hex_encode(op->fingerprint, 32, fp);
			if ((r = buf_printf(&result->message, "; %s key\n  fingerprint %s\n  ", op->algorithm, fp)) ==
			    0)
				r = pgpwords_append(&result->message, op->fingerprint, 32);
		}
		if (r == 0 && op->who[0] != '\0')
			r = buf_printf(&result->message, "; share %u of %s", op->share_index, op->who);
		if (r == 0 && op->has_vault) {
			hex_encode(op->vault_id, 32, fp);
			if ((r = buf_printf(&result->message, "\n  vault id %s\n  ", fp)) == 0)
				r = pgpwords_append(&result->message, op->vault_id, 32);
		}
		if (r == 0)
			r = buf_append_str(&result->message, "\n");
	}
out:
	attachment_files_free(&files);
	record_free(rec);
	vault_outcome_free(&vault);
	return r;
}

/* What a person is about to sign, in words: the sign command says it before signing. */
static int describe_record(const struct record *rec, struct buf *out)
{
	int r = buf_printf(out, "signing record %u: %s %s, session %u, actor %s\n", rec->sequence,
	                   record_type_name(rec->type), rec->step, rec->session, rec->actor);

	for (size_t i = 0; i < rec->value_count && r == 0; i++)
		r = buf_printf(out, "  %s = %s\n", rec->values[i].name, rec->values[i].value);
	for (size_t i = 0; i < rec->attachment_count && r == 0; i++) {
		char hex[65];
		hex_encode(rec->attachments[i].sha256, 32, hex);
		r = buf_printf(out, "  %s: sha256 %s\n", rec->attachments[i].name, hex);
	}
	if (r == 0 && rec->note != NULL)
		r = buf_printf(out, "  note: %s\n", rec->note);
	return r;
}

static int ceremony_sign_locked(struct ceremony *c, struct signer *const *signers, size_t count,
                                struct action_result *result)
{
	struct signoff_set set = {0};
	struct evidence_signoff all[EVIDENCE_SIGNOFFS_MAX];
	struct sshkey_public keys[EVIDENCE_SIGNOFFS_MAX];
	size_t people[EVIDENCE_SIGNOFFS_MAX], total, failed = 0;
	struct script_violation v;
	struct pending *p = c->pending;
	long step;
	int r;

	if (p == NULL)
		return err_set(CER_ERR_REFUSED, "no record is pending");
	total = p->signoff_count + count;
	if (count == 0 || total > EVIDENCE_SIGNOFFS_MAX)
		return err_set(CER_ERR_USAGE, "give 1 to %zu -k KEY", (size_t)EVIDENCE_SIGNOFFS_MAX - p->signoff_count);
	for (size_t i = 0; i < p->signoff_count; i++)
		keys[i] = p->signoffs[i].key;
	for (size_t i = 0; i < count; i++)
		keys[p->signoff_count + i] = *signer_public_key(signers[i]);
	if ((r = ceremony_signers_to_people(c, keys, total, people)) != 0)
		return r;
	step = p->record->type == RECORD_STEP ? scenario_find_step(c->scenario, p->record->step) : -1;
	if (script_check_signoffs(&c->state, p->record->type, step, people, total, 0, &v) != 0)
		return refuse_with_incident(c, INCIDENT_SIGNOFF_NOT_ALLOWED, "sign-offs the script allows", v.message,
		                            signers, count, result);
	if ((r = describe_record(p->record, &result->message)) != 0 ||
	    (r = sign_all(signers, count, &p->bytes, &set, &failed)) != 0)
		goto out;
	memcpy(all, p->signoffs, p->signoff_count * sizeof(all[0]));
	memcpy(all + p->signoff_count, set.items, count * sizeof(all[0]));
	if (script_check_signoffs(&c->state, p->record->type, step, people, total, 1, &v) == 0) {
		struct record *rec = p->record;
		if ((r = commit(c, &p->bytes, rec, all, total, p->files, p->file_count, signers[0], result)) == 0)
			r = buf_printf(&result->message, "record %u committed as %s\n", result->sequence,
			               git_oid_tostr_s(&result->commit));
		goto out;
	}
	for (size_t i = 0; i < count && r == 0; i++)
		r = pending_add_signoff(gitdir_of(c), &set.items[i]);
	if (r == 0) {
		result->pending = 1;
		result->sequence = p->record->sequence;
		r = describe_missing(c, p->record, step, people, total, &result->message);
	}
	if (r == 0)
		r = reload_pending(c); /* p is gone after this */
out:
	signoff_set_free(&set);
	return r;
}

static int ceremony_declare_incident_locked(struct ceremony *c, const char *reason, struct signer *const *signers,
                                            size_t count, struct action_result *result)
{
	char expected[128];
	long next = ceremony_next_step(c);

	if (c->state.closed)
		return err_set(CER_ERR_REFUSED, "the ceremony is closed; nothing can be appended");
	if (reason[0] == '\0')
		return err_set(CER_ERR_USAGE, "--reason must say what happened");
	snprintf(expected, sizeof(expected), "%s%s", next >= 0 ? "step " : "",
	         next >= 0 ? c->scenario->steps[next].id : (c->state.invalidated ? "a restart" : "the closing record"));
	return record_incident(c, INCIDENT_DECLARED, expected, reason, NULL, signers, count, result);
}

/* Before a restart: destroy every key the invalidated session made, then seal the vault (its
 * contributions discarded), each operation reported by the restart record. */
static int destroy_session_keys(struct ceremony *c, const char *who, struct vault_outcome *vault)
{
	int r;

	if (c->vault_dir == NULL) {
		if (c->state.session_key_count == 0)
			return 0;
		return err_set(CER_ERR_REFUSED,
		               "key %s made in session %u must be destroyed before the restart: give the vault with -V "
		               "VAULT (it must be open)",
		               c->state.session_keys[0], c->state.session);
	}
	if ((r = check_ceremony_vault(c)) != 0)
		return r;
	for (size_t i = 0; i < c->state.session_key_count; i++) {
		if ((r = vault_step_destroy(c->vault_dir, who, c->state.session_keys[i], vault)) != 0)
			return r;
		if (vault->refused)
			return err_set(CER_ERR_REFUSED,
			               "key %s made in session %u must be destroyed before the restart: %s",
			               c->state.session_keys[i], c->state.session, vault->happened);
	}
	if ((r = vault_step_seal(c->vault_dir, who, vault)) != 0)
		return r;
	if (vault->refused)
		return err_set(CER_ERR_REFUSED, "the vault could not be sealed before the restart: %s",
		               vault->happened);
	return 0;
}

static int ceremony_restart_locked(struct ceremony *c, struct signer *const *signers, size_t count,
                                   struct action_result *result)
{
	struct record *rec = NULL;
	struct vault_outcome vault;
	size_t people[EVIDENCE_SIGNOFFS_MAX];
	int r, vault_done = 0;

	if (c->pending != NULL && c->pending->record->type == RECORD_RESTART)
		return ceremony_sign_locked(c, signers, count, result);
	if ((r = refuse_unless_open(c)) != 0 || (r = people_of(c, signers, count, people)) != 0)
		return r;
	if (!c->state.invalidated)
		return err_set(CER_ERR_REFUSED, "session %u is valid: a restart follows an incident", c->state.session);
	vault_outcome_init(&vault);
	if ((r = new_record(c, RECORD_RESTART, "restart", people[0], &rec)) != 0)
		goto out;
	rec->session = c->state.session + 1;
	if ((r = destroy_session_keys(c, rec->actor, &vault)) != 0)
		goto out;
	vault_done = vault.op_count > 0;
	for (size_t i = 0; i < vault.op_count && r == 0; i++)
		r = record_add_vault_op(rec, &vault.ops[i]);
	if (r == 0)
		r = propose(c, rec, -1, NULL, 0, vault_done ? &vault : NULL, signers, count, result);
out:
	record_free(rec);
	vault_outcome_free(&vault);
	return r;
}

/* ---- share: a key master's contribution ---- */

static int ceremony_share_locked(struct ceremony *c, const char *step_id, const char *share_path,
                                 const char *passphrase_file, struct signer *signer, struct action_result *result)
{
	struct vault_outcome vault;
	size_t people[1];
	long next = ceremony_next_step(c);
	const struct scenario_step *step;
	const char *who;
	char expected[128], happened[sizeof(vault.happened)];
	int r;

	if ((r = refuse_unless_open(c)) != 0 || (r = people_of(c, &signer, 1, people)) != 0)
		return r;
	if (c->state.invalidated)
		return err_set(CER_ERR_REFUSED,
		               "session %u was invalidated by an incident: only 'ceremony restart' is accepted",
		               c->state.session);
	if (next < 0 || strcmp(step_id, c->scenario->steps[next].id) != 0) {
		snprintf(expected, sizeof(expected), "step %s", next >= 0 ? c->scenario->steps[next].id : "(none)");
		snprintf(happened, sizeof(happened), "a share was contributed for step %.64s out of order", step_id);
		return refuse_with_incident(c, INCIDENT_OUT_OF_ORDER, expected, happened, &signer, 1, result);
	}
	step = &c->scenario->steps[next];
	who = c->scenario->roster->participants[people[0]];
	if (step->kind != STEP_VAULT_UNSEAL)
		return err_set(CER_ERR_USAGE, "step %s is not a vault-unseal step: shares are contributed at one",
		               step->id);
	if (!scenario_has_role(c->scenario, people[0], step->role))
		return err_set(CER_ERR_USAGE, "%s does not hold the role %s that contributes at step %s", who,
		               c->scenario->roles[step->role], step->id);
	if (c->vault_dir == NULL)
		return err_set(CER_ERR_USAGE, "give the ceremony's vault with -V VAULT");
	if ((r = check_ceremony_vault(c)) != 0)
		return r;
	vault_outcome_init(&vault);
	if ((r = vault_step_contribute(c->vault_dir, who, share_path, passphrase_file, &vault)) != 0)
		goto out;
	if (vault.refused) {
		/* The contributions so far go with the session: seal, so that the next session starts afresh. */
		snprintf(happened, sizeof(happened), "%s", vault.happened);
		if (vault_step_seal(c->vault_dir, who, &vault) != 0)
			err_clear(); /* the incident is what matters; a vault that cannot seal says so in its log */
		snprintf(expected, sizeof(expected), "a valid share of the vault from %s", who);
		r = refuse_with_vault_incident(c, INCIDENT_VAULT_REFUSED, expected, happened, &vault, &signer, 1,
		                               result);
		goto out;
	}
	r = buf_printf(&result->message, "share %u of %s accepted by the vault (vault log entry %llu)\n",
	               vault.ops[0].share_index, who, (unsigned long long)vault.ops[0].log_seq);
	if (r == 0 && vault.op_count > 1)
		r = buf_printf(
		        &result->message,
		        "the vault is open (vault log entry %llu): record step %s with 'ceremony record --step %s -V "
		        "VAULT -k KEY ...'\n",
		        (unsigned long long)vault.ops[1].log_seq, step->id, step->id);
	else if (r == 0)
		r = buf_append_str(&result->message, "the vault stays sealed until enough key masters contribute\n");
out:
	vault_outcome_free(&vault);
	return r;
}

static int ceremony_close_locked(struct ceremony *c, struct signer *const *signers, size_t count,
                                 struct action_result *result)
{
	struct record *rec = NULL;
	size_t people[EVIDENCE_SIGNOFFS_MAX];
	int r;

	if (c->pending != NULL && c->pending->record->type == RECORD_CLOSE)
		return ceremony_sign_locked(c, signers, count, result);
	if ((r = refuse_unless_open(c)) != 0 || (r = people_of(c, signers, count, people)) != 0)
		return r;
	if (c->state.invalidated)
		return err_set(CER_ERR_REFUSED, "session %u was invalidated by an incident: restart it before closing",
		               c->state.session);
	if (c->state.next_step < c->scenario->step_count)
		return err_set(CER_ERR_REFUSED, "step %s is not recorded yet: close follows the last step",
		               c->scenario->steps[c->state.next_step].id);
	if ((r = new_record(c, RECORD_CLOSE, "close", people[0], &rec)) != 0)
		return r;
	r = propose(c, rec, -1, NULL, 0, NULL, signers, count, result);
	record_free(rec);
	return r;
}

/* ---- every action runs under the writers' lock, on the state the repository has now ---- */

/* Another command may have moved the ceremony on, or changed the pending record, since this one
 * opened it: then it is refused (run it again), never applied to a stale view. One change is taken
 * in: more sign-offs on the same pending record (people signing at the same moment), which is then
 * what this command adds to, exactly as if it had started after them. */
static int begin_action(struct ceremony *c)
{
	struct pending *now = NULL;
	struct evidence_tip tip;
	int r, same, same_record;

	if ((r = evidence_store_lock(c->store, EVIDENCE_DEFAULT_LOCK_WAIT_MS)) != 0)
		return r;
	if ((r = evidence_tip(c->store, &tip, NULL, NULL)) != 0 || (r = pending_load(&now, gitdir_of(c))) != 0)
		goto fail;
	same_record = now != NULL && c->pending != NULL && now->bytes.len == c->pending->bytes.len &&
	              memcmp(now->bytes.data, c->pending->bytes.data, now->bytes.len) == 0;
	same = tip.empty == c->tip.empty && (tip.empty || git_oid_equal(&tip.commit, &c->tip.commit)) &&
	       ((now == NULL && c->pending == NULL) ||
	        (same_record && now->signoff_count >= c->pending->signoff_count));
	if (same && same_record && now->signoff_count > c->pending->signoff_count) {
		pending_free(c->pending);
		c->pending = now;
		now = NULL;
	}
	pending_free(now);
	if (!same) {
		r = err_set(CER_ERR_BUSY, "another command changed the ceremony while this one ran: run it again");
		goto fail;
	}
	return 0;
fail:
	evidence_store_unlock(c->store);
	return r;
}

int ceremony_record_step(struct ceremony *c, const char *step_id, const struct step_input *in,
                         struct signer *const *signers, size_t count, struct action_result *result)
{
	int r = begin_action(c);

	if (r == 0) {
		r = ceremony_record_step_locked(c, step_id, in, signers, count, result);
		evidence_store_unlock(c->store);
	}
	return r;
}

int ceremony_sign(struct ceremony *c, struct signer *const *signers, size_t count, struct action_result *result)
{
	int r = begin_action(c);

	if (r == 0) {
		r = ceremony_sign_locked(c, signers, count, result);
		evidence_store_unlock(c->store);
	}
	return r;
}

int ceremony_declare_incident(struct ceremony *c, const char *reason, struct signer *const *signers, size_t count,
                              struct action_result *result)
{
	int r = begin_action(c);

	if (r == 0) {
		r = ceremony_declare_incident_locked(c, reason, signers, count, result);
		evidence_store_unlock(c->store);
	}
	return r;
}

int ceremony_restart(struct ceremony *c, struct signer *const *signers, size_t count, struct action_result *result)
{
	int r = begin_action(c);

	if (r == 0) {
		r = ceremony_restart_locked(c, signers, count, result);
		evidence_store_unlock(c->store);
	}
	return r;
}

int ceremony_share(struct ceremony *c, const char *step_id, const char *share_path, const char *passphrase_file,
                   struct signer *signer, struct action_result *result)
{
	int r = begin_action(c);

	if (r == 0) {
		r = ceremony_share_locked(c, step_id, share_path, passphrase_file, signer, result);
		evidence_store_unlock(c->store);
	}
	return r;
}

int ceremony_close(struct ceremony *c, struct signer *const *signers, size_t count, struct action_result *result)
{
	int r = begin_action(c);

	if (r == 0) {
		r = ceremony_close_locked(c, signers, count, result);
		evidence_store_unlock(c->store);
	}
	return r;
}

int ceremony_pending_info(const struct ceremony *c, const struct record **record, size_t *signers, size_t *count)
{
	struct sshkey_public keys[EVIDENCE_SIGNOFFS_MAX];

	if (c->pending == NULL)
		return 0;
	for (size_t i = 0; i < c->pending->signoff_count; i++)
		keys[i] = c->pending->signoffs[i].key;
	if (ceremony_signers_to_people(c, keys, c->pending->signoff_count, signers) != 0)
		return 0;
	*record = c->pending->record;
	*count = c->pending->signoff_count;
	return 1;
}
