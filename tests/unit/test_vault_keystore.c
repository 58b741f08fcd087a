/* vault/keystore: keys encrypted at rest under the master secret. Round trips for every algorithm
 * (RSA-4096 once, in round_trip_rsa_4096), and every way a key file can be wrong: another master
 * secret, another vault, another label, any byte changed, truncated, extended; labels; destroy and
 * its tombstone; listing; file modes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/init.h"
#include "helpers.h"
#include "vault/keys.h"
#include "vault/keystore.h"

static char *dir;
static uint8_t *master, *kek;

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	dir = test_tmpdir("vault-keystore");
	master = sodium_malloc(KEYSTORE_MASTER_BYTES);
	kek = sodium_malloc(KEYSTORE_KEK_BYTES);
	cr_assert(master != NULL && kek != NULL);
	randombytes_buf(master, KEYSTORE_MASTER_BYTES);
	cr_assert_eq(keystore_kek_derive(kek, master), 0, "%s", err_message());
}

static void teardown(void)
{
	sodium_free(master);
	sodium_free(kek);
	master = kek = NULL;
	if (dir == NULL)
		return;
	test_run("rm -rf '%s'", dir);
	free(dir);
	dir = NULL;
}

TestSuite(vault_keystore, .init = setup, .fini = teardown, .timeout = 300);

static void assert_error(int r, int code, const char *fragment)
{
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert(strstr(err_message(), fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

/* DIR/keys/NAME (or DIR/keys when name is NULL); caller frees. */
static char *keys_path(const char *base, const char *name)
{
	char *p = NULL;
	if (name == NULL)
		cr_assert(asprintf(&p, "%s/keys", base) > 0);
	else
		cr_assert(asprintf(&p, "%s/keys/%s", base, name) > 0);
	return p;
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static struct vault_key *generate(enum vault_key_alg alg)
{
	struct vault_key *key = NULL;
	cr_assert_eq(vault_key_generate(&key, alg), 0, "%s", err_message());
	return key;
}

/* Generate an Ed25519 key and store it under `label`; returns the key (caller frees). */
static struct vault_key *put_new(const char *label)
{
	struct vault_key *key = generate(VAULT_KEY_ED25519);
	cr_assert_eq(keystore_put(dir, kek, label, key), 0, "%s", err_message());
	return key;
}

/* Does `got` sign like `want` (same fingerprint, and a signature by got verifies with want)? */
static void assert_same_key(const struct vault_key *got, const struct vault_key *want)
{
	struct buf sig = buf_make(VAULT_KEY_SIGNATURE_MAX);
	static const uint8_t msg[] = "firmware image";

	cr_assert_eq(vault_key_get_alg(got), vault_key_get_alg(want));
	cr_assert_arr_eq(vault_key_fingerprint(got), vault_key_fingerprint(want), VAULT_KEY_FINGERPRINT_BYTES);
	cr_assert_eq(vault_key_sign(got, msg, sizeof(msg), &sig), 0, "%s", err_message());
	cr_assert_eq(vault_key_verify(want, msg, sizeof(msg), sig.data, sig.len), 0, "%s", err_message());
	buf_free(&sig);
}

static void assert_mode(const char *path, mode_t mode)
{
	struct stat st;
	cr_assert_eq(lstat(path, &st), 0, "%s", path);
	cr_assert_eq(st.st_mode & 07777, mode, "%s has mode %o, expected %o", path, st.st_mode & 07777, mode);
}

static void copy_file(const char *from, const char *to)
{
	size_t len = 0;
	char *data = test_read_file(from, &len);
	test_write_file(to, data, len);
	free(data);
}

/* ---- key-encryption key ---- */

/* Computed independently: Python's hashlib.blake2b(b"", digest_size=32, key=master,
 * salt=(1).to_bytes(8, "little") + bytes(8), person=b"CERKEYST" + bytes(8)). */
Test(vault_keystore, kek_known_answer)
{
	uint8_t expected[KEYSTORE_KEK_BYTES];

	for (int i = 0; i < KEYSTORE_MASTER_BYTES; i++)
		master[i] = (uint8_t)i;
	cr_assert_eq(keystore_kek_derive(kek, master), 0, "%s", err_message());
	cr_assert_eq(hex_decode_exact("79f1b502816dd2bc4c903ffd2e8bda5ab3123815cf7c3a2633f0473e9239adb9", 64, expected,
	                              sizeof(expected)),
	             0);
	cr_assert_arr_eq(kek, expected, KEYSTORE_KEK_BYTES);
	memset(master, 0, KEYSTORE_MASTER_BYTES);
	cr_assert_eq(keystore_kek_derive(kek, master), 0, "%s", err_message());
	cr_assert_eq(hex_decode_exact("362217e589b845127152a67368fc3f74cfac501c075c8a0ec888d3d4135b8599", 64, expected,
	                              sizeof(expected)),
	             0);
	cr_assert_arr_eq(kek, expected, KEYSTORE_KEK_BYTES);
}

/* ---- round trips ---- */

static void round_trip(enum vault_key_alg alg, const char *label)
{
	char name[96];
	struct vault_key *key = generate(alg), *got = NULL;
	struct buf pem = buf_make(8192);
	char *key_path, *pub_path, *keys_dir = keys_path(dir, NULL), *pub_text, *fp_path;
	char hex[VAULT_KEY_FINGERPRINT_BYTES * 2 + 1];
	size_t pub_len = 0, fp_len = 0;
	mode_t old_umask;

	snprintf(name, sizeof(name), "%s.key", label);
	key_path = keys_path(dir, name);
	snprintf(name, sizeof(name), "%s.pub", label);
	pub_path = keys_path(dir, name);

	old_umask = umask(0); /* the modes must not depend on the caller's umask */
	cr_assert_eq(keystore_put(dir, kek, label, key), 0, "%s", err_message());
	umask(old_umask);
	assert_mode(keys_dir, 0700);
	assert_mode(key_path, 0600);
	assert_mode(pub_path, 0644);

	cr_assert_eq(keystore_get(dir, kek, label, &got), 0, "%s", err_message());
	assert_same_key(got, key);

	/* LABEL.pub is the PEM public key, and stock openssl fingerprints it as we do. */
	cr_assert_eq(vault_key_public_pem(key, &pem), 0, "%s", err_message());
	pub_text = test_read_file(pub_path, &pub_len);
	cr_assert_eq(pub_len, pem.len);
	cr_assert_arr_eq(pub_text, pem.data, pem.len);
	cr_assert(asprintf(&fp_path, "%s/fp.txt", dir) > 0);
	cr_assert_eq(test_run("openssl pkey -pubin -in '%s' -outform DER | sha256sum > '%s'", pub_path, fp_path), 0);
	free(pub_text);
	pub_text = test_read_file(fp_path, &fp_len);
	hex_encode(vault_key_fingerprint(key), VAULT_KEY_FINGERPRINT_BYTES, hex);
	cr_assert(fp_len > 64 && strncmp(pub_text, hex, 64) == 0, "openssl says %s, we say %s", pub_text, hex);

	free(pub_text);
	free(fp_path);
	free(key_path);
	free(pub_path);
	free(keys_dir);
	buf_free(&pem);
	vault_key_free(got);
	vault_key_free(key);
}

Test(vault_keystore, round_trip_ecdsa_p256)
{
	round_trip(VAULT_KEY_ECDSA_P256, "fw-p256");
}

Test(vault_keystore, round_trip_ecdsa_p384)
{
	round_trip(VAULT_KEY_ECDSA_P384, "fw.p384");
}

Test(vault_keystore, round_trip_rsa_3072)
{
	round_trip(VAULT_KEY_RSA_3072, "root_ca");
}

Test(vault_keystore, round_trip_rsa_4096)
{
	round_trip(VAULT_KEY_RSA_4096, "root-ca-2026");
}

Test(vault_keystore, round_trip_ed25519)
{
	round_trip(VAULT_KEY_ED25519, "0");
}

/* The bytes on disk are those docs/formats/keystore.md describes. */
Test(vault_keystore, file_layout_as_documented)
{
	struct vault_key *key = put_new("fw");
	char *path = keys_path(dir, "fw.key"), *data;
	struct cursor c;
	const uint8_t *p = NULL;
	size_t len = 0, n = 0;
	uint32_t v = 0;

	data = test_read_file(path, &len);
	cr_assert_leq(len, KEYSTORE_FILE_MAX);
	c = cursor_make(data, len);
	cr_assert_eq(cursor_get_bytes(&c, KEYSTORE_MAGIC_BYTES, &p), 0);
	cr_assert_arr_eq(p, "CEREMKEY", 8);
	cr_assert_eq(cursor_get_u32(&c, &v), 0);
	cr_assert_eq(v, KEYSTORE_VERSION);
	cr_assert_eq(cursor_expect_cstring(&c, "fw"), 0);
	cr_assert_eq(cursor_expect_cstring(&c, "ed25519"), 0);
	cr_assert_eq(cursor_get_string(&c, 64, &p, &n), 0);
	cr_assert_eq(n, VAULT_KEY_FINGERPRINT_BYTES);
	cr_assert_arr_eq(p, vault_key_fingerprint(key), n);
	cr_assert_eq(cursor_get_bytes(&c, KEYSTORE_NONCE_BYTES, &p), 0);
	cr_assert_eq(cursor_get_string(&c, KEYSTORE_CIPHERTEXT_MAX, &p, &n), 0);
	cr_assert_gt(n, KEYSTORE_TAG_BYTES);
	cr_assert_eq(cursor_expect_end(&c), 0);
	free(data);
	free(path);
	vault_key_free(key);
}

/* ---- refusals of key files ---- */

Test(vault_keystore, wrong_master_secret_refused)
{
	struct vault_key *key = put_new("fw"), *got = NULL;
	char *path = keys_path(dir, "fw.key"), expected[4200];

	master[0] ^= 0x01;
	cr_assert_eq(keystore_kek_derive(kek, master), 0, "%s", err_message());
	snprintf(expected, sizeof(expected), "keystore file %s was altered or belongs to another vault", path);
	assert_error(keystore_get(dir, kek, "fw", &got), CER_ERR_VERIFY, expected);
	cr_assert_null(got);
	free(path);
	vault_key_free(key);
}

Test(vault_keystore, file_of_another_vault_refused)
{
	struct vault_key *key = put_new("fw"), *other = generate(VAULT_KEY_ED25519), *got = NULL;
	char *other_dir = test_tmpdir("vault-keystore-other"), *ours = keys_path(dir, "fw.key"),
	     *theirs = keys_path(other_dir, "fw.key");
	uint8_t *other_master = sodium_malloc(KEYSTORE_MASTER_BYTES), *other_kek = sodium_malloc(KEYSTORE_KEK_BYTES);

	randombytes_buf(other_master, KEYSTORE_MASTER_BYTES);
	cr_assert_eq(keystore_kek_derive(other_kek, other_master), 0, "%s", err_message());
	cr_assert_eq(keystore_put(other_dir, other_kek, "fw", other), 0, "%s", err_message());
	copy_file(theirs, ours);
	assert_error(keystore_get(dir, kek, "fw", &got), CER_ERR_VERIFY, "was altered or belongs to another vault");
	cr_assert_null(got);

	sodium_free(other_master);
	sodium_free(other_kek);
	test_run("rm -rf '%s'", other_dir);
	free(other_dir);
	free(ours);
	free(theirs);
	vault_key_free(other);
	vault_key_free(key);
}

Test(vault_keystore, file_copied_or_renamed_to_another_label_refused)
{
	struct vault_key *key = put_new("fw"), *got = NULL;
	char *from = keys_path(dir, "fw.key"), *copy = keys_path(dir, "fw2.key"), *moved = keys_path(dir, "fw3.key");

	copy_file(from, copy);
	assert_error(keystore_get(dir, kek, "fw2", &got), CER_ERR_VERIFY,
	             "fw2.key was altered or belongs to another vault");
	cr_assert_eq(rename(from, moved), 0);
	assert_error(keystore_get(dir, kek, "fw3", &got), CER_ERR_VERIFY,
	             "fw3.key was altered or belongs to another vault");
	cr_assert_eq(rename(moved, from), 0);
	cr_assert_eq(keystore_get(dir, kek, "fw", &got), 0, "%s", err_message());
	assert_same_key(got, key);
	vault_key_free(got);
	free(from);
	free(copy);
	free(moved);
	vault_key_free(key);
}

/* Every single bit flip anywhere in the file is refused; in the authenticated parts (label,
 * fingerprint, nonce, ciphertext) it is refused as an altered file. */
Test(vault_keystore, every_byte_flipped_refused)
{
	struct vault_key *key = put_new("fw"), *got = NULL;
	char *path = keys_path(dir, "fw.key"), *orig;
	size_t len = 0, label_at = 8 + 4 + 4, fp_at = label_at + 2 + 4 + 7 + 4, nonce_at = fp_at + 32;
	int altered = 0;

	orig = test_read_file(path, &len);
	for (size_t i = 0; i < len; i++) {
		char *data = malloc(len);
		cr_assert_not_null(data);
		memcpy(data, orig, len);
		data[i] ^= (char)(1u << (i % 8));
		test_write_file(path, data, len);
		free(data);
		int r = keystore_get(dir, kek, "fw", &got);
		cr_assert_neq(r, 0, "byte %zu flipped was accepted", i);
		cr_assert_null(got);
		cr_assert(r == CER_ERR_VERIFY || r == CER_ERR_FORMAT || r == CER_ERR_UNSUPPORTED, "byte %zu: %d %s", i,
		          r, err_message());
		if ((i >= label_at && i < label_at + 2) || (i >= fp_at && i < nonce_at + KEYSTORE_NONCE_BYTES) ||
		    i >= nonce_at + KEYSTORE_NONCE_BYTES + 4) {
			cr_assert_eq(r, CER_ERR_VERIFY, "byte %zu: %s", i, err_message());
			cr_assert(strstr(err_message(), "was altered or belongs to another vault") != NULL,
			          "byte %zu: %s", i, err_message());
			altered++;
		}
	}
	cr_assert_gt(altered, 100);
	test_write_file(path, orig, len);
	cr_assert_eq(keystore_get(dir, kek, "fw", &got), 0, "%s", err_message());
	vault_key_free(got);
	free(orig);
	free(path);
	vault_key_free(key);
}

Test(vault_keystore, malformed_files_refused)
{
	struct vault_key *key = put_new("fw"), *got = NULL;
	char *path = keys_path(dir, "fw.key"), *orig, *data;
	size_t len = 0;

	orig = test_read_file(path, &len);
	data = malloc(len + 1);
	cr_assert_not_null(data);

	test_write_file(path, orig, len - 1);
	assert_error(keystore_get(dir, kek, "fw", &got), CER_ERR_FORMAT, "truncated");
	memcpy(data, orig, len);
	data[len] = 0;
	test_write_file(path, data, len + 1);
	assert_error(keystore_get(dir, kek, "fw", &got), CER_ERR_FORMAT, "1 trailing bytes");
	data[11] = 2; /* version 2 */
	test_write_file(path, data, len);
	assert_error(keystore_get(dir, kek, "fw", &got), CER_ERR_FORMAT, "unsupported keystore file version 2");
	memcpy(data, "CEREMKEX", 8);
	test_write_file(path, data, len);
	assert_error(keystore_get(dir, kek, "fw", &got), CER_ERR_FORMAT, "bad magic");
	test_write_file(path, "", 0);
	assert_error(keystore_get(dir, kek, "fw", &got), CER_ERR_FORMAT, "truncated");
	cr_assert_null(got);

	free(data);
	free(orig);
	free(path);
	vault_key_free(key);
}

/* ---- labels ---- */

Test(vault_keystore, labels)
{
	static const char *const bad[] = {"",     "Fw",   "../fw", ".fw",       "-fw",  "_fw",
	                                  "fw/x", "fw x", "fw\n",  "f\xc3\xa9", "fw:1", "FW"};
	struct vault_key *key = generate(VAULT_KEY_ED25519), *got = NULL;
	char long_label[KEYSTORE_LABEL_MAX + 2];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_error(keystore_put(dir, kek, bad[i], key), CER_ERR_USAGE, "invalid key label");
		assert_error(keystore_get(dir, kek, bad[i], &got), CER_ERR_USAGE, "invalid key label");
		assert_error(keystore_destroy(dir, bad[i]), CER_ERR_USAGE, "invalid key label");
	}
	assert_error(keystore_put(dir, kek, NULL, key), CER_ERR_USAGE, "missing key label");
	memset(long_label, 'a', sizeof(long_label));
	long_label[KEYSTORE_LABEL_MAX + 1] = '\0';
	assert_error(keystore_put(dir, kek, long_label, key), CER_ERR_USAGE, "invalid key label");
	long_label[KEYSTORE_LABEL_MAX] = '\0';
	cr_assert_eq(keystore_put(dir, kek, long_label, key), 0, "%s", err_message());
	cr_assert_eq(keystore_put(dir, kek, "9fw.root-ca_2", key), 0, "%s", err_message());
	cr_assert_null(got);
	vault_key_free(key);
}

Test(vault_keystore, missing_key_and_directory)
{
	struct vault_key *key = generate(VAULT_KEY_ED25519), *got = NULL;
	char *nowhere = NULL;

	assert_error(keystore_get(dir, kek, "nope", &got), CER_ERR_NOT_FOUND, "no key \"nope\" in the keystore");
	cr_assert(asprintf(&nowhere, "%s/missing", dir) > 0);
	assert_error(keystore_put(nowhere, kek, "fw", key), CER_ERR_NOT_FOUND, "missing/keys");
	cr_assert_null(got);
	free(nowhere);
	vault_key_free(key);
}

Test(vault_keystore, put_never_overwrites)
{
	struct vault_key *key = put_new("fw"), *other = generate(VAULT_KEY_ED25519), *got = NULL;
	char *path = keys_path(dir, "fw.key"), *before, *after;
	size_t before_len = 0, after_len = 0;

	before = test_read_file(path, &before_len);
	assert_error(keystore_put(dir, kek, "fw", other), CER_ERR_REFUSED, "key \"fw\" already exists");
	after = test_read_file(path, &after_len);
	cr_assert_eq(before_len, after_len);
	cr_assert_arr_eq(before, after, before_len);
	cr_assert_eq(keystore_get(dir, kek, "fw", &got), 0, "%s", err_message());
	assert_same_key(got, key);
	vault_key_free(got);
	free(before);
	free(after);
	free(path);
	vault_key_free(other);
	vault_key_free(key);
}

/* ---- destroy ---- */

Test(vault_keystore, destroy_is_forever)
{
	struct vault_key *key = put_new("fw"), *other = generate(VAULT_KEY_ED25519), *got = NULL;
	char *key_path = keys_path(dir, "fw.key"), *pub_path = keys_path(dir, "fw.pub"),
	     *tomb_path = keys_path(dir, "fw.destroyed"), *tomb, expected[512];
	char hex[VAULT_KEY_FINGERPRINT_BYTES * 2 + 1];
	size_t len = 0;

	cr_assert_eq(keystore_destroy(dir, "fw"), 0, "%s", err_message());
	cr_assert_not(exists(key_path), "the key file is gone");
	cr_assert(exists(pub_path), "the public key stays");
	tomb = test_read_file(tomb_path, &len);
	hex_encode(vault_key_fingerprint(key), VAULT_KEY_FINGERPRINT_BYTES, hex);
	snprintf(expected, sizeof(expected),
	         "ceremony-keystore-tombstone 1\nlabel fw\nalgorithm ed25519\nfingerprint %s\n", hex);
	cr_assert_str_eq(tomb, expected);

	assert_error(keystore_get(dir, kek, "fw", &got), CER_ERR_REFUSED, "key \"fw\" was destroyed");
	cr_assert_null(got);
	assert_error(keystore_destroy(dir, "fw"), CER_ERR_REFUSED, "key \"fw\" was already destroyed");
	assert_error(keystore_destroy(dir, "nope"), CER_ERR_NOT_FOUND, "no key \"nope\"");

	/* A new key may take the label; the old tombstone is kept beside, under its fingerprint. */
	cr_assert_eq(keystore_put(dir, kek, "fw", other), 0, "%s", err_message());
	cr_assert_not(exists(tomb_path), "the label is live again");
	{
		char archived[64], *archived_path;
		snprintf(archived, sizeof(archived), "fw.destroyed-%.16s", hex);
		archived_path = keys_path(dir, archived);
		cr_assert(exists(archived_path), "the old tombstone is kept as %s", archived);
		free(archived_path);
	}
	cr_assert_eq(keystore_get(dir, kek, "fw", &got), 0, "%s", err_message());
	cr_assert(memcmp(vault_key_fingerprint(got), vault_key_fingerprint(other), VAULT_KEY_FINGERPRINT_BYTES) == 0,
	          "the label names the new key");
	vault_key_free(got);

	free(tomb);
	free(key_path);
	free(pub_path);
	free(tomb_path);
	vault_key_free(other);
	vault_key_free(key);
}

/* A destroy cut short after its tombstone: the key is already refused, and destroying again finishes. */
Test(vault_keystore, interrupted_destroy_finished)
{
	struct vault_key *key = put_new("fw"), *got = NULL;
	struct keystore_entries *list = NULL;
	char *key_path = keys_path(dir, "fw.key"), *saved = keys_path(dir, "saved");

	copy_file(key_path, saved);
	cr_assert_eq(keystore_destroy(dir, "fw"), 0, "%s", err_message());
	cr_assert_eq(rename(saved, key_path), 0);
	assert_error(keystore_get(dir, kek, "fw", &got), CER_ERR_REFUSED, "was destroyed");
	assert_error(keystore_put(dir, kek, "fw", key), CER_ERR_REFUSED, "is being destroyed: destroy it again");
	cr_assert_eq(keystore_list(&list, dir, kek), 0, "%s", err_message());
	cr_assert_eq(list->count, 1);
	cr_assert_eq(list->entries[0].state, KEYSTORE_KEY_DESTROYED);
	keystore_entries_free(list);
	cr_assert_eq(keystore_destroy(dir, "fw"), 0, "%s", err_message());
	cr_assert_not(exists(key_path));
	free(key_path);
	free(saved);
	vault_key_free(key);
}

Test(vault_keystore, destroy_refuses_unparsable_file)
{
	char *keys_dir = keys_path(dir, NULL), *key_path = keys_path(dir, "fw.key");

	cr_assert_eq(mkdir(keys_dir, 0700), 0);
	test_write_file(key_path, "not a key file at all", 21);
	assert_error(keystore_destroy(dir, "fw"), CER_ERR_FORMAT, "bad magic");
	cr_assert(exists(key_path));
	free(keys_dir);
	free(key_path);
}

/* ---- list ---- */

Test(vault_keystore, list)
{
	struct vault_key *a = put_new("alpha"), *b = generate(VAULT_KEY_ECDSA_P256), *c = put_new("charlie");
	struct keystore_entries *list = NULL;
	static const char *const junk[] = {"alpha.key.tmp-123", "README", ".hidden.key", "UPPER.key", "x.pub", ".key"};

	cr_assert_eq(keystore_put(dir, kek, "bravo", b), 0, "%s", err_message());
	cr_assert_eq(keystore_destroy(dir, "bravo"), 0, "%s", err_message());
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		char *p = keys_path(dir, junk[i]);
		test_write_file(p, "junk", 4);
		free(p);
	}

	cr_assert_eq(keystore_list(&list, dir, kek), 0, "%s", err_message());
	cr_assert_eq(list->count, 3);
	cr_assert_str_eq(list->entries[0].label, "alpha");
	cr_assert_eq(list->entries[0].state, KEYSTORE_KEY_LIVE);
	cr_assert_eq(list->entries[0].alg, VAULT_KEY_ED25519);
	cr_assert_arr_eq(list->entries[0].fingerprint, vault_key_fingerprint(a), VAULT_KEY_FINGERPRINT_BYTES);
	cr_assert_str_eq(list->entries[1].label, "bravo");
	cr_assert_eq(list->entries[1].state, KEYSTORE_KEY_DESTROYED);
	cr_assert_eq(list->entries[1].alg, VAULT_KEY_ECDSA_P256);
	cr_assert_arr_eq(list->entries[1].fingerprint, vault_key_fingerprint(b), VAULT_KEY_FINGERPRINT_BYTES);
	cr_assert_str_eq(list->entries[2].label, "charlie");
	cr_assert_eq(list->entries[2].state, KEYSTORE_KEY_LIVE);
	cr_assert_arr_eq(list->entries[2].fingerprint, vault_key_fingerprint(c), VAULT_KEY_FINGERPRINT_BYTES);
	keystore_entries_free(list);
	list = NULL;

	/* Under another master secret, the first live key is refused. */
	master[0] ^= 0x80;
	cr_assert_eq(keystore_kek_derive(kek, master), 0, "%s", err_message());
	assert_error(keystore_list(&list, dir, kek), CER_ERR_VERIFY,
	             "alpha.key was altered or belongs to another vault");
	cr_assert_null(list);

	keystore_entries_free(NULL);
	vault_key_free(a);
	vault_key_free(b);
	vault_key_free(c);
}

Test(vault_keystore, list_empty_and_bad_tombstone)
{
	struct keystore_entries *list = NULL;
	char *keys_dir = keys_path(dir, NULL), *tomb = keys_path(dir, "fw.destroyed");
	static const char bad_tomb[] =
	        "ceremony-keystore-tombstone 1\nlabel other\nalgorithm ed25519\nfingerprint 00\n";

	cr_assert_eq(keystore_list(&list, dir, kek), 0, "%s", err_message());
	cr_assert_eq(list->count, 0, "no keys directory yet: an empty keystore");
	keystore_entries_free(list);
	list = NULL;

	cr_assert_eq(mkdir(keys_dir, 0700), 0);
	test_write_file(tomb, bad_tomb, strlen(bad_tomb));
	assert_error(keystore_list(&list, dir, kek), CER_ERR_FORMAT, "the tombstone names another key");
	cr_assert_null(list);
	free(keys_dir);
	free(tomb);
}
