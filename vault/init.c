#include "vault/init.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/error.h"
#include "vault/audit.h"
#include "vault/keys.h"
#include "vault/log.h"
#include "vault/passphrase.h"
#include "vault/sharefile.h"

static int make_private_dir(const char *dir, int must_be_empty)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return err_set(CER_ERR_IO, "%s: cannot create the directory", dir);
	if (!must_be_empty)
		return 0;
	if ((d = opendir(dir)) == NULL)
		return err_set(CER_ERR_IO, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			closedir(d);
			return err_set(CER_ERR_REFUSED, "%s is not empty: a vault is never initialized twice", dir);
		}
	closedir(d);
	return 0;
}

/* Each key master's share, encrypted under the passphrase they type (or give in a file). */
static int write_shares(const struct vault_init_request *req, const struct vault_identity *v, const uint8_t *shares)
{
	char path[4096], prompt[160];
	int r = 0;

	for (unsigned i = 0; i < req->key_master_count && r == 0; i++) {
		struct sharefile_header h;
		char *passphrase = NULL;
		size_t len = 0;
		snprintf(prompt, sizeof(prompt),
		         "Key master %s, choose the passphrase of your share: ", req->key_masters[i]);
		if (snprintf(path, sizeof(path), "%s/%s.share", req->shares_dir, req->key_masters[i]) >=
		    (int)sizeof(path))
			return err_set(CER_ERR_USAGE, "%s: path too long", req->shares_dir);
		if ((r = sharefile_header_init(&h, v->id, i + 1, req->key_masters[i])) != 0 ||
		    (r = passphrase_read(prompt, req->passphrase_files ? req->passphrase_files[i] : NULL, &passphrase,
		                         &len)) != 0) {
			err_context(r, "key master %s", req->key_masters[i]);
			break;
		}
		if (req->fast_kdf) {
			h.opslimit = SHAREFILE_OPSLIMIT_MIN;
			h.memlimit = SHAREFILE_MEMLIMIT_MIN;
		}
		r = sharefile_write(path, &h, shares + (size_t)i * SHAMIR_SCALAR_BYTES, passphrase, len);
		passphrase_free(passphrase);
	}
	return r;
}

static int first_log_entries(const struct vault_init_request *req, const struct vault_identity *v,
                             struct audit_key *audit)
{
	struct vault_log *log = NULL;
	struct vault_log_entry e;
	char path[4096], detail[256];
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", req->dir, VAULT_LOG_FILE) >= (int)sizeof(path))
		return err_set(CER_ERR_USAGE, "%s: path too long", req->dir);
	if ((r = vault_log_create(&log, path, audit->public_key)) != 0)
		return r;
	memset(&e, 0, sizeof(e));
	e.who = req->who;
	e.op = VAULT_LOG_OP_SELF_TEST;
	e.outcome = VAULT_LOG_OUTCOME_OK;
	e.detail = "known-answer tests of SHA-256, SHA-384, Ed25519, ECDSA P-256/P-384, RSA passed";
	if ((r = vault_log_append(log, &e, audit_key_sign, audit, NULL, NULL)) == 0) {
		snprintf(detail, sizeof(detail), "%u of %u key masters; shares written for each",
		         v->commitments.threshold, v->key_master_count);
		e.op = VAULT_LOG_OP_INIT;
		e.detail = detail;
		r = vault_log_append(log, &e, audit_key_sign, audit, NULL, NULL);
	}
	vault_log_close(log);
	return r;
}

/* Nothing half-written: a failed init leaves no share file, identity or log behind. */
static void undo(const struct vault_init_request *req)
{
	char path[4096];

	for (unsigned i = 0; i < req->key_master_count; i++)
		if (snprintf(path, sizeof(path), "%s/%s.share", req->shares_dir, req->key_masters[i]) <
		    (int)sizeof(path))
			unlink(path);
	if (snprintf(path, sizeof(path), "%s/%s", req->dir, VAULT_IDENTITY_FILE) < (int)sizeof(path))
		unlink(path);
	if (snprintf(path, sizeof(path), "%s/%s", req->dir, VAULT_LOG_FILE) < (int)sizeof(path))
		unlink(path);
}

int vault_init(const struct vault_init_request *req, struct vault_identity *identity_out)
{
	struct vault_identity v;
	struct audit_key *audit = NULL;
	uint8_t *master = NULL, *shares = NULL;
	int r;

	memset(&v, 0, sizeof(v));
	if (req->key_master_count < SHAMIR_MIN_THRESHOLD || req->key_master_count > SHAMIR_MAX_SHARES ||
	    req->threshold < SHAMIR_MIN_THRESHOLD || req->threshold > req->key_master_count)
		return err_set(CER_ERR_USAGE, "the quorum must be 2 <= threshold <= key masters <= %d",
		               SHAMIR_MAX_SHARES);
	for (unsigned i = 0; i < req->key_master_count; i++) {
		if (strlen(req->key_masters[i]) == 0 || strlen(req->key_masters[i]) > VAULT_KEY_MASTER_ID_MAX)
			return err_set(CER_ERR_USAGE, "key master id \"%s\" is empty or too long", req->key_masters[i]);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(req->key_masters[i], req->key_masters[j]) == 0)
				return err_set(CER_ERR_USAGE, "key master %s named twice: a person holds one share",
				               req->key_masters[i]);
		memcpy(v.key_masters[i], req->key_masters[i], strlen(req->key_masters[i]) + 1);
	}
	v.key_master_count = req->key_master_count;
	if ((r = keys_self_test()) != 0)
		return r;
	if ((r = make_private_dir(req->dir, 1)) != 0 || (r = make_private_dir(req->shares_dir, 0)) != 0)
		return r;
	/* A share file left from another vault must not be overwritten, nor mistaken for ours. */
	for (unsigned i = 0; i < req->key_master_count; i++) {
		char path[4096];
		struct stat st;
		if (snprintf(path, sizeof(path), "%s/%s.share", req->shares_dir, req->key_masters[i]) >=
		    (int)sizeof(path))
			return err_set(CER_ERR_USAGE, "%s: path too long", req->shares_dir);
		if (lstat(path, &st) == 0)
			return err_set(CER_ERR_REFUSED, "%s exists: share files are never overwritten", path);
	}
	master = sodium_malloc(SHAMIR_SCALAR_BYTES);
	shares = sodium_malloc((size_t)req->key_master_count * SHAMIR_SCALAR_BYTES);
	if (master == NULL || shares == NULL) {
		r = err_set(CER_ERR_NOMEM, "cannot allocate secure memory");
		goto out;
	}
	crypto_core_ristretto255_scalar_random(master);
	if ((r = shamir_split(master, req->threshold, req->key_master_count, shares, &v.commitments)) != 0 ||
	    (r = feldman_commitments_id(&v.commitments, v.id)) != 0 || (r = audit_key_derive(&audit, master)) != 0)
		goto out;
	memcpy(v.audit_public_key, audit->public_key, 32);
	/* Shares first: if a key master cannot set a passphrase, no identity claims a vault. */
	if ((r = write_shares(req, &v, shares)) != 0 || (r = vault_identity_write(req->dir, &v)) != 0 ||
	    (r = first_log_entries(req, &v, audit)) != 0)
		goto out;
	if (identity_out != NULL)
		*identity_out = v;
out:
	if (r != 0)
		undo(req);
	sodium_free(master);
	sodium_free(shares);
	audit_key_free(audit);
	return r;
}
