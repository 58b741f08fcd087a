/* evidence/roster: people and their keys; a person with several keys counts once; a roster read
 * from an OpenSSH allowed_signers file names each participant by one plain id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "common/error.h"
#include "common/init.h"
#include "evidence/roster.h"
#include "helpers.h"

static struct test_keys keys;

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	test_keys_make(&keys);
}

static void teardown(void)
{
	test_keys_free(&keys);
}

TestSuite(roster, .init = setup, .fini = teardown, .timeout = 30);

static char *line_of(int which)
{
	struct buf line = buf_make(SSHKEY_LINE_MAX);
	char *s;

	cr_assert_eq(sshkey_public_format_line(&keys.key[which]->public_key, &line), 0);
	s = strdup((const char *)line.data);
	buf_free(&line);
	return s;
}

/* An allowed_signers text from printf-style lines where each %s is a key line. */
static struct roster *parse_ok(const char *text)
{
	struct roster *roster = NULL;
	int r = roster_from_allowed_signers(&roster, text, strlen(text));

	cr_assert_eq(r, 0, "roster_from_allowed_signers: %s", err_message());
	cr_assert_not_null(roster);
	return roster;
}

static void refuse(const char *text, int code, const char *fragment)
{
	struct roster *roster = (struct roster *)&keys;
	int r = roster_from_allowed_signers(&roster, text, strlen(text));

	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert_null(roster);
	cr_assert_not_null(strstr(err_message(), fragment), "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

Test(roster, one_person_with_two_keys_counts_once)
{
	char *a = line_of(TEST_ALICE), *c1 = line_of(TEST_CAROL), *c2 = line_of(TEST_CAROL2), *text = NULL;
	struct roster *roster;

	cr_assert(asprintf(&text,
	                   "# the roster of a test ceremony\n"
	                   "\n"
	                   "alice %s alice@laptop\n"
	                   "carol %s\n"
	                   "   carol namespaces=\"git,ceremony-record@ceremony\" %s carol@token\r\n",
	                   a, c1, c2) > 0);
	roster = parse_ok(text);
	cr_assert_eq(roster->participant_count, 2);
	cr_assert_eq(roster->key_count, 3);
	cr_assert_str_eq(roster->participants[0], "alice");
	cr_assert_str_eq(roster->participants[1], "carol");
	cr_assert_eq(roster_find_participant(roster, "alice"), 0);
	cr_assert_eq(roster_find_participant(roster, "carol"), 1);
	cr_assert_eq(roster_find_participant(roster, "bob"), -1);
	cr_assert_eq(roster_find_key(roster, &keys.key[TEST_ALICE]->public_key), 0);
	cr_assert_eq(roster_find_key(roster, &keys.key[TEST_CAROL]->public_key), 1);
	cr_assert_eq(roster_find_key(roster, &keys.key[TEST_CAROL2]->public_key), 1);
	cr_assert_eq(roster_find_key(roster, &keys.key[TEST_BOB]->public_key), -1);
	roster_free(roster);
	roster_free(NULL);
	free(text);
	free(a);
	free(c1);
	free(c2);
}

Test(roster, a_key_listed_twice_is_refused)
{
	char *a = line_of(TEST_ALICE), *b = line_of(TEST_BOB), *text = NULL;

	/* under two people */
	cr_assert(asprintf(&text, "alice %s\nbob %s\nmallory %s\n", a, b, a) > 0);
	refuse(text, CER_ERR_FORMAT, "line 3: key SHA256:");
	refuse(text, CER_ERR_FORMAT, "appears twice in the roster");
	free(text);
	/* twice under one person */
	cr_assert(asprintf(&text, "alice %s\nalice %s\n", a, a) > 0);
	refuse(text, CER_ERR_FORMAT, "line 2: key SHA256:");
	free(text);
	free(a);
	free(b);
}

Test(roster, principal_patterns_and_lists_are_refused)
{
	static const char *const principals[] = {"alice,bob", "a,b", "alice*", "*", "!mallory", "al?ce", "\"alice\""};
	char *a = line_of(TEST_ALICE), *text = NULL;

	for (size_t i = 0; i < sizeof(principals) / sizeof(principals[0]); i++) {
		cr_assert(asprintf(&text, "%s %s\n", principals[i], a) > 0);
		refuse(text, CER_ERR_FORMAT, "line 1: participant id");
		free(text);
	}
	free(a);
}

Test(roster, bad_ids_are_refused)
{
	static const char *const ids[] = {"Alice",
	                                  "-alice",
	                                  ".alice",
	                                  "_x",
	                                  "al%ice",
	                                  "ali\xc3\xa9",
	                                  "a1234567890123456789012345678901234567890123456789012345678901234"};
	char *a = line_of(TEST_ALICE), *b = line_of(TEST_BOB), *text = NULL;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		cr_assert(asprintf(&text, "bob %s\n%s %s\n", b, ids[i], a) > 0);
		refuse(text, CER_ERR_FORMAT, "line 2: participant id");
		free(text);
	}
	free(a);
	free(b);
}

Test(roster, empty_or_malformed_files_are_refused)
{
	char *a = line_of(TEST_ALICE), *text = NULL;

	refuse("", CER_ERR_FORMAT, "the roster names no participant");
	refuse("# only a comment\n\n", CER_ERR_FORMAT, "the roster names no participant");
	refuse("alice\n", CER_ERR_FORMAT, "line 1: missing key");
	refuse("alice ssh-ed25519 AAAA!!!!\n", CER_ERR_FORMAT, "line 1");
	cr_assert(asprintf(&text, "alice cert-authority %s\n", a) > 0);
	refuse(text, CER_ERR_UNSUPPORTED, "cert-authority");
	free(text);
	free(a);
}

Test(roster, ids)
{
	cr_assert(roster_id_valid("alice", 5));
	cr_assert(roster_id_valid("a", 1));
	cr_assert(roster_id_valid("0day", 4));
	cr_assert(roster_id_valid("key.master_1-a", 14));
	cr_assert_not(roster_id_valid("", 0));
	cr_assert_not(roster_id_valid("-a", 2));
	cr_assert_not(roster_id_valid("A", 1));
	cr_assert_not(roster_id_valid("a b", 3));
	cr_assert_not(roster_id_valid("a/b", 3));
	cr_assert_not(roster_id_valid("a\0b", 3), "an embedded NUL is not an id");
	{
		char id[ROSTER_ID_MAX + 2];
		memset(id, 'a', sizeof(id));
		cr_assert(roster_id_valid(id, ROSTER_ID_MAX));
		cr_assert_not(roster_id_valid(id, ROSTER_ID_MAX + 1));
	}
}

Test(roster, limits)
{
	struct roster *roster = NULL;
	struct sshkey_public key;
	char id[16];
	int r = 0;

	cr_assert_eq(roster_new(&roster), 0);
	for (int i = 0; i < ROSTER_PARTICIPANTS_MAX && r == 0; i++) {
		randombytes_buf(key.ed25519, sizeof(key.ed25519));
		snprintf(id, sizeof(id), "p%d", i);
		r = roster_add_key(roster, id, &key);
	}
	cr_assert_eq(r, 0, "%s", err_message());
	randombytes_buf(key.ed25519, sizeof(key.ed25519));
	cr_assert_eq(roster_add_key(roster, "one-too-many", &key), CER_ERR_FORMAT);
	cr_assert_not_null(strstr(err_message(), "more than 256 participants"), "%s", err_message());
	/* an existing participant may still gain keys, up to the key limit */
	for (int i = ROSTER_PARTICIPANTS_MAX; i < ROSTER_KEYS_MAX && r == 0; i++) {
		randombytes_buf(key.ed25519, sizeof(key.ed25519));
		r = roster_add_key(roster, "p0", &key);
	}
	cr_assert_eq(r, 0, "%s", err_message());
	cr_assert_eq(roster->key_count, ROSTER_KEYS_MAX);
	randombytes_buf(key.ed25519, sizeof(key.ed25519));
	cr_assert_eq(roster_add_key(roster, "p0", &key), CER_ERR_FORMAT);
	cr_assert_not_null(strstr(err_message(), "more than 1024 keys"), "%s", err_message());
	cr_assert_eq(roster->participant_count, ROSTER_PARTICIPANTS_MAX);
	roster_free(roster);
}
