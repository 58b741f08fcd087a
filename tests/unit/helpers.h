/* Helpers shared by the unit tests: scratch directories, key files, running stock tools. */
#ifndef CEREMONY_TESTS_HELPERS_H
#define CEREMONY_TESTS_HELPERS_H

#include <stddef.h>

#include "common/sshkey.h"

/* A fresh empty directory under $CEREMONY_TEST_TMP (or /tmp); caller frees the string. */
char *test_tmpdir(const char *tag);

/* Write a file (creating it, mode 0600); aborts the test on failure. */
void test_write_file(const char *path, const void *data, size_t len);

/* Read a whole file into a NUL-terminated malloc'd buffer; aborts the test on failure. */
char *test_read_file(const char *path, size_t *len_out);

/* Generate an Ed25519 key with ssh-keygen at `path` (and path.pub) with `comment`; no passphrase. */
void test_ssh_keygen(const char *path, const char *comment);

/* Run a shell command; returns its exit status (or -1). */
int test_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- evidence fixtures (tests of evidence/ and verifier/) ---- */

#include <stdint.h>

#include "common/buf.h"
#include "common/signer.h"
#include "evidence/record.h"
#include "evidence/roster.h"
#include "evidence/store.h"
#include "verifier/findings.h"

/* The people of the test ceremonies: alice, bob and carol are the roster, carol with two keys
 * (TEST_CAROL and TEST_CAROL2); mallory holds a key that is in no roster. */
enum test_key_index { TEST_ALICE, TEST_BOB, TEST_CAROL, TEST_CAROL2, TEST_MALLORY, TEST_KEY_COUNT };

struct test_keys {
	struct sshkey_private *key[TEST_KEY_COUNT];
	struct signer *signer[TEST_KEY_COUNT];
};

/* Fresh Ed25519 keys in memory (no files); aborts the test on failure. */
void test_keys_make(struct test_keys *k);
void test_keys_free(struct test_keys *k);

/* The roster of alice, bob and carol (two keys); caller frees with roster_free(). */
struct roster *test_roster_make(const struct test_keys *k);

/* The genesis record of `ceremony`, scenario hash = 32 bytes of `scenario_fill`, appended to `out`. */
void test_genesis_bytes(const struct test_keys *k, const char *ceremony, uint8_t scenario_fill, struct buf *out);

/* The bytes of the record that follows the store's tip (type, step, one value "n" = `value`),
 * actor alice, appended to `out` (reset first). */
void test_next_bytes(struct evidence_store *store, enum record_type type, const char *step, const char *value,
                     struct buf *out);

/* Append with sign-offs by alice and bob, committed by alice; asserts success. */
void test_append_ok(struct evidence_store *store, const struct test_keys *k, const uint8_t *bytes, size_t len);

/* A new evidence repository at `dir`: genesis, then `steps` step records, then a close record when
 * `close`. Returns the open store. */
struct evidence_store *test_store_make(const char *dir, const struct test_keys *k, const char *ceremony, unsigned steps,
                                       int close);

/* Is a finding with `code` among the findings? */
int test_has_finding(const struct findings *f, const char *code);
/* All findings as text (one per line), for failure messages; caller frees. */
char *test_findings_text(const struct findings *f);

/* ---- scenarios (tests of evidence/scenario and evidence/script) ---- */

#include "evidence/scenario.h"

/* A copy of `text` with the first occurrence of `from` replaced by `to` (asserts there is one);
 * caller frees. */
char *test_replace(const char *text, const char *from, const char *to);

/* The test scenario "test-1" (helpers.c shows it, line by line): roles lead, keymaster, witness;
 * the roster of test_roster_make with roles: alice (lead witness), bob (keymaster witness), carol
 * (keymaster, two keys); steps
 *   room   acted by lead,      lead:1 + witness:1,       capture serial TEB-[0-9]{6}
 *   open   acted by keymaster, keymaster:2 + witness:1,  confirm, attach photo (stored), attach log
 *   check  acted by lead,      witness:1 + keymaster:1,  capture fp [0-9a-f]{64}
 * restart lead:1 + witness:1; close lead:1 + keymaster:2. Caller frees the text. */
char *test_scenario_xml(const struct test_keys *k);
/* The same, parsed (asserts success); free with scenario_free(). */
struct scenario *test_scenario_make(const struct test_keys *k);

#endif
