/* recorder/actions: a real ceremony (the helpers' test scenario, begun in a scratch directory with
 * in-memory keys). A step pending then committed by a second sign-off; a step out of order becomes
 * an incident and only a restart is accepted; close before the last step refused; a declared
 * incident discards the pending record; an altered pending record is discarded on open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <git2.h>

#include "common/error.h"
#include "common/init.h"
#include "evidence/store.h"
#include "recorder/ceremony.h"
#include "recorder/pending.h"
#include "helpers.h"

static char *dir;
static char *repo;
static struct test_keys keys;
static struct ceremony *cer;
static struct action_result result;

static void setup(void)
{
	char *scenario_path = NULL, *text;
	struct signer *signers[1];

	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	test_keys_make(&keys);
	dir = test_tmpdir("actions");
	cr_assert(asprintf(&scenario_path, "%s/scenario.xml", dir) > 0);
	cr_assert(asprintf(&repo, "%s/evidence", dir) > 0);
	text = test_scenario_xml(&keys);
	test_write_file(scenario_path, text, strlen(text));
	free(text);
	signers[0] = keys.signer[TEST_ALICE];
	cer = NULL;
	cr_assert_eq(ceremony_begin(&cer, repo, scenario_path, NULL, signers, 1, "0.1.0-test", "test-build"), 0,
	             "ceremony_begin: %s", err_message());
	cr_assert_not_null(cer);
	free(scenario_path);
	action_result_init(&result);
}

static void teardown(void)
{
	action_result_free(&result);
	ceremony_free(cer);
	cer = NULL;
	test_run("rm -rf '%s'", dir);
	free(repo);
	free(dir);
	test_keys_free(&keys);
}

TestSuite(actions, .init = setup, .fini = teardown, .timeout = 60);

static void assert_error(int r, int code, const char *fragment)
{
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert_not_null(strstr(err_message(), fragment), "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

static void reset_result(void)
{
	action_result_free(&result);
	action_result_init(&result);
}

static void reopen(void)
{
	ceremony_free(cer);
	cer = NULL;
	cr_assert_eq(ceremony_open(&cer, repo), 0, "ceremony_open: %s", err_message());
	cr_assert_not_null(cer);
}

/* The pending directory inside the repository's git directory; caller frees. */
static char *pending_path(const char *file)
{
	const char *gitdir = git_repository_path(evidence_store_repository(cer->store));
	char *p = NULL;

	cr_assert(asprintf(&p, "%s/%s%s%s", gitdir, PENDING_DIR, file ? "/" : "", file ? file : "") > 0);
	return p;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static const char *const ROOM_VALUES[] = {"serial=TEB-123456"};
static const struct step_input ROOM = {.values = ROOM_VALUES, .value_count = 1};

/* Record step "room" signed by alice alone: pending (the rule needs a witness besides the lead). */
static void room_pending(void)
{
	struct signer *alice[1] = {keys.signer[TEST_ALICE]};
	char *pdir;

	reset_result();
	cr_assert_eq(ceremony_record_step(cer, "room", &ROOM, alice, 1, &result), 0, "record_step: %s", err_message());
	cr_assert(result.pending, "not pending: %s", (char *)result.message.data);
	cr_assert(!result.committed);
	cr_assert(!result.incident);
	pdir = pending_path(NULL);
	cr_assert(exists(pdir), "%s was not written", pdir);
	free(pdir);
	/* The open ceremony knows its pending record at once; and, as each CLI command opens the
	 * ceremony afresh, the repository's directory says the same. */
	cr_assert_not_null(cer->pending, "the open ceremony does not know its pending record");
	cr_assert_eq(cer->pending->record->sequence, result.sequence);
	reopen();
	cr_assert_not_null(cer->pending, "the pending record did not load: %s", cer->discarded_pending);
	cr_assert_eq(cer->discarded_pending[0], '\0', "%s", cer->discarded_pending);
	cr_assert_eq(cer->pending->record->sequence, result.sequence);
}

Test(actions, step_pending_then_second_signer_commits)
{
	struct signer *bob[1] = {keys.signer[TEST_BOB]};
	const struct record *rec = NULL;
	size_t people[EVIDENCE_SIGNOFFS_MAX], count = 0;
	char *pdir;

	cr_assert_eq(ceremony_next_step(cer), 0);
	room_pending();
	cr_assert_eq(result.sequence, 1);
	cr_assert_eq(ceremony_pending_info(cer, &rec, people, &count), 1);
	cr_assert_eq(count, 1);
	cr_assert_str_eq(rec->step, "room");
	cr_assert_str_eq(cer->scenario->roster->participants[people[0]], "alice");
	cr_assert_eq(cer->tip.sequence, 0, "committed too early");

	reset_result();
	cr_assert_eq(ceremony_sign(cer, bob, 1, &result), 0, "ceremony_sign: %s", err_message());
	cr_assert(result.committed, "not committed: %s", (char *)result.message.data);
	cr_assert(!result.pending);
	cr_assert(!result.incident);
	cr_assert_eq(result.sequence, 1);
	cr_assert_null(cer->pending);
	cr_assert_eq(cer->tip.sequence, 1);
	cr_assert_eq(ceremony_next_step(cer), 1);
	pdir = pending_path(NULL);
	cr_assert(!exists(pdir), "%s is still there after the commit", pdir);
	free(pdir);
	/* the repository alone says the same */
	reopen();
	cr_assert_null(cer->pending);
	cr_assert_eq(cer->tip.sequence, 1);
	cr_assert_eq(ceremony_next_step(cer), 1);
	/* nothing is pending any more to sign */
	reset_result();
	assert_error(ceremony_sign(cer, bob, 1, &result), CER_ERR_REFUSED, "no record is pending");
}

Test(actions, step_out_of_order_is_an_incident_until_restart)
{
	static const char *const fp_values[] = {"fp=0000000000000000000000000000000000000000000000000000000000000000"};
	const struct step_input check = {.values = fp_values, .value_count = 1};
	struct signer *alice[1] = {keys.signer[TEST_ALICE]};
	struct signer *bob[1] = {keys.signer[TEST_BOB]};
	int r;

	reset_result();
	r = ceremony_record_step(cer, "check", &check, alice, 1, &result);
	assert_error(r, CER_ERR_REFUSED, "out of order");
	cr_assert(result.incident, "no incident recorded");
	cr_assert(result.committed, "the incident record was not committed");
	cr_assert_eq(result.sequence, 1);
	cr_assert_eq(cer->tip.sequence, 1);
	cr_assert_eq(cer->tip.type, RECORD_INCIDENT);
	cr_assert(cer->state.invalidated, "the session is still valid");
	cr_assert_eq(ceremony_next_step(cer), -1);

	/* the repository remembers */
	reopen();
	cr_assert(cer->state.invalidated, "the session is valid again after a reopen");

	/* no step until restart, not even the right one */
	reset_result();
	assert_error(ceremony_record_step(cer, "room", &ROOM, alice, 1, &result), CER_ERR_REFUSED, "invalidated");
	cr_assert(!result.committed && !result.pending && !result.incident);
	cr_assert_eq(cer->tip.sequence, 1, "something was appended");
	/* closing is refused too */
	reset_result();
	assert_error(ceremony_close(cer, alice, 1, &result), CER_ERR_REFUSED, "invalidated");

	/* restart: lead + witness, two people, over two commands */
	reset_result();
	cr_assert_eq(ceremony_restart(cer, alice, 1, &result), 0, "restart: %s", err_message());
	cr_assert(result.pending, "restart not pending: %s", (char *)result.message.data);
	reopen();
	cr_assert_not_null(cer->pending);
	cr_assert_eq(cer->pending->record->type, RECORD_RESTART);
	reset_result();
	cr_assert_eq(ceremony_restart(cer, bob, 1, &result), 0, "restart (bob): %s", err_message());
	cr_assert(result.committed, "restart not committed: %s", (char *)result.message.data);
	cr_assert_eq(cer->tip.type, RECORD_RESTART);
	cr_assert(!cer->state.invalidated, "still invalidated after the restart");
	cr_assert_eq(cer->state.session, 2);
	cr_assert_eq(ceremony_next_step(cer), 0);

	/* and steps are accepted again */
	room_pending();
	cr_assert_eq(result.sequence, 3);
}

/* One ceremony object acting on: record, then sign and a refused second proposal, with no reopen. */
Test(actions, one_open_ceremony_goes_on_after_a_record_became_pending)
{
	struct signer *alice[1] = {keys.signer[TEST_ALICE]}, *bob[1] = {keys.signer[TEST_BOB]};

	reset_result();
	cr_assert_eq(ceremony_record_step(cer, "room", &ROOM, alice, 1, &result), 0, "%s", err_message());
	cr_assert(result.pending);
	reset_result();
	assert_error(ceremony_record_step(cer, "room", &ROOM, alice, 1, &result), CER_ERR_REFUSED, "is pending");
	reset_result();
	cr_assert_eq(ceremony_sign(cer, bob, 1, &result), 0, "ceremony_sign: %s", err_message());
	cr_assert(result.committed, "not committed: %s", (char *)result.message.data);
	cr_assert_eq(cer->tip.sequence, 1);
}

/* Two commands open the ceremony, then act one after the other (each takes the writers' lock in
 * turn): sign-offs the first added to the same pending record are taken in by the second, which
 * completes the rule; anything else that moved is refused as a stale view. */
Test(actions, sign_offs_given_at_the_same_moment_both_land)
{
	struct signer *alice[1] = {keys.signer[TEST_ALICE]}, *bob[1] = {keys.signer[TEST_BOB]},
	              *carol[1] = {keys.signer[TEST_CAROL]},
	              *room_signers[2] = {keys.signer[TEST_ALICE], keys.signer[TEST_BOB]};
	struct ceremony *second = NULL, *third = NULL;
	char *photo = NULL, *log = NULL, *attach[2];
	struct step_input open = {.attachments = (const char *const *)attach, .attachment_count = 2, .confirmed = 1};

	cr_assert(asprintf(&photo, "%s/photo", dir) > 0 && asprintf(&log, "%s/log", dir) > 0);
	test_write_file(photo, "photo", 5);
	test_write_file(log, "log", 3);
	cr_assert(asprintf(&attach[0], "photo=%s", photo) > 0 && asprintf(&attach[1], "log=%s", log) > 0);
	reset_result();
	cr_assert_eq(ceremony_record_step(cer, "room", &ROOM, room_signers, 2, &result), 0, "%s", err_message());
	cr_assert(result.committed);
	/* "open" needs two key masters and a witness: bob proposes it, alice and carol sign at once. */
	reset_result();
	cr_assert_eq(ceremony_record_step(cer, "open", &open, bob, 1, &result), 0, "%s", err_message());
	cr_assert(result.pending, "%s", (char *)result.message.data);
	cr_assert_eq(ceremony_open(&second, repo), 0, "%s", err_message());
	cr_assert_eq(ceremony_open(&third, repo), 0, "%s", err_message());
	reset_result();
	cr_assert_eq(ceremony_sign(cer, alice, 1, &result), 0, "%s", err_message());
	cr_assert(result.pending, "alice and bob are one key master short: %s", (char *)result.message.data);
	reset_result();
	cr_assert_eq(ceremony_sign(second, carol, 1, &result), 0, "a stale view: %s", err_message());
	cr_assert(result.committed, "%s", (char *)result.message.data);
	cr_assert_eq(result.sequence, 2);
	/* The third opened before the commit: the record it saw pending is gone, so it is refused. */
	reset_result();
	assert_error(ceremony_sign(third, alice, 1, &result), CER_ERR_BUSY, "changed the ceremony while this one ran");
	reopen();
	cr_assert_eq(cer->tip.sequence, 2);
	cr_assert_null(cer->pending);
	ceremony_free(second);
	ceremony_free(third);
	free(attach[0]);
	free(attach[1]);
	free(photo);
	free(log);
}

Test(actions, close_before_last_step_refused)
{
	struct signer *signers[3] = {keys.signer[TEST_ALICE], keys.signer[TEST_BOB], keys.signer[TEST_CAROL]};

	reset_result();
	assert_error(ceremony_close(cer, signers, 3, &result), CER_ERR_REFUSED, "not recorded yet");
	cr_assert(!result.committed && !result.pending && !result.incident);
	cr_assert_null(cer->pending);
	cr_assert_eq(cer->tip.sequence, 0, "something was appended");
	cr_assert(!cer->state.closed);
	reopen();
	cr_assert_eq(cer->tip.sequence, 0);
	cr_assert_null(cer->pending);
}

Test(actions, declared_incident_discards_pending_record)
{
	struct signer *bob[1] = {keys.signer[TEST_BOB]};
	char *pdir;

	room_pending();
	reset_result();
	cr_assert_eq(ceremony_declare_incident(cer, "the bag was already open", bob, 1, &result), 0,
	             "declare_incident: %s", err_message());
	cr_assert(result.committed, "the incident was not committed");
	cr_assert(!result.pending);
	cr_assert_eq(result.sequence, 1, "the incident does not take the pending record's place");
	cr_assert_eq(cer->tip.type, RECORD_INCIDENT);
	cr_assert_null(cer->pending, "the pending record is still loaded");
	cr_assert(cer->state.invalidated);
	pdir = pending_path(NULL);
	cr_assert(!exists(pdir), "%s is still on disk", pdir);
	free(pdir);
	reopen();
	cr_assert_null(cer->pending);
	cr_assert_eq(cer->discarded_pending[0], '\0', "%s", cer->discarded_pending);
	reset_result();
	assert_error(ceremony_sign(cer, bob, 1, &result), CER_ERR_REFUSED, "no record is pending");
}

Test(actions, open_discards_altered_pending_record)
{
	char *file, *text, *edited, *pdir;

	room_pending();
	file = pending_path(EVIDENCE_RECORD_FILE);
	pdir = pending_path(NULL);
	ceremony_free(cer);
	cer = NULL;
	text = test_read_file(file, NULL);
	edited = test_replace(text, "TEB-123456", "TEB-654321");
	test_write_file(file, edited, strlen(edited));

	cr_assert_eq(ceremony_open(&cer, repo), 0, "ceremony_open: %s", err_message());
	cr_assert_null(cer->pending, "the altered record was kept");
	cr_assert_neq(cer->discarded_pending[0], '\0', "discarded_pending was not filled");
	cr_assert_not_null(strstr(cer->discarded_pending, "altered"), "%s", cer->discarded_pending);
	cr_assert(!exists(pdir), "%s is still on disk", pdir);
	cr_assert_eq(cer->tip.sequence, 0);
	cr_assert_eq(ceremony_next_step(cer), 0);
	/* once discarded, the next open is quiet */
	reopen();
	cr_assert_eq(cer->discarded_pending[0], '\0', "%s", cer->discarded_pending);
	free(edited);
	free(text);
	free(file);
	free(pdir);
}
