/* recorder/pending: the pending record on disk. Written whole and read back (bytes, verified
 * sign-offs, files); refused when one exists; sign-offs added one by one; removed; leftovers of a
 * crashed writer ignored and cleaned; sign-offs that do not verify or are misnamed refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "common/error.h"
#include "common/init.h"
#include "common/sshsig.h"
#include "evidence/store.h"
#include "recorder/pending.h"
#include "helpers.h"

static char *dir;
static struct test_keys keys;
static struct buf record_bytes;

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	test_keys_make(&keys);
	dir = test_tmpdir("pending");
	record_bytes = buf_make(RECORD_BYTES_MAX);
	test_genesis_bytes(&keys, "pending-test", 0x42, &record_bytes);
}

static void teardown(void)
{
	buf_free(&record_bytes);
	test_run("rm -rf '%s'", dir);
	free(dir);
	test_keys_free(&keys);
}

TestSuite(pending, .init = setup, .fini = teardown, .timeout = 60);

static char *path_in(const char *name)
{
	char *p = NULL;

	cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void assert_error(int r, int code, const char *fragment)
{
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert_not_null(strstr(err_message(), fragment), "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

/* A sign-off of `data` by `who` (armored bytes in `armored`, which the caller frees). */
static struct evidence_signoff sign_with(int who, const uint8_t *data, size_t len, struct buf *armored)
{
	struct evidence_signoff s;

	*armored = buf_make(SSHSIG_ARMORED_MAX);
	cr_assert_eq(sshsig_sign(keys.signer[who], SSHSIG_NAMESPACE_RECORD, data, len, armored), 0, "%s",
	             err_message());
	s.key = keys.key[who]->public_key;
	s.armored = armored->data;
	s.armored_len = armored->len;
	return s;
}

/* The record bytes signed by alice, with one stored file "attachments/photo". */
static const uint8_t PHOTO[] = "not really a photo\n";

static void make_pending(struct pending *p, struct buf *armored)
{
	memset(p, 0, sizeof(*p));
	p->bytes = record_bytes;
	p->signoffs[0] = sign_with(TEST_ALICE, record_bytes.data, record_bytes.len, armored);
	p->signoff_count = 1;
	p->files[0].name = EVIDENCE_ATTACHMENTS_DIR "/photo";
	p->files[0].data = PHOTO;
	p->files[0].len = sizeof(PHOTO) - 1;
	p->file_count = 1;
}

static void create_ok(void)
{
	struct pending p;
	struct buf armored;

	make_pending(&p, &armored);
	cr_assert_eq(pending_create(dir, &p), 0, "pending_create: %s", err_message());
	buf_free(&armored);
}

static int has_signoff(const struct pending *p, int who)
{
	for (size_t i = 0; i < p->signoff_count; i++)
		if (sshkey_public_equal(&p->signoffs[i].key, &keys.key[who]->public_key))
			return 1;
	return 0;
}

Test(pending, load_without_pending_gives_null)
{
	struct pending *p = (struct pending *)1;

	cr_assert_eq(pending_load(&p, dir), 0, "%s", err_message());
	cr_assert_null(p);
}

Test(pending, create_then_load_round_trip)
{
	struct pending *p = NULL;
	char *pdir = path_in(PENDING_DIR);

	create_ok();
	cr_assert(exists(pdir), "%s was not created", pdir);
	cr_assert_eq(pending_load(&p, dir), 0, "pending_load: %s", err_message());
	cr_assert_not_null(p);
	cr_assert_eq(p->bytes.len, record_bytes.len);
	cr_assert_eq(memcmp(p->bytes.data, record_bytes.data, record_bytes.len), 0, "record bytes differ");
	cr_assert_not_null(p->record);
	cr_assert_str_eq(p->record->ceremony, "pending-test");
	cr_assert_eq(p->record->type, RECORD_GENESIS);
	cr_assert_eq(p->signoff_count, 1);
	cr_assert(has_signoff(p, TEST_ALICE), "alice's sign-off is missing");
	cr_assert_eq(p->signoffs[0].armored_len, p->armored[0].len);
	cr_assert_eq(p->file_count, 1);
	cr_assert_str_eq(p->files[0].name, EVIDENCE_ATTACHMENTS_DIR "/photo");
	cr_assert_eq(p->files[0].len, sizeof(PHOTO) - 1);
	cr_assert_eq(memcmp(p->files[0].data, PHOTO, sizeof(PHOTO) - 1), 0);
	pending_free(p);
	free(pdir);
}

Test(pending, create_refused_when_one_exists)
{
	struct pending p, *loaded = NULL;
	struct buf armored;

	create_ok();
	make_pending(&p, &armored);
	p.file_count = 0; /* a different proposal: must not replace the first */
	assert_error(pending_create(dir, &p), CER_ERR_REFUSED, "already pending");
	buf_free(&armored);
	cr_assert_eq(pending_load(&loaded, dir), 0, "%s", err_message());
	cr_assert_not_null(loaded);
	cr_assert_eq(loaded->file_count, 1, "the first pending record was replaced");
	pending_free(loaded);
	/* and the refused writer left no temporary directory behind */
	cr_assert_eq(test_run("ls -a '%s' | grep -q '^" PENDING_DIR "\\.'", dir), 1, "a temporary directory was left");
}

Test(pending, add_signoff_then_load_sees_it)
{
	struct pending *p = NULL;
	struct evidence_signoff s;
	struct buf armored;

	create_ok();
	s = sign_with(TEST_BOB, record_bytes.data, record_bytes.len, &armored);
	cr_assert_eq(pending_add_signoff(dir, &s), 0, "pending_add_signoff: %s", err_message());
	buf_free(&armored);
	cr_assert_eq(pending_load(&p, dir), 0, "pending_load: %s", err_message());
	cr_assert_not_null(p);
	cr_assert_eq(p->signoff_count, 2);
	cr_assert(has_signoff(p, TEST_ALICE), "alice's sign-off is missing");
	cr_assert(has_signoff(p, TEST_BOB), "bob's sign-off is missing");
	pending_free(p);
}

Test(pending, remove_then_load_gives_null)
{
	struct pending *p = (struct pending *)1;
	char *pdir = path_in(PENDING_DIR);

	create_ok();
	cr_assert_eq(pending_remove(dir), 0, "pending_remove: %s", err_message());
	cr_assert(!exists(pdir), "%s still exists", pdir);
	cr_assert_eq(pending_load(&p, dir), 0, "%s", err_message());
	cr_assert_null(p);
	/* removing again is harmless */
	cr_assert_eq(pending_remove(dir), 0, "%s", err_message());
	cr_assert_eq(test_run("ls -a '%s' | grep -q '^" PENDING_DIR "'", dir), 1, "something was left behind");
	free(pdir);
}

/* What a writer that crashed half-way through pending_create leaves. */
static char *make_leftovers(void)
{
	char *tmp = path_in(PENDING_DIR ".tmp-123");
	char *file = NULL;

	cr_assert(test_run("mkdir -p '%s/signoffs' '%s/files'", tmp, tmp) == 0);
	cr_assert(asprintf(&file, "%s/" EVIDENCE_RECORD_FILE, tmp) > 0);
	test_write_file(file, record_bytes.data, record_bytes.len / 2);
	free(file);
	cr_assert(asprintf(&file, "%s/signoffs/half.sig", tmp) > 0);
	test_write_file(file, "-----BEGIN SSH SIG", 18);
	free(file);
	return tmp;
}

Test(pending, crashed_writer_leftovers_removed_and_not_pending)
{
	struct pending *p = (struct pending *)1;
	char *tmp = make_leftovers();

	cr_assert(exists(tmp));
	cr_assert_eq(pending_load(&p, dir), 0, "pending_load: %s", err_message());
	cr_assert_null(p, "leftovers counted as a pending record");
	cr_assert(!exists(tmp), "%s was not removed", tmp);
	free(tmp);
}

Test(pending, crashed_writer_leftovers_beside_a_real_pending_record)
{
	struct pending *p = NULL;
	char *tmp;

	create_ok();
	tmp = make_leftovers();
	cr_assert_eq(pending_load(&p, dir), 0, "pending_load: %s", err_message());
	cr_assert_not_null(p);
	cr_assert_eq(p->signoff_count, 1);
	cr_assert_eq(p->bytes.len, record_bytes.len);
	cr_assert(!exists(tmp), "%s was not removed", tmp);
	pending_free(p);
	free(tmp);
}

Test(pending, signoff_not_over_record_bytes_fails_verify)
{
	struct pending *p = (struct pending *)1;
	struct evidence_signoff s;
	struct buf armored;
	static const uint8_t other[] = "other bytes";

	create_ok();
	/* bob signs something else; written under his own name */
	s = sign_with(TEST_BOB, other, sizeof(other) - 1, &armored);
	cr_assert_eq(pending_add_signoff(dir, &s), 0, "%s", err_message());
	buf_free(&armored);
	cr_assert_eq(pending_load(&p, dir), CER_ERR_VERIFY, "expected CER_ERR_VERIFY, got: %s", err_message());
	cr_assert_null(p);
}

Test(pending, edited_record_bytes_fail_verify)
{
	struct pending *p = (struct pending *)1;
	char *file = path_in(PENDING_DIR "/" EVIDENCE_RECORD_FILE);
	char *edited;
	char *text;

	create_ok();
	text = test_read_file(file, NULL);
	edited = test_replace(text, "pending-test", "pending-tess");
	test_write_file(file, edited, strlen(edited));
	cr_assert_eq(pending_load(&p, dir), CER_ERR_VERIFY, "expected CER_ERR_VERIFY, got: %s", err_message());
	cr_assert_null(p);
	free(edited);
	free(text);
	free(file);
}

Test(pending, signoff_not_named_after_its_key_refused)
{
	struct pending *p = (struct pending *)1;
	struct buf armored;
	char name[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)];
	char *file = NULL;

	create_ok();
	/* bob's valid sign-off, stored under carol's name */
	(void)sign_with(TEST_BOB, record_bytes.data, record_bytes.len, &armored);
	evidence_signoff_name(&keys.key[TEST_CAROL]->public_key, name);
	cr_assert(asprintf(&file, "%s/" PENDING_DIR "/signoffs/%s", dir, name) > 0);
	test_write_file(file, armored.data, armored.len);
	buf_free(&armored);
	assert_error(pending_load(&p, dir), CER_ERR_FORMAT, "not named after its key");
	cr_assert_null(p);
	free(file);
}
