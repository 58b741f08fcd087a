/* vault/keys: for every algorithm, keys whose fingerprints, public keys, private keys and signatures
 * stock openssl agrees with; the refusals of algorithm names and private keys; the self-tests and
 * each injected fault. RSA-4096 is generated once in this program (rsa_4096), it is slow. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/init.h"
#include "helpers.h"
#include "vault/keys.h"

static char *dir;

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	keys_self_test_fault = KEYS_TEST_NONE;
	dir = test_tmpdir("vault-keys");
}

static void teardown(void)
{
	keys_self_test_fault = KEYS_TEST_NONE;
	if (dir == NULL)
		return;
	test_run("rm -rf '%s'", dir);
	free(dir);
	dir = NULL;
}

TestSuite(vault_keys, .init = setup, .fini = teardown, .timeout = 300);

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

/* The 64 hex digits sha256sum printed into `path`. */
static void assert_sha256sum_file(const char *path, const uint8_t fingerprint[VAULT_KEY_FINGERPRINT_BYTES])
{
	char hex[VAULT_KEY_FINGERPRINT_BYTES * 2 + 1];
	size_t len = 0;
	char *text = test_read_file(path, &len);

	hex_encode(fingerprint, VAULT_KEY_FINGERPRINT_BYTES, hex);
	cr_assert(len > 64, "sha256sum wrote \"%s\"", text);
	cr_assert(strncmp(text, hex, 64) == 0, "openssl/sha256sum says %.64s, we say %s", text, hex);
	free(text);
}

/* The command that checks `sig` over `file` with stock openssl, as keys.h documents it. */
static int openssl_verify(enum vault_key_alg alg, const char *pub, const char *file, const char *sig)
{
	if (alg == VAULT_KEY_ED25519)
		return test_run(
		        "openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' -sigfile '%s' >/dev/null 2>&1", pub,
		        file, sig);
	return test_run("openssl dgst %s -verify '%s' -signature '%s' '%s' >/dev/null 2>&1",
	                alg == VAULT_KEY_ECDSA_P384 ? "-sha384" : "-sha256", pub, sig, file);
}

/* Everything stock openssl can say about one freshly generated key of `alg`; `other` is another
 * algorithm, as which the private key must be refused. */
static void check_algorithm(enum vault_key_alg alg, const char *name, enum vault_key_alg other)
{
	char *pub = path_in("pub.pem"), *ours = path_in("ours.der"), *theirs = path_in("theirs.der");
	char *fp = path_in("fp.txt"), *fw = path_in("firmware.bin"), *fw2 = path_in("firmware-modified.bin");
	char *sig_path = path_in("firmware.sig"), *priv = path_in("private.der");
	struct buf pem = buf_make(8192), der = buf_make(VAULT_KEY_PUBLIC_DER_MAX),
	           sig = buf_make(VAULT_KEY_SIGNATURE_MAX);
	struct vault_key *key = NULL, *loaded = NULL, *wrong = (struct vault_key *)&key;
	size_t fw_len = 100000 + (size_t)alg, priv_len = 0, theirs_len = 0;
	uint8_t *firmware = malloc(fw_len), *secret = sodium_malloc(VAULT_KEY_PRIVATE_DER_MAX);
	enum vault_key_alg parsed = 0;
	char *theirs_data;

	cr_assert(firmware != NULL && secret != NULL);
	cr_assert_eq(vault_key_alg_parse(&parsed, name), 0, "%s", err_message());
	cr_assert_eq(parsed, alg);
	cr_assert_str_eq(vault_key_alg_name(alg), name);

	cr_assert_eq(vault_key_generate(&key, alg), 0, "%s", err_message());
	cr_assert_eq(vault_key_get_alg(key), alg);
	cr_assert_eq(keys_pairwise_test(key), 0, "%s", err_message());

	/* Public key: our DER is what openssl re-encodes from our PEM, and the fingerprint is its SHA-256. */
	cr_assert_eq(vault_key_public_pem(key, &pem), 0, "%s", err_message());
	cr_assert(strncmp((const char *)pem.data, "-----BEGIN PUBLIC KEY-----\n", 27) == 0, "%s", pem.data);
	cr_assert_eq(vault_key_public_der(key, &der), 0, "%s", err_message());
	test_write_file(pub, pem.data, pem.len);
	test_write_file(ours, der.data, der.len);
	cr_assert_eq(test_run("openssl pkey -pubin -in '%s' -outform DER -out '%s' 2>/dev/null", pub, theirs), 0);
	theirs_data = test_read_file(theirs, &theirs_len);
	cr_assert_eq(theirs_len, der.len);
	cr_assert_arr_eq(theirs_data, der.data, der.len, "openssl's DER differs from ours");
	free(theirs_data);
	cr_assert_eq(test_run("openssl pkey -pubin -in '%s' -outform DER | sha256sum > '%s'", pub, fp), 0);
	assert_sha256sum_file(fp, vault_key_fingerprint(key));

	/* A signature over a firmware image verifies with stock openssl; over a changed image it does not. */
	randombytes_buf(firmware, fw_len);
	test_write_file(fw, firmware, fw_len);
	cr_assert_eq(vault_key_sign(key, firmware, fw_len, &sig), 0, "%s", err_message());
	test_write_file(sig_path, sig.data, sig.len);
	cr_assert_eq(openssl_verify(alg, pub, fw, sig_path), 0, "openssl refuses our %s signature", name);
	cr_assert_eq(vault_key_verify(key, firmware, fw_len, sig.data, sig.len), 0, "%s", err_message());
	firmware[fw_len / 3] ^= 0x04;
	test_write_file(fw2, firmware, fw_len);
	cr_assert_eq(openssl_verify(alg, pub, fw2, sig_path), 1, "openssl accepts our %s signature over a changed file",
	             name);
	assert_error(vault_key_verify(key, firmware, fw_len, sig.data, sig.len), CER_ERR_VERIFY, "does not verify");
	firmware[fw_len / 3] ^= 0x04;

	/* The private key: PKCS#8 DER that openssl reads, loaded back as the same key, refused as another. */
	cr_assert_eq(vault_key_private_der(key, secret, VAULT_KEY_PRIVATE_DER_MAX, &priv_len), 0, "%s", err_message());
	cr_assert(priv_len > 0 && priv_len <= VAULT_KEY_PRIVATE_DER_MAX);
	test_write_file(priv, secret, priv_len);
	cr_assert_eq(test_run("openssl pkcs8 -nocrypt -inform DER -in '%s' -out /dev/null 2>/dev/null", priv), 0,
	             "not PKCS#8 for openssl");
	cr_assert_eq(test_run("openssl pkey -inform DER -in '%s' -pubout -outform DER | sha256sum > '%s'", priv, fp),
	             0);
	assert_sha256sum_file(fp, vault_key_fingerprint(key));
	cr_assert_eq(vault_key_from_private_der(&loaded, alg, secret, priv_len), 0, "%s", err_message());
	cr_assert_arr_eq(vault_key_fingerprint(loaded), vault_key_fingerprint(key), VAULT_KEY_FINGERPRINT_BYTES);
	cr_assert_eq(vault_key_sign(loaded, firmware, fw_len, &sig), 0, "%s", err_message());
	cr_assert_eq(vault_key_verify(key, firmware, fw_len, sig.data, sig.len), 0, "%s", err_message());
	assert_error(vault_key_from_private_der(&wrong, other, secret, priv_len), CER_ERR_UNSUPPORTED,
	             vault_key_alg_name(other));
	cr_assert_null(wrong, "*out is NULL on failure");

	vault_key_free(loaded);
	vault_key_free(key);
	sodium_free(secret);
	free(firmware);
	buf_free(&pem);
	buf_free(&der);
	buf_free(&sig);
	free(pub);
	free(ours);
	free(theirs);
	free(fp);
	free(fw);
	free(fw2);
	free(sig_path);
	free(priv);
}

Test(vault_keys, ecdsa_p256)
{
	check_algorithm(VAULT_KEY_ECDSA_P256, "ecdsa-p256", VAULT_KEY_ECDSA_P384);
}

Test(vault_keys, ecdsa_p384)
{
	check_algorithm(VAULT_KEY_ECDSA_P384, "ecdsa-p384", VAULT_KEY_ECDSA_P256);
}

Test(vault_keys, rsa_3072)
{
	check_algorithm(VAULT_KEY_RSA_3072, "rsa-3072", VAULT_KEY_RSA_4096);
}

Test(vault_keys, rsa_4096)
{
	check_algorithm(VAULT_KEY_RSA_4096, "rsa-4096", VAULT_KEY_RSA_3072);
}

Test(vault_keys, ed25519)
{
	check_algorithm(VAULT_KEY_ED25519, "ed25519", VAULT_KEY_ECDSA_P256);
}

/* ---- names ---- */

Test(vault_keys, algorithm_names_are_exact)
{
	static const char *const refused[] = {"ECDSA-P256", "ecdsa-p256 ", " ed25519", "ecdsa_p256", "rsa-2048",
	                                      "rsa-8192",   "ed448",       "rsa",      "p256",       "",
	                                      "ed25519\n"};
	enum vault_key_alg alg = VAULT_KEY_ED25519;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_error(vault_key_alg_parse(&alg, refused[i]), CER_ERR_UNSUPPORTED, "unsupported key algorithm");
		cr_assert_eq(alg, VAULT_KEY_ED25519, "output untouched on failure");
	}
	assert_error(vault_key_alg_parse(&alg, "rsa-2048"), CER_ERR_UNSUPPORTED, "\"rsa-2048\"");
	assert_error(vault_key_alg_parse(&alg, "bad\x1b[2Jname"), CER_ERR_UNSUPPORTED, "unsupported key algorithm");
	cr_assert(strchr(err_message(), '\x1b') == NULL, "control characters are not echoed");
	assert_error(vault_key_alg_parse(&alg, NULL), CER_ERR_UNSUPPORTED, "missing key algorithm");
	cr_assert_str_eq(vault_key_alg_name((enum vault_key_alg)0), "unknown");
	cr_assert_str_eq(vault_key_alg_name((enum vault_key_alg)99), "unknown");
}

Test(vault_keys, generate_refuses_unknown_algorithm)
{
	struct vault_key *key = (struct vault_key *)&key;

	assert_error(vault_key_generate(&key, (enum vault_key_alg)0), CER_ERR_USAGE, "unknown key algorithm");
	cr_assert_null(key);
}

/* ---- private keys that are not what they should be ---- */

/* A private key made by the openssl CLI, as DER PKCS#8 in secure memory. */
static uint8_t *openssl_private_der(const char *genpkey_args, const char *to_der, size_t *len_out)
{
	char *pem = path_in("cli.pem"), *der = path_in("cli.der"), *data;
	uint8_t *secret;
	size_t len = 0;

	cr_assert_eq(test_run("openssl genpkey %s -out '%s' 2>/dev/null", genpkey_args, pem), 0, "%s", genpkey_args);
	cr_assert_eq(test_run("openssl %s -in '%s' -outform DER -out '%s' 2>/dev/null", to_der, pem, der), 0, "%s",
	             to_der);
	data = test_read_file(der, &len);
	secret = sodium_malloc(len + 1);
	cr_assert_not_null(secret);
	memcpy(secret, data, len);
	sodium_memzero(data, len);
	free(data);
	free(pem);
	free(der);
	*len_out = len;
	return secret;
}

Test(vault_keys, private_key_of_other_size_or_type_refused)
{
	struct vault_key *key = NULL;
	uint8_t *der;
	size_t len = 0;

	der = openssl_private_der("-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "pkcs8 -topk8 -nocrypt", &len);
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_RSA_3072, der, len), CER_ERR_UNSUPPORTED,
	             "private key is RSA 2048 bits, expected rsa-3072");
	sodium_free(der);

	der = openssl_private_der("-algorithm RSA -pkeyopt rsa_keygen_bits:3072 -pkeyopt rsa_keygen_pubexp:3",
	                          "pkcs8 -topk8 -nocrypt", &len);
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_RSA_3072, der, len), CER_ERR_UNSUPPORTED,
	             "expected rsa-3072");
	sodium_free(der);

	der = openssl_private_der("-algorithm ED448", "pkcs8 -topk8 -nocrypt", &len);
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_ED25519, der, len), CER_ERR_UNSUPPORTED,
	             "private key is ED448, expected ed25519");
	sodium_free(der);

	der = openssl_private_der("-algorithm EC -pkeyopt ec_paramgen_curve:secp256k1", "pkcs8 -topk8 -nocrypt", &len);
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_ECDSA_P256, der, len), CER_ERR_UNSUPPORTED,
	             "private key is EC secp256k1, expected ecdsa-p256");
	sodium_free(der);

	/* The right key, but not PKCS#8: SEC1 ECPrivateKey. */
	der = openssl_private_der("-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "ec", &len);
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_ECDSA_P256, der, len), CER_ERR_FORMAT,
	             "not a DER PKCS#8 private key");
	sodium_free(der);

	/* Nor PKCS#1 RSAPrivateKey. */
	der = openssl_private_der("-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "rsa -traditional", &len);
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_RSA_3072, der, len), CER_ERR_FORMAT,
	             "not a DER PKCS#8 private key");
	sodium_free(der);

	/* P-256 in PKCS#8, but with explicit curve parameters: its SubjectPublicKeyInfo would not be ours. */
	der = openssl_private_der("-algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:explicit",
	                          "pkcs8 -topk8 -nocrypt", &len);
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_ECDSA_P256, der, len), CER_ERR_UNSUPPORTED,
	             "private key is EC prime256v1 (explicit), expected ecdsa-p256");
	sodium_free(der);
	cr_assert_null(key);
}

Test(vault_keys, private_key_malformed_refused)
{
	uint8_t *secret = sodium_malloc(VAULT_KEY_PRIVATE_DER_MAX + 1);
	struct vault_key *key = NULL;
	size_t len = 0;

	cr_assert_eq(vault_key_generate(&key, VAULT_KEY_ED25519), 0, "%s", err_message());
	cr_assert_eq(vault_key_private_der(key, secret, VAULT_KEY_PRIVATE_DER_MAX + 1, &len), 0, "%s", err_message());
	vault_key_free(key);
	key = NULL;

	secret[len] = 0x00;
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_ED25519, secret, len + 1), CER_ERR_FORMAT,
	             "trailing bytes");
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_ED25519, secret, len - 1), CER_ERR_FORMAT,
	             "not a DER PKCS#8 private key");
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_ED25519, secret, 0), CER_ERR_FORMAT, "0 bytes");
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_ED25519, secret, VAULT_KEY_PRIVATE_DER_MAX + 1),
	             CER_ERR_FORMAT, "bytes (1 to");
	memset(secret, 0x41, 64);
	assert_error(vault_key_from_private_der(&key, VAULT_KEY_ED25519, secret, 64), CER_ERR_FORMAT,
	             "not a DER PKCS#8 private key");
	assert_error(vault_key_from_private_der(&key, (enum vault_key_alg)42, secret, 64), CER_ERR_USAGE,
	             "unknown key algorithm");
	cr_assert_null(key);
	sodium_free(secret);
}

Test(vault_keys, private_der_needs_room)
{
	uint8_t *secret = sodium_malloc(VAULT_KEY_PRIVATE_DER_MAX);
	struct vault_key *key = NULL;
	size_t len = 12345;

	cr_assert_eq(vault_key_generate(&key, VAULT_KEY_ED25519), 0, "%s", err_message());
	assert_error(vault_key_private_der(key, secret, VAULT_KEY_PRIVATE_DER_MAX - 1, &len), CER_ERR_USAGE,
	             "private key buffer");
	cr_assert_eq(len, 12345, "length untouched on failure");
	vault_key_free(key);
	sodium_free(secret);
}

Test(vault_keys, oversized_message_refused)
{
	struct buf sig = buf_make(VAULT_KEY_SIGNATURE_MAX);
	struct vault_key *key = NULL;
	uint8_t msg[1] = {0};

	cr_assert_eq(vault_key_generate(&key, VAULT_KEY_ED25519), 0, "%s", err_message());
	/* The length is refused before a byte is read. */
	assert_error(vault_key_sign(key, msg, (size_t)INT_MAX + 1, &sig), CER_ERR_USAGE, "too large");
	assert_error(vault_key_verify(key, msg, (size_t)INT_MAX + 1, msg, 1), CER_ERR_USAGE, "too large");
	cr_assert_eq(vault_key_sign(key, msg, 0, &sig), 0, "%s", err_message());
	cr_assert_eq(vault_key_verify(key, msg, 0, sig.data, sig.len), 0, "%s", err_message());
	assert_error(vault_key_verify(key, msg, 0, sig.data, 0), CER_ERR_VERIFY, "does not verify");
	vault_key_free(key);
	buf_free(&sig);
}

Test(vault_keys, free_accepts_null)
{
	vault_key_free(NULL);
}

/* ---- self-tests ---- */

Test(vault_keys, self_tests_pass)
{
	cr_assert_eq(keys_self_test(), 0, "%s", err_message());
	cr_assert_eq(keys_self_test(), 0, "%s", err_message());
}

Test(vault_keys, self_test_names)
{
	for (int i = KEYS_TEST_SHA256; i < KEYS_TEST_COUNT; i++) {
		cr_assert(strcmp(keys_test_name((enum keys_test_id)i), "unknown self-test") != 0);
		for (int j = KEYS_TEST_SHA256; j < i; j++)
			cr_assert_str_neq(keys_test_name((enum keys_test_id)i), keys_test_name((enum keys_test_id)j));
	}
	cr_assert_str_eq(keys_test_name(KEYS_TEST_COUNT), "unknown self-test");
	cr_assert_str_eq(keys_test_name((enum keys_test_id) - 1), "unknown self-test");
}

/* Each known-answer test, made to fail, is refused with its own name; the module then stays disabled. */
Test(vault_keys, each_injected_fault_refused)
{
	struct vault_key *key = NULL;
	char expected[128];

	for (int id = KEYS_TEST_SHA256; id < KEYS_TEST_PAIRWISE; id++) {
		keys_self_test_fault = id;
		snprintf(expected, sizeof(expected), "self-test failed: %s", keys_test_name((enum keys_test_id)id));
		assert_error(keys_self_test(), CER_ERR_INTERNAL, expected);
	}
	keys_self_test_fault = KEYS_TEST_NONE;
	assert_error(keys_self_test(), CER_ERR_INTERNAL, "a self-test failed earlier");
	assert_error(vault_key_generate(&key, VAULT_KEY_ED25519), CER_ERR_INTERNAL, "a self-test failed earlier");
	cr_assert_null(key);
}

/* Self-tests run before first use: a fault refuses the very first operation. */
Test(vault_keys, first_use_runs_self_tests)
{
	struct vault_key *key = NULL;

	keys_self_test_fault = KEYS_TEST_RSA;
	assert_error(vault_key_generate(&key, VAULT_KEY_ED25519), CER_ERR_INTERNAL,
	             "self-test failed: RSA PKCS#1 v1.5 known-answer test");
	cr_assert_null(key);
}

/* Once one key is in hand, a later failure disables signing with it too. */
Test(vault_keys, failed_self_test_disables_everything)
{
	uint8_t *secret = sodium_malloc(VAULT_KEY_PRIVATE_DER_MAX);
	struct buf sig = buf_make(VAULT_KEY_SIGNATURE_MAX);
	struct vault_key *key = NULL, *loaded = NULL;
	size_t len = 0;

	cr_assert_eq(vault_key_generate(&key, VAULT_KEY_ECDSA_P256), 0, "%s", err_message());
	cr_assert_eq(vault_key_private_der(key, secret, VAULT_KEY_PRIVATE_DER_MAX, &len), 0, "%s", err_message());
	keys_self_test_fault = KEYS_TEST_SHA384;
	assert_error(keys_self_test(), CER_ERR_INTERNAL, "self-test failed: SHA-384 known-answer test");
	keys_self_test_fault = KEYS_TEST_NONE;
	assert_error(vault_key_sign(key, (const uint8_t *)"x", 1, &sig), CER_ERR_INTERNAL, "self-test failed earlier");
	assert_error(vault_key_private_der(key, secret, VAULT_KEY_PRIVATE_DER_MAX, &len), CER_ERR_INTERNAL,
	             "self-test failed earlier");
	assert_error(vault_key_from_private_der(&loaded, VAULT_KEY_ECDSA_P256, secret, len), CER_ERR_INTERNAL,
	             "self-test failed earlier");
	cr_assert_null(loaded);
	vault_key_free(key);
	buf_free(&sig);
	sodium_free(secret);
}

Test(vault_keys, pairwise_fault_refused)
{
	struct vault_key *key = NULL;

	cr_assert_eq(vault_key_generate(&key, VAULT_KEY_ED25519), 0, "%s", err_message());
	cr_assert_eq(keys_pairwise_test(key), 0, "%s", err_message());
	keys_self_test_fault = KEYS_TEST_PAIRWISE;
	assert_error(keys_pairwise_test(key), CER_ERR_INTERNAL,
	             "self-test failed: pairwise consistency test (ed25519)");
	vault_key_free(key);
	assert_error(keys_pairwise_test(NULL), CER_ERR_USAGE, "no key");
}

/* A key that fails its pairwise test is never handed out. */
Test(vault_keys, pairwise_fault_refuses_generation)
{
	struct vault_key *key = NULL;

	cr_assert_eq(keys_self_test(), 0, "%s", err_message());
	keys_self_test_fault = KEYS_TEST_PAIRWISE;
	assert_error(vault_key_generate(&key, VAULT_KEY_ECDSA_P384), CER_ERR_INTERNAL,
	             "self-test failed: pairwise consistency test (ecdsa-p384)");
	cr_assert_null(key);
}
