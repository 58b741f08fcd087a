/* Opening and beginning a ceremony: everything the recorder knows comes from the repository. */
#include "recorder/ceremony.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/sshsig.h"
#include "evidence/history.h"
#include "recorder/pending.h"
#include "recorder/vault_step.h"

void ceremony_free(struct ceremony *c)
{
	if (c == NULL)
		return;
	pending_free(c->pending);
	record_free(c->genesis);
	scenario_free(c->scenario);
	evidence_store_free(c->store);
	free(c);
}

/* Map verified sign-off keys to distinct participants; unknown keys and a person twice are errors. */
int ceremony_signers_to_people(const struct ceremony *c, const struct sshkey_public *keys, size_t count, size_t *people)
{
	const struct roster *roster = c->scenario->roster;
	char fp[SSHKEY_FINGERPRINT_CHARS + 1];

	for (size_t i = 0; i < count; i++) {
		long p = roster_find_key(roster, &keys[i]);
		if (p < 0) {
			sshkey_fingerprint_text(&keys[i], fp);
			return err_set(CER_ERR_REFUSED, "key %s is not in the scenario's roster", fp);
		}
		for (size_t j = 0; j < i; j++)
			if (people[j] == (size_t)p)
				return err_set(CER_ERR_REFUSED, "%s signs twice; a person counts once",
				               roster->participants[p]);
		people[i] = (size_t)p;
	}
	return 0;
}

static int replay_one(void *ctx, const struct history_entry *e)
{
	struct ceremony *c = ctx;
	struct script_violation v;
	size_t people[EVIDENCE_SIGNOFFS_MAX];
	int r;

	if (e->sequence == 0)
		return 0;
	if ((r = ceremony_signers_to_people(c, e->signers, e->signer_count, people)) != 0)
		return err_context(CER_ERR_VERIFY, "record %u (run ceremony verify)", e->sequence);
	if (script_apply(&c->state, e->record, people, e->signer_count, &v) != 0)
		return err_set(CER_ERR_VERIFY, "record %u breaks the script: %s: %s (run ceremony verify)", e->sequence,
		               v.code, v.message);
	return 0;
}

/* The genesis roster must be the scenario's: same people, same keys. */
static int same_roster(const struct roster *a, const struct roster *b)
{
	if (a->participant_count != b->participant_count || a->key_count != b->key_count)
		return 0;
	for (size_t k = 0; k < a->key_count; k++) {
		long p = roster_find_key(b, &a->keys[k].key);
		if (p < 0 || strcmp(b->participants[p], a->participants[a->keys[k].participant]) != 0)
			return 0;
	}
	return 1;
}

/* Is the pending record a valid proposal: signed by its actor at least, by people of the roster,
 * and conforming to the script as the next record (everything but the rule being met)? Nothing
 * on disk outside the history is trusted: the directory is writable by whoever can write the
 * repository, and people must never sign what someone slipped in. */
static int pending_is_valid(const struct ceremony *c, char *why, size_t why_size)
{
	const struct pending *p = c->pending;
	const struct record *rec = p->record;
	struct sshkey_public keys[EVIDENCE_SIGNOFFS_MAX];
	size_t people[EVIDENCE_SIGNOFFS_MAX];
	struct script_violation v;

	if (p->signoff_count == 0) {
		snprintf(why, why_size, "it carries no sign-off");
		return 0;
	}
	if (rec->type == RECORD_GENESIS || rec->type == RECORD_INCIDENT) {
		snprintf(why, why_size, "a %s record is never pending", record_type_name(rec->type));
		return 0;
	}
	if (strcmp(rec->ceremony, c->genesis->ceremony) != 0 ||
	    memcmp(rec->scenario_sha256, c->genesis->scenario_sha256, 32) != 0) {
		snprintf(why, why_size, "it names another ceremony or scenario");
		return 0;
	}
	for (size_t i = 0; i < p->signoff_count; i++)
		keys[i] = p->signoffs[i].key;
	if (ceremony_signers_to_people(c, keys, p->signoff_count, people) != 0) {
		snprintf(why, why_size, "%.300s", err_message());
		return 0;
	}
	if (script_check_proposal(&c->state, rec, people, p->signoff_count, &v) != 0) {
		snprintf(why, why_size, "%.40s: %.300s", v.code, v.message);
		return 0;
	}
	return 1;
}

/* A pending record that no longer follows the tip (committed, or overtaken) is removed; one that
 * is not a valid proposal is removed too, and said. */
static int check_pending(struct ceremony *c)
{
	const char *gitdir = git_repository_path(evidence_store_repository(c->store));
	char why[400];

	if (c->pending == NULL)
		return 0;
	if (c->pending->record->sequence == c->tip.sequence + 1 &&
	    memcmp(c->pending->record->previous_sha256, c->tip.record_sha256, 32) == 0 && !c->state.closed) {
		if (pending_is_valid(c, why, sizeof(why)))
			return 0;
		snprintf(c->discarded_pending, sizeof(c->discarded_pending),
		         "the pending record %u was altered and has been discarded (%.400s): declare an incident",
		         c->pending->record->sequence, why);
	}
	pending_free(c->pending);
	c->pending = NULL;
	return pending_remove(gitdir);
}

int ceremony_open(struct ceremony **out, const char *dir)
{
	struct buf bytes = buf_make(SCENARIO_BYTES_MAX);
	struct ceremony *c;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	/* Everything is read under the writers' lock, so that the history, the tip and the pending
	 * record are one state: no other command commits, creates or removes meanwhile. */
	if ((r = evidence_store_open(&c->store, dir)) != 0 ||
	    (r = evidence_store_lock(c->store, EVIDENCE_DEFAULT_LOCK_WAIT_MS)) != 0 ||
	    (r = evidence_tip(c->store, &c->tip, &c->genesis, NULL)) != 0)
		goto out;
	if (c->tip.empty) {
		r = err_set(CER_ERR_REFUSED, "%s holds no genesis record", dir);
		goto out;
	}
	if ((r = evidence_read_file(c->store, &c->tip.commit, 0, EVIDENCE_SCENARIO_FILE, SCENARIO_BYTES_MAX, &bytes)) !=
	    0) {
		err_context(r, "%s: no scenario with the genesis record (made by 'evidence init', not 'begin'?)", dir);
		goto out;
	}
	if ((r = scenario_parse(&c->scenario, bytes.data, bytes.len, 0)) != 0) {
		err_context(r, "%s: the stored scenario", dir);
		goto out;
	}
	if (memcmp(c->scenario->sha256, c->genesis->scenario_sha256, 32) != 0 ||
	    !same_roster(c->genesis->roster, c->scenario->roster)) {
		r = err_set(CER_ERR_VERIFY,
		            "%s: the stored scenario is not the one the genesis record pinned (run ceremony "
		            "verify)",
		            dir);
		goto out;
	}
	script_start(&c->state, c->scenario);
	if ((r = evidence_history_each(c->store, replay_one, c)) != 0) {
		err_context(r, "%s", dir);
		goto out;
	}
	r = pending_load(&c->pending, git_repository_path(evidence_store_repository(c->store)));
	if (r == CER_ERR_FORMAT || r == CER_ERR_VERIFY || r == CER_ERR_UNSUPPORTED) {
		/* A pending record that does not even load (a sign-off that does not verify, a malformed
		 * record) was altered: it goes, and people are told. */
		snprintf(c->discarded_pending, sizeof(c->discarded_pending),
		         "the pending record was altered and has been discarded (%.400s): declare an incident",
		         err_message());
		r = pending_remove(git_repository_path(evidence_store_repository(c->store)));
	}
	if (r == 0)
		r = check_pending(c);
	if (r != 0) {
		err_context(r, "%s", dir);
		goto out;
	}
	evidence_store_unlock(c->store); /* ceremony_free() releases it on the other paths */
	*out = c;
	c = NULL;
out:
	buf_free(&bytes);
	ceremony_free(c);
	return r;
}

static int make_genesis(const struct scenario *s, const struct signer *first, const char *vault_dir,
                        const char *version, const char *build, struct buf *bytes)
{
	struct record *g = NULL;
	long actor;
	int r;

	if ((r = record_new(&g)) != 0)
		return r;
	actor = roster_find_key(s->roster, signer_public_key(first));
	if (actor < 0) {
		r = err_set(CER_ERR_REFUSED, "key %s is not in the scenario's roster", signer_name(first));
		goto out;
	}
	memcpy(g->ceremony, s->id, sizeof(g->ceremony));
	memcpy(g->scenario_sha256, s->sha256, 32);
	g->session = 1;
	g->type = RECORD_GENESIS;
	snprintf(g->step, sizeof(g->step), "genesis");
	snprintf(g->actor, sizeof(g->actor), "%s", s->roster->participants[actor]);
	record_time_now(g->time);
	if (vault_dir != NULL) {
		if ((r = vault_step_identity(vault_dir, g->vault_id, g->vault_audit_key)) != 0)
			goto out;
		g->has_vault = 1;
	}
	g->roster = s->roster; /* borrowed for serialization only */
	g->recorder_version = strdup(version);
	g->recorder_build = strdup(build);
	r = g->recorder_version && g->recorder_build ? record_serialize(g, bytes)
	                                             : err_set(CER_ERR_NOMEM, "out of memory");
	g->roster = NULL;
out:
	record_free(g);
	return r;
}

/* Does the scenario ask the vault for anything (1), make its vault (2), or neither (0)? */
static int vault_use(const struct scenario *s)
{
	int use = 0;

	for (size_t i = 0; i < s->step_count; i++)
		if (s->steps[i].kind == STEP_VAULT_INIT)
			return 2;
		else if (s->steps[i].kind != STEP_MANUAL)
			use = 1;
	return use;
}

int ceremony_begin(struct ceremony **out, const char *dir, const char *scenario_path, const char *vault_dir,
                   struct signer *const *signers, size_t count, const char *version, const char *build)
{
	struct buf scenario_bytes = buf_make(SCENARIO_BYTES_MAX), problems = buf_make(65536),
	           bytes = buf_make(RECORD_BYTES_MAX);
	struct evidence_store *store = NULL;
	struct scenario *s = NULL;
	struct evidence_file file;
	struct stat st;
	int r, created = 0, existed = 0;

	*out = NULL;
	if (count == 0 || count > EVIDENCE_SIGNOFFS_MAX)
		return err_set(CER_ERR_USAGE, "begin needs 1 to %d -k KEY", EVIDENCE_SIGNOFFS_MAX);
	if ((r = scenario_load(&s, scenario_path, 0, &scenario_bytes)) != 0)
		goto out;
	if (scenario_check(s, &problems) > 0) {
		char *nl = strchr((char *)problems.data, '\n');
		if (nl)
			*nl = '\0';
		r = err_set(CER_ERR_REFUSED, "%s: %s (see ceremony scenario check)", scenario_path,
		            (char *)problems.data);
		goto out;
	}
	if (vault_dir == NULL && vault_use(s) == 1) {
		r = err_set(CER_ERR_USAGE, "%s has vault steps: give the ceremony's vault with -V VAULT",
		            scenario_path);
		goto out;
	}
	if (vault_dir != NULL && vault_use(s) == 2) {
		r = err_set(CER_ERR_USAGE, "%s makes its vault at its vault-init step: begin without -V",
		            scenario_path);
		goto out;
	}
	if ((r = make_genesis(s, signers[0], vault_dir, version, build, &bytes)) != 0)
		goto out;
	existed = stat(dir, &st) == 0;
	if ((r = evidence_store_create(&store, dir)) != 0)
		goto out;
	created = 1;
	file.name = EVIDENCE_SCENARIO_FILE;
	file.data = scenario_bytes.data;
	file.len = scenario_bytes.len;
	{
		/* Sign through the store's own path, which refuses keys outside the pinned roster. */
		struct evidence_signoff signoffs[EVIDENCE_SIGNOFFS_MAX];
		struct buf armored[EVIDENCE_SIGNOFFS_MAX];
		size_t made = 0;
		for (size_t i = 0; i < count && i < EVIDENCE_SIGNOFFS_MAX && r == 0; i++) {
			armored[i] = buf_make(SSHSIG_ARMORED_MAX);
			made++;
			if (roster_find_key(s->roster, signer_public_key(signers[i])) < 0)
				r = err_set(CER_ERR_REFUSED, "key %s is not in the scenario's roster",
				            signer_name(signers[i]));
			else if ((r = sshsig_sign(signers[i], SSHSIG_NAMESPACE_RECORD, bytes.data, bytes.len,
			                          &armored[i])) == 0) {
				signoffs[i].key = *signer_public_key(signers[i]);
				signoffs[i].armored = armored[i].data;
				signoffs[i].armored_len = armored[i].len;
			}
		}
		if (r == 0)
			r = evidence_append_signed(store, bytes.data, bytes.len, signoffs, count, &file, 1, signers[0],
			                           EVIDENCE_DEFAULT_LOCK_WAIT_MS, NULL);
		for (size_t i = 0; i < made; i++)
			buf_free(&armored[i]);
	}
	if (r != 0)
		goto out;
	evidence_store_free(store);
	store = NULL;
	r = ceremony_open(out, dir);
out:
	evidence_store_free(store);
	if (r != 0 && created) /* nothing half-written: a repository without its genesis record goes */
		file_remove_tree(dir, existed);
	scenario_free(s);
	buf_free(&scenario_bytes);
	buf_free(&problems);
	buf_free(&bytes);
	return r;
}

void ceremony_use_vault(struct ceremony *c, const char *vault_dir)
{
	c->vault_dir = vault_dir;
}

long ceremony_next_step(const struct ceremony *c)
{
	if (c->state.closed || c->state.invalidated || c->state.next_step >= c->scenario->step_count)
		return -1;
	return (long)c->state.next_step;
}
