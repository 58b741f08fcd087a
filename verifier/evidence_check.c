#include "verifier/evidence_check.h"

#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/git_error.h"
#include "common/git_safety.h"
#include "common/hash.h"
#include "common/sshsig.h"
#include "evidence/commit_raw.h"
#include "evidence/loose_raw.h"
#include "evidence/scenario.h"
#include "evidence/script.h"
#include "evidence/store.h"
#include "evidence/loose_odb.h"
#include "verifier/prefetch.h"
#include "verifier/sigcheck.h"

/* libgit2 keeps the commits and trees it reads in the repository's object cache, up to a
 * process-wide 256 MiB of object bytes (several times that once parsed), so over a long history
 * memory would grow with the number of records (810 MiB at 100,000). The check never needs an object
 * of a record older than the previous one, so it drops that cache by reopening the repository every
 * REPLAY_WINDOW commits: memory stays flat in N (bench/README.md). In a repository with a pack,
 * reopening also lets go of the pack's index, whose pages a window's lookups touch all over (28
 * bytes per object: 32 MiB at 100,000 records, nearly all touched in 128 records), so the window is
 * shorter there. */
#define REPLAY_WINDOW 128
#define REPLAY_WINDOW_PACKED 16

/* The state carried from one record to the next. */
struct replay {
	const char *dir;
	git_repository *repo;
	struct findings *findings;
	struct evidence_check_result *result;
	struct record *genesis; /* owns the pinned roster */
	uint8_t previous_sha256[32];
	uint32_t previous_session;
	int closed; /* a close record was seen: every later record is a finding */
	int last_is_close; /* the newest record read is the close record */
	git_oid previous_tree;
	int stop; /* a finding after which nothing later can be trusted or read */
	size_t window; /* REPLAY_WINDOW or REPLAY_WINDOW_PACKED */
	/* per-record scratch, reused to keep memory flat */
	struct buf record_bytes;
	struct buf signoff_blob;
	struct buf attachment_bytes;
	struct buf stored_scenario; /* the genesis directory's scenario.xml, when there is one */
	struct sigcheck *sigcheck; /* the Ed25519 checks, on the second core */
	struct prefetch *prefetch; /* the objects, read ahead on another core */
	long signers_seen[EVIDENCE_SIGNOFFS_MAX];
	size_t signers_seen_count;
	/* the second layer */
	struct scenario *scenario;
	struct script_state script;
	const struct evidence_check_options *options;
};

#define FIND(rp, code, index, hex, ...)                                                                                \
	do {                                                                                                           \
		if (findings_add((rp)->findings, code, index, hex, __VA_ARGS__) != 0)                                  \
			return CER_ERR_NOMEM;                                                                          \
	} while (0)

/* ---- history ---- */

/* The repository, its loose objects read through evidence/loose_odb.h. */
static int open_repository(const char *dir, git_repository **out)
{
	int r;

	if (git_repository_open_ext(out, dir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL) < 0)
		return err_context(git_error_to_cer(CER_ERR_FORMAT, dir), "not an evidence repository");
	if ((r = loose_odb_attach(*out)) != 0) {
		git_repository_free(*out);
		*out = NULL;
	}
	return r;
}

/* Drop libgit2's object cache (see REPLAY_WINDOW). The caller holds no git object across the call. */
static int refresh_repository(struct replay *rp)
{
	git_repository *fresh = NULL;
	int r;

	if ((r = open_repository(rp->dir, &fresh)) != 0)
		return r;
	git_repository_free(rp->repo);
	rp->repo = fresh;
	return prefetch_attach(rp->prefetch, rp->repo);
}

static int check_refs(struct replay *rp)
{
	git_reference_iterator *it = NULL;
	git_reference *head = NULL;
	const char *name;
	int r = 0;

	if (git_reference_lookup(&head, rp->repo, "HEAD") == 0) {
		if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC ||
		    strcmp(git_reference_symbolic_target(head), EVIDENCE_BRANCH) != 0)
			r = findings_add(rp->findings, "ref-head", FINDING_NO_RECORD, NULL,
			                 "HEAD does not point to " EVIDENCE_BRANCH);
		git_reference_free(head);
	}
	if (r != 0)
		return r;
	if (git_reference_iterator_glob_new(&it, rp->repo, "refs/*") < 0)
		return git_error_to_cer(CER_ERR_FORMAT, "references");
	while (git_reference_next_name(&name, it) == 0) {
		if (strcmp(name, EVIDENCE_BRANCH) != 0 &&
		    (r = findings_add(rp->findings, "ref-extra", FINDING_NO_RECORD, NULL,
		                      "extra reference %s: the evidence is one branch, " EVIDENCE_BRANCH, name)) != 0)
			break;
	}
	git_reference_iterator_free(it);
	return r;
}

/* Refuse an object larger than `max` before reading it: a small compressed object can inflate to
 * gigabytes, and the evidence is the attacker's. Only the object's header is read here. */
static int check_object_size(struct replay *rp, const git_oid *id, size_t max)
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t size = 0;
	int rc;

	if (git_repository_odb(&odb, rp->repo) < 0)
		return git_error_to_cer(CER_ERR_IO, "object database");
	rc = git_odb_read_header(&size, &type, odb, id);
	git_odb_free(odb);
	if (rc < 0)
		return git_error_to_cer(rc == GIT_ENOTFOUND ? CER_ERR_NOT_FOUND : CER_ERR_IO, git_oid_tostr_s(id));
	if (size > max)
		return err_set(CER_ERR_FORMAT, "object %s is larger than %zu bytes (%zu)", git_oid_tostr_s(id), max,
		               size);
	return 0;
}

/* Read a raw object of the expected type. libgit2 re-hashes every object it reads (strict hash
 * verification, set in ceremony_init), so a corrupt object fails here. */
static int read_object(struct replay *rp, const git_oid *id, git_object_t type, git_odb_object **out)
{
	git_odb *odb = NULL;
	int rc;

	*out = NULL;
	if ((rc = check_object_size(rp, id, COMMIT_RAW_MAX)) != 0)
		return rc;
	if (git_repository_odb(&odb, rp->repo) < 0)
		return git_error_to_cer(CER_ERR_IO, "object database");
	rc = git_odb_read(out, odb, id);
	git_odb_free(odb);
	if (rc < 0)
		return git_error_to_cer(rc == GIT_ENOTFOUND ? CER_ERR_NOT_FOUND : CER_ERR_FORMAT, git_oid_tostr_s(id));
	if (git_odb_object_type(*out) != type) {
		git_object_t actual = git_odb_object_type(*out);
		git_odb_object_free(*out);
		*out = NULL;
		return err_set(CER_ERR_FORMAT, "%s is a %s, expected a %s", git_oid_tostr_s(id),
		               git_object_type2string(actual), git_object_type2string(type));
	}
	return 0;
}

/* Walk from the tip to the root by first parents, oldest last; refuse merges. */
static int collect_history(struct replay *rp, const git_oid *tip, git_oid **out, size_t *count_out)
{
	git_oid *ids = NULL, current = *tip;
	size_t count = 0, cap = 0;
	int r = 0;

	for (;;) {
		git_odb_object *obj = NULL;
		struct commit_raw c;
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), &current);
		if (count == cap) {
			git_oid *grown;
			cap = cap ? cap * 2 : 1024;
			grown = realloc(ids, cap * sizeof(*ids));
			if (grown == NULL) {
				r = err_set(CER_ERR_NOMEM, "out of memory");
				break;
			}
			ids = grown;
		}
		if (count > RECORD_SEQUENCE_MAX) {
			r = findings_add(rp->findings, "history-too-long", FINDING_NO_RECORD, NULL,
			                 "more commits than the largest sequence number");
			rp->stop = 1;
			break;
		}
		if (count > 0 && count % rp->window == 0 && (r = refresh_repository(rp)) != 0) {
			free(ids); /* could not run at all: not a finding, and no partial history */
			*out = NULL;
			*count_out = 0;
			return r;
		}
		if (read_object(rp, &current, GIT_OBJECT_COMMIT, &obj) != 0) {
			r = findings_add(rp->findings, "object-corrupt", FINDING_NO_RECORD, hex,
			                 "commit cannot be read: %s", err_message());
			rp->stop = 1;
			break;
		}
		r = commit_raw_parse(&c, git_odb_object_data(obj), git_odb_object_size(obj));
		git_odb_object_free(obj);
		if (r != 0) {
			r = findings_add(rp->findings, "commit-malformed", FINDING_NO_RECORD, hex, "%s", err_message());
			rp->stop = 1;
			break;
		}
		ids[count++] = current;
		if (c.parent_count > 1) {
			r = findings_add(rp->findings, "history-merge", FINDING_NO_RECORD, hex,
			                 "a merge commit (%zu parents): the evidence is one linear history",
			                 c.parent_count);
			rp->stop = 1;
		} else if (c.parent_count == 1 && git_oid_fromstr(&current, c.parent) < 0) {
			r = err_set(CER_ERR_FORMAT, "bad parent id");
		}
		size_t parents = c.parent_count;
		commit_raw_free(&c);
		if (r != 0 || rp->stop || parents == 0)
			break;
	}
	if (r != 0 && r != CER_ERR_NOMEM)
		r = 0;
	/* Oldest first. */
	for (size_t i = 0; i < count / 2; i++) {
		git_oid t = ids[i];
		ids[i] = ids[count - 1 - i];
		ids[count - 1 - i] = t;
	}
	*out = ids;
	*count_out = count;
	return r;
}

/* ---- trees ---- */

/* Entries equal in name, mode and id. */
static int entries_equal(const git_tree_entry *a, const git_tree_entry *b)
{
	return strcmp(git_tree_entry_name(a), git_tree_entry_name(b)) == 0 &&
	       git_tree_entry_filemode(a) == git_tree_entry_filemode(b) &&
	       git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b));
}

/* Evidence trees hold at most 100 entries (the records/AA/BB/CC/DD fan-out) or a record's few files. */
#define TREE_BYTES_MAX (64 * 1024)

static int lookup_tree(struct replay *rp, const git_oid *id, git_tree **out)
{
	int r;

	*out = NULL;
	if ((r = check_object_size(rp, id, TREE_BYTES_MAX)) != 0)
		return r;
	if (git_tree_lookup(out, rp->repo, id) < 0)
		return git_error_to_cer(CER_ERR_FORMAT, "tree");
	return 0;
}

/* Compare one level of the commit's tree with the parent's: every entry must be the parent's,
 * except exactly one, which is new or (above the last level) a changed directory. Returns that
 * entry in *changed, or a finding (1). */
static int diff_level(struct replay *rp, long index, const char *hex, const git_tree *now, const git_tree *before,
                      int last_level, const git_tree_entry **changed)
{
	size_t differing = 0;

	*changed = NULL;
	for (size_t i = 0; before != NULL && i < git_tree_entrycount(before); i++) {
		const git_tree_entry *old = git_tree_entry_byindex(before, i);
		const git_tree_entry *same = git_tree_entry_byname(now, git_tree_entry_name(old));
		if (same == NULL ||
		    (!entries_equal(old, same) && (last_level || git_tree_entry_filemode(same) != GIT_FILEMODE_TREE))) {
			FIND(rp, "tree-modified", index, hex,
			     "the commit modifies or deletes %s, written by an earlier record",
			     git_tree_entry_name(old));
			return 1;
		}
	}
	for (size_t i = 0; i < git_tree_entrycount(now); i++) {
		const git_tree_entry *entry = git_tree_entry_byindex(now, i);
		const git_tree_entry *old = before ? git_tree_entry_byname(before, git_tree_entry_name(entry)) : NULL;
		if (old != NULL && entries_equal(old, entry))
			continue;
		if (++differing > 1) {
			FIND(rp, "tree-modified", index, hex, "the commit adds or changes more than its one record");
			return 1;
		}
		*changed = entry;
	}
	if (*changed == NULL) {
		FIND(rp, "tree-layout", index, hex, "the commit adds no record");
		return 1;
	}
	return 0;
}

/* Is `name` what level `level` of records/AA/BB/CC/DD expects? Adds its digits to *sequence. */
static int layout_name(int level, const char *name, uint32_t *sequence)
{
	if (level == 0)
		return strcmp(name, EVIDENCE_RECORDS_DIR) == 0;
	if (strlen(name) != 2 || name[0] < '0' || name[0] > '9' || name[1] < '0' || name[1] > '9')
		return 0;
	*sequence = *sequence * 100u + (uint32_t)(name[0] - '0') * 10u + (uint32_t)(name[1] - '0');
	return 1;
}

/* The commit's tree must be the parent's tree plus exactly one new directory records/AA/BB/CC/DD,
 * and that directory must be the one of this position in history. On success *record_dir is the
 * new directory's tree id. Mismatches are findings (returns 1, or 0 when the record can still be
 * read); errors are negative. */
static int check_tree_append(struct replay *rp, long index, const char *hex, const git_oid *tree_id,
                             git_oid *record_dir)
{
	git_tree *now = NULL, *before = NULL;
	git_oid now_id = *tree_id, before_id = rp->previous_tree;
	int have_before = index > 0, r = 0;
	uint32_t sequence = 0;

	for (int level = 0; level < 5; level++) {
		const git_tree_entry *changed, *old = NULL;

		git_tree_free(now);
		git_tree_free(before);
		now = before = NULL;
		if (lookup_tree(rp, &now_id, &now) != 0 || (have_before && lookup_tree(rp, &before_id, &before) != 0)) {
			FIND(rp, "object-corrupt", index, hex, "a tree of the commit cannot be read: %s",
			     err_message());
			r = 1;
			goto out;
		}
		if ((r = diff_level(rp, index, hex, now, before, level == 4, &changed)) != 0)
			goto out;
		if (git_tree_entry_filemode(changed) != GIT_FILEMODE_TREE ||
		    !layout_name(level, git_tree_entry_name(changed), &sequence)) {
			FIND(rp, "tree-layout", index, hex, "the commit adds %s, outside records/AA/BB/CC/DD/",
			     git_tree_entry_name(changed));
			r = 1;
			goto out;
		}
		if (have_before)
			old = git_tree_entry_byname(before, git_tree_entry_name(changed));
		now_id = *git_tree_entry_id(changed);
		if (old != NULL)
			before_id = *git_tree_entry_id(old);
		else
			have_before = 0;
	}
	if ((long)sequence != index)
		FIND(rp, "tree-layout", index, hex,
		     "the commit adds the directory of record %u at position %ld in history", sequence, index);
	*record_dir = now_id;
out:
	git_tree_free(now);
	git_tree_free(before);
	return r;
}

/* ---- one record ---- */

static int read_blob(struct replay *rp, const git_tree_entry *entry, size_t max, struct buf *out)
{
	git_blob *blob = NULL;
	int r;

	buf_reset(out);
	if (git_tree_entry_filemode(entry) != GIT_FILEMODE_BLOB)
		return err_set(CER_ERR_FORMAT, "%s is not a regular file", git_tree_entry_name(entry));
	if ((r = check_object_size(rp, git_tree_entry_id(entry), max)) != 0)
		return r == CER_ERR_FORMAT ? err_context(r, "%s", git_tree_entry_name(entry)) : r;
	/* CER_ERR_IO, apart from the format errors: the object itself is corrupt or missing. */
	if (git_blob_lookup(&blob, rp->repo, git_tree_entry_id(entry)) < 0)
		return git_error_to_cer(CER_ERR_IO, git_tree_entry_name(entry));
	if ((size_t)git_blob_rawsize(blob) > max)
		r = err_set(CER_ERR_FORMAT, "%s is larger than %zu bytes", git_tree_entry_name(entry), max);
	else
		r = buf_append(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return r;
}

/* Hand a signature's Ed25519 check to the second core: the signed data (SSHSIG: magic, namespace,
 * reserved, hash name, the message's digest) is made here, the check itself there. */
static int submit_check(struct replay *rp, long index, const char *hex, int is_commit, const struct sshsig_parts *parts,
                        const char *namespace, const uint8_t *msg, size_t msg_len, const char *fp)
{
	struct buf data = buf_make(SIGCHECK_DATA_MAX);
	struct sigcheck_tag tag;
	int r;

	memset(&tag, 0, sizeof(tag));
	tag.record = index;
	snprintf(tag.commit, sizeof(tag.commit), "%s", hex);
	tag.is_commit = is_commit;
	snprintf(tag.signer, sizeof(tag.signer), "%s", fp);
	if ((r = sshsig_signed_data(namespace, parts->hash_algorithm, msg, msg_len, &data)) == 0)
		r = sigcheck_submit(rp->sigcheck, data.data, data.len, parts->signature, parts->key.ed25519, &tag);
	buf_free(&data);
	return r;
}

/* A signature the second core found wrong, as the finding it is. */
static int signature_failed(void *ctx, const struct sigcheck_tag *tag)
{
	struct replay *rp = ctx;

	if (tag->is_commit)
		return findings_add(rp->findings, "commit-signature-invalid", tag->record, tag->commit,
		                    "commit signature by %s does not verify (message changed or signature forged)",
		                    tag->signer);
	return findings_add(rp->findings, "signoff-invalid", tag->record, tag->commit,
	                    "sign-off by %s does not verify over this record (forged, or replayed from another record)",
	                    tag->signer);
}

static int check_signoff(struct replay *rp, long index, const char *hex, const git_tree_entry *entry,
                         const struct roster *roster, size_t *seen_count)
{
	struct buf *blob = &rp->signoff_blob;
	struct sshsig_parts parts;
	struct sshkey_public signer;
	char expected_name[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)], fp[SSHKEY_FINGERPRINT_CHARS + 1];
	const char *name = git_tree_entry_name(entry);
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
	long person;
	int r;

	r = read_blob(rp, entry, SSHSIG_ARMORED_MAX, &armored);
	if (r == CER_ERR_IO) {
		buf_free(&armored);
		FIND(rp, "object-corrupt", index, hex, "sign-off %s cannot be read: %s", name, err_message());
		return 0;
	}
	if (r == 0)
		r = sshsig_dearmor(armored.data, armored.len, blob);
	buf_free(&armored);
	if (r == CER_ERR_NOMEM)
		return r;
	if (r == 0)
		r = sshsig_parse_blob(blob->data, blob->len, &parts);
	if (r != 0) {
		FIND(rp, "signoff-malformed", index, hex, "sign-off %s: %s", name, err_message());
		return 0;
	}
	sshkey_fingerprint_text(&parts.key, fp);
	if (!bytes_equal_cstring(parts.namespace, parts.namespace_len, SSHSIG_NAMESPACE_RECORD)) {
		FIND(rp, "signoff-namespace", index, hex, "sign-off by %s is in namespace \"%.*s\", not \"%s\"", fp,
		     (int)(parts.namespace_len > 64 ? 64 : parts.namespace_len), (const char *)parts.namespace,
		     SSHSIG_NAMESPACE_RECORD);
		return 0;
	}
	rp->result->signatures_checked++;
	/* The Ed25519 check itself runs on the second core (verifier/sigcheck.c); a failure becomes
	 * signoff-invalid when the checks are collected. */
	if ((r = submit_check(rp, index, hex, 0, &parts, SSHSIG_NAMESPACE_RECORD, rp->record_bytes.data,
	                      rp->record_bytes.len, fp)) != 0)
		return r;
	signer = parts.key;
	person = roster_find_key(roster, &signer);
	if (person < 0) {
		FIND(rp, "signoff-unknown-key", index, hex, "sign-off by %s, a key not in the pinned roster", fp);
		return 0;
	}
	evidence_signoff_name(&signer, expected_name);
	if (strcmp(name, expected_name) != 0)
		FIND(rp, "signoff-name", index, hex, "sign-off file %s should be named %s", name, expected_name);
	for (size_t i = 0; i < *seen_count; i++) {
		if (rp->signers_seen[i] == person) {
			FIND(rp, "signoff-duplicate-person", index, hex,
			     "%s signed twice (key %s is their second): a person counts once",
			     roster->participants[person], fp);
			return 0;
		}
	}
	rp->signers_seen[(*seen_count)++] = person;
	return 0;
}

static int check_signoffs(struct replay *rp, long index, const char *hex, const git_oid *tree_id,
                          const struct roster *roster)
{
	git_tree *tree = NULL;
	size_t seen = 0, count;
	int r = 0;

	if (lookup_tree(rp, tree_id, &tree) != 0) {
		FIND(rp, "object-corrupt", index, hex, "the sign-offs cannot be read: %s", err_message());
		return 0;
	}
	count = git_tree_entrycount(tree);
	if (count == 0)
		r = findings_add(rp->findings, "signoff-none", index, hex, "the record has no sign-off");
	if (count > EVIDENCE_SIGNOFFS_MAX) {
		r = findings_add(rp->findings, "signoff-too-many", index, hex, "%zu sign-offs (at most %d)", count,
		                 EVIDENCE_SIGNOFFS_MAX);
		count = 0;
	}
	for (size_t i = 0; i < count && r == 0; i++)
		r = check_signoff(rp, index, hex, git_tree_entry_byindex(tree, i), roster, &seen);
	rp->signers_seen_count = seen;
	git_tree_free(tree);
	return r;
}

/* ---- the second layer: the script ---- */

/* Choose the scenario to replay against, once the genesis record is read. */
static int load_scenario(struct replay *rp, const struct record *genesis)
{
	const struct evidence_check_options *o = rp->options;
	uint8_t digest[32];
	int r = 0;

	if (o->scenario != NULL)
		sha256_digest(o->scenario, o->scenario_len, digest);
	if ((o->scenario != NULL && memcmp(digest, genesis->scenario_sha256, 32) != 0) ||
	    (o->scenario_hash != NULL && memcmp(o->scenario_hash, genesis->scenario_sha256, 32) != 0))
		return findings_add(
		        rp->findings, "scenario-mismatch", 0, NULL,
		        "the genesis record pins another scenario than the one given (swapped after publication?)");
	if (o->scenario != NULL) {
		if (scenario_parse(&rp->scenario, o->scenario, o->scenario_len, 0) == 0)
			rp->result->scenario_source = SCENARIO_AUDITOR;
		else
			rp->result->scenario_unusable = 1;
	} else if (rp->stored_scenario.len > 0 &&
	           scenario_parse(&rp->scenario, rp->stored_scenario.data, rp->stored_scenario.len, 0) == 0) {
		/* The stored copy is bound to the pinned hash (scenario-file-mismatch otherwise); it comes from
		 * outside only if the auditor gave that hash. */
		rp->result->scenario_source = o->scenario_hash != NULL ? SCENARIO_AUDITOR : SCENARIO_STORED;
	}
	if (rp->scenario == NULL)
		return 0; /* evidence without a Ceremony scenario: the script cannot be replayed */
	/* The roster the signatures were checked against must be the scenario's. */
	for (size_t k = 0; k < genesis->roster->key_count && r == 0; k++) {
		long p = roster_find_key(rp->scenario->roster, &genesis->roster->keys[k].key);
		if (p < 0 || strcmp(rp->scenario->roster->participants[p],
		                    genesis->roster->participants[genesis->roster->keys[k].participant]) != 0)
			r = findings_add(rp->findings, "scenario-roster", 0, NULL,
			                 "the genesis record's roster is not the scenario's (key of %s)",
			                 genesis->roster->participants[genesis->roster->keys[k].participant]);
	}
	if (r == 0 && genesis->roster->key_count != rp->scenario->roster->key_count)
		r = findings_add(rp->findings, "scenario-roster", 0, NULL,
		                 "the genesis record's roster has %zu keys, the scenario's %zu",
		                 genesis->roster->key_count, rp->scenario->roster->key_count);
	script_start(&rp->script, rp->scenario);
	return r;
}

static int replay_script(struct replay *rp, long index, const char *hex, const struct record *rec)
{
	struct script_violation v;
	size_t people[EVIDENCE_SIGNOFFS_MAX];
	const struct roster *g = rp->genesis->roster;

	if (rp->scenario == NULL || index == 0)
		return 0;
	for (size_t i = 0; i < rp->signers_seen_count; i++) {
		long p = roster_find_participant(rp->scenario->roster, g->participants[rp->signers_seen[i]]);
		if (p < 0)
			return 0; /* reported as scenario-roster */
		people[i] = (size_t)p;
	}
	if (script_apply(&rp->script, rec, people, rp->signers_seen_count, &v) != 0)
		return findings_add(rp->findings, v.code, index, hex, "%s", v.message);
	return 0;
}

/* Fields that must follow from the records before. */
static int check_record_fields(struct replay *rp, long index, const char *hex, const struct record *rec)
{
	const struct record *g = rp->genesis;

	if (rp->closed)
		FIND(rp, "record-after-close", index, hex, "a record after the ceremony was closed");
	if ((long)rec->sequence != index)
		FIND(rp, "record-sequence", index, hex,
		     "the record says it is sequence %u, but it is number %ld in the history", rec->sequence, index);
	if (memcmp(rec->previous_sha256, rp->previous_sha256, 32) != 0)
		FIND(rp, "record-chain", index, hex,
		     "previous-sha256 is not the hash of the record before it (a record was dropped, inserted or "
		     "reordered)");
	if (index > 0 && rec->type == RECORD_GENESIS)
		FIND(rp, "record-genesis", index, hex, "a second genesis record");
	if (g != NULL && strcmp(rec->ceremony, g->ceremony) != 0)
		FIND(rp, "record-ceremony", index, hex, "record of ceremony \"%s\" in the evidence of \"%s\"",
		     rec->ceremony, g->ceremony);
	if (g != NULL && memcmp(rec->scenario_sha256, g->scenario_sha256, 32) != 0)
		FIND(rp, "record-scenario", index, hex,
		     "the record names another scenario than the genesis record pinned");
	if (rec->session < rp->previous_session)
		FIND(rp, "record-session", index, hex, "session %u after session %u", rec->session,
		     rp->previous_session);
	if (g != NULL && roster_find_participant(g->roster, rec->actor) < 0)
		FIND(rp, "record-actor-unknown", index, hex, "actor \"%s\" is not in the pinned roster", rec->actor);
	return 0;
}

static int check_commit_signature(struct replay *rp, long index, const char *hex, const struct commit_raw *c)
{
	struct sshkey_public signer;
	char fp[SSHKEY_FINGERPRINT_CHARS + 1];

	if (c->signature_count == 0) {
		FIND(rp, "commit-unsigned", index, hex, "the commit carries no signature header");
		return 0;
	}
	if (c->signature_count > 1)
		FIND(rp, "commit-signature-extra", index, hex,
		     "the commit carries %zu signature headers (exactly one is allowed; git checks only the first)",
		     c->signature_count);
	if (c->unexpected_header[0] != '\0')
		FIND(rp, "commit-header", index, hex, "unexpected commit header \"%s\"", c->unexpected_header);
	rp->result->signatures_checked++;
	{
		struct sshsig_parts parts;
		int r;
		if (sshsig_dearmor(c->signature.data, c->signature.len, &rp->signoff_blob) != 0 ||
		    sshsig_parse_blob(rp->signoff_blob.data, rp->signoff_blob.len, &parts) != 0) {
			FIND(rp, "commit-signature-invalid", index, hex, "commit signature: %s", err_message());
			return 0;
		}
		if (!bytes_equal_cstring(parts.namespace, parts.namespace_len, SSHSIG_NAMESPACE_GIT)) {
			FIND(rp, "commit-signature-invalid", index, hex,
			     "commit signature: wrong namespace (expected \"%s\")", SSHSIG_NAMESPACE_GIT);
			return 0;
		}
		sshkey_fingerprint_text(&parts.key, fp);
		if ((r = submit_check(rp, index, hex, 1, &parts, SSHSIG_NAMESPACE_GIT, c->signed_payload.data,
		                      c->signed_payload.len, fp)) != 0)
			return r;
		signer = parts.key;
	}
	if (rp->genesis != NULL && roster_find_key(rp->genesis->roster, &signer) < 0) {
		sshkey_fingerprint_text(&signer, fp);
		FIND(rp, "commit-signer-unknown", index, hex,
		     "the commit is signed by %s, a key not in the pinned roster", fp);
	}
	return 0;
}

/* Read the record directory: exactly record.xml and signoffs/. */
/* What a record directory holds besides record.xml. */
struct record_dir {
	git_oid signoffs;
	const git_tree_entry *scenario; /* scenario.xml, or NULL; borrowed from `tree` */
	const git_tree_entry *attachments; /* attachments/, or NULL */
	git_tree *tree;
};

/* Read the record directory: record.xml, signoffs/, and optionally scenario.xml and attachments/. */
static int read_record_dir(struct replay *rp, long index, const char *hex, const git_oid *dir_id,
                           struct record_dir *out)
{
	const git_tree_entry *rec_entry = NULL, *sig_entry = NULL;

	memset(out, 0, sizeof(*out));
	if (lookup_tree(rp, dir_id, &out->tree) != 0) {
		FIND(rp, "object-corrupt", index, hex, "the record directory cannot be read: %s", err_message());
		return 1;
	}
	for (size_t i = 0; i < git_tree_entrycount(out->tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(out->tree, i);
		const char *name = git_tree_entry_name(e);
		int is_tree = git_tree_entry_filemode(e) == GIT_FILEMODE_TREE;
		if (strcmp(name, EVIDENCE_RECORD_FILE) == 0 && !is_tree)
			rec_entry = e;
		else if (strcmp(name, EVIDENCE_SIGNOFFS_DIR) == 0 && is_tree)
			sig_entry = e;
		else if (strcmp(name, EVIDENCE_SCENARIO_FILE) == 0 && !is_tree && index == 0)
			out->scenario = e;
		else if (strcmp(name, EVIDENCE_ATTACHMENTS_DIR) == 0 && is_tree)
			out->attachments = e;
		else
			FIND(rp, "tree-layout", index, hex, "unexpected entry %s in the record directory", name);
	}
	if (rec_entry == NULL || sig_entry == NULL) {
		FIND(rp, "tree-layout", index, hex,
		     "the record directory lacks " EVIDENCE_RECORD_FILE " or " EVIDENCE_SIGNOFFS_DIR "/");
		return 1;
	}
	if (read_blob(rp, rec_entry, RECORD_BYTES_MAX, &rp->record_bytes) != 0) {
		FIND(rp, "object-corrupt", index, hex, "the record cannot be read: %s", err_message());
		return 1;
	}
	out->signoffs = *git_tree_entry_id(sig_entry);
	return 0;
}

/* scenario.xml and attachments/ must be exactly what the record's signed bytes say. */
static int check_stored_files(struct replay *rp, long index, const char *hex, const struct record *rec,
                              const struct record_dir *dir)
{
	struct buf bytes = buf_make(SCENARIO_BYTES_MAX);
	git_tree *attachments = NULL;
	uint8_t digest[32];
	size_t stored = 0, found = 0;
	int r = 0;

	if (dir->scenario != NULL) {
		if (read_blob(rp, dir->scenario, SCENARIO_BYTES_MAX, &bytes) != 0) {
			r = findings_add(rp->findings, "object-corrupt", index, hex,
			                 "the stored scenario cannot be read: %s", err_message());
			goto out;
		}
		sha256_digest(bytes.data, bytes.len, digest);
		if (memcmp(digest, rec->scenario_sha256, 32) != 0 &&
		    (r = findings_add(rp->findings, "scenario-file-mismatch", index, hex,
		                      "the stored scenario does not hash to the pinned scenario-sha256")) != 0)
			goto out;
		if (rp->stored_scenario.data == NULL &&
		    (r = buf_append(&rp->stored_scenario, bytes.data, bytes.len)) != 0)
			goto out;
	}
	for (size_t i = 0; i < rec->attachment_count; i++)
		stored += rec->attachments[i].stored != 0;
	if (dir->attachments != NULL && lookup_tree(rp, git_tree_entry_id(dir->attachments), &attachments) != 0) {
		r = findings_add(rp->findings, "object-corrupt", index, hex, "the attachments cannot be read: %s",
		                 err_message());
		goto out;
	}
	for (size_t i = 0; attachments != NULL && i < git_tree_entrycount(attachments) && r == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(attachments, i);
		const struct record_attachment *a = NULL;
		for (size_t k = 0; k < rec->attachment_count; k++)
			if (rec->attachments[k].stored && strcmp(rec->attachments[k].name, git_tree_entry_name(e)) == 0)
				a = &rec->attachments[k];
		if (a == NULL) {
			r = findings_add(rp->findings, "attachment-mismatch", index, hex,
			                 "stored file attachments/%s is not an attachment the record lists as stored",
			                 git_tree_entry_name(e));
			continue;
		}
		found++;
		if (a->size > RECORD_ATTACHMENT_MAX ||
		    read_blob(rp, e, RECORD_ATTACHMENT_MAX, &rp->attachment_bytes) != 0) {
			r = findings_add(rp->findings, "object-corrupt", index, hex, "attachment %s cannot be read",
			                 a->name);
			continue;
		}
		sha256_digest(rp->attachment_bytes.data, rp->attachment_bytes.len, digest);
		if ((rp->attachment_bytes.len != a->size || memcmp(digest, a->sha256, 32) != 0))
			r = findings_add(rp->findings, "attachment-mismatch", index, hex,
			                 "stored attachment %s does not match the size and sha256 the record signs",
			                 a->name);
	}
	if (r == 0 && found != stored)
		r = findings_add(rp->findings, "attachment-missing", index, hex,
		                 "the record lists %zu stored attachment(s), the evidence holds %zu", stored, found);
out:
	git_tree_free(attachments);
	buf_free(&bytes);
	return r;
}

static int check_one(struct replay *rp, long index, const git_oid *commit_id)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_odb_object *obj = NULL;
	struct commit_raw c;
	struct record *rec = NULL;
	git_oid tree_id, record_dir;
	struct record_dir dir = {0};
	int r;

	git_oid_tostr(hex, sizeof(hex), commit_id);
	if (read_object(rp, commit_id, GIT_OBJECT_COMMIT, &obj) != 0) {
		FIND(rp, "object-corrupt", index, hex, "commit cannot be read: %s", err_message());
		rp->stop = 1;
		return 0;
	}
	r = commit_raw_parse(&c, git_odb_object_data(obj), git_odb_object_size(obj));
	git_odb_object_free(obj);
	if (r != 0) {
		FIND(rp, "commit-malformed", index, hex, "%s", err_message());
		rp->stop = 1;
		return 0;
	}
	if (git_oid_fromstr(&tree_id, c.tree) < 0 ||
	    (r = check_tree_append(rp, index, hex, &tree_id, &record_dir)) != 0 ||
	    (r = read_record_dir(rp, index, hex, &record_dir, &dir)) != 0) {
		git_tree_free(dir.tree);
		commit_raw_free(&c);
		rp->stop = 1;
		return r < 0 ? r : 0;
	}
	if (record_parse(&rec, rp->record_bytes.data, rp->record_bytes.len) != 0) {
		git_tree_free(dir.tree);
		commit_raw_free(&c);
		r = findings_add(rp->findings, "record-malformed", index, hex, "%s", err_message());
		/* Without a record the chain cannot go on; without the genesis nothing can be judged. */
		rp->stop = 1;
		return r;
	}
	if (index == 0) {
		if (rec->type != RECORD_GENESIS) {
			FIND(rp, "record-genesis", index, hex, "the first record is not a genesis record");
			rp->stop = 1;
		}
		rp->genesis = rec; /* owns the roster from now on */
		memcpy(rp->result->ceremony, rec->ceremony, sizeof(rp->result->ceremony));
	}
	rp->signers_seen_count = 0;
	if (!rp->stop && (r = check_record_fields(rp, index, hex, rec)) == 0 &&
	    (r = check_commit_signature(rp, index, hex, &c)) == 0 &&
	    (r = check_stored_files(rp, index, hex, rec, &dir)) == 0 &&
	    (r = check_signoffs(rp, index, hex, &dir.signoffs, rp->genesis->roster)) == 0)
		r = index == 0 ? load_scenario(rp, rec) : replay_script(rp, index, hex, rec);
	git_tree_free(dir.tree);
	sha256_digest(rp->record_bytes.data, rp->record_bytes.len, rp->previous_sha256);
	if (r == 0 && rp->options->on_record != NULL && rp->genesis != NULL) {
		const char *names[EVIDENCE_SIGNOFFS_MAX];
		struct checked_record seen = {rec, hex, rp->previous_sha256, names, rp->signers_seen_count};
		for (size_t i = 0; i < rp->signers_seen_count; i++)
			names[i] = rp->genesis->roster->participants[rp->signers_seen[i]];
		r = rp->options->on_record(rp->options->on_record_ctx, &seen);
	}
	rp->previous_session = rec->session;
	rp->closed = rp->closed || rec->type == RECORD_CLOSE; /* every later record is after close */
	rp->last_is_close = rec->type == RECORD_CLOSE;
	rp->previous_tree = tree_id;
	if (rec != rp->genesis)
		record_free(rec);
	commit_raw_free(&c);
	return r;
}

int evidence_check(const char *dir, const struct evidence_check_options *options, struct findings *findings,
                   struct evidence_check_result *result)
{
	struct replay rp;
	git_oid tip, *history = NULL;
	size_t count = 0;
	int r;

	static const struct evidence_check_options no_options;

	if (options == NULL)
		options = &no_options;
	memset(&rp, 0, sizeof(rp));
	memset(result, 0, sizeof(*result));
	rp.findings = findings;
	rp.result = result;
	rp.options = options;
	rp.record_bytes = buf_make(RECORD_BYTES_MAX);
	rp.signoff_blob = buf_make(SSHSIG_ARMORED_MAX);
	rp.attachment_bytes = buf_make(RECORD_ATTACHMENT_MAX);
	rp.stored_scenario = buf_make(SCENARIO_BYTES_MAX);
	rp.dir = dir;
	if ((r = git_dir_check(dir)) != 0 || (r = open_repository(dir, &rp.repo)) != 0)
		return r;
	rp.window = loose_raw_repository_has_packs(rp.repo) == 1 ? REPLAY_WINDOW_PACKED : REPLAY_WINDOW;
	if ((r = check_refs(&rp)) != 0)
		goto out;
	if (git_reference_name_to_id(&tip, rp.repo, EVIDENCE_BRANCH) < 0) {
		r = findings_add(findings, "branch-missing", FINDING_NO_RECORD, NULL,
		                 "no " EVIDENCE_BRANCH ": the repository holds no evidence");
		goto out;
	}
	if ((r = collect_history(&rp, &tip, &history, &count)) != 0 || (r = sigcheck_start(&rp.sigcheck)) != 0 ||
	    (r = prefetch_start(rp.repo, dir, history, rp.stop ? 0 : count, &rp.prefetch)) != 0 ||
	    (r = prefetch_attach(rp.prefetch, rp.repo)) != 0)
		goto out;
	for (size_t i = 0; i < count && !rp.stop; i++) {
		if (i > 0 && i % rp.window == 0 && (r = refresh_repository(&rp)) != 0)
			goto out;
		prefetch_reach(rp.prefetch, i);
		if ((r = check_one(&rp, (long)i, &history[i])) != 0)
			goto out;
		result->records = i + 1;
		if (options->progress != NULL)
			options->progress(options->progress_ctx, i + 1, count);
	}
	{
		size_t dropped = 0;
		if ((r = sigcheck_finish(rp.sigcheck, signature_failed, &rp, &dropped)) != 0)
			goto out;
		findings->dropped += dropped;
	}
	result->closed = rp.last_is_close;
	result->last_session = rp.previous_session;
	memcpy(result->last_record_sha256, rp.previous_sha256, 32);
	if (options->closing_hash != NULL && memcmp(options->closing_hash, rp.previous_sha256, 32) != 0) {
		char got[65];
		hex_encode(rp.previous_sha256, 32, got);
		r = findings_add(
		        findings, "closing-hash-mismatch", FINDING_NO_RECORD, NULL,
		        "the last record (%zu) hashes to %s, not to the closing hash given: records were dropped "
		        "from the end, or added",
		        count > 0 ? count - 1 : 0, got);
	}
	/* Anchored: the closing hash from outside matched (it pins every record through the chain), or
	 * the auditor's scenario was replayed (its roster checked against the genesis roster). */
	result->anchored =
	        (options->closing_hash != NULL && memcmp(options->closing_hash, rp.previous_sha256, 32) == 0) ||
	        result->scenario_source == SCENARIO_AUDITOR;
	if (rp.scenario != NULL) {
		result->invalidated = rp.script.invalidated;
		result->sessions = rp.script.session;
		result->incidents = rp.script.incidents;
	}
out:
	sigcheck_free(rp.sigcheck);
	git_repository_free(rp.repo); /* before the read-ahead its backend answers from */
	prefetch_free(rp.prefetch);
	free(history);
	record_free(rp.genesis);
	scenario_free(rp.scenario);
	buf_free(&rp.record_bytes);
	buf_free(&rp.signoff_blob);
	buf_free(&rp.attachment_bytes);
	buf_free(&rp.stored_scenario);
	return r;
}
