/* evidence_append: the one writer of the evidence repository.
 *
 * Order of writes, and why a crash anywhere is safe: every new object (blobs, trees, the signed
 * commit) is written first and made durable with one syncfs(); only then is the branch moved, with
 * a compare-and-swap against the tip we validated under the lock; then the branch is made durable.
 * Objects written before a crash and never referenced are unreachable garbage, invisible to
 * readers and to the verifier. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/file.h"
#include "common/git_error.h"
#include "common/hash.h"
#include "common/sshsig.h"
#include "evidence/store.h"
#include "evidence/store_internal.h"

static int fault(enum evidence_append_step step)
{
	if (evidence_fault_hook != NULL && evidence_fault_hook(step) != 0)
		return err_set(CER_ERR_IO, "append stopped at step %d (fault injection)", (int)step);
	return 0;
}

/* Everything checked before a byte is written. */
struct append_plan {
	struct record *record;
	struct record *genesis; /* NULL when appending the genesis record itself */
	struct evidence_tip tip;
	const struct roster *roster;
};

static int check_follows_tip(const struct append_plan *plan)
{
	const struct record *rec = plan->record;
	static const uint8_t zero[32];

	if (plan->tip.empty) {
		if (rec->type != RECORD_GENESIS)
			return err_set(CER_ERR_REFUSED, "the first record must be the genesis record");
		if (memcmp(rec->previous_sha256, zero, 32) != 0)
			return err_set(CER_ERR_REFUSED, "the genesis record's previous-sha256 must be all zero");
		return 0;
	}
	if (plan->tip.type == RECORD_CLOSE)
		return err_set(CER_ERR_REFUSED, "the ceremony is closed (record %u); nothing can be appended",
		               plan->tip.sequence);
	if (rec->sequence != plan->tip.sequence + 1)
		return err_set(CER_ERR_REFUSED,
		               "record sequence %u does not follow the tip (%u); was another record "
		               "appended meanwhile?",
		               rec->sequence, plan->tip.sequence);
	if (memcmp(rec->previous_sha256, plan->tip.record_sha256, 32) != 0)
		return err_set(CER_ERR_REFUSED, "record's previous-sha256 is not the hash of record %u",
		               plan->tip.sequence);
	if (strcmp(rec->ceremony, plan->genesis->ceremony) != 0)
		return err_set(CER_ERR_REFUSED, "record is for ceremony \"%s\", the repository holds \"%s\"",
		               rec->ceremony, plan->genesis->ceremony);
	if (memcmp(rec->scenario_sha256, plan->genesis->scenario_sha256, 32) != 0)
		return err_set(CER_ERR_REFUSED, "record names another scenario than the genesis record pinned");
	if (rec->session < plan->tip.session)
		return err_set(CER_ERR_REFUSED, "record session %u is before the current session %u", rec->session,
		               plan->tip.session);
	return 0;
}

static int check_signoffs(const struct append_plan *plan, const uint8_t *bytes, size_t len,
                          const struct evidence_signoff *signoffs, size_t count, struct signer *committer)
{
	long seen[EVIDENCE_SIGNOFFS_MAX];
	char fp[SSHKEY_FINGERPRINT_CHARS + 1];

	if (count == 0)
		return err_set(CER_ERR_USAGE, "a record needs at least one sign-off");
	if (count > EVIDENCE_SIGNOFFS_MAX)
		return err_set(CER_ERR_USAGE, "more than %d sign-offs on one record", EVIDENCE_SIGNOFFS_MAX);
	if (roster_find_participant(plan->roster, plan->record->actor) < 0)
		return err_set(CER_ERR_REFUSED, "actor \"%s\" is not in the roster", plan->record->actor);
	for (size_t i = 0; i < count; i++) {
		struct sshkey_public signer;
		sshkey_fingerprint_text(&signoffs[i].key, fp);
		seen[i] = roster_find_key(plan->roster, &signoffs[i].key);
		if (seen[i] < 0)
			return err_set(CER_ERR_REFUSED, "key %s is not in the roster", fp);
		for (size_t j = 0; j < i; j++)
			if (seen[j] == seen[i])
				return err_set(CER_ERR_REFUSED,
				               "%s signs twice (a second key, %s); a person counts once",
				               plan->roster->participants[seen[i]], fp);
		/* Never commit a sign-off that the verifier would refuse. */
		if (sshsig_verify(signoffs[i].armored, signoffs[i].armored_len, SSHSIG_NAMESPACE_RECORD, bytes, len,
		                  &signer) != 0 ||
		    !sshkey_public_equal(&signer, &signoffs[i].key))
			return err_context(CER_ERR_VERIFY, "sign-off by %s (%s)", plan->roster->participants[seen[i]],
			                   fp);
	}
	if (roster_find_key(plan->roster, signer_public_key(committer)) < 0) {
		sshkey_fingerprint_text(signer_public_key(committer), fp);
		return err_set(CER_ERR_REFUSED, "commit key %s (%s) is not in the roster", signer_name(committer), fp);
	}
	return 0;
}

/* Files beside the record must be exactly what the record says. */
static int check_files(const struct append_plan *plan, const struct evidence_file *files, size_t count)
{
	const struct record *rec = plan->record;
	const size_t prefix = sizeof(EVIDENCE_ATTACHMENTS_DIR "/") - 1;
	size_t stored = 0;
	uint8_t digest[32];

	for (size_t i = 0; i < rec->attachment_count; i++)
		stored += rec->attachments[i].stored != 0;
	for (size_t i = 0; i < count; i++) {
		sha256_digest(files[i].data, files[i].len, digest);
		for (size_t j = 0; j < i; j++)
			if (strcmp(files[i].name, files[j].name) == 0)
				return err_set(CER_ERR_USAGE, "file %s given twice", files[i].name);
		if (strcmp(files[i].name, EVIDENCE_SCENARIO_FILE) == 0) {
			if (rec->type != RECORD_GENESIS || memcmp(digest, rec->scenario_sha256, 32) != 0)
				return err_set(CER_ERR_REFUSED,
				               "the scenario file does not hash to the genesis record's "
				               "scenario-sha256");
			continue;
		}
		if (strncmp(files[i].name, EVIDENCE_ATTACHMENTS_DIR "/", prefix) != 0)
			return err_set(CER_ERR_USAGE, "file %s: only %s and %s/NAME are stored beside a record",
			               files[i].name, EVIDENCE_SCENARIO_FILE, EVIDENCE_ATTACHMENTS_DIR);
		const struct record_attachment *a = NULL;
		for (size_t k = 0; k < rec->attachment_count; k++)
			if (strcmp(rec->attachments[k].name, files[i].name + prefix) == 0)
				a = &rec->attachments[k];
		if (a == NULL || !a->stored || a->size != files[i].len || memcmp(a->sha256, digest, 32) != 0)
			return err_set(CER_ERR_REFUSED,
			               "attachment %s is not listed as stored by the record, or does not "
			               "match its size and sha256",
			               files[i].name + prefix);
		stored--;
	}
	if (stored != 0)
		return err_set(CER_ERR_USAGE, "the record lists %zu stored attachment(s) that were not given", stored);
	return 0;
}

static int make_plan(struct evidence_store *store, const uint8_t *bytes, size_t len, struct append_plan *plan)
{
	int r;

	memset(plan, 0, sizeof(*plan));
	if ((r = record_parse(&plan->record, bytes, len)) != 0)
		return err_context(r, "new record");
	if ((r = evidence_tip(store, &plan->tip, &plan->genesis, NULL)) != 0)
		return r;
	if ((r = check_follows_tip(plan)) != 0)
		return r;
	plan->roster = plan->tip.empty ? plan->record->roster : plan->genesis->roster;
	return 0;
}

static void free_plan(struct append_plan *plan)
{
	record_free(plan->record);
	record_free(plan->genesis);
}

/* Insert `leaf` (a tree) at components[depth..count-1] below `base` (NULL for none). The leaf's
 * place must be new: an existing entry there is never replaced. */
static int insert_tree_path(git_repository *repo, const git_tree *base, const char *const *components, size_t count,
                            const git_oid *leaf, git_oid *out)
{
	git_treebuilder *builder = NULL;
	const git_tree_entry *existing;
	git_tree *sub = NULL;
	git_oid child;
	int r = 0;

	if (git_treebuilder_new(&builder, repo, base) < 0)
		return git_error_to_cer(CER_ERR_IO, "tree");
	existing = git_treebuilder_get(builder, components[0]);
	if (count == 1) {
		if (existing != NULL) {
			r = err_set(CER_ERR_REFUSED, "%s already exists in the evidence; records are never replaced",
			            components[0]);
			goto out;
		}
		git_oid_cpy(&child, leaf);
	} else {
		if (existing != NULL) {
			if (git_tree_entry_type(existing) != GIT_OBJECT_TREE) {
				r = err_set(CER_ERR_FORMAT, "%s is not a directory in the evidence", components[0]);
				goto out;
			}
			if (git_tree_lookup(&sub, repo, git_tree_entry_id(existing)) < 0) {
				r = git_error_to_cer(CER_ERR_FORMAT, components[0]);
				goto out;
			}
		}
		if ((r = insert_tree_path(repo, sub, components + 1, count - 1, leaf, &child)) != 0)
			goto out;
	}
	if (git_treebuilder_insert(NULL, builder, components[0], &child, GIT_FILEMODE_TREE) < 0 ||
	    git_treebuilder_write(out, builder) < 0)
		r = git_error_to_cer(CER_ERR_IO, "tree");
out:
	git_tree_free(sub);
	git_treebuilder_free(builder);
	return r;
}

/* Insert a blob at `name` ("a" or "dir/a", one level deep at most) of the tree being built. */
static int insert_blob(git_repository *repo, git_treebuilder *dir, git_treebuilder **sub, const char *subname,
                       const char *name, const uint8_t *data, size_t len)
{
	git_oid blob;

	if (git_blob_create_from_buffer(&blob, repo, data, len) < 0)
		return git_error_to_cer(CER_ERR_IO, name);
	if (sub != NULL && *sub == NULL && git_treebuilder_new(sub, repo, NULL) < 0)
		return git_error_to_cer(CER_ERR_IO, subname);
	if (git_treebuilder_insert(NULL, sub ? *sub : dir, name, &blob, GIT_FILEMODE_BLOB) < 0)
		return git_error_to_cer(CER_ERR_IO, name);
	return 0;
}

/* The record's own directory: record.xml, signoffs/<F>.sig (one per signer), and the files. */
static int write_record_dir(git_repository *repo, const uint8_t *bytes, size_t len,
                            const struct evidence_signoff *signoffs, size_t count, const struct evidence_file *files,
                            size_t file_count, git_oid *out)
{
	const size_t prefix = sizeof(EVIDENCE_ATTACHMENTS_DIR "/") - 1;
	git_treebuilder *signoff_dir = NULL, *attachments = NULL, *dir = NULL;
	git_oid tree;
	int r = 0;

	if (git_treebuilder_new(&signoff_dir, repo, NULL) < 0 || git_treebuilder_new(&dir, repo, NULL) < 0) {
		r = git_error_to_cer(CER_ERR_IO, "tree");
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		char name[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)];
		evidence_signoff_name(&signoffs[i].key, name);
		if ((r = insert_blob(repo, signoff_dir, NULL, NULL, name, signoffs[i].armored,
		                     signoffs[i].armored_len)) != 0)
			goto out;
	}
	if ((r = insert_blob(repo, dir, NULL, NULL, EVIDENCE_RECORD_FILE, bytes, len)) != 0)
		goto out;
	for (size_t i = 0; i < file_count; i++) {
		int attachment = strncmp(files[i].name, EVIDENCE_ATTACHMENTS_DIR "/", prefix) == 0;
		if ((r = insert_blob(repo, dir, attachment ? &attachments : NULL, EVIDENCE_ATTACHMENTS_DIR,
		                     attachment ? files[i].name + prefix : files[i].name, files[i].data,
		                     files[i].len)) != 0)
			goto out;
	}
	if ((r = fault(EVIDENCE_STEP_BLOBS_WRITTEN)) != 0)
		goto out;
	if (attachments != NULL &&
	    (git_treebuilder_write(&tree, attachments) < 0 ||
	     git_treebuilder_insert(NULL, dir, EVIDENCE_ATTACHMENTS_DIR, &tree, GIT_FILEMODE_TREE) < 0)) {
		r = git_error_to_cer(CER_ERR_IO, "tree");
		goto out;
	}
	if (git_treebuilder_write(&tree, signoff_dir) < 0 ||
	    git_treebuilder_insert(NULL, dir, EVIDENCE_SIGNOFFS_DIR, &tree, GIT_FILEMODE_TREE) < 0 ||
	    git_treebuilder_write(out, dir) < 0)
		r = git_error_to_cer(CER_ERR_IO, "tree");
out:
	git_treebuilder_free(signoff_dir);
	git_treebuilder_free(attachments);
	git_treebuilder_free(dir);
	return r;
}

static int write_root_tree(git_repository *repo, const struct append_plan *plan, const git_oid *record_dir,
                           git_oid *root_out)
{
	char path[EVIDENCE_RECORD_PATH_CHARS + 1];
	const char *components[5];
	git_commit *tip = NULL;
	git_tree *base = NULL;
	int r;

	evidence_record_path(plan->record->sequence, path);
	/* "records/AA/BB/CC/DD": split in place at the slashes. */
	components[0] = path;
	for (size_t i = 0, c = 1; path[i]; i++)
		if (path[i] == '/') {
			path[i] = '\0';
			components[c++] = path + i + 1;
		}
	if (!plan->tip.empty &&
	    (git_commit_lookup(&tip, repo, &plan->tip.commit) < 0 || git_commit_tree(&base, tip) < 0)) {
		r = git_error_to_cer(CER_ERR_FORMAT, "tip");
		goto out;
	}
	r = insert_tree_path(repo, base, components, 5, record_dir, root_out);
out:
	git_tree_free(base);
	git_commit_free(tip);
	return r;
}

static int write_signed_commit(git_repository *repo, const struct append_plan *plan, const git_oid *tree_id,
                               struct signer *committer, git_oid *out)
{
	const struct record *rec = plan->record;
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX), message = buf_make(4096);
	git_buf content = GIT_BUF_INIT;
	git_signature *who = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	struct tm tm;
	char email[ROSTER_ID_MAX + 32];
	int r;

	memset(&tm, 0, sizeof(tm));
	strptime(rec->time, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(email, sizeof(email), "%s@ceremony.invalid", rec->actor);
	if ((r = buf_printf(&message,
	                    "%s %s: record %u, session %u\n\n"
	                    "Ceremony %s. This message is for people: the signed record is\n"
	                    "records/.../record.xml, and only its bytes and sign-offs count.\n",
	                    record_type_name(rec->type), rec->step, rec->sequence, rec->session, rec->ceremony)) != 0)
		goto out;
	if (git_signature_new(&who, rec->actor, email, timegm(&tm), 0) < 0 ||
	    git_tree_lookup(&tree, repo, tree_id) < 0 ||
	    (!plan->tip.empty && git_commit_lookup(&parent, repo, &plan->tip.commit) < 0)) {
		r = git_error_to_cer(CER_ERR_IO, "commit");
		goto out;
	}
	{
		const git_commit *parents[1] = {parent};
		if (git_commit_create_buffer(&content, repo, who, who, NULL, (const char *)message.data, tree,
		                             parent ? 1 : 0, parents) < 0) {
			r = git_error_to_cer(CER_ERR_IO, "commit");
			goto out;
		}
	}
	if ((r = sshsig_sign(committer, SSHSIG_NAMESPACE_GIT, (const uint8_t *)content.ptr, content.size, &armored)) !=
	    0)
		goto out;
	/* libgit2 writes the header value verbatim, adding the continuation spaces; a final newline
	 * would end the headers early, so it goes. */
	if (armored.len > 0 && armored.data[armored.len - 1] == '\n')
		armored.data[--armored.len] = '\0';
	if (git_commit_create_with_signature(out, repo, content.ptr, (const char *)armored.data, "gpgsig") < 0)
		r = git_error_to_cer(CER_ERR_IO, "signed commit");
out:
	git_buf_dispose(&content);
	git_signature_free(who);
	git_tree_free(tree);
	git_commit_free(parent);
	buf_free(&armored);
	buf_free(&message);
	return r;
}

/* One syncfs() makes every object written so far durable, instead of an fsync per object file.
 * Skipped only on a store set non-durable for bulk generation (evidence_store_set_durable). */
static int sync_repository(const struct evidence_store *store)
{
	git_repository *repo = store->repo;
	int fd, r = 0;

	if (!store->durable)
		return 0;
	fd = open(git_repository_path(repo), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(CER_ERR_IO, "%s: cannot open", git_repository_path(repo));
	if (syncfs(fd) != 0)
		r = err_set(CER_ERR_IO, "%s: syncfs failed", git_repository_path(repo));
	close(fd);
	return r;
}

/* A writer killed inside libgit2's ref update leaves refs/heads/main.lock behind, and every later
 * update would fail on it. We hold the writers' lock, so no Ceremony writer is updating the branch:
 * such a file is a crashed writer's leftover, and goes. (Stock git never writes evidence.) */
static int clear_stale_ref_lock(const struct evidence_store *store)
{
	char path[4096], dir[4096];
	int n = snprintf(path, sizeof(path), "%s" EVIDENCE_BRANCH ".lock", git_repository_path(store->repo));

	if (n < 0 || (size_t)n >= sizeof(path))
		return err_set(CER_ERR_USAGE, "%s: path too long", store->path);
	if (unlink(path) != 0)
		return errno == ENOENT ? 0 : err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	snprintf(dir, sizeof(dir), "%srefs/heads", git_repository_path(store->repo));
	return file_sync_dir(dir);
}

static int move_branch(git_repository *repo, const struct append_plan *plan, const git_oid *commit)
{
	git_reference *ref = NULL;
	char log[64];
	int rc;

	snprintf(log, sizeof(log), "ceremony: record %u", plan->record->sequence);
	if (plan->tip.empty)
		rc = git_reference_create(&ref, repo, EVIDENCE_BRANCH, commit, 0, log);
	else
		rc = git_reference_create_matching(&ref, repo, EVIDENCE_BRANCH, commit, 1, &plan->tip.commit, log);
	git_reference_free(ref);
	if (rc < 0)
		return git_error_to_cer(rc == GIT_EMODIFIED || rc == GIT_EEXISTS ? CER_ERR_BUSY : CER_ERR_IO,
		                        "moving " EVIDENCE_BRANCH);
	return 0;
}

/* The checks and writes of an append, on a plan made under the lock. */
static int append_planned(struct evidence_store *store, const struct append_plan *plan, const uint8_t *bytes,
                          size_t len, const struct evidence_signoff *signoffs, size_t signoff_count,
                          const struct evidence_file *files, size_t file_count, struct signer *committer,
                          git_oid *commit_out)
{
	git_oid record_dir, root, commit;
	int r;

	if ((r = check_signoffs(plan, bytes, len, signoffs, signoff_count, committer)) != 0 ||
	    (r = check_files(plan, files, file_count)) != 0)
		return r;
	if ((r = write_record_dir(store->repo, bytes, len, signoffs, signoff_count, files, file_count, &record_dir)) !=
	            0 ||
	    (r = write_root_tree(store->repo, plan, &record_dir, &root)) != 0 ||
	    (r = fault(EVIDENCE_STEP_TREES_WRITTEN)) != 0 ||
	    (r = write_signed_commit(store->repo, plan, &root, committer, &commit)) != 0 ||
	    (r = fault(EVIDENCE_STEP_COMMIT_WRITTEN)) != 0)
		return r;
	if ((r = sync_repository(store)) != 0 || (r = fault(EVIDENCE_STEP_OBJECTS_DURABLE)) != 0 ||
	    (r = move_branch(store->repo, plan, &commit)) != 0 || (r = fault(EVIDENCE_STEP_BRANCH_MOVED)) != 0 ||
	    (r = sync_repository(store)) != 0)
		return r;
	if (commit_out != NULL)
		git_oid_cpy(commit_out, &commit);
	return 0;
}

/* Under the lock: clear a crashed writer's ref lock, then plan against the tip. */
static int lock_and_plan(struct evidence_store *store, const uint8_t *bytes, size_t len, int lock_wait_ms,
                         struct append_plan *plan)
{
	int r;

	memset(plan, 0, sizeof(*plan));
	if ((r = evidence_store_lock(store, lock_wait_ms)) != 0)
		return r;
	if ((r = fault(EVIDENCE_STEP_LOCKED)) != 0 || (r = clear_stale_ref_lock(store)) != 0)
		return r;
	return make_plan(store, bytes, len, plan);
}

int evidence_append_signed(struct evidence_store *store, const uint8_t *bytes, size_t len,
                           const struct evidence_signoff *signoffs, size_t signoff_count,
                           const struct evidence_file *files, size_t file_count, struct signer *committer,
                           int lock_wait_ms, git_oid *commit_out)
{
	struct append_plan plan;
	int locked_here = store->lock_fd < 0, r;

	if ((r = lock_and_plan(store, bytes, len, lock_wait_ms, &plan)) == 0)
		r = append_planned(store, &plan, bytes, len, signoffs, signoff_count, files, file_count, committer,
		                   commit_out);
	free_plan(&plan);
	if (locked_here)
		evidence_store_unlock(store);
	return r;
}

/* Refuse signers outside the pinned roster, or one person twice, before any key or token is
 * asked to sign: a hardware token's touch is never spent on a record that cannot be committed. */
static int check_signers(const struct append_plan *plan, struct signer *const *signers, size_t count)
{
	long seen[EVIDENCE_SIGNOFFS_MAX];
	char fp[SSHKEY_FINGERPRINT_CHARS + 1];

	for (size_t i = 0; i < count; i++) {
		seen[i] = roster_find_key(plan->roster, signer_public_key(signers[i]));
		if (seen[i] < 0) {
			sshkey_fingerprint_text(signer_public_key(signers[i]), fp);
			return err_set(CER_ERR_REFUSED, "key %s (%s) is not in the roster", signer_name(signers[i]),
			               fp);
		}
		for (size_t j = 0; j < i; j++)
			if (seen[j] == seen[i])
				return err_set(CER_ERR_REFUSED, "%s signs twice (keys %s and %s); a person counts once",
				               plan->roster->participants[seen[i]], signer_name(signers[j]),
				               signer_name(signers[i]));
	}
	return 0;
}

int evidence_append(struct evidence_store *store, const uint8_t *bytes, size_t len, struct signer *const *signers,
                    size_t signer_count, struct signer *committer, int lock_wait_ms, git_oid *commit_out)
{
	struct evidence_signoff signoffs[EVIDENCE_SIGNOFFS_MAX];
	struct buf armored[EVIDENCE_SIGNOFFS_MAX];
	struct append_plan plan;
	int locked_here = store->lock_fd < 0, r;

	if (signer_count == 0)
		return err_set(CER_ERR_USAGE, "a record needs at least one sign-off");
	if (signer_count > EVIDENCE_SIGNOFFS_MAX)
		return err_set(CER_ERR_USAGE, "more than %d sign-offs on one record", EVIDENCE_SIGNOFFS_MAX);
	for (size_t i = 0; i < signer_count; i++)
		armored[i] = buf_make(SSHSIG_ARMORED_MAX);
	/* One plan, made once under the lock, serves the signers' check and the append. */
	if ((r = lock_and_plan(store, bytes, len, lock_wait_ms, &plan)) != 0 ||
	    (r = check_signers(&plan, signers, signer_count)) != 0)
		goto out;
	for (size_t i = 0; i < signer_count; i++) {
		if ((r = sshsig_sign(signers[i], SSHSIG_NAMESPACE_RECORD, bytes, len, &armored[i])) != 0)
			goto out;
		signoffs[i].key = *signer_public_key(signers[i]);
		signoffs[i].armored = armored[i].data;
		signoffs[i].armored_len = armored[i].len;
	}
	r = append_planned(store, &plan, bytes, len, signoffs, signer_count, NULL, 0, committer, commit_out);
out:
	free_plan(&plan);
	for (size_t i = 0; i < signer_count; i++)
		buf_free(&armored[i]);
	if (locked_here)
		evidence_store_unlock(store);
	return r;
}

int evidence_prepare_next(struct evidence_store *store, struct record *record)
{
	struct record *genesis = NULL;
	struct evidence_tip tip;
	int r;

	if ((r = evidence_tip(store, &tip, &genesis, NULL)) != 0)
		return r;
	if (tip.empty) {
		record_free(genesis);
		return err_set(CER_ERR_REFUSED, "%s holds no genesis record yet", store->path);
	}
	memcpy(record->ceremony, genesis->ceremony, sizeof(record->ceremony));
	memcpy(record->scenario_sha256, genesis->scenario_sha256, 32);
	memcpy(record->previous_sha256, tip.record_sha256, 32);
	record->sequence = tip.sequence + 1;
	if (record->session == 0)
		record->session = tip.session;
	record_free(genesis);
	return 0;
}
