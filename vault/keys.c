#include "vault/keys.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/hash.h"

struct vault_key {
	enum vault_key_alg alg;
	EVP_PKEY *pkey;
	uint8_t fingerprint[VAULT_KEY_FINGERPRINT_BYTES];
};

int keys_self_test_fault = KEYS_TEST_NONE;

static enum { SELF_TEST_PENDING, SELF_TEST_PASSED, SELF_TEST_FAILED } self_test_state = SELF_TEST_PENDING;

static const struct {
	enum vault_key_alg alg;
	const char *name;
} alg_names[] = {
        {VAULT_KEY_ECDSA_P256, VAULT_KEY_NAME_ECDSA_P256}, {VAULT_KEY_ECDSA_P384, VAULT_KEY_NAME_ECDSA_P384},
        {VAULT_KEY_RSA_3072, VAULT_KEY_NAME_RSA_3072},     {VAULT_KEY_RSA_4096, VAULT_KEY_NAME_RSA_4096},
        {VAULT_KEY_ED25519, VAULT_KEY_NAME_ED25519},
};

/* One place where OpenSSL's error queue becomes our message: the earliest reason, then the queue is
 * emptied so a stale entry never explains a later failure. */
static int openssl_error(int code, const char *what)
{
	unsigned long e = ERR_peek_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	if (reason != NULL)
		return err_set(code, "%s: %s", what, reason);
	return err_set(code, "%s", what);
}

int vault_key_alg_parse(enum vault_key_alg *out, const char *name)
{
	size_t len;
	bool printable = true;

	if (name == NULL)
		return err_set(CER_ERR_UNSUPPORTED, "missing key algorithm");
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++) {
		if (strcmp(name, alg_names[i].name) == 0) {
			*out = alg_names[i].alg;
			return 0;
		}
	}
	len = strnlen(name, 33);
	for (size_t i = 0; i < len; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			printable = false;
	if (len == 0 || len > 32 || !printable)
		return err_set(CER_ERR_UNSUPPORTED, "unsupported key algorithm");
	return err_set(CER_ERR_UNSUPPORTED, "unsupported key algorithm \"%s\"", name);
}

const char *vault_key_alg_name(enum vault_key_alg alg)
{
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return "unknown";
}

static bool alg_is_valid(enum vault_key_alg alg)
{
	return strcmp(vault_key_alg_name(alg), "unknown") != 0;
}

/* The digest each algorithm signs with; NULL for Ed25519, which hashes internally (pure EdDSA). */
static const char *alg_digest(enum vault_key_alg alg)
{
	switch (alg) {
	case VAULT_KEY_ECDSA_P384:
		return "SHA384";
	case VAULT_KEY_ED25519:
		return NULL;
	case VAULT_KEY_ECDSA_P256:
	case VAULT_KEY_RSA_3072:
	case VAULT_KEY_RSA_4096:
		break;
	}
	return "SHA256";
}

static bool alg_is_rsa(enum vault_key_alg alg)
{
	return alg == VAULT_KEY_RSA_3072 || alg == VAULT_KEY_RSA_4096;
}

/* ---- signing and verification on a bare EVP_PKEY (keys and known-answer tests share them) ---- */

/* Open a DigestSign/DigestVerify context with the algorithm's digest; for RSA the PKCS#1 v1.5
 * padding is stated, not left to OpenSSL's default, since it is part of what verifiers expect. */
static int digest_init(EVP_MD_CTX **out, EVP_PKEY *pkey, enum vault_key_alg alg, bool sign)
{
	char pkcs1[] = OSSL_PKEY_RSA_PAD_MODE_PKCSV15;
	OSSL_PARAM rsa_params[2];
	const OSSL_PARAM *params = alg_is_rsa(alg) ? rsa_params : NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	rsa_params[0] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, pkcs1, 0);
	rsa_params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if (sign)
		ok = EVP_DigestSignInit_ex(ctx, NULL, alg_digest(alg), NULL, NULL, pkey, params);
	else
		ok = EVP_DigestVerifyInit_ex(ctx, NULL, alg_digest(alg), NULL, NULL, pkey, params);
	if (ok != 1) {
		EVP_MD_CTX_free(ctx);
		return openssl_error(CER_ERR_INTERNAL, sign ? "cannot start signing" : "cannot start verification");
	}
	*out = ctx;
	return 0;
}

static int sign_with(EVP_PKEY *pkey, enum vault_key_alg alg, const uint8_t *msg, size_t len,
                     uint8_t sig[VAULT_KEY_SIGNATURE_MAX], size_t *sig_len)
{
	EVP_MD_CTX *ctx = NULL;
	size_t n = VAULT_KEY_SIGNATURE_MAX;
	int r;

	if (len > VAULT_KEY_MESSAGE_MAX)
		return err_set(CER_ERR_USAGE, "message too large to sign (%zu bytes, at most %zu)", len,
		               VAULT_KEY_MESSAGE_MAX);
	if (EVP_PKEY_get_size(pkey) <= 0 || EVP_PKEY_get_size(pkey) > VAULT_KEY_SIGNATURE_MAX)
		return err_set(CER_ERR_INTERNAL, "unexpected signature size %d", EVP_PKEY_get_size(pkey));
	if ((r = digest_init(&ctx, pkey, alg, true)) != 0)
		return r;
	if (EVP_DigestSign(ctx, sig, &n, len > 0 ? msg : (const uint8_t *)"", len) != 1) {
		r = openssl_error(CER_ERR_INTERNAL, "signing failed");
		goto out;
	}
	*sig_len = n;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

static int verify_with(EVP_PKEY *pkey, enum vault_key_alg alg, const uint8_t *msg, size_t len, const uint8_t *sig,
                       size_t sig_len)
{
	EVP_MD_CTX *ctx = NULL;
	int r;

	if (len > VAULT_KEY_MESSAGE_MAX || sig_len > VAULT_KEY_SIGNATURE_MAX)
		return err_set(CER_ERR_USAGE, "message or signature too large to verify");
	if ((r = digest_init(&ctx, pkey, alg, false)) != 0)
		return r;
	/* 0 is a bad signature, a negative value a malformed one: both are "does not verify". */
	if (EVP_DigestVerify(ctx, sig_len > 0 ? sig : (const uint8_t *)"", sig_len, len > 0 ? msg : (const uint8_t *)"",
	                     len) != 1) {
		ERR_clear_error();
		r = err_set(CER_ERR_VERIFY, "%s signature does not verify", vault_key_alg_name(alg));
	}
	EVP_MD_CTX_free(ctx);
	return r;
}

/* ---- self-tests ---- */

static const char *const test_names[KEYS_TEST_COUNT] = {
        [KEYS_TEST_NONE] = "no self-test",
        [KEYS_TEST_SHA256] = "SHA-256 known-answer test",
        [KEYS_TEST_SHA384] = "SHA-384 known-answer test",
        [KEYS_TEST_ED25519] = "Ed25519 known-answer test",
        [KEYS_TEST_ECDSA_P256] = "ECDSA P-256 known-answer test",
        [KEYS_TEST_ECDSA_P384] = "ECDSA P-384 known-answer test",
        [KEYS_TEST_RSA] = "RSA PKCS#1 v1.5 known-answer test",
        [KEYS_TEST_PAIRWISE] = "pairwise consistency test",
};

const char *keys_test_name(enum keys_test_id id)
{
	if ((int)id < 0 || id >= KEYS_TEST_COUNT)
		return "unknown self-test";
	return test_names[id];
}

/* Enter the error state: from now on every operation is refused. */
static int self_test_failed(enum keys_test_id id, const char *detail)
{
	self_test_state = SELF_TEST_FAILED;
	ERR_clear_error();
	if (detail != NULL)
		return err_set(CER_ERR_INTERNAL, "self-test failed: %s (%s)", keys_test_name(id), detail);
	return err_set(CER_ERR_INTERNAL, "self-test failed: %s", keys_test_name(id));
}

/* The injected fault: flip one bit of the value the test compares against or verifies. */
static void inject_fault(enum keys_test_id id, uint8_t *value, size_t len)
{
	if (keys_self_test_fault == (int)id && len > 0)
		value[len / 2] ^= 0x01;
}

/* Known-answer values. The digests are the FIPS 180-4 examples; Ed25519 is RFC 8032 section 7.1,
 * TEST 1. The ECDSA and RSA public keys and signatures were made once with the openssl CLI (the
 * private keys were then thrown away):
 *   printf 'Ceremony vault known-answer test' > msg
 *   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem   (P-384; RSA with
 *       -algorithm RSA -pkeyopt rsa_keygen_bits:3072)
 *   openssl pkey -in k.pem -pubout -outform DER | xxd -p      (the SubjectPublicKeyInfo below)
 *   openssl dgst -sha256 -sign k.pem msg | xxd -p             (-sha384 for P-384) */
static const char kat_digest_message[] = "abc";
static const char kat_sha256_hex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char kat_sha384_hex[] =
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7";

static const char kat_ed25519_secret_hex[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char kat_ed25519_public_hex[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char kat_ed25519_signature_hex[] =
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
        "d25bf5f0595bbe24655141438e7a100b";

static const char kat_verify_message[] = "Ceremony vault known-answer test";
static const char kat_p256_spki_hex[] =
        "3059301306072a8648ce3d020106082a8648ce3d030107034200045077478182d1ec627fe62480b6ddffcc0b68d13913"
        "9dc70e99221b900c9cca75ed4e961d2abf8df2a3a569a39b4de68e7fa694ef9c15dcb47601ba5ff49ebf11";
static const char kat_p256_sig_hex[] =
        "3046022100c56f821932153eaadbbb4b61aa933a2767b26e0f007c0a5a1d87df5c49c6ee59022100e95bf59e3001558c"
        "ca581c178294f3495502f37613831c0e838747c37749cd45";
static const char kat_p384_spki_hex[] =
        "3076301006072a8648ce3d020106052b8104002203620004fbb14fb44bae1b72ee1288d11aeb7eefb6fd7b5ae0e5e2d1"
        "66445fd81c8e469170f6247c875a11c8d4e4760bc6540f9608f6047ce1f0bd0b92d0b498a8a72a1df48ac82524f3f376"
        "efac789ea557f13b5c4edb468072c275fb4c6b99fe7df4a0";
static const char kat_p384_sig_hex[] =
        "3065023100ea30475b47fe74d17cb6b0735ff34169c46273b40bea70bb0264e115b17288b433ce1207e6af3bdb03244b"
        "7bde26279f023043ac7f33dee0b9eb496a8f6e79df673c6699f629317016eebbf67587a1a533ef0fd76fc48cf02b4239"
        "a24ee96d9ed352";
static const char kat_rsa3072_spki_hex[] =
        "308201a2300d06092a864886f70d01010105000382018f003082018a0282018100baa4ba262d091d7cc12c24ce1823b4"
        "8c78ca89918fb79865f2e41233d614b82f37a7b3d9a42736f54117314f8d5348a2bb4cf62d903bbbf530f45d27d1aee3"
        "e2ec9be7e37a03850f87d2edf8a9ba498efbe703c84701892f529c98ec88bfaf9a0774b72d4065b1eb74a7a0f9ac8080"
        "dc569eb80058b11e06585ba3791fc49e403ddb45a1111c0c5d8d7e7eb23a743fed18306d9379f28cdb469fedf576ba60"
        "462abf8b67271162d748e2094d6c1b49dcb9605fab2878d505b374e0cbf14992636f08f17038875cf13c8edf66d9d5ff"
        "61594b82920bbd3e73d4f3ce699ab8dbe9fa1d8f0b680cd1b9594f8fae61d785c9d0d8c8bab686d448758754b0f19cfd"
        "41b2891dd7605fccac90c33eeaedb640994343a1b41649bfc219c9c498d029038a2d4e345af5f74d2a22afdf519c7bd6"
        "3f6645a8edf0ab8829a2d18acb545a31d5685db349d7b97363661d9da155d6d3096fda7a6435dfb63c1c6c146cf241a8"
        "06883e269f11b72c4d936ef73eec96ea6e008a56d3cefc0df7beaf86180b9e55630203010001";
static const char kat_rsa3072_sig_hex[] =
        "ae368439736c48a49aead9ab46acd1bf16293947441d359158b464bd7709d13ce619edb3daa80ecdce22ee4025b53b5e"
        "b72ad7aa94b515bf5516f1f9f3d3f1ce485c39f218a28ec83fd544116e8a087c9baae40cadbd8654064e8fd09cae3de3"
        "35e3156c54160e9550f5d16b8c92bcf2dd0079dd6ad39f707117f43a08d2b736bd46ed8e625127d12b3760a07fd5b2fe"
        "6fbe0b0e2553a32db3b1df44b6e3c418d5597c3fbff411c1f26150b489ec06084250d968d4a8efa9a1b52f955665d10d"
        "5ecade07fa1b8a156aaa71b6850b93b6ea09d94b9831d0821fb177cbc5419dbb62f54e89c3e4cda23c1931df396ed99a"
        "7055c559b77f1b32abb022bd99f2acf352e0d62fb5571684c0328e917f356112e854d57c916b9f0536346bfcce1a4c03"
        "7cf4f2714e781ee2bd3ea644e439da14e6eaffff0d30f784ce9abc4d70d5a1513baebe63df1dfcbe3f293beaca4cbcfe"
        "83f27dda5e344fdd863cb4fa5f87f64fdac7e393b49035f589ac1f6fe24100ca2afa9955d0d77bcc9103a29f5f985b63";

/* Decode a known-answer constant; the constants are ours, so failing here is a bug. */
static int kat_hex(const char *hex, uint8_t *out, size_t cap, size_t *len_out)
{
	size_t hex_len = strlen(hex);

	if (hex_len % 2 != 0 || hex_len / 2 > cap || hex_decode_exact(hex, hex_len, out, hex_len / 2) != 0)
		return -1;
	*len_out = hex_len / 2;
	return 0;
}

static int kat_digest(enum keys_test_id id, const char *md_name, const char *expected_hex)
{
	uint8_t expected[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
	unsigned int got_len = 0;
	size_t expected_len;
	EVP_MD *md = NULL;
	int ok;

	if (kat_hex(expected_hex, expected, sizeof(expected), &expected_len) != 0)
		return self_test_failed(id, "bad constant");
	inject_fault(id, expected, expected_len);
	md = EVP_MD_fetch(NULL, md_name, NULL);
	ok = md != NULL && EVP_Digest(kat_digest_message, strlen(kat_digest_message), got, &got_len, md, NULL) == 1;
	EVP_MD_free(md);
	if (!ok || got_len != expected_len || memcmp(got, expected, expected_len) != 0)
		return self_test_failed(id, NULL);
	return 0;
}

/* RFC 8032 TEST 1: the public key derived from the secret, the (deterministic) signature of the
 * empty message, its verification, and the refusal of the same signature over another message. */
static int kat_ed25519(void)
{
	uint8_t secret[32], public_expected[32], public_got[32], sig_expected[64], sig[VAULT_KEY_SIGNATURE_MAX];
	size_t len, public_len = sizeof(public_got), sig_len = 0;
	EVP_PKEY *pkey = NULL;
	int r = 0;

	if (kat_hex(kat_ed25519_secret_hex, secret, sizeof(secret), &len) != 0 ||
	    kat_hex(kat_ed25519_public_hex, public_expected, sizeof(public_expected), &len) != 0 ||
	    kat_hex(kat_ed25519_signature_hex, sig_expected, sizeof(sig_expected), &len) != 0)
		return self_test_failed(KEYS_TEST_ED25519, "bad constant");
	inject_fault(KEYS_TEST_ED25519, sig_expected, sizeof(sig_expected));
	pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, secret, sizeof(secret));
	if (pkey == NULL || EVP_PKEY_get_raw_public_key(pkey, public_got, &public_len) != 1 ||
	    public_len != sizeof(public_got) || memcmp(public_got, public_expected, sizeof(public_got)) != 0) {
		r = self_test_failed(KEYS_TEST_ED25519, "public key");
		goto out;
	}
	if (sign_with(pkey, VAULT_KEY_ED25519, NULL, 0, sig, &sig_len) != 0 || sig_len != sizeof(sig_expected) ||
	    memcmp(sig, sig_expected, sig_len) != 0) {
		r = self_test_failed(KEYS_TEST_ED25519, "signature");
		goto out;
	}
	if (verify_with(pkey, VAULT_KEY_ED25519, NULL, 0, sig_expected, sizeof(sig_expected)) != 0 ||
	    verify_with(pkey, VAULT_KEY_ED25519, (const uint8_t *)"x", 1, sig_expected, sizeof(sig_expected)) == 0) {
		r = self_test_failed(KEYS_TEST_ED25519, "verification");
		goto out;
	}
out:
	EVP_PKEY_free(pkey);
	sodium_memzero(secret, sizeof(secret));
	return r;
}

/* A fixed signature must verify over the fixed message and must not over a changed one. */
static int kat_verify(enum keys_test_id id, enum vault_key_alg alg, const char *spki_hex, const char *sig_hex)
{
	uint8_t spki[VAULT_KEY_PUBLIC_DER_MAX], sig[VAULT_KEY_SIGNATURE_MAX], changed[sizeof(kat_verify_message)];
	size_t spki_len, sig_len, msg_len = strlen(kat_verify_message);
	const unsigned char *p = spki;
	EVP_PKEY *pkey = NULL;
	int r = 0;

	if (kat_hex(spki_hex, spki, sizeof(spki), &spki_len) != 0 || kat_hex(sig_hex, sig, sizeof(sig), &sig_len) != 0)
		return self_test_failed(id, "bad constant");
	inject_fault(id, sig, sig_len);
	pkey = d2i_PUBKEY(NULL, &p, (long)spki_len);
	if (pkey == NULL || p != spki + spki_len) {
		r = self_test_failed(id, "public key");
		goto out;
	}
	memcpy(changed, kat_verify_message, msg_len);
	changed[0] ^= 0x20;
	if (verify_with(pkey, alg, (const uint8_t *)kat_verify_message, msg_len, sig, sig_len) != 0 ||
	    verify_with(pkey, alg, changed, msg_len, sig, sig_len) == 0)
		r = self_test_failed(id, NULL);
out:
	EVP_PKEY_free(pkey);
	return r;
}

int keys_self_test(void)
{
	int r;

	err_clear();
	if ((r = kat_digest(KEYS_TEST_SHA256, "SHA256", kat_sha256_hex)) != 0 ||
	    (r = kat_digest(KEYS_TEST_SHA384, "SHA384", kat_sha384_hex)) != 0 || (r = kat_ed25519()) != 0 ||
	    (r = kat_verify(KEYS_TEST_ECDSA_P256, VAULT_KEY_ECDSA_P256, kat_p256_spki_hex, kat_p256_sig_hex)) != 0 ||
	    (r = kat_verify(KEYS_TEST_ECDSA_P384, VAULT_KEY_ECDSA_P384, kat_p384_spki_hex, kat_p384_sig_hex)) != 0 ||
	    (r = kat_verify(KEYS_TEST_RSA, VAULT_KEY_RSA_3072, kat_rsa3072_spki_hex, kat_rsa3072_sig_hex)) != 0)
		return r;
	/* The error state is for the life of the process: passing later does not lift it. */
	if (self_test_state == SELF_TEST_FAILED)
		return err_set(CER_ERR_INTERNAL, "key operations are disabled: a self-test failed earlier");
	self_test_state = SELF_TEST_PASSED;
	return 0;
}

/* Every operation starts here: self-tests before first use, and nothing after a failure. */
static int keys_ready(void)
{
	if (self_test_state == SELF_TEST_PENDING)
		return keys_self_test();
	if (self_test_state == SELF_TEST_FAILED)
		return err_set(CER_ERR_INTERNAL, "key operations are disabled: a self-test failed earlier");
	return 0;
}

static const char pairwise_message[] = "Ceremony vault pairwise consistency test";

int keys_pairwise_test(const struct vault_key *key)
{
	uint8_t sig[VAULT_KEY_SIGNATURE_MAX];
	size_t sig_len = 0;
	int r;

	if (key == NULL)
		return err_set(CER_ERR_USAGE, "no key to test");
	if ((r = keys_ready()) != 0)
		return r;
	if (sign_with(key->pkey, key->alg, (const uint8_t *)pairwise_message, strlen(pairwise_message), sig,
	              &sig_len) != 0)
		return self_test_failed(KEYS_TEST_PAIRWISE, vault_key_alg_name(key->alg));
	inject_fault(KEYS_TEST_PAIRWISE, sig, sig_len);
	if (verify_with(key->pkey, key->alg, (const uint8_t *)pairwise_message, strlen(pairwise_message), sig,
	                sig_len) != 0)
		return self_test_failed(KEYS_TEST_PAIRWISE, vault_key_alg_name(key->alg));
	return 0;
}

/* ---- keys ---- */

static int public_der(EVP_PKEY *pkey, uint8_t der[VAULT_KEY_PUBLIC_DER_MAX], size_t *len_out)
{
	unsigned char *p = der;
	int n = i2d_PUBKEY(pkey, NULL);

	if (n <= 0 || n > VAULT_KEY_PUBLIC_DER_MAX)
		return openssl_error(CER_ERR_INTERNAL, "cannot encode the public key");
	if (i2d_PUBKEY(pkey, &p) != n)
		return openssl_error(CER_ERR_INTERNAL, "cannot encode the public key");
	*len_out = (size_t)n;
	return 0;
}

/* Wrap `pkey` (taken over, freed on failure) with its fingerprint, after the pairwise test. */
static int key_make(struct vault_key **out, EVP_PKEY *pkey, enum vault_key_alg alg)
{
	uint8_t der[VAULT_KEY_PUBLIC_DER_MAX];
	struct vault_key *key = NULL;
	size_t der_len = 0;
	int r;

	if ((key = calloc(1, sizeof(*key))) == NULL) {
		EVP_PKEY_free(pkey);
		return err_set(CER_ERR_NOMEM, "out of memory");
	}
	key->alg = alg;
	key->pkey = pkey; /* transferred */
	if ((r = public_der(pkey, der, &der_len)) != 0)
		goto out;
	sha256_digest(der, der_len, key->fingerprint);
	if ((r = keys_pairwise_test(key)) != 0)
		goto out;
	*out = key; /* transferred */
	key = NULL;
out:
	vault_key_free(key);
	return r;
}

int vault_key_generate(struct vault_key **out, enum vault_key_alg alg)
{
	char group[16] = "";
	size_t bits = alg == VAULT_KEY_RSA_4096 ? 4096 : 3072;
	OSSL_PARAM params[2] = {OSSL_PARAM_END, OSSL_PARAM_END};
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	const char *type;
	int r;

	*out = NULL;
	if (!alg_is_valid(alg))
		return err_set(CER_ERR_USAGE, "unknown key algorithm %d", (int)alg);
	if ((r = keys_ready()) != 0)
		return r;
	if (alg == VAULT_KEY_ED25519) {
		type = "ED25519";
	} else if (alg_is_rsa(alg)) {
		type = "RSA"; /* the public exponent is OpenSSL's default, 65537 */
		params[0] = OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &bits);
	} else {
		type = "EC";
		snprintf(group, sizeof(group), "%s", alg == VAULT_KEY_ECDSA_P256 ? "P-256" : "P-384");
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_CTX_set_params(ctx, params) != 1 ||
	    EVP_PKEY_keygen(ctx, &pkey) != 1) {
		r = openssl_error(CER_ERR_INTERNAL, "key generation failed");
		goto out;
	}
	r = key_make(out, pkey, alg); /* pkey transferred */
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

void vault_key_free(struct vault_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

enum vault_key_alg vault_key_get_alg(const struct vault_key *key)
{
	return key->alg;
}

const uint8_t *vault_key_fingerprint(const struct vault_key *key)
{
	return key->fingerprint;
}

int vault_key_public_der(const struct vault_key *key, struct buf *out)
{
	uint8_t der[VAULT_KEY_PUBLIC_DER_MAX];
	size_t len = 0;
	int r;

	buf_reset(out);
	if ((r = public_der(key->pkey, der, &len)) != 0)
		return r;
	return buf_append(out, der, len);
}

int vault_key_public_pem(const struct vault_key *key, struct buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	int r;

	buf_reset(out);
	if (bio == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if (PEM_write_bio_PUBKEY(bio, key->pkey) != 1 || (len = BIO_get_mem_data(bio, &data)) <= 0) {
		r = openssl_error(CER_ERR_INTERNAL, "cannot write the public key as PEM");
		goto out;
	}
	r = buf_append(out, data, (size_t)len);
out:
	BIO_free(bio);
	return r;
}

int vault_key_sign(const struct vault_key *key, const uint8_t *msg, size_t len, struct buf *sig)
{
	uint8_t tmp[VAULT_KEY_SIGNATURE_MAX];
	size_t tmp_len = 0;
	int r;

	buf_reset(sig);
	if ((r = keys_ready()) != 0)
		return r;
	if ((r = sign_with(key->pkey, key->alg, msg, len, tmp, &tmp_len)) != 0)
		return r;
	return buf_append(sig, tmp, tmp_len);
}

int vault_key_verify(const struct vault_key *key, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	int r;

	if ((r = keys_ready()) != 0)
		return r;
	return verify_with(key->pkey, key->alg, msg, len, sig, sig_len);
}

int vault_key_private_der(const struct vault_key *key, uint8_t *out, size_t cap, size_t *len_out)
{
	OSSL_ENCODER_CTX *ectx = NULL;
	unsigned char *p = out;
	size_t left = cap;
	int r = 0;

	if (cap < VAULT_KEY_PRIVATE_DER_MAX)
		return err_set(CER_ERR_USAGE, "private key buffer of %zu bytes, need %d", cap,
		               VAULT_KEY_PRIVATE_DER_MAX);
	if ((r = keys_ready()) != 0)
		return r;
	/* Encoded straight into the caller's secure buffer, never into memory of ours that would need
	 * wiping; OpenSSL's staging memory BIO is cleansed when freed (its other temporaries are its own). */
	ectx = OSSL_ENCODER_CTX_new_for_pkey(key->pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
	if (ectx == NULL || OSSL_ENCODER_CTX_get_num_encoders(ectx) == 0 ||
	    OSSL_ENCODER_to_data(ectx, &p, &left) != 1 || left >= cap) {
		sodium_memzero(out, cap);
		r = openssl_error(CER_ERR_INTERNAL, "cannot encode the private key");
		goto out;
	}
	*len_out = cap - left;
out:
	OSSL_ENCODER_CTX_free(ectx);
	return r;
}

/* "RSA 2048 bits", "EC secp384r1", "EC prime256v1 (explicit)", "ED448": what a loaded key is, for refusals. */
static void key_describe(EVP_PKEY *pkey, char *out, size_t cap)
{
	const char *type = EVP_PKEY_get0_type_name(pkey);
	char group[64] = "", encoding[32] = "";
	size_t len = 0;

	if (type == NULL)
		type = "unknown";
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		snprintf(out, cap, "%s %d bits", type, EVP_PKEY_get_bits(pkey));
	} else if (EVP_PKEY_is_a(pkey, "EC") &&
	           EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) == 1) {
		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, encoding, sizeof(encoding),
		                                   &len) == 1 &&
		    strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) != 0)
			snprintf(out, cap, "%s %s (%s)", type, group, encoding);
		else
			snprintf(out, cap, "%s %s", type, group);
	} else {
		snprintf(out, cap, "%s", type);
	}
	ERR_clear_error();
}

/* Named curve `nid`, encoded as a named curve with uncompressed points: what we generate, and what
 * the fingerprint (the SubjectPublicKeyInfo) assumes. */
static bool ec_key_is(EVP_PKEY *pkey, int nid)
{
	char group[64] = "", encoding[32] = "", form[32] = "";
	size_t len = 0;
	int got;

	if (!EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) != 1 ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, encoding, sizeof(encoding), &len) != 1 ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, form, sizeof(form),
	                                   &len) != 1)
		return false;
	got = OBJ_sn2nid(group);
	if (got == NID_undef)
		got = EC_curve_nist2nid(group);
	return got == nid && strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) == 0 &&
	       strcmp(form, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) == 0;
}

static bool rsa_key_is(EVP_PKEY *pkey, int bits)
{
	BIGNUM *e = NULL;
	bool ok;

	if (!EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_get_bits(pkey) != bits ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
		return false;
	ok = BN_is_word(e, 65537) == 1;
	BN_free(e);
	return ok;
}

static bool key_is(EVP_PKEY *pkey, enum vault_key_alg alg)
{
	bool ok = false;

	switch (alg) {
	case VAULT_KEY_ECDSA_P256:
		ok = ec_key_is(pkey, NID_X9_62_prime256v1);
		break;
	case VAULT_KEY_ECDSA_P384:
		ok = ec_key_is(pkey, NID_secp384r1);
		break;
	case VAULT_KEY_RSA_3072:
		ok = rsa_key_is(pkey, 3072);
		break;
	case VAULT_KEY_RSA_4096:
		ok = rsa_key_is(pkey, 4096);
		break;
	case VAULT_KEY_ED25519:
		ok = EVP_PKEY_is_a(pkey, "ED25519") == 1;
		break;
	}
	ERR_clear_error();
	return ok;
}

/* A DER tag and definite length (at most 2 length bytes, minimal), the contents within the cursor. */
static bool der_header(struct cursor *c, uint8_t tag, size_t *len_out)
{
	const uint8_t *b = NULL;
	uint8_t t = 0, first = 0;
	size_t len;

	if (cursor_get_u8(c, &t) != 0 || t != tag || cursor_get_u8(c, &first) != 0)
		return false;
	if (first < 0x80) {
		len = first;
	} else if (first == 0x81) {
		if (cursor_get_bytes(c, 1, &b) != 0 || b[0] < 0x80)
			return false;
		len = b[0];
	} else if (first == 0x82) {
		if (cursor_get_bytes(c, 2, &b) != 0 || b[0] == 0)
			return false;
		len = (size_t)b[0] << 8 | b[1];
	} else {
		return false;
	}
	if (len > c->left)
		return false;
	*len_out = len;
	return true;
}

/* Is this PrivateKeyInfo ::= SEQUENCE { version INTEGER, privateKeyAlgorithm SEQUENCE, ... } filling
 * exactly `len` bytes? OpenSSL's decoder also takes the type-specific encodings (PKCS#1, SEC1), whose
 * second element is not a SEQUENCE; this looks only at the structure, never at the key's bytes. */
static int der_check_pkcs8(const uint8_t *der, size_t len)
{
	struct cursor c = cursor_make(der, len);
	const uint8_t *skip = NULL;
	size_t n = 0;

	if (!der_header(&c, 0x30, &n))
		goto bad;
	if (n != c.left)
		return err_set(CER_ERR_FORMAT, "trailing bytes after the private key");
	if (!der_header(&c, 0x02, &n) || cursor_get_bytes(&c, n, &skip) != 0 || c.left == 0 || c.p[0] != 0x30)
		goto bad;
	return 0;
bad:
	return err_set(CER_ERR_FORMAT, "not a DER PKCS#8 private key");
}

int vault_key_from_private_der(struct vault_key **out, enum vault_key_alg alg, const uint8_t *der, size_t len)
{
	OSSL_DECODER_CTX *dctx = NULL;
	const unsigned char *p = der;
	EVP_PKEY *pkey = NULL;
	size_t left = len;
	char what[96];
	int r;

	*out = NULL;
	if (!alg_is_valid(alg))
		return err_set(CER_ERR_USAGE, "unknown key algorithm %d", (int)alg);
	if (len == 0 || len > VAULT_KEY_PRIVATE_DER_MAX)
		return err_set(CER_ERR_FORMAT, "private key of %zu bytes (1 to %d expected)", len,
		               VAULT_KEY_PRIVATE_DER_MAX);
	if ((r = keys_ready()) != 0 || (r = der_check_pkcs8(der, len)) != 0)
		return r;
	/* Any key type: a key of the wrong type is then refused by name rather than as garbage. */
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", "PrivateKeyInfo", NULL, EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL || OSSL_DECODER_CTX_get_num_decoders(dctx) == 0) {
		r = openssl_error(CER_ERR_INTERNAL, "cannot set up the private key decoder");
		goto out;
	}
	if (OSSL_DECODER_from_data(dctx, &p, &left) != 1 || pkey == NULL) {
		ERR_clear_error();
		r = err_set(CER_ERR_FORMAT, "not a DER PKCS#8 private key");
		goto out;
	}
	if (left != 0) {
		r = err_set(CER_ERR_FORMAT, "trailing bytes after the private key");
		goto out;
	}
	if (!key_is(pkey, alg)) {
		key_describe(pkey, what, sizeof(what));
		r = err_set(CER_ERR_UNSUPPORTED, "private key is %s, expected %s", what, vault_key_alg_name(alg));
		goto out;
	}
	r = key_make(out, pkey, alg); /* transferred */
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	OSSL_DECODER_CTX_free(dctx);
	return r;
}
