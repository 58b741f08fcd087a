#include "common/sshkey.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"

#define PRIVATE_KEY_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define PRIVATE_KEY_END "-----END OPENSSH PRIVATE KEY-----"
#define PRIVATE_KEY_MAGIC "openssh-key-v1" /* followed by a NUL byte */
#define PRIVATE_KEY_FILE_MAX 16384
#define PRIVATE_KEY_BLOCK 8 /* cipher "none" pads the private section to 8 bytes */
#define KEY_TYPE_MAX 64
#define COMMENT_MAX 1024

int sshkey_public_from_blob(struct sshkey_public *out, const uint8_t *blob, size_t len)
{
	struct cursor c = cursor_make(blob, len);
	const uint8_t *type, *key;
	size_t type_len, key_len;
	int r;

	if ((r = cursor_get_text(&c, KEY_TYPE_MAX, &type, &type_len)) != 0)
		return err_context(r, "public key");
	if (!bytes_equal_cstring(type, type_len, SSHKEY_ED25519_NAME))
		return err_set(CER_ERR_UNSUPPORTED, "unsupported key type \"%.*s\" (only ssh-ed25519)", (int)type_len,
		               (const char *)type);
	if ((r = cursor_get_string(&c, SSHKEY_ED25519_PUBLIC_BYTES, &key, &key_len)) != 0)
		return err_context(r, "public key");
	if (key_len != SSHKEY_ED25519_PUBLIC_BYTES)
		return err_set(CER_ERR_FORMAT, "public key: Ed25519 key of %zu bytes (expected 32)", key_len);
	if ((r = cursor_expect_end(&c)) != 0)
		return err_context(r, "public key");
	memcpy(out->ed25519, key, SSHKEY_ED25519_PUBLIC_BYTES);
	return 0;
}

void sshkey_public_to_blob(const struct sshkey_public *key, uint8_t out[SSHKEY_ED25519_BLOB_BYTES])
{
	static const uint8_t prefix[] = {0,   0,   0,   11,  's', 's', 'h', '-', 'e', 'd',
	                                 '2', '5', '5', '1', '9', 0,   0,   0,   32};

	memcpy(out, prefix, sizeof(prefix));
	memcpy(out + sizeof(prefix), key->ed25519, SSHKEY_ED25519_PUBLIC_BYTES);
}

/* Split off the next run of non-blank characters of [*p, end). */
static int next_word(const char **p, const char *end, const char **word, size_t *word_len)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*word = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*word_len = (size_t)(s - *word);
	*p = s;
	return *word_len > 0;
}

/* Parse "keytype base64 [comment]" starting at *p; *p is left after the key. */
static int parse_key_words(struct sshkey_public *out, const char **p, const char *end)
{
	struct buf blob = buf_make(1024);
	const char *type, *b64;
	size_t type_len, b64_len;
	int r;

	if (!next_word(p, end, &type, &type_len))
		return err_set(CER_ERR_FORMAT, "missing key type");
	if (type_len > KEY_TYPE_MAX || memchr(type, '\0', type_len) != NULL)
		return err_set(CER_ERR_FORMAT, "malformed key type");
	if (!bytes_equal_cstring((const uint8_t *)type, type_len, SSHKEY_ED25519_NAME))
		return err_set(CER_ERR_UNSUPPORTED, "unsupported key type \"%.*s\" (only ssh-ed25519)", (int)type_len,
		               type);
	if (!next_word(p, end, &b64, &b64_len))
		return err_set(CER_ERR_FORMAT, "missing base64 key after the key type");
	if ((r = base64_decode(b64, b64_len, NULL, &blob)) != 0) {
		buf_free(&blob);
		return err_set(CER_ERR_FORMAT, "key is not valid base64");
	}
	/* The blob names its own type: a line that says one type and carries another is malformed, not
	 * "unsupported", whatever the blob's type is. */
	{
		struct cursor c = cursor_make(blob.data, blob.len);
		const uint8_t *blob_type = NULL;
		size_t blob_type_len = 0;
		if (cursor_get_text(&c, KEY_TYPE_MAX, &blob_type, &blob_type_len) == 0 &&
		    !bytes_equal_cstring(blob_type, blob_type_len, SSHKEY_ED25519_NAME)) {
			r = err_set(CER_ERR_FORMAT, "key type \"%.*s\" does not match the key blob's type \"%.*s\"",
			            (int)type_len, type, (int)blob_type_len, (const char *)blob_type);
			buf_free(&blob);
			return r;
		}
	}
	r = sshkey_public_from_blob(out, blob.data, blob.len);
	buf_free(&blob);
	return r;
}

/* A line may end in "\n" (or "\r\n"), and must not contain another line break or a NUL byte. */
static int check_single_line(const char *line, size_t *len)
{
	if (*len > SSHKEY_LINE_MAX)
		return err_set(CER_ERR_FORMAT, "line longer than %d bytes", SSHKEY_LINE_MAX);
	if (*len > 0 && line[*len - 1] == '\n')
		(*len)--;
	if (*len > 0 && line[*len - 1] == '\r')
		(*len)--;
	if (memchr(line, '\n', *len) != NULL || memchr(line, '\r', *len) != NULL || memchr(line, '\0', *len) != NULL)
		return err_set(CER_ERR_FORMAT, "more than one line, or a NUL byte");
	return 0;
}

int sshkey_public_parse_line(struct sshkey_public *out, const char *line, size_t len)
{
	const char *p = line;
	int r;

	if ((r = check_single_line(line, &len)) != 0)
		return r;
	return parse_key_words(out, &p, line + len);
}

int sshkey_public_format_line(const struct sshkey_public *key, struct buf *out)
{
	uint8_t blob[SSHKEY_ED25519_BLOB_BYTES];
	int r;

	sshkey_public_to_blob(key, blob);
	if ((r = buf_append_str(out, SSHKEY_ED25519_NAME " ")) != 0)
		return r;
	return base64_append(out, blob, sizeof(blob));
}

void sshkey_fingerprint(const struct sshkey_public *key, uint8_t out[32])
{
	uint8_t blob[SSHKEY_ED25519_BLOB_BYTES];

	sshkey_public_to_blob(key, blob);
	sha256_digest(blob, sizeof(blob), out);
}

void sshkey_fingerprint_text(const struct sshkey_public *key, char out[SSHKEY_FINGERPRINT_CHARS + 1])
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	uint8_t digest[32];

	sshkey_fingerprint(key, digest);
	sodium_bin2base64(b64, sizeof(b64), digest, sizeof(digest), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	memcpy(out, "SHA256:", 7);
	memcpy(out + 7, b64, sizeof(b64)); /* 43 characters and the NUL */
}

int sshkey_public_equal(const struct sshkey_public *a, const struct sshkey_public *b)
{
	return memcmp(a->ed25519, b->ed25519, SSHKEY_ED25519_PUBLIC_BYTES) == 0;
}

/* ---- allowed_signers ---- */

static char *dup_range(const char *s, size_t len)
{
	char *d = malloc(len + 1);
	if (d != NULL) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/* Options are comma-separated; a quoted value may contain commas. We accept namespaces="..." only. */
static int parse_signer_options(struct allowed_signer *entry, const char *opts, size_t len)
{
	const char *p = opts, *end = opts + len;

	while (p < end) {
		const char *start = p;
		int quoted = 0;
		while (p < end && (quoted || *p != ',')) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		if (quoted)
			return err_set(CER_ERR_FORMAT, "unterminated quote in options");
		size_t opt_len = (size_t)(p - start);
		if (opt_len > 12 && strncasecmp(start, "namespaces=\"", 12) == 0 && start[opt_len - 1] == '"') {
			if (entry->namespaces != NULL)
				return err_set(CER_ERR_FORMAT, "namespaces option given twice");
			entry->namespaces = dup_range(start + 12, opt_len - 13);
			if (entry->namespaces == NULL)
				return err_set(CER_ERR_NOMEM, "out of memory");
		} else {
			return err_set(CER_ERR_UNSUPPORTED, "unsupported option \"%.*s\"", (int)opt_len, start);
		}
		if (p < end)
			p++; /* the comma */
	}
	return 0;
}

static int parse_signer_line(struct allowed_signer *entry, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *principals, *word;
	size_t principals_len, word_len;
	int r;

	if (!next_word(&p, end, &principals, &principals_len))
		return err_set(CER_ERR_FORMAT, "missing principals");
	/* The next word is either options or the key type. */
	const char *after_principals = p;
	if (!next_word(&p, end, &word, &word_len))
		return err_set(CER_ERR_FORMAT, "missing key");
	if (!bytes_equal_cstring((const uint8_t *)word, word_len, SSHKEY_ED25519_NAME) &&
	    memchr(word, '=', word_len) != NULL) {
		/* Options may contain quoted blanks: re-scan up to the closing quote. */
		const char *q = word;
		int quoted = 0;
		while (q < end && (quoted || (*q != ' ' && *q != '\t'))) {
			if (*q == '"')
				quoted = !quoted;
			q++;
		}
		if ((r = parse_signer_options(entry, word, (size_t)(q - word))) != 0)
			return r;
		p = q;
	} else if (strncasecmp(word, "cert-authority", word_len) == 0 && word_len == 14) {
		return err_set(CER_ERR_UNSUPPORTED, "cert-authority is not supported");
	} else {
		p = after_principals;
	}
	if ((r = parse_key_words(&entry->key, &p, end)) != 0)
		return r;
	entry->principals = dup_range(principals, principals_len);
	if (entry->principals == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	return 0;
}

int allowed_signers_parse(struct allowed_signers **out, const char *text, size_t len)
{
	struct allowed_signers *list = NULL;
	const char *p = text, *end = text + len;
	unsigned line_no = 0;
	int r = 0;

	*out = NULL;
	if (memchr(text, '\0', len) != NULL)
		return err_set(CER_ERR_FORMAT, "NUL byte in allowed signers");
	list = calloc(1, sizeof(*list));
	if (list == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end, *s = p;
		size_t line_len = (size_t)(line_end - p);

		line_no++;
		if (line_len > SSHKEY_LINE_MAX) {
			r = err_set(CER_ERR_FORMAT, "line %u: longer than %d bytes", line_no, SSHKEY_LINE_MAX);
			goto out;
		}
		if (line_len > 0 && p[line_len - 1] == '\r')
			line_len--;
		while (s < p + line_len && (*s == ' ' || *s == '\t'))
			s++;
		if (s < p + line_len && *s != '#') {
			struct allowed_signer *grown = realloc(list->entries, (list->count + 1) * sizeof(*grown));
			if (grown == NULL) {
				r = err_set(CER_ERR_NOMEM, "out of memory");
				goto out;
			}
			list->entries = grown;
			memset(&list->entries[list->count], 0, sizeof(*grown));
			list->entries[list->count].line = line_no;
			list->count++;
			if ((r = parse_signer_line(&list->entries[list->count - 1], s, line_len - (size_t)(s - p))) !=
			    0) {
				err_context(r, "line %u", line_no);
				goto out;
			}
		}
		p = nl ? nl + 1 : end;
	}
	*out = list;
	list = NULL;
out:
	allowed_signers_free(list);
	return r;
}

void allowed_signers_free(struct allowed_signers *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++) {
		free(list->entries[i].principals);
		free(list->entries[i].namespaces);
	}
	free(list->entries);
	free(list);
}

/* ---- private keys ---- */

void sshkey_private_free(struct sshkey_private *key)
{
	if (key == NULL)
		return;
	sodium_free(key->secret); /* sodium_free wipes before releasing */
	free(key->comment);
	free(key);
}

static int private_new(struct sshkey_private **out)
{
	struct sshkey_private *key = calloc(1, sizeof(*key));

	*out = NULL;
	if (key == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	key->secret = sodium_malloc(SSHKEY_ED25519_SECRET_BYTES);
	if (key->secret == NULL) {
		free(key);
		return err_set(CER_ERR_NOMEM, "cannot allocate secure memory");
	}
	*out = key;
	return 0;
}

/* Decode the armored file into the binary openssh-key-v1 structure. */
static int private_dearmor(const uint8_t *text, size_t len, struct buf *bin)
{
	const char *s = (const char *)text, *end = s + len, *body, *body_end;
	size_t begin_len = strlen(PRIVATE_KEY_BEGIN);

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	if ((size_t)(end - s) < begin_len || memcmp(s, PRIVATE_KEY_BEGIN, begin_len) != 0) {
		if ((size_t)(end - s) >= 11 && memcmp(s, "-----BEGIN ", 11) == 0)
			return err_set(CER_ERR_UNSUPPORTED,
			               "not an OpenSSH-format private key (PEM keys are not supported; "
			               "convert with ssh-keygen -p -f KEY)");
		return err_set(CER_ERR_FORMAT, "not an OpenSSH private key (missing %s)", PRIVATE_KEY_BEGIN);
	}
	body = s + begin_len;
	body_end = memmem(body, (size_t)(end - body), PRIVATE_KEY_END, strlen(PRIVATE_KEY_END));
	if (body_end == NULL)
		return err_set(CER_ERR_FORMAT, "truncated private key (missing %s)", PRIVATE_KEY_END);
	for (s = body_end + strlen(PRIVATE_KEY_END); s < end; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return err_set(CER_ERR_FORMAT, "trailing data after %s", PRIVATE_KEY_END);
	if (base64_decode(body, (size_t)(body_end - body), " \t\r\n", bin) != 0)
		return err_set(CER_ERR_FORMAT, "private key is not valid base64");
	return 0;
}

static int private_parse_section(struct sshkey_private *key, struct cursor *c)
{
	const uint8_t *pub, *sec, *comment, *pad;
	size_t pub_len, sec_len, comment_len;
	uint32_t check1, check2;
	int r;

	if ((r = cursor_get_u32(c, &check1)) != 0 || (r = cursor_get_u32(c, &check2)) != 0)
		return r;
	if (check1 != check2)
		return err_set(CER_ERR_FORMAT, "private section check numbers differ (corrupt key)");
	if ((r = cursor_expect_cstring(c, SSHKEY_ED25519_NAME)) != 0)
		return err_set(CER_ERR_UNSUPPORTED, "private key is not ssh-ed25519");
	if ((r = cursor_get_string(c, 64, &pub, &pub_len)) != 0)
		return r;
	if ((r = cursor_get_string(c, 128, &sec, &sec_len)) != 0)
		return r;
	if (pub_len != SSHKEY_ED25519_PUBLIC_BYTES || sec_len != SSHKEY_ED25519_SECRET_BYTES)
		return err_set(CER_ERR_FORMAT, "Ed25519 key of the wrong length");
	if (sodium_memcmp(sec + 32, pub, 32) != 0 || sodium_memcmp(pub, key->public_key.ed25519, 32) != 0)
		return err_set(CER_ERR_FORMAT, "public and private halves of the key do not match");
	/* The public half must also be the one the seed derives, or a corrupt seed would sign with a key
	 * nobody can verify. The derived secret lands in key->secret (secure memory) and is kept. */
	{
		uint8_t derived[SSHKEY_ED25519_PUBLIC_BYTES];
		crypto_sign_ed25519_seed_keypair(derived, key->secret, sec);
		if (sodium_memcmp(derived, pub, SSHKEY_ED25519_PUBLIC_BYTES) != 0 ||
		    sodium_memcmp(key->secret, sec, SSHKEY_ED25519_SECRET_BYTES) != 0)
			return err_set(CER_ERR_FORMAT, "public and private halves of the key do not match");
	}
	if ((r = cursor_get_text(c, COMMENT_MAX, &comment, &comment_len)) != 0)
		return r;
	/* Padding is 1, 2, 3, ... up to the block size; anything else is a corrupt file. */
	if (c->left >= PRIVATE_KEY_BLOCK)
		return err_set(CER_ERR_FORMAT, "private section has %zu trailing bytes", c->left);
	if ((r = cursor_get_bytes(c, c->left, &pad)) != 0)
		return r;
	for (size_t i = 0; pad + i < c->p; i++)
		if (pad[i] != (uint8_t)(i + 1))
			return err_set(CER_ERR_FORMAT, "bad padding in the private section");
	key->comment = dup_range((const char *)comment, comment_len);
	if (key->comment == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	return 0;
}

int sshkey_private_parse(struct sshkey_private **out, const uint8_t *text, size_t len)
{
	struct sshkey_private *key = NULL;
	struct buf bin = buf_make(PRIVATE_KEY_FILE_MAX);
	const uint8_t *magic, *cipher, *kdf, *kdfopts, *pubblob, *section;
	size_t cipher_len, kdf_len, kdfopts_len, pubblob_len, section_len;
	struct cursor c, sc;
	uint32_t nkeys;
	int r;

	*out = NULL;
	if ((r = private_dearmor(text, len, &bin)) != 0)
		goto out;
	c = cursor_make(bin.data, bin.len);
	if ((r = cursor_get_bytes(&c, sizeof(PRIVATE_KEY_MAGIC), &magic)) != 0 ||
	    memcmp(magic, PRIVATE_KEY_MAGIC, sizeof(PRIVATE_KEY_MAGIC)) != 0) {
		r = err_set(CER_ERR_FORMAT, "bad magic (not openssh-key-v1)");
		goto out;
	}
	if ((r = cursor_get_text(&c, 64, &cipher, &cipher_len)) != 0 ||
	    (r = cursor_get_text(&c, 64, &kdf, &kdf_len)) != 0 ||
	    (r = cursor_get_string(&c, 1024, &kdfopts, &kdfopts_len)) != 0)
		goto out;
	if (!bytes_equal_cstring(cipher, cipher_len, "none") || !bytes_equal_cstring(kdf, kdf_len, "none")) {
		r = err_set(CER_ERR_UNSUPPORTED,
		            "the key is encrypted with a passphrase; load it into ssh-agent (ssh-add) and "
		            "use KEY = agent:<comment or SHA256 fingerprint>");
		goto out;
	}
	if (kdfopts_len != 0) {
		r = err_set(CER_ERR_FORMAT, "unencrypted key with KDF options");
		goto out;
	}
	if ((r = cursor_get_u32(&c, &nkeys)) != 0)
		goto out;
	if (nkeys != 1) {
		r = err_set(CER_ERR_UNSUPPORTED, "file holds %u keys (expected exactly one)", nkeys);
		goto out;
	}
	if ((r = cursor_get_string(&c, 1024, &pubblob, &pubblob_len)) != 0 ||
	    (r = cursor_get_string(&c, 4096, &section, &section_len)) != 0 || (r = cursor_expect_end(&c)) != 0)
		goto out;
	if ((r = private_new(&key)) != 0)
		goto out;
	if ((r = sshkey_public_from_blob(&key->public_key, pubblob, pubblob_len)) != 0)
		goto out;
	sc = cursor_make(section, section_len);
	if ((r = private_parse_section(key, &sc)) != 0)
		goto out;
	sodium_mprotect_readonly(key->secret);
	*out = key;
	key = NULL; /* transferred */
out:
	buf_wipe_free(&bin);
	sshkey_private_free(key);
	return r;
}

int sshkey_private_load(struct sshkey_private **out, const char *path)
{
	struct buf text = buf_make(PRIVATE_KEY_FILE_MAX * 2);
	int r;

	*out = NULL;
	if ((r = file_read_all(path, text.limit, &text)) != 0) {
		buf_wipe_free(&text); /* a partial read of a key file is still key material */
		return r; /* the message already names the path */
	}
	r = sshkey_private_parse(out, text.data, text.len);
	buf_wipe_free(&text);
	if (r != 0)
		return err_context(r, "%s", path);
	return 0;
}

int sshkey_private_generate(struct sshkey_private **out, const char *comment)
{
	struct sshkey_private *key = NULL;
	int r;

	*out = NULL;
	if ((r = private_new(&key)) != 0)
		return r;
	crypto_sign_ed25519_keypair(key->public_key.ed25519, key->secret);
	sodium_mprotect_readonly(key->secret);
	key->comment = dup_range(comment, strlen(comment));
	if (key->comment == NULL) {
		sshkey_private_free(key);
		return err_set(CER_ERR_NOMEM, "out of memory");
	}
	*out = key;
	return 0;
}

int sshkey_private_format(const struct sshkey_private *key, struct buf *out)
{
	struct buf bin = buf_make(PRIVATE_KEY_FILE_MAX), section = buf_make(PRIVATE_KEY_FILE_MAX);
	uint8_t blob[SSHKEY_ED25519_BLOB_BYTES];
	uint32_t check;
	int r;

	sshkey_public_to_blob(&key->public_key, blob);
	randombytes_buf(&check, sizeof(check));
	if ((r = buf_put_u32(&section, check)) != 0 || (r = buf_put_u32(&section, check)) != 0 ||
	    (r = buf_put_cstring(&section, SSHKEY_ED25519_NAME)) != 0 ||
	    (r = buf_put_string(&section, key->public_key.ed25519, SSHKEY_ED25519_PUBLIC_BYTES)) != 0 ||
	    (r = buf_put_string(&section, key->secret, SSHKEY_ED25519_SECRET_BYTES)) != 0 ||
	    (r = buf_put_cstring(&section, key->comment)) != 0)
		goto out;
	for (uint8_t pad = 1; section.len % PRIVATE_KEY_BLOCK != 0; pad++)
		if ((r = buf_append(&section, &pad, 1)) != 0)
			goto out;
	if ((r = buf_append(&bin, PRIVATE_KEY_MAGIC, sizeof(PRIVATE_KEY_MAGIC))) != 0 ||
	    (r = buf_put_cstring(&bin, "none")) != 0 || (r = buf_put_cstring(&bin, "none")) != 0 ||
	    (r = buf_put_string(&bin, "", 0)) != 0 || (r = buf_put_u32(&bin, 1)) != 0 ||
	    (r = buf_put_string(&bin, blob, sizeof(blob))) != 0 ||
	    (r = buf_put_string(&bin, section.data, section.len)) != 0)
		goto out;
	{
		struct buf b64 = buf_make(PRIVATE_KEY_FILE_MAX * 2);
		if ((r = base64_append(&b64, bin.data, bin.len)) == 0 &&
		    (r = buf_append_str(out, PRIVATE_KEY_BEGIN "\n")) == 0) {
			for (size_t i = 0; i < b64.len && r == 0; i += 70) {
				size_t n = b64.len - i < 70 ? b64.len - i : 70;
				if ((r = buf_append(out, b64.data + i, n)) == 0)
					r = buf_append_str(out, "\n");
			}
			if (r == 0)
				r = buf_append_str(out, PRIVATE_KEY_END "\n");
		}
		buf_wipe_free(&b64);
	}
out:
	buf_wipe_free(&section);
	buf_wipe_free(&bin);
	return r;
}
