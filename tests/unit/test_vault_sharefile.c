/* vault/sharefile and vault/passphrase: share files encrypted under a key master's passphrase,
 * every refusal with its code and message, and passphrases read from a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "common/error.h"
#include "helpers.h"
#include "vault/passphrase.h"
#include "vault/shamir.h"
#include "vault/sharefile.h"

#define S SHAMIR_SCALAR_BYTES
#define PASS "correct horse battery staple"

/* Offsets of the fields in a file whose key master id is "alice" (docs/formats/share-file.md). */
#define KM_ID "alice"
#define OFF_VERSION SHAREFILE_MAGIC_BYTES
#define OFF_VAULT_ID (OFF_VERSION + 4)
#define OFF_INDEX (OFF_VAULT_ID + SHAREFILE_VAULT_ID_BYTES)
#define OFF_KM_ID (OFF_INDEX + 4 + 4)
#define OFF_OPSLIMIT (OFF_KM_ID + sizeof(KM_ID) - 1)
#define OFF_MEMLIMIT (OFF_OPSLIMIT + 4)
#define OFF_SALT (OFF_MEMLIMIT + 4)
#define OFF_NONCE (OFF_SALT + SHAREFILE_SALT_BYTES)
#define OFF_CIPHERTEXT (OFF_NONCE + SHAREFILE_NONCE_BYTES)
#define FILE_BYTES (OFF_CIPHERTEXT + SHAREFILE_CIPHERTEXT_BYTES)

static char *dir;
static uint8_t vault_id[SHAREFILE_VAULT_ID_BYTES];
static uint8_t *share; /* sodium_malloc'd */

static void setup(void)
{
	struct feldman_commitments c;
	uint8_t *secret, *shares;

	cr_assert(sodium_init() >= 0);
	dir = test_tmpdir("sharefile");
	/* A real vault: its id and its first share. */
	secret = sodium_malloc(S);
	shares = sodium_malloc(3 * S);
	share = sodium_malloc(S);
	cr_assert(secret != NULL && shares != NULL && share != NULL);
	crypto_core_ristretto255_scalar_random(secret);
	cr_assert_eq(shamir_split(secret, 2, 3, shares, &c), 0, "%s", err_message());
	cr_assert_eq(feldman_commitments_id(&c, vault_id), 0, "%s", err_message());
	memcpy(share, shares, S);
	sodium_free(secret);
	sodium_free(shares);
}

static void teardown(void)
{
	sodium_free(share);
	share = NULL;
	if (dir == NULL)
		return;
	test_run("rm -rf '%s'", dir);
	free(dir);
	dir = NULL;
}

TestSuite(sharefile, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(passphrase, .init = setup, .fini = teardown, .timeout = 20);

static char *path_in(const char *name)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void assert_error(int r, int code, const char *fragment)
{
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert(strstr(err_message(), fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

/* The header of share 1 of the test vault for alice, with libsodium's cheapest allowed KDF setting. */
static struct sharefile_header test_header(void)
{
	struct sharefile_header h;

	cr_assert_eq(sharefile_header_init(&h, vault_id, 1, KM_ID), 0, "%s", err_message());
	cr_assert_eq(h.opslimit, SHAREFILE_OPSLIMIT_DEFAULT);
	cr_assert_eq(h.memlimit, SHAREFILE_MEMLIMIT_DEFAULT);
	h.opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	h.memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	return h;
}

/* A share file at dir/name; returns its path. */
static char *write_test_file(const char *name)
{
	struct sharefile_header h = test_header();
	char *p = path_in(name);

	cr_assert_eq(sharefile_write(p, &h, share, PASS, strlen(PASS)), 0, "%s", err_message());
	return p;
}

/* Read `p` expecting failure with `code` / `fragment`; the outputs must stay untouched. */
static void assert_read_refused(const char *p, const uint8_t *expected_vault, const char *pass, int code,
                                const char *fragment)
{
	struct sharefile_header h, before;
	uint8_t *out = sodium_malloc(S);

	cr_assert_not_null(out);
	memset(out, 0x3c, S);
	memset(&h, 0x3c, sizeof(h));
	before = h;
	assert_error(sharefile_read(p, expected_vault, pass, strlen(pass), &h, out), code, fragment);
	for (int k = 0; k < S; k++)
		cr_assert_eq(out[k], 0x3c, "share_out untouched on failure");
	cr_assert(memcmp(&h, &before, sizeof(h)) == 0, "header untouched on failure");
	sodium_free(out);
}

/* Rewrite `p` with `len` bytes of `data`. */
static void rewrite(const char *p, const void *data, size_t len)
{
	cr_assert_eq(unlink(p), 0);
	test_write_file(p, data, len);
}

static void put_u32(char *at, uint32_t v)
{
	at[0] = (char)(v >> 24);
	at[1] = (char)(v >> 16);
	at[2] = (char)(v >> 8);
	at[3] = (char)v;
}

/* ---- round trip ---- */

Test(sharefile, write_then_read)
{
	char *p = write_test_file("alice.share");
	struct sharefile_header h;
	uint8_t *out = sodium_malloc(S);
	struct stat st;
	size_t len;
	char *bytes;

	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %04o", (unsigned)(st.st_mode & 07777));
	bytes = test_read_file(p, &len);
	cr_assert_eq(len, FILE_BYTES);
	cr_assert(memcmp(bytes, SHAREFILE_MAGIC, SHAREFILE_MAGIC_BYTES) == 0);
	cr_assert(memmem(bytes, len, share, S) == NULL, "the share is not stored in clear");
	free(bytes);

	cr_assert_eq(sharefile_read(p, vault_id, PASS, strlen(PASS), &h, out), 0, "%s", err_message());
	cr_assert_arr_eq(out, share, S);
	cr_assert_arr_eq(h.vault_id, vault_id, sizeof(vault_id));
	cr_assert_eq(h.share_index, 1);
	cr_assert_str_eq(h.key_master_id, KM_ID);
	cr_assert_eq(h.opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	cr_assert_eq(h.memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	sodium_free(out);
	free(p);
}

Test(sharefile, mode_is_0600_whatever_the_umask)
{
	mode_t old = umask(0);
	char *p = write_test_file("loose-umask.share");
	struct stat st;

	umask(old);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %04o", (unsigned)(st.st_mode & 07777));
	free(p);
}

Test(sharefile, two_writes_differ)
{
	char *p1 = write_test_file("one.share"), *p2 = write_test_file("two.share");
	size_t l1, l2;
	char *b1 = test_read_file(p1, &l1), *b2 = test_read_file(p2, &l2);

	cr_assert_eq(l1, l2);
	cr_assert(memcmp(b1 + OFF_SALT, b2 + OFF_SALT, SHAREFILE_SALT_BYTES) != 0, "fresh salt");
	cr_assert(memcmp(b1 + OFF_NONCE, b2 + OFF_NONCE, SHAREFILE_NONCE_BYTES) != 0, "fresh nonce");
	free(b1);
	free(b2);
	free(p1);
	free(p2);
}

/* ---- refusals of write ---- */

Test(sharefile, existing_file_is_never_overwritten)
{
	char *p = path_in("taken.share");
	struct sharefile_header h = test_header();
	size_t len;
	char *bytes;

	test_write_file(p, "keep me", 7);
	assert_error(sharefile_write(p, &h, share, PASS, strlen(PASS)), CER_ERR_REFUSED,
	             "already exists (a share file is never overwritten)");
	bytes = test_read_file(p, &len);
	cr_assert_eq(len, 7);
	cr_assert(memcmp(bytes, "keep me", 7) == 0, "the existing file is untouched");
	free(bytes);
	free(p);
}

Test(sharefile, write_refuses_kdf_params_below_interactive)
{
	char *p = path_in("weak.share");
	struct sharefile_header h = test_header();

	h.opslimit = SHAREFILE_OPSLIMIT_MIN - 1;
	assert_error(sharefile_write(p, &h, share, PASS, strlen(PASS)), CER_ERR_USAGE, "Argon2id parameters");
	h = test_header();
	h.memlimit = SHAREFILE_MEMLIMIT_MIN - 1024;
	assert_error(sharefile_write(p, &h, share, PASS, strlen(PASS)), CER_ERR_USAGE, "Argon2id parameters");
	h = test_header();
	h.memlimit = SHAREFILE_MEMLIMIT_MAX + 1024;
	assert_error(sharefile_write(p, &h, share, PASS, strlen(PASS)), CER_ERR_USAGE, "Argon2id parameters");
	cr_assert_neq(access(p, F_OK), 0, "nothing written");
	free(p);
}

Test(sharefile, write_refuses_bad_headers_and_shares)
{
	char *p = path_in("bad.share");
	struct sharefile_header h;
	uint8_t zero[S] = {0};

	assert_error(sharefile_header_init(&h, vault_id, 0, KM_ID), CER_ERR_USAGE, "share index 0 is outside 1..32");
	assert_error(sharefile_header_init(&h, vault_id, 33, KM_ID), CER_ERR_USAGE, "share index 33");
	assert_error(sharefile_header_init(&h, vault_id, 1, "Alice"), CER_ERR_USAGE, "key master id \"Alice\"");
	assert_error(sharefile_header_init(&h, vault_id, 1, ""), CER_ERR_USAGE, "key master id");
	assert_error(sharefile_header_init(&h, vault_id, 1, "-alice"), CER_ERR_USAGE, "key master id");
	h = test_header();
	assert_error(sharefile_write(p, &h, zero, PASS, strlen(PASS)), CER_ERR_USAGE, "not a canonical nonzero scalar");
	assert_error(sharefile_write(p, &h, share, "", 0), CER_ERR_USAGE, "empty passphrase");
	h.share_index = 40;
	assert_error(sharefile_write(p, &h, share, PASS, strlen(PASS)), CER_ERR_USAGE, "share index 40");
	cr_assert_neq(access(p, F_OK), 0, "nothing written");
	free(p);
}

/* ---- refusals of read ---- */

Test(sharefile, wrong_passphrase)
{
	char *p = write_test_file("alice.share");

	assert_read_refused(p, vault_id, "correct horse battery stapler", CER_ERR_VERIFY,
	                    "wrong passphrase or corrupted share file");
	free(p);
}

Test(sharefile, share_file_of_another_vault_is_refused_before_decryption)
{
	char *p = write_test_file("alice.share");
	uint8_t other[SHAREFILE_VAULT_ID_BYTES];

	memcpy(other, vault_id, sizeof(other));
	other[31] ^= 0x01;
	/* A wrong passphrase too: the vault is refused first, so no decryption was tried. */
	assert_read_refused(p, other, "not the passphrase", CER_ERR_REFUSED, "a share file of another vault");
	free(p);
}

Test(sharefile, truncated)
{
	char *p = write_test_file("alice.share");
	size_t len;
	char *bytes = test_read_file(p, &len);
	static const size_t cuts[] = {0, 4, OFF_VERSION + 2, OFF_INDEX, OFF_KM_ID + 2, OFF_SALT + 3, FILE_BYTES - 1};

	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		rewrite(p, bytes, cuts[k]);
		assert_read_refused(p, vault_id, PASS, CER_ERR_FORMAT, "truncated");
	}
	free(bytes);
	free(p);
}

Test(sharefile, trailing_bytes)
{
	char *p = write_test_file("alice.share");
	size_t len;
	char *bytes = test_read_file(p, &len);
	char *longer = calloc(1, len + 1);

	memcpy(longer, bytes, len);
	rewrite(p, longer, len + 1);
	assert_read_refused(p, vault_id, PASS, CER_ERR_FORMAT, "1 trailing bytes");
	free(longer);
	free(bytes);
	free(p);
}

Test(sharefile, too_large)
{
	char *p = path_in("huge.share");
	char *big = calloc(1, SHAREFILE_MAX_BYTES + 1);

	memcpy(big, SHAREFILE_MAGIC, SHAREFILE_MAGIC_BYTES);
	test_write_file(p, big, SHAREFILE_MAX_BYTES + 1);
	assert_read_refused(p, vault_id, PASS, CER_ERR_FORMAT, "too large");
	free(big);
	free(p);
}

Test(sharefile, missing)
{
	char *p = path_in("absent.share");

	assert_read_refused(p, vault_id, PASS, CER_ERR_NOT_FOUND, "absent.share");
	free(p);
}

Test(sharefile, bad_magic)
{
	char *p = write_test_file("alice.share");
	size_t len;
	char *bytes = test_read_file(p, &len);

	bytes[0] = 'X';
	rewrite(p, bytes, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_FORMAT, "bad magic (not a share file)");
	free(bytes);
	free(p);
}

Test(sharefile, unknown_version)
{
	char *p = write_test_file("alice.share");
	size_t len;
	char *bytes = test_read_file(p, &len);

	put_u32(bytes + OFF_VERSION, 2);
	rewrite(p, bytes, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_UNSUPPORTED, "unsupported share file version 2");
	free(bytes);
	free(p);
}

Test(sharefile, malformed_fields)
{
	char *p = write_test_file("alice.share");
	size_t len;
	char *bytes = test_read_file(p, &len), *copy = malloc(len);

	memcpy(copy, bytes, len);
	put_u32(copy + OFF_INDEX, 0);
	rewrite(p, copy, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_FORMAT, "share index 0 is outside 1..32");

	memcpy(copy, bytes, len);
	copy[OFF_KM_ID] = 'A';
	rewrite(p, copy, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_FORMAT, "malformed key master id");

	memcpy(copy, bytes, len);
	copy[OFF_KM_ID + 1] = '\0';
	rewrite(p, copy, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_FORMAT, "embedded NUL");

	memcpy(copy, bytes, len);
	put_u32(copy + OFF_KM_ID - 4, 100000);
	rewrite(p, copy, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_FORMAT, "key master id: string of 100000 bytes exceeds");
	free(copy);
	free(bytes);
	free(p);
}

/* Each header field changed in turn (to a value that still parses): the AEAD refuses it. */
Test(sharefile, altered_header_fields_fail_authentication)
{
	char *p = write_test_file("alice.share");
	size_t len;
	char *bytes = test_read_file(p, &len), *copy = malloc(len);

	memcpy(copy, bytes, len);
	put_u32(copy + OFF_INDEX, 2);
	rewrite(p, copy, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_VERIFY, "wrong passphrase or corrupted share file");

	memcpy(copy, bytes, len);
	copy[OFF_KM_ID] = 'b';
	rewrite(p, copy, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_VERIFY, "wrong passphrase or corrupted share file");

	memcpy(copy, bytes, len);
	put_u32(copy + OFF_MEMLIMIT, crypto_pwhash_MEMLIMIT_INTERACTIVE + 1024);
	rewrite(p, copy, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_VERIFY, "wrong passphrase or corrupted share file");

	memcpy(copy, bytes, len);
	copy[OFF_SALT] ^= 0x01;
	rewrite(p, copy, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_VERIFY, "wrong passphrase or corrupted share file");

	memcpy(copy, bytes, len);
	copy[OFF_NONCE + 5] ^= 0x01;
	rewrite(p, copy, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_VERIFY, "wrong passphrase or corrupted share file");

	memcpy(copy, bytes, len);
	copy[OFF_CIPHERTEXT + 3] ^= 0x01;
	rewrite(p, copy, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_VERIFY, "wrong passphrase or corrupted share file");

	memcpy(copy, bytes, len);
	copy[len - 1] ^= 0x80; /* the tag */
	rewrite(p, copy, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_VERIFY, "wrong passphrase or corrupted share file");
	free(copy);
	free(bytes);
	free(p);
}

/* A vault id changed in the file is seen as another vault, before any decryption. */
Test(sharefile, altered_vault_id_is_another_vault)
{
	char *p = write_test_file("alice.share");
	size_t len;
	char *bytes = test_read_file(p, &len);

	bytes[OFF_VAULT_ID + 7] ^= 0x40;
	rewrite(p, bytes, len);
	assert_read_refused(p, vault_id, PASS, CER_ERR_REFUSED, "a share file of another vault");
	free(bytes);
	free(p);
}

Test(sharefile, kdf_params_out_of_bounds_are_refused_before_derivation)
{
	char *p = write_test_file("alice.share");
	size_t len;
	char *bytes = test_read_file(p, &len), *copy = malloc(len);
	static const uint32_t memlimits[] = {0xffffffffu, SHAREFILE_MEMLIMIT_MAX + 1, SHAREFILE_MEMLIMIT_MIN - 1, 0};
	static const uint32_t opslimits[] = {0xffffffffu, SHAREFILE_OPSLIMIT_MAX + 1, SHAREFILE_OPSLIMIT_MIN - 1, 0};

	/* 4 GiB of memory, or a billion passes, would be derived here if the bounds were not checked
	 * first: the test's time limit would catch it. */
	for (size_t k = 0; k < sizeof(memlimits) / sizeof(memlimits[0]); k++) {
		memcpy(copy, bytes, len);
		put_u32(copy + OFF_MEMLIMIT, memlimits[k]);
		rewrite(p, copy, len);
		assert_read_refused(p, vault_id, PASS, CER_ERR_UNSUPPORTED, "Argon2id parameters out of bounds");
	}
	for (size_t k = 0; k < sizeof(opslimits) / sizeof(opslimits[0]); k++) {
		memcpy(copy, bytes, len);
		put_u32(copy + OFF_OPSLIMIT, opslimits[k]);
		rewrite(p, copy, len);
		assert_read_refused(p, vault_id, PASS, CER_ERR_UNSUPPORTED, "Argon2id parameters out of bounds");
	}
	free(copy);
	free(bytes);
	free(p);
}

Test(sharefile, read_refuses_empty_passphrase)
{
	char *p = write_test_file("alice.share");

	assert_read_refused(p, vault_id, "", CER_ERR_USAGE, "empty passphrase");
	free(p);
}

/* ---- passphrase_read from a file ---- */

static char *passphrase_file(const char *name, const void *data, size_t len, mode_t mode)
{
	char *p = path_in(name);

	test_write_file(p, data, len);
	cr_assert_eq(chmod(p, mode), 0);
	return p;
}

static void assert_passphrase(const char *p, const char *expect)
{
	char *pass = NULL;
	size_t len = 0;

	cr_assert_eq(passphrase_read("unused: ", p, &pass, &len), 0, "%s", err_message());
	cr_assert_eq(len, strlen(expect));
	cr_assert_str_eq(pass, expect);
	passphrase_free(pass);
}

static void assert_passphrase_refused(const char *p, int code, const char *fragment)
{
	char *pass = (char *)"sentinel";
	size_t len = 99;

	assert_error(passphrase_read(NULL, p, &pass, &len), code, fragment);
	cr_assert_null(pass, "*out is NULL on failure");
}

Test(passphrase, file_with_and_without_newline)
{
	char *a = passphrase_file("a", PASS "\n", strlen(PASS) + 1, 0600);
	char *b = passphrase_file("b", PASS, strlen(PASS), 0400);
	char *c = passphrase_file("c", PASS "\r\n", strlen(PASS) + 2, 0600);
	char *d = passphrase_file("d", " spaces kept \n", 14, 0600);

	assert_passphrase(a, PASS);
	assert_passphrase(b, PASS);
	assert_passphrase(c, PASS);
	assert_passphrase(d, " spaces kept ");
	free(a);
	free(b);
	free(c);
	free(d);
}

Test(passphrase, file_readable_by_others_is_refused)
{
	char *g = passphrase_file("group", PASS "\n", strlen(PASS) + 1, 0640);
	char *o = passphrase_file("other", PASS "\n", strlen(PASS) + 1, 0604);
	char *w = passphrase_file("writable", PASS "\n", strlen(PASS) + 1, 0620);

	assert_passphrase_refused(g, CER_ERR_REFUSED, "accessible to others (mode 0640; chmod 600 it)");
	assert_passphrase_refused(o, CER_ERR_REFUSED, "accessible to others (mode 0604");
	assert_passphrase_refused(w, CER_ERR_REFUSED, "accessible to others (mode 0620");
	free(g);
	free(o);
	free(w);
}

Test(passphrase, file_refusals)
{
	char longest[PASSPHRASE_MAX + 2];
	char *p;

	p = passphrase_file("empty", "", 0, 0600);
	assert_passphrase_refused(p, CER_ERR_FORMAT, "empty passphrase");
	free(p);
	p = passphrase_file("newline", "\n", 1, 0600);
	assert_passphrase_refused(p, CER_ERR_FORMAT, "empty passphrase");
	free(p);
	p = passphrase_file("two-lines", "one\ntwo\n", 8, 0600);
	assert_passphrase_refused(p, CER_ERR_FORMAT, "the passphrase must be a single line");
	free(p);
	p = passphrase_file("nul", "ab\0cd\n", 6, 0600);
	assert_passphrase_refused(p, CER_ERR_FORMAT, "NUL byte in the passphrase");
	free(p);

	memset(longest, 'x', sizeof(longest));
	longest[PASSPHRASE_MAX] = '\n';
	p = passphrase_file("longest", longest, PASSPHRASE_MAX + 1, 0600);
	{
		char *pass = NULL;
		size_t len = 0;
		cr_assert_eq(passphrase_read(NULL, p, &pass, &len), 0, "%s", err_message());
		cr_assert_eq(len, PASSPHRASE_MAX);
		passphrase_free(pass);
	}
	free(p);
	memset(longest, 'x', sizeof(longest));
	p = passphrase_file("too-long", longest, PASSPHRASE_MAX + 1, 0600);
	assert_passphrase_refused(p, CER_ERR_FORMAT, "passphrase longer than 1024 bytes");
	free(p);
	longest[PASSPHRASE_MAX + 1] = '\n';
	p = passphrase_file("too-long-line", longest, PASSPHRASE_MAX + 2, 0600);
	assert_passphrase_refused(p, CER_ERR_FORMAT, "passphrase longer than 1024 bytes");
	free(p);

	p = path_in("absent");
	assert_passphrase_refused(p, CER_ERR_NOT_FOUND, "absent");
	free(p);
	assert_passphrase_refused(dir, CER_ERR_IO, "not a regular file");
}

Test(passphrase, free_accepts_null)
{
	passphrase_free(NULL);
}

/* The whole path a key master takes: passphrase from a file, share file written and read back. */
Test(sharefile, passphrase_file_to_share_file_and_back)
{
	char *pf = passphrase_file("pass", PASS "\n", strlen(PASS) + 1, 0600);
	char *p = path_in("alice.share");
	struct sharefile_header h = test_header(), got;
	uint8_t *out = sodium_malloc(S);
	char *pass = NULL;
	size_t len = 0;

	cr_assert_eq(passphrase_read(NULL, pf, &pass, &len), 0, "%s", err_message());
	cr_assert_eq(sharefile_write(p, &h, share, pass, len), 0, "%s", err_message());
	cr_assert_eq(sharefile_read(p, vault_id, PASS, strlen(PASS), &got, out), 0, "%s", err_message());
	cr_assert_arr_eq(out, share, S);
	passphrase_free(pass);
	sodium_free(out);
	free(pf);
	free(p);
}
