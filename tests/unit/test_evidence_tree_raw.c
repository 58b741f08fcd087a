/* evidence/tree_raw: raw Git trees stepped through without libgit2, on a tree libgit2 wrote and on
 * crafted bytes; each malformed entry has its refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <git2.h>

#include "common/error.h"
#include "common/init.h"
#include "evidence/tree_raw.h"
#include "helpers.h"

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
}

TestSuite(tree_raw, .init = setup);

#define ID20 "abcdefghijklmnopqrst"

/* Build "MODE SP NAME NUL ID" entries from a list of (mode, name) pairs; ids are ID20. */
static size_t tree_bytes(uint8_t *out, size_t cap, const char *const *modes_names)
{
	size_t len = 0;

	for (const char *const *p = modes_names; p[0] != NULL; p += 2) {
		int n = snprintf((char *)out + len, cap - len, "%s %s", p[0], p[1]);
		cr_assert(n > 0 && (size_t)n + 1 + 20 < cap - len);
		len += (size_t)n + 1; /* the NUL snprintf wrote */
		memcpy(out + len, ID20, 20);
		len += 20;
	}
	return len;
}

Test(tree_raw, a_tree_libgit2_wrote)
{
	char *dir = test_tmpdir("tree-raw");
	git_repository *repo = NULL;
	git_treebuilder *builder = NULL;
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	git_oid blob, sub, tree;
	struct tree_raw_entry e;
	size_t pos = 0, seen = 0;

	cr_assert_eq(git_repository_init(&repo, dir, 1), 0);
	cr_assert_eq(git_blob_create_from_buffer(&blob, repo, "x", 1), 0);
	cr_assert_eq(git_treebuilder_new(&builder, repo, NULL), 0);
	cr_assert_eq(git_treebuilder_insert(NULL, builder, "record.xml", &blob, GIT_FILEMODE_BLOB), 0);
	cr_assert_eq(git_treebuilder_write(&sub, builder), 0);
	cr_assert_eq(git_treebuilder_insert(NULL, builder, "signoffs", &sub, GIT_FILEMODE_TREE), 0);
	cr_assert_eq(git_treebuilder_write(&tree, builder), 0);
	cr_assert_eq(git_repository_odb(&odb, repo), 0);
	cr_assert_eq(git_odb_read(&obj, odb, &tree), 0);

	const uint8_t *raw = git_odb_object_data(obj);
	size_t len = git_odb_object_size(obj);
	while (tree_raw_next(raw, len, &pos, &e) == 1) {
		git_oid id;
		git_oid_fromraw(&id, e.id);
		if (seen == 0) {
			cr_assert_str_eq(e.name, "record.xml");
			cr_assert_eq(e.mode, 0100644u);
			cr_assert(git_oid_equal(&id, &blob));
		} else {
			cr_assert_str_eq(e.name, "signoffs");
			cr_assert_eq(e.mode, TREE_RAW_MODE_TREE);
			cr_assert(git_oid_equal(&id, &sub));
		}
		seen++;
	}
	cr_assert_eq(seen, 2);
	cr_assert_eq(pos, len);
	cr_assert_eq(tree_raw_find(raw, len, "signoffs", &e), 1);
	cr_assert_eq(e.mode, TREE_RAW_MODE_TREE);
	cr_assert_eq(tree_raw_find(raw, len, "signoff", &e), 0, "a prefix is not a match");
	cr_assert_eq(tree_raw_find(raw, len, "absent", &e), 0);

	git_odb_object_free(obj);
	git_odb_free(odb);
	git_treebuilder_free(builder);
	git_repository_free(repo);
	test_run("rm -rf '%s'", dir);
	free(dir);
}

Test(tree_raw, the_empty_tree)
{
	struct tree_raw_entry e;
	size_t pos = 0;

	cr_assert_eq(tree_raw_next((const uint8_t *)"", 0, &pos, &e), 0);
	cr_assert_eq(tree_raw_find((const uint8_t *)"", 0, "records", &e), 0);
}

/* One malformed entry after a good one: the good one is read, the bad one refused with `message`. */
static void assert_refused(const uint8_t *bad, size_t bad_len, const char *message)
{
	uint8_t raw[256];
	static const char *const good[] = {"40000", "records", NULL};
	size_t len = tree_bytes(raw, sizeof(raw), good), pos = 0, before;
	struct tree_raw_entry e;

	cr_assert(len + bad_len <= sizeof(raw));
	memcpy(raw + len, bad, bad_len);
	len += bad_len;
	cr_assert_eq(tree_raw_next(raw, len, &pos, &e), 1);
	before = pos;
	cr_assert_eq(tree_raw_next(raw, len, &pos, &e), CER_ERR_FORMAT);
	cr_assert_eq(pos, before, "nothing is consumed by a refusal");
	cr_assert(strstr(err_message(), message) != NULL, "\"%s\" lacks \"%s\"", err_message(), message);
	cr_assert(strstr(err_message(), "at byte 34") != NULL, "%s", err_message());
	cr_assert_eq(tree_raw_find(raw, len, "later", &e), CER_ERR_FORMAT);
}

#define REFUSED(bytes, message) assert_refused((const uint8_t *)(bytes), sizeof(bytes) - 1, message)

Test(tree_raw, a_mode_that_is_not_octal)
{
	REFUSED("10064x name\0" ID20, "the mode is not octal");
	REFUSED("100844 name\0" ID20, "the mode is not octal");
}

Test(tree_raw, a_mode_longer_than_six_digits)
{
	REFUSED("1000644 name\0" ID20, "the mode is not octal");
}

Test(tree_raw, no_mode_or_no_space)
{
	REFUSED(" name\0" ID20, "no mode");
	REFUSED("100644", "no mode");
}

Test(tree_raw, an_empty_name_or_a_name_with_a_slash)
{
	REFUSED("100644 \0" ID20, "an empty name or a name with '/'");
	REFUSED("100644 a/b\0" ID20, "an empty name or a name with '/'");
}

Test(tree_raw, a_name_without_its_nul)
{
	REFUSED("100644 name", "the name is not terminated");
}

Test(tree_raw, an_id_cut_short)
{
	REFUSED("100644 name\0abcdefghijklmnopqrs", "the object id is cut short");
	REFUSED("100644 name\0", "the object id is cut short");
}

Test(tree_raw, a_name_found_before_a_malformed_entry)
{
	uint8_t raw[128];
	static const char *const entries[] = {"100644", "record.xml", NULL};
	size_t len = tree_bytes(raw, sizeof(raw), entries);
	struct tree_raw_entry e;

	memcpy(raw + len, "garbage", 7);
	cr_assert_eq(tree_raw_find(raw, len + 7, "record.xml", &e), 1, "found before the garbage is reached");
	cr_assert_eq(memcmp(e.id, ID20, 20), 0);
}
