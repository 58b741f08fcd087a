#include "vault/sharefile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "vault/passphrase.h"

_Static_assert(SHAREFILE_SALT_BYTES == crypto_pwhash_SALTBYTES, "salt size");
_Static_assert(SHAREFILE_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce size");
_Static_assert(SHAREFILE_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32, "key size");
_Static_assert(SHAREFILE_OPSLIMIT_MIN == crypto_pwhash_OPSLIMIT_INTERACTIVE, "opslimit floor");
_Static_assert(SHAREFILE_OPSLIMIT_DEFAULT == crypto_pwhash_OPSLIMIT_MODERATE, "opslimit default");
_Static_assert(SHAREFILE_MEMLIMIT_MIN == crypto_pwhash_MEMLIMIT_INTERACTIVE, "memlimit floor");
_Static_assert(SHAREFILE_MEMLIMIT_DEFAULT == crypto_pwhash_MEMLIMIT_MODERATE, "memlimit default");
_Static_assert(SHAREFILE_MEMLIMIT_MAX == crypto_pwhash_MEMLIMIT_SENSITIVE, "memlimit ceiling");

#define SHAREFILE_KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES

/* A share file split into its fields; the byte fields borrow from the file's bytes. */
struct sharefile_parsed {
	struct sharefile_header header;
	const uint8_t *salt;
	const uint8_t *nonce;
	const uint8_t *ciphertext;
	size_t aad_len; /* everything before the ciphertext */
};

static int key_master_id_valid(const char *id, size_t len)
{
	if (len == 0 || len > SHAREFILE_KEY_MASTER_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = id[i];
		int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			return 0;
	}
	return 1;
}

static int kdf_params_in_bounds(uint32_t opslimit, uint32_t memlimit)
{
	return opslimit >= SHAREFILE_OPSLIMIT_MIN && opslimit <= SHAREFILE_OPSLIMIT_MAX &&
	       memlimit >= SHAREFILE_MEMLIMIT_MIN && memlimit <= SHAREFILE_MEMLIMIT_MAX;
}

int sharefile_header_init(struct sharefile_header *h, const uint8_t vault_id[SHAREFILE_VAULT_ID_BYTES],
                          unsigned share_index, const char *key_master_id)
{
	struct sharefile_header fresh;
	size_t id_len = strlen(key_master_id);

	if (share_index < 1 || share_index > SHAMIR_MAX_SHARES)
		return err_set(CER_ERR_USAGE, "share index %u is outside 1..%d", share_index, SHAMIR_MAX_SHARES);
	if (!key_master_id_valid(key_master_id, id_len))
		return err_set(CER_ERR_USAGE,
		               "key master id \"%.*s\" is not 1-%d characters of a-z, 0-9, '.', '_', '-'",
		               SHAREFILE_KEY_MASTER_ID_MAX, key_master_id, SHAREFILE_KEY_MASTER_ID_MAX);
	memset(&fresh, 0, sizeof(fresh));
	memcpy(fresh.vault_id, vault_id, SHAREFILE_VAULT_ID_BYTES);
	fresh.share_index = share_index;
	memcpy(fresh.key_master_id, key_master_id, id_len + 1);
	fresh.opslimit = SHAREFILE_OPSLIMIT_DEFAULT;
	fresh.memlimit = SHAREFILE_MEMLIMIT_DEFAULT;
	*h = fresh;
	return 0;
}

/* The layout of docs/formats/share-file.md, field by field; trailing bytes are refused. */
static int parse(const uint8_t *data, size_t len, struct sharefile_parsed *p)
{
	struct cursor c = cursor_make(data, len);
	const uint8_t *magic = NULL, *vault_id = NULL, *id = NULL;
	uint32_t version = 0, index = 0;
	size_t id_len = 0;
	int r;

	memset(p, 0, sizeof(*p));
	if ((r = cursor_get_bytes(&c, SHAREFILE_MAGIC_BYTES, &magic)) != 0)
		return r;
	if (memcmp(magic, SHAREFILE_MAGIC, SHAREFILE_MAGIC_BYTES) != 0)
		return err_set(CER_ERR_FORMAT, "bad magic (not a share file)");
	if ((r = cursor_get_u32(&c, &version)) != 0)
		return r;
	if (version != SHAREFILE_VERSION)
		return err_set(CER_ERR_UNSUPPORTED, "unsupported share file version %u", version);
	if ((r = cursor_get_bytes(&c, SHAREFILE_VAULT_ID_BYTES, &vault_id)) != 0 ||
	    (r = cursor_get_u32(&c, &index)) != 0)
		return r;
	memcpy(p->header.vault_id, vault_id, SHAREFILE_VAULT_ID_BYTES);
	if (index < 1 || index > SHAMIR_MAX_SHARES)
		return err_set(CER_ERR_FORMAT, "share index %u is outside 1..%d", index, SHAMIR_MAX_SHARES);
	p->header.share_index = index;
	if ((r = cursor_get_text(&c, SHAREFILE_KEY_MASTER_ID_MAX, &id, &id_len)) != 0)
		return err_context(r, "key master id");
	if (!key_master_id_valid((const char *)id, id_len))
		return err_set(CER_ERR_FORMAT, "malformed key master id");
	memcpy(p->header.key_master_id, id, id_len);
	p->header.key_master_id[id_len] = '\0';
	if ((r = cursor_get_u32(&c, &p->header.opslimit)) != 0 || (r = cursor_get_u32(&c, &p->header.memlimit)) != 0 ||
	    (r = cursor_get_bytes(&c, SHAREFILE_SALT_BYTES, &p->salt)) != 0 ||
	    (r = cursor_get_bytes(&c, SHAREFILE_NONCE_BYTES, &p->nonce)) != 0)
		return r;
	p->aad_len = len - c.left;
	if ((r = cursor_get_bytes(&c, SHAREFILE_CIPHERTEXT_BYTES, &p->ciphertext)) != 0)
		return r;
	return cursor_expect_end(&c);
}

/* Argon2id of the passphrase into `key` (sodium_malloc'd by the caller). */
static int derive_key(uint8_t key[SHAREFILE_KEY_BYTES], const char *passphrase, size_t passphrase_len,
                      const uint8_t salt[SHAREFILE_SALT_BYTES], uint32_t opslimit, uint32_t memlimit)
{
	if (crypto_pwhash(key, SHAREFILE_KEY_BYTES, passphrase, passphrase_len, salt, opslimit, memlimit,
	                  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return err_set(CER_ERR_NOMEM, "key derivation failed (Argon2id needs %u MiB of memory)",
		               (unsigned)(memlimit >> 20));
	return 0;
}

static int check_passphrase_len(size_t passphrase_len)
{
	if (passphrase_len == 0)
		return err_set(CER_ERR_USAGE, "empty passphrase");
	if (passphrase_len > PASSPHRASE_MAX)
		return err_set(CER_ERR_USAGE, "passphrase longer than %d bytes", PASSPHRASE_MAX);
	return 0;
}

/* Header fields then the ciphertext, exactly as parse() reads them. */
static int encode(struct buf *out, const struct sharefile_header *h, const uint8_t *salt, const uint8_t *nonce,
                  const uint8_t *key, const uint8_t *share)
{
	uint8_t ciphertext[SHAREFILE_CIPHERTEXT_BYTES];
	unsigned long long ciphertext_len = 0;
	int r;

	if ((r = buf_append(out, SHAREFILE_MAGIC, SHAREFILE_MAGIC_BYTES)) != 0 ||
	    (r = buf_put_u32(out, SHAREFILE_VERSION)) != 0 ||
	    (r = buf_append(out, h->vault_id, SHAREFILE_VAULT_ID_BYTES)) != 0 ||
	    (r = buf_put_u32(out, h->share_index)) != 0 || (r = buf_put_cstring(out, h->key_master_id)) != 0 ||
	    (r = buf_put_u32(out, h->opslimit)) != 0 || (r = buf_put_u32(out, h->memlimit)) != 0 ||
	    (r = buf_append(out, salt, SHAREFILE_SALT_BYTES)) != 0 ||
	    (r = buf_append(out, nonce, SHAREFILE_NONCE_BYTES)) != 0)
		return r;
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(ciphertext, &ciphertext_len, share, SHAMIR_SCALAR_BYTES,
	                                               out->data, out->len, NULL, nonce, key) != 0 ||
	    ciphertext_len != SHAREFILE_CIPHERTEXT_BYTES)
		return err_set(CER_ERR_INTERNAL, "XChaCha20-Poly1305 encryption failed");
	return buf_append(out, ciphertext, sizeof(ciphertext));
}

int sharefile_write(const char *path, const struct sharefile_header *h, const uint8_t share[SHAMIR_SCALAR_BYTES],
                    const char *passphrase, size_t passphrase_len)
{
	uint8_t salt[SHAREFILE_SALT_BYTES], nonce[SHAREFILE_NONCE_BYTES];
	struct buf bytes = buf_make(SHAREFILE_MAX_BYTES);
	char dir[4096];
	uint8_t *key = NULL;
	int fd = -1, created = 0, r = 0;

	if (h->share_index < 1 || h->share_index > SHAMIR_MAX_SHARES)
		return err_set(CER_ERR_USAGE, "share index %u is outside 1..%d", h->share_index, SHAMIR_MAX_SHARES);
	if (!key_master_id_valid(h->key_master_id, strnlen(h->key_master_id, sizeof(h->key_master_id))))
		return err_set(CER_ERR_USAGE, "malformed key master id");
	if (!kdf_params_in_bounds(h->opslimit, h->memlimit))
		return err_set(CER_ERR_USAGE, "Argon2id parameters opslimit %u, memlimit %u outside %u..%u, %u..%u",
		               h->opslimit, h->memlimit, SHAREFILE_OPSLIMIT_MIN, SHAREFILE_OPSLIMIT_MAX,
		               SHAREFILE_MEMLIMIT_MIN, SHAREFILE_MEMLIMIT_MAX);
	if (!shamir_scalar_is_canonical(share) || sodium_is_zero(share, SHAMIR_SCALAR_BYTES))
		return err_set(CER_ERR_USAGE, "share %u is not a canonical nonzero scalar", h->share_index);
	if ((r = check_passphrase_len(passphrase_len)) != 0)
		return r;
	if (strlen(path) >= sizeof(dir))
		return err_set(CER_ERR_USAGE, "%s: path too long", path);

	/* Created first, so that an existing file is refused before a second of key derivation. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return err_set(CER_ERR_REFUSED, "%s: already exists (a share file is never overwritten)", path);
		return err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	}
	created = 1;
	if (fchmod(fd, 0600) != 0) { /* whatever the umask */
		r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	key = sodium_malloc(SHAREFILE_KEY_BYTES);
	if (key == NULL) {
		r = err_set(CER_ERR_NOMEM, "out of secure memory");
		goto out;
	}
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if ((r = derive_key(key, passphrase, passphrase_len, salt, h->opslimit, h->memlimit)) != 0 ||
	    (r = encode(&bytes, h, salt, nonce, key, share)) != 0) {
		err_context(r, "%s", path);
		goto out;
	}
	if (file_write_full(fd, bytes.data, bytes.len) != 0 || fsync(fd) != 0) {
		r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	memcpy(dir, path, strlen(path) + 1);
	r = file_sync_dir(dirname(dir));
out:
	if (fd >= 0)
		close(fd);
	if (r != 0 && created)
		unlink(path);
	sodium_free(key);
	buf_free(&bytes);
	return r;
}

int sharefile_read(const char *path, const uint8_t expected_vault_id[SHAREFILE_VAULT_ID_BYTES], const char *passphrase,
                   size_t passphrase_len, struct sharefile_header *out, uint8_t *share_out)
{
	struct buf bytes = buf_make(SHAREFILE_MAX_BYTES);
	struct sharefile_parsed p;
	uint8_t *key = NULL, *share = NULL;
	unsigned long long share_len = 0;
	char hex_got[2 * 8 + 1], hex_want[2 * 8 + 1];
	int r;

	if ((r = check_passphrase_len(passphrase_len)) != 0)
		return r;
	if ((r = file_read_all(path, SHAREFILE_MAX_BYTES, &bytes)) != 0)
		goto out;
	if ((r = parse(bytes.data, bytes.len, &p)) != 0) {
		err_context(r, "%s", path);
		goto out;
	}
	/* Before any cryptography: the vault is a public fact of the file. */
	if (sodium_memcmp(p.header.vault_id, expected_vault_id, SHAREFILE_VAULT_ID_BYTES) != 0) {
		hex_encode(p.header.vault_id, 8, hex_got);
		hex_encode(expected_vault_id, 8, hex_want);
		r = err_set(CER_ERR_REFUSED, "%s: a share file of another vault (vault id %s..., expected %s...)", path,
		            hex_got, hex_want);
		goto out;
	}
	if (!kdf_params_in_bounds(p.header.opslimit, p.header.memlimit)) {
		r = err_set(CER_ERR_UNSUPPORTED,
		            "%s: Argon2id parameters out of bounds (opslimit %u, memlimit %u; allowed %u..%u, %u..%u)",
		            path, p.header.opslimit, p.header.memlimit, SHAREFILE_OPSLIMIT_MIN, SHAREFILE_OPSLIMIT_MAX,
		            SHAREFILE_MEMLIMIT_MIN, SHAREFILE_MEMLIMIT_MAX);
		goto out;
	}
	key = sodium_malloc(SHAREFILE_KEY_BYTES);
	share = sodium_malloc(SHAMIR_SCALAR_BYTES);
	if (key == NULL || share == NULL) {
		r = err_set(CER_ERR_NOMEM, "out of secure memory");
		goto out;
	}
	if ((r = derive_key(key, passphrase, passphrase_len, p.salt, p.header.opslimit, p.header.memlimit)) != 0) {
		err_context(r, "%s", path);
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(share, &share_len, NULL, p.ciphertext,
	                                               SHAREFILE_CIPHERTEXT_BYTES, bytes.data, p.aad_len, p.nonce,
	                                               key) != 0 ||
	    share_len != SHAMIR_SCALAR_BYTES) {
		r = err_set(CER_ERR_VERIFY, "%s: wrong passphrase or corrupted share file", path);
		goto out;
	}
	if (!shamir_scalar_is_canonical(share) || sodium_is_zero(share, SHAMIR_SCALAR_BYTES)) {
		r = err_set(CER_ERR_FORMAT, "%s: the decrypted share is not a canonical nonzero scalar", path);
		goto out;
	}
	memcpy(share_out, share, SHAMIR_SCALAR_BYTES);
	*out = p.header;
out:
	sodium_free(key);
	sodium_free(share);
	buf_free(&bytes);
	return r;
}
