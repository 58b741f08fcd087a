/* evidence/script: script_apply on hand-built records (no repository) against the test scenario
 * (helpers.h): every rule of the script, its violation code, and the state after each record. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/error.h"
#include "common/init.h"
#include "evidence/record.h"
#include "evidence/scenario.h"
#include "evidence/script.h"
#include "helpers.h"

static struct test_keys keys;
static struct scenario *scenario;
static struct script_state state;

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	test_keys_make(&keys);
	scenario = test_scenario_make(&keys);
	script_start(&state, scenario);
}

static void teardown(void)
{
	scenario_free(scenario);
	test_keys_free(&keys);
}

TestSuite(script, .init = setup, .fini = teardown, .timeout = 30);

enum { ALICE, BOB, CAROL }; /* roster indexes: alice lead+witness, bob keymaster+witness, carol keymaster */

#define FP "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct record *make(enum record_type type, uint32_t session, const char *step, const char *actor)
{
	struct record *rec = NULL;

	cr_assert_eq(record_new(&rec), 0);
	snprintf(rec->ceremony, sizeof(rec->ceremony), "test-1");
	rec->type = type;
	rec->session = session;
	snprintf(rec->step, sizeof(rec->step), "%s", step);
	snprintf(rec->time, sizeof(rec->time), "2025-01-02T03:04:05Z");
	snprintf(rec->actor, sizeof(rec->actor), "%s", actor);
	return rec;
}

/* The conforming record of each step, in session `session`. */
static struct record *room(uint32_t session)
{
	struct record *rec = make(RECORD_STEP, session, "room", "alice");
	cr_assert_eq(record_add_value(rec, "serial", "TEB-000042"), 0, "%s", err_message());
	return rec;
}

static struct record *open_bag(uint32_t session)
{
	static const uint8_t digest[32] = {1, 2, 3};
	struct record *rec = make(RECORD_STEP, session, "open", "bob");
	cr_assert_eq(record_add_attachment(rec, "photo", digest, 1234, 1), 0, "%s", err_message());
	cr_assert_eq(record_add_attachment(rec, "log", digest, 99, 0), 0, "%s", err_message());
	rec->confirmed = 1;
	return rec;
}

static struct record *check(uint32_t session)
{
	struct record *rec = make(RECORD_STEP, session, "check", "alice");
	cr_assert_eq(record_add_value(rec, "fp", FP), 0, "%s", err_message());
	return rec;
}

/* Apply `rec` (freed) signed by the `n` roster indexes that follow; returns the violation code or NULL. */
static const char *apply(struct record *rec, size_t n, ...)
{
	static struct script_violation v;
	size_t signers[8];
	va_list ap;
	int r;

	cr_assert(n <= 8);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		signers[i] = (size_t)va_arg(ap, int);
	va_end(ap);
	memset(&v, 0, sizeof(v));
	r = script_apply(&state, rec, signers, n, &v);
	record_free(rec);
	if (r == 0) {
		cr_assert_null(v.code, "conforming, yet a code: %s", v.code);
		return NULL;
	}
	cr_assert_eq(r, 1);
	cr_assert_not_null(v.code);
	cr_assert(v.message[0] != '\0');
	return v.code;
}

static struct script_violation last; /* the message of the last violation, for the tests that read it */

static const char *apply_keep(struct record *rec, const size_t *signers, size_t n)
{
	int r;

	memset(&last, 0, sizeof(last));
	r = script_apply(&state, rec, signers, n, &last);
	record_free(rec);
	return r == 0 ? NULL : last.code;
}

static void expect_ok(const char *code)
{
	cr_assert_null(code, "violation %s", code);
}

static void expect_code(const char *code, const char *want)
{
	cr_assert_not_null(code, "expected %s, the record conformed", want);
	cr_assert_str_eq(code, want);
}

static void expect_state(uint32_t session, size_t next_step, int invalidated, int closed)
{
	cr_assert_eq(state.session, session, "session %u, expected %u", state.session, session);
	cr_assert_eq(state.next_step, next_step, "next_step %zu, expected %zu", state.next_step, next_step);
	cr_assert_eq(state.invalidated, invalidated, "invalidated %d, expected %d", state.invalidated, invalidated);
	cr_assert_eq(state.closed, closed, "closed %d, expected %d", state.closed, closed);
}

/* Run the whole first session, conforming. */
static void all_steps(uint32_t session)
{
	expect_ok(apply(room(session), 2, ALICE, BOB));
	expect_ok(apply(open_bag(session), 3, BOB, CAROL, ALICE));
	expect_ok(apply(check(session), 2, BOB, ALICE));
}

Test(script, start)
{
	expect_state(1, 0, 0, 0);
	cr_assert_eq(state.scenario, scenario);
	cr_assert_eq(state.incidents, 0);
	cr_assert_eq(state.restarts, 0);
}

Test(script, in_order_then_close)
{
	expect_ok(apply(room(1), 2, ALICE, BOB));
	expect_state(1, 1, 0, 0);
	expect_ok(apply(open_bag(1), 3, CAROL, ALICE, BOB));
	expect_state(1, 2, 0, 0);
	/* witness:1 + keymaster:1 signed [bob, alice]: met only by a matching (bob as key master). */
	expect_ok(apply(check(1), 2, BOB, ALICE));
	expect_state(1, 3, 0, 0);
	expect_ok(apply(make(RECORD_CLOSE, 1, "close", "alice"), 3, CAROL, BOB, ALICE));
	expect_state(1, 3, 0, 1);
	cr_assert_eq(state.incidents, 0);
}

Test(script, step_out_of_order)
{
	size_t signers[] = {BOB, CAROL, ALICE};

	expect_code(apply_keep(open_bag(1), signers, 3), "script-step-order");
	cr_assert(strstr(last.message, "step open recorded where the script expects room") != NULL, "%s", last.message);
	cr_assert(strstr(last.message, "not in the scenario") == NULL);
	expect_state(1, 0, 0, 0);
	/* Skipping back: after room, room again. */
	expect_ok(apply(room(1), 2, ALICE, BOB));
	expect_code(apply(room(1), 2, ALICE, BOB), "script-step-order");
	expect_state(1, 1, 0, 0);
}

Test(script, step_not_in_scenario)
{
	size_t signers[] = {ALICE, BOB};

	expect_code(apply_keep(make(RECORD_STEP, 1, "dance", "alice"), signers, 2), "script-step-order");
	cr_assert(strstr(last.message,
	                 "step dance recorded where the script expects room (it is not in the scenario)") != NULL,
	          "%s", last.message);
	expect_state(1, 0, 0, 0);
}

Test(script, step_after_the_last)
{
	all_steps(1);
	expect_code(apply(room(1), 2, ALICE, BOB), "script-step-extra");
	expect_state(1, 3, 0, 0);
}

Test(script, signoff_rule_not_met)
{
	size_t signers[] = {ALICE};

	/* room needs lead:1 + witness:1; alice is both, but one person. */
	expect_code(apply_keep(room(1), signers, 1), "script-signoff-rule");
	cr_assert(strstr(last.message, "(1 lead + 1 witness, distinct people)") != NULL, "%s", last.message);
	expect_state(1, 1, 0, 0);
	/* open needs keymaster:2 + witness:1: bob and alice are two people, not three. */
	expect_code(apply(open_bag(1), 2, BOB, ALICE), "script-signoff-rule");
	expect_state(1, 2, 0, 0);
	/* check: witness:1 + keymaster:1; carol alone cannot. */
	expect_code(apply(check(1), 1, CAROL), "script-signoff-rule");
	expect_state(1, 3, 0, 0);
}

Test(script, signer_without_an_allowed_role)
{
	size_t signers[] = {ALICE, BOB, CAROL};

	/* room allows lead and witness; carol is only a key master. */
	expect_code(apply_keep(room(1), signers, 3), "script-signoff-not-allowed");
	cr_assert(strstr(last.message, "carol signed, but holds none of the roles this step allows") != NULL, "%s",
	          last.message);
	expect_state(1, 1, 0, 0);
}

Test(script, actor_without_the_acting_role)
{
	size_t signers[] = {ALICE, BOB};

	/* room is acted by the lead; bob is no lead. */
	struct record *rec = room(1);
	snprintf(rec->actor, sizeof(rec->actor), "bob");
	expect_code(apply_keep(rec, signers, 2), "script-actor-role");
	cr_assert(strstr(last.message, "actor bob does not hold the step's acting role lead") != NULL, "%s",
	          last.message);
	expect_state(1, 1, 0, 0);
	/* An actor outside the roster. */
	script_start(&state, scenario);
	rec = room(1);
	snprintf(rec->actor, sizeof(rec->actor), "mallory");
	expect_code(apply(rec, 2, ALICE, BOB), "script-actor-role");
}

Test(script, value_not_matching)
{
	struct record *rec = make(RECORD_STEP, 1, "room", "alice");
	size_t signers[] = {ALICE, BOB};

	cr_assert_eq(record_add_value(rec, "serial", "TEB-00042"), 0);
	expect_code(apply_keep(rec, signers, 2), "script-value");
	cr_assert(strstr(last.message, "value serial \"TEB-00042\" does not match the pattern TEB-[0-9]{6}") != NULL,
	          "%s", last.message);
	expect_state(1, 1, 0, 0);
}

Test(script, values_missing_or_extra)
{
	struct record *rec;
	size_t signers[] = {ALICE, BOB};

	expect_code(apply_keep(make(RECORD_STEP, 1, "room", "alice"), signers, 2), "script-value");
	cr_assert(strstr(last.message, "0 values captured, the step captures 1") != NULL, "%s", last.message);
	script_start(&state, scenario);
	rec = make(RECORD_STEP, 1, "room", "alice");
	cr_assert_eq(record_add_value(rec, "bag", "TEB-000042"), 0);
	expect_code(apply_keep(rec, signers, 2), "script-value");
	cr_assert(strstr(last.message, "value serial is missing") != NULL, "%s", last.message);
	script_start(&state, scenario);
	rec = room(1);
	cr_assert_eq(record_add_value(rec, "extra", "smuggled"), 0);
	expect_code(apply(rec, 2, ALICE, BOB), "script-value");
}

Test(script, attachment_missing_or_not_as_the_step_says)
{
	static const uint8_t digest[32] = {9};
	struct record *rec;
	size_t signers[] = {BOB, CAROL, ALICE};

	expect_ok(apply(room(1), 2, ALICE, BOB));
	rec = make(RECORD_STEP, 1, "open", "bob");
	rec->confirmed = 1;
	cr_assert_eq(record_add_attachment(rec, "photo", digest, 1, 1), 0);
	expect_code(apply_keep(rec, signers, 3), "script-attachment");
	cr_assert(strstr(last.message, "1 attachments, the step takes 2") != NULL, "%s", last.message);
	expect_state(1, 2, 0, 0);

	script_start(&state, scenario);
	expect_ok(apply(room(1), 2, ALICE, BOB));
	rec = make(RECORD_STEP, 1, "open", "bob");
	rec->confirmed = 1;
	cr_assert_eq(record_add_attachment(rec, "photo", digest, 1, 1), 0);
	cr_assert_eq(record_add_attachment(rec, "other", digest, 1, 0), 0);
	expect_code(apply_keep(rec, signers, 3), "script-attachment");
	cr_assert(strstr(last.message, "attachment log is missing") != NULL, "%s", last.message);

	/* The photo must be stored, the step says so. */
	script_start(&state, scenario);
	expect_ok(apply(room(1), 2, ALICE, BOB));
	rec = make(RECORD_STEP, 1, "open", "bob");
	rec->confirmed = 1;
	cr_assert_eq(record_add_attachment(rec, "photo", digest, 1, 0), 0);
	cr_assert_eq(record_add_attachment(rec, "log", digest, 1, 0), 0);
	expect_code(apply_keep(rec, signers, 3), "script-attachment");
	cr_assert(strstr(last.message, "attachment photo is not stored, the step says it must be") != NULL, "%s",
	          last.message);
}

Test(script, confirm_missing)
{
	struct record *rec;
	size_t signers[] = {BOB, CAROL, ALICE};

	expect_ok(apply(room(1), 2, ALICE, BOB));
	rec = open_bag(1);
	rec->confirmed = 0;
	expect_code(apply_keep(rec, signers, 3), "script-confirm");
	cr_assert(strstr(last.message, "explicit \"Yes\"") != NULL, "%s", last.message);
	expect_state(1, 2, 0, 0);
}

Test(script, step_after_incident)
{
	struct record *inc;

	expect_ok(apply(room(1), 2, ALICE, BOB));
	inc = make(RECORD_INCIDENT, 1, "open", "carol");
	expect_ok(apply(inc, 1, CAROL)); /* anyone may sign an incident */
	expect_state(1, 1, 1, 0);
	cr_assert_eq(state.incidents, 1);
	expect_code(apply(open_bag(1), 3, BOB, CAROL, ALICE), "script-after-incident");
	expect_state(1, 1, 1, 0);
	/* A second incident in an invalid session is accepted and counted. */
	expect_ok(apply(make(RECORD_INCIDENT, 1, "open", "alice"), 1, ALICE));
	cr_assert_eq(state.incidents, 2);
}

Test(script, incident_nobody_signed_or_wrong_session)
{
	expect_code(apply(make(RECORD_INCIDENT, 1, "room", "alice"), 0), "script-signoff-rule");
	expect_state(1, 0, 1, 0);
	script_start(&state, scenario);
	expect_code(apply(make(RECORD_INCIDENT, 2, "room", "alice"), 1, ALICE), "script-session");
	expect_state(1, 0, 1, 0);
}

Test(script, restart_without_incident)
{
	expect_ok(apply(room(1), 2, ALICE, BOB));
	expect_code(apply(make(RECORD_RESTART, 2, "restart", "alice"), 2, ALICE, BOB), "script-restart");
	expect_state(2, 0, 0, 0);
	cr_assert_eq(state.restarts, 1);
}

Test(script, restart_session_number_wrong)
{
	size_t signers[] = {ALICE, BOB};

	expect_ok(apply(make(RECORD_INCIDENT, 1, "room", "alice"), 1, ALICE));
	expect_code(apply_keep(make(RECORD_RESTART, 3, "restart", "alice"), signers, 2), "script-session");
	cr_assert(strstr(last.message, "restart opens session 3, expected 2") != NULL, "%s", last.message);
	/* The state follows the record's own number, so what follows is judged against it. */
	expect_state(3, 0, 0, 0);
	script_start(&state, scenario);
	expect_ok(apply(make(RECORD_INCIDENT, 1, "room", "alice"), 1, ALICE));
	expect_code(apply(make(RECORD_RESTART, 1, "restart", "alice"), 2, ALICE, BOB), "script-session");
}

Test(script, restart_rule_not_met)
{
	expect_ok(apply(make(RECORD_INCIDENT, 1, "room", "alice"), 1, ALICE));
	/* restart: lead:1 + witness:1; alice alone is one person. */
	expect_code(apply(make(RECORD_RESTART, 2, "restart", "alice"), 1, ALICE), "script-signoff-rule");
	expect_state(2, 0, 0, 0);

	script_start(&state, scenario);
	expect_ok(apply(make(RECORD_INCIDENT, 1, "room", "alice"), 1, ALICE));
	/* carol holds neither lead nor witness. */
	expect_code(apply(make(RECORD_RESTART, 2, "restart", "alice"), 3, ALICE, BOB, CAROL),
	            "script-signoff-not-allowed");
}

Test(script, restart_opens_the_next_session)
{
	expect_ok(apply(room(1), 2, ALICE, BOB));
	expect_ok(apply(make(RECORD_INCIDENT, 1, "open", "alice"), 2, ALICE, CAROL));
	expect_ok(apply(make(RECORD_RESTART, 2, "restart", "alice"), 2, BOB, ALICE));
	expect_state(2, 0, 0, 0);
	cr_assert_eq(state.restarts, 1);
	/* Session 1 is over: its records are out of place now. */
	expect_code(apply(room(1), 2, ALICE, BOB), "script-session");
	expect_state(2, 0, 0, 0);
	all_steps(2);
	expect_state(2, 3, 0, 0);
	expect_ok(apply(make(RECORD_CLOSE, 2, "close", "alice"), 3, ALICE, BOB, CAROL));
	expect_state(2, 3, 0, 1);
	cr_assert_eq(state.incidents, 1);
}

Test(script, close_before_the_last_step)
{
	size_t signers[] = {ALICE, BOB, CAROL};

	expect_ok(apply(room(1), 2, ALICE, BOB));
	expect_code(apply_keep(make(RECORD_CLOSE, 1, "close", "alice"), signers, 3), "script-close");
	cr_assert(strstr(last.message, "close before the last step (next expected: open)") != NULL, "%s", last.message);
	expect_state(1, 1, 0, 1);
}

Test(script, close_after_incident)
{
	size_t signers[] = {ALICE, BOB, CAROL};

	all_steps(1);
	expect_ok(apply(make(RECORD_INCIDENT, 1, "close", "bob"), 1, BOB));
	expect_code(apply_keep(make(RECORD_CLOSE, 1, "close", "alice"), signers, 3), "script-close");
	cr_assert(strstr(last.message, "an incident invalidated") != NULL, "%s", last.message);
	expect_state(1, 3, 1, 1);
}

Test(script, close_rule_not_met)
{
	all_steps(1);
	/* close: lead:1 + keymaster:2; bob is the only other key master with carol absent. */
	expect_code(apply(make(RECORD_CLOSE, 1, "close", "alice"), 2, ALICE, BOB), "script-signoff-rule");
	expect_state(1, 3, 0, 1);
}

Test(script, anything_after_close)
{
	static const enum record_type types[] = {RECORD_STEP, RECORD_INCIDENT, RECORD_RESTART, RECORD_CLOSE,
	                                         RECORD_GENESIS};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		script_start(&state, scenario);
		all_steps(1);
		expect_ok(apply(make(RECORD_CLOSE, 1, "close", "alice"), 3, ALICE, BOB, CAROL));
		expect_code(apply(make(types[i], types[i] == RECORD_RESTART ? 2 : 1, "room", "alice"), 3, ALICE, BOB,
		                  CAROL),
		            "script-after-close");
		expect_state(1, 3, 0, 1);
	}
}

Test(script, second_genesis)
{
	expect_code(apply(make(RECORD_GENESIS, 1, "begin", "alice"), 2, ALICE, BOB), "script-genesis");
	expect_state(1, 0, 0, 0);
	expect_ok(apply(room(1), 2, ALICE, BOB));
	expect_code(apply(make(RECORD_GENESIS, 1, "begin", "alice"), 2, ALICE, BOB), "script-genesis");
	expect_state(1, 1, 0, 0);
}

Test(script, step_in_another_session)
{
	expect_code(apply(room(2), 2, ALICE, BOB), "script-session");
	expect_state(1, 0, 0, 0);
}

Test(script, pending_signoffs)
{
	struct script_violation v;
	size_t alice[] = {ALICE}, carol[] = {CAROL}, both[] = {ALICE, BOB};

	/* Pending (not complete): an allowed signer is fine alone; a disallowed one never is. */
	cr_assert_eq(script_check_signoffs(&state, RECORD_STEP, 0, alice, 1, 0, &v), 0);
	cr_assert_eq(script_check_signoffs(&state, RECORD_STEP, 0, alice, 1, 1, &v), 1);
	cr_assert_str_eq(v.code, "script-signoff-rule");
	cr_assert_eq(script_check_signoffs(&state, RECORD_STEP, 0, carol, 1, 0, &v), 1);
	cr_assert_str_eq(v.code, "script-signoff-not-allowed");
	cr_assert_eq(script_check_signoffs(&state, RECORD_STEP, 0, both, 2, 1, &v), 0);
	cr_assert_null(script_rule(&state, RECORD_INCIDENT, -1));
	cr_assert_eq(script_rule(&state, RECORD_CLOSE, -1), &scenario->close_signoff);
	cr_assert_eq(script_rule(&state, RECORD_STEP, 2), &scenario->steps[2].signoff);
	cr_assert_null(script_rule(&state, RECORD_STEP, 3));
}

Test(script, the_actor_must_sign)
{
	/* An incident anyone may sign, but "declared by alice" needs alice's signature; it still ends
	 * the session. */
	expect_code(apply(make(RECORD_INCIDENT, 1, "room", "alice"), 1, BOB), "script-actor-not-signer");
	expect_state(1, 0, 1, 0);
}

/* ---- vault operations (evidence/script_vault.c) ---- */

static struct scenario_step vault_step_of(enum step_kind kind, const char *label, const char *alg, const char *sign)
{
	struct scenario_step st;

	memset(&st, 0, sizeof(st));
	snprintf(st.id, sizeof(st.id), "vstep");
	st.kind = kind;
	if (label != NULL) {
		st.has_key = 1;
		snprintf(st.key.label, sizeof(st.key.label), "%s", label);
		snprintf(st.key.algorithm, sizeof(st.key.algorithm), "%s", alg != NULL ? alg : "");
		snprintf(st.key.sign_input, sizeof(st.key.sign_input), "%s", sign != NULL ? sign : "");
	}
	return st;
}

static struct record_vault_op vop(const char *op, const char *label, uint8_t fp_byte)
{
	struct record_vault_op o;

	memset(&o, 0, sizeof(o));
	snprintf(o.op, sizeof(o.op), "%s", op);
	snprintf(o.outcome, sizeof(o.outcome), "ok");
	o.log_seq = 7;
	if (label != NULL) {
		snprintf(o.label, sizeof(o.label), "%s", label);
		snprintf(o.algorithm, sizeof(o.algorithm), "ecdsa-p384");
		o.has_fingerprint = 1;
		memset(o.fingerprint, fp_byte, sizeof(o.fingerprint));
	}
	return o;
}

static const char *vault_check(const struct scenario_step *st, enum record_type type, const struct record_vault_op *ops,
                               size_t n, struct record *rec_in)
{
	static struct script_violation v;
	struct record *rec = rec_in != NULL ? rec_in : make(type, 1, "vstep", "alice");
	const char *code = NULL;

	for (size_t i = 0; i < n; i++)
		cr_assert_eq(record_add_vault_op(rec, &ops[i]), 0, "%s", err_message());
	if (script_check_vault_ops(&state, st, rec, &v) != 0)
		code = v.code;
	record_free(rec);
	return code;
}

Test(script, vault_generate_reports_the_scenarios_key)
{
	struct scenario_step gen = vault_step_of(STEP_VAULT_GENERATE, "fw", "ecdsa-p384", NULL),
	                     manual = vault_step_of(STEP_MANUAL, NULL, NULL, NULL);
	struct record_vault_op ok = vop("generate", "fw", 1), other = vop("generate", "other", 1),
	                       wrong_alg = vop("generate", "fw", 1), refused = vop("generate", "fw", 1);

	snprintf(wrong_alg.algorithm, sizeof(wrong_alg.algorithm), "rsa-3072");
	snprintf(refused.outcome, sizeof(refused.outcome), "refused");
	cr_assert_str_eq(vault_check(&manual, RECORD_STEP, &ok, 1, NULL), "script-vault");
	cr_assert_str_eq(vault_check(&gen, RECORD_STEP, NULL, 0, NULL), "script-vault");
	cr_assert_str_eq(vault_check(&gen, RECORD_STEP, &other, 1, NULL), "script-vault");
	cr_assert_str_eq(vault_check(&gen, RECORD_STEP, &wrong_alg, 1, NULL), "script-vault");
	cr_assert_str_eq(vault_check(&gen, RECORD_STEP, &refused, 1, NULL), "script-vault");
	cr_assert_eq(state.session_key_count, 0, "nothing counted from refused records");
	cr_assert_null(vault_check(&gen, RECORD_STEP, &ok, 1, NULL));
	cr_assert_eq(state.session_key_count, 1);
	cr_assert_str_eq(state.session_keys[0], "fw");
}

Test(script, vault_sign_must_sign_the_steps_attachment)
{
	struct scenario_step sign = vault_step_of(STEP_VAULT_SIGN, "fw", NULL, "image");
	struct record_vault_op op = vop("sign", "fw", 1);
	static const uint8_t image[32] = {9, 9, 9};
	struct record *rec;

	op.has_message = op.has_signature = 1;
	memcpy(op.message_sha256, image, 32);
	rec = make(RECORD_STEP, 1, "vstep", "alice");
	cr_assert_eq(record_add_attachment(rec, "image", image, 10, 0), 0);
	cr_assert_null(vault_check(&sign, RECORD_STEP, &op, 1, rec));
	op.message_sha256[0] ^= 1;
	rec = make(RECORD_STEP, 1, "vstep", "alice");
	cr_assert_eq(record_add_attachment(rec, "image", image, 10, 0), 0);
	cr_assert_str_eq(vault_check(&sign, RECORD_STEP, &op, 1, rec), "script-vault");
	op.has_message = 0;
	cr_assert_str_eq(vault_check(&sign, RECORD_STEP, &op, 1, NULL), "script-vault");
}

Test(script, vault_unseal_reports_distinct_contributions_then_the_unseal)
{
	struct scenario_step unseal = vault_step_of(STEP_VAULT_UNSEAL, NULL, NULL, NULL);
	struct record_vault_op ops[3];

	for (int i = 0; i < 2; i++) {
		ops[i] = vop("unseal-share", NULL, 0);
		snprintf(ops[i].who, sizeof(ops[i].who), "%s", i == 0 ? "bob" : "carol");
		ops[i].share_index = (unsigned)i + 1;
		ops[i].has_point = 1;
	}
	ops[2] = vop("unseal", NULL, 0);
	cr_assert_null(vault_check(&unseal, RECORD_STEP, ops, 3, NULL));
	cr_assert_str_eq(vault_check(&unseal, RECORD_STEP, ops, 2, NULL), "script-vault"); /* no unseal */
	cr_assert_str_eq(vault_check(&unseal, RECORD_STEP, ops + 2, 1, NULL), "script-vault"); /* no contribution */
	snprintf(ops[1].who, sizeof(ops[1].who), "bob");
	cr_assert_str_eq(vault_check(&unseal, RECORD_STEP, ops, 3, NULL), "script-vault"); /* bob twice */
}

Test(script, a_restart_destroys_the_sessions_keys_and_a_destroyed_key_is_never_used)
{
	struct scenario_step gen = vault_step_of(STEP_VAULT_GENERATE, "fw", "ecdsa-p384", NULL),
	                     exp = vault_step_of(STEP_VAULT_EXPORT, "fw", NULL, NULL);
	struct record_vault_op made = vop("generate", "fw", 1), destroy = vop("destroy", "fw", 1),
	                       seal = vop("seal", NULL, 0), export_old = vop("export", "fw", 1),
	                       export_new = vop("export", "fw", 2), signed_op = vop("sign", "fw", 1);

	cr_assert_null(vault_check(&gen, RECORD_STEP, &made, 1, NULL));
	cr_assert_str_eq(vault_check(NULL, RECORD_RESTART, NULL, 0, NULL), "script-keys-not-destroyed");
	cr_assert_null(vault_check(&gen, RECORD_STEP, &made, 1, NULL)); /* made again (the restart failed) */
	cr_assert_str_eq(vault_check(NULL, RECORD_RESTART, &signed_op, 1, NULL), "script-vault");
	{
		struct record_vault_op both[2] = {destroy, seal};
		cr_assert_null(vault_check(NULL, RECORD_RESTART, both, 2, NULL));
	}
	cr_assert_eq(state.session_key_count, 0);
	cr_assert_eq(state.destroyed_key_count, 1);
	/* The same label may name a new key; the destroyed key's fingerprint never comes back. */
	cr_assert_null(vault_check(&exp, RECORD_STEP, &export_new, 1, NULL));
	cr_assert_str_eq(vault_check(&exp, RECORD_STEP, &export_old, 1, NULL), "script-key-destroyed");
	cr_assert_str_eq(vault_check(NULL, RECORD_CLOSE, &seal, 1, NULL), "script-vault");
}
