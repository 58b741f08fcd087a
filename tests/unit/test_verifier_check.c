/* verifier/evidence_check: repositories made with the store, then tampered with through libgit2
 * directly, as an attacker with write access to the repository would (DESIGN.md section 7). Each
 * attack must come out as its own finding code (docs/findings.md). */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <git2.h>

#include "common/error.h"
#include "common/hash.h"
#include "common/init.h"
#include "common/sshsig.h"
#include "evidence/loose_raw.h"
#include "evidence/store.h"
#include "verifier/evidence_check.h"
#include "helpers.h"

static char *dir;
static struct test_keys keys;

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	test_keys_make(&keys);
	dir = test_tmpdir("verify");
}

static void teardown(void)
{
	test_run("rm -rf '%s'", dir);
	free(dir);
	test_keys_free(&keys);
}

TestSuite(verify_clean, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(verify_history, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(verify_signatures, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(verify_objects, .init = setup, .fini = teardown, .timeout = 60);

#define MAX_HISTORY 320

/* A repository made by the store, opened for tampering. */
struct evidence {
	char *path;
	git_repository *repo;
	git_oid commit[MAX_HISTORY]; /* oldest first, as the store wrote them */
	size_t count;
};

static void history(git_repository *repo, git_oid *out, size_t *count)
{
	git_oid id;
	size_t n = 0;

	cr_assert_eq(git_reference_name_to_id(&id, repo, EVIDENCE_BRANCH), 0);
	for (;;) {
		git_commit *c = NULL;
		cr_assert(n < MAX_HISTORY);
		cr_assert_eq(git_commit_lookup(&c, repo, &id), 0);
		out[n++] = id;
		if (git_commit_parentcount(c) == 0) {
			git_commit_free(c);
			break;
		}
		git_oid_cpy(&id, git_commit_parent_id(c, 0));
		git_commit_free(c);
	}
	for (size_t i = 0; i < n / 2; i++) {
		git_oid t = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = t;
	}
	*count = n;
}

/* genesis, `steps` step records, and a close record when `close`. */
static void make_evidence(struct evidence *e, const char *name, const char *ceremony, unsigned steps, int close)
{
	struct evidence_store *store;

	cr_assert(asprintf(&e->path, "%s/%s", dir, name) > 0);
	store = test_store_make(e->path, &keys, ceremony, steps, close);
	evidence_store_free(store);
	cr_assert_eq(git_repository_open_bare(&e->repo, e->path), 0);
	history(e->repo, e->commit, &e->count);
	cr_assert_eq(e->count, 1 + steps + (close ? 1 : 0));
}

static void free_evidence(struct evidence *e)
{
	git_repository_free(e->repo);
	free(e->path);
}

/* ---- running the check ---- */

struct outcome {
	struct findings findings;
	struct evidence_check_result result;
	char *text;
};

static void check_once(const struct evidence *e, const struct evidence_check_options *options, struct outcome *o)
{
	int r;

	memset(o, 0, sizeof(*o));
	r = evidence_check(e->path, options, &o->findings, &o->result);
	cr_assert_eq(r, 0, "evidence_check could not run: %s", err_message());
	o->text = test_findings_text(&o->findings);
}

static void free_outcome(struct outcome *o);

/* Every check runs twice: on every CPU the test may use (objects read ahead and signatures checked
 * on other threads, verifier/prefetch.c and sigcheck.c) and on one CPU (all on this thread). The
 * findings and the result must not depend on which. */
static void run_check(const struct evidence *e, const uint8_t *closing_hash, const uint8_t *scenario_hash,
                      struct outcome *o)
{
	struct evidence_check_options options = {.closing_hash = closing_hash, .scenario_hash = scenario_hash};
	struct outcome alone;
	cpu_set_t all, one;
	int first = 0;

	check_once(e, &options, o);
	cr_assert_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	while (!CPU_ISSET(first, &all))
		first++;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	check_once(e, &options, &alone);
	cr_assert_eq(sched_setaffinity(0, sizeof(all), &all), 0);
	cr_assert_str_eq(o->text, alone.text, "the findings on one CPU differ from those on %d", CPU_COUNT(&all));
	cr_assert_eq(o->result.records, alone.result.records);
	cr_assert_eq(o->result.closed, alone.result.closed);
	cr_assert_eq(o->result.signatures_checked, alone.result.signatures_checked);
	cr_assert_eq(memcmp(o->result.last_record_sha256, alone.result.last_record_sha256, 32), 0);
	free_outcome(&alone);
}

static void free_outcome(struct outcome *o)
{
	findings_free(&o->findings);
	free(o->text);
}

/* Exactly these codes are found (each at least once), and no other. `codes` ends with NULL. */
static void assert_codes(const struct outcome *o, const char *const *codes)
{
	for (const char *const *c = codes; *c; c++)
		cr_assert(test_has_finding(&o->findings, *c), "no %s finding; %s", *c, o->text);
	for (size_t i = 0; i < o->findings.count; i++) {
		int expected = 0;
		for (const char *const *c = codes; *c; c++)
			expected |= strcmp(o->findings.items[i].code, *c) == 0;
		cr_assert(expected, "unexpected finding %s; %s", o->findings.items[i].code, o->text);
	}
}

/* A finding `code` about record `record`. */
static void assert_finding_at(const struct outcome *o, const char *code, long record)
{
	for (size_t i = 0; i < o->findings.count; i++)
		if (strcmp(o->findings.items[i].code, code) == 0 && o->findings.items[i].record == record)
			return;
	cr_assert_fail("no %s finding at record %ld; %s", code, record, o->text);
}

static void assert_clean(const struct evidence *e, size_t records, int closed)
{
	struct outcome o;

	run_check(e, NULL, NULL, &o);
	cr_assert_eq(findings_total(&o.findings), 0, "%s", o.text);
	cr_assert_eq(o.result.records, records);
	cr_assert_eq(o.result.closed, closed);
	free_outcome(&o);
}

/* ---- tampering through libgit2 ---- */

static void blob_of(git_repository *repo, const void *data, size_t len, git_oid *out)
{
	cr_assert_eq(git_blob_create_from_buffer(out, repo, data, len), 0, "%s", git_error_last()->message);
}

static void tree_of(git_repository *repo, const git_oid *commit, git_oid *out)
{
	git_commit *c = NULL;

	cr_assert_eq(git_commit_lookup(&c, repo, commit), 0);
	git_oid_cpy(out, git_commit_tree_id(c));
	git_commit_free(c);
}

/* Put `id` (of `mode`) at `path` below the tree `base` (NULL: an empty tree), or remove the entry
 * when `id` is NULL; *out is the new root tree. */
static void tree_put(git_repository *repo, const git_oid *base, const char *path, const git_oid *id,
                     git_filemode_t mode, git_oid *out)
{
	git_tree *tree = NULL;
	git_treebuilder *builder = NULL;
	const char *slash = strchr(path, '/');

	if (base != NULL)
		cr_assert_eq(git_tree_lookup(&tree, repo, base), 0);
	cr_assert_eq(git_treebuilder_new(&builder, repo, tree), 0);
	if (slash == NULL) {
		if (id != NULL)
			cr_assert_eq(git_treebuilder_insert(NULL, builder, path, id, mode), 0, "%s",
			             git_error_last()->message);
		else
			cr_assert_eq(git_treebuilder_remove(builder, path), 0, "no %s to remove", path);
	} else {
		char *name = strndup(path, (size_t)(slash - path));
		const git_tree_entry *entry = git_treebuilder_get(builder, name);
		git_oid sub, child;
		int have_sub = entry != NULL && git_tree_entry_type(entry) == GIT_OBJECT_TREE;
		if (have_sub)
			git_oid_cpy(&sub, git_tree_entry_id(entry));
		tree_put(repo, have_sub ? &sub : NULL, slash + 1, id, mode, &child);
		cr_assert_eq(git_treebuilder_insert(NULL, builder, name, &child, GIT_FILEMODE_TREE), 0);
		free(name);
	}
	cr_assert_eq(git_treebuilder_write(out, builder), 0);
	git_treebuilder_free(builder);
	git_tree_free(tree);
}

static void put_blob(git_repository *repo, git_oid *tree, const char *path, const void *data, size_t len)
{
	git_oid blob;

	blob_of(repo, data, len, &blob);
	tree_put(repo, tree, path, &blob, GIT_FILEMODE_BLOB, tree);
}

/* The id of the entry at `path` in commit's tree. */
static void entry_at(git_repository *repo, const git_oid *commit, const char *path, git_oid *out)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;

	cr_assert_eq(git_commit_lookup(&c, repo, commit), 0);
	cr_assert_eq(git_commit_tree(&tree, c), 0);
	cr_assert_eq(git_tree_entry_bypath(&entry, tree, path), 0, "no %s", path);
	git_oid_cpy(out, git_tree_entry_id(entry));
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
}

static void record_dir_path(uint32_t sequence, char *out)
{
	evidence_record_path(sequence, out);
}

/* The bytes of record `sequence` as commit's tree holds them. */
static void record_bytes(git_repository *repo, const git_oid *commit, uint32_t sequence, struct buf *out)
{
	char path[EVIDENCE_RECORD_PATH_CHARS + 1], *file = NULL;
	git_oid id;
	git_blob *blob = NULL;

	record_dir_path(sequence, path);
	cr_assert(asprintf(&file, "%s/record.xml", path) > 0);
	entry_at(repo, commit, file, &id);
	cr_assert_eq(git_blob_lookup(&blob, repo, &id), 0);
	buf_reset(out);
	cr_assert_eq(buf_append(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)), 0);
	git_blob_free(blob);
	free(file);
}

static void sign(int signer, const char *namespace, const struct buf *bytes, struct buf *armored)
{
	buf_reset(armored);
	cr_assert_eq(sshsig_sign(keys.signer[signer], namespace, bytes->data, bytes->len, armored), 0, "%s",
	             err_message());
}

/* A record directory (record.xml and signoffs/) with sign-offs by `signers` (ending with -1) in `namespace`. */
static void record_dir(git_repository *repo, const struct buf *bytes, const int *signers, const char *namespace,
                       git_oid *out)
{
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
	git_oid tree;
	int first = 1;

	for (const int *s = signers; *s >= 0; s++) {
		char name[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)], path[128];
		sign(*s, namespace, bytes, &armored);
		evidence_signoff_name(&keys.key[*s]->public_key, name);
		snprintf(path, sizeof(path), "signoffs/%s", name);
		if (first) {
			git_oid blob;
			blob_of(repo, armored.data, armored.len, &blob);
			tree_put(repo, NULL, path, &blob, GIT_FILEMODE_BLOB, &tree);
			first = 0;
		} else {
			put_blob(repo, &tree, path, armored.data, armored.len);
		}
	}
	cr_assert_not(first, "at least one signer");
	put_blob(repo, &tree, "record.xml", bytes->data, bytes->len);
	git_oid_cpy(out, &tree);
	buf_free(&armored);
}

/* `base` with the record directory `dir_id` at the path of `sequence`. */
static void with_record_dir(git_repository *repo, const git_oid *base, uint32_t sequence, const git_oid *dir_id,
                            git_oid *out)
{
	char path[EVIDENCE_RECORD_PATH_CHARS + 1];

	record_dir_path(sequence, path);
	tree_put(repo, base, path, dir_id, GIT_FILEMODE_TREE, out);
}

/* A commit of `tree` on `parents`, signed in namespace "git" by `signer`, or unsigned when -1. */
static void make_commit(git_repository *repo, const git_oid *tree_id, const git_oid *parents, size_t parent_count,
                        int signer, git_oid *out)
{
	git_signature *who = NULL;
	git_tree *tree = NULL;
	const git_commit *parent_commits[2] = {NULL, NULL};
	git_buf content = GIT_BUF_INIT;
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);

	cr_assert(parent_count <= 2);
	cr_assert_eq(git_signature_new(&who, "alice", "alice@ceremony.invalid", 1735787045, 0), 0);
	cr_assert_eq(git_tree_lookup(&tree, repo, tree_id), 0);
	for (size_t i = 0; i < parent_count; i++)
		cr_assert_eq(git_commit_lookup((git_commit **)&parent_commits[i], repo, &parents[i]), 0);
	if (signer < 0) {
		cr_assert_eq(git_commit_create(out, repo, NULL, who, who, NULL, "step: tampered\n", tree, parent_count,
		                               parent_commits),
		             0, "%s", git_error_last()->message);
	} else {
		cr_assert_eq(git_commit_create_buffer(&content, repo, who, who, NULL, "step: tampered\n", tree,
		                                      parent_count, parent_commits),
		             0);
		cr_assert_eq(sshsig_sign(keys.signer[signer], SSHSIG_NAMESPACE_GIT, (const uint8_t *)content.ptr,
		                         content.size, &armored),
		             0);
		armored.data[--armored.len] = '\0'; /* the header value cannot end in a newline */
		cr_assert_eq(
		        git_commit_create_with_signature(out, repo, content.ptr, (const char *)armored.data, "gpgsig"),
		        0, "%s", git_error_last()->message);
	}
	for (size_t i = 0; i < parent_count; i++)
		git_commit_free((git_commit *)parent_commits[i]);
	git_buf_dispose(&content);
	buf_free(&armored);
	git_tree_free(tree);
	git_signature_free(who);
}

static void set_main(git_repository *repo, const git_oid *commit)
{
	git_reference *ref = NULL;

	cr_assert_eq(git_reference_create(&ref, repo, EVIDENCE_BRANCH, commit, 1, NULL), 0);
	git_reference_free(ref);
}

/* The record that would follow `previous` (its bytes): same ceremony, scenario and session. */
static void next_record_bytes(const struct buf *previous, uint32_t sequence, enum record_type type, const char *value,
                              struct buf *out)
{
	struct record *prev = NULL, *rec = NULL;

	cr_assert_eq(record_parse(&prev, previous->data, previous->len), 0, "%s", err_message());
	cr_assert_eq(record_new(&rec), 0);
	memcpy(rec->ceremony, prev->ceremony, sizeof(rec->ceremony));
	memcpy(rec->scenario_sha256, prev->scenario_sha256, 32);
	sha256_digest(previous->data, previous->len, rec->previous_sha256);
	rec->session = prev->session;
	rec->sequence = sequence;
	snprintf(rec->step, sizeof(rec->step), "%s", type == RECORD_CLOSE ? "close" : "step");
	rec->type = type;
	snprintf(rec->time, sizeof(rec->time), "%s", "2025-01-02T03:05:00Z");
	snprintf(rec->actor, sizeof(rec->actor), "%s", "alice");
	if (value != NULL)
		cr_assert_eq(record_add_value(rec, "n", value), 0);
	buf_reset(out);
	cr_assert_eq(record_serialize(rec, out), 0, "%s", err_message());
	record_free(rec);
	record_free(prev);
}

/* Append a crafted record at `sequence` on top of commit `parent`; commit signed by `committer` (-1: unsigned). */
static void append_crafted(struct evidence *e, const git_oid *parent, uint32_t sequence, const struct buf *bytes,
                           const int *signers, const char *namespace, int committer, git_oid *out)
{
	git_oid dir_id, base, tree;

	record_dir(e->repo, bytes, signers, namespace, &dir_id);
	tree_of(e->repo, parent, &base);
	with_record_dir(e->repo, &base, sequence, &dir_id, &tree);
	make_commit(e->repo, &tree, parent, 1, committer, out);
}

static const int ALICE_BOB[] = {TEST_ALICE, TEST_BOB, -1};

/* ---- clean repositories ---- */

Test(verify_clean, open_ceremony)
{
	struct evidence e;
	struct outcome o;
	struct buf last = buf_make(RECORD_BYTES_MAX);
	uint8_t digest[32];

	make_evidence(&e, "open", "clean-open", 3, 0);
	run_check(&e, NULL, NULL, &o);
	cr_assert_eq(findings_total(&o.findings), 0, "%s", o.text);
	cr_assert_eq(o.result.records, 4);
	cr_assert_eq(o.result.closed, 0);
	cr_assert_eq(o.result.last_session, 1);
	cr_assert_str_eq(o.result.ceremony, "clean-open");
	cr_assert_eq(o.result.signatures_checked, 4 * 3, "two sign-offs and one commit signature per record");
	record_bytes(e.repo, &e.commit[3], 3, &last);
	sha256_digest(last.data, last.len, digest);
	cr_assert_eq(memcmp(o.result.last_record_sha256, digest, 32), 0);
	free_outcome(&o);

	/* the right closing hash and scenario hash find nothing either */
	{
		uint8_t scenario[32];
		memset(scenario, 0x5c, sizeof(scenario));
		run_check(&e, digest, scenario, &o);
		cr_assert_eq(findings_total(&o.findings), 0, "%s", o.text);
		free_outcome(&o);
	}
	buf_free(&last);
	free_evidence(&e);
}

Test(verify_clean, closed_ceremony)
{
	struct evidence e;

	make_evidence(&e, "closed", "clean-closed", 2, 1);
	assert_clean(&e, 4, 1);
	free_evidence(&e);
}

Test(verify_clean, not_a_repository)
{
	struct evidence_check_options options = {0};
	struct evidence_check_result result;
	struct findings findings = {0};
	int r = evidence_check(dir, &options, &findings, &result);

	cr_assert_lt(r, 0);
	cr_assert_not_null(strstr(err_message(), dir), "the message names the directory: %s", err_message());
	cr_assert_not_null(strstr(err_message(), "not an evidence repository"), "%s", err_message());
	findings_free(&findings);
}

Test(verify_clean, empty_repository)
{
	struct evidence_store *store = NULL;
	char *path = NULL;
	struct evidence_check_options options = {0};
	struct evidence_check_result result;
	struct findings findings = {0};

	cr_assert(asprintf(&path, "%s/empty", dir) > 0);
	cr_assert_eq(evidence_store_create(&store, path), 0);
	evidence_store_free(store);
	cr_assert_eq(evidence_check(path, &options, &findings, &result), 0, "%s", err_message());
	cr_assert(test_has_finding(&findings, "branch-missing"));
	cr_assert_eq(result.records, 0);
	findings_free(&findings);
	free(path);
}

Test(verify_clean, scenario_swapped)
{
	struct evidence e;
	struct outcome o;
	uint8_t other[32];
	static const char *const codes[] = {"scenario-mismatch", NULL};

	make_evidence(&e, "scenario", "swap", 1, 0);
	memset(other, 0x5d, sizeof(other));
	run_check(&e, NULL, other, &o);
	assert_codes(&o, codes);
	free_outcome(&o);
	free_evidence(&e);
}

/* ---- history ---- */

Test(verify_history, rewritten_and_recreated_unsigned)
{
	struct evidence e;
	struct outcome o;
	git_oid tree, tip;
	static const char *const codes[] = {"commit-unsigned", NULL};

	make_evidence(&e, "rewrite", "rewrite", 4, 0);
	/* commit 2 rewritten (same record, another commit), its descendants re-created on top of it */
	tip = e.commit[1];
	for (size_t i = 2; i < e.count; i++) {
		git_oid parent = tip;
		tree_of(e.repo, &e.commit[i], &tree);
		make_commit(e.repo, &tree, &parent, 1, -1, &tip);
	}
	set_main(e.repo, &tip);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "commit-unsigned", 2);
	assert_finding_at(&o, "commit-unsigned", 3);
	assert_finding_at(&o, "commit-unsigned", 4);
	cr_assert_eq(o.findings.count, 3, "%s", o.text);
	free_outcome(&o);
	free_evidence(&e);
}

Test(verify_history, rewritten_and_recreated_with_a_foreign_key)
{
	struct evidence e;
	struct outcome o;
	git_oid tree, tip;
	static const char *const codes[] = {"commit-signer-unknown", NULL};

	make_evidence(&e, "rewrite-mallory", "rewrite", 3, 0);
	tip = e.commit[0];
	for (size_t i = 1; i < e.count; i++) {
		git_oid parent = tip;
		tree_of(e.repo, &e.commit[i], &tree);
		make_commit(e.repo, &tree, &parent, 1, TEST_MALLORY, &tip);
	}
	set_main(e.repo, &tip);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	for (long i = 1; i <= 3; i++)
		assert_finding_at(&o, "commit-signer-unknown", i);
	free_outcome(&o);
	free_evidence(&e);
}

Test(verify_history, rewritten_with_an_edited_record_and_foreign_signatures)
{
	struct evidence e;
	struct outcome o;
	struct buf bytes = buf_make(RECORD_BYTES_MAX), previous = buf_make(RECORD_BYTES_MAX);
	git_oid tip;
	static const int MALLORY[] = {TEST_MALLORY, -1};
	static const char *const codes[] = {"signoff-unknown-key", "commit-signer-unknown", NULL};

	make_evidence(&e, "rewrite-foreign", "rewrite", 3, 0);
	/* record 2 says something else; records 2 and 3 are chained again and re-signed by mallory */
	record_bytes(e.repo, &e.commit[1], 1, &previous);
	tip = e.commit[1];
	for (uint32_t s = 2; s <= 3; s++) {
		git_oid parent = tip;
		next_record_bytes(&previous, s, RECORD_STEP, s == 2 ? "forged" : "3", &bytes);
		append_crafted(&e, &parent, s, &bytes, MALLORY, SSHSIG_NAMESPACE_RECORD, TEST_MALLORY, &tip);
		buf_reset(&previous);
		cr_assert_eq(buf_append(&previous, bytes.data, bytes.len), 0);
	}
	set_main(e.repo, &tip);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "signoff-unknown-key", 2);
	assert_finding_at(&o, "commit-signer-unknown", 2);
	assert_finding_at(&o, "signoff-unknown-key", 3);
	free_outcome(&o);
	buf_free(&bytes);
	buf_free(&previous);
	free_evidence(&e);
}

/* Re-commit record directories `order` (sequence numbers of the original records) on top of
 * commit `from`, each at the next position, signed by alice: the records keep their own bytes. */
static void relayout(struct evidence *e, size_t from, const uint32_t *order, size_t n, git_oid *tip)
{
	*tip = e->commit[from];
	for (size_t i = 0; i < n; i++) {
		char path[EVIDENCE_RECORD_PATH_CHARS + 1];
		git_oid dir_id, base, tree, parent = *tip;
		record_dir_path(order[i], path);
		entry_at(e->repo, &e->commit[order[i]], path, &dir_id);
		tree_of(e->repo, &parent, &base);
		with_record_dir(e->repo, &base, (uint32_t)(from + 1 + i), &dir_id, &tree);
		make_commit(e->repo, &tree, &parent, 1, TEST_ALICE, tip);
	}
}

Test(verify_history, record_dropped_from_the_middle)
{
	struct evidence e;
	struct outcome o;
	git_oid tip;
	static const uint32_t order[] = {3, 4};
	static const char *const codes[] = {"record-chain", "record-sequence", NULL};

	make_evidence(&e, "drop", "drop", 4, 0);
	relayout(&e, 1, order, 2, &tip); /* 0 1 3 4: record 2 is gone */
	set_main(e.repo, &tip);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "record-chain", 2);
	assert_finding_at(&o, "record-sequence", 2);
	assert_finding_at(&o, "record-sequence", 3);
	free_outcome(&o);

	/* dropped naively, records keeping their paths: the layout gives it away */
	{
		git_oid tree, parent = e.commit[1];
		static const char *const layout[] = {"tree-layout", "record-sequence", "record-chain", NULL};
		tree_of(e.repo, &e.commit[3], &tree);
		{
			char path[EVIDENCE_RECORD_PATH_CHARS + 1];
			record_dir_path(2, path);
			tree_put(e.repo, &tree, path, NULL, 0, &tree);
		}
		make_commit(e.repo, &tree, &parent, 1, TEST_ALICE, &tip);
		set_main(e.repo, &tip);
		run_check(&e, NULL, NULL, &o);
		assert_codes(&o, layout);
		assert_finding_at(&o, "tree-layout", 2);
		free_outcome(&o);
	}
	free_evidence(&e);
}

Test(verify_history, records_reordered)
{
	struct evidence e;
	struct outcome o;
	git_oid tip;
	static const uint32_t order[] = {3, 2};
	static const char *const codes[] = {"record-chain", "record-sequence", NULL};

	make_evidence(&e, "reorder", "reorder", 3, 0);
	relayout(&e, 1, order, 2, &tip); /* 0 1 3 2 */
	set_main(e.repo, &tip);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "record-chain", 2);
	assert_finding_at(&o, "record-chain", 3);
	assert_finding_at(&o, "record-sequence", 2);
	assert_finding_at(&o, "record-sequence", 3);
	free_outcome(&o);
	free_evidence(&e);
}

Test(verify_history, record_inserted)
{
	struct evidence e;
	struct outcome o;
	struct buf previous = buf_make(RECORD_BYTES_MAX), bytes = buf_make(RECORD_BYTES_MAX);
	git_oid tip, parent, base, tree;
	char path[EVIDENCE_RECORD_PATH_CHARS + 1];
	git_oid dir_id;
	static const char *const codes[] = {"record-chain", "record-sequence", NULL};

	make_evidence(&e, "insert", "insert", 2, 0);
	/* a well-signed record 2 by insiders, then the original record 2 moved to 3 */
	record_bytes(e.repo, &e.commit[1], 1, &previous);
	next_record_bytes(&previous, 2, RECORD_STEP, "inserted", &bytes);
	append_crafted(&e, &e.commit[1], 2, &bytes, ALICE_BOB, SSHSIG_NAMESPACE_RECORD, TEST_ALICE, &tip);
	parent = tip;
	record_dir_path(2, path);
	entry_at(e.repo, &e.commit[2], path, &dir_id);
	tree_of(e.repo, &parent, &base);
	with_record_dir(e.repo, &base, 3, &dir_id, &tree);
	make_commit(e.repo, &tree, &parent, 1, TEST_ALICE, &tip);
	set_main(e.repo, &tip);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "record-chain", 3);
	assert_finding_at(&o, "record-sequence", 3);
	free_outcome(&o);
	buf_free(&previous);
	buf_free(&bytes);
	free_evidence(&e);
}

Test(verify_history, merge_commit)
{
	struct evidence e;
	struct outcome o;
	struct buf previous = buf_make(RECORD_BYTES_MAX), bytes = buf_make(RECORD_BYTES_MAX);
	git_oid dir_id, base, tree, tip, parents[2];
	static const char *const codes[] = {"history-merge", NULL};

	make_evidence(&e, "merge", "merge", 2, 0);
	record_bytes(e.repo, &e.commit[2], 2, &previous);
	next_record_bytes(&previous, 3, RECORD_STEP, "3", &bytes);
	record_dir(e.repo, &bytes, ALICE_BOB, SSHSIG_NAMESPACE_RECORD, &dir_id);
	tree_of(e.repo, &e.commit[2], &base);
	with_record_dir(e.repo, &base, 3, &dir_id, &tree);
	parents[0] = e.commit[2];
	parents[1] = e.commit[1];
	make_commit(e.repo, &tree, parents, 2, TEST_ALICE, &tip);
	set_main(e.repo, &tip);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	free_outcome(&o);
	buf_free(&previous);
	buf_free(&bytes);
	free_evidence(&e);
}

Test(verify_history, extra_branch_and_tag)
{
	struct evidence e;
	struct outcome o;
	git_reference *ref = NULL;
	static const char *const codes[] = {"ref-extra", NULL};

	make_evidence(&e, "branch", "branch", 2, 0);
	cr_assert_eq(git_reference_create(&ref, e.repo, "refs/heads/rewritten", &e.commit[1], 0, NULL), 0);
	git_reference_free(ref);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	cr_assert_not_null(strstr(o.text, "refs/heads/rewritten"), "%s", o.text);
	free_outcome(&o);

	cr_assert_eq(git_reference_create(&ref, e.repo, "refs/tags/v1", &e.commit[2], 0, NULL), 0);
	git_reference_free(ref);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	cr_assert_eq(o.findings.count, 2, "%s", o.text);
	free_outcome(&o);
	free_evidence(&e);
}

Test(verify_history, head_detached)
{
	struct evidence e;
	struct outcome o;
	static const char *const codes[] = {"ref-head", NULL};

	make_evidence(&e, "head", "head", 1, 0);
	cr_assert_eq(git_repository_set_head_detached(e.repo, &e.commit[0]), 0);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	free_outcome(&o);
	free_evidence(&e);
}

Test(verify_history, record_after_close)
{
	struct evidence e;
	struct outcome o;
	struct buf previous = buf_make(RECORD_BYTES_MAX), bytes = buf_make(RECORD_BYTES_MAX);
	git_oid tip;
	static const char *const codes[] = {"record-after-close", NULL};

	make_evidence(&e, "after-close", "after-close", 1, 1);
	record_bytes(e.repo, &e.commit[2], 2, &previous);
	next_record_bytes(&previous, 3, RECORD_STEP, "late", &bytes);
	append_crafted(&e, &e.commit[2], 3, &bytes, ALICE_BOB, SSHSIG_NAMESPACE_RECORD, TEST_ALICE, &tip);
	set_main(e.repo, &tip);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "record-after-close", 3);
	cr_assert_eq(o.result.closed, 0, "the last record is not the close record");
	free_outcome(&o);
	buf_free(&previous);
	buf_free(&bytes);
	free_evidence(&e);
}

Test(verify_history, truncated_from_the_end)
{
	struct evidence e;
	struct outcome o;
	uint8_t closing[32];
	static const char *const codes[] = {"closing-hash-mismatch", NULL};

	make_evidence(&e, "truncate", "truncate", 2, 1);
	run_check(&e, NULL, NULL, &o);
	cr_assert_eq(findings_total(&o.findings), 0, "%s", o.text);
	cr_assert(o.result.closed);
	memcpy(closing, o.result.last_record_sha256, 32);
	free_outcome(&o);

	/* the close record and the one before it dropped */
	set_main(e.repo, &e.commit[1]);
	run_check(&e, NULL, NULL, &o);
	cr_assert_eq(findings_total(&o.findings), 0, "without the closing hash a truncation is invisible: %s", o.text);
	cr_assert_eq(o.result.records, 2);
	cr_assert_eq(o.result.closed, 0, "but the ceremony no longer looks closed");
	free_outcome(&o);

	run_check(&e, closing, NULL, &o);
	assert_codes(&o, codes);
	free_outcome(&o);

	/* the branch put back: the closing hash holds again */
	set_main(e.repo, &e.commit[3]);
	run_check(&e, closing, NULL, &o);
	cr_assert_eq(findings_total(&o.findings), 0, "%s", o.text);
	free_outcome(&o);
	free_evidence(&e);
}

Test(verify_history, tree_modifies_an_earlier_record)
{
	struct evidence e;
	struct outcome o;
	struct buf previous = buf_make(RECORD_BYTES_MAX), bytes = buf_make(RECORD_BYTES_MAX);
	git_oid dir_id, base, tree, tip;
	static const char *const codes[] = {"tree-modified", NULL};

	make_evidence(&e, "modify", "modify", 2, 0);
	record_bytes(e.repo, &e.commit[2], 2, &previous);
	next_record_bytes(&previous, 3, RECORD_STEP, "3", &bytes);
	record_dir(e.repo, &bytes, ALICE_BOB, SSHSIG_NAMESPACE_RECORD, &dir_id);
	tree_of(e.repo, &e.commit[2], &base);
	with_record_dir(e.repo, &base, 3, &dir_id, &tree);
	/* ...and record 1 rewritten in the same commit */
	put_blob(e.repo, &tree, "records/00/00/00/01/record.xml", "<record/>\n", 10);
	make_commit(e.repo, &tree, &e.commit[2], 1, TEST_ALICE, &tip);
	set_main(e.repo, &tip);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "tree-modified", 3);
	free_outcome(&o);

	/* a file added beside the records */
	tree_of(e.repo, &e.commit[2], &base);
	with_record_dir(e.repo, &base, 3, &dir_id, &tree);
	put_blob(e.repo, &tree, "README", "unsigned decisions\n", 19);
	make_commit(e.repo, &tree, &e.commit[2], 1, TEST_ALICE, &tip);
	set_main(e.repo, &tip);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	free_outcome(&o);

	/* an earlier sign-off deleted */
	{
		char name[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)], path[128];
		evidence_signoff_name(&keys.key[TEST_BOB]->public_key, name);
		snprintf(path, sizeof(path), "records/00/00/00/02/signoffs/%s", name);
		tree_of(e.repo, &e.commit[2], &base);
		with_record_dir(e.repo, &base, 3, &dir_id, &tree);
		tree_put(e.repo, &tree, path, NULL, 0, &tree);
		make_commit(e.repo, &tree, &e.commit[2], 1, TEST_ALICE, &tip);
		set_main(e.repo, &tip);
		run_check(&e, NULL, NULL, &o);
		assert_codes(&o, codes);
		free_outcome(&o);
	}
	buf_free(&previous);
	buf_free(&bytes);
	free_evidence(&e);
}

/* ---- signatures ---- */

/* Replace the tip (record `sequence`) by a commit whose record directory is `dir_id`. */
static void replace_tip_dir(struct evidence *e, const git_oid *dir_id, int committer)
{
	git_oid base, tree, tip;
	size_t last = e->count - 1;

	tree_of(e->repo, &e->commit[last - 1], &base);
	with_record_dir(e->repo, &base, (uint32_t)last, dir_id, &tree);
	make_commit(e->repo, &tree, &e->commit[last - 1], 1, committer, &tip);
	set_main(e->repo, &tip);
}

Test(verify_signatures, unsigned_commit)
{
	struct evidence e;
	struct outcome o;
	git_oid tree, tip;
	static const char *const codes[] = {"commit-unsigned", NULL};

	make_evidence(&e, "unsigned", "unsigned", 2, 0);
	tree_of(e.repo, &e.commit[2], &tree);
	make_commit(e.repo, &tree, &e.commit[1], 1, -1, &tip);
	set_main(e.repo, &tip);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "commit-unsigned", 2);
	free_outcome(&o);
	free_evidence(&e);
}

Test(verify_signatures, record_edited_and_resigned_by_a_foreign_key)
{
	struct evidence e;
	struct outcome o;
	struct buf bytes = buf_make(RECORD_BYTES_MAX), previous = buf_make(RECORD_BYTES_MAX);
	git_oid dir_id;
	static const int MALLORY[] = {TEST_MALLORY, -1};
	static const char *const codes[] = {"signoff-unknown-key", "commit-signer-unknown", NULL};

	make_evidence(&e, "foreign", "foreign", 2, 0);
	record_bytes(e.repo, &e.commit[1], 1, &previous);
	next_record_bytes(&previous, 2, RECORD_STEP, "edited", &bytes);
	record_dir(e.repo, &bytes, MALLORY, SSHSIG_NAMESPACE_RECORD, &dir_id);
	replace_tip_dir(&e, &dir_id, TEST_MALLORY);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "signoff-unknown-key", 2);
	assert_finding_at(&o, "commit-signer-unknown", 2);
	free_outcome(&o);
	buf_free(&bytes);
	buf_free(&previous);
	free_evidence(&e);
}

/* The tip's record directory with alice's sign-off replaced by `armored`. */
static void replace_alice_signoff(struct evidence *e, const void *armored, size_t len)
{
	char path[EVIDENCE_RECORD_PATH_CHARS + 1], name[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)], file[128];
	size_t last = e->count - 1;
	git_oid dir_id;

	record_dir_path((uint32_t)last, path);
	entry_at(e->repo, &e->commit[last], path, &dir_id);
	evidence_signoff_name(&keys.key[TEST_ALICE]->public_key, name);
	snprintf(file, sizeof(file), "signoffs/%s", name);
	put_blob(e->repo, &dir_id, file, armored, len);
	replace_tip_dir(e, &dir_id, TEST_ALICE);
}

static void signoff_blob(git_repository *repo, const git_oid *commit, uint32_t sequence, int signer, struct buf *out)
{
	char path[EVIDENCE_RECORD_PATH_CHARS + 1], name[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)], file[160];
	git_oid id;
	git_blob *blob = NULL;

	record_dir_path(sequence, path);
	evidence_signoff_name(&keys.key[signer]->public_key, name);
	snprintf(file, sizeof(file), "%s/signoffs/%s", path, name);
	entry_at(repo, commit, file, &id);
	cr_assert_eq(git_blob_lookup(&blob, repo, &id), 0);
	buf_reset(out);
	cr_assert_eq(buf_append(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)), 0);
	git_blob_free(blob);
}

Test(verify_signatures, signoff_replayed_from_another_repository)
{
	struct evidence e, other;
	struct outcome o;
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
	static const char *const codes[] = {"signoff-invalid", NULL};

	make_evidence(&e, "victim", "victim", 2, 0);
	make_evidence(&other, "other", "other", 2, 0);
	/* alice signed record 2 of the other ceremony: her sign-off there is copied here */
	signoff_blob(other.repo, &other.commit[2], 2, TEST_ALICE, &armored);
	replace_alice_signoff(&e, armored.data, armored.len);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "signoff-invalid", 2);
	free_outcome(&o);

	/* and from another record of the same ceremony */
	signoff_blob(e.repo, &e.commit[1], 1, TEST_ALICE, &armored);
	replace_alice_signoff(&e, armored.data, armored.len);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	free_outcome(&o);
	buf_free(&armored);
	free_evidence(&other);
	free_evidence(&e);
}

Test(verify_signatures, signoff_in_another_namespace)
{
	struct evidence e;
	struct outcome o;
	struct buf bytes = buf_make(RECORD_BYTES_MAX), armored = buf_make(SSHSIG_ARMORED_MAX);
	static const char *const codes[] = {"signoff-namespace", NULL};

	make_evidence(&e, "namespace", "namespace", 2, 0);
	record_bytes(e.repo, &e.commit[2], 2, &bytes);
	sign(TEST_ALICE, SSHSIG_NAMESPACE_GIT, &bytes, &armored);
	replace_alice_signoff(&e, armored.data, armored.len);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "signoff-namespace", 2);
	free_outcome(&o);

	sign(TEST_ALICE, "file", &bytes, &armored);
	replace_alice_signoff(&e, armored.data, armored.len);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	free_outcome(&o);
	buf_free(&bytes);
	buf_free(&armored);
	free_evidence(&e);
}

Test(verify_signatures, one_person_two_keys)
{
	struct evidence e;
	struct outcome o;
	struct buf bytes = buf_make(RECORD_BYTES_MAX);
	git_oid dir_id;
	static const int CAROL_TWICE[] = {TEST_ALICE, TEST_CAROL, TEST_CAROL2, -1};
	static const char *const codes[] = {"signoff-duplicate-person", NULL};

	make_evidence(&e, "twice", "twice", 2, 0);
	record_bytes(e.repo, &e.commit[2], 2, &bytes);
	record_dir(e.repo, &bytes, CAROL_TWICE, SSHSIG_NAMESPACE_RECORD, &dir_id);
	replace_tip_dir(&e, &dir_id, TEST_ALICE);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "signoff-duplicate-person", 2);
	cr_assert_not_null(strstr(o.text, "carol"), "the finding names the person: %s", o.text);
	free_outcome(&o);
	buf_free(&bytes);
	free_evidence(&e);
}

Test(verify_signatures, signoff_with_a_wrong_file_name)
{
	struct evidence e;
	struct outcome o;
	struct buf bytes = buf_make(RECORD_BYTES_MAX), armored = buf_make(SSHSIG_ARMORED_MAX);
	char path[EVIDENCE_RECORD_PATH_CHARS + 1];
	git_oid dir_id;
	static const char *const codes[] = {"signoff-name", NULL};

	make_evidence(&e, "name", "name", 1, 0);
	record_bytes(e.repo, &e.commit[1], 1, &bytes);
	sign(TEST_CAROL, SSHSIG_NAMESPACE_RECORD, &bytes, &armored);
	record_dir_path(1, path);
	entry_at(e.repo, &e.commit[1], path, &dir_id);
	put_blob(e.repo, &dir_id, "signoffs/carol.sig", armored.data, armored.len);
	replace_tip_dir(&e, &dir_id, TEST_ALICE);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	free_outcome(&o);
	buf_free(&bytes);
	buf_free(&armored);
	free_evidence(&e);
}

/* The tip commit's raw bytes with `header` inserted right after the first gpgsig header's value
 * (or before it when `before`); main moved to the result. */
static void tip_with_extra_header(struct evidence *e, const char *header, int before)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	git_oid tip, id;
	const char *raw, *sig, *end;
	char *forged = NULL;
	size_t len;

	cr_assert_eq(git_reference_name_to_id(&tip, e->repo, EVIDENCE_BRANCH), 0);
	cr_assert_eq(git_repository_odb(&odb, e->repo), 0);
	cr_assert_eq(git_odb_read(&obj, odb, &tip), 0);
	raw = git_odb_object_data(obj);
	len = git_odb_object_size(obj);
	sig = strstr(raw, "\ngpgsig ");
	cr_assert_not_null(sig);
	sig++;
	end = strstr(sig, "-----END SSH SIGNATURE-----\n");
	cr_assert_not_null(end);
	end += strlen("-----END SSH SIGNATURE-----\n");
	if (before)
		cr_assert(asprintf(&forged, "%.*s%s%.*s", (int)(sig - raw), raw, header,
		                   (int)(len - (size_t)(sig - raw)), sig) > 0);
	else
		cr_assert(asprintf(&forged, "%.*s%s%.*s", (int)(end - raw), raw, header,
		                   (int)(len - (size_t)(end - raw)), end) > 0);
	cr_assert_eq(git_odb_write(&id, odb, forged, strlen(forged), GIT_OBJECT_COMMIT), 0);
	set_main(e->repo, &id);
	free(forged);
	git_odb_object_free(obj);
	git_odb_free(odb);
}

/* "gpgsig <armored signature by `signer` over `payload`>\n" with continuation spaces. */
static char *signature_header(const char *name, int signer, const struct buf *payload)
{
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX), header = buf_make(2 * SSHSIG_ARMORED_MAX);
	char *out;

	cr_assert_eq(sshsig_sign(keys.signer[signer], SSHSIG_NAMESPACE_GIT, payload->data, payload->len, &armored), 0);
	cr_assert_eq(buf_printf(&header, "%s ", name), 0);
	for (size_t i = 0; i < armored.len; i++) {
		cr_assert_eq(buf_append(&header, &armored.data[i], 1), 0);
		if (armored.data[i] == '\n' && i + 1 < armored.len)
			cr_assert_eq(buf_append(&header, " ", 1), 0);
	}
	out = strdup((const char *)header.data);
	buf_free(&armored);
	buf_free(&header);
	return out;
}

/* The tip commit without its signature header: what a signature covers. */
static void tip_payload(struct evidence *e, struct buf *out)
{
	git_oid tip;
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;

	cr_assert_eq(git_reference_name_to_id(&tip, e->repo, EVIDENCE_BRANCH), 0);
	cr_assert_eq(git_commit_extract_signature(&sig, &data, e->repo, &tip, NULL), 0);
	buf_reset(out);
	cr_assert_eq(buf_append(out, data.ptr, data.size), 0);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
}

Test(verify_signatures, extra_signature_header)
{
	struct evidence e;
	struct outcome o;
	struct buf payload = buf_make(1 << 16);
	char *header;
	static const char *const codes[] = {"commit-signature-extra", NULL};
	static const char *const foreign_first[] = {"commit-signature-extra", "commit-signer-unknown", NULL};

	make_evidence(&e, "extra-sig", "extra-sig", 2, 0);
	tip_payload(&e, &payload);
	/* a second valid signature, by a roster key, after the first */
	header = signature_header("gpgsig", TEST_BOB, &payload);
	tip_with_extra_header(&e, header, 0);
	free(header);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "commit-signature-extra", 2);
	free_outcome(&o);

	/* a gpgsig-sha256 header beside the gpgsig one */
	set_main(e.repo, &e.commit[2]);
	header = signature_header("gpgsig-sha256", TEST_BOB, &payload);
	tip_with_extra_header(&e, header, 0);
	free(header);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	free_outcome(&o);

	/* mallory's signature first: git would check only that one */
	set_main(e.repo, &e.commit[2]);
	header = signature_header("gpgsig", TEST_MALLORY, &payload);
	tip_with_extra_header(&e, header, 1);
	free(header);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, foreign_first);
	free_outcome(&o);
	buf_free(&payload);
	free_evidence(&e);
}

Test(verify_signatures, unexpected_commit_header)
{
	struct evidence e;
	struct outcome o;
	static const char *const codes[] = {"commit-header", "commit-signature-invalid", NULL};

	make_evidence(&e, "header", "header", 1, 0);
	/* a header the signature does not cover: it changes the signed payload, so the signature fails too */
	tip_with_extra_header(&e, "encoding ISO-8859-1\n", 0);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	free_outcome(&o);
	free_evidence(&e);
}

/* ---- objects ---- */

static char *object_path(const struct evidence *e, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1], *path = NULL;

	git_oid_tostr(hex, sizeof(hex), id);
	cr_assert(asprintf(&path, "%s/objects/%.2s/%s", e->path, hex, hex + 2) > 0);
	cr_assert_eq(access(path, F_OK), 0, "%s is a loose object", path);
	return path;
}

static void overwrite(const char *path, const void *data, size_t len)
{
	cr_assert_eq(chmod(path, 0644), 0);
	test_write_file(path, data, len);
}

Test(verify_objects, corrupt_record_blob)
{
	struct evidence e;
	struct outcome o;
	git_oid blob;
	char *path;
	static const char *const codes[] = {"object-corrupt", NULL};

	make_evidence(&e, "corrupt", "corrupt", 3, 0);
	entry_at(e.repo, &e.commit[2], "records/00/00/00/02/record.xml", &blob);
	path = object_path(&e, &blob);
	overwrite(path, "garbage, not even zlib", 22);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "object-corrupt", 2);
	free_outcome(&o);
	free(path);
	free_evidence(&e);
}

Test(verify_objects, object_replaced_by_another_valid_object)
{
	struct evidence e;
	struct outcome o;
	git_oid victim, donor;
	char *victim_path, *donor_path, *data;
	size_t len;
	static const char *const codes[] = {"object-corrupt", NULL};

	/* a well-formed compressed object under the wrong name: only re-hashing tells */
	make_evidence(&e, "swapped", "swapped", 3, 0);
	entry_at(e.repo, &e.commit[2], "records/00/00/00/02/record.xml", &victim);
	entry_at(e.repo, &e.commit[1], "records/00/00/00/01/record.xml", &donor);
	victim_path = object_path(&e, &victim);
	donor_path = object_path(&e, &donor);
	data = test_read_file(donor_path, &len);
	overwrite(victim_path, data, len);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "object-corrupt", 2);
	free_outcome(&o);
	free(data);
	free(victim_path);
	free(donor_path);
	free_evidence(&e);
}

Test(verify_objects, corrupt_commit)
{
	struct evidence e;
	struct outcome o;
	char *path;
	static const char *const codes[] = {"object-corrupt", NULL};

	make_evidence(&e, "corrupt-commit", "corrupt-commit", 3, 0);
	path = object_path(&e, &e.commit[1]);
	overwrite(path, "\x78\x01garbage", 9);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	free_outcome(&o);
	free(path);
	free_evidence(&e);
}

Test(verify_objects, commit_replaced_by_another_valid_commit)
{
	struct evidence e;
	struct outcome o;
	char *victim, *donor, *data;
	size_t len;
	static const char *const codes[] = {"object-corrupt", NULL};

	/* Loose objects are read from their files (evidence/loose_odb.c), which refuses a well-formed
	 * commit under another's name by its hash; libgit2 then reads it and reports it. */
	make_evidence(&e, "swapped-commit", "swapped-commit", 3, 0);
	victim = object_path(&e, &e.commit[2]);
	donor = object_path(&e, &e.commit[1]);
	data = test_read_file(donor, &len);
	overwrite(victim, data, len);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	free_outcome(&o);
	free(data);
	free(victim);
	free(donor);
	free_evidence(&e);
}

Test(verify_objects, objects_behind_symbolic_links_are_still_read)
{
	struct evidence e;
	git_oid blob;
	char *paths[2], *moved;

	/* libgit2 follows a link where the loose object reader does not: the object is then read
	 * through libgit2, and the evidence is as sound as before. */
	make_evidence(&e, "symlinked", "symlinked", 3, 0);
	entry_at(e.repo, &e.commit[2], "records/00/00/00/02/record.xml", &blob);
	paths[0] = object_path(&e, &blob);
	paths[1] = object_path(&e, &e.commit[1]);
	for (size_t i = 0; i < 2; i++) {
		cr_assert(asprintf(&moved, "%s/moved-%zu", dir, i) > 0);
		cr_assert_eq(rename(paths[i], moved), 0);
		cr_assert_eq(symlink(moved, paths[i]), 0);
		free(moved);
		free(paths[i]);
	}
	assert_clean(&e, 4, 0);
	free_evidence(&e);
}

/* A FIFO planted where a loose object should be: libgit2 alone would wait on it for ever. */
static void plant_fifo(const char *path)
{
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(mkfifo(path, 0644), 0);
}

Test(verify_objects, a_fifo_for_a_record_blob_is_reported_not_waited_on, .timeout = 60)
{
	struct evidence e;
	struct outcome o;
	git_oid blob;
	char *path;
	static const char *const codes[] = {"object-corrupt", NULL};

	make_evidence(&e, "fifo-blob", "fifo-blob", 3, 0);
	entry_at(e.repo, &e.commit[2], "records/00/00/00/02/record.xml", &blob);
	path = object_path(&e, &blob);
	plant_fifo(path);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "object-corrupt", 2);
	cr_assert(strstr(o.text, "not a regular file") != NULL, "%s", o.text);
	free_outcome(&o);
	free(path);
	free_evidence(&e);
}

Test(verify_objects, a_fifo_for_a_commit_is_reported_not_waited_on, .timeout = 60)
{
	struct evidence e;
	struct outcome o;
	char *path;
	static const char *const codes[] = {"object-corrupt", NULL};

	make_evidence(&e, "fifo-commit", "fifo-commit", 3, 0);
	path = object_path(&e, &e.commit[1]);
	plant_fifo(path);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	cr_assert(strstr(o.text, "not a regular file") != NULL, "%s", o.text);
	free_outcome(&o);
	free(path);
	free_evidence(&e);
}

Test(verify_objects, a_packed_repository_is_read_through_libgit2)
{
	struct evidence e;
	git_oid blob;
	char *objects, *loose, hex[GIT_OID_HEXSZ + 1];

	/* With a pack, libgit2 answers from it before the loose files, so nothing reads them directly,
	 * and there is no read-ahead (verifier/prefetch.h); more records than the checks' window, so
	 * the checking thread reopens the packed repository too. */
	make_evidence(&e, "packed", "packed", 140, 1);
	cr_assert_eq(test_run("git -C '%s' repack -a -d -q && git -C '%s' prune-packed", e.path, e.path), 0);
	entry_at(e.repo, &e.commit[70], "records/00/00/00/70/record.xml", &blob);
	git_oid_tostr(hex, sizeof(hex), &blob);
	cr_assert(asprintf(&objects, "%s/objects", e.path) > 0);
	cr_assert(asprintf(&loose, "%s/%.2s/%s", objects, hex, hex + 2) > 0);
	cr_assert_eq(loose_raw_dir_has_packs(objects), 1);
	cr_assert_neq(access(loose, F_OK), 0, "%s is packed, not loose", hex);
	assert_clean(&e, 142, 1);
	free(loose);
	free(objects);
	free_evidence(&e);
}

Test(verify_objects, missing_object)
{
	struct evidence e;
	struct outcome o;
	git_oid blob;
	char *path;
	static const char *const codes[] = {"object-corrupt", NULL};

	make_evidence(&e, "missing", "missing", 2, 0);
	entry_at(e.repo, &e.commit[1], "records/00/00/00/01/record.xml", &blob);
	path = object_path(&e, &blob);
	cr_assert_eq(unlink(path), 0);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "object-corrupt", 1);
	free_outcome(&o);
	free(path);
	free_evidence(&e);
}

Test(verify_objects, corrupt_signoff_blob)
{
	struct evidence e;
	struct outcome o;
	git_oid blob;
	char *path, name[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)], file[128];
	static const char *const codes[] = {"object-corrupt", NULL};

	make_evidence(&e, "corrupt-signoff", "corrupt-signoff", 2, 0);
	evidence_signoff_name(&keys.key[TEST_BOB]->public_key, name);
	snprintf(file, sizeof(file), "records/00/00/00/01/signoffs/%s", name);
	entry_at(e.repo, &e.commit[1], file, &blob);
	path = object_path(&e, &blob);
	overwrite(path, "garbage", 7);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "object-corrupt", 1);
	free_outcome(&o);
	free(path);
	free_evidence(&e);
}

/* Longer than the read-ahead's ring and its readers' repository window (verifier/prefetch.c), so
 * that slots and repositories are reused: a corrupt sign-off deep in the history is still found at
 * its record, and the same on one CPU as on all (run_check). */
Test(verify_objects, corrupt_signoff_deep_in_a_long_history, .timeout = 240)
{
	struct evidence e;
	struct outcome o;
	git_oid blob;
	char *path;
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
	static const char *const codes[] = {"object-corrupt", NULL};

	make_evidence(&e, "long", "long", 299, 1);
	assert_clean(&e, 301, 1);
	signoff_blob(e.repo, &e.commit[290], 290, TEST_ALICE, &armored);
	cr_assert_eq(git_blob_create_from_buffer(&blob, e.repo, armored.data, armored.len), 0);
	path = object_path(&e, &blob);
	overwrite(path, "garbage, not even zlib", 22);
	run_check(&e, NULL, NULL, &o);
	assert_codes(&o, codes);
	assert_finding_at(&o, "object-corrupt", 290);
	cr_assert_eq(o.result.records, 301, "the check goes on after a sign-off it cannot read");
	free_outcome(&o);
	free(path);
	buf_free(&armored);
	free_evidence(&e);
}
