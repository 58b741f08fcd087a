/* common/sshkey: public key lines, allowed_signers files and unencrypted private key files, checked
 * against what the stock ssh-keygen writes and reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/init.h"
#include "common/sshkey.h"
#include "helpers.h"

static char *dir;

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	dir = test_tmpdir("sshkey");
}

static void teardown(void)
{
	test_run("rm -rf '%s'", dir);
	free(dir);
	dir = NULL;
}

TestSuite(sshkey_public, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(allowed_signers, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(sshkey_private, .init = setup, .fini = teardown, .timeout = 60);

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

/* Make a key with ssh-keygen; returns the private key path (the .pub is beside it). */
static char *keygen(const char *name, const char *type, const char *passphrase, const char *comment)
{
	char *p = path_in(name);
	cr_assert_eq(test_run("ssh-keygen -q -t %s %s -N '%s' -C '%s' -f '%s' </dev/null >/dev/null", type,
	                      strcmp(type, "rsa") == 0 ? "-b 2048" : "", passphrase, comment, p),
	             0, "ssh-keygen -t %s failed", type);
	return p;
}

/* The .pub line of a key, without its newline. */
static char *pub_line(const char *key_path)
{
	char *pub = NULL, *text;
	size_t len = 0;

	cr_assert(asprintf(&pub, "%s.pub", key_path) > 0);
	text = test_read_file(pub, &len);
	free(pub);
	if (len > 0 && text[len - 1] == '\n')
		text[len - 1] = '\0';
	return text;
}

/* The base64 of a line's second word, re-encoded around a modified blob. */
static char *line_with_blob(const char *type, const uint8_t *blob, size_t len)
{
	struct buf b = buf_make(8192);
	char *s;

	cr_assert_eq(buf_printf(&b, "%s ", type), 0);
	cr_assert_eq(base64_append(&b, blob, len), 0);
	s = (char *)buf_steal(&b, NULL);
	return s;
}

/* ---- public key lines ---- */

Test(sshkey_public, parses_ssh_keygen_line_and_formats_it_back)
{
	char *key = keygen("alice", "ed25519", "", "alice@example");
	char *line = pub_line(key);
	struct sshkey_public pub;
	struct buf out = buf_make(1024);
	size_t words_len;

	cr_assert_eq(sshkey_public_parse_line(&pub, line, strlen(line)), 0, "%s", err_message());
	cr_assert_eq(sshkey_public_format_line(&pub, &out), 0);
	/* Our line is the .pub line without its comment. */
	words_len = (size_t)(strrchr(line, ' ') - line);
	cr_assert_eq(out.len, words_len);
	cr_assert_arr_eq(out.data, line, words_len);
	buf_free(&out);
	free(line);
	free(key);
}

Test(sshkey_public, fingerprint_matches_ssh_keygen_l)
{
	char *key = keygen("fp", "ed25519", "", "fp");
	char *line = pub_line(key), *fpfile = path_in("fp.txt"), *expected;
	char fp[SSHKEY_FINGERPRINT_CHARS + 1];
	struct sshkey_public pub;
	size_t len;

	cr_assert_eq(sshkey_public_parse_line(&pub, line, strlen(line)), 0, "%s", err_message());
	cr_assert_eq(test_run("ssh-keygen -l -E sha256 -f '%s.pub' | cut -d' ' -f2 | tr -d '\\n' > '%s'", key, fpfile),
	             0);
	expected = test_read_file(fpfile, &len);
	sshkey_fingerprint_text(&pub, fp);
	cr_assert_eq(strlen(fp), SSHKEY_FINGERPRINT_CHARS);
	cr_assert_str_eq(fp, expected);
	free(expected);
	free(fpfile);
	free(line);
	free(key);
}

Test(sshkey_public, accepts_newline_crlf_comment_and_blanks)
{
	char *key = keygen("nl", "ed25519", "", "a comment with spaces");
	char *line = pub_line(key), *variant = NULL;
	struct sshkey_public a, b;

	cr_assert_eq(sshkey_public_parse_line(&a, line, strlen(line)), 0, "%s", err_message());
	cr_assert(asprintf(&variant, "%s\n", line) > 0);
	cr_assert_eq(sshkey_public_parse_line(&b, variant, strlen(variant)), 0, "%s", err_message());
	cr_assert(sshkey_public_equal(&a, &b));
	free(variant);
	cr_assert(asprintf(&variant, "  %s\r\n", line) > 0);
	cr_assert_eq(sshkey_public_parse_line(&b, variant, strlen(variant)), 0, "%s", err_message());
	cr_assert(sshkey_public_equal(&a, &b));
	free(variant);
	free(line);
	free(key);
}

Test(sshkey_public, refuses_rsa_and_ecdsa_as_unsupported)
{
	char *rsa = keygen("rsa", "rsa", "", "rsa"), *ecdsa = keygen("ecdsa", "ecdsa", "", "ecdsa");
	char *rsa_line = pub_line(rsa), *ecdsa_line = pub_line(ecdsa);
	struct sshkey_public pub;

	assert_error(sshkey_public_parse_line(&pub, rsa_line, strlen(rsa_line)), CER_ERR_UNSUPPORTED,
	             "unsupported key type \"ssh-rsa\"");
	assert_error(sshkey_public_parse_line(&pub, ecdsa_line, strlen(ecdsa_line)), CER_ERR_UNSUPPORTED,
	             "ecdsa-sha2-nistp256");
	free(rsa_line);
	free(ecdsa_line);
	free(rsa);
	free(ecdsa);
}

Test(sshkey_public, refuses_bad_base64)
{
	struct sshkey_public pub;
	const char *lines[] = {
	        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI!invalid",
	        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA", /* unpadded / truncated */
	        "ssh-ed25519 ====",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_error(sshkey_public_parse_line(&pub, lines[i], strlen(lines[i])), CER_ERR_FORMAT,
		             "not valid base64");
	assert_error(sshkey_public_parse_line(&pub, "ssh-ed25519", 11), CER_ERR_FORMAT, "missing base64");
	assert_error(sshkey_public_parse_line(&pub, "ssh-ed25519   ", 14), CER_ERR_FORMAT, "missing base64");
	assert_error(sshkey_public_parse_line(&pub, "", 0), CER_ERR_FORMAT, "missing key type");
}

Test(sshkey_public, refuses_type_mismatch_between_line_and_blob)
{
	char *rsa = keygen("rsa", "rsa", "", "rsa"), *ed = keygen("ed", "ed25519", "", "ed");
	char *rsa_line = pub_line(rsa), *ed_line = pub_line(ed), *mixed = NULL;
	struct sshkey_public pub;

	/* The line says ssh-ed25519, the blob is an RSA key. */
	cr_assert(asprintf(&mixed, "ssh-ed25519 %s", strchr(rsa_line, ' ') + 1) > 0);
	assert_error(sshkey_public_parse_line(&pub, mixed, strlen(mixed)), CER_ERR_FORMAT, "does not match");
	cr_assert(strstr(err_message(), "ssh-rsa") != NULL, "%s", err_message());
	free(mixed);
	/* The line says ssh-rsa, the blob is an Ed25519 key: refused on the line's type. */
	cr_assert(asprintf(&mixed, "ssh-rsa %s", strchr(ed_line, ' ') + 1) > 0);
	assert_error(sshkey_public_parse_line(&pub, mixed, strlen(mixed)), CER_ERR_UNSUPPORTED, "ssh-rsa");
	free(mixed);
	free(rsa_line);
	free(ed_line);
	free(rsa);
	free(ed);
}

Test(sshkey_public, refuses_malformed_blobs)
{
	struct sshkey_private *key = NULL;
	uint8_t blob[SSHKEY_ED25519_BLOB_BYTES + 1];
	struct sshkey_public pub;
	char *line;

	cr_assert_eq(sshkey_private_generate(&key, "gen"), 0);
	sshkey_public_to_blob(&key->public_key, blob);
	cr_assert_eq(sshkey_public_from_blob(&pub, blob, SSHKEY_ED25519_BLOB_BYTES), 0, "%s", err_message());
	cr_assert(sshkey_public_equal(&pub, &key->public_key));

	/* A trailing byte. */
	blob[SSHKEY_ED25519_BLOB_BYTES] = 0;
	assert_error(sshkey_public_from_blob(&pub, blob, sizeof(blob)), CER_ERR_FORMAT, "trailing");
	line = line_with_blob("ssh-ed25519", blob, sizeof(blob));
	assert_error(sshkey_public_parse_line(&pub, line, strlen(line)), CER_ERR_FORMAT, "trailing");
	free(line);
	/* A key one byte short: the length field says 31. */
	blob[18] = 31;
	assert_error(sshkey_public_from_blob(&pub, blob, SSHKEY_ED25519_BLOB_BYTES - 1), CER_ERR_FORMAT,
	             "31 bytes (expected 32)");
	/* A key one byte long: the length field says 33, more than any Ed25519 key. */
	blob[18] = 33;
	assert_error(sshkey_public_from_blob(&pub, blob, sizeof(blob)), CER_ERR_FORMAT, "exceeds the maximum");
	/* Truncated. */
	blob[18] = 32;
	assert_error(sshkey_public_from_blob(&pub, blob, SSHKEY_ED25519_BLOB_BYTES - 1), CER_ERR_FORMAT, "truncated");
	assert_error(sshkey_public_from_blob(&pub, blob, 2), CER_ERR_FORMAT, "truncated");
	/* An embedded NUL in the type. */
	blob[6] = '\0';
	assert_error(sshkey_public_from_blob(&pub, blob, SSHKEY_ED25519_BLOB_BYTES), CER_ERR_FORMAT, "NUL");
	sshkey_private_free(key);
}

Test(sshkey_public, refuses_multiple_lines_nul_and_overlong)
{
	char *key = keygen("ml", "ed25519", "", "ml");
	char *line = pub_line(key), *two = NULL, *big;
	struct sshkey_public pub;
	size_t n;

	cr_assert(asprintf(&two, "%s\n%s\n", line, line) > 0);
	assert_error(sshkey_public_parse_line(&pub, two, strlen(two)), CER_ERR_FORMAT, "more than one line");
	n = strlen(line);
	line[5] = '\0';
	assert_error(sshkey_public_parse_line(&pub, line, n), CER_ERR_FORMAT, "NUL byte");
	big = malloc(SSHKEY_LINE_MAX + 2);
	memset(big, ' ', SSHKEY_LINE_MAX + 1);
	big[SSHKEY_LINE_MAX + 1] = '\0';
	assert_error(sshkey_public_parse_line(&pub, big, SSHKEY_LINE_MAX + 1), CER_ERR_FORMAT, "longer than 8192");
	free(big);
	free(two);
	free(line);
	free(key);
}

Test(sshkey_public, equal_and_fingerprint_differ_between_keys)
{
	struct sshkey_private *a = NULL, *b = NULL;
	char fa[SSHKEY_FINGERPRINT_CHARS + 1], fb[SSHKEY_FINGERPRINT_CHARS + 1];

	cr_assert_eq(sshkey_private_generate(&a, "a"), 0);
	cr_assert_eq(sshkey_private_generate(&b, "b"), 0);
	cr_assert(sshkey_public_equal(&a->public_key, &a->public_key));
	cr_assert_not(sshkey_public_equal(&a->public_key, &b->public_key));
	sshkey_fingerprint_text(&a->public_key, fa);
	sshkey_fingerprint_text(&b->public_key, fb);
	cr_assert_str_neq(fa, fb);
	cr_assert_eq(strncmp(fa, "SHA256:", 7), 0);
	sshkey_private_free(a);
	sshkey_private_free(b);
}

/* ---- allowed_signers ---- */

struct two_keys {
	char *alice, *bob; /* "ssh-ed25519 AAAA..." (no comment) */
	struct sshkey_public alice_key, bob_key;
};

static void two_keys(struct two_keys *k)
{
	char *a = keygen("alice", "ed25519", "", "alice"), *b = keygen("bob", "ed25519", "", "bob");
	char *la = pub_line(a), *lb = pub_line(b);

	cr_assert_eq(sshkey_public_parse_line(&k->alice_key, la, strlen(la)), 0);
	cr_assert_eq(sshkey_public_parse_line(&k->bob_key, lb, strlen(lb)), 0);
	*strrchr(la, ' ') = '\0';
	*strrchr(lb, ' ') = '\0';
	k->alice = la;
	k->bob = lb;
	free(a);
	free(b);
}

static void free_two_keys(struct two_keys *k)
{
	free(k->alice);
	free(k->bob);
}

Test(allowed_signers, parses_entries_options_comments_and_line_numbers)
{
	struct two_keys k;
	struct allowed_signers *list = NULL;
	char *text = NULL;

	two_keys(&k);
	cr_assert(asprintf(&text,
	                   "# ceremony roster\n"
	                   "\n"
	                   "alice@example.org %s alice's laptop\n"
	                   "   # indented comment\n"
	                   "bob@example.org,*@ops.example namespaces=\"git,ceremony-record@ceremony\" %s\r\n"
	                   "\t \n"
	                   "carol NAMESPACES=\"file\" %s",
	                   k.alice, k.bob, k.alice) > 0);
	cr_assert_eq(allowed_signers_parse(&list, text, strlen(text)), 0, "%s", err_message());
	cr_assert_not_null(list);
	cr_assert_eq(list->count, 3);
	cr_assert_str_eq(list->entries[0].principals, "alice@example.org");
	cr_assert_null(list->entries[0].namespaces);
	cr_assert_eq(list->entries[0].line, 3);
	cr_assert(sshkey_public_equal(&list->entries[0].key, &k.alice_key));
	cr_assert_str_eq(list->entries[1].principals, "bob@example.org,*@ops.example");
	cr_assert_str_eq(list->entries[1].namespaces, "git,ceremony-record@ceremony");
	cr_assert_eq(list->entries[1].line, 5);
	cr_assert(sshkey_public_equal(&list->entries[1].key, &k.bob_key));
	cr_assert_str_eq(list->entries[2].principals, "carol");
	cr_assert_str_eq(list->entries[2].namespaces, "file");
	cr_assert_eq(list->entries[2].line, 7);
	allowed_signers_free(list);
	allowed_signers_free(NULL);
	free(text);
	free_two_keys(&k);
}

Test(allowed_signers, quoted_namespaces_may_hold_blanks)
{
	struct two_keys k;
	struct allowed_signers *list = NULL;
	char *text = NULL;

	two_keys(&k);
	cr_assert(asprintf(&text, "p namespaces=\"a b,c\" %s\n", k.alice) > 0);
	cr_assert_eq(allowed_signers_parse(&list, text, strlen(text)), 0, "%s", err_message());
	cr_assert_eq(list->count, 1);
	cr_assert_str_eq(list->entries[0].namespaces, "a b,c");
	allowed_signers_free(list);
	free(text);
	free_two_keys(&k);
}

Test(allowed_signers, empty_and_comment_only)
{
	struct allowed_signers *list = NULL;
	const char *text = "# nothing\n\n   \n";

	cr_assert_eq(allowed_signers_parse(&list, text, strlen(text)), 0, "%s", err_message());
	cr_assert_eq(list->count, 0);
	allowed_signers_free(list);
	cr_assert_eq(allowed_signers_parse(&list, "", 0), 0, "%s", err_message());
	cr_assert_eq(list->count, 0);
	allowed_signers_free(list);
}

/* Parse `text`, expect refusal with `code` and both fragments in the message, and no list. */
static void assert_refused(const char *text, int code, const char *line_fragment, const char *fragment)
{
	struct allowed_signers *list = (struct allowed_signers *)1;

	assert_error(allowed_signers_parse(&list, text, strlen(text)), code, fragment);
	cr_assert(strstr(err_message(), line_fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(),
	          line_fragment);
	cr_assert_null(list);
}

Test(allowed_signers, refuses_rsa_naming_the_line)
{
	struct two_keys k;
	char *rsa = keygen("rsa", "rsa", "", "rsa");
	char *rsa_line = pub_line(rsa), *text = NULL;

	two_keys(&k);
	cr_assert(asprintf(&text, "# roster\nalice %s\ncarol %s\n", k.alice, rsa_line) > 0);
	assert_refused(text, CER_ERR_UNSUPPORTED, "line 3: ", "unsupported key type \"ssh-rsa\"");
	free(text);
	free(rsa_line);
	free(rsa);
	free_two_keys(&k);
}

Test(allowed_signers, refuses_cert_authority)
{
	struct two_keys k;
	char *text = NULL;

	two_keys(&k);
	cr_assert(asprintf(&text, "alice %s\n*@example.org cert-authority %s\n", k.alice, k.bob) > 0);
	assert_refused(text, CER_ERR_UNSUPPORTED, "line 2: ", "cert-authority is not supported");
	free(text);
	cr_assert(asprintf(&text, "*@example.org Cert-Authority %s\n", k.bob) > 0);
	assert_refused(text, CER_ERR_UNSUPPORTED, "line 1: ", "cert-authority");
	free(text);
	cr_assert(asprintf(&text, "\n*@example.org cert-authority,namespaces=\"git\" %s\n", k.bob) > 0);
	assert_refused(text, CER_ERR_UNSUPPORTED, "line 2: ", "cert-authority");
	free(text);
	free_two_keys(&k);
}

Test(allowed_signers, refuses_other_options)
{
	struct two_keys k;
	char *text = NULL;

	two_keys(&k);
	cr_assert(asprintf(&text, "alice valid-after=\"20240101\" %s\n", k.alice) > 0);
	assert_refused(text, CER_ERR_UNSUPPORTED, "line 1: ", "unsupported option \"valid-after=");
	free(text);
	cr_assert(asprintf(&text, "alice namespaces=\"git\",valid-before=\"2030\" %s\n", k.alice) > 0);
	assert_refused(text, CER_ERR_UNSUPPORTED, "line 1: ", "unsupported option");
	free(text);
	cr_assert(asprintf(&text, "alice namespaces=\"git\",namespaces=\"file\" %s\n", k.alice) > 0);
	assert_refused(text, CER_ERR_FORMAT, "line 1: ", "namespaces option given twice");
	free(text);
	cr_assert(asprintf(&text, "alice namespaces=\"git %s\n", k.alice) > 0);
	assert_refused(text, CER_ERR_FORMAT, "line 1: ", "unterminated quote");
	free(text);
	free_two_keys(&k);
}

Test(allowed_signers, refuses_broken_lines_naming_them)
{
	struct two_keys k;
	char *text = NULL;

	two_keys(&k);
	cr_assert(asprintf(&text, "alice %s\n\nbob ssh-ed25519 AAAA!!!!\n", k.alice) > 0);
	assert_refused(text, CER_ERR_FORMAT, "line 3: ", "not valid base64");
	free(text);
	cr_assert(asprintf(&text, "alice %s\nbob\n", k.alice) > 0);
	assert_refused(text, CER_ERR_FORMAT, "line 2: ", "missing key");
	free(text);
	cr_assert(asprintf(&text, "alice %s\nbob namespaces=\"git\"\n", k.alice) > 0);
	assert_refused(text, CER_ERR_FORMAT, "line 2: ", "missing key type");
	free(text);
	cr_assert(asprintf(&text, "alice ssh-ed25519\n") > 0);
	assert_refused(text, CER_ERR_FORMAT, "line 1: ", "missing base64");
	free(text);
	free_two_keys(&k);
}

Test(allowed_signers, refuses_nul_and_overlong_lines)
{
	struct allowed_signers *list = NULL;
	char text[] = "alice ssh-ed25519 AAAA\0BBBB\n";
	char *big = malloc(SSHKEY_LINE_MAX + 20);

	assert_error(allowed_signers_parse(&list, text, sizeof(text) - 1), CER_ERR_FORMAT, "NUL byte");
	cr_assert_null(list);
	memcpy(big, "# ok\n", 5);
	memset(big + 5, 'x', SSHKEY_LINE_MAX + 1);
	assert_error(allowed_signers_parse(&list, big, 5 + SSHKEY_LINE_MAX + 1), CER_ERR_FORMAT, "line 2: longer than");
	cr_assert_null(list);
	free(big);
}

/* ---- private keys ---- */

#define KEY_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define KEY_END "-----END OPENSSH PRIVATE KEY-----\n"

/* Offsets into the openssh-key-v1 binary of an unencrypted Ed25519 key (see PROTOCOL.key). */
#define OFF_NKEYS 35
#define OFF_SECTION 98 /* first byte of the private section, after its length */
#define OFF_CHECK2 (OFF_SECTION + 4)
#define OFF_KEYTYPE (OFF_SECTION + 8 + 4)
#define OFF_PUB (OFF_SECTION + 8 + 15 + 4)
#define OFF_SEED (OFF_PUB + 32 + 4)
#define OFF_PUBCOPY (OFF_SEED + 32)

static void private_decode(const char *text, size_t len, struct buf *bin)
{
	const char *body, *end;

	cr_assert(len > strlen(KEY_BEGIN) && memcmp(text, KEY_BEGIN, strlen(KEY_BEGIN)) == 0);
	body = text + strlen(KEY_BEGIN);
	end = strstr(body, "-----END");
	cr_assert_not_null(end);
	cr_assert_eq(base64_decode(body, (size_t)(end - body), "\n", bin), 0, "%s", err_message());
	cr_assert(memcmp(bin->data, "openssh-key-v1", 15) == 0);
	cr_assert(memcmp(bin->data + OFF_KEYTYPE, "ssh-ed25519", 11) == 0, "offsets match the layout");
}

static void private_encode(const struct buf *bin, struct buf *text)
{
	buf_reset(text);
	cr_assert_eq(buf_append_str(text, KEY_BEGIN), 0);
	cr_assert_eq(base64_append(text, bin->data, bin->len), 0);
	cr_assert_eq(buf_append_str(text, "\n" KEY_END), 0);
}

/* Load an ssh-keygen key, apply `edit` to its binary, re-armor it and parse it. */
static int parse_edited(void (*edit)(struct buf *bin))
{
	static int serial;
	char name[32];
	char *key, *text;
	size_t len = 0;
	struct buf bin = buf_make(1 << 16), armored = buf_make(1 << 16);
	struct sshkey_private *parsed = NULL;
	int r;

	snprintf(name, sizeof(name), "edit%d", serial++);
	key = keygen(name, "ed25519", "", "edit");
	text = test_read_file(key, &len);
	private_decode(text, len, &bin);
	/* Unedited, it parses. */
	private_encode(&bin, &armored);
	cr_assert_eq(sshkey_private_parse(&parsed, armored.data, armored.len), 0, "%s", err_message());
	sshkey_private_free(parsed);
	parsed = NULL;
	edit(&bin);
	private_encode(&bin, &armored);
	r = sshkey_private_parse(&parsed, armored.data, armored.len);
	if (r != 0)
		cr_assert_null(parsed);
	sshkey_private_free(parsed);
	buf_free(&bin);
	buf_free(&armored);
	free(text);
	free(key);
	return r;
}

Test(sshkey_private, loads_ssh_keygen_key)
{
	char *key = keygen("plain", "ed25519", "", "plain@example");
	char *line = pub_line(key);
	struct sshkey_private *priv = NULL;
	struct sshkey_public pub;
	uint8_t sig[64];

	cr_assert_eq(sshkey_private_load(&priv, key), 0, "%s", err_message());
	cr_assert_eq(sshkey_public_parse_line(&pub, line, strlen(line)), 0);
	cr_assert(sshkey_public_equal(&priv->public_key, &pub));
	cr_assert_str_eq(priv->comment, "plain@example");
	/* The secret signs for the public key. */
	cr_assert_eq(crypto_sign_ed25519_detached(sig, NULL, (const uint8_t *)"m", 1, priv->secret), 0);
	cr_assert_eq(crypto_sign_ed25519_verify_detached(sig, (const uint8_t *)"m", 1, pub.ed25519), 0);
	sshkey_private_free(priv);
	sshkey_private_free(NULL);
	free(line);
	free(key);
}

Test(sshkey_private, refuses_passphrase_key_pointing_to_agent)
{
	char *key = keygen("enc", "ed25519", "secret", "enc");
	struct sshkey_private *priv = (struct sshkey_private *)1;

	assert_error(sshkey_private_load(&priv, key), CER_ERR_UNSUPPORTED, "ssh-agent");
	cr_assert(strstr(err_message(), "passphrase") != NULL, "%s", err_message());
	cr_assert(strstr(err_message(), key) != NULL, "names the path: %s", err_message());
	cr_assert_null(priv);
	free(key);
}

Test(sshkey_private, refuses_rsa_private_key)
{
	char *key = keygen("rsa", "rsa", "", "rsa");
	struct sshkey_private *priv = NULL;

	assert_error(sshkey_private_load(&priv, key), CER_ERR_UNSUPPORTED, "ssh-rsa");
	cr_assert_null(priv);
	free(key);
}

Test(sshkey_private, refuses_pem_key)
{
	char *key = keygen("pem", "ecdsa", "", "pem");
	struct sshkey_private *priv = NULL;

	/* Rewrite it in the old PEM format. */
	cr_assert_eq(test_run("ssh-keygen -q -p -m PEM -N '' -P '' -f '%s' >/dev/null", key), 0);
	assert_error(sshkey_private_load(&priv, key), CER_ERR_UNSUPPORTED, "PEM keys are not supported");
	free(key);
}

Test(sshkey_private, refuses_missing_file_naming_it)
{
	char *p = path_in("no-such-key");
	struct sshkey_private *priv = NULL;

	assert_error(sshkey_private_load(&priv, p), CER_ERR_NOT_FOUND, p);
	free(p);
}

Test(sshkey_private, refuses_truncated_file)
{
	char *key = keygen("trunc", "ed25519", "", "trunc");
	size_t len = 0;
	char *text = test_read_file(key, &len);
	struct sshkey_private *priv = NULL;
	const char *end_marker = strstr(text, "-----END");
	char *cut = NULL;

	/* Cut in the middle: the END line is gone. */
	assert_error(sshkey_private_parse(&priv, (const uint8_t *)text, len / 2), CER_ERR_FORMAT, "truncated");
	cr_assert_null(priv);
	/* Lines of base64 missing, the END line kept. */
	cr_assert(asprintf(&cut, "%.*s%s", (int)(strchr(text, '\n') + 1 + 70 - text), text, end_marker) > 0);
	cr_assert_eq(sshkey_private_parse(&priv, (const uint8_t *)cut, strlen(cut)), CER_ERR_FORMAT, "%s",
	             err_message());
	cr_assert_null(priv);
	/* Only the BEGIN line. */
	assert_error(sshkey_private_parse(&priv, (const uint8_t *)text, strlen(KEY_BEGIN)), CER_ERR_FORMAT,
	             "missing -----END");
	/* Nothing at all. */
	assert_error(sshkey_private_parse(&priv, (const uint8_t *)"", 0), CER_ERR_FORMAT, "not an OpenSSH private key");
	free(cut);
	free(text);
	free(key);
}

Test(sshkey_private, refuses_corrupted_base64_and_trailing_data)
{
	char *key = keygen("corrupt", "ed25519", "", "corrupt");
	size_t len = 0;
	char *text = test_read_file(key, &len);
	struct sshkey_private *priv = NULL;
	char *more = NULL;

	text[strlen(KEY_BEGIN) + 10] = '*';
	assert_error(sshkey_private_parse(&priv, (const uint8_t *)text, len), CER_ERR_FORMAT, "not valid base64");
	free(text);
	text = test_read_file(key, &len);
	/* A NUL byte in place of a line break. */
	text[strlen(KEY_BEGIN) + 70] = '\0';
	assert_error(sshkey_private_parse(&priv, (const uint8_t *)text, len), CER_ERR_FORMAT, "not valid base64");
	cr_assert_null(priv);
	free(text);
	text = test_read_file(key, &len);
	cr_assert(asprintf(&more, "%s\nssh-ed25519 AAAA\n", text) > 0);
	assert_error(sshkey_private_parse(&priv, (const uint8_t *)more, strlen(more)), CER_ERR_FORMAT, "trailing data");
	free(more);
	cr_assert(asprintf(&more, "%s%s", text, text) > 0);
	assert_error(sshkey_private_parse(&priv, (const uint8_t *)more, strlen(more)), CER_ERR_FORMAT, "trailing data");
	free(more);
	/* Blank space around the armor is fine. */
	cr_assert(asprintf(&more, "\n  %s\n\n", text) > 0);
	cr_assert_eq(sshkey_private_parse(&priv, (const uint8_t *)more, strlen(more)), 0, "%s", err_message());
	sshkey_private_free(priv);
	free(more);
	free(text);
	free(key);
}

static void edit_magic(struct buf *bin)
{
	bin->data[0] = 'X';
}

static void edit_check2(struct buf *bin)
{
	bin->data[OFF_CHECK2] ^= 0x01;
}

static void edit_pub_copy(struct buf *bin)
{
	bin->data[OFF_PUBCOPY] ^= 0x01;
}

static void edit_section_pub(struct buf *bin)
{
	bin->data[OFF_PUB] ^= 0x01;
}

static void edit_seed(struct buf *bin)
{
	bin->data[OFF_SEED + 5] ^= 0x40;
}

static void edit_padding(struct buf *bin)
{
	/* The padding is the last bytes: 1, 2, 3, ...; spoil the last one. */
	cr_assert_lt(bin->data[bin->len - 1], 8, "the key has padding");
	bin->data[bin->len - 1] ^= 0x10;
}

static void edit_nkeys(struct buf *bin)
{
	bin->data[OFF_NKEYS + 3] = 2;
}

static void edit_trailing(struct buf *bin)
{
	cr_assert_eq(buf_append(bin, "\0", 1), 0);
}

static void edit_cipher(struct buf *bin)
{
	/* "none" -> "nonf": an unknown cipher is an encrypted key as far as we can tell. */
	bin->data[15 + 4 + 3] = 'f';
}

static void edit_truncate_section(struct buf *bin)
{
	bin->len -= 9;
}

Test(sshkey_private, refuses_structural_corruption)
{
	assert_error(parse_edited(edit_magic), CER_ERR_FORMAT, "bad magic");
	assert_error(parse_edited(edit_check2), CER_ERR_FORMAT, "check numbers differ");
	assert_error(parse_edited(edit_pub_copy), CER_ERR_FORMAT, "do not match");
	assert_error(parse_edited(edit_section_pub), CER_ERR_FORMAT, "do not match");
	assert_error(parse_edited(edit_padding), CER_ERR_FORMAT, "bad padding");
	assert_error(parse_edited(edit_nkeys), CER_ERR_UNSUPPORTED, "2 keys");
	assert_error(parse_edited(edit_trailing), CER_ERR_FORMAT, "trailing");
	assert_error(parse_edited(edit_cipher), CER_ERR_UNSUPPORTED, "ssh-agent");
	assert_error(parse_edited(edit_truncate_section), CER_ERR_FORMAT, "truncated");
}

Test(sshkey_private, refuses_seed_that_does_not_match_public_key)
{
	/* A flipped bit in the seed: the stored public halves still agree with each other, but not with
	 * the key the seed makes. Accepting it would produce signatures nobody can verify. */
	assert_error(parse_edited(edit_seed), CER_ERR_FORMAT, "do not match");
}

Test(sshkey_private, format_is_read_by_ssh_keygen)
{
	struct sshkey_private *key = NULL, *back = NULL;
	struct buf text = buf_make(1 << 16), expected = buf_make(1024);
	char *p = path_in("ours"), *out = path_in("ours.pub.check"), *got;
	size_t len = 0;
	struct stat st;

	cr_assert_eq(sshkey_private_generate(&key, "made-by-ceremony"), 0, "%s", err_message());
	cr_assert_eq(sshkey_private_format(key, &text), 0, "%s", err_message());
	cr_assert_eq(file_write_atomic(p, text.data, text.len, 0600), 0, "%s", err_message());
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(test_run("ssh-keygen -y -f '%s' > '%s' 2>/dev/null", p, out), 0, "ssh-keygen -y refused our key");
	got = test_read_file(out, &len);
	cr_assert_eq(sshkey_public_format_line(&key->public_key, &expected), 0);
	cr_assert_eq(buf_append_str(&expected, " made-by-ceremony\n"), 0);
	cr_assert_str_eq(got, (const char *)expected.data);
	/* And it reads back. */
	cr_assert_eq(sshkey_private_parse(&back, text.data, text.len), 0, "%s", err_message());
	cr_assert(sshkey_public_equal(&back->public_key, &key->public_key));
	cr_assert_str_eq(back->comment, "made-by-ceremony");
	cr_assert_arr_eq(back->secret, key->secret, SSHKEY_ED25519_SECRET_BYTES);
	sshkey_private_free(back);
	sshkey_private_free(key);
	buf_free(&text);
	buf_free(&expected);
	free(got);
	free(out);
	free(p);
}

Test(sshkey_private, format_then_ssh_keygen_signs_with_it)
{
	/* A file we wrote is a usable key for the stock tools: ssh-keygen -Y sign accepts it. */
	struct sshkey_private *key = NULL;
	struct buf text = buf_make(1 << 16);
	char *p = path_in("signkey"), *msg = path_in("msg");

	cr_assert_eq(sshkey_private_generate(&key, "c"), 0);
	cr_assert_eq(sshkey_private_format(key, &text), 0);
	test_write_file(p, text.data, text.len);
	test_write_file(msg, "hello", 5);
	cr_assert_eq(test_run("ssh-keygen -q -Y sign -f '%s' -n test '%s' >/dev/null 2>&1", p, msg), 0);
	sshkey_private_free(key);
	buf_free(&text);
	free(p);
	free(msg);
}

Test(sshkey_private, format_pads_for_every_comment_length)
{
	/* The padding depends on the comment length: check all eight residues round-trip and are read by
	 * ssh-keygen. */
	for (int n = 0; n < 8; n++) {
		struct sshkey_private *key = NULL, *back = NULL;
		struct buf text = buf_make(1 << 16);
		char comment[16];
		char *p = NULL;

		memset(comment, 'c', (size_t)n);
		comment[n] = '\0';
		cr_assert_eq(sshkey_private_generate(&key, comment), 0);
		cr_assert_eq(sshkey_private_format(key, &text), 0);
		cr_assert_eq(sshkey_private_parse(&back, text.data, text.len), 0, "comment length %d: %s", n,
		             err_message());
		cr_assert_str_eq(back->comment, comment);
		cr_assert(asprintf(&p, "%s/pad%d", dir, n) > 0);
		test_write_file(p, text.data, text.len);
		cr_assert_eq(test_run("ssh-keygen -y -f '%s' >/dev/null 2>&1", p), 0, "comment length %d", n);
		sshkey_private_free(back);
		sshkey_private_free(key);
		buf_free(&text);
		free(p);
	}
}
