#include "vault/keystore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"

#if KEYSTORE_NONCE_BYTES != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||                                            \
        KEYSTORE_TAG_BYTES != crypto_aead_xchacha20poly1305_ietf_ABYTES ||                                             \
        KEYSTORE_KEK_BYTES != crypto_aead_xchacha20poly1305_ietf_KEYBYTES ||                                           \
        KEYSTORE_MASTER_BYTES != crypto_kdf_KEYBYTES
#error "keystore sizes disagree with libsodium's"
#endif

#define KEYSTORE_HEADER_MAX                                                                                            \
	(KEYSTORE_MAGIC_BYTES + 4 + 4 + KEYSTORE_LABEL_MAX + 4 + VAULT_KEY_ALG_NAME_MAX + 4 +                          \
	 VAULT_KEY_FINGERPRINT_BYTES)

/* A key file, parsed: every pointer borrows from the file's bytes. */
struct key_file {
	const uint8_t *header; /* magic .. fingerprint: the AEAD's associated data */
	size_t header_len;
	const uint8_t *label;
	size_t label_len;
	enum vault_key_alg alg;
	const uint8_t *fingerprint;
	const uint8_t *nonce;
	const uint8_t *ciphertext;
	size_t ciphertext_len;
};

int keystore_kek_derive(uint8_t kek_out[KEYSTORE_KEK_BYTES], const uint8_t master[KEYSTORE_MASTER_BYTES])
{
	/* libsodium checks the lengths before it writes anything. */
	if (crypto_kdf_derive_from_key(kek_out, KEYSTORE_KEK_BYTES, KEYSTORE_KDF_SUBKEY_ID, KEYSTORE_KDF_CONTEXT,
	                               master) != 0)
		return err_set(CER_ERR_INTERNAL, "cannot derive the keystore key");
	return 0;
}

int keystore_label_check(const char *label)
{
	size_t len;

	if (label == NULL)
		return err_set(CER_ERR_USAGE, "missing key label");
	len = strnlen(label, KEYSTORE_LABEL_MAX + 1);
	if (len == 0 || len > KEYSTORE_LABEL_MAX)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		char ch = label[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			goto bad;
	}
	return 0;
bad:
	return err_set(
	        CER_ERR_USAGE,
	        "invalid key label: 1 to %d characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit",
	        KEYSTORE_LABEL_MAX);
}

/* DIR/keys, or DIR/keys/LABEL + suffix when label is not NULL. */
static int keystore_path(char out[PATH_MAX], const char *dir, const char *label, const char *suffix)
{
	int n;

	if (label == NULL)
		n = snprintf(out, PATH_MAX, "%s/%s", dir, KEYSTORE_SUBDIR);
	else
		n = snprintf(out, PATH_MAX, "%s/%s/%s%s", dir, KEYSTORE_SUBDIR, label, suffix);
	if (n < 0 || n >= PATH_MAX)
		return err_set(CER_ERR_USAGE, "%s: keystore path too long", dir);
	return 0;
}

/* Does `path` exist (as anything, symbolic links not followed)? */
static int path_exists(const char *path, bool *exists)
{
	struct stat st;

	if (lstat(path, &st) == 0) {
		*exists = true;
		return 0;
	}
	if (errno == ENOENT) {
		*exists = false;
		return 0;
	}
	return err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
}

static int refuse_destroyed(const char *dir, const char *label)
{
	char path[PATH_MAX];
	bool destroyed = false;
	int r;

	if ((r = keystore_path(path, dir, label, KEYSTORE_TOMBSTONE_SUFFIX)) != 0 ||
	    (r = path_exists(path, &destroyed)) != 0)
		return r;
	if (destroyed)
		return err_set(CER_ERR_REFUSED, "key \"%s\" was destroyed", label);
	return 0;
}

static int tombstone_parse(const uint8_t *data, size_t len, const char *label, enum vault_key_alg *alg,
                           uint8_t fingerprint[VAULT_KEY_FINGERPRINT_BYTES]);

/* Before a new key takes `label`: the tombstone of the key it named before, if any, is kept under
 * LABEL.destroyed-FP16 (the first 16 hex digits of that key's fingerprint), which listings ignore;
 * the vault log is what proves the destruction. A destroy still in progress (tombstone and key file
 * both there) is refused: it must be finished first. */
static int archive_tombstone(const char *dir, const char *label)
{
	char path[PATH_MAX], key_path[PATH_MAX], archived[PATH_MAX + 32], keys_dir[PATH_MAX], hex[65];
	struct buf file = buf_make(KEYSTORE_TOMBSTONE_MAX);
	uint8_t fingerprint[VAULT_KEY_FINGERPRINT_BYTES];
	enum vault_key_alg alg;
	bool destroyed = false, live = false;
	int r;

	if ((r = keystore_path(path, dir, label, KEYSTORE_TOMBSTONE_SUFFIX)) != 0 ||
	    (r = keystore_path(key_path, dir, label, KEYSTORE_KEY_SUFFIX)) != 0 ||
	    (r = keystore_path(keys_dir, dir, NULL, NULL)) != 0 || (r = path_exists(path, &destroyed)) != 0 ||
	    (r = path_exists(key_path, &live)) != 0 || !destroyed)
		goto out;
	if (live) {
		r = err_set(CER_ERR_REFUSED, "key \"%s\" is being destroyed: destroy it again to finish first", label);
		goto out;
	}
	if ((r = file_read_all(path, KEYSTORE_TOMBSTONE_MAX, &file)) != 0 ||
	    (r = tombstone_parse(file.data, file.len, label, &alg, fingerprint)) != 0) {
		err_context(r, "%s", path);
		goto out;
	}
	hex_encode(fingerprint, sizeof(fingerprint), hex);
	if (snprintf(archived, sizeof(archived), "%s-%.16s", path, hex) >= (int)sizeof(archived)) {
		r = err_set(CER_ERR_USAGE, "%s: path too long", path);
		goto out;
	}
	if (rename(path, archived) != 0) {
		r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = file_sync_dir(keys_dir);
out:
	buf_free(&file);
	return r;
}

/* ---- key files ---- */

static int key_file_serialize_header(struct buf *out, const char *label, const struct vault_key *key)
{
	uint8_t magic[KEYSTORE_MAGIC_BYTES];
	int r;

	memcpy(magic, KEYSTORE_MAGIC, KEYSTORE_MAGIC_BYTES);
	if ((r = buf_append(out, magic, sizeof(magic))) != 0 || (r = buf_put_u32(out, KEYSTORE_VERSION)) != 0 ||
	    (r = buf_put_cstring(out, label)) != 0 ||
	    (r = buf_put_cstring(out, vault_key_alg_name(vault_key_get_alg(key)))) != 0 ||
	    (r = buf_put_string(out, vault_key_fingerprint(key), VAULT_KEY_FINGERPRINT_BYTES)) != 0)
		return r;
	return 0;
}

/* Structure only: nothing here is trusted until the AEAD has checked it. */
static int key_file_parse(struct key_file *kf, const uint8_t *data, size_t len)
{
	struct cursor c = cursor_make(data, len);
	const uint8_t *magic = NULL, *alg = NULL;
	char alg_name[VAULT_KEY_ALG_NAME_MAX + 1];
	size_t alg_len = 0, fp_len = 0;
	uint32_t version = 0;
	int r;

	memset(kf, 0, sizeof(*kf));
	if ((r = cursor_get_bytes(&c, KEYSTORE_MAGIC_BYTES, &magic)) != 0)
		return r;
	if (memcmp(magic, KEYSTORE_MAGIC, KEYSTORE_MAGIC_BYTES) != 0)
		return err_set(CER_ERR_FORMAT, "not a keystore key file (bad magic)");
	if ((r = cursor_get_u32(&c, &version)) != 0)
		return r;
	if (version != KEYSTORE_VERSION)
		return err_set(CER_ERR_FORMAT, "unsupported keystore file version %u", version);
	if ((r = cursor_get_text(&c, KEYSTORE_LABEL_MAX, &kf->label, &kf->label_len)) != 0 ||
	    (r = cursor_get_text(&c, VAULT_KEY_ALG_NAME_MAX, &alg, &alg_len)) != 0 ||
	    (r = cursor_get_string(&c, VAULT_KEY_FINGERPRINT_BYTES, &kf->fingerprint, &fp_len)) != 0)
		return r;
	if (fp_len != VAULT_KEY_FINGERPRINT_BYTES)
		return err_set(CER_ERR_FORMAT, "fingerprint of %zu bytes, expected %d", fp_len,
		               VAULT_KEY_FINGERPRINT_BYTES);
	memcpy(alg_name, alg, alg_len);
	alg_name[alg_len] = '\0';
	if ((r = vault_key_alg_parse(&kf->alg, alg_name)) != 0)
		return r;
	kf->header = data;
	kf->header_len = len - c.left;
	if ((r = cursor_get_bytes(&c, KEYSTORE_NONCE_BYTES, &kf->nonce)) != 0 ||
	    (r = cursor_get_string(&c, KEYSTORE_CIPHERTEXT_MAX, &kf->ciphertext, &kf->ciphertext_len)) != 0 ||
	    (r = cursor_expect_end(&c)) != 0)
		return r;
	if (kf->ciphertext_len <= KEYSTORE_TAG_BYTES)
		return err_set(CER_ERR_FORMAT, "ciphertext of %zu bytes is too short", kf->ciphertext_len);
	return 0;
}

/* Read and parse LABEL.key into `file` (reset first); errors name the path. */
static int key_file_read(struct buf *file, struct key_file *kf, const char *path)
{
	int r;

	if ((r = file_read_all(path, KEYSTORE_FILE_MAX, file)) != 0)
		return r;
	if ((r = key_file_parse(kf, file->data, file->len)) != 0)
		return err_context(r, "keystore file %s", path);
	return 0;
}

static int key_file_altered(const char *path)
{
	return err_set(CER_ERR_VERIFY, "keystore file %s was altered or belongs to another vault", path);
}

/* Authenticate and decrypt a parsed key file written for `label`. On success *plain_out is the
 * PKCS#8 DER in sodium_malloc'd memory (the caller sodium_free()s it). */
static int key_file_open(uint8_t **plain_out, size_t *plain_len, const struct key_file *kf, const char *label,
                         const uint8_t *kek, const char *path)
{
	unsigned long long len = 0;
	uint8_t *plain = NULL;

	*plain_out = NULL;
	/* The stored label is covered by the AEAD too; comparing it first spares a decryption. */
	if (!bytes_equal_cstring(kf->label, kf->label_len, label))
		return key_file_altered(path);
	if ((plain = sodium_malloc(kf->ciphertext_len - KEYSTORE_TAG_BYTES)) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &len, NULL, kf->ciphertext, kf->ciphertext_len,
	                                               kf->header, kf->header_len, kf->nonce, kek) != 0) {
		sodium_free(plain);
		return key_file_altered(path);
	}
	*plain_out = plain; /* transferred */
	*plain_len = (size_t)len;
	return 0;
}

/* Write a file that must not exist yet, whole or not at all: a temporary file beside it (O_EXCL,
 * `mode`), fsync, link() to the final name (which fails rather than replace a file, unlike
 * rename()), unlink of the temporary name, fsync of the directory. */
static int write_new_file(const char *path, const char *keys_dir, const uint8_t *data, size_t len, mode_t mode,
                          const char *label)
{
	char tmp[PATH_MAX];
	int fd, n, r = 0;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return err_set(CER_ERR_USAGE, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return err_set(CER_ERR_IO, "%s: %s", tmp, strerror(errno));
	if (file_write_full(fd, data, len) != 0 || fsync(fd) != 0) {
		r = err_set(CER_ERR_IO, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) != 0) {
		r = err_set(CER_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (link(tmp, path) != 0) {
		if (errno == EEXIST)
			r = err_set(CER_ERR_REFUSED, "key \"%s\" already exists", label);
		else
			r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
out:
	unlink(tmp);
	if (r == 0)
		r = file_sync_dir(keys_dir);
	return r;
}

/* DIR/keys, created 0700 when missing; it must be a real directory (not a symbolic link). */
static int keys_dir_make(const char *dir, char keys_dir[PATH_MAX])
{
	struct stat st;
	int r;

	if ((r = keystore_path(keys_dir, dir, NULL, NULL)) != 0)
		return r;
	if (mkdir(keys_dir, 0700) == 0) {
		if ((r = file_sync_dir(dir)) != 0)
			return r;
	} else if (errno != EEXIST) {
		return err_set(errno == ENOENT ? CER_ERR_NOT_FOUND : CER_ERR_IO, "%s: %s", keys_dir, strerror(errno));
	}
	if (lstat(keys_dir, &st) != 0)
		return err_set(CER_ERR_IO, "%s: %s", keys_dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(CER_ERR_IO, "%s: not a directory", keys_dir);
	return 0;
}

int keystore_put(const char *dir, const uint8_t kek[KEYSTORE_KEK_BYTES], const char *label, const struct vault_key *key)
{
	char keys_dir[PATH_MAX], key_path[PATH_MAX], pub_path[PATH_MAX];
	uint8_t nonce[KEYSTORE_NONCE_BYTES];
	struct buf file = buf_make(KEYSTORE_FILE_MAX), pem = buf_make(8192);
	unsigned long long ct_len = 0;
	uint8_t *der = NULL, *ct = NULL;
	size_t der_len = 0, header_len;
	bool exists = false;
	int r;

	if ((r = keystore_label_check(label)) != 0)
		return r;
	if (dir == NULL || kek == NULL || key == NULL)
		return err_set(CER_ERR_USAGE, "keystore_put: missing argument");
	if ((r = keys_dir_make(dir, keys_dir)) != 0 || (r = archive_tombstone(dir, label)) != 0 ||
	    (r = keystore_path(key_path, dir, label, KEYSTORE_KEY_SUFFIX)) != 0 ||
	    (r = keystore_path(pub_path, dir, label, KEYSTORE_PUBLIC_SUFFIX)) != 0 ||
	    (r = path_exists(key_path, &exists)) != 0)
		goto out;
	if (exists) {
		r = err_set(CER_ERR_REFUSED, "key \"%s\" already exists", label);
		goto out;
	}
	if ((der = sodium_malloc(VAULT_KEY_PRIVATE_DER_MAX)) == NULL) {
		r = err_set(CER_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = vault_key_private_der(key, der, VAULT_KEY_PRIVATE_DER_MAX, &der_len)) != 0 ||
	    (r = key_file_serialize_header(&file, label, key)) != 0)
		goto out;
	header_len = file.len;
	randombytes_buf(nonce, sizeof(nonce));
	if ((ct = malloc(der_len + KEYSTORE_TAG_BYTES)) == NULL) {
		r = err_set(CER_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ct_len, der, der_len, file.data, header_len, NULL, nonce,
	                                               kek) != 0 ||
	    ct_len != der_len + KEYSTORE_TAG_BYTES) {
		r = err_set(CER_ERR_INTERNAL, "encryption of key \"%s\" failed", label);
		goto out;
	}
	if ((r = buf_append(&file, nonce, sizeof(nonce))) != 0 || (r = buf_put_string(&file, ct, (size_t)ct_len)) != 0)
		goto out;
	if ((r = write_new_file(key_path, keys_dir, file.data, file.len, 0600, label)) != 0 ||
	    (r = vault_key_public_pem(key, &pem)) != 0)
		goto out;
	r = file_write_atomic(pub_path, pem.data, pem.len, 0644);
out:
	sodium_free(der);
	free(ct);
	buf_free(&file);
	buf_free(&pem);
	return r;
}

int keystore_get(const char *dir, const uint8_t kek[KEYSTORE_KEK_BYTES], const char *label, struct vault_key **out)
{
	char path[PATH_MAX];
	struct buf file = buf_make(KEYSTORE_FILE_MAX);
	struct vault_key *key = NULL;
	struct key_file kf;
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	int r;

	*out = NULL;
	if ((r = keystore_label_check(label)) != 0)
		return r;
	if (dir == NULL || kek == NULL)
		return err_set(CER_ERR_USAGE, "keystore_get: missing argument");
	if ((r = refuse_destroyed(dir, label)) != 0 || (r = keystore_path(path, dir, label, KEYSTORE_KEY_SUFFIX)) != 0)
		goto out;
	if ((r = key_file_read(&file, &kf, path)) != 0) {
		if (r == CER_ERR_NOT_FOUND)
			err_context(r, "no key \"%s\" in the keystore", label);
		goto out;
	}
	if ((r = key_file_open(&plain, &plain_len, &kf, label, kek, path)) != 0)
		goto out;
	if ((r = vault_key_from_private_der(&key, kf.alg, plain, plain_len)) != 0) {
		err_context(r, "keystore file %s", path);
		goto out;
	}
	/* Authenticated, so this holds unless the vault itself wrote a wrong fingerprint. */
	if (sodium_memcmp(vault_key_fingerprint(key), kf.fingerprint, VAULT_KEY_FINGERPRINT_BYTES) != 0) {
		r = key_file_altered(path);
		goto out;
	}
	*out = key; /* transferred */
	key = NULL;
out:
	sodium_free(plain);
	vault_key_free(key);
	buf_free(&file);
	return r;
}

/* ---- tombstones ---- */

static int tombstone_format(struct buf *out, const char *label, enum vault_key_alg alg, const uint8_t *fingerprint)
{
	char hex[VAULT_KEY_FINGERPRINT_BYTES * 2 + 1];

	hex_encode(fingerprint, VAULT_KEY_FINGERPRINT_BYTES, hex);
	return buf_printf(out, "%s\nlabel %s\nalgorithm %s\nfingerprint %s\n", KEYSTORE_TOMBSTONE_MAGIC, label,
	                  vault_key_alg_name(alg), hex);
}

/* One line (without its "\n", which must be there) that starts with `prefix`; *value borrows the rest. */
static int tombstone_line(struct cursor *c, const char *prefix, const uint8_t **value, size_t *value_len)
{
	const uint8_t *nl = c->left > 0 ? memchr(c->p, '\n', c->left) : NULL, *line = NULL;
	size_t len, plen = strlen(prefix);
	int r;

	if (nl == NULL)
		return err_set(CER_ERR_FORMAT, "truncated (expected a line \"%s...\")", prefix);
	len = (size_t)(nl - c->p);
	if ((r = cursor_get_bytes(c, len + 1, &line)) != 0)
		return r;
	if (len < plen || memcmp(line, prefix, plen) != 0 || memchr(line, '\0', len) != NULL)
		return err_set(CER_ERR_FORMAT, "expected a line \"%s...\"", prefix);
	*value = line + plen;
	*value_len = len - plen;
	return 0;
}

static int tombstone_parse(const uint8_t *data, size_t len, const char *label, enum vault_key_alg *alg,
                           uint8_t fingerprint[VAULT_KEY_FINGERPRINT_BYTES])
{
	struct cursor c = cursor_make(data, len);
	char alg_name[VAULT_KEY_ALG_NAME_MAX + 1];
	const uint8_t *v = NULL;
	size_t v_len = 0;
	int r;

	if ((r = tombstone_line(&c, KEYSTORE_TOMBSTONE_MAGIC, &v, &v_len)) != 0)
		return r;
	if (v_len != 0)
		return err_set(CER_ERR_FORMAT, "not a keystore tombstone");
	if ((r = tombstone_line(&c, "label ", &v, &v_len)) != 0)
		return r;
	if (!bytes_equal_cstring(v, v_len, label))
		return err_set(CER_ERR_FORMAT, "the tombstone names another key");
	if ((r = tombstone_line(&c, "algorithm ", &v, &v_len)) != 0)
		return r;
	if (v_len > VAULT_KEY_ALG_NAME_MAX)
		return err_set(CER_ERR_UNSUPPORTED, "unsupported key algorithm");
	memcpy(alg_name, v, v_len);
	alg_name[v_len] = '\0';
	if ((r = vault_key_alg_parse(alg, alg_name)) != 0 ||
	    (r = tombstone_line(&c, "fingerprint ", &v, &v_len)) != 0 ||
	    (r = hex_decode_exact((const char *)v, v_len, fingerprint, VAULT_KEY_FINGERPRINT_BYTES)) != 0)
		return r;
	return cursor_expect_end(&c);
}

/* Overwrite a file with zeros and fsync it, so its blocks (on a file system that rewrites in place)
 * no longer hold the ciphertext. */
static int overwrite_file(const char *path)
{
	uint8_t zeros[4096] = {0};
	struct stat st;
	off_t left;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = err_set(CER_ERR_IO, "%s: not a regular file", path);
		goto out;
	}
	for (left = st.st_size; left > 0;) {
		size_t n = left < (off_t)sizeof(zeros) ? (size_t)left : sizeof(zeros);
		if (file_write_full(fd, zeros, n) != 0) {
			r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		left -= (off_t)n;
	}
	if (fsync(fd) != 0)
		r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
out:
	close(fd);
	return r;
}

int keystore_destroy(const char *dir, const char *label)
{
	char keys_dir[PATH_MAX], key_path[PATH_MAX], tomb_path[PATH_MAX];
	struct buf file = buf_make(KEYSTORE_FILE_MAX), tomb = buf_make(KEYSTORE_TOMBSTONE_MAX);
	bool destroyed = false, exists = false;
	struct key_file kf;
	int r;

	if ((r = keystore_label_check(label)) != 0)
		return r;
	if (dir == NULL)
		return err_set(CER_ERR_USAGE, "keystore_destroy: missing argument");
	if ((r = keystore_path(keys_dir, dir, NULL, NULL)) != 0 ||
	    (r = keystore_path(key_path, dir, label, KEYSTORE_KEY_SUFFIX)) != 0 ||
	    (r = keystore_path(tomb_path, dir, label, KEYSTORE_TOMBSTONE_SUFFIX)) != 0 ||
	    (r = path_exists(tomb_path, &destroyed)) != 0 || (r = path_exists(key_path, &exists)) != 0)
		goto out;
	if (destroyed && !exists) {
		r = err_set(CER_ERR_REFUSED, "key \"%s\" was already destroyed", label);
		goto out;
	}
	if (!exists) {
		r = err_set(CER_ERR_NOT_FOUND, "no key \"%s\" in the keystore", label);
		goto out;
	}
	if (!destroyed) {
		/* The tombstone first: once it exists the key is refused, even if we stop here. */
		if ((r = key_file_read(&file, &kf, key_path)) != 0 ||
		    (r = tombstone_format(&tomb, label, kf.alg, kf.fingerprint)) != 0 ||
		    (r = file_write_atomic(tomb_path, tomb.data, tomb.len, 0644)) != 0)
			goto out;
	}
	if ((r = overwrite_file(key_path)) != 0)
		goto out;
	if (unlink(key_path) != 0) {
		r = err_set(CER_ERR_IO, "%s: %s", key_path, strerror(errno));
		goto out;
	}
	r = file_sync_dir(keys_dir);
out:
	buf_free(&file);
	buf_free(&tomb);
	return r;
}

/* ---- listing ---- */

/* The label of a directory entry named LABEL + suffix, or false. */
static bool entry_label(const char *name, const char *suffix, char label[KEYSTORE_LABEL_MAX + 1])
{
	size_t len = strlen(name), slen = strlen(suffix);

	if (len <= slen || len - slen > KEYSTORE_LABEL_MAX || strcmp(name + len - slen, suffix) != 0)
		return false;
	memcpy(label, name, len - slen);
	label[len - slen] = '\0';
	if (keystore_label_check(label) != 0) {
		err_clear();
		return false;
	}
	return true;
}

static int entry_compare(const void *a, const void *b)
{
	return strcmp(((const struct keystore_entry *)a)->label, ((const struct keystore_entry *)b)->label);
}

/* Fill in a listed entry: from its tombstone, or from its key file authenticated under the KEK. */
static int entry_load(struct keystore_entry *e, const char *dir, const uint8_t *kek)
{
	char key_path[PATH_MAX], tomb_path[PATH_MAX];
	struct buf file = buf_make(KEYSTORE_FILE_MAX);
	bool destroyed = false;
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	struct key_file kf;
	int r;

	if ((r = keystore_path(key_path, dir, e->label, KEYSTORE_KEY_SUFFIX)) != 0 ||
	    (r = keystore_path(tomb_path, dir, e->label, KEYSTORE_TOMBSTONE_SUFFIX)) != 0 ||
	    (r = path_exists(tomb_path, &destroyed)) != 0)
		goto out;
	if (destroyed) {
		e->state = KEYSTORE_KEY_DESTROYED;
		if ((r = file_read_all(tomb_path, KEYSTORE_TOMBSTONE_MAX, &file)) != 0)
			goto out;
		if ((r = tombstone_parse(file.data, file.len, e->label, &e->alg, e->fingerprint)) != 0)
			err_context(r, "%s", tomb_path);
		goto out;
	}
	e->state = KEYSTORE_KEY_LIVE;
	if ((r = key_file_read(&file, &kf, key_path)) != 0 ||
	    (r = key_file_open(&plain, &plain_len, &kf, e->label, kek, key_path)) != 0)
		goto out;
	e->alg = kf.alg;
	memcpy(e->fingerprint, kf.fingerprint, VAULT_KEY_FINGERPRINT_BYTES);
out:
	sodium_free(plain);
	buf_free(&file);
	return r;
}

int keystore_list(struct keystore_entries **out, const char *dir, const uint8_t kek[KEYSTORE_KEK_BYTES])
{
	char keys_dir[PATH_MAX], label[KEYSTORE_LABEL_MAX + 1];
	struct keystore_entries *list = NULL;
	struct dirent *de;
	DIR *d = NULL;
	size_t n = 0, kept = 0;
	int r = 0;

	*out = NULL;
	if (dir == NULL || kek == NULL)
		return err_set(CER_ERR_USAGE, "keystore_list: missing argument");
	if ((r = keystore_path(keys_dir, dir, NULL, NULL)) != 0)
		return r;
	if ((list = calloc(1, sizeof(*list))) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if ((d = opendir(keys_dir)) == NULL) {
		if (errno == ENOENT)
			goto done;
		r = err_set(CER_ERR_IO, "%s: %s", keys_dir, strerror(errno));
		goto out;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!entry_label(de->d_name, KEYSTORE_KEY_SUFFIX, label) &&
		    !entry_label(de->d_name, KEYSTORE_TOMBSTONE_SUFFIX, label))
			continue;
		if (list->count == KEYSTORE_ENTRIES_MAX) {
			r = err_set(CER_ERR_FORMAT, "%s: more than %d keys", keys_dir, KEYSTORE_ENTRIES_MAX);
			goto out;
		}
		if (list->count == n) {
			size_t grown = n ? n * 2 : 16;
			struct keystore_entry *e = reallocarray(list->entries, grown, sizeof(*e));
			if (e == NULL) {
				r = err_set(CER_ERR_NOMEM, "out of memory");
				goto out;
			}
			list->entries = e;
			n = grown;
		}
		memset(&list->entries[list->count], 0, sizeof(list->entries[0]));
		memcpy(list->entries[list->count].label, label, sizeof(label));
		list->count++;
	}
	if (errno != 0) {
		r = err_set(CER_ERR_IO, "%s: %s", keys_dir, strerror(errno));
		goto out;
	}
	if (list->count > 0)
		qsort(list->entries, list->count, sizeof(list->entries[0]), entry_compare);
	/* A label with both a key file and a tombstone (a destroy cut short) is listed once. */
	for (size_t i = 0; i < list->count; i++)
		if (kept == 0 || strcmp(list->entries[kept - 1].label, list->entries[i].label) != 0)
			list->entries[kept++] = list->entries[i];
	list->count = kept;
	for (size_t i = 0; i < list->count; i++)
		if ((r = entry_load(&list->entries[i], dir, kek)) != 0)
			goto out;
done:
	*out = list; /* transferred */
	list = NULL;
out:
	if (d != NULL)
		closedir(d);
	keystore_entries_free(list);
	return r;
}

void keystore_entries_free(struct keystore_entries *list)
{
	if (list == NULL)
		return;
	free(list->entries);
	free(list);
}
