#include "verifier/vault_join.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/feldman.h"
#include "common/vault_identity.h"
#include "common/vault_log.h"

/* Keys tracked by the join (session keys, destroyed fingerprints): bounded like the log's reader. */
#define JOIN_KEYS_MAX 65536

int vault_claims_note(struct vault_claims *claims, const struct record *rec, const char *hex)
{
	if (rec->type == RECORD_GENESIS) {
		snprintf(claims->first_time, sizeof(claims->first_time), "%s", rec->time);
		if (rec->has_vault) {
			claims->has_vault = 1;
			memcpy(claims->vault_id, rec->vault_id, 32);
			memcpy(claims->audit_key, rec->vault_audit_key, 32);
		}
		return 0;
	}
	if (rec->type == RECORD_CLOSE)
		snprintf(claims->close_time, sizeof(claims->close_time), "%s", rec->time);
	for (size_t i = 0; i < rec->vault_op_count; i++) {
		const struct record_vault_op *op = &rec->vault_ops[i];
		struct vault_claim *c;
		if (claims->count == claims->cap) {
			size_t cap = claims->cap == 0 ? 64 : 2 * claims->cap;
			struct vault_claim *grown = realloc(claims->items, cap * sizeof(*grown));
			if (grown == NULL)
				return err_set(CER_ERR_NOMEM, "out of memory");
			claims->items = grown;
			claims->cap = cap;
		}
		c = &claims->items[claims->count++];
		c->op = *op;
		c->record = rec->sequence;
		snprintf(c->step, sizeof(c->step), "%s", rec->step);
		snprintf(c->commit, sizeof(c->commit), "%s", hex != NULL ? hex : "");
		/* A vault-init record pins the vault it made, when the genesis record named none. */
		if (op->has_vault && !claims->has_vault && strcmp(op->outcome, "ok") == 0) {
			claims->has_vault = 1;
			memcpy(claims->vault_id, op->vault_id, 32);
			memcpy(claims->audit_key, op->audit_key, 32);
		}
	}
	return 0;
}

void vault_claims_free(struct vault_claims *claims)
{
	free(claims->items);
	memset(claims, 0, sizeof(*claims));
}

struct key_set {
	uint8_t (*keys)[32];
	size_t count, cap;
};

static int key_set_has(const struct key_set *s, const uint8_t key[32])
{
	for (size_t i = 0; i < s->count; i++)
		if (memcmp(s->keys[i], key, 32) == 0)
			return 1;
	return 0;
}

static int key_set_add(struct key_set *s, const uint8_t key[32])
{
	if (key_set_has(s, key))
		return 0;
	if (s->count == JOIN_KEYS_MAX)
		return err_set(CER_ERR_FORMAT, "more than %d keys in the vault log", JOIN_KEYS_MAX);
	if (s->count == s->cap) {
		size_t cap = s->cap == 0 ? 16 : 2 * s->cap;
		uint8_t(*grown)[32] = realloc(s->keys, cap * sizeof(*grown));
		if (grown == NULL)
			return err_set(CER_ERR_NOMEM, "out of memory");
		s->keys = grown;
		s->cap = cap;
	}
	memcpy(s->keys[s->count++], key, 32);
	return 0;
}

struct join {
	const struct vault_claims *claims;
	size_t *order; /* claims by log seq */
	size_t next; /* the next claim in that order */
	struct findings *findings;
	size_t joined;
	struct key_set destroyed; /* fingerprints of keys the log says were destroyed */
	struct key_set certified; /* session keys an audit-signed line certified */
	struct key_set window_signers; /* session keys that signed lines during the ceremony */
	uint64_t window_session_lines, first_window_session_seq;
	uint64_t pending_shares[64]; /* accepted contributions no record claims, since the last (un)seal */
	size_t pending_count;
	int error; /* a finding could not be added (out of memory) */
};

static void find(struct join *j, const char *code, const struct vault_claim *c, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void find(struct join *j, const char *code, const struct vault_claim *c, const char *fmt, ...)
{
	char message[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (findings_add(j->findings, code, c != NULL ? (long)c->record : FINDING_NO_RECORD,
	                 c != NULL && c->commit[0] ? c->commit : NULL, "%s", message) != 0)
		j->error = 1;
}

/* Was this line written during the ceremony, after its genesis record and before its close record?
 * Times have whole seconds, and one vault serves ceremony after ceremony: a line in the very second
 * the ceremony began or closed may be another's, so the window leaves both seconds out. */
static int in_window(const struct join *j, const struct vault_log_line *line)
{
	return strcmp(line->time_text, j->claims->first_time) > 0 &&
	       (j->claims->close_time[0] == '\0' || strcmp(line->time_text, j->claims->close_time) < 0);
}

/* Operations the vault performs only when asked, which a record must explain; the others (self-test,
 * serve, recover) are the vault process's own life. */
static int needs_record(const char *op)
{
	static const char *const ops[] = {"init",   "unseal-share", "unseal",  "seal",  "generate",
	                                  "export", "sign",         "destroy", "refuse"};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i]) == 0)
			return 1;
	return 0;
}

static int same_text(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* A claimed line: the same line (hash), operation, outcome, key and fingerprint, key master. */
static void compare(struct join *j, const struct vault_claim *c, const struct vault_log_line *line)
{
	const struct record_vault_op *op = &c->op;
	const struct vault_log_entry *e = &line->entry;
	const char *outcome = vault_log_outcome_name(e->outcome);

	if (memcmp(op->log_hash, line->hash, 32) != 0) {
		find(j, "vault-op-missing", c,
		     "step %s claims vault log line %llu with another hash: the log's line %llu is not the one the "
		     "record names",
		     c->step, (unsigned long long)op->log_seq, (unsigned long long)line->seq);
		return;
	}
	if (!same_text(op->op, e->op) || !same_text(op->outcome, outcome) ||
	    (op->label[0] != '\0' && !same_text(op->label, e->label)) ||
	    (op->has_fingerprint && (e->fingerprint == NULL || memcmp(op->fingerprint, e->fingerprint, 32) != 0)) ||
	    (op->who[0] != '\0' && !same_text(op->who, e->who))) {
		find(j, "vault-op-mismatch", c,
		     "step %s claims %s %s%s(%s) at vault log line %llu; the log says %s %s%s(%s) by %s", c->step,
		     op->op, op->label, op->label[0] ? " " : "", op->outcome, (unsigned long long)op->log_seq, e->op,
		     e->label != NULL ? e->label : "", e->label != NULL ? " " : "", outcome != NULL ? outcome : "?",
		     e->who);
		return;
	}
	j->joined++;
}

static int on_line(void *ctx, const struct vault_log_line *line)
{
	struct join *j = ctx;
	const struct vault_log_entry *e = &line->entry;
	const struct vault_claims *claims = j->claims;
	int claimed = 0, window = in_window(j, line), ok = e->outcome == VAULT_LOG_OUTCOME_OK;

	while (j->next < claims->count && claims->items[j->order[j->next]].op.log_seq == line->seq) {
		const struct vault_claim *c = &claims->items[j->order[j->next]];
		if (claimed)
			find(j, "vault-op-claimed-twice", c,
			     "step %s claims vault log line %llu, which another record claims", c->step,
			     (unsigned long long)line->seq);
		else
			compare(j, c, line);
		claimed = 1;
		j->next++;
	}
	if (e->certifies != NULL && key_set_add(&j->certified, e->certifies) != 0)
		return CER_ERR_FORMAT;
	if (window && line->signer != NULL) {
		if (key_set_add(&j->window_signers, line->signer) != 0)
			return CER_ERR_FORMAT;
		if (j->window_session_lines++ == 0)
			j->first_window_session_seq = line->seq;
	}
	/* Accepted contributions are claimed by the unseal step's record once the vault opens; those a
	 * claimed seal discarded (an incident, a restart) are explained by it. */
	if (strcmp(e->op, "unseal-share") == 0 && ok && !claimed) {
		if (window && j->pending_count < sizeof(j->pending_shares) / sizeof(j->pending_shares[0]))
			j->pending_shares[j->pending_count++] = line->seq;
		return j->error ? CER_ERR_NOMEM : 0;
	}
	if ((strcmp(e->op, "seal") == 0 || strcmp(e->op, "unseal") == 0) && ok) {
		if (strcmp(e->op, "unseal") == 0 || !claimed)
			for (size_t i = 0; i < j->pending_count; i++)
				find(j, "vault-op-unexplained", NULL,
				     "vault log line %llu: an accepted share contribution no record reports",
				     (unsigned long long)j->pending_shares[i]);
		j->pending_count = 0;
	}
	if (!claimed && window && needs_record(e->op))
		find(j, "vault-op-unexplained", NULL,
		     "vault log line %llu (%s): %s%s%s by %s, %s, during the ceremony; no record explains it",
		     (unsigned long long)line->seq, line->time_text, e->op, e->label != NULL ? " " : "",
		     e->label != NULL ? e->label : "", e->who, vault_log_outcome_name(e->outcome));
	if (ok && e->fingerprint != NULL) {
		if (strcmp(e->op, "destroy") == 0) {
			if (key_set_add(&j->destroyed, e->fingerprint) != 0)
				return CER_ERR_FORMAT;
		} else if (key_set_has(&j->destroyed, e->fingerprint)) {
			char fp[65];
			hex_encode(e->fingerprint, 32, fp);
			find(j, "vault-key-used-after-destroy", NULL,
			     "vault log line %llu: %s with key %s (fingerprint %s), which an earlier line destroyed",
			     (unsigned long long)line->seq, e->op, e->label != NULL ? e->label : "?", fp);
		}
	}
	return j->error ? CER_ERR_NOMEM : 0;
}

static const struct vault_claims *sort_claims;

static int by_seq(const void *a, const void *b)
{
	uint64_t x = sort_claims->items[*(const size_t *)a].op.log_seq,
	         y = sort_claims->items[*(const size_t *)b].op.log_seq;

	if (x != y)
		return x < y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

int vault_join(const char *log_path, const struct vault_claims *claims, struct findings *findings,
               struct vault_join_result *result)
{
	struct vault_log_result log;
	struct join j;
	int r;

	memset(result, 0, sizeof(*result));
	if (!claims->has_vault)
		return findings_add(
		        findings, "vault-unknown", FINDING_NO_RECORD, NULL,
		        "the evidence names no vault (no genesis vault, no vault-init record): the vault log "
		        "cannot be joined");
	memset(&j, 0, sizeof(j));
	j.claims = claims;
	j.findings = findings;
	if ((j.order = calloc(claims->count + 1, sizeof(*j.order))) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < claims->count; i++)
		j.order[i] = i;
	sort_claims = claims;
	qsort(j.order, claims->count, sizeof(*j.order), by_seq);
	r = vault_log_each(log_path, claims->audit_key, on_line, &j, &log);
	if (r == CER_ERR_NOT_FOUND || r == CER_ERR_IO || r == CER_ERR_NOMEM)
		goto out;
	if (r != 0) {
		/* A line that does not verify: nothing after it can be trusted, and what the records claim
		 * from there on cannot be joined. */
		r = findings_add(findings, "vault-log-invalid", FINDING_NO_RECORD, NULL, "%s", err_message());
		goto out;
	}
	result->entries = log.entries;
	for (; j.next < claims->count && r == 0; j.next++) {
		const struct vault_claim *c = &claims->items[j.order[j.next]];
		r = findings_add(
		        findings, "vault-op-missing", (long)c->record, c->commit[0] ? c->commit : NULL,
		        "step %s claims %s at vault log line %llu, which the log (%llu lines) does not have: lines "
		        "dropped from its end, or another log",
		        c->step, c->op.op, (unsigned long long)c->op.log_seq, (unsigned long long)log.entries);
	}
	if (r == 0 && claims->close_time[0] != '\0')
		for (size_t i = 0; i < j.pending_count && r == 0; i++)
			r = findings_add(findings, "vault-op-unexplained", FINDING_NO_RECORD, NULL,
			                 "vault log line %llu: an accepted share contribution no record reports",
			                 (unsigned long long)j.pending_shares[i]);
	if (r == 0) {
		size_t uncertified = 0;
		for (size_t i = 0; i < j.window_signers.count; i++)
			uncertified += !key_set_has(&j.certified, j.window_signers.keys[i]);
		if (uncertified > 0)
			r = findings_add(findings, "vault-log-uncertified", FINDING_NO_RECORD, NULL,
			                 "%zu session key(s) signed vault log lines during the ceremony (from line "
			                 "%llu) that no "
			                 "audit-signed line certifies: they are not the vault's word",
			                 uncertified, (unsigned long long)j.first_window_session_seq);
	}
	result->joined = j.joined;
	if (r == 0 && j.error)
		r = err_set(CER_ERR_NOMEM, "out of memory");
out:
	free(j.order);
	free(j.destroyed.keys);
	free(j.certified.keys);
	free(j.window_signers.keys);
	return r;
}

int vault_check_shares(const struct vault_claims *claims, const struct vault_identity *identity,
                       struct findings *findings)
{
	uint8_t expected[FELDMAN_POINT_BYTES];
	int r = 0;

	if (!claims->has_vault)
		return 0; /* vault-unknown says it */
	if (memcmp(identity->id, claims->vault_id, 32) != 0 ||
	    memcmp(identity->audit_public_key, claims->audit_key, 32) != 0)
		return findings_add(findings, "vault-identity-mismatch", FINDING_NO_RECORD, NULL,
		                    "the vault identity given is not the vault the evidence pins (its id or audit key "
		                    "differ): the shares cannot be checked against it");
	for (size_t i = 0; i < claims->count && r == 0; i++) {
		const struct vault_claim *c = &claims->items[i];
		const struct record_vault_op *op = &c->op;
		if (strcmp(op->op, "unseal-share") != 0 || !op->has_point)
			continue;
		if (op->share_index == 0 || op->share_index > identity->key_master_count ||
		    strcmp(identity->key_masters[op->share_index - 1], op->who) != 0)
			r = findings_add(findings, "vault-share-invalid", (long)c->record,
			                 c->commit[0] ? c->commit : NULL,
			                 "step %s: share %u is reported as %s's, the vault's identity names %s",
			                 c->step, op->share_index, op->who,
			                 op->share_index >= 1 && op->share_index <= identity->key_master_count
			                         ? identity->key_masters[op->share_index - 1]
			                         : "no key master for it");
		else if ((r = feldman_expected_point(&identity->commitments, op->share_index, expected)) == 0 &&
		         memcmp(expected, op->share_point, FELDMAN_POINT_BYTES) != 0)
			r = findings_add(
			        findings, "vault-share-invalid", (long)c->record, c->commit[0] ? c->commit : NULL,
			        "step %s: the share %s contributed (share %u) is not a share of this vault's secret: "
			        "its public point is not what the vault's commitments say",
			        c->step, op->who, op->share_index);
	}
	return r;
}
