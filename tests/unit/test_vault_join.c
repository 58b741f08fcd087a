/* verifier/vault_join: the evidence's vault claims joined with a vault log written by the real writer
 * (vault/log.h): each finding the join makes, from a log and claims made to show it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "common/error.h"
#include "common/init.h"
#include "helpers.h"
#include "common/vault_identity.h"
#include "vault/log.h"
#include "vault/shamir.h"
#include "verifier/vault_join.h"

static char *dir, *log_path;
static uint8_t audit_pk[32], audit_sk[64], session_pk[32], session_sk[64];
static struct vault_log *log_handle;
static struct vault_claims claims;
static struct findings findings;

#define GENESIS "2026-01-01T10:00:00Z"
#define CLOSE "2026-01-01T11:00:00Z"
#define DURING 1767261900 /* 2026-01-01T10:05:00Z */
#define AFTER 1767272400 /* 2026-01-01T13:00:00Z */

static int sign_with(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	return crypto_sign_ed25519_detached(sig, NULL, msg, len, ctx) == 0 ? 0 : CER_ERR_INTERNAL;
}

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	dir = test_tmpdir("vault-join");
	cr_assert(asprintf(&log_path, "%s/vault.log", dir) > 0);
	crypto_sign_keypair(audit_pk, audit_sk);
	crypto_sign_keypair(session_pk, session_sk);
	cr_assert_eq(vault_log_create(&log_handle, log_path, audit_pk), 0, "%s", err_message());
	memset(&claims, 0, sizeof(claims));
	memset(&findings, 0, sizeof(findings));
	claims.has_vault = 1;
	memcpy(claims.audit_key, audit_pk, 32);
	snprintf(claims.first_time, sizeof(claims.first_time), GENESIS);
	snprintf(claims.close_time, sizeof(claims.close_time), CLOSE);
}

static void teardown(void)
{
	vault_log_close(log_handle);
	vault_claims_free(&claims);
	findings_free(&findings);
	test_run("rm -rf '%s'", dir);
	free(dir);
	free(log_path);
}

TestSuite(vault_join, .init = setup, .fini = teardown, .timeout = 30);

/* Append a line (audit-signed, or by the session key), returning its seq and hash. */
static uint64_t line(int64_t time, const char *who, const char *op, const char *label, uint8_t fp_byte, int session,
                     uint8_t hash[32])
{
	struct vault_log_entry e = {0};
	uint8_t fp[32];
	uint64_t seq = 0;

	memset(fp, fp_byte, sizeof(fp));
	e.time = time;
	e.who = who;
	e.op = op;
	e.label = label;
	e.fingerprint = fp_byte ? fp : NULL;
	e.outcome = VAULT_LOG_OUTCOME_OK;
	if (session)
		cr_assert_eq(vault_log_append_session(log_handle, &e, sign_with, session_sk, session_pk, &seq, hash), 0,
		             "%s", err_message());
	else
		cr_assert_eq(vault_log_append(log_handle, &e, sign_with, audit_sk, &seq, hash), 0, "%s", err_message());
	return seq;
}

static uint64_t certify_session(int64_t time, uint8_t hash[32])
{
	struct vault_log_entry e = {0};
	uint64_t seq = 0;

	e.time = time;
	e.who = "bob";
	e.op = "unseal";
	e.outcome = VAULT_LOG_OUTCOME_OK;
	e.certifies = session_pk;
	cr_assert_eq(vault_log_append(log_handle, &e, sign_with, audit_sk, &seq, hash), 0, "%s", err_message());
	return seq;
}

/* A record's claim of the line at `seq` with `hash`. */
static void claim(uint32_t record, const char *op, const char *label, uint8_t fp_byte, uint64_t seq,
                  const uint8_t hash[32])
{
	struct record *rec = NULL;
	struct record_vault_op o;

	cr_assert_eq(record_new(&rec), 0);
	rec->type = RECORD_STEP;
	rec->sequence = record;
	snprintf(rec->step, sizeof(rec->step), "step-%u", record);
	memset(&o, 0, sizeof(o));
	snprintf(o.op, sizeof(o.op), "%s", op);
	snprintf(o.outcome, sizeof(o.outcome), "ok");
	o.log_seq = seq;
	memcpy(o.log_hash, hash, 32);
	if (label != NULL)
		snprintf(o.label, sizeof(o.label), "%s", label);
	if (fp_byte) {
		o.has_fingerprint = 1;
		memset(o.fingerprint, fp_byte, 32);
	}
	cr_assert_eq(record_add_vault_op(rec, &o), 0, "%s", err_message());
	cr_assert_eq(vault_claims_note(&claims, rec, "0123456789abcdef0123456789abcdef01234567"), 0);
	record_free(rec);
}

/* Join and return the findings' codes, one per line (or ""). */
static const char *join_codes(void)
{
	static char codes[2048];
	struct vault_join_result res;

	codes[0] = '\0';
	cr_assert_eq(vault_join(log_path, &claims, &findings, &res), 0, "%s", err_message());
	for (size_t i = 0; i < findings.count; i++)
		snprintf(codes + strlen(codes), sizeof(codes) - strlen(codes), "%s\n", findings.items[i].code);
	return codes;
}

Test(vault_join, every_claim_joined_and_lifecycle_lines_need_none)
{
	uint8_t h[32];
	uint64_t seq;
	struct vault_join_result res;

	line(DURING, "vault-process", "serve", NULL, 0, 1, h);
	line(DURING, "vault-process", "self-test", NULL, 0, 1, h);
	seq = line(DURING, "bob", "unseal-share", NULL, 0, 1, h);
	claim(2, "unseal-share", NULL, 0, seq, h);
	seq = certify_session(DURING, h);
	claim(2, "unseal", NULL, 0, seq, h);
	seq = line(DURING, "alice", "generate", "fw", 7, 0, h);
	claim(3, "generate", "fw", 7, seq, h);
	cr_assert_eq(vault_join(log_path, &claims, &findings, &res), 0, "%s", err_message());
	cr_assert_eq(findings.count, 0, "%s", findings.count ? findings.items[0].message : "");
	cr_assert_eq(res.joined, 3);
	cr_assert_eq(res.entries, 5);
}

Test(vault_join, an_operation_no_record_explains)
{
	uint8_t h[32];

	line(DURING, "mallory", "sign", "fw", 7, 0, h);
	cr_assert_str_eq(join_codes(), "vault-op-unexplained\n");
	cr_assert(strstr(findings.items[0].message, "sign fw by mallory") != NULL, "%s", findings.items[0].message);
}

Test(vault_join, outside_the_ceremony_nothing_needs_explaining)
{
	uint8_t h[32];

	line(AFTER, "mallory", "sign", "fw", 7, 0, h);
	cr_assert_str_eq(join_codes(), "");
}

Test(vault_join, a_claim_the_log_does_not_have)
{
	uint8_t h[32];

	memset(h, 0x42, sizeof(h));
	claim(4, "sign", "fw", 7, 9, h);
	cr_assert_str_eq(join_codes(), "vault-op-missing\n");
	cr_assert_eq(findings.items[0].record, 4);
}

Test(vault_join, a_claim_of_another_line)
{
	uint8_t h[32], other[32];
	uint64_t seq = line(DURING, "alice", "generate", "fw", 7, 0, h);

	memcpy(other, h, 32);
	other[0] ^= 1;
	claim(3, "generate", "fw", 7, seq, other);
	cr_assert(strstr(join_codes(), "vault-op-missing\n") != NULL);
}

Test(vault_join, a_claim_that_says_otherwise)
{
	uint8_t h[32];
	uint64_t seq = line(DURING, "alice", "generate", "fw", 7, 0, h);

	claim(3, "generate", "fw", 8, seq, h); /* another fingerprint */
	cr_assert_str_eq(join_codes(), "vault-op-mismatch\n");
}

Test(vault_join, one_line_claimed_twice)
{
	uint8_t h[32];
	uint64_t seq = line(DURING, "alice", "generate", "fw", 7, 0, h);

	claim(3, "generate", "fw", 7, seq, h);
	claim(5, "generate", "fw", 7, seq, h);
	cr_assert_str_eq(join_codes(), "vault-op-claimed-twice\n");
}

Test(vault_join, a_destroyed_key_used_again)
{
	uint8_t h[32];
	uint64_t seq = line(DURING, "alice", "destroy", "fw", 7, 0, h);

	claim(3, "destroy", "fw", 7, seq, h);
	seq = line(DURING, "alice", "sign", "fw", 7, 0, h);
	claim(4, "sign", "fw", 7, seq, h);
	cr_assert_str_eq(join_codes(), "vault-key-used-after-destroy\n");
}

Test(vault_join, session_lines_no_audit_line_certifies)
{
	uint8_t h[32];
	uint64_t seq = line(DURING, "bob", "unseal-share", NULL, 0, 1, h);

	claim(2, "unseal-share", NULL, 0, seq, h);
	snprintf(claims.close_time, sizeof(claims.close_time), "%s", ""); /* still open: pending is fine */
	cr_assert_str_eq(join_codes(), "vault-log-uncertified\n");
}

Test(vault_join, contributions_a_claimed_seal_discarded_are_explained)
{
	uint8_t h[32];
	uint64_t seq;

	line(DURING, "bob", "unseal-share", NULL, 0, 0, h); /* accepted, then the session ended */
	seq = line(DURING, "bob", "seal", NULL, 0, 0, h);
	claim(3, "seal", NULL, 0, seq, h);
	cr_assert_str_eq(join_codes(), "");
}

Test(vault_join, contributions_no_record_reports)
{
	uint8_t h[32];

	line(DURING, "bob", "unseal-share", NULL, 0, 0, h);
	line(DURING, "bob", "unseal", NULL, 0, 0, h); /* unclaimed: itself unexplained too */
	cr_assert_str_eq(join_codes(), "vault-op-unexplained\nvault-op-unexplained\n");
}

Test(vault_join, contributions_outside_the_ceremony_need_no_record)
{
	uint8_t h[32];

	line(AFTER, "bob", "unseal-share", NULL, 0, 0, h); /* another ceremony's, never opened */
	line(AFTER, "bob", "unseal-share", NULL, 0, 0, h);
	line(AFTER, "carol", "unseal", NULL, 0, 0, h);
	cr_assert_str_eq(join_codes(), "");
}

Test(vault_join, a_log_that_does_not_verify)
{
	uint8_t h[32];

	line(DURING, "alice", "generate", "fw", 7, 0, h);
	cr_assert_eq(test_run("sed -i '1s/alice/alicf/' '%s'", log_path), 0);
	cr_assert_str_eq(join_codes(), "vault-log-invalid\n");
	cr_assert(strstr(findings.items[0].message, "line 1: bad signature") != NULL, "%s", findings.items[0].message);
}

Test(vault_join, no_vault_named)
{
	claims.has_vault = 0;
	cr_assert_str_eq(join_codes(), "vault-unknown\n");
}

Test(vault_join, a_missing_log_is_an_error)
{
	struct vault_join_result res;
	char *missing = NULL;

	cr_assert(asprintf(&missing, "%s/none.log", dir) > 0);
	cr_assert_eq(vault_join(missing, &claims, &findings, &res), CER_ERR_NOT_FOUND);
	free(missing);
}

/* ---- shares against the vault's commitments ---- */

/* An identity of a 2-of-3 vault and its shares (secure memory, 3 x 32). */
static uint8_t *make_identity(struct vault_identity *id)
{
	static const char *const masters[] = {"bob", "carol", "erin"};
	uint8_t *secret = sodium_malloc(32), *shares = sodium_malloc(3 * 32);

	cr_assert(secret != NULL && shares != NULL);
	crypto_core_ristretto255_scalar_random(secret);
	memset(id, 0, sizeof(*id));
	cr_assert_eq(shamir_split(secret, 2, 3, shares, &id->commitments), 0, "%s", err_message());
	cr_assert_eq(feldman_commitments_id(&id->commitments, id->id), 0);
	id->key_master_count = 3;
	for (int i = 0; i < 3; i++)
		snprintf(id->key_masters[i], sizeof(id->key_masters[i]), "%s", masters[i]);
	memcpy(id->audit_public_key, audit_pk, 32);
	memcpy(claims.vault_id, id->id, 32);
	sodium_free(secret);
	return shares;
}

static void claim_share(const char *who, unsigned index, const uint8_t point[32])
{
	struct record *rec = NULL;
	struct record_vault_op o;

	cr_assert_eq(record_new(&rec), 0);
	rec->type = RECORD_STEP;
	rec->sequence = 2;
	snprintf(rec->step, sizeof(rec->step), "unseal");
	memset(&o, 0, sizeof(o));
	snprintf(o.op, sizeof(o.op), "unseal-share");
	snprintf(o.outcome, sizeof(o.outcome), "ok");
	snprintf(o.who, sizeof(o.who), "%s", who);
	o.share_index = index;
	o.has_point = 1;
	memcpy(o.share_point, point, 32);
	cr_assert_eq(record_add_vault_op(rec, &o), 0, "%s", err_message());
	cr_assert_eq(vault_claims_note(&claims, rec, NULL), 0);
	record_free(rec);
}

static const char *share_codes(const struct vault_identity *id)
{
	static char codes[512];

	codes[0] = '\0';
	cr_assert_eq(vault_check_shares(&claims, id, &findings), 0, "%s", err_message());
	for (size_t i = 0; i < findings.count; i++)
		snprintf(codes + strlen(codes), sizeof(codes) - strlen(codes), "%s\n", findings.items[i].code);
	return codes;
}

Test(vault_join, shares_match_the_commitments)
{
	struct vault_identity id;
	uint8_t *shares = make_identity(&id), point[32];

	cr_assert_eq(shamir_share_public(shares, point), 0);
	claim_share("bob", 1, point);
	cr_assert_eq(shamir_share_public(shares + 64, point), 0);
	claim_share("erin", 3, point);
	cr_assert_str_eq(share_codes(&id), "");
	sodium_free(shares);
}

Test(vault_join, a_share_that_is_not_the_vaults)
{
	struct vault_identity id;
	uint8_t *shares = make_identity(&id), point[32];

	cr_assert_eq(shamir_share_public(shares + 32, point), 0); /* carol's point, reported as share 1 */
	claim_share("bob", 1, point);
	cr_assert_str_eq(share_codes(&id), "vault-share-invalid\n");
	cr_assert(strstr(findings.items[0].message, "is not a share of this vault's secret") != NULL, "%s",
	          findings.items[0].message);
	sodium_free(shares);
}

Test(vault_join, a_share_attributed_to_another_key_master)
{
	struct vault_identity id;
	uint8_t *shares = make_identity(&id), point[32];

	cr_assert_eq(shamir_share_public(shares, point), 0);
	claim_share("carol", 1, point);
	cr_assert_str_eq(share_codes(&id), "vault-share-invalid\n");
	cr_assert(strstr(findings.items[0].message, "share 1 is reported as carol's, the vault's identity names bob") !=
	                  NULL,
	          "%s", findings.items[0].message);
	sodium_free(shares);
}

Test(vault_join, the_identity_of_another_vault)
{
	struct vault_identity id;
	uint8_t *shares = make_identity(&id);

	claims.vault_id[0] ^= 1;
	cr_assert_str_eq(share_codes(&id), "vault-identity-mismatch\n");
	sodium_free(shares);
}
