#include "evidence/history.h"

#include <string.h>

#include "common/error.h"
#include "common/git_error.h"
#include "common/sshsig.h"
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

int evidence_history_each(struct evidence_store *store, int (*fn)(void *ctx, const struct history_entry *entry),
                          void *ctx)
{
	struct sshkey_public keys[EVIDENCE_SIGNOFFS_MAX];
	struct buf bytes = buf_make(RECORD_BYTES_MAX);
	struct evidence_tip tip;
	struct record *rec = NULL;
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
		if ((r = read_signers(store->repo, &id, sequence, bytes.data, bytes.len, keys, &count)) != 0)
			break;
		entry.sequence = sequence;
		entry.commit = id;
		entry.bytes = bytes.data;
		entry.len = bytes.len;
		entry.record = rec;
		entry.signers = keys;
		entry.signer_count = count;
		r = fn(ctx, &entry);
		record_free(rec);
		rec = NULL;
		sequence++;
	}
out:
	record_free(rec);
	git_revwalk_free(walk);
	buf_free(&bytes);
	return r;
}
