#include "recorder/vault_step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "vault/client.h"
#include "common/vault_identity.h"
#include "vault/init.h"
#include "vault/log.h"
#include "vault/passphrase.h"
#include "vault/service.h"
#include "vault/sharefile.h"

void vault_outcome_init(struct vault_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->output = buf_make(VAULT_MSG_PAYLOAD_MAX);
}

void vault_outcome_free(struct vault_outcome *o)
{
	buf_free(&o->output);
}

int vault_step_identity(const char *dir, uint8_t id[32], uint8_t audit_key[32])
{
	struct vault_identity v;
	int r;

	if ((r = vault_identity_read(dir, &v)) != 0)
		return r;
	memcpy(id, v.id, 32);
	memcpy(audit_key, v.audit_public_key, 32);
	return 0;
}

int vault_step_check_vault(const char *dir, const uint8_t id[32], const uint8_t audit_key[32])
{
	uint8_t have_id[32], have_audit[32];
	int r;

	if ((r = vault_step_identity(dir, have_id, have_audit)) != 0)
		return r;
	if (memcmp(id, have_id, 32) != 0 || memcmp(audit_key, have_audit, 32) != 0)
		return err_set(CER_ERR_REFUSED, "%s is not this ceremony's vault", dir);
	return 0;
}

/* The passphrase file given for key master `id` ("ID=FILE"), or NULL: they type it. */
static const char *passphrase_file_for(const struct vault_step_init_request *req, const char *id)
{
	for (size_t i = 0; i < req->passphrase_file_count; i++) {
		const char *v = req->passphrase_files[i], *eq = strchr(v, '=');
		if (eq != NULL && (size_t)(eq - v) == strlen(id) && strncmp(v, id, strlen(id)) == 0)
			return eq + 1;
	}
	return NULL;
}

int vault_step_init(const struct vault_step_init_request *request, struct vault_outcome *out)
{
	const char *files[SHAMIR_MAX_SHARES];
	struct vault_init_request req;
	struct vault_log_result log;
	struct vault_identity identity;
	struct record_vault_op *op = &out->ops[0];
	char path[4096];
	int r;

	if (request->key_master_count > SHAMIR_MAX_SHARES)
		return err_set(CER_ERR_USAGE, "more than %d key masters", SHAMIR_MAX_SHARES);
	for (unsigned i = 0; i < request->key_master_count; i++)
		files[i] = passphrase_file_for(request, request->key_masters[i]);
	memset(&req, 0, sizeof(req));
	req.dir = request->dir;
	req.shares_dir = request->shares_dir;
	req.threshold = request->threshold;
	req.key_masters = request->key_masters;
	req.passphrase_files = files;
	req.key_master_count = request->key_master_count;
	req.who = request->who;
	if ((r = vault_init(&req, &identity)) != 0)
		return r;
	/* The init line is the log's last: its seq and hash join the record to the vault's log. */
	if (snprintf(path, sizeof(path), "%s/%s", request->dir, VAULT_LOG_FILE) >= (int)sizeof(path))
		return err_set(CER_ERR_USAGE, "%s: path too long", request->dir);
	if ((r = vault_log_verify(path, identity.audit_public_key, &log)) != 0)
		return r;
	if (log.entries == 0)
		return err_set(CER_ERR_INTERNAL, "%s: the new vault's log is empty", path);
	memset(op, 0, sizeof(*op));
	snprintf(op->op, sizeof(op->op), "init");
	snprintf(op->outcome, sizeof(op->outcome), "ok");
	op->log_seq = log.entries - 1;
	memcpy(op->log_hash, log.head, 32);
	op->has_vault = 1;
	memcpy(op->vault_id, identity.id, 32);
	memcpy(op->audit_key, identity.audit_public_key, 32);
	out->op_count = 1;
	if (snprintf(path, sizeof(path), "%s/%s", request->dir, VAULT_IDENTITY_FILE) >= (int)sizeof(path))
		return err_set(CER_ERR_USAGE, "%s: path too long", request->dir);
	return file_read_all(path, VAULT_IDENTITY_MAX, &out->output);
}

/* A field of 64 lower-case hex digits of the response. */
static int hex_field(const struct vault_msg *resp, const char *name, uint8_t out[32])
{
	const char *v = vault_msg_get(resp, name);

	if (v == NULL || strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64 ||
	    hex_decode_exact(v, 64, out, 32) != 0)
		return err_set(CER_ERR_FORMAT, "the vault's response has no valid %s", name);
	return 0;
}

static int seq_field(const struct vault_msg *resp, const char *name, uint64_t *out)
{
	const char *v = vault_msg_get(resp, name);
	char *end = NULL;
	unsigned long long n;

	if (v == NULL || v[0] < '0' || v[0] > '9' || strlen(v) > 16)
		return err_set(CER_ERR_FORMAT, "the vault's response has no valid %s", name);
	n = strtoull(v, &end, 10);
	if (*end != '\0' || n > RECORD_VAULT_LOG_SEQ_MAX)
		return err_set(CER_ERR_FORMAT, "the vault's response has no valid %s", name);
	*out = n;
	return 0;
}

static int copy_field(const struct vault_msg *resp, const char *name, char *out, size_t size)
{
	const char *v = vault_msg_get(resp, name);

	if (v == NULL || strlen(v) >= size)
		return err_set(CER_ERR_FORMAT, "the vault's response has no valid %s", name);
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* Turn a response into the next operation of `out`. */
static int take_response(const struct vault_msg *resp, const char *op_name, struct vault_outcome *out)
{
	const char *status = vault_msg_get(resp, "status");
	struct record_vault_op *op;
	int r;

	if (out->op_count == RECORD_VAULT_OPS_MAX)
		return err_set(CER_ERR_INTERNAL, "too many vault operations for one record");
	op = &out->ops[out->op_count];
	memset(op, 0, sizeof(*op));
	snprintf(op->op, sizeof(op->op), "%s", op_name);
	if (status == NULL || (strcmp(status, VAULT_STATUS_OK) != 0 && strcmp(status, VAULT_STATUS_REFUSED) != 0 &&
	                       strcmp(status, VAULT_STATUS_FAILED) != 0))
		return err_set(CER_ERR_FORMAT, "the vault's response has no valid status");
	snprintf(op->outcome, sizeof(op->outcome), "%s", status);
	snprintf(out->said, sizeof(out->said), "%s",
	         vault_msg_get(resp, "message") ? vault_msg_get(resp, "message") : "(no message)");
	if ((r = seq_field(resp, "seq", &op->log_seq)) != 0 || (r = hex_field(resp, "hash", op->log_hash)) != 0)
		return r;
	if (strcmp(status, VAULT_STATUS_OK) != 0) {
		out->refused = 1;
		snprintf(out->happened, sizeof(out->happened), "the vault %s %s (vault log entry %llu): %s",
		         strcmp(status, VAULT_STATUS_REFUSED) == 0 ? "refused" : "failed", op_name,
		         (unsigned long long)op->log_seq,
		         vault_msg_get(resp, "message") ? vault_msg_get(resp, "message") : "(no message)");
	} else if (vault_msg_get(resp, "fingerprint") != NULL) {
		if ((r = copy_field(resp, "label", op->label, sizeof(op->label))) != 0 ||
		    (r = copy_field(resp, "alg", op->algorithm, sizeof(op->algorithm))) != 0 ||
		    (r = hex_field(resp, "fingerprint", op->fingerprint)) != 0)
			return r;
		op->has_fingerprint = 1;
		if (vault_msg_get(resp, "message-sha256") != NULL) {
			if ((r = hex_field(resp, "message-sha256", op->message_sha256)) != 0 ||
			    (r = hex_field(resp, "signature-sha256", op->signature_sha256)) != 0)
				return r;
			op->has_message = op->has_signature = 1;
		}
	}
	out->op_count++;
	return 0;
}

/* One request (fields as name, value pairs, NULL-terminated), its response taken into `out`. */
static int ask(const char *dir, const char *op_name, const uint8_t *payload, size_t payload_len,
               struct vault_outcome *out, const char *const *fields)
{
	struct vault_msg req, resp;
	int r;

	vault_msg_init(&req);
	req.payload = payload;
	req.payload_len = payload_len;
	if ((r = vault_msg_add(&req, "op", op_name)) != 0)
		return r;
	for (size_t i = 0; fields[i] != NULL; i += 2)
		if ((r = vault_msg_add(&req, fields[i], fields[i + 1])) != 0)
			return r;
	if ((r = vault_client_call(dir, &req, 0, &resp)) != 0)
		return r;
	r = take_response(&resp, op_name, out);
	if (r == 0 && !out->refused && resp.payload_len > 0) {
		buf_reset(&out->output);
		r = buf_append(&out->output, resp.payload, resp.payload_len);
	}
	vault_msg_release(&resp);
	return r;
}

int vault_step_run(const char *dir, const struct scenario_step *step, const char *who, const uint8_t *input,
                   size_t input_len, struct vault_outcome *out)
{
	const char *label = step->key.label;

	switch (step->kind) {
	case STEP_VAULT_GENERATE: {
		const char *const fields[] = {"who", who, "label", label, "alg", step->key.algorithm, NULL};
		return ask(dir, VAULT_REQ_GENERATE, NULL, 0, out, fields);
	}
	case STEP_VAULT_EXPORT: {
		const char *const fields[] = {"who", who, "label", label, NULL};
		return ask(dir, VAULT_REQ_EXPORT, NULL, 0, out, fields);
	}
	case STEP_VAULT_SIGN: {
		const char *const fields[] = {"who", who, "label", label, NULL};
		return ask(dir, VAULT_REQ_SIGN, input, input_len, out, fields);
	}
	case STEP_VAULT_DESTROY:
		return vault_step_destroy(dir, who, label, out);
	case STEP_VAULT_SEAL:
		return vault_step_seal(dir, who, out);
	default:
		return err_set(CER_ERR_USAGE, "step %s is not a vault operation the recorder runs", step->id);
	}
}

int vault_step_destroy(const char *dir, const char *who, const char *label, struct vault_outcome *out)
{
	const char *const fields[] = {"who", who, "label", label, NULL};

	return ask(dir, VAULT_REQ_DESTROY, NULL, 0, out, fields);
}

int vault_step_seal(const char *dir, const char *who, struct vault_outcome *out)
{
	const char *const fields[] = {"who", who, NULL};

	return ask(dir, VAULT_REQ_SEAL, NULL, 0, out, fields);
}

/* The status of the vault, its response kept in *resp (release it). */
static int status_of(const char *dir, struct vault_msg *resp)
{
	struct vault_msg req;
	int r;

	vault_msg_init(&req);
	if ((r = vault_msg_add(&req, "op", VAULT_REQ_STATUS)) != 0 || (r = vault_client_call(dir, &req, 0, resp)) != 0)
		return r;
	if ((r = vault_client_status(resp)) != 0 || vault_msg_get(resp, "state") == NULL) {
		vault_msg_release(resp);
		return r != 0 ? r : err_set(CER_ERR_FORMAT, "the vault's status has no state");
	}
	return 0;
}

int vault_step_is_open(const char *dir)
{
	struct vault_msg resp;
	int r = status_of(dir, &resp);

	if (r != 0)
		return r;
	r = strcmp(vault_msg_get(&resp, "state"), "unsealed") == 0;
	vault_msg_release(&resp);
	return r;
}

/* One line of the status payload: "unseal-share WHO INDEX SEQ HASH POINT" or "unseal SEQ HASH". */
static int parse_opened_line(char *line, struct record_vault_op *op)
{
	char *words[6], *save = NULL, *w;
	size_t n = 0;
	char *end = NULL;

	memset(op, 0, sizeof(*op));
	for (w = strtok_r(line, " ", &save); w != NULL && n < 6; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	if (n == 6 && strcmp(words[0], "unseal-share") == 0 && strlen(words[1]) <= ROSTER_ID_MAX &&
	    strlen(words[4]) == 64 && strlen(words[5]) == 64) {
		snprintf(op->op, sizeof(op->op), "unseal-share");
		snprintf(op->who, sizeof(op->who), "%s", words[1]);
		op->share_index = (unsigned)strtoul(words[2], &end, 10);
		if (*end != '\0')
			return err_set(CER_ERR_FORMAT, "the vault's status lists a malformed contribution");
		op->log_seq = strtoull(words[3], &end, 10);
		if (*end != '\0' || hex_decode_exact(words[4], 64, op->log_hash, 32) != 0 ||
		    hex_decode_exact(words[5], 64, op->share_point, 32) != 0)
			return err_set(CER_ERR_FORMAT, "the vault's status lists a malformed contribution");
		op->has_point = 1;
	} else if (n == 3 && strcmp(words[0], "unseal") == 0 && strlen(words[2]) == 64) {
		snprintf(op->op, sizeof(op->op), "unseal");
		op->log_seq = strtoull(words[1], &end, 10);
		if (*end != '\0' || hex_decode_exact(words[2], 64, op->log_hash, 32) != 0)
			return err_set(CER_ERR_FORMAT, "the vault's status has a malformed unseal line");
	} else {
		return err_set(CER_ERR_FORMAT, "the vault's status has a malformed line");
	}
	snprintf(op->outcome, sizeof(op->outcome), "ok");
	return 0;
}

int vault_step_opened_by(const char *dir, struct vault_outcome *out)
{
	struct vault_msg resp;
	char *text = NULL, *line, *save = NULL;
	int r;

	if ((r = status_of(dir, &resp)) != 0)
		return r;
	if (strcmp(vault_msg_get(&resp, "state"), "unsealed") != 0) {
		r = err_set(CER_ERR_REFUSED,
		            "the vault is sealed (%s of %s shares): each key master contributes with 'ceremony share' "
		            "first",
		            vault_msg_get(&resp, "accepted") ? vault_msg_get(&resp, "accepted") : "?",
		            vault_msg_get(&resp, "threshold") ? vault_msg_get(&resp, "threshold") : "?");
		goto out;
	}
	if ((text = malloc(resp.payload_len + 1)) == NULL) {
		r = err_set(CER_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(text, resp.payload, resp.payload_len);
	text[resp.payload_len] = '\0';
	for (line = strtok_r(text, "\n", &save); line != NULL && r == 0; line = strtok_r(NULL, "\n", &save)) {
		if (out->op_count == RECORD_VAULT_OPS_MAX)
			r = err_set(CER_ERR_FORMAT, "the vault's status lists too many operations");
		else if ((r = parse_opened_line(line, &out->ops[out->op_count])) == 0)
			out->op_count++;
	}
	if (r == 0 && (out->op_count < 2 || strcmp(out->ops[out->op_count - 1].op, "unseal") != 0))
		r = err_set(CER_ERR_FORMAT, "the vault's status does not say what opened it");
out:
	free(text);
	vault_msg_release(&resp);
	return r;
}

int vault_step_contribute(const char *dir, const char *key_master, const char *share_path, const char *passphrase_file,
                          struct vault_outcome *out)
{
	struct sharefile_header h;
	struct vault_identity v;
	struct vault_msg req, resp;
	uint8_t *share = NULL;
	char *passphrase = NULL, index[8];
	size_t len = 0;
	int r;

	if ((r = vault_identity_read(dir, &v)) != 0)
		return r;
	if ((share = sodium_malloc(SHAMIR_SCALAR_BYTES)) == NULL)
		return err_set(CER_ERR_NOMEM, "cannot allocate secure memory");
	if ((r = passphrase_read("Passphrase of your share: ", passphrase_file, &passphrase, &len)) != 0 ||
	    (r = sharefile_read(share_path, v.id, passphrase, len, &h, share)) != 0)
		goto out;
	if (key_master == NULL) {
		key_master = h.key_master_id;
	} else if (strcmp(h.key_master_id, key_master) != 0) {
		r = err_set(CER_ERR_USAGE,
		            "%s is the share file of %s, not of %s: each key master contributes their own", share_path,
		            h.key_master_id, key_master);
		goto out;
	}
	snprintf(index, sizeof(index), "%u", h.share_index);
	vault_msg_init(&req);
	req.payload = share;
	req.payload_len = SHAMIR_SCALAR_BYTES;
	if ((r = vault_msg_add(&req, "op", VAULT_REQ_UNSEAL_SHARE)) != 0 ||
	    (r = vault_msg_add(&req, "who", key_master)) != 0 || (r = vault_msg_add(&req, "index", index)) != 0 ||
	    (r = vault_client_call(dir, &req, 1, &resp)) != 0)
		goto out;
	r = take_response(&resp, "unseal-share", out);
	if (r == 0 && !out->refused) {
		out->ops[out->op_count - 1].share_index = h.share_index;
		snprintf(out->ops[out->op_count - 1].who, sizeof(out->ops[0].who), "%s", key_master);
		if (shamir_share_public(share, out->ops[out->op_count - 1].share_point) == 0)
			out->ops[out->op_count - 1].has_point = 1;
		if (vault_msg_get(&resp, "unseal-seq") != NULL && out->op_count < RECORD_VAULT_OPS_MAX) {
			struct record_vault_op *op = &out->ops[out->op_count];
			memset(op, 0, sizeof(*op));
			snprintf(op->op, sizeof(op->op), "unseal");
			snprintf(op->outcome, sizeof(op->outcome), "ok");
			if ((r = seq_field(&resp, "unseal-seq", &op->log_seq)) == 0 &&
			    (r = hex_field(&resp, "unseal-hash", op->log_hash)) == 0)
				out->op_count++;
		}
	}
	vault_msg_release(&resp);
out:
	passphrase_free(passphrase);
	sodium_free(share);
	return r;
}
