/* vault/service: the vault's state machine without its socket. Sealed at start with a session key;
 * share contributions checked, attributed and counted once; the quorum opens it and the audit key
 * certifies the session key; key operations only while open; seal wipes; every request but status
 * in the log, the response naming its line; a log that cannot be written stops everything. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/init.h"
#include "helpers.h"
#include "vault/init.h"
#include "vault/keys.h"
#include "vault/log.h"
#include "vault/service.h"
#include "vault/sharefile.h"

static char *dir, *vault_dir, *shares_dir;
static struct vault_identity identity;
static uint8_t *shares; /* 3 x 32, secure memory */
static const char *const key_masters[] = {"bob", "carol", "erin"};

static void setup(void)
{
	const char *files[3];
	char path[3][512];
	struct vault_init_request req = {0};

	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	dir = test_tmpdir("vault-service");
	cr_assert(asprintf(&vault_dir, "%s/vault", dir) > 0);
	cr_assert(asprintf(&shares_dir, "%s/shares", dir) > 0);
	for (int i = 0; i < 3; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/%s.pass", dir, key_masters[i]);
		test_write_file(path[i], key_masters[i], strlen(key_masters[i]));
		cr_assert_eq(test_run("chmod 600 '%s'", path[i]), 0);
		files[i] = path[i];
	}
	req.dir = vault_dir;
	req.shares_dir = shares_dir;
	req.threshold = 2;
	req.key_masters = key_masters;
	req.passphrase_files = files;
	req.key_master_count = 3;
	req.who = "operator";
	req.fast_kdf = 1;
	cr_assert_eq(vault_init(&req, &identity), 0, "%s", err_message());
	shares = sodium_malloc(3 * 32);
	cr_assert_not_null(shares);
	for (int i = 0; i < 3; i++) {
		struct sharefile_header h;
		char share_path[512];
		snprintf(share_path, sizeof(share_path), "%s/%s.share", shares_dir, key_masters[i]);
		cr_assert_eq(sharefile_read(share_path, identity.id, key_masters[i], strlen(key_masters[i]), &h,
		                            shares + 32 * i),
		             0, "%s", err_message());
		cr_assert_eq(h.share_index, (unsigned)i + 1);
	}
}

static void teardown(void)
{
	sodium_free(shares);
	if (dir != NULL)
		test_run("rm -rf '%s'", dir);
	free(dir);
	free(vault_dir);
	free(shares_dir);
}

TestSuite(vault_service, .init = setup, .fini = teardown, .timeout = 120);

static struct vault_service *start(void)
{
	struct vault_service *s = NULL;

	cr_assert_eq(vault_service_start(&s, vault_dir, "test-process"), 0, "%s", err_message());
	return s;
}

/* Send op with fields ("name", "value", ..., NULL) and an optional payload; return the status. */
static const char *call(struct vault_service *s, struct vault_msg *resp, struct buf *out, const uint8_t *payload,
                        size_t payload_len, const char *op, ...)
{
	struct vault_msg req;
	const char *name, *value;
	va_list ap;

	vault_msg_init(&req);
	cr_assert_eq(vault_msg_add(&req, "op", op), 0);
	va_start(ap, op);
	while ((name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		cr_assert_eq(vault_msg_add(&req, name, value), 0, "%s", err_message());
	}
	va_end(ap);
	req.payload = payload;
	req.payload_len = payload_len;
	cr_assert_eq(vault_service_handle(s, &req, "uid=0/pid=1", resp, out), 0, "%s", err_message());
	return vault_msg_get(resp, "status");
}

static void contribute(struct vault_service *s, struct vault_msg *resp, struct buf *out, int km, const char *who)
{
	char index[4];

	snprintf(index, sizeof(index), "%d", km + 1);
	call(s, resp, out, shares + 32 * km, 32, VAULT_REQ_UNSEAL_SHARE, "who", who, "index", index, NULL);
}

static void assert_response(const struct vault_msg *resp, const char *status, const char *fragment)
{
	cr_assert_str_eq(vault_msg_get(resp, "status"), status, "%s", vault_msg_get(resp, "message"));
	cr_assert(strstr(vault_msg_get(resp, "message"), fragment) != NULL, "message \"%s\" lacks \"%s\"",
	          vault_msg_get(resp, "message"), fragment);
}

/* The log's last line, as jq sees one field of it. */
static void assert_last_line(const char *jq_filter)
{
	cr_assert_eq(test_run("tail -n 1 '%s/vault.log' | jq -e '%s' >/dev/null", vault_dir, jq_filter), 0,
	             "the last log line does not satisfy %s", jq_filter);
}

static struct vault_log_result verify_log(void)
{
	struct vault_log_result res;
	char path[512];

	snprintf(path, sizeof(path), "%s/vault.log", vault_dir);
	cr_assert_eq(vault_log_verify(path, identity.audit_public_key, &res), 0, "%s", err_message());
	return res;
}

Test(vault_service, starts_sealed_and_logs_its_start_under_a_session_key)
{
	struct vault_service *s = start();
	struct buf out = buf_make(4096);
	struct vault_msg resp;

	cr_assert(!vault_service_unsealed(s));
	call(s, &resp, &out, NULL, 0, VAULT_REQ_STATUS, NULL);
	cr_assert_str_eq(vault_msg_get(&resp, "state"), "sealed");
	cr_assert_str_eq(vault_msg_get(&resp, "threshold"), "2");
	cr_assert_str_eq(vault_msg_get(&resp, "log-entries"), "4"); /* init's two, self-test, serve */
	assert_last_line(".op == \"serve\" and .who == \"test-process\" and (.signer | length) == 64");
	cr_assert_eq(verify_log().uncertified_lines, 2);
	vault_service_stop(s, "test");
	buf_free(&out);
}

Test(vault_service, contributions_are_checked_attributed_and_counted_once)
{
	struct vault_service *s = start();
	struct buf out = buf_make(4096);
	uint8_t bad[32];
	struct vault_msg resp;

	contribute(s, &resp, &out, 0, "carol"); /* bob's share under carol's name */
	assert_response(&resp, "refused", "share 1 is not carol's in this vault");
	contribute(s, &resp, &out, 0, "bob");
	assert_response(&resp, "ok", "share 1 of bob accepted (1 of 2)");
	cr_assert_str_eq(vault_msg_get(&resp, "state"), "sealed");
	contribute(s, &resp, &out, 0, "bob");
	assert_response(&resp, "refused", "bob has already contributed a share");
	memcpy(bad, shares + 32, 32);
	bad[0] ^= 1;
	call(s, &resp, &out, bad, 32, VAULT_REQ_UNSEAL_SHARE, "who", "carol", "index", "2", NULL);
	assert_response(&resp, "refused", "the share of carol does not match the vault's commitments");
	assert_last_line(".op == \"unseal-share\" and .who == \"carol\" and .outcome == \"refused\"");
	call(s, &resp, &out, bad, 31, VAULT_REQ_UNSEAL_SHARE, "who", "carol", "index", "2", NULL);
	assert_response(&resp, "refused", "a share is 32 bytes, not 31");
	call(s, &resp, &out, bad, 32, VAULT_REQ_UNSEAL_SHARE, "who", "carol", "index", "02", NULL);
	assert_response(&resp, "refused", "the share index must be a number from 1 to 32");
	cr_assert(!vault_service_unsealed(s));

	contribute(s, &resp, &out, 1, "carol");
	assert_response(&resp, "ok", "share 2 of carol accepted (2 of 2)");
	cr_assert_str_eq(vault_msg_get(&resp, "state"), "unsealed");
	cr_assert_not_null(vault_msg_get(&resp, "unseal-seq"));
	cr_assert(vault_service_unsealed(s));
	assert_last_line(".op == \"unseal\" and .detail == \"opened by bob, carol\" and (.certifies | length) == 64");
	cr_assert_eq(verify_log().uncertified_lines, 0, "the unseal line certifies every session line");
	contribute(s, &resp, &out, 2, "erin");
	assert_response(&resp, "refused", "the vault is already open");
	vault_service_stop(s, "test ends");
	assert_last_line(".op == \"seal\" and .detail == \"test ends\" and (has(\"signer\") | not)");
	buf_free(&out);
}

Test(vault_service, key_operations_only_while_open_each_logged_with_its_line)
{
	struct vault_service *s = start();
	struct buf out = buf_make(VAULT_MSG_PAYLOAD_MAX);
	static const uint8_t firmware[] = "firmware image";
	struct vault_msg resp;
	char fp[65];

	call(s, &resp, &out, NULL, 0, VAULT_REQ_GENERATE, "who", "operator", "label", "fw", "alg", "ed25519", NULL);
	assert_response(&resp, "refused", "the vault is sealed");
	contribute(s, &resp, &out, 2, "erin");
	contribute(s, &resp, &out, 0, "bob");
	cr_assert(vault_service_unsealed(s));

	call(s, &resp, &out, NULL, 0, VAULT_REQ_GENERATE, "who", "operator", "label", "fw", "alg", "ecdsa-p256", NULL);
	assert_response(&resp, "ok", "ecdsa-p256 key generated and stored");
	snprintf(fp, sizeof(fp), "%s", vault_msg_get(&resp, "fingerprint"));
	cr_assert_eq(strlen(fp), 64);
	assert_last_line(".op == \"generate\" and .label == \"fw\" and .outcome == \"ok\"");
	cr_assert_eq(test_run("tail -n 1 '%s/vault.log' | jq -e '.fingerprint == \"%s\"' >/dev/null", vault_dir, fp),
	             0);

	call(s, &resp, &out, NULL, 0, VAULT_REQ_EXPORT, "who", "operator", "label", "fw", NULL);
	assert_response(&resp, "ok", "public key exported");
	cr_assert_str_eq(vault_msg_get(&resp, "fingerprint"), fp);
	cr_assert(out.len > 0 && memcmp(out.data, "-----BEGIN PUBLIC KEY-----", 26) == 0);

	call(s, &resp, &out, firmware, sizeof(firmware), VAULT_REQ_SIGN, "who", "operator", "label", "fw", NULL);
	assert_response(&resp, "ok", "signed a message of 15 bytes");
	cr_assert_not_null(vault_msg_get(&resp, "signature-sha256"));
	cr_assert(out.len > 0);

	call(s, &resp, &out, NULL, 0, VAULT_REQ_DESTROY, "who", "operator", "label", "fw", NULL);
	assert_response(&resp, "ok", "private key destroyed");
	call(s, &resp, &out, firmware, sizeof(firmware), VAULT_REQ_SIGN, "who", "operator", "label", "fw", NULL);
	assert_response(&resp, "refused", "was destroyed");
	cr_assert_eq(out.len, 0, "a refused operation hands nothing out");

	call(s, &resp, &out, NULL, 0, VAULT_REQ_GENERATE, "who", "operator", "label", "Bad Label", "alg", "ed25519",
	     NULL);
	assert_response(&resp, "refused", "no valid key label");
	call(s, &resp, &out, NULL, 0, VAULT_REQ_GENERATE, "who", "operator", "label", "x", "alg", "dsa-1024", NULL);
	assert_response(&resp, "refused", "unsupported key algorithm");
	call(s, &resp, &out, NULL, 0, "launch", "who", "operator", NULL);
	assert_response(&resp, "refused", "unknown operation \"launch\"");
	assert_last_line(".op == \"refuse\" and .who == \"operator\"");
	call(s, &resp, &out, NULL, 0, VAULT_REQ_SEAL, "who", "bad who", NULL);
	assert_response(&resp, "refused", "does not name who asks");
	assert_last_line(".op == \"refuse\" and .who == \"uid=0/pid=1\"");
	cr_assert(vault_service_unsealed(s), "a refused seal does not seal");

	call(s, &resp, &out, NULL, 0, VAULT_REQ_SEAL, "who", "operator", NULL);
	assert_response(&resp, "ok", "sealed");
	cr_assert(!vault_service_unsealed(s));
	call(s, &resp, &out, firmware, sizeof(firmware), VAULT_REQ_SIGN, "who", "operator", "label", "fw", NULL);
	assert_response(&resp, "refused", "the vault is sealed");
	cr_assert_eq(verify_log().uncertified_lines, 0);
	vault_service_stop(s, NULL);
	buf_free(&out);
}

Test(vault_service, the_response_names_the_log_line)
{
	struct vault_service *s = start();
	struct buf out = buf_make(4096);
	struct vault_msg resp;
	char cmd[1024];

	contribute(s, &resp, &out, 0, "bob");
	snprintf(cmd, sizeof(cmd),
	         "test \"$(sed -n '%d'p '%s/vault.log' | tr -d '\\n' | sha256sum | cut -d' ' -f1)\" = '%s'",
	         (int)strtol(vault_msg_get(&resp, "seq"), NULL, 10) + 1, vault_dir, vault_msg_get(&resp, "hash"));
	cr_assert_eq(test_run("%s", cmd), 0, "the response's hash is not the SHA-256 of its log line");
	vault_service_stop(s, NULL);
	buf_free(&out);
}

Test(vault_service, a_log_that_cannot_be_written_stops_everything)
{
	struct vault_service *s = start();
	struct buf out = buf_make(4096);
	struct vault_msg req, resp;

	/* Someone appends behind the vault's back: its next append refuses to write. */
	cr_assert_eq(test_run("echo forged >> '%s/vault.log'", vault_dir), 0);
	vault_msg_init(&req);
	cr_assert_eq(vault_msg_add(&req, "op", VAULT_REQ_SEAL), 0);
	cr_assert_eq(vault_msg_add(&req, "who", "operator"), 0);
	cr_assert_neq(vault_service_handle(s, &req, "uid=0/pid=1", &resp, &out), 0);
	assert_response(&resp, "failed", "the vault log could not be written");
	vault_service_stop(s, NULL);
	buf_free(&out);
}

Test(vault_service, refuses_to_start_when_a_self_test_fails)
{
	struct vault_service *s = NULL;

	keys_self_test_fault = KEYS_TEST_ECDSA_P384;
	cr_assert_eq(vault_service_start(&s, vault_dir, "test-process"), CER_ERR_INTERNAL);
	cr_assert(strstr(err_message(), "self-test failed") != NULL, "%s", err_message());
	cr_assert(strstr(err_message(), "the vault refuses to work") != NULL, "%s", err_message());
	cr_assert_null(s);
	assert_last_line(".op == \"self-test\" and .outcome == \"failed\"");
}

Test(vault_service, refuses_to_start_on_a_tampered_log)
{
	struct vault_service *s = NULL;

	cr_assert_eq(test_run("sed -i '1s/\"who\":\"operator\"/\"who\":\"operatos\"/' '%s/vault.log'", vault_dir), 0);
	cr_assert_eq(vault_service_start(&s, vault_dir, "test-process"), CER_ERR_VERIFY);
	cr_assert(strstr(err_message(), "the vault refuses to start on a log that does not verify") != NULL, "%s",
	          err_message());
	cr_assert(strstr(err_message(), "line 1: bad signature") != NULL, "%s", err_message());
}

Test(vault_service, status_says_what_opened_the_vault_until_it_is_sealed)
{
	struct vault_service *s = start();
	struct buf out = buf_make(4096);
	struct vault_msg resp;
	char expected[512], hash[65];

	contribute(s, &resp, &out, 2, "erin");
	snprintf(hash, sizeof(hash), "%s", vault_msg_get(&resp, "hash"));
	call(s, &resp, &out, NULL, 0, VAULT_REQ_STATUS, NULL);
	cr_assert_eq(out.len, 0, "nothing is reported while sealed");
	contribute(s, &resp, &out, 0, "bob");
	call(s, &resp, &out, NULL, 0, VAULT_REQ_STATUS, NULL);
	cr_assert_str_eq(vault_msg_get(&resp, "state"), "unsealed");
	snprintf(expected, sizeof(expected), "unseal-share erin 3 4 %s ", hash);
	cr_assert(out.len > 0 && strncmp((const char *)out.data, expected, strlen(expected)) == 0, "%s",
	          (const char *)out.data);
	cr_assert(strstr((const char *)out.data, "\nunseal-share bob 1 5 ") != NULL, "%s", (const char *)out.data);
	cr_assert(strstr((const char *)out.data, "\nunseal 6 ") != NULL, "%s", (const char *)out.data);
	call(s, &resp, &out, NULL, 0, VAULT_REQ_SEAL, "who", "operator", NULL);
	call(s, &resp, &out, NULL, 0, VAULT_REQ_STATUS, NULL);
	cr_assert_eq(out.len, 0, "seal forgets what opened the vault");
	vault_service_stop(s, NULL);
	buf_free(&out);
}
