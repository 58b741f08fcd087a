#include "evidence/history.h"

#include <string.h>

#include "common/error.h"
#include "common/git_error.h"
#include "common/hash.h"
#include "common/sshsig.h"
#include "evidence/commit_raw.h"
#include "evidence/store_internal.h"

/* The keys of the sign-offs of record `sequence` in `commit`, each verified over `bytes`. */
static int read_signers(git_repository *repo, const git_oid *commit_id, uint32_t sequence, const uint8_t *bytes,
                        size_t len, struct sshkey_public *keys, size_t *count)
{
	char path[EVIDENCE_RECORD_PATH_CHARS + sizeof("/" EVIDENCE_SIGNOFFS_DIR)];
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
	git_commit *commit = NULL;
	git_tree *root = NULL, *dir = NULL;
	git_tree_entry *entry = NULL;
	int r = 0;

	*count = 0;
	evidence_record_path(sequence, path);
	memcpy(path + EVIDENCE_RECORD_PATH_CHARS, "/" EVIDENCE_SIGNOFFS_DIR, sizeof("/" EVIDENCE_SIGNOFFS_DIR));
	if (git_commit_lookup(&commit, repo, commit_id) < 0 || git_commit_tree(&root, commit) < 0 ||
	    git_tree_entry_bypath(&entry, root, path) < 0 ||
	    git_tree_lookup(&dir, repo, git_tree_entry_id(entry)) < 0) {
		r = git_error_to_cer(CER_ERR_FORMAT, path);
		goto out;
	}
	if (git_tree_entrycount(dir) > EVIDENCE_SIGNOFFS_MAX) {
		r = err_set(CER_ERR_FORMAT, "%s: more than %d sign-offs", path, EVIDENCE_SIGNOFFS_MAX);
		goto out;
	}
	for (size_t i = 0; i < git_tree_entrycount(dir); i++) {
		git_blob *blob = NULL;
		if (git_blob_lookup(&blob, repo, git_tree_entry_id(git_tree_entry_byindex(dir, i))) < 0) {
			r = git_error_to_cer(CER_ERR_FORMAT, path);
			goto out;
		}
		buf_reset(&armored);
		r = (size_t)git_blob_rawsize(blob) > SSHSIG_ARMORED_MAX
		            ? err_set(CER_ERR_FORMAT, "sign-off too large")
		            : buf_append(&armored, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		git_blob_free(blob);
		if (r == 0)
			r = sshsig_verify(armored.data, armored.len, SSHSIG_NAMESPACE_RECORD, bytes, len,
			                  &keys[*count]);
		if (r != 0) {
			err_context(CER_ERR_VERIFY, "record %u: sign-off %s (run ceremony verify)", sequence,
			            git_tree_entry_name(git_tree_entry_byindex(dir, i)));
			r = CER_ERR_VERIFY;
			goto out;
		}
		(*count)++;
	}
out:
	git_tree_entry_free(entry);
	git_tree_free(dir);
	git_tree_free(root);
	git_commit_free(commit);
	buf_free(&armored);
	return r;
}

/* The commit itself: one parent (none for the first), exactly one signature header, a valid SSHSIG
 * in namespace "git" by a key of the pinned roster. What the recorder builds on must be what the
 * participants signed: a commit grafted by someone without a roster key is refused here. */
static int check_commit(git_repository *repo, const git_oid *id, uint32_t sequence, const struct roster *roster)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	struct commit_raw c;
	struct sshkey_public signer;
	size_t size = 0;
	git_object_t type;
	int r;

	if (git_repository_odb(&odb, repo) < 0)
		return git_error_to_cer(CER_ERR_IO, "object database");
	if (git_odb_read_header(&size, &type, odb, id) < 0 || type != GIT_OBJECT_COMMIT || size > COMMIT_RAW_MAX ||
	    git_odb_read(&obj, odb, id) < 0) {
		git_odb_free(odb);
		return err_set(CER_ERR_VERIFY, "record %u: its commit cannot be read (run ceremony verify)", sequence);
	}
	git_odb_free(odb);
	r = commit_raw_parse(&c, git_odb_object_data(obj), git_odb_object_size(obj));
	git_odb_object_free(obj);
	if (r != 0)
		return err_context(CER_ERR_VERIFY, "record %u (run ceremony verify)", sequence);
	if (c.parent_count != (sequence > 0 ? 1u : 0u) || c.signature_count != 1)
		r = err_set(CER_ERR_VERIFY,
		            "record %u: a commit with %zu parents and %zu signatures (run ceremony verify)", sequence,
		            c.parent_count, c.signature_count);
	else if (sshsig_verify(c.signature.data, c.signature.len, SSHSIG_NAMESPACE_GIT, c.signed_payload.data,
	                       c.signed_payload.len, &signer) != 0 ||
	         roster_find_key(roster, &signer) < 0)
		r = err_set(CER_ERR_VERIFY, "record %u: its commit is not signed by a roster key (run ceremony verify)",
		            sequence);
	commit_raw_free(&c);
	return r;
}

int evidence_history_each(struct evidence_store *store, int (*fn)(void *ctx, const struct history_entry *entry),
                          void *ctx)
{
	struct sshkey_public keys[EVIDENCE_SIGNOFFS_MAX];
	struct buf bytes = buf_make(RECORD_BYTES_MAX);
	struct evidence_tip tip;
	struct record *rec = NULL, *genesis = NULL;
	uint8_t previous[32];
	git_revwalk *walk = NULL;
	git_oid id;
	uint32_t sequence = 0;
	int r;

	if ((r = evidence_tip(store, &tip, NULL, NULL)) != 0 || tip.empty)
		return r;
	if (git_revwalk_new(&walk, store->repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, &tip.commit) < 0) {
		r = git_error_to_cer(CER_ERR_FORMAT, "history");
		goto out;
	}
	while (r == 0 && git_revwalk_next(&id, walk) == 0) {
		struct history_entry entry;
		size_t count = 0;
		if ((r = evidence_read_record(store, &id, sequence, &bytes)) != 0 ||
		    (r = record_parse(&rec, bytes.data, bytes.len)) != 0) {
			err_context(r, "record %u (run ceremony verify)", sequence);
			break;
		}
		if (rec->sequence != sequence) {
			r = err_set(CER_ERR_FORMAT, "record %u says it is %u (run ceremony verify)", sequence,
			            rec->sequence);
			break;
		}
		/* The chain, the ceremony and the scenario, from the genesis record on. */
		if (sequence == 0) {
			genesis = rec;
			rec = NULL;
		} else if (memcmp(rec->previous_sha256, previous, 32) != 0 ||
		           strcmp(rec->ceremony, genesis->ceremony) != 0 ||
		           memcmp(rec->scenario_sha256, genesis->scenario_sha256, 32) != 0) {
			r = err_set(CER_ERR_VERIFY,
			            "record %u does not chain to record %u of this ceremony (run ceremony verify)",
			            sequence, sequence - 1);
			break;
		}
		sha256_digest(bytes.data, bytes.len, previous);
		if ((r = check_commit(store->repo, &id, sequence, genesis->roster)) != 0)
			break;
		if ((r = read_signers(store->repo, &id, sequence, bytes.data, bytes.len, keys, &count)) != 0)
			break;
		entry.sequence = sequence;
		entry.commit = id;
		entry.bytes = bytes.data;
		entry.len = bytes.len;
		entry.record = rec != NULL ? rec : genesis;
		entry.signers = keys;
		entry.signer_count = count;
		r = fn(ctx, &entry);
		record_free(rec);
		rec = NULL;
		sequence++;
	}
out:
	record_free(rec);
	record_free(genesis);
	git_revwalk_free(walk);
	buf_free(&bytes);
	return r;
}
