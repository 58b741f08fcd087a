/* evidence/commit_raw: raw commit objects split without libgit2's leniency, on commits the store
 * wrote and on crafted ones (extra signature headers, unexpected headers, malformed objects). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <git2.h>

#include "common/error.h"
#include "common/init.h"
#include "common/sshsig.h"
#include "evidence/commit_raw.h"
#include "helpers.h"

static char *dir;
static struct test_keys keys;

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	test_keys_make(&keys);
	dir = test_tmpdir("commit-raw");
}

static void teardown(void)
{
	test_run("rm -rf '%s'", dir);
	free(dir);
	test_keys_free(&keys);
}

TestSuite(commit_raw, .init = setup, .fini = teardown, .timeout = 60);

#define TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
#define PARENT1 "0123456789abcdef0123456789abcdef01234567"
#define PARENT2 "89abcdef0123456789abcdef0123456789abcdef"
#define AUTHOR "author alice <alice@ceremony.invalid> 1735787045 +0000\n"
#define COMMITTER "committer alice <alice@ceremony.invalid> 1735787045 +0000\n"
#define SIG1 "gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lHAAAAAQ\n \n -----END SSH SIGNATURE-----\n"
#define SIG2 "gpgsig -----BEGIN SSH SIGNATURE-----\n b3RoZXI=\n -----END SSH SIGNATURE-----\n"
#define MESSAGE "\nstep s: record 1, session 1\n\nbody line\n"

static void parse_ok(struct commit_raw *c, const char *raw)
{
	int r = commit_raw_parse(c, raw, strlen(raw));

	cr_assert_eq(r, 0, "commit_raw_parse: %s", err_message());
}

static void refuse(const char *raw, size_t len, const char *fragment)
{
	struct commit_raw c;
	int r = commit_raw_parse(&c, raw, len);

	cr_assert_eq(r, CER_ERR_FORMAT, "expected a refusal, got %d (%s)", r, err_message());
	cr_assert_not_null(strstr(err_message(), fragment), "message \"%s\" lacks \"%s\"", err_message(), fragment);
	commit_raw_free(&c); /* safe after a refusal */
}

static void assert_payload(const struct commit_raw *c, const char *expected)
{
	cr_assert_eq(c->signed_payload.len, strlen(expected), "payload:\n%.*s\nexpected:\n%s",
	             (int)c->signed_payload.len, (const char *)c->signed_payload.data, expected);
	cr_assert_eq(memcmp(c->signed_payload.data, expected, strlen(expected)), 0, "payload:\n%.*s\nexpected:\n%s",
	             (int)c->signed_payload.len, (const char *)c->signed_payload.data, expected);
}

/* `raw` without its "gpgsig" header and that header's continuation lines. */
static char *without_signature(const char *raw, size_t len)
{
	char *out = malloc(len + 1);
	const char *p = raw, *end = raw + len, *body = strstr(raw, "\n\n");
	size_t n = 0;
	int skipping = 0;

	cr_assert_not_null(out);
	cr_assert_not_null(body);
	body++;
	while (p < body) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t line = (size_t)(nl - p) + 1;
		if (strncmp(p, "gpgsig ", 7) == 0)
			skipping = 1;
		else if (p[0] != ' ')
			skipping = 0;
		if (!skipping) {
			memcpy(out + n, p, line);
			n += line;
		}
		p += line;
	}
	memcpy(out + n, body, (size_t)(end - body));
	n += (size_t)(end - body);
	out[n] = '\0';
	return out;
}

Test(commit_raw, commits_the_store_wrote)
{
	char *repo_dir = NULL;
	struct evidence_store *store;
	git_repository *repo;
	git_odb *odb = NULL;
	git_oid id;
	int checked = 0;

	cr_assert(asprintf(&repo_dir, "%s/evidence", dir) > 0);
	store = test_store_make(repo_dir, &keys, "raw-1", 2, 1);
	repo = evidence_store_repository(store);
	cr_assert_eq(git_repository_odb(&odb, repo), 0);
	cr_assert_eq(git_reference_name_to_id(&id, repo, EVIDENCE_BRANCH), 0);
	for (;;) {
		git_odb_object *obj = NULL;
		git_commit *commit = NULL;
		git_buf sig = GIT_BUF_INIT, signed_data = GIT_BUF_INIT;
		struct commit_raw c;
		struct sshkey_public signer;
		char tree_hex[GIT_OID_HEXSZ + 1], *expected;
		const char *raw;
		size_t len;

		cr_assert_eq(git_odb_read(&obj, odb, &id), 0);
		raw = git_odb_object_data(obj);
		len = git_odb_object_size(obj);
		cr_assert_eq(commit_raw_parse(&c, raw, len), 0, "%s", err_message());
		cr_assert_eq(git_commit_lookup(&commit, repo, &id), 0);

		git_oid_tostr(tree_hex, sizeof(tree_hex), git_commit_tree_id(commit));
		cr_assert_str_eq(c.tree, tree_hex);
		cr_assert_eq(c.parent_count, git_commit_parentcount(commit));
		if (c.parent_count > 0) {
			char parent_hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(parent_hex, sizeof(parent_hex), git_commit_parent_id(commit, 0));
			cr_assert_str_eq(c.parent, parent_hex);
		} else {
			cr_assert_str_eq(c.parent, "");
		}
		cr_assert_eq(c.signature_count, 1);
		cr_assert_eq(c.has_author, 1);
		cr_assert_eq(c.has_committer, 1);
		cr_assert_str_eq(c.unexpected_header, "");

		/* what was signed: the object without its gpgsig header */
		expected = without_signature(raw, len);
		assert_payload(&c, expected);
		cr_assert_eq(git_commit_extract_signature(&sig, &signed_data, repo, &id, NULL), 0);
		cr_assert_eq(signed_data.size, c.signed_payload.len);
		cr_assert_eq(memcmp(signed_data.ptr, c.signed_payload.data, signed_data.size), 0,
		             "libgit2 and commit_raw agree on the signed bytes of a well-formed commit");
		cr_assert(c.signature.len >= sig.size);
		cr_assert_eq(memcmp(sig.ptr, c.signature.data, sig.size), 0);
		cr_assert_eq(strncmp((const char *)c.signature.data, SSHSIG_ARMOR_BEGIN "\n",
		                     strlen(SSHSIG_ARMOR_BEGIN) + 1),
		             0);
		cr_assert_not_null(strstr((const char *)c.signature.data, "\n" SSHSIG_ARMOR_END "\n"));
		cr_assert_eq(sshsig_verify(c.signature.data, c.signature.len, SSHSIG_NAMESPACE_GIT,
		                           c.signed_payload.data, c.signed_payload.len, &signer),
		             0, "%s", err_message());
		cr_assert(sshkey_public_equal(&signer, &keys.key[TEST_ALICE]->public_key));
		checked++;

		free(expected);
		git_buf_dispose(&sig);
		git_buf_dispose(&signed_data);
		commit_raw_free(&c);
		git_odb_object_free(obj);
		if (git_commit_parentcount(commit) == 0) {
			git_commit_free(commit);
			break;
		}
		git_oid_cpy(&id, git_commit_parent_id(commit, 0));
		git_commit_free(commit);
	}
	cr_assert_eq(checked, 4, "genesis, two steps and close");
	git_odb_free(odb);
	evidence_store_free(store);
	free(repo_dir);
}

Test(commit_raw, stock_git_verifies_the_commits)
{
	char *repo_dir = NULL, *signers_path = NULL;
	struct evidence_store *store;
	struct buf text = buf_make(SSHKEY_LINE_MAX);

	cr_assert(asprintf(&repo_dir, "%s/evidence", dir) > 0);
	cr_assert(asprintf(&signers_path, "%s/allowed_signers", dir) > 0);
	store = test_store_make(repo_dir, &keys, "raw-2", 1, 0);
	cr_assert_eq(buf_append_str(&text, "alice "), 0);
	cr_assert_eq(sshkey_public_format_line(&keys.key[TEST_ALICE]->public_key, &text), 0);
	cr_assert_eq(buf_append_str(&text, "\n"), 0);
	test_write_file(signers_path, text.data, text.len);
	cr_assert_eq(test_run("git -C '%s' -c gpg.ssh.allowedSignersFile='%s' verify-commit main >/dev/null 2>&1 && "
	                      "git -C '%s' -c gpg.ssh.allowedSignersFile='%s' verify-commit main~1 >/dev/null 2>&1",
	                      repo_dir, signers_path, repo_dir, signers_path),
	             0, "git verify-commit accepts the store's commits");
	buf_free(&text);
	evidence_store_free(store);
	free(repo_dir);
	free(signers_path);
}

Test(commit_raw, signed_payload_is_the_commit_without_its_signature)
{
	struct commit_raw c;
	const char *raw = "tree " TREE "\nparent " PARENT1 "\n" AUTHOR COMMITTER SIG1 MESSAGE;

	parse_ok(&c, raw);
	cr_assert_str_eq(c.tree, TREE);
	cr_assert_eq(c.parent_count, 1);
	cr_assert_str_eq(c.parent, PARENT1);
	cr_assert_eq(c.signature_count, 1);
	assert_payload(&c, "tree " TREE "\nparent " PARENT1 "\n" AUTHOR COMMITTER MESSAGE);
	cr_assert_eq(c.signature.len,
	             strlen("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ\n\n-----END SSH SIGNATURE-----\n"));
	cr_assert_str_eq((const char *)c.signature.data,
	                 "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ\n\n-----END SSH SIGNATURE-----\n");
	commit_raw_free(&c);
}

Test(commit_raw, signature_between_other_headers)
{
	struct commit_raw c;
	const char *raw = "tree " TREE "\n" SIG1 AUTHOR COMMITTER MESSAGE;

	parse_ok(&c, raw);
	cr_assert_eq(c.signature_count, 1);
	cr_assert_eq(c.parent_count, 0);
	assert_payload(&c, "tree " TREE "\n" AUTHOR COMMITTER MESSAGE);
	commit_raw_free(&c);
}

Test(commit_raw, two_gpgsig_headers_are_counted)
{
	struct commit_raw c;
	const char *raw = "tree " TREE "\n" AUTHOR COMMITTER SIG1 SIG2 MESSAGE;

	parse_ok(&c, raw);
	cr_assert_eq(c.signature_count, 2);
	/* only the first signature is kept; neither is in the signed payload */
	cr_assert_str_eq((const char *)c.signature.data,
	                 "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ\n\n-----END SSH SIGNATURE-----\n");
	assert_payload(&c, "tree " TREE "\n" AUTHOR COMMITTER MESSAGE);
	cr_assert_str_eq(c.unexpected_header, "");
	commit_raw_free(&c);
}

Test(commit_raw, gpgsig_sha256_is_counted)
{
	struct commit_raw c;
	const char *raw =
	        "tree " TREE "\n" AUTHOR COMMITTER SIG1
	        "gpgsig-sha256 -----BEGIN SSH SIGNATURE-----\n c2hhMjU2\n -----END SSH SIGNATURE-----\n" MESSAGE;

	parse_ok(&c, raw);
	cr_assert_eq(c.signature_count, 2);
	cr_assert_str_eq(c.unexpected_header, "");
	assert_payload(&c, "tree " TREE "\n" AUTHOR COMMITTER MESSAGE);
	commit_raw_free(&c);

	/* alone, it is the commit's signature */
	raw = "tree " TREE "\n" AUTHOR COMMITTER
	      "gpgsig-sha256 -----BEGIN SSH SIGNATURE-----\n c2hhMjU2\n -----END SSH SIGNATURE-----\n" MESSAGE;
	parse_ok(&c, raw);
	cr_assert_eq(c.signature_count, 1);
	cr_assert_str_eq((const char *)c.signature.data,
	                 "-----BEGIN SSH SIGNATURE-----\nc2hhMjU2\n-----END SSH SIGNATURE-----\n");
	commit_raw_free(&c);
}

Test(commit_raw, unsigned_commit)
{
	struct commit_raw c;
	const char *raw = "tree " TREE "\n" AUTHOR COMMITTER MESSAGE;

	parse_ok(&c, raw);
	cr_assert_eq(c.signature_count, 0);
	cr_assert_eq(c.signature.len, 0);
	assert_payload(&c, raw);
	commit_raw_free(&c);
}

Test(commit_raw, unexpected_header_is_reported_not_refused)
{
	struct commit_raw c;
	const char *raw = "tree " TREE "\n" AUTHOR COMMITTER "encoding ISO-8859-1\nmergetag object " PARENT1
	                  "\n type commit\n" SIG1 MESSAGE;

	parse_ok(&c, raw);
	cr_assert_str_eq(c.unexpected_header, "encoding", "the first unexpected header");
	cr_assert_eq(c.signature_count, 1);
	/* unexpected headers and their continuation lines stay in the signed payload */
	assert_payload(&c, "tree " TREE "\n" AUTHOR COMMITTER "encoding ISO-8859-1\nmergetag object " PARENT1
	                   "\n type commit\n" MESSAGE);
	commit_raw_free(&c);

	/* a very long header name is cut, not overflowed */
	raw = "tree " TREE "\nx-header-with-a-very-long-name-indeed-longer-than-thirty-two value\n" MESSAGE;
	parse_ok(&c, raw);
	cr_assert_eq(strlen(c.unexpected_header), sizeof(c.unexpected_header) - 1);
	cr_assert_eq(
	        strncmp(c.unexpected_header, "x-header-with-a-very-long-name-indeed", sizeof(c.unexpected_header) - 1),
	        0);
	commit_raw_free(&c);
}

Test(commit_raw, several_parents_are_counted)
{
	struct commit_raw c;
	const char *raw = "tree " TREE "\nparent " PARENT1 "\nparent " PARENT2 "\n" AUTHOR COMMITTER MESSAGE;

	parse_ok(&c, raw);
	cr_assert_eq(c.parent_count, 2);
	cr_assert_str_eq(c.parent, PARENT1, "the first parent is kept");
	commit_raw_free(&c);
}

Test(commit_raw, no_author_or_committer_is_counted)
{
	struct commit_raw c;

	parse_ok(&c, "tree " TREE "\n\n");
	cr_assert_eq(c.has_author, 0);
	cr_assert_eq(c.has_committer, 0);
	assert_payload(&c, "tree " TREE "\n\n");
	commit_raw_free(&c);
	parse_ok(&c, "tree " TREE "\n" AUTHOR AUTHOR COMMITTER "\n");
	cr_assert_eq(c.has_author, 2);
	commit_raw_free(&c);
}

Test(commit_raw, refusals)
{
	char *big;
	const char nul[] = "tree " TREE "\n" AUTHOR "\0" COMMITTER MESSAGE;

	refuse(AUTHOR COMMITTER MESSAGE, strlen(AUTHOR COMMITTER MESSAGE), "no tree header");
	refuse("tree 4b825dc642cb6eb9a060e54bf8d69288fbee490\n\n", 46, "malformed or repeated tree header");
	refuse("tree 4B825DC642CB6EB9A060E54BF8D69288FBEE4904\n\n", 47, "malformed or repeated tree header");
	refuse("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904 \n\n", 48, "malformed or repeated tree header");
	refuse("tree \n\n", 7, "malformed or repeated tree header");
	refuse("tree " TREE "\ntree " TREE "\n\n", strlen("tree " TREE "\ntree " TREE "\n\n"),
	       "malformed or repeated tree header");
	refuse("tree " TREE "\nparent 0123\n\n", strlen("tree " TREE "\nparent 0123\n\n"), "malformed parent header");
	refuse("tree " TREE "\n" AUTHOR COMMITTER, strlen("tree " TREE "\n" AUTHOR COMMITTER),
	       "headers do not end with a blank line");
	refuse("tree " TREE, strlen("tree " TREE), "headers do not end with a blank line");
	refuse("", 0, "headers do not end with a blank line");
	refuse(nul, sizeof(nul) - 1, "NUL byte");
	refuse("tree " TREE "\nauthor\n\n", strlen("tree " TREE "\nauthor\n\n"), "header without a value");
	refuse(" tree " TREE "\n\n", strlen(" tree " TREE "\n\n"), "continuation line before any header");
	big = malloc(COMMIT_RAW_MAX + 2);
	cr_assert_not_null(big);
	memset(big, 'm', COMMIT_RAW_MAX + 1);
	memcpy(big, "tree " TREE "\n\n", strlen("tree " TREE "\n\n"));
	refuse(big, COMMIT_RAW_MAX + 1, "larger than 65536 bytes");
	free(big);
}
