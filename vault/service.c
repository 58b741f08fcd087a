#include "vault/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/hash.h"
#include "vault/audit.h"
#include "vault/keys.h"
#include "vault/keystore.h"
#include "vault/log.h"
#include "vault/shamir.h"

/* What an operation's log line says, and where it landed. */
struct logged {
	uint64_t seq;
	uint8_t hash[VAULT_LOG_HASH_BYTES];
};

struct vault_service {
	char dir[4096];
	char log_path[4096 + 16];
	struct vault_identity id;
	struct vault_log *log;
	struct audit_key *session; /* signs while sealed */
	/* Contributions so far, while sealed: shares[k] (secure memory) at 1-based indexes[k]. */
	uint8_t *shares;
	unsigned indexes[SHAMIR_MAX_SHARES];
	unsigned contributed;
	/* What opened the vault (public), reported by status: each accepted contribution's log line
	 * and public point, and the unseal line. Cleared by seal. */
	struct {
		char who[VAULT_KEY_MASTER_ID_MAX + 1];
		unsigned index;
		struct logged at;
		uint8_t point[SHAMIR_POINT_BYTES];
	} opened_by[SHAMIR_MAX_SHARES];
	struct logged unseal_at;
	/* Open: all three set; sealed: all NULL. */
	uint8_t *master;
	struct audit_key *audit;
	uint8_t *kek;
};

int vault_service_unsealed(const struct vault_service *s)
{
	return s->master != NULL;
}

/* The contributions' secrets go; what they were (public) stays for status while the vault is open. */
static void wipe_shares(struct vault_service *s)
{
	sodium_memzero(s->shares, (size_t)SHAMIR_MAX_SHARES * SHAMIR_SCALAR_BYTES);
}

static void wipe_contributions(struct vault_service *s)
{
	wipe_shares(s);
	memset(s->indexes, 0, sizeof(s->indexes));
	memset(s->opened_by, 0, sizeof(s->opened_by));
	s->contributed = 0;
}

static void wipe_open_state(struct vault_service *s)
{
	sodium_free(s->master);
	sodium_free(s->kek);
	audit_key_free(s->audit);
	s->master = NULL;
	s->kek = NULL;
	s->audit = NULL;
}

/* Append a line, signed by the audit key when the vault is open, else by the session key. */
static int log_line(struct vault_service *s, const struct vault_log_entry *e, struct logged *out)
{
	if (s->audit != NULL)
		return vault_log_append(s->log, e, audit_key_sign, s->audit, &out->seq, out->hash);
	return vault_log_append_session(s->log, e, audit_key_sign, s->session, s->session->public_key, &out->seq,
	                                out->hash);
}

/* A detail line for the log from an error message: printable ASCII only (the message may quote a
 * file name in any encoding), at most 1000 bytes. */
static void detail_from(char out[1001], const char *message)
{
	size_t i;

	for (i = 0; message[i] != '\0' && i < 1000; i++)
		out[i] = (message[i] >= 0x20 && message[i] < 0x7f) ? message[i] : '?';
	out[i] = '\0';
}

static const char *status_of(enum vault_log_outcome outcome)
{
	return outcome == VAULT_LOG_OUTCOME_OK        ? VAULT_STATUS_OK
	       : outcome == VAULT_LOG_OUTCOME_REFUSED ? VAULT_STATUS_REFUSED
	                                              : VAULT_STATUS_FAILED;
}

/* Which outcome an error of an operation is: the request was wrong (refused) or the vault failed. */
static enum vault_log_outcome outcome_of(int code)
{
	switch (code) {
	case CER_ERR_USAGE:
	case CER_ERR_REFUSED:
	case CER_ERR_NOT_FOUND:
	case CER_ERR_UNSUPPORTED:
	case CER_ERR_FORMAT:
		return VAULT_LOG_OUTCOME_REFUSED;
	default:
		return VAULT_LOG_OUTCOME_FAILED;
	}
}

/* Log the operation, then fill the response: status, message, and the log line's seq and hash.
 * Returns 0, or the log's error (the response then says the operation was not done). */
static int finish_at(struct vault_service *s, struct vault_log_entry *e, const char *message, struct vault_msg *resp,
                     struct logged *at_out)
{
	char hex[2 * VAULT_LOG_HASH_BYTES + 1];
	struct logged at;
	int r;

	if ((r = log_line(s, e, &at)) != 0) {
		vault_msg_init(resp);
		if (vault_msg_add(resp, "status", VAULT_STATUS_FAILED) != 0 ||
		    vault_msg_add(resp, "message",
		                  "the vault log could not be written: the operation is not reported done, and the "
		                  "vault stops serving") != 0)
			return r;
		return r;
	}
	if (at_out != NULL)
		*at_out = at;
	hex_encode(at.hash, sizeof(at.hash), hex);
	if ((r = vault_msg_add(resp, "status", status_of(e->outcome))) != 0 ||
	    (r = vault_msg_add(resp, "message", message)) != 0 ||
	    (r = vault_msg_addf(resp, "seq", "%llu", (unsigned long long)at.seq)) != 0 ||
	    (r = vault_msg_add(resp, "hash", hex)) != 0)
		return r;
	return 0;
}

static int finish(struct vault_service *s, struct vault_log_entry *e, const char *message, struct vault_msg *resp)
{
	return finish_at(s, e, message, resp, NULL);
}

/* Log and answer a refusal or failure of `op` whose reason is the current error. */
static int refuse(struct vault_service *s, struct vault_log_entry *e, int code, struct vault_msg *resp)
{
	char detail[1001];

	detail_from(detail, err_message());
	e->outcome = outcome_of(code);
	e->detail = detail;
	vault_msg_init(resp);
	return finish(s, e, detail, resp);
}

static int parse_index(const char *text, unsigned *out)
{
	unsigned long v = 0;
	size_t i;

	if (text == NULL || text[0] == '\0' || text[0] == '0' || strlen(text) > 2)
		return err_set(CER_ERR_USAGE, "the share index must be a number from 1 to %d", SHAMIR_MAX_SHARES);
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] < '0' || text[i] > '9')
			return err_set(CER_ERR_USAGE, "the share index must be a number from 1 to %d",
			               SHAMIR_MAX_SHARES);
		v = v * 10 + (unsigned long)(text[i] - '0');
	}
	if (v < 1 || v > SHAMIR_MAX_SHARES)
		return err_set(CER_ERR_USAGE, "the share index must be a number from 1 to %d", SHAMIR_MAX_SHARES);
	*out = (unsigned)v;
	return 0;
}

/* The quorum is reached: reconstruct, derive the audit key and the KEK, log `unseal` (audit-signed,
 * certifying the session key). The contributions are wiped whatever happens. */
static int open_vault(struct vault_service *s, const char *who, struct vault_msg *resp)
{
	char detail[64 + SHAMIR_MAX_SHARES * (VAULT_KEY_MASTER_ID_MAX + 2)], hex[65];
	struct vault_log_entry e = {0};
	struct logged at;
	size_t used = 0;
	int r;

	e.who = who;
	e.op = VAULT_LOG_OP_UNSEAL;
	if ((s->master = sodium_malloc(SHAMIR_SCALAR_BYTES)) == NULL ||
	    (s->kek = sodium_malloc(KEYSTORE_KEK_BYTES)) == NULL) {
		r = err_set(CER_ERR_NOMEM, "cannot allocate secure memory");
		goto fail;
	}
	if ((r = shamir_combine_verified(&s->id.commitments, s->indexes, s->shares, s->contributed, s->master)) != 0 ||
	    (r = audit_key_derive(&s->audit, s->master)) != 0 || (r = keystore_kek_derive(s->kek, s->master)) != 0)
		goto fail;
	if (sodium_memcmp(s->audit->public_key, s->id.audit_public_key, sizeof(s->id.audit_public_key)) != 0) {
		r = err_set(CER_ERR_VERIFY, "the shares open a vault whose audit key is not this vault's");
		goto fail;
	}
	used = (size_t)snprintf(detail, sizeof(detail), "opened by");
	for (unsigned k = 0; k < s->contributed && used < sizeof(detail); k++)
		used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s %s", k == 0 ? "" : ",",
		                         s->id.key_masters[s->indexes[k] - 1]);
	wipe_shares(s); /* the master secret is made; who contributed stays on record until seal */
	e.outcome = VAULT_LOG_OUTCOME_OK;
	e.detail = detail;
	e.certifies = s->session->public_key;
	if ((r = log_line(s, &e, &at)) != 0) {
		wipe_open_state(s); /* not reported open: not open */
		wipe_contributions(s);
		return r;
	}
	s->unseal_at = at;
	hex_encode(at.hash, sizeof(at.hash), hex);
	if ((r = vault_msg_add(resp, "state", "unsealed")) != 0 ||
	    (r = vault_msg_addf(resp, "unseal-seq", "%llu", (unsigned long long)at.seq)) != 0 ||
	    (r = vault_msg_add(resp, "unseal-hash", hex)) != 0)
		return r;
	return 0;
fail:
	wipe_open_state(s);
	wipe_contributions(s);
	{
		char why[1001];
		detail_from(why, err_message());
		e.outcome = VAULT_LOG_OUTCOME_FAILED;
		e.detail = why;
		if (log_line(s, &e, &at) != 0)
			return err_context(r, "and the vault log could not be written");
	}
	return vault_msg_add(resp, "state", "sealed") != 0 ? r : 0;
}

static int do_unseal_share(struct vault_service *s, const struct vault_msg *req, const char *who,
                           struct vault_msg *resp)
{
	struct vault_log_entry e = {0};
	char message[256];
	unsigned index = 0;
	int r;

	e.who = who;
	e.op = VAULT_LOG_OP_UNSEAL_SHARE;
	if (vault_service_unsealed(s)) {
		r = err_set(CER_ERR_REFUSED, "the vault is already open");
		return refuse(s, &e, r, resp);
	}
	if ((r = parse_index(vault_msg_get(req, "index"), &index)) != 0)
		return refuse(s, &e, r, resp);
	if (index > s->id.key_master_count || strcmp(s->id.key_masters[index - 1], who) != 0) {
		r = err_set(CER_ERR_REFUSED, "share %u is not %s's in this vault", index, who);
		return refuse(s, &e, r, resp);
	}
	for (unsigned k = 0; k < s->contributed; k++)
		if (s->indexes[k] == index) {
			r = err_set(CER_ERR_REFUSED, "%s has already contributed a share", who);
			return refuse(s, &e, r, resp);
		}
	if (req->payload_len != SHAMIR_SCALAR_BYTES) {
		r = err_set(CER_ERR_FORMAT, "a share is %d bytes, not %zu", SHAMIR_SCALAR_BYTES, req->payload_len);
		return refuse(s, &e, r, resp);
	}
	if ((r = shamir_verify_share(&s->id.commitments, index, req->payload)) != 0) {
		/* A bad share is the key master's, named: refused, not a failure of the vault. */
		err_set(CER_ERR_REFUSED, "the share of %s does not match the vault's commitments", who);
		return refuse(s, &e, CER_ERR_REFUSED, resp);
	}
	memcpy(s->shares + (size_t)s->contributed * SHAMIR_SCALAR_BYTES, req->payload, SHAMIR_SCALAR_BYTES);
	if ((r = shamir_share_public(req->payload, s->opened_by[s->contributed].point)) != 0) {
		sodium_memzero(s->shares + (size_t)s->contributed * SHAMIR_SCALAR_BYTES, SHAMIR_SCALAR_BYTES);
		return refuse(s, &e, r, resp);
	}
	snprintf(s->opened_by[s->contributed].who, sizeof(s->opened_by[s->contributed].who), "%s", who);
	s->opened_by[s->contributed].index = index;
	s->indexes[s->contributed++] = index;
	snprintf(message, sizeof(message), "share %u of %s accepted (%u of %u)", index, who, s->contributed,
	         s->id.commitments.threshold);
	e.outcome = VAULT_LOG_OUTCOME_OK;
	e.detail = message;
	vault_msg_init(resp);
	if ((r = finish_at(s, &e, message, resp, &s->opened_by[s->contributed - 1].at)) != 0)
		return r;
	if ((r = vault_msg_addf(resp, "accepted", "%u", s->contributed)) != 0 ||
	    (r = vault_msg_addf(resp, "threshold", "%u", s->id.commitments.threshold)) != 0)
		return r;
	if (s->contributed < s->id.commitments.threshold)
		return vault_msg_add(resp, "state", "sealed");
	return open_vault(s, who, resp);
}

static int do_seal(struct vault_service *s, const char *who, const char *why, struct vault_msg *resp)
{
	struct vault_log_entry e = {0};
	int r;

	e.who = who;
	e.op = VAULT_LOG_OP_SEAL;
	e.outcome = VAULT_LOG_OUTCOME_OK;
	if (vault_service_unsealed(s))
		e.detail = why != NULL ? why : "sealed: the master secret and every key derived from it wiped";
	else if (s->contributed > 0)
		e.detail = "was sealed; the contributions so far discarded";
	else
		e.detail = "was already sealed";
	vault_msg_init(resp);
	/* Logged first, while the audit key still exists to sign it; wiped even if the log fails. */
	r = finish(s, &e, "sealed", resp);
	wipe_open_state(s);
	wipe_contributions(s);
	if (r == 0)
		r = vault_msg_add(resp, "state", "sealed");
	return r;
}

/* Fields every key response carries. */
static int add_key_fields(struct vault_msg *resp, const char *label, const struct vault_key *key)
{
	char fp[2 * VAULT_KEY_FINGERPRINT_BYTES + 1];
	int r;

	hex_encode(vault_key_fingerprint(key), VAULT_KEY_FINGERPRINT_BYTES, fp);
	if ((r = vault_msg_add(resp, "label", label)) != 0 ||
	    (r = vault_msg_add(resp, "alg", vault_key_alg_name(vault_key_get_alg(key)))) != 0 ||
	    (r = vault_msg_add(resp, "fingerprint", fp)) != 0)
		return r;
	return 0;
}

/* generate, export, sign, destroy: the vault must be open and the label valid. */
static int do_key_op(struct vault_service *s, const char *op, const struct vault_msg *req, const char *who,
                     struct vault_msg *resp, struct buf *payload)
{
	const char *label = vault_msg_get(req, "label");
	struct vault_log_entry e = {0};
	struct vault_key *key = NULL;
	enum vault_key_alg alg;
	char detail[256], h1[65], h2[65];
	int r;

	e.who = who;
	e.op = op;
	if (!vault_service_unsealed(s)) {
		r = err_set(CER_ERR_REFUSED, "the vault is sealed: a quorum of key masters must open it first");
		return refuse(s, &e, r, resp);
	}
	if (label == NULL || (r = keystore_label_check(label)) != 0) {
		r = err_set(CER_ERR_USAGE, "the request has no valid key label");
		return refuse(s, &e, r, resp);
	}
	e.label = label;
	if (strcmp(op, VAULT_LOG_OP_GENERATE) == 0) {
		const char *alg_name = vault_msg_get(req, "alg");
		if ((r = vault_key_alg_parse(&alg, alg_name != NULL ? alg_name : "")) != 0 ||
		    (r = vault_key_generate(&key, alg)) != 0 || (r = keystore_put(s->dir, s->kek, label, key)) != 0)
			goto refused;
		snprintf(detail, sizeof(detail), "%s key generated and stored", vault_key_alg_name(alg));
	} else {
		if ((r = keystore_get(s->dir, s->kek, label, &key)) != 0)
			goto refused;
		if (strcmp(op, VAULT_LOG_OP_EXPORT) == 0) {
			if ((r = vault_key_public_pem(key, payload)) != 0)
				goto refused;
			snprintf(detail, sizeof(detail), "public key exported (PEM SubjectPublicKeyInfo)");
		} else if (strcmp(op, VAULT_LOG_OP_SIGN) == 0) {
			if ((r = vault_key_sign(key, req->payload, req->payload_len, payload)) != 0)
				goto refused;
			sha256_hex(req->payload, req->payload_len, h1);
			sha256_hex(payload->data, payload->len, h2);
			snprintf(detail, sizeof(detail),
			         "signed a message of %zu bytes, SHA-256 %s; signature SHA-256 %s", req->payload_len,
			         h1, h2);
		} else {
			if ((r = keystore_destroy(s->dir, label)) != 0)
				goto refused;
			snprintf(detail, sizeof(detail), "private key destroyed; its label cannot be used again");
		}
	}
	e.fingerprint = vault_key_fingerprint(key);
	e.outcome = VAULT_LOG_OUTCOME_OK;
	e.detail = detail;
	vault_msg_init(resp);
	if ((r = finish(s, &e, detail, resp)) == 0)
		r = add_key_fields(resp, label, key);
	if (r == 0 && strcmp(op, VAULT_LOG_OP_SIGN) == 0 && (r = vault_msg_add(resp, "message-sha256", h1)) == 0)
		r = vault_msg_add(resp, "signature-sha256", h2);
	vault_key_free(key);
	if (r != 0)
		buf_reset(payload); /* not reported done: nothing handed out */
	return r;
refused:
	if (key != NULL)
		e.fingerprint = vault_key_fingerprint(key);
	buf_reset(payload);
	r = refuse(s, &e, r, resp);
	vault_key_free(key);
	return r;
}

/* Status's payload while open: what opened the vault, one line each, all public:
 *   unseal-share WHO INDEX SEQ HASH POINT
 *   unseal SEQ HASH */
static int opened_by_text(const struct vault_service *s, struct buf *out)
{
	char hash[65], point[65];
	int r = 0;

	for (unsigned k = 0; k < s->contributed && r == 0; k++) {
		hex_encode(s->opened_by[k].at.hash, 32, hash);
		hex_encode(s->opened_by[k].point, 32, point);
		r = buf_printf(out, "unseal-share %s %u %llu %s %s\n", s->opened_by[k].who, s->opened_by[k].index,
		               (unsigned long long)s->opened_by[k].at.seq, hash, point);
	}
	hex_encode(s->unseal_at.hash, 32, hash);
	if (r == 0)
		r = buf_printf(out, "unseal %llu %s\n", (unsigned long long)s->unseal_at.seq, hash);
	return r;
}

static int do_status(struct vault_service *s, struct vault_msg *resp, struct buf *payload)
{
	uint8_t head[VAULT_LOG_HASH_BYTES];
	char hex[65];
	int r;

	vault_log_head(s->log, head);
	vault_msg_init(resp);
	if ((r = vault_msg_add(resp, "status", VAULT_STATUS_OK)) != 0 ||
	    (r = vault_msg_add(resp, "message", vault_service_unsealed(s) ? "unsealed" : "sealed")) != 0 ||
	    (r = vault_msg_add(resp, "state", vault_service_unsealed(s) ? "unsealed" : "sealed")) != 0 ||
	    (r = vault_msg_addf(resp, "accepted", "%u", s->contributed)) != 0 ||
	    (r = vault_msg_addf(resp, "threshold", "%u", s->id.commitments.threshold)) != 0)
		return r;
	hex_encode(s->id.id, sizeof(s->id.id), hex);
	if ((r = vault_msg_add(resp, "vault-id", hex)) != 0)
		return r;
	hex_encode(head, sizeof(head), hex);
	if ((r = vault_msg_addf(resp, "log-entries", "%llu", (unsigned long long)vault_log_next_seq(s->log))) != 0 ||
	    (r = vault_msg_add(resp, "log-head", hex)) != 0)
		return r;
	return vault_service_unsealed(s) ? opened_by_text(s, payload) : 0;
}

int vault_service_handle(struct vault_service *s, const struct vault_msg *req, const char *peer, struct vault_msg *resp,
                         struct buf *payload)
{
	const char *op = vault_msg_get(req, "op"), *who = vault_msg_get(req, "who");
	struct vault_log_entry e = {0};
	int r;

	buf_reset(payload);
	vault_msg_init(resp);
	if (op != NULL && strcmp(op, VAULT_REQ_STATUS) == 0)
		return do_status(s, resp, payload);
	/* Every other request is logged under the name it gives, or the connection's when it gives none
	 * the log can hold. */
	if (who == NULL || !vault_log_who_ok(who)) {
		e.who = peer;
		e.op = VAULT_LOG_OP_REFUSE;
		r = err_set(CER_ERR_USAGE, "the request does not name who asks (field \"who\")");
		return refuse(s, &e, r, resp);
	}
	if (op == NULL) {
		e.who = who;
		e.op = VAULT_LOG_OP_REFUSE;
		r = err_set(CER_ERR_USAGE, "the request names no operation");
		return refuse(s, &e, r, resp);
	}
	if (strcmp(op, VAULT_REQ_UNSEAL_SHARE) == 0)
		return do_unseal_share(s, req, who, resp);
	if (strcmp(op, VAULT_REQ_SEAL) == 0)
		return do_seal(s, who, NULL, resp);
	if (strcmp(op, VAULT_REQ_GENERATE) == 0 || strcmp(op, VAULT_REQ_EXPORT) == 0 ||
	    strcmp(op, VAULT_REQ_SIGN) == 0 || strcmp(op, VAULT_REQ_DESTROY) == 0)
		return do_key_op(s, op, req, who, resp, payload);
	e.who = who;
	e.op = VAULT_LOG_OP_REFUSE;
	r = err_set(CER_ERR_USAGE, "unknown operation \"%.32s\"", op);
	return refuse(s, &e, r, resp);
}

int vault_service_refuse_peer(struct vault_service *s, const char *peer, struct vault_msg *resp)
{
	struct vault_log_entry e = {0};

	e.who = peer;
	e.op = VAULT_LOG_OP_REFUSE;
	return refuse(s, &e, CER_ERR_REFUSED, resp);
}

static int log_start(struct vault_service *s, const char *who)
{
	struct vault_log_entry e = {0};
	struct logged at;
	char detail[256];
	int r, test;

	e.who = who;
	if (vault_log_torn_bytes(s->log) > 0) {
		snprintf(detail, sizeof(detail),
		         "discarded a torn final line of %zu bytes: its operation was never reported done",
		         vault_log_torn_bytes(s->log));
		e.op = VAULT_LOG_OP_RECOVER;
		e.outcome = VAULT_LOG_OUTCOME_OK;
		e.detail = detail;
		if ((r = log_line(s, &e, &at)) != 0)
			return r;
	}
	test = keys_self_test();
	e.op = VAULT_LOG_OP_SELF_TEST;
	if (test != 0) {
		char why[1001];
		detail_from(why, err_message());
		e.outcome = VAULT_LOG_OUTCOME_FAILED;
		e.detail = why;
		if ((r = log_line(s, &e, &at)) != 0)
			return r;
		return err_set(CER_ERR_INTERNAL, "%s; the vault refuses to work", why);
	}
	e.outcome = VAULT_LOG_OUTCOME_OK;
	e.detail = "known-answer tests of SHA-256, SHA-384, Ed25519, ECDSA P-256/P-384, RSA passed";
	if ((r = log_line(s, &e, &at)) != 0)
		return r;
	snprintf(detail, sizeof(detail),
	         "vault process %ld started, sealed; its session key signs until the vault opens", (long)getpid());
	e.op = VAULT_LOG_OP_SERVE;
	e.detail = detail;
	return log_line(s, &e, &at);
}

int vault_service_start(struct vault_service **out, const char *dir, const char *who)
{
	struct vault_service *s = calloc(1, sizeof(*s));
	struct vault_log_result result;
	int r;

	*out = NULL;
	if (s == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if (snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir)) {
		r = err_set(CER_ERR_USAGE, "%s: path too long", dir);
		goto fail;
	}
	snprintf(s->log_path, sizeof(s->log_path), "%s/%s", dir, VAULT_LOG_FILE);
	if ((s->shares = sodium_malloc((size_t)SHAMIR_MAX_SHARES * SHAMIR_SCALAR_BYTES)) == NULL) {
		r = err_set(CER_ERR_NOMEM, "cannot allocate secure memory");
		goto fail;
	}
	wipe_contributions(s);
	if ((r = vault_identity_read(dir, &s->id)) != 0 ||
	    (r = vault_log_open(&s->log, s->log_path, s->id.audit_public_key)) != 0)
		goto fail;
	/* Opening settled a torn tail; now the whole chain must hold before anything is added to it. */
	if ((r = vault_log_verify(s->log_path, s->id.audit_public_key, &result)) != 0) {
		err_context(r, "the vault refuses to start on a log that does not verify");
		goto fail;
	}
	if ((r = audit_session_key_generate(&s->session)) != 0 || (r = log_start(s, who)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	vault_service_stop(s, NULL);
	return r;
}

void vault_service_stop(struct vault_service *s, const char *why)
{
	struct vault_msg resp;

	if (s == NULL)
		return;
	if (why != NULL && s->log != NULL && s->session != NULL && (vault_service_unsealed(s) || s->contributed > 0) &&
	    do_seal(s, "vault", why, &resp) != 0)
		fprintf(stderr, "ceremony: vault: sealing as the process ends: %s\n", err_message());
	wipe_open_state(s);
	sodium_free(s->shares);
	audit_key_free(s->session);
	vault_log_close(s->log);
	free(s);
}
