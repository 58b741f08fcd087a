/* common/sshsig: SSHSIG signatures that the stock `ssh-keygen -Y` makes and checks, signing through a
 * real ssh-agent, and one test per refusal, each asserting the code and the message. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/init.h"
#include "common/signer.h"
#include "common/sshkey.h"
#include "common/sshsig.h"
#include "helpers.h"

#define NS "ceremony-test@ceremony"
#define MSG "the record's exact bytes\n"

static char *dir;
static unsigned serial;

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	dir = test_tmpdir("sshsig");
}

static void teardown(void)
{
	test_run("rm -rf '%s'", dir);
	free(dir);
	dir = NULL;
}

TestSuite(sshsig_interop, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(sshsig_refusal, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(sshsig_format, .init = setup, .fini = teardown, .timeout = 60);

static char *path_in(const char *name)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* A fresh path in the scratch directory, never used before in this test. */
static char *fresh_path(const char *stem)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/%s-%u", dir, stem, serial++) > 0);
	return p;
}

static void assert_error(int r, int code, const char *fragment)
{
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert(strstr(err_message(), fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

static char *keygen(const char *name, const char *type, const char *passphrase, const char *comment)
{
	char *p = path_in(name);
	cr_assert_eq(test_run("ssh-keygen -q -t %s %s -N '%s' -C '%s' -f '%s' </dev/null >/dev/null", type,
	                      strcmp(type, "rsa") == 0 ? "-b 2048" : "", passphrase, comment, p),
	             0, "ssh-keygen -t %s failed", type);
	return p;
}

static struct sshkey_public pub_of(const char *key_path)
{
	char *pub = NULL, *text;
	struct sshkey_public key;
	size_t len = 0;

	cr_assert(asprintf(&pub, "%s.pub", key_path) > 0);
	text = test_read_file(pub, &len);
	cr_assert_eq(sshkey_public_parse_line(&key, text, len), 0, "%s", err_message());
	free(text);
	free(pub);
	return key;
}

/* Sign with ssh-keygen -Y sign; returns the armored signature it wrote. */
static char *ssh_sign(const char *key_path, const char *namespace, const void *msg, size_t len, const char *opts,
                      size_t *sig_len)
{
	char *msgfile = fresh_path("msg"), *sigfile = NULL, *sig;

	test_write_file(msgfile, msg, len);
	cr_assert_eq(test_run("ssh-keygen -q -Y sign -f '%s' -n '%s' %s '%s' >/dev/null 2>&1", key_path, namespace,
	                      opts, msgfile),
	             0, "ssh-keygen -Y sign failed");
	cr_assert(asprintf(&sigfile, "%s.sig", msgfile) > 0);
	sig = test_read_file(sigfile, sig_len);
	free(sigfile);
	free(msgfile);
	return sig;
}

/* Check with ssh-keygen -Y verify against an allowed_signers file for `key`; returns its exit status. */
static int ssh_verify(const struct sshkey_public *key, const char *principal, const char *namespace,
                      const void *armored, size_t armored_len, const void *msg, size_t msg_len)
{
	char *allowed = fresh_path("allowed"), *sigfile = fresh_path("sig"), *msgfile = fresh_path("msg");
	struct buf line = buf_make(4096);
	int status;

	cr_assert_eq(buf_printf(&line, "%s namespaces=\"%s\" ", principal, namespace), 0);
	cr_assert_eq(sshkey_public_format_line(key, &line), 0);
	cr_assert_eq(buf_append_str(&line, "\n"), 0);
	test_write_file(allowed, line.data, line.len);
	test_write_file(sigfile, armored, armored_len);
	test_write_file(msgfile, msg, msg_len);
	status = test_run("ssh-keygen -Y verify -f '%s' -I '%s' -n '%s' -s '%s' < '%s' >/dev/null 2>&1", allowed,
	                  principal, namespace, sigfile, msgfile);
	buf_free(&line);
	free(allowed);
	free(sigfile);
	free(msgfile);
	return status;
}

static void sign_with_file(const char *key_path, const char *namespace, const void *msg, size_t len,
                           struct buf *armored)
{
	struct signer *s = NULL;

	cr_assert_eq(signer_open(&s, key_path), 0, "%s", err_message());
	cr_assert_eq(sshsig_sign(s, namespace, msg, len, armored), 0, "%s", err_message());
	signer_free(s);
}

/* ---- the fields of a blob, for building mutated ones ---- */

struct fields {
	const uint8_t *magic;
	uint32_t version;
	const uint8_t *pub, *ns, *reserved, *hash, *sig;
	size_t pub_len, ns_len, reserved_len, hash_len, sig_len;
};

static void split_blob(const struct buf *blob, struct fields *f)
{
	struct cursor c = cursor_make(blob->data, blob->len);

	cr_assert_eq(cursor_get_bytes(&c, 6, &f->magic), 0);
	cr_assert_eq(cursor_get_u32(&c, &f->version), 0);
	cr_assert_eq(cursor_get_string(&c, 4096, &f->pub, &f->pub_len), 0);
	cr_assert_eq(cursor_get_string(&c, 4096, &f->ns, &f->ns_len), 0);
	cr_assert_eq(cursor_get_string(&c, 4096, &f->reserved, &f->reserved_len), 0);
	cr_assert_eq(cursor_get_string(&c, 4096, &f->hash, &f->hash_len), 0);
	cr_assert_eq(cursor_get_string(&c, 4096, &f->sig, &f->sig_len), 0);
	cr_assert_eq(cursor_expect_end(&c), 0);
}

static void join_blob(const struct fields *f, struct buf *out)
{
	buf_reset(out);
	cr_assert_eq(buf_append(out, f->magic, 6), 0);
	cr_assert_eq(buf_put_u32(out, f->version), 0);
	cr_assert_eq(buf_put_string(out, f->pub, f->pub_len), 0);
	cr_assert_eq(buf_put_string(out, f->ns, f->ns_len), 0);
	cr_assert_eq(buf_put_string(out, f->reserved, f->reserved_len), 0);
	cr_assert_eq(buf_put_string(out, f->hash, f->hash_len), 0);
	cr_assert_eq(buf_put_string(out, f->sig, f->sig_len), 0);
}

/* A good signature by a fresh key, dearmored; *key_out is its public key. */
static void good_blob(struct buf *blob, struct sshkey_public *key_out)
{
	struct sshkey_private *key = NULL;
	struct signer *s = NULL;
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);

	cr_assert_eq(sshkey_private_generate(&key, "blob"), 0);
	cr_assert_eq(signer_from_key(&s, key), 0);
	cr_assert_eq(sshsig_sign(s, NS, (const uint8_t *)MSG, strlen(MSG), &armored), 0, "%s", err_message());
	cr_assert_eq(sshsig_dearmor(armored.data, armored.len, blob), 0, "%s", err_message());
	if (key_out != NULL)
		*key_out = key->public_key;
	signer_free(s);
	sshkey_private_free(key);
	buf_free(&armored);
}

/* Armor `blob` and verify it over MSG in NS; returns the code. */
static int verify_rearmored(const struct buf *blob)
{
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX * 2);
	struct sshkey_public who;
	int r;

	cr_assert_eq(sshsig_armor(blob->data, blob->len, &armored), 0, "%s", err_message());
	r = sshsig_verify(armored.data, armored.len, NS, (const uint8_t *)MSG, strlen(MSG), &who);
	buf_free(&armored);
	return r;
}

/* ---- interop with ssh-keygen ---- */

Test(sshsig_interop, our_signature_verifies_with_ssh_keygen)
{
	char *key = keygen("alice", "ed25519", "", "alice");
	struct sshkey_public pub = pub_of(key), who;
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);

	sign_with_file(key, NS, MSG, strlen(MSG), &armored);
	cr_assert_eq(ssh_verify(&pub, "alice@example.org", NS, armored.data, armored.len, MSG, strlen(MSG)), 0,
	             "ssh-keygen -Y verify refused our signature:\n%s", (const char *)armored.data);
	/* The same check fails when it should, so the 0 above means something. */
	cr_assert_neq(
	        ssh_verify(&pub, "alice@example.org", "other-namespace", armored.data, armored.len, MSG, strlen(MSG)),
	        0);
	cr_assert_neq(ssh_verify(&pub, "alice@example.org", NS, armored.data, armored.len, "changed", 7), 0);
	/* And we accept it ourselves, naming the key. */
	cr_assert_eq(sshsig_verify(armored.data, armored.len, NS, (const uint8_t *)MSG, strlen(MSG), &who), 0, "%s",
	             err_message());
	cr_assert(sshkey_public_equal(&who, &pub));
	buf_free(&armored);
	free(key);
}

Test(sshsig_interop, our_signature_is_byte_identical_to_ssh_keygen)
{
	/* Ed25519 is deterministic: the same key, namespace and message give the same SSHSIG, armor included. */
	char *key = keygen("same", "ed25519", "", "same");
	struct buf ours = buf_make(SSHSIG_ARMORED_MAX);
	size_t len = 0;
	char *theirs;

	sign_with_file(key, NS, MSG, strlen(MSG), &ours);
	theirs = ssh_sign(key, NS, MSG, strlen(MSG), "", &len);
	cr_assert_eq(ours.len, len);
	cr_assert_str_eq((const char *)ours.data, theirs);
	free(theirs);
	buf_free(&ours);
	free(key);
}

Test(sshsig_interop, empty_binary_and_large_messages)
{
	char *key = keygen("msgs", "ed25519", "", "msgs");
	struct sshkey_public pub = pub_of(key), who;
	uint8_t binary[256];
	size_t big_len = 3 * 1024 * 1024;
	uint8_t *big = malloc(big_len);

	for (size_t i = 0; i < sizeof(binary); i++)
		binary[i] = (uint8_t)i;
	for (size_t i = 0; i < big_len; i++)
		big[i] = (uint8_t)(i * 31 + 7);
	const struct {
		const void *data;
		size_t len;
	} msgs[] = {{"", 0}, {binary, sizeof(binary)}, {big, big_len}};
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
		size_t their_len = 0;
		char *theirs;

		sign_with_file(key, SSHSIG_NAMESPACE_GIT, msgs[i].data, msgs[i].len, &armored);
		cr_assert_eq(ssh_verify(&pub, "p", SSHSIG_NAMESPACE_GIT, armored.data, armored.len, msgs[i].data,
		                        msgs[i].len),
		             0, "message %zu", i);
		theirs = ssh_sign(key, SSHSIG_NAMESPACE_GIT, msgs[i].data, msgs[i].len, "", &their_len);
		cr_assert_eq(sshsig_verify((const uint8_t *)theirs, their_len, SSHSIG_NAMESPACE_GIT, msgs[i].data,
		                           msgs[i].len, &who),
		             0, "message %zu: %s", i, err_message());
		cr_assert(sshkey_public_equal(&who, &pub));
		free(theirs);
		buf_free(&armored);
	}
	free(big);
	free(key);
}

Test(sshsig_interop, ssh_keygen_signature_verifies_and_names_the_key)
{
	char *alice = keygen("alice", "ed25519", "", "alice"), *bob = keygen("bob", "ed25519", "", "bob");
	struct sshkey_public alice_pub = pub_of(alice), bob_pub = pub_of(bob), who;
	size_t len = 0;
	char *sig = ssh_sign(alice, NS, MSG, strlen(MSG), "", &len);

	memset(&who, 0, sizeof(who));
	cr_assert_eq(sshsig_verify((const uint8_t *)sig, len, NS, (const uint8_t *)MSG, strlen(MSG), &who), 0, "%s",
	             err_message());
	cr_assert(sshkey_public_equal(&who, &alice_pub), "the signer is alice");
	/* The signature is valid but it is alice's: a caller expecting bob must see that. */
	cr_assert_not(sshkey_public_equal(&who, &bob_pub), "a valid signature by the wrong key is told apart");
	free(sig);
	free(alice);
	free(bob);
}

Test(sshsig_interop, ssh_keygen_sha256_signature_verifies)
{
	char *key = keygen("h256", "ed25519", "", "h256");
	struct sshkey_public pub = pub_of(key), who;
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX);
	struct sshsig_parts parts;
	size_t len = 0;
	char *sig = ssh_sign(key, NS, MSG, strlen(MSG), "-O hashalg=sha256", &len);

	cr_assert_eq(sshsig_dearmor((const uint8_t *)sig, len, &blob), 0, "%s", err_message());
	cr_assert_eq(sshsig_parse_blob(blob.data, blob.len, &parts), 0, "%s", err_message());
	cr_assert_str_eq(parts.hash_algorithm, SSHSIG_HASH_SHA256);
	cr_assert_eq(sshsig_verify((const uint8_t *)sig, len, NS, (const uint8_t *)MSG, strlen(MSG), &who), 0, "%s",
	             err_message());
	cr_assert(sshkey_public_equal(&who, &pub));
	assert_error(sshsig_verify((const uint8_t *)sig, len, NS, (const uint8_t *)"x", 1, &who), CER_ERR_VERIFY,
	             "does not verify");
	buf_free(&blob);
	free(sig);
	free(key);
}

Test(sshsig_interop, reserved_field_is_ignored_like_ssh_keygen)
{
	/* PROTOCOL.sshsig: the reserved field's content is not signed and is ignored. We must agree with
	 * ssh-keygen on that, in both directions. */
	char *key = keygen("res", "ed25519", "", "res");
	struct sshkey_public pub = pub_of(key), who;
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX), blob = buf_make(SSHSIG_ARMORED_MAX),
	           edited = buf_make(SSHSIG_ARMORED_MAX), rearmored = buf_make(SSHSIG_ARMORED_MAX);
	struct fields f;
	int ours, theirs;

	/* (A blob so edited is a second valid encoding of one signature: callers that need one
	 * canonical file per signature must compare the parsed fields, not the bytes.) */

	sign_with_file(key, NS, MSG, strlen(MSG), &armored);
	cr_assert_eq(sshsig_dearmor(armored.data, armored.len, &blob), 0);
	split_blob(&blob, &f);
	f.reserved = (const uint8_t *)"x";
	f.reserved_len = 1;
	join_blob(&f, &edited);
	cr_assert_eq(sshsig_armor(edited.data, edited.len, &rearmored), 0);
	ours = sshsig_verify(rearmored.data, rearmored.len, NS, (const uint8_t *)MSG, strlen(MSG), &who);
	theirs = ssh_verify(&pub, "p", NS, rearmored.data, rearmored.len, MSG, strlen(MSG));
	cr_assert_eq(theirs, 0, "ssh-keygen refused a signature with a non-empty reserved field");
	cr_assert_eq(ours, 0, "we refused what ssh-keygen accepts: %s", err_message());
	cr_assert(sshkey_public_equal(&who, &pub));
	buf_free(&armored);
	buf_free(&blob);
	buf_free(&edited);
	buf_free(&rearmored);
	free(key);
}

/* ---- refusals ---- */

Test(sshsig_refusal, wrong_namespace)
{
	char *key = keygen("ns", "ed25519", "", "ns");
	size_t len = 0;
	char *sig = ssh_sign(key, "file", MSG, strlen(MSG), "", &len);
	struct sshkey_public who;

	assert_error(sshsig_verify((const uint8_t *)sig, len, NS, (const uint8_t *)MSG, strlen(MSG), &who),
	             CER_ERR_VERIFY, "wrong namespace \"file\"");
	cr_assert(strstr(err_message(), NS) != NULL, "names the expected namespace: %s", err_message());
	/* A namespace that is a prefix of the expected one is just as wrong. */
	assert_error(sshsig_verify((const uint8_t *)sig, len, "fil", (const uint8_t *)MSG, strlen(MSG), &who),
	             CER_ERR_VERIFY, "wrong namespace");
	assert_error(sshsig_verify((const uint8_t *)sig, len, "files", (const uint8_t *)MSG, strlen(MSG), &who),
	             CER_ERR_VERIFY, "wrong namespace");
	free(sig);
	free(key);
}

Test(sshsig_refusal, changed_message)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX);
	struct sshkey_public who, key;

	good_blob(&blob, &key);
	cr_assert_eq(sshsig_verify_blob(blob.data, blob.len, NS, (const uint8_t *)MSG, strlen(MSG), &who), 0, "%s",
	             err_message());
	cr_assert(sshkey_public_equal(&who, &key));
	memset(&who, 0xAA, sizeof(who));
	assert_error(sshsig_verify_blob(blob.data, blob.len, NS, (const uint8_t *)MSG, strlen(MSG) - 1, &who),
	             CER_ERR_VERIFY, "does not verify");
	assert_error(sshsig_verify_blob(blob.data, blob.len, NS, (const uint8_t *)"The record's exact bytes\n",
	                                strlen(MSG), &who),
	             CER_ERR_VERIFY, "does not verify");
	cr_assert_eq(who.ed25519[0], 0xAA, "no signer is reported for a refused signature");
	buf_free(&blob);
}

Test(sshsig_refusal, public_key_replaced_by_another)
{
	/* Someone swaps the embedded key for theirs, hoping the verifier trusts the blob's key. */
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX), edited = buf_make(SSHSIG_ARMORED_MAX);
	struct sshkey_private *mallory = NULL;
	uint8_t mallory_blob[SSHKEY_ED25519_BLOB_BYTES];
	struct fields f;

	good_blob(&blob, NULL);
	cr_assert_eq(sshkey_private_generate(&mallory, "mallory"), 0);
	sshkey_public_to_blob(&mallory->public_key, mallory_blob);
	split_blob(&blob, &f);
	f.pub = mallory_blob;
	f.pub_len = sizeof(mallory_blob);
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_VERIFY, "does not verify");
	sshkey_private_free(mallory);
	buf_free(&blob);
	buf_free(&edited);
}

Test(sshsig_refusal, signature_bytes_flipped)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX);

	good_blob(&blob, NULL);
	blob.data[blob.len - 1] ^= 0x01;
	assert_error(verify_rearmored(&blob), CER_ERR_VERIFY, "does not verify");
	blob.data[blob.len - 1] ^= 0x01;
	blob.data[blob.len - 40] ^= 0x80;
	assert_error(verify_rearmored(&blob), CER_ERR_VERIFY, "does not verify");
	buf_free(&blob);
}

Test(sshsig_refusal, truncated_blob)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX);
	struct sshkey_public who;
	size_t full;

	good_blob(&blob, NULL);
	full = blob.len;
	/* Every proper prefix is refused as truncated (or, for the shortest, as a bad magic). */
	for (size_t n = 0; n < full; n++) {
		int r = sshsig_verify_blob(blob.data, n, NS, (const uint8_t *)MSG, strlen(MSG), &who);
		cr_assert_eq(r, CER_ERR_FORMAT, "prefix of %zu bytes: %d %s", n, r, err_message());
		cr_assert(strstr(err_message(), "truncated") != NULL, "prefix of %zu bytes: %s", n, err_message());
	}
	blob.len = full - 1;
	assert_error(verify_rearmored(&blob), CER_ERR_FORMAT, "truncated");
	buf_free(&blob);
}

Test(sshsig_refusal, trailing_bytes_in_blob)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX);

	good_blob(&blob, NULL);
	cr_assert_eq(buf_append(&blob, "\0", 1), 0);
	assert_error(verify_rearmored(&blob), CER_ERR_FORMAT, "1 trailing bytes");
	buf_free(&blob);
}

Test(sshsig_refusal, trailing_bytes_inside_signature_field)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX), edited = buf_make(SSHSIG_ARMORED_MAX), sig = buf_make(256);
	struct fields f;

	good_blob(&blob, NULL);
	split_blob(&blob, &f);
	cr_assert_eq(buf_append(&sig, f.sig, f.sig_len), 0);
	cr_assert_eq(buf_append(&sig, "zz", 2), 0);
	f.sig = sig.data;
	f.sig_len = sig.len;
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_FORMAT, "2 trailing bytes");
	buf_free(&blob);
	buf_free(&edited);
	buf_free(&sig);
}

Test(sshsig_refusal, trailing_bytes_inside_public_key_field)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX), edited = buf_make(SSHSIG_ARMORED_MAX), pub = buf_make(256);
	struct fields f;

	good_blob(&blob, NULL);
	split_blob(&blob, &f);
	cr_assert_eq(buf_append(&pub, f.pub, f.pub_len), 0);
	cr_assert_eq(buf_append(&pub, "z", 1), 0);
	f.pub = pub.data;
	f.pub_len = pub.len;
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_FORMAT, "trailing bytes");
	buf_free(&blob);
	buf_free(&edited);
	buf_free(&pub);
}

Test(sshsig_refusal, wrong_magic)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX);

	good_blob(&blob, NULL);
	blob.data[5] = 'H';
	assert_error(verify_rearmored(&blob), CER_ERR_FORMAT, "bad magic");
	blob.data[5] = 'G';
	blob.data[0] = 's';
	assert_error(verify_rearmored(&blob), CER_ERR_FORMAT, "bad magic");
	buf_free(&blob);
}

Test(sshsig_refusal, wrong_version)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX), edited = buf_make(SSHSIG_ARMORED_MAX);
	struct fields f;

	good_blob(&blob, NULL);
	split_blob(&blob, &f);
	cr_assert_eq(f.version, SSHSIG_VERSION);
	f.version = 2;
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_UNSUPPORTED, "unsupported SSHSIG version 2");
	f.version = 0;
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_UNSUPPORTED, "version 0");
	buf_free(&blob);
	buf_free(&edited);
}

Test(sshsig_refusal, rsa_signature_from_ssh_keygen)
{
	char *key = keygen("rsa", "rsa", "", "rsa");
	size_t len = 0;
	char *sig = ssh_sign(key, NS, MSG, strlen(MSG), "", &len);
	struct sshkey_public who;

	assert_error(sshsig_verify((const uint8_t *)sig, len, NS, (const uint8_t *)MSG, strlen(MSG), &who),
	             CER_ERR_UNSUPPORTED, "unsupported key type \"ssh-rsa\"");
	free(sig);
	free(key);
}

Test(sshsig_refusal, ecdsa_signature_from_ssh_keygen)
{
	char *key = keygen("ecdsa", "ecdsa", "", "ecdsa");
	size_t len = 0;
	char *sig = ssh_sign(key, NS, MSG, strlen(MSG), "", &len);
	struct sshkey_public who;

	assert_error(sshsig_verify((const uint8_t *)sig, len, NS, (const uint8_t *)MSG, strlen(MSG), &who),
	             CER_ERR_UNSUPPORTED, "ecdsa-sha2-nistp256");
	free(sig);
	free(key);
}

Test(sshsig_refusal, unsupported_hash_algorithm)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX), edited = buf_make(SSHSIG_ARMORED_MAX);
	struct sshkey_public who;
	struct fields f;

	good_blob(&blob, NULL);
	split_blob(&blob, &f);
	cr_assert_eq(f.hash_len, 6);
	cr_assert_arr_eq(f.hash, "sha512", 6);
	f.hash = (const uint8_t *)"md5";
	f.hash_len = 3;
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_UNSUPPORTED, "unsupported hash algorithm \"md5\"");
	/* Case matters: "SHA512" is not "sha512". */
	f.hash = (const uint8_t *)"SHA512";
	f.hash_len = 6;
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_UNSUPPORTED, "unsupported hash algorithm \"SHA512\"");
	/* Swapping sha512 for sha256 is not unsupported, it just does not verify. */
	f.hash = (const uint8_t *)"sha256";
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_VERIFY, "does not verify");
	/* An embedded NUL cannot smuggle "sha512\0..." past the comparison. */
	f.hash = (const uint8_t *)"sha512\0x";
	f.hash_len = 8;
	join_blob(&f, &edited);
	assert_error(sshsig_verify_blob(edited.data, edited.len, NS, (const uint8_t *)MSG, strlen(MSG), &who),
	             CER_ERR_FORMAT, "embedded NUL");
	buf_free(&blob);
	buf_free(&edited);
}

Test(sshsig_refusal, unsupported_signature_type_and_length)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX), edited = buf_make(SSHSIG_ARMORED_MAX), sig = buf_make(256);
	struct cursor c;
	const uint8_t *raw;
	size_t raw_len;
	struct fields f;

	good_blob(&blob, NULL);
	split_blob(&blob, &f);
	c = cursor_make(f.sig, f.sig_len);
	cr_assert_eq(cursor_expect_cstring(&c, SSHKEY_ED25519_NAME), 0);
	cr_assert_eq(cursor_get_string(&c, 64, &raw, &raw_len), 0);
	cr_assert_eq(raw_len, 64);

	cr_assert_eq(buf_put_cstring(&sig, "rsa-sha2-512"), 0);
	cr_assert_eq(buf_put_string(&sig, raw, raw_len), 0);
	f.sig = sig.data;
	f.sig_len = sig.len;
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_UNSUPPORTED, "unsupported signature type \"rsa-sha2-512\"");

	buf_reset(&sig);
	cr_assert_eq(buf_put_cstring(&sig, SSHKEY_ED25519_NAME), 0);
	cr_assert_eq(buf_put_string(&sig, raw, 63), 0);
	f.sig = sig.data;
	f.sig_len = sig.len;
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_FORMAT, "signature of 63 bytes");
	buf_free(&blob);
	buf_free(&edited);
	buf_free(&sig);
}

Test(sshsig_refusal, namespace_empty_with_nul_or_too_long)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX), edited = buf_make(SSHSIG_ARMORED_MAX);
	struct sshkey_public who;
	char long_ns[SSHSIG_NAMESPACE_MAX + 1];
	struct fields f;

	good_blob(&blob, NULL);
	split_blob(&blob, &f);
	f.ns = (const uint8_t *)NS "\0evil";
	f.ns_len = strlen(NS) + 5;
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_FORMAT, "embedded NUL");
	/* A namespace that tries to add a line of its own to our output. */
	f.ns = (const uint8_t *)"x\nceremony: signature OK\x1b[1A";
	f.ns_len = strlen((const char *)f.ns);
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_VERIFY, "wrong namespace \"x?ceremony: signature OK?[1A\"");
	cr_assert_null(strchr(err_message(), '\n'));
	/* PROTOCOL.sshsig: the namespace MUST NOT be empty, even when the caller expects "". */
	f.ns = (const uint8_t *)"";
	f.ns_len = 0;
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_FORMAT, "empty namespace");
	assert_error(sshsig_verify_blob(edited.data, edited.len, "", (const uint8_t *)MSG, strlen(MSG), &who),
	             CER_ERR_FORMAT, "empty namespace");
	memset(long_ns, 'n', sizeof(long_ns));
	f.ns = (const uint8_t *)long_ns;
	f.ns_len = sizeof(long_ns);
	join_blob(&f, &edited);
	assert_error(verify_rearmored(&edited), CER_ERR_FORMAT, "exceeds the maximum of 256");
	buf_free(&blob);
	buf_free(&edited);
}

Test(sshsig_refusal, bad_armor)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX), armored = buf_make(SSHSIG_ARMORED_MAX * 3),
	           text = buf_make(SSHSIG_ARMORED_MAX * 3);
	struct sshkey_public who;
	const char *body;

	good_blob(&blob, NULL);
	cr_assert_eq(sshsig_armor(blob.data, blob.len, &armored), 0);
	body = (const char *)armored.data + strlen(SSHSIG_ARMOR_BEGIN) + 1;

	/* Missing BEGIN. */
	assert_error(sshsig_verify((const uint8_t *)body, strlen(body), NS, (const uint8_t *)MSG, strlen(MSG), &who),
	             CER_ERR_FORMAT, "missing \"-----BEGIN SSH SIGNATURE-----\"");
	/* Missing END. */
	cr_assert_eq(buf_append(&text, armored.data, armored.len - strlen(SSHSIG_ARMOR_END) - 1), 0);
	assert_error(sshsig_verify(text.data, text.len, NS, (const uint8_t *)MSG, strlen(MSG), &who), CER_ERR_FORMAT,
	             "missing \"-----END SSH SIGNATURE-----\" at the end");
	/* Invalid base64. */
	buf_reset(&text);
	cr_assert_eq(buf_append(&text, armored.data, armored.len), 0);
	text.data[strlen(SSHSIG_ARMOR_BEGIN) + 5] = '!';
	assert_error(sshsig_verify(text.data, text.len, NS, (const uint8_t *)MSG, strlen(MSG), &who), CER_ERR_FORMAT,
	             "invalid base64");
	/* A NUL byte inside the base64 (where a line break could be). */
	buf_reset(&text);
	cr_assert_eq(buf_append(&text, armored.data, strlen(SSHSIG_ARMOR_BEGIN) + 1 + 10), 0);
	cr_assert_eq(buf_append(&text, "\0", 1), 0);
	cr_assert_eq(buf_append(&text, armored.data + strlen(SSHSIG_ARMOR_BEGIN) + 1 + 10,
	                        armored.len - strlen(SSHSIG_ARMOR_BEGIN) - 1 - 10),
	             0);
	assert_error(sshsig_verify(text.data, text.len, NS, (const uint8_t *)MSG, strlen(MSG), &who), CER_ERR_FORMAT,
	             "invalid base64");
	/* Two blocks. */
	buf_reset(&text);
	cr_assert_eq(buf_append(&text, armored.data, armored.len), 0);
	cr_assert_eq(buf_append(&text, armored.data, armored.len), 0);
	assert_error(sshsig_verify(text.data, text.len, NS, (const uint8_t *)MSG, strlen(MSG), &who), CER_ERR_FORMAT,
	             "more than one block");
	/* Text after the block. */
	buf_reset(&text);
	cr_assert_eq(buf_append(&text, armored.data, armored.len), 0);
	cr_assert_eq(buf_append_str(&text, "P.S. trust me\n"), 0);
	assert_error(sshsig_verify(text.data, text.len, NS, (const uint8_t *)MSG, strlen(MSG), &who), CER_ERR_FORMAT,
	             "bad armor");
	/* Text before the block. */
	buf_reset(&text);
	cr_assert_eq(buf_append_str(&text, "Signed:\n"), 0);
	cr_assert_eq(buf_append(&text, armored.data, armored.len), 0);
	assert_error(sshsig_verify(text.data, text.len, NS, (const uint8_t *)MSG, strlen(MSG), &who), CER_ERR_FORMAT,
	             "missing \"-----BEGIN SSH SIGNATURE-----\"");
	/* Another kind of armor. */
	{
		const char *pgp = "-----BEGIN PGP SIGNATURE-----\nAAAA\n-----END PGP SIGNATURE-----\n";
		assert_error(
		        sshsig_verify((const uint8_t *)pgp, strlen(pgp), NS, (const uint8_t *)MSG, strlen(MSG), &who),
		        CER_ERR_FORMAT, "bad armor");
	}
	/* Empty. */
	assert_error(sshsig_verify((const uint8_t *)"", 0, NS, (const uint8_t *)MSG, strlen(MSG), &who), CER_ERR_FORMAT,
	             "bad armor");
	buf_free(&blob);
	buf_free(&armored);
	buf_free(&text);
}

Test(sshsig_refusal, oversized_armor)
{
	struct buf text = buf_make(SSHSIG_ARMORED_MAX * 2);
	struct sshkey_public who;

	cr_assert_eq(buf_append_str(&text, SSHSIG_ARMOR_BEGIN "\n"), 0);
	while (text.len < SSHSIG_ARMORED_MAX)
		cr_assert_eq(buf_append_str(&text, "AAAA"), 0);
	cr_assert_eq(buf_append_str(&text, "\n" SSHSIG_ARMOR_END "\n"), 0);
	assert_error(sshsig_verify(text.data, text.len, NS, (const uint8_t *)MSG, strlen(MSG), &who), CER_ERR_FORMAT,
	             "bad armor (larger than 4096 bytes)");
	buf_free(&text);
}

Test(sshsig_refusal, sign_refuses_bad_namespace)
{
	struct sshkey_private *key = NULL;
	struct signer *s = NULL;
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
	char long_ns[SSHSIG_NAMESPACE_MAX + 2];

	cr_assert_eq(sshkey_private_generate(&key, "k"), 0);
	cr_assert_eq(signer_from_key(&s, key), 0);
	assert_error(sshsig_sign(s, "", (const uint8_t *)MSG, strlen(MSG), &armored), CER_ERR_USAGE, "namespace");
	memset(long_ns, 'n', sizeof(long_ns) - 1);
	long_ns[sizeof(long_ns) - 1] = '\0';
	assert_error(sshsig_sign(s, long_ns, (const uint8_t *)MSG, strlen(MSG), &armored), CER_ERR_USAGE,
	             "namespace must be 1 to 256 bytes");
	cr_assert_eq(armored.len, 0, "nothing was written");
	long_ns[SSHSIG_NAMESPACE_MAX] = '\0';
	cr_assert_eq(sshsig_sign(s, long_ns, (const uint8_t *)MSG, strlen(MSG), &armored), 0, "%s", err_message());
	signer_free(s);
	sshkey_private_free(key);
	buf_free(&armored);
}

/* ---- format details ---- */

Test(sshsig_format, armor_layout)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX), armored = buf_make(SSHSIG_ARMORED_MAX), back = buf_make(4096);
	const char *p, *nl;
	size_t lines = 0;

	good_blob(&blob, NULL);
	cr_assert_eq(sshsig_armor(blob.data, blob.len, &armored), 0);
	p = (const char *)armored.data;
	cr_assert_eq(strncmp(p, SSHSIG_ARMOR_BEGIN "\n", strlen(SSHSIG_ARMOR_BEGIN) + 1), 0);
	cr_assert_eq(armored.data[armored.len - 1], '\n');
	cr_assert(strstr(p, "\n" SSHSIG_ARMOR_END "\n") == p + armored.len - strlen(SSHSIG_ARMOR_END) - 2);
	p += strlen(SSHSIG_ARMOR_BEGIN) + 1;
	while ((nl = strchr(p, '\n')) != NULL && strncmp(p, "-----", 5) != 0) {
		cr_assert_leq((size_t)(nl - p), SSHSIG_ARMOR_LINE);
		if (strncmp(nl + 1, "-----", 5) != 0)
			cr_assert_eq((size_t)(nl - p), SSHSIG_ARMOR_LINE, "only the last line is short");
		lines++;
		p = nl + 1;
	}
	cr_assert_geq(lines, 2);
	cr_assert_eq(sshsig_dearmor(armored.data, armored.len, &back), 0);
	cr_assert_eq(back.len, blob.len);
	cr_assert_arr_eq(back.data, blob.data, blob.len);
	buf_free(&blob);
	buf_free(&armored);
	buf_free(&back);
}

Test(sshsig_format, dearmor_accepts_crlf_and_surrounding_blanks)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX), armored = buf_make(SSHSIG_ARMORED_MAX),
	           crlf = buf_make(SSHSIG_ARMORED_MAX * 2), back = buf_make(4096);

	good_blob(&blob, NULL);
	cr_assert_eq(sshsig_armor(blob.data, blob.len, &armored), 0);
	cr_assert_eq(buf_append_str(&crlf, "\n \t\r\n"), 0);
	for (size_t i = 0; i < armored.len; i++) {
		if (armored.data[i] == '\n')
			cr_assert_eq(buf_append(&crlf, "\r", 1), 0);
		cr_assert_eq(buf_append(&crlf, &armored.data[i], 1), 0);
	}
	cr_assert_eq(buf_append_str(&crlf, "\r\n\n"), 0);
	cr_assert_eq(sshsig_dearmor(crlf.data, crlf.len, &back), 0, "%s", err_message());
	cr_assert_eq(back.len, blob.len);
	cr_assert_arr_eq(back.data, blob.data, blob.len);
	/* Without the final newline. */
	cr_assert_eq(sshsig_dearmor(armored.data, armored.len - 1, &back), 0, "%s", err_message());
	cr_assert_eq(back.len, blob.len);
	buf_free(&blob);
	buf_free(&armored);
	buf_free(&crlf);
	buf_free(&back);
}

Test(sshsig_format, parse_blob_fields)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX), data = buf_make(1024);
	struct sshkey_public key;
	struct sshsig_parts parts;

	good_blob(&blob, &key);
	cr_assert_eq(sshsig_parse_blob(blob.data, blob.len, &parts), 0, "%s", err_message());
	cr_assert(sshkey_public_equal(&parts.key, &key));
	cr_assert_eq(parts.namespace_len, strlen(NS));
	cr_assert_arr_eq(parts.namespace, NS, strlen(NS));
	cr_assert_str_eq(parts.hash_algorithm, SSHSIG_HASH_SHA512);
	cr_assert_eq(parts.signature, blob.data + blob.len - 64, "the raw signature is the last 64 bytes");
	/* The signed data is what PROTOCOL.sshsig says, and the signature covers it. */
	cr_assert_eq(sshsig_signed_data(NS, SSHSIG_HASH_SHA512, (const uint8_t *)MSG, strlen(MSG), &data), 0);
	cr_assert_eq(data.len, 6 + 4 + strlen(NS) + 4 + 4 + 6 + 4 + 64);
	cr_assert_arr_eq(data.data, "SSHSIG", 6);
	cr_assert_eq(crypto_sign_ed25519_verify_detached(parts.signature, data.data, data.len, key.ed25519), 0);
	buf_reset(&data);
	cr_assert_eq(sshsig_signed_data(NS, SSHSIG_HASH_SHA256, (const uint8_t *)MSG, strlen(MSG), &data), 0);
	cr_assert_eq(data.len, 6 + 4 + strlen(NS) + 4 + 4 + 6 + 4 + 32);
	buf_reset(&data);
	assert_error(sshsig_signed_data(NS, "sha1", (const uint8_t *)MSG, strlen(MSG), &data), CER_ERR_UNSUPPORTED,
	             "unsupported hash algorithm \"sha1\"");
	buf_free(&blob);
	buf_free(&data);
}

/* ---- signing through a real ssh-agent ---- */

static pid_t agent_pid;
static char *agent_dir, *agent_sock;

/* Start `ssh-agent -D -a SOCKET` (a socket path short enough for sun_path) and point SSH_AUTH_SOCK at it. */
static void agent_setup(void)
{
	char tmpl[] = "/tmp/cer-agent.XXXXXX";
	pid_t pid;

	setup();
	cr_assert_not_null(mkdtemp(tmpl));
	agent_dir = strdup(tmpl);
	cr_assert(asprintf(&agent_sock, "%s/agent.sock", agent_dir) > 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execlp("ssh-agent", "ssh-agent", "-D", "-a", agent_sock, (char *)NULL);
		_exit(127);
	}
	agent_pid = pid;
	for (int i = 0; i < 500; i++) {
		struct stat st;
		struct timespec ts = {0, 10 * 1000 * 1000};
		if (stat(agent_sock, &st) == 0)
			break;
		nanosleep(&ts, NULL);
	}
	cr_assert_eq(access(agent_sock, F_OK), 0, "ssh-agent did not create %s", agent_sock);
	cr_assert_eq(setenv("SSH_AUTH_SOCK", agent_sock, 1), 0);
}

static void agent_teardown(void)
{
	if (agent_pid > 0) {
		kill(agent_pid, SIGTERM);
		waitpid(agent_pid, NULL, 0);
		agent_pid = 0;
	}
	if (agent_dir != NULL) {
		test_run("rm -rf '%s'", agent_dir);
		free(agent_dir);
		free(agent_sock);
		agent_dir = agent_sock = NULL;
	}
	unsetenv("SSH_AUTH_SOCK");
	teardown();
}

TestSuite(sshsig_agent, .init = agent_setup, .fini = agent_teardown, .timeout = 120);

static void ssh_add(const char *key_path)
{
	cr_assert_eq(test_run("SSH_AUTH_SOCK='%s' ssh-add -q '%s' </dev/null >/dev/null 2>&1", agent_sock, key_path), 0,
	             "ssh-add %s failed", key_path);
}

/* ssh-add a passphrase-protected key, answering the prompt with an askpass script. */
static void ssh_add_with_passphrase(const char *key_path, const char *passphrase)
{
	char *askpass = fresh_path("askpass");
	char *script = NULL;

	cr_assert(asprintf(&script, "#!/bin/sh\necho '%s'\n", passphrase) > 0);
	test_write_file(askpass, script, strlen(script));
	cr_assert_eq(chmod(askpass, 0700), 0);
	cr_assert_eq(test_run("SSH_AUTH_SOCK='%s' SSH_ASKPASS='%s' SSH_ASKPASS_REQUIRE=force DISPLAY=none "
	                      "setsid -w ssh-add -q '%s' </dev/null >/dev/null 2>&1",
	                      agent_sock, askpass, key_path),
	             0, "ssh-add with a passphrase failed for %s", key_path);
	free(script);
	free(askpass);
}

static void agent_sign_and_check(const char *spec, const struct sshkey_public *expected, struct buf *armored)
{
	struct signer *s = NULL;

	cr_assert_eq(signer_open(&s, spec), 0, "%s: %s", spec, err_message());
	cr_assert(sshkey_public_equal(signer_public_key(s), expected), "%s opened another key", spec);
	cr_assert_str_eq(signer_name(s), spec);
	cr_assert_eq(sshsig_sign(s, NS, (const uint8_t *)MSG, strlen(MSG), armored), 0, "%s: %s", spec, err_message());
	cr_assert_eq(ssh_verify(expected, "agent-user", NS, armored->data, armored->len, MSG, strlen(MSG)), 0,
	             "ssh-keygen -Y verify refused the agent-made signature of %s", spec);
	signer_free(s);
}

Test(sshsig_agent, agent_comment_and_fingerprint_sign)
{
	char *key = keygen("agentkey", "ed25519", "", "agent-alice");
	struct sshkey_public pub = pub_of(key);
	struct buf by_comment = buf_make(SSHSIG_ARMORED_MAX), by_fp = buf_make(SSHSIG_ARMORED_MAX),
	           by_file = buf_make(SSHSIG_ARMORED_MAX);
	char fp[SSHKEY_FINGERPRINT_CHARS + 1], *spec = NULL;

	ssh_add(key);
	agent_sign_and_check("agent:agent-alice", &pub, &by_comment);
	sshkey_fingerprint_text(&pub, fp);
	cr_assert(asprintf(&spec, "agent:%s", fp) > 0);
	agent_sign_and_check(spec, &pub, &by_fp);
	/* Ed25519 is deterministic: the agent's signature is the one the key file makes. */
	sign_with_file(key, NS, MSG, strlen(MSG), &by_file);
	cr_assert_str_eq((const char *)by_comment.data, (const char *)by_file.data);
	cr_assert_str_eq((const char *)by_fp.data, (const char *)by_file.data);
	free(spec);
	buf_free(&by_comment);
	buf_free(&by_fp);
	buf_free(&by_file);
	free(key);
}

Test(sshsig_agent, passphrase_key_refused_as_file_but_works_through_agent)
{
	char *key = keygen("lockedkey", "ed25519", "correct horse", "agent-locked");
	struct sshkey_public pub = pub_of(key);
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
	struct signer *s = (struct signer *)1;

	assert_error(signer_open(&s, key), CER_ERR_UNSUPPORTED, "ssh-agent");
	cr_assert(strstr(err_message(), key) != NULL, "names the key: %s", err_message());
	cr_assert_null(s);
	ssh_add_with_passphrase(key, "correct horse");
	agent_sign_and_check("agent:agent-locked", &pub, &armored);
	buf_free(&armored);
	free(key);
}

Test(sshsig_agent, passphrase_key_reencrypted_after_adding)
{
	/* The other way to get there: add the plain key, then encrypt the file in place. */
	char *key = keygen("rekey", "ed25519", "", "agent-rekey");
	struct sshkey_public pub = pub_of(key);
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
	struct signer *s = NULL;

	ssh_add(key);
	cr_assert_eq(test_run("ssh-keygen -q -p -N secret -P '' -f '%s' >/dev/null 2>&1", key), 0);
	assert_error(signer_open(&s, key), CER_ERR_UNSUPPORTED, "load it into ssh-agent");
	agent_sign_and_check("agent:agent-rekey", &pub, &armored);
	buf_free(&armored);
	free(key);
}

Test(sshsig_agent, unknown_comment_not_found)
{
	char *key = keygen("k1", "ed25519", "", "present");
	struct signer *s = (struct signer *)1;

	ssh_add(key);
	assert_error(signer_open(&s, "agent:absent"), CER_ERR_NOT_FOUND, "\"absent\"");
	cr_assert(strstr(err_message(), "agent:absent") != NULL, "names the spec: %s", err_message());
	cr_assert_null(s);
	/* Comments are matched exactly, not as prefixes. */
	assert_error(signer_open(&s, "agent:pres"), CER_ERR_NOT_FOUND, "no Ed25519 key");
	assert_error(signer_open(&s, "agent:SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), CER_ERR_NOT_FOUND,
	             "no Ed25519 key");
	free(key);
}

Test(sshsig_agent, empty_agent_and_empty_selector)
{
	struct signer *s = NULL;

	assert_error(signer_open(&s, "agent:anything"), CER_ERR_NOT_FOUND, "no Ed25519 key");
	assert_error(signer_open(&s, "agent:"), CER_ERR_USAGE, "needs a key comment");
}

Test(sshsig_agent, rsa_identity_is_skipped)
{
	char *rsa = keygen("rsa", "rsa", "", "agent-rsa"), *ed = keygen("ed", "ed25519", "", "agent-ed");
	struct sshkey_public pub = pub_of(ed);
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
	struct signer *s = NULL;

	ssh_add(rsa);
	ssh_add(ed);
	assert_error(signer_open(&s, "agent:agent-rsa"), CER_ERR_NOT_FOUND, "no Ed25519 key");
	agent_sign_and_check("agent:agent-ed", &pub, &armored);
	buf_free(&armored);
	free(rsa);
	free(ed);
}

Test(sshsig_agent, two_keys_with_one_comment_refused_fingerprint_works)
{
	char *a = keygen("twin1", "ed25519", "", "twin"), *b = keygen("twin2", "ed25519", "", "twin");
	struct sshkey_public pub_b = pub_of(b);
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
	char fp[SSHKEY_FINGERPRINT_CHARS + 1], *spec = NULL;
	struct signer *s = NULL;

	ssh_add(a);
	ssh_add(b);
	assert_error(signer_open(&s, "agent:twin"), CER_ERR_USAGE, "several Ed25519 keys matching \"twin\"");
	sshkey_fingerprint_text(&pub_b, fp);
	cr_assert(asprintf(&spec, "agent:%s", fp) > 0);
	agent_sign_and_check(spec, &pub_b, &armored);
	free(spec);
	buf_free(&armored);
	free(a);
	free(b);
}

Test(sshsig_agent, key_removed_after_open_refused)
{
	char *key = keygen("gone", "ed25519", "", "agent-gone");
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX);
	struct signer *s = NULL;

	ssh_add(key);
	cr_assert_eq(signer_open(&s, "agent:agent-gone"), 0, "%s", err_message());
	cr_assert_eq(test_run("SSH_AUTH_SOCK='%s' ssh-add -q -d '%s' >/dev/null 2>&1", agent_sock, key), 0);
	assert_error(sshsig_sign(s, NS, (const uint8_t *)MSG, strlen(MSG), &armored), CER_ERR_REFUSED,
	             "ssh-agent refused to sign");
	cr_assert(strstr(err_message(), "agent:agent-gone") != NULL, "names the key: %s", err_message());
	cr_assert_eq(armored.len, 0);
	signer_free(s);
	buf_free(&armored);
	free(key);
}

Test(sshsig_agent, no_ssh_auth_sock_refused)
{
	struct signer *s = (struct signer *)1;

	cr_assert_eq(unsetenv("SSH_AUTH_SOCK"), 0);
	assert_error(signer_open(&s, "agent:anything"), CER_ERR_NOT_FOUND, "SSH_AUTH_SOCK is not set");
	cr_assert_null(s);
	cr_assert_eq(setenv("SSH_AUTH_SOCK", "", 1), 0);
	assert_error(signer_open(&s, "agent:anything"), CER_ERR_NOT_FOUND, "SSH_AUTH_SOCK is not set");
}

Test(sshsig_agent, dead_socket_refused)
{
	char *dead = NULL;
	struct signer *s = NULL;

	cr_assert(asprintf(&dead, "%s/no-agent-here.sock", agent_dir) > 0);
	cr_assert_eq(setenv("SSH_AUTH_SOCK", dead, 1), 0);
	assert_error(signer_open(&s, "agent:anything"), CER_ERR_IO, dead);
	free(dead);
}
