/* Test tool: the secret canary. Recover every secret of a vault the way only a quorum could (each
 * key master's share from their file and passphrase, the master secret, every live private key
 * decrypted from the keystore), then look for each of them, raw, as hex (either case) and as base64
 * (at each of the three byte alignments), in every file given. Exit 0 when none is found, 1 naming
 * the first file and secret found, 2 on error.
 *
 *   secret-canary [--plant FILE] VAULT_DIR SHARE_FILE PASSPHRASE_FILE [...] -- FILE...
 *
 * --plant writes the first secret, base64 at an odd alignment inside a line of text, to FILE first:
 * the test that the canary finds what it looks for.
 * It prints how many secrets and bytes it checked, so a test can tell a real scan from an empty one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/init.h"
#include "common/vault_identity.h"
#include "vault/keys.h"
#include "vault/keystore.h"
#include "vault/passphrase.h"
#include "vault/shamir.h"
#include "vault/sharefile.h"

#define SECRETS_MAX (SHAMIR_MAX_SHARES + 1 + KEYSTORE_ENTRIES_MAX)
#define FORMS 6 /* raw, hex, HEX, base64 at three alignments */

struct secret {
	char what[96];
	uint8_t *bytes; /* secure memory */
	size_t len;
	char *forms[FORMS]; /* the encodings, NUL-terminated (the raw form is bytes itself) */
};

static struct secret secrets[SECRETS_MAX];
static size_t secret_count;

static int add_secret(const char *what, const uint8_t *bytes, size_t len)
{
	struct secret *s = &secrets[secret_count];
	size_t b64_cap = sodium_base64_encoded_len(len + 2, sodium_base64_VARIANT_ORIGINAL);

	if (secret_count == SECRETS_MAX || (s->bytes = sodium_malloc(len + 2)) == NULL)
		return err_set(CER_ERR_NOMEM, "too many secrets");
	snprintf(s->what, sizeof(s->what), "%s", what);
	memcpy(s->bytes, bytes, len);
	s->len = len;
	for (int f = 1; f < FORMS; f++)
		if ((s->forms[f] = calloc(1, f < 3 ? 2 * len + 1 : b64_cap)) == NULL)
			return err_set(CER_ERR_NOMEM, "out of memory");
	hex_encode(bytes, len, s->forms[1]);
	for (size_t i = 0; i < 2 * len; i++)
		s->forms[2][i] = (char)(s->forms[1][i] >= 'a' ? s->forms[1][i] - 32 : s->forms[1][i]);
	for (int shift = 0; shift < 3; shift++) {
		/* Encode `shift` zero bytes then the secret; the characters from the 5th to the 5th-last
		 * depend on the secret alone, wherever it sits in a longer base64 text. */
		uint8_t *shifted = sodium_malloc(len + 2);
		char *full = calloc(1, b64_cap), *form = s->forms[3 + shift];
		size_t n;
		if (shifted == NULL || full == NULL)
			return err_set(CER_ERR_NOMEM, "out of memory");
		memset(shifted, 0, (size_t)shift);
		memcpy(shifted + shift, bytes, len);
		sodium_bin2base64(full, b64_cap, shifted, len + (size_t)shift, sodium_base64_VARIANT_ORIGINAL);
		n = strlen(full);
		memcpy(form, full + 4, n - 8);
		form[n - 8] = '\0';
		sodium_free(shifted);
		free(full);
	}
	secret_count++;
	return 0;
}

static int collect(const char *vault_dir, int pairs, char **args)
{
	struct vault_identity v;
	uint8_t *shares = sodium_malloc((size_t)SHAMIR_MAX_SHARES * 32), *master = sodium_malloc(32),
	        *kek = sodium_malloc(32), *der = sodium_malloc(VAULT_KEY_PRIVATE_DER_MAX);
	unsigned indexes[SHAMIR_MAX_SHARES];
	struct keystore_entries *list = NULL;
	char what[96];
	int r;

	if (shares == NULL || master == NULL || kek == NULL || der == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if ((r = vault_identity_read(vault_dir, &v)) != 0)
		return r;
	for (int i = 0; i < pairs; i++) {
		struct sharefile_header h;
		char *passphrase = NULL;
		size_t len = 0;
		if ((r = passphrase_read(NULL, args[2 * i + 1], &passphrase, &len)) != 0 ||
		    (r = sharefile_read(args[2 * i], v.id, passphrase, len, &h, shares + 32 * i)) != 0)
			return r;
		passphrase_free(passphrase);
		indexes[i] = h.share_index;
		snprintf(what, sizeof(what), "share %u of %s", h.share_index, h.key_master_id);
		if ((r = add_secret(what, shares + 32 * i, 32)) != 0)
			return r;
	}
	if ((r = shamir_combine_verified(&v.commitments, indexes, shares, (unsigned)pairs, master)) != 0 ||
	    (r = add_secret("the master secret", master, 32)) != 0 || (r = keystore_kek_derive(kek, master)) != 0 ||
	    (r = add_secret("the keystore's key-encryption key", kek, 32)) != 0 ||
	    (r = keystore_list(&list, vault_dir, kek)) != 0)
		return r;
	for (size_t i = 0; i < list->count; i++) {
		struct vault_key *key = NULL;
		size_t len = 0;
		if (list->entries[i].state != KEYSTORE_KEY_LIVE)
			continue;
		if ((r = keystore_get(vault_dir, kek, list->entries[i].label, &key)) != 0 ||
		    (r = vault_key_private_der(key, der, VAULT_KEY_PRIVATE_DER_MAX, &len)) != 0)
			return r;
		vault_key_free(key);
		snprintf(what, sizeof(what), "the private key %s (PKCS#8)", list->entries[i].label);
		if ((r = add_secret(what, der, len)) != 0)
			return r;
	}
	keystore_entries_free(list);
	sodium_free(shares);
	sodium_free(master);
	sodium_free(kek);
	sodium_free(der);
	return 0;
}

static const char *form_name[FORMS] = {"raw", "hex", "upper-case hex", "base64", "base64", "base64"};

/* A line of text with the first secret's base64 (at alignment 1) inside it. */
static int plant(const char *path)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "log: x%sx\n", secrets[0].forms[4]);

	return file_write_atomic(path, line, (size_t)n, 0600);
}

int main(int argc, char **argv)
{
	struct buf data = buf_make((size_t)1 << 30);
	size_t scanned = 0, files = 0;
	const char *plant_path = NULL;
	int sep = -1;

	if (argc > 3 && strcmp(argv[1], "--plant") == 0) {
		plant_path = argv[2];
		argc -= 2;
		argv += 2;
	}
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	if (argc < 4 || sep < 2 || (sep - 2) % 2 != 0 || ceremony_init() != 0) {
		fprintf(stderr, "usage: secret-canary VAULT_DIR SHARE PASSFILE [...] -- FILE...\n");
		return 2;
	}
	if (collect(argv[1], (sep - 2) / 2, argv + 2) != 0 || (plant_path != NULL && plant(plant_path) != 0)) {
		fprintf(stderr, "secret-canary: %s\n", err_message());
		return 2;
	}
	for (int i = sep + 1; i < argc; i++) {
		if (file_read_all(argv[i], data.limit, &data) != 0) {
			fprintf(stderr, "secret-canary: %s\n", err_message());
			buf_free(&data);
			return 2;
		}
		files++;
		scanned += data.len;
		for (size_t k = 0; k < secret_count; k++)
			for (int f = 0; f < FORMS; f++) {
				const void *needle = f == 0 ? (const void *)secrets[k].bytes : secrets[k].forms[f];
				size_t n = f == 0 ? secrets[k].len : strlen(secrets[k].forms[f]);
				if (data.len >= n && memmem(data.data, data.len, needle, n) != NULL) {
					printf("FOUND %s (%s) in %s\n", secrets[k].what, form_name[f], argv[i]);
					buf_free(&data);
					return 1;
				}
			}
	}
	printf("%zu secrets, %zu files, %zu bytes: none found\n", secret_count, files, scanned);
	buf_free(&data);
	return 0;
}
