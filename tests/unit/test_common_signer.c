/* common/signer and common/agent: key-file signers, the ssh-agent reply parsers on hostile input, and a
 * scripted fake agent for what a real one never does (lie, flood, hang up). The real ssh-agent is
 * exercised in test_common_sshsig.c. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "common/agent.h"
#include "common/error.h"
#include "common/init.h"
#include "common/signer.h"
#include "common/sshkey.h"
#include "helpers.h"

static char *dir;

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	dir = test_tmpdir("signer");
	unsetenv("SSH_AUTH_SOCK");
}

static void teardown(void)
{
	test_run("rm -rf '%s'", dir);
	free(dir);
	dir = NULL;
}

TestSuite(signer_file, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(agent_parse, .init = setup, .fini = teardown, .timeout = 60);

static void assert_error(int r, int code, const char *fragment)
{
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert(strstr(err_message(), fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

static char *keygen(const char *name, const char *passphrase, const char *comment)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	cr_assert_eq(test_run("ssh-keygen -q -t ed25519 -N '%s' -C '%s' -f '%s' </dev/null >/dev/null", passphrase,
	                      comment, p),
	             0);
	return p;
}

/* ---- key-file signers ---- */

Test(signer_file, opens_and_signs)
{
	char *key = keygen("alice", "", "alice@example");
	struct sshkey_private *loaded = NULL;
	struct signer *s = NULL;
	uint8_t sig[SSHKEY_ED25519_SIGNATURE_BYTES];

	cr_assert_eq(signer_open(&s, key), 0, "%s", err_message());
	cr_assert_str_eq(signer_name(s), key);
	cr_assert_eq(sshkey_private_load(&loaded, key), 0);
	cr_assert(sshkey_public_equal(signer_public_key(s), &loaded->public_key));
	cr_assert_eq(signer_sign(s, (const uint8_t *)"data", 4, sig), 0, "%s", err_message());
	cr_assert_eq(crypto_sign_ed25519_verify_detached(sig, (const uint8_t *)"data", 4, loaded->public_key.ed25519),
	             0);
	cr_assert_neq(crypto_sign_ed25519_verify_detached(sig, (const uint8_t *)"datb", 4, loaded->public_key.ed25519),
	              0);
	signer_free(s);
	signer_free(NULL);
	sshkey_private_free(loaded);
	free(key);
}

Test(signer_file, from_key_borrows)
{
	struct sshkey_private *key = NULL;
	struct signer *s = NULL;
	uint8_t sig[SSHKEY_ED25519_SIGNATURE_BYTES];

	cr_assert_eq(sshkey_private_generate(&key, "in-memory"), 0);
	cr_assert_eq(signer_from_key(&s, key), 0, "%s", err_message());
	cr_assert_str_eq(signer_name(s), "in-memory");
	cr_assert(sshkey_public_equal(signer_public_key(s), &key->public_key));
	cr_assert_eq(signer_sign(s, (const uint8_t *)"", 0, sig), 0);
	cr_assert_eq(crypto_sign_ed25519_verify_detached(sig, (const uint8_t *)"", 0, key->public_key.ed25519), 0);
	signer_free(s);
	/* The key is the caller's and still usable after the signer is gone. */
	cr_assert_eq(crypto_sign_ed25519_detached(sig, NULL, (const uint8_t *)"x", 1, key->secret), 0);
	sshkey_private_free(key);
}

Test(signer_file, missing_file_named)
{
	char *p = NULL;
	struct signer *s = (struct signer *)1;

	cr_assert(asprintf(&p, "%s/nope", dir) > 0);
	assert_error(signer_open(&s, p), CER_ERR_NOT_FOUND, p);
	cr_assert(strncmp(err_message(), p, strlen(p)) == 0, "the path comes first: %s", err_message());
	cr_assert_null(strstr(err_message() + strlen(p), p), "the path is named once: %s", err_message());
	cr_assert_null(s);
	free(p);
}

Test(signer_file, encrypted_key_refused_pointing_to_agent)
{
	char *key = keygen("enc", "secret", "enc");
	struct signer *s = NULL;

	assert_error(signer_open(&s, key), CER_ERR_UNSUPPORTED, "ssh-agent");
	cr_assert(strstr(err_message(), "agent:") != NULL, "says how to name the agent key: %s", err_message());
	cr_assert(strstr(err_message(), key) != NULL, "%s", err_message());
	free(key);
}

Test(signer_file, public_key_file_refused)
{
	char *key = keygen("pubonly", "", "pubonly"), *pub = NULL;
	struct signer *s = NULL;

	cr_assert(asprintf(&pub, "%s.pub", key) > 0);
	assert_error(signer_open(&s, pub), CER_ERR_FORMAT, "not an OpenSSH private key");
	free(pub);
	free(key);
}

Test(signer_file, agent_prefix_without_agent)
{
	struct signer *s = NULL;

	assert_error(signer_open(&s, "agent:alice"), CER_ERR_NOT_FOUND, "SSH_AUTH_SOCK");
	assert_error(signer_open(&s, "agent:"), CER_ERR_USAGE, "needs a key comment");
}

/* ---- agent reply parsers ---- */

static struct sshkey_private *k1, *k2;

static void parse_setup(void)
{
	setup();
	cr_assert_eq(sshkey_private_generate(&k1, "one"), 0);
	cr_assert_eq(sshkey_private_generate(&k2, "two"), 0);
}

static void parse_teardown(void)
{
	sshkey_private_free(k1);
	sshkey_private_free(k2);
	k1 = k2 = NULL;
	teardown();
}

TestSuite(agent_identities, .init = parse_setup, .fini = parse_teardown, .timeout = 60);
TestSuite(agent_sign_response, .init = parse_setup, .fini = parse_teardown, .timeout = 60);
TestSuite(fake_agent, .init = parse_setup, .fini = parse_teardown, .timeout = 60);

static void put_identity(struct buf *b, const struct sshkey_public *key, const char *comment)
{
	uint8_t blob[SSHKEY_ED25519_BLOB_BYTES];

	sshkey_public_to_blob(key, blob);
	cr_assert_eq(buf_put_string(b, blob, sizeof(blob)), 0);
	cr_assert_eq(buf_put_cstring(b, comment), 0);
}

/* An identities answer: k1 "one", a fake RSA key "rsa-key", k2 "two". */
static void identities_answer(struct buf *b)
{
	struct buf rsa = buf_make(256);
	uint8_t type = SSH2_AGENT_IDENTITIES_ANSWER;

	cr_assert_eq(buf_put_cstring(&rsa, "ssh-rsa"), 0);
	cr_assert_eq(buf_put_string(&rsa, "\x01\x00\x01", 3), 0);
	cr_assert_eq(buf_put_string(&rsa, "\x00\xc0\xff\xee", 4), 0);
	cr_assert_eq(buf_append(b, &type, 1), 0);
	cr_assert_eq(buf_put_u32(b, 3), 0);
	put_identity(b, &k1->public_key, "one");
	cr_assert_eq(buf_put_string(b, rsa.data, rsa.len), 0);
	cr_assert_eq(buf_put_cstring(b, "rsa-key"), 0);
	put_identity(b, &k2->public_key, "two");
	buf_free(&rsa);
}

Test(agent_identities, finds_by_comment_and_fingerprint)
{
	struct buf b = buf_make(4096);
	struct agent_identity id;
	char fp[SSHKEY_FINGERPRINT_CHARS + 1];

	identities_answer(&b);
	cr_assert_eq(agent_parse_identities(b.data, b.len, "two", &id), 0, "%s", err_message());
	cr_assert(sshkey_public_equal(&id.key, &k2->public_key));
	cr_assert_str_eq(id.comment, "two");
	sshkey_fingerprint_text(&k1->public_key, fp);
	cr_assert_eq(agent_parse_identities(b.data, b.len, fp, &id), 0, "%s", err_message());
	cr_assert(sshkey_public_equal(&id.key, &k1->public_key));
	cr_assert_str_eq(id.comment, "one");
	cr_assert_str_eq(err_message(), "", "a skipped RSA key leaves no stale message");
	buf_free(&b);
}

Test(agent_identities, non_ed25519_skipped_and_unknown_not_found)
{
	struct buf b = buf_make(4096);
	struct agent_identity id;

	identities_answer(&b);
	assert_error(agent_parse_identities(b.data, b.len, "rsa-key", &id), CER_ERR_NOT_FOUND, "\"rsa-key\"");
	assert_error(agent_parse_identities(b.data, b.len, "on", &id), CER_ERR_NOT_FOUND, "no Ed25519 key");
	assert_error(agent_parse_identities(b.data, b.len, "", &id), CER_ERR_NOT_FOUND, "no Ed25519 key");
	buf_free(&b);
}

Test(agent_identities, truncated_at_every_length)
{
	struct buf b = buf_make(4096);
	struct agent_identity id;

	identities_answer(&b);
	for (size_t n = 0; n < b.len; n++) {
		int r = agent_parse_identities(b.data, n, "two", &id);
		cr_assert_eq(r, CER_ERR_FORMAT, "prefix of %zu bytes: %d %s", n, r, err_message());
		cr_assert(strstr(err_message(), "truncated") != NULL, "prefix of %zu: %s", n, err_message());
	}
	buf_free(&b);
}

Test(agent_identities, trailing_bytes)
{
	struct buf b = buf_make(4096);
	struct agent_identity id;

	identities_answer(&b);
	cr_assert_eq(buf_append(&b, "\0", 1), 0);
	assert_error(agent_parse_identities(b.data, b.len, "two", &id), CER_ERR_FORMAT, "1 trailing bytes");
	buf_free(&b);
}

Test(agent_identities, failure_and_unexpected_types)
{
	uint8_t failure[] = {SSH_AGENT_FAILURE};
	uint8_t sign_response[] = {SSH2_AGENT_SIGN_RESPONSE, 0, 0, 0, 0};
	struct agent_identity id;

	assert_error(agent_parse_identities(failure, sizeof(failure), "x", &id), CER_ERR_REFUSED,
	             "ssh-agent refused to list its keys");
	assert_error(agent_parse_identities(sign_response, sizeof(sign_response), "x", &id), CER_ERR_FORMAT,
	             "unexpected reply type 14");
	assert_error(agent_parse_identities(NULL, 0, "x", &id), CER_ERR_FORMAT, "truncated");
}

Test(agent_identities, oversized_count)
{
	struct buf b = buf_make(4096);
	uint8_t type = SSH2_AGENT_IDENTITIES_ANSWER;
	struct agent_identity id;

	cr_assert_eq(buf_append(&b, &type, 1), 0);
	cr_assert_eq(buf_put_u32(&b, 1025), 0);
	assert_error(agent_parse_identities(b.data, b.len, "x", &id), CER_ERR_FORMAT, "1025 identities");
	buf_reset(&b);
	cr_assert_eq(buf_append(&b, &type, 1), 0);
	cr_assert_eq(buf_put_u32(&b, 0xffffffffu), 0);
	assert_error(agent_parse_identities(b.data, b.len, "x", &id), CER_ERR_FORMAT, "more than we accept");
	/* A count within the cap that the reply does not hold is a truncation. */
	buf_reset(&b);
	cr_assert_eq(buf_append(&b, &type, 1), 0);
	cr_assert_eq(buf_put_u32(&b, 1000), 0);
	put_identity(&b, &k1->public_key, "one");
	assert_error(agent_parse_identities(b.data, b.len, "one", &id), CER_ERR_FORMAT, "truncated");
	/* Fewer identities than the count claims... and more. */
	buf_reset(&b);
	cr_assert_eq(buf_append(&b, &type, 1), 0);
	cr_assert_eq(buf_put_u32(&b, 1), 0);
	put_identity(&b, &k1->public_key, "one");
	put_identity(&b, &k2->public_key, "two");
	assert_error(agent_parse_identities(b.data, b.len, "one", &id), CER_ERR_FORMAT, "trailing bytes");
	buf_free(&b);
}

Test(agent_identities, oversized_strings)
{
	struct buf b = buf_make(64);
	uint8_t type = SSH2_AGENT_IDENTITIES_ANSWER;
	struct agent_identity id;

	cr_assert_eq(buf_append(&b, &type, 1), 0);
	cr_assert_eq(buf_put_u32(&b, 1), 0);
	cr_assert_eq(buf_put_u32(&b, 0x7fffffffu), 0); /* a key blob "of 2 GiB" */
	assert_error(agent_parse_identities(b.data, b.len, "x", &id), CER_ERR_FORMAT, "exceeds the maximum");
	buf_free(&b);
}

Test(agent_identities, duplicate_comment_refused)
{
	struct buf b = buf_make(4096);
	uint8_t type = SSH2_AGENT_IDENTITIES_ANSWER;
	struct agent_identity id;

	cr_assert_eq(buf_append(&b, &type, 1), 0);
	cr_assert_eq(buf_put_u32(&b, 2), 0);
	put_identity(&b, &k1->public_key, "same");
	put_identity(&b, &k2->public_key, "same");
	assert_error(agent_parse_identities(b.data, b.len, "same", &id), CER_ERR_USAGE, "several Ed25519 keys");
	buf_free(&b);
}

Test(agent_identities, comment_with_nul_does_not_match_prefix)
{
	struct buf b = buf_make(4096);
	uint8_t type = SSH2_AGENT_IDENTITIES_ANSWER, blob[SSHKEY_ED25519_BLOB_BYTES];
	struct agent_identity id;

	sshkey_public_to_blob(&k1->public_key, blob);
	cr_assert_eq(buf_append(&b, &type, 1), 0);
	cr_assert_eq(buf_put_u32(&b, 1), 0);
	cr_assert_eq(buf_put_string(&b, blob, sizeof(blob)), 0);
	cr_assert_eq(buf_put_string(&b, "alice\0mallory", 13), 0);
	assert_error(agent_parse_identities(b.data, b.len, "alice", &id), CER_ERR_NOT_FOUND, "no Ed25519 key");
	buf_free(&b);
}

/* A sign response carrying `sig_len` bytes of signature of type `type`. */
static void sign_response(struct buf *b, const char *type, const uint8_t *sig, size_t sig_len)
{
	struct buf inner = buf_make(1024);
	uint8_t t = SSH2_AGENT_SIGN_RESPONSE;

	cr_assert_eq(buf_put_cstring(&inner, type), 0);
	cr_assert_eq(buf_put_string(&inner, sig, sig_len), 0);
	cr_assert_eq(buf_append(b, &t, 1), 0);
	cr_assert_eq(buf_put_string(b, inner.data, inner.len), 0);
	buf_free(&inner);
}

Test(agent_sign_response, parses_signature)
{
	struct buf b = buf_make(1024);
	uint8_t sig[64], out[64];

	for (size_t i = 0; i < sizeof(sig); i++)
		sig[i] = (uint8_t)(i + 1);
	sign_response(&b, SSHKEY_ED25519_NAME, sig, sizeof(sig));
	cr_assert_eq(agent_parse_sign_response(b.data, b.len, out), 0, "%s", err_message());
	cr_assert_arr_eq(out, sig, sizeof(sig));
	buf_free(&b);
}

Test(agent_sign_response, truncated_at_every_length)
{
	struct buf b = buf_make(1024);
	uint8_t sig[64] = {0}, out[64];

	sign_response(&b, SSHKEY_ED25519_NAME, sig, sizeof(sig));
	for (size_t n = 0; n < b.len; n++) {
		int r = agent_parse_sign_response(b.data, n, out);
		cr_assert_eq(r, CER_ERR_FORMAT, "prefix of %zu bytes: %d %s", n, r, err_message());
		cr_assert(strstr(err_message(), "truncated") != NULL, "prefix of %zu: %s", n, err_message());
	}
	buf_free(&b);
}

Test(agent_sign_response, trailing_bytes_outside_and_inside)
{
	struct buf b = buf_make(1024), inner = buf_make(256);
	uint8_t sig[64] = {0}, out[64], t = SSH2_AGENT_SIGN_RESPONSE;

	sign_response(&b, SSHKEY_ED25519_NAME, sig, sizeof(sig));
	cr_assert_eq(buf_append(&b, "x", 1), 0);
	assert_error(agent_parse_sign_response(b.data, b.len, out), CER_ERR_FORMAT, "1 trailing bytes");

	cr_assert_eq(buf_put_cstring(&inner, SSHKEY_ED25519_NAME), 0);
	cr_assert_eq(buf_put_string(&inner, sig, sizeof(sig)), 0);
	cr_assert_eq(buf_append(&inner, "yz", 2), 0);
	buf_reset(&b);
	cr_assert_eq(buf_append(&b, &t, 1), 0);
	cr_assert_eq(buf_put_string(&b, inner.data, inner.len), 0);
	assert_error(agent_parse_sign_response(b.data, b.len, out), CER_ERR_FORMAT, "2 trailing bytes");
	buf_free(&b);
	buf_free(&inner);
}

Test(agent_sign_response, failure_and_unexpected_types)
{
	uint8_t failure[] = {SSH_AGENT_FAILURE}, identities[] = {SSH2_AGENT_IDENTITIES_ANSWER, 0, 0, 0, 0}, out[64];

	assert_error(agent_parse_sign_response(failure, sizeof(failure), out), CER_ERR_REFUSED,
	             "ssh-agent refused to sign");
	assert_error(agent_parse_sign_response(identities, sizeof(identities), out), CER_ERR_FORMAT,
	             "unexpected reply type 12");
	assert_error(agent_parse_sign_response(NULL, 0, out), CER_ERR_FORMAT, "truncated");
}

Test(agent_sign_response, wrong_signature_type_and_length)
{
	struct buf b = buf_make(1024);
	uint8_t sig[65] = {0}, out[64];

	sign_response(&b, "rsa-sha2-512", sig, 64);
	assert_error(agent_parse_sign_response(b.data, b.len, out), CER_ERR_FORMAT, "expected \"ssh-ed25519\"");
	buf_reset(&b);
	sign_response(&b, SSHKEY_ED25519_NAME, sig, 63);
	assert_error(agent_parse_sign_response(b.data, b.len, out), CER_ERR_FORMAT, "signature of 63 bytes");
	buf_reset(&b);
	sign_response(&b, SSHKEY_ED25519_NAME, sig, 65);
	assert_error(agent_parse_sign_response(b.data, b.len, out), CER_ERR_FORMAT, "signature of 65 bytes");
	buf_free(&b);
}

Test(agent_sign_response, oversized_blob)
{
	struct buf b = buf_make(4096);
	uint8_t t = SSH2_AGENT_SIGN_RESPONSE, out[64], filler[1025] = {0};

	cr_assert_eq(buf_append(&b, &t, 1), 0);
	cr_assert_eq(buf_put_string(&b, filler, sizeof(filler)), 0);
	assert_error(agent_parse_sign_response(b.data, b.len, out), CER_ERR_FORMAT, "exceeds the maximum of 1024");
	buf_reset(&b);
	cr_assert_eq(buf_append(&b, &t, 1), 0);
	cr_assert_eq(buf_put_u32(&b, 0xffffffffu), 0);
	assert_error(agent_parse_sign_response(b.data, b.len, out), CER_ERR_FORMAT, "exceeds the maximum");
	buf_free(&b);
}

/* ---- a scripted fake agent on a Unix socket ---- */

enum fake_mode {
	FAKE_HONEST, /* list k1 as "fake", sign with k1 */
	FAKE_LIAR, /* list k1, sign with k2: a well-formed signature that does not verify */
	FAKE_HUGE_REPLY, /* announce a reply longer than AGENT_REPLY_MAX */
	FAKE_EMPTY_REPLY,
	FAKE_HANG_UP, /* read the request, close without a word */
	FAKE_SHORT_REPLY /* announce 100 bytes, send 10, close */
};

struct fake_agent {
	enum fake_mode mode;
	int listen_fd;
	char dir[64];
	char path[108];
	pthread_t thread;
	/* What the last sign request carried, for checking the request format. */
	uint8_t last_key_blob[SSHKEY_ED25519_BLOB_BYTES];
	uint32_t last_flags;
	int sign_requests;
	int request_format_ok;
};

static int read_fully(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void write_fully(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void send_framed(int fd, const struct buf *msg)
{
	uint8_t len_be[4] = {(uint8_t)(msg->len >> 24), (uint8_t)(msg->len >> 16), (uint8_t)(msg->len >> 8),
	                     (uint8_t)msg->len};
	write_fully(fd, len_be, 4);
	write_fully(fd, msg->data, msg->len);
}

static void fake_answer(struct fake_agent *fa, int fd, const uint8_t *req, size_t req_len)
{
	struct buf reply = buf_make(4096);
	uint8_t type;

	if (fa->mode == FAKE_HANG_UP)
		goto out;
	if (fa->mode == FAKE_HUGE_REPLY) {
		uint8_t len_be[4] = {0, 0x04, 0, 1}; /* 256 KiB + 1 */
		write_fully(fd, len_be, 4);
		goto out;
	}
	if (fa->mode == FAKE_EMPTY_REPLY) {
		uint8_t len_be[4] = {0, 0, 0, 0};
		write_fully(fd, len_be, 4);
		goto out;
	}
	if (fa->mode == FAKE_SHORT_REPLY) {
		uint8_t partial[14] = {0, 0, 0, 100, SSH2_AGENT_IDENTITIES_ANSWER, 0, 0, 0, 1};
		write_fully(fd, partial, sizeof(partial));
		goto out;
	}
	type = req[0];
	if (type == SSH2_AGENTC_REQUEST_IDENTITIES) {
		uint8_t t = SSH2_AGENT_IDENTITIES_ANSWER;
		if (buf_append(&reply, &t, 1) == 0 && buf_put_u32(&reply, 1) == 0)
			put_identity(&reply, &k1->public_key, "fake");
	} else if (type == SSH2_AGENTC_SIGN_REQUEST) {
		struct cursor c = cursor_make(req + 1, req_len - 1);
		const uint8_t *blob = NULL, *data = NULL;
		size_t blob_len = 0, data_len = 0;
		uint8_t sig[64];

		fa->sign_requests++;
		fa->request_format_ok = cursor_get_string(&c, 1024, &blob, &blob_len) == 0 &&
		                        blob_len == SSHKEY_ED25519_BLOB_BYTES &&
		                        cursor_get_string(&c, 1 << 20, &data, &data_len) == 0 &&
		                        cursor_get_u32(&c, &fa->last_flags) == 0 && cursor_expect_end(&c) == 0;
		if (!fa->request_format_ok)
			goto out;
		memcpy(fa->last_key_blob, blob, sizeof(fa->last_key_blob));
		crypto_sign_ed25519_detached(sig, NULL, data, data_len,
		                             fa->mode == FAKE_LIAR ? k2->secret : k1->secret);
		sign_response(&reply, SSHKEY_ED25519_NAME, sig, sizeof(sig));
	} else {
		uint8_t t = SSH_AGENT_FAILURE;
		if (buf_append(&reply, &t, 1) != 0)
			goto out;
	}
	send_framed(fd, &reply);
out:
	buf_free(&reply);
}

static void *fake_serve(void *arg)
{
	struct fake_agent *fa = arg;

	for (;;) {
		uint8_t len_be[4], *req;
		uint32_t len;
		int fd = accept(fa->listen_fd, NULL, NULL);

		if (fd < 0)
			return NULL; /* the listening socket was shut down */
		if (read_fully(fd, len_be, 4) == 0) {
			len = (uint32_t)len_be[0] << 24 | (uint32_t)len_be[1] << 16 | (uint32_t)len_be[2] << 8 |
			      len_be[3];
			if (len > 0 && len < (1 << 20) && (req = malloc(len)) != NULL) {
				if (read_fully(fd, req, len) == 0)
					fake_answer(fa, fd, req, len);
				free(req);
			}
		}
		close(fd);
	}
}

static struct fake_agent *fake_start(enum fake_mode mode)
{
	struct fake_agent *fa = calloc(1, sizeof(*fa));
	struct sockaddr_un addr;

	cr_assert_not_null(fa);
	fa->mode = mode;
	snprintf(fa->dir, sizeof(fa->dir), "%s", "/tmp/cer-fake.XXXXXX");
	cr_assert_not_null(mkdtemp(fa->dir));
	snprintf(fa->path, sizeof(fa->path), "%s/agent.sock", fa->dir);
	fa->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fa->listen_fd, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", fa->path);
	cr_assert_eq(bind(fa->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fa->listen_fd, 8), 0);
	cr_assert_eq(pthread_create(&fa->thread, NULL, fake_serve, fa), 0);
	cr_assert_eq(setenv("SSH_AUTH_SOCK", fa->path, 1), 0);
	return fa;
}

static void fake_stop(struct fake_agent *fa)
{
	shutdown(fa->listen_fd, SHUT_RDWR);
	pthread_join(fa->thread, NULL);
	close(fa->listen_fd);
	unlink(fa->path);
	rmdir(fa->dir);
	unsetenv("SSH_AUTH_SOCK");
	free(fa);
}

Test(fake_agent, honest_agent_gets_a_well_formed_request)
{
	struct fake_agent *fa = fake_start(FAKE_HONEST);
	uint8_t sig[64], expected_blob[SSHKEY_ED25519_BLOB_BYTES];
	struct signer *s = NULL;

	cr_assert_eq(signer_open(&s, "agent:fake"), 0, "%s", err_message());
	cr_assert(sshkey_public_equal(signer_public_key(s), &k1->public_key));
	cr_assert_eq(signer_sign(s, (const uint8_t *)"payload", 7, sig), 0, "%s", err_message());
	cr_assert_eq(crypto_sign_ed25519_verify_detached(sig, (const uint8_t *)"payload", 7, k1->public_key.ed25519),
	             0);
	cr_assert_eq(fa->sign_requests, 1);
	cr_assert(fa->request_format_ok, "the sign request is: string key blob, string data, uint32 flags");
	sshkey_public_to_blob(&k1->public_key, expected_blob);
	cr_assert_arr_eq(fa->last_key_blob, expected_blob, sizeof(expected_blob));
	cr_assert_eq(fa->last_flags, 0);
	signer_free(s);
	fake_stop(fa);
}

Test(fake_agent, lying_agent_signature_refused)
{
	struct fake_agent *fa = fake_start(FAKE_LIAR);
	uint8_t sig[64];
	struct signer *s = NULL;

	cr_assert_eq(signer_open(&s, "agent:fake"), 0, "%s", err_message());
	assert_error(signer_sign(s, (const uint8_t *)"payload", 7, sig), CER_ERR_VERIFY,
	             "returned a signature that does not verify");
	cr_assert(strstr(err_message(), "agent:fake") != NULL, "names the key: %s", err_message());
	signer_free(s);
	fake_stop(fa);
}

Test(fake_agent, huge_reply_refused)
{
	struct fake_agent *fa = fake_start(FAKE_HUGE_REPLY);
	struct signer *s = NULL;

	assert_error(signer_open(&s, "agent:fake"), CER_ERR_FORMAT, "reply of 262145 bytes refused");
	cr_assert_null(s);
	fake_stop(fa);
}

Test(fake_agent, empty_reply_refused)
{
	struct fake_agent *fa = fake_start(FAKE_EMPTY_REPLY);
	struct signer *s = NULL;

	assert_error(signer_open(&s, "agent:fake"), CER_ERR_FORMAT, "reply of 0 bytes refused");
	fake_stop(fa);
}

Test(fake_agent, hang_up_refused)
{
	struct fake_agent *fa = fake_start(FAKE_HANG_UP);
	struct signer *s = NULL;

	assert_error(signer_open(&s, "agent:fake"), CER_ERR_IO, "ssh-agent closed the connection");
	fake_stop(fa);
}

Test(fake_agent, short_reply_refused)
{
	struct fake_agent *fa = fake_start(FAKE_SHORT_REPLY);
	struct signer *s = NULL;

	assert_error(signer_open(&s, "agent:fake"), CER_ERR_IO, "ssh-agent closed the connection");
	fake_stop(fa);
}

Test(fake_agent, direct_agent_calls)
{
	struct fake_agent *fa = fake_start(FAKE_HONEST);
	struct agent_identity id;
	uint8_t sig[64];

	cr_assert_eq(agent_find_identity(fa->path, "fake", &id), 0, "%s", err_message());
	cr_assert(sshkey_public_equal(&id.key, &k1->public_key));
	cr_assert_str_eq(id.comment, "fake");
	cr_assert_eq(agent_sign(fa->path, &id.key, (const uint8_t *)"", 0, sig), 0, "%s", err_message());
	cr_assert_eq(crypto_sign_ed25519_verify_detached(sig, (const uint8_t *)"", 0, k1->public_key.ed25519), 0);
	assert_error(agent_find_identity(NULL, "fake", &id), CER_ERR_NOT_FOUND, "SSH_AUTH_SOCK");
	{
		char long_path[200];
		memset(long_path, 'p', sizeof(long_path) - 1);
		long_path[sizeof(long_path) - 1] = '\0';
		assert_error(agent_find_identity(long_path, "fake", &id), CER_ERR_USAGE, "socket path too long");
	}
	fake_stop(fa);
}
