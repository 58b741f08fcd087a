/* ceremony verify: the verdict on an evidence repository (first layer: authenticity and integrity). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/pgpwords.h"
#include "verifier/evidence_check.h"
#include "verifier/vault_join.h"

#define SCENARIO_FILE_MAX (16 * 1024 * 1024)

enum { OPT_EVIDENCE, OPT_SCENARIO, OPT_SCENARIO_HASH, OPT_CLOSING_HASH, OPT_VAULT_LOG };
static const struct cli_option options[] = {
        [OPT_EVIDENCE] = {"evidence", 'e', 1, 0, "DIR", "the evidence repository"},
        [OPT_SCENARIO] = {"scenario", 's', 1, 0, "FILE", "your copy of the published scenario; must be the one pinned"},
        [OPT_SCENARIO_HASH] = {"scenario-hash", 0, 1, 0, "HEX",
                               "the published scenario's SHA-256, if you hold only that"},
        [OPT_CLOSING_HASH] = {"closing-hash", 0, 1, 0, "HEX",
                              "the closing hash read out at the ceremony (catches truncation)"},
        [OPT_VAULT_LOG] = {"vault-log", 0, 1, 0, "FILE", "the vault's log, joined with the evidence both ways"},
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

static int print_verdict(const struct findings *findings, const struct evidence_check_result *result)
{
	struct buf words = buf_make(1024);
	char hex[65];
	int r;

	findings_print(findings, stdout);
	if (findings_total(findings) > 0) {
		printf("NOT VERIFIED: %zu finding%s in %s\n", findings_total(findings),
		       findings_total(findings) == 1 ? "" : "s",
		       result->ceremony[0] ? result->ceremony : "the evidence");
		return EXIT_REFUSED;
	}
	hex_encode(result->last_record_sha256, 32, hex);
	if ((r = pgpwords_append(&words, result->last_record_sha256, 32)) != 0)
		return r;
	printf("ceremony %s: %zu records, %zu signatures checked, authentic and intact\n", result->ceremony,
	       result->records, result->signatures_checked);
	switch (result->scenario_source) {
	case SCENARIO_AUDITOR:
		printf("script: replayed against your copy of the scenario: conforming (%u session%s, %zu "
		       "incident%s)\n",
		       result->sessions, result->sessions == 1 ? "" : "s", result->incidents,
		       result->incidents == 1 ? "" : "s");
		break;
	case SCENARIO_STORED:
		printf("script: replayed against the scenario stored with the evidence: conforming (%u session%s, %zu "
		       "incident%s)\n"
		       "        give your copy of the published scenario with -s to check it is the one pinned\n",
		       result->sessions, result->sessions == 1 ? "" : "s", result->incidents,
		       result->incidents == 1 ? "" : "s");
		break;
	case SCENARIO_NONE:
		printf("script: not replayed (%s)\n", result->scenario_unusable
		                                              ? "the scenario given is not a Ceremony scenario"
		                                              : "no Ceremony scenario with this evidence");
		break;
	}
	printf("last record hash: %s\n                  %s\n", hex, (const char *)words.data);
	buf_free(&words);
	if (!result->anchored) {
		printf("verdict: UNANCHORED (authentic as a chain, but nothing from outside pins it: give the "
		       "published\n"
		       "         scenario with -s, or the closing hash read out at the ceremony with "
		       "--closing-hash)\n");
		return EXIT_INCOMPLETE;
	}
	if (!result->closed) {
		if (result->invalidated)
			printf("verdict: INVALIDATED (the last session ended with an incident and was not "
			       "restarted)\n");
		else
			printf("verdict: OPEN (not closed: authentic so far, not a completed ceremony)\n");
		return EXIT_INCOMPLETE;
	}
	printf("verdict: VERIFIED (closed; the closing hash is the last record hash)\n");
	return EXIT_OK;
}

/* Progress on a terminal: at most ten updates a second, the last one always. */
struct progress {
	double last;
	int shown;
};

static void show_progress(void *ctx, size_t done, size_t total)
{
	struct progress *p = ctx;
	struct timespec t;
	double now;

	clock_gettime(CLOCK_MONOTONIC, &t);
	now = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
	if (done != total && p->shown && now - p->last < 0.1)
		return;
	fprintf(stderr, "\rverify: %zu of %zu records checked", done, total);
	fflush(stderr);
	p->last = now;
	p->shown = 1;
}

static int note_claims(void *ctx, const struct checked_record *seen)
{
	return vault_claims_note(ctx, seen->record, seen->commit);
}

int cmd_verify(int argc, char **argv)
{
	struct evidence_check_options check = {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL};
	struct vault_claims claims;
	struct vault_join_result joined;
	struct progress progress = {0, 0};
	struct evidence_check_result result;
	struct findings findings = {0};
	struct buf scenario = buf_make(SCENARIO_FILE_MAX);
	uint8_t closing[32], scenario_hash[32];
	struct cli_args args;
	const char *hex;
	int r;

	if ((r = cli_parse(argc, argv, options, OPTION_COUNT, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(
		        "verify -e DIR [-s SCENARIO | --scenario-hash HEX] [--closing-hash HEX] [--vault-log FILE]",
		        "Check an evidence repository. First layer: every object intact, one linear branch, every\n"
		        "record chained to the one before, every sign-off and commit signature valid and by a key of\n"
		        "the roster pinned in the genesis record, each person counted once. Second layer: the records\n"
		        "replayed against the scenario (your copy with -s, else the one stored with the evidence):\n"
		        "steps in order, sign-off rules met by distinct allowed people, values matching, incidents\n"
		        "ending their session, restarts signed, the ceremony closed. With --vault-log, the vault's "
		        "own\n"
		        "log joined with the records both ways: each vault operation a record reports is in the log "
		        "as\n"
		        "reported, each operation logged during the ceremony is explained by a record, the log's "
		        "chain\n"
		        "and signatures hold. One line per finding.\n"
		        "Exit 0: verified and closed; 3: authentic and conforming but open or invalidated;\n"
		        "1: findings; 2: the check could not run (unreadable input).",
		        options, OPTION_COUNT);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	if ((r = cli_require(&args, options, OPT_EVIDENCE)) != 0)
		return r;
	if ((hex = cli_value(&args, OPT_CLOSING_HASH)) != NULL) {
		if (hex_decode_exact(hex, strlen(hex), closing, sizeof(closing)) != 0)
			return err_set(CER_ERR_USAGE, "--closing-hash: expected 64 hex digits");
		check.closing_hash = closing;
	}
	if ((hex = cli_value(&args, OPT_SCENARIO_HASH)) != NULL) {
		if (hex_decode_exact(hex, strlen(hex), scenario_hash, sizeof(scenario_hash)) != 0)
			return err_set(CER_ERR_USAGE, "--scenario-hash: expected 64 hex digits");
		check.scenario_hash = scenario_hash;
	}
	if (cli_value(&args, OPT_SCENARIO) != NULL) {
		if ((r = file_read_all(cli_value(&args, OPT_SCENARIO), scenario.limit, &scenario)) != 0)
			return r;
		check.scenario = scenario.data;
		check.scenario_len = scenario.len;
	}
	if (isatty(STDERR_FILENO)) { /* progress for people; a pipe or a file stays clean */
		check.progress = show_progress;
		check.progress_ctx = &progress;
	}
	memset(&claims, 0, sizeof(claims));
	if (cli_value(&args, OPT_VAULT_LOG) != NULL) {
		check.on_record = note_claims;
		check.on_record_ctx = &claims;
	}
	r = evidence_check(cli_value(&args, OPT_EVIDENCE), &check, &findings, &result);
	if (progress.shown)
		fputs("\r\033[K", stderr); /* the line goes: the verdict says the rest */
	if (r == 0 && check.on_record_ctx != NULL &&
	    (r = vault_join(cli_value(&args, OPT_VAULT_LOG), &claims, &findings, &joined)) == 0)
		printf("vault log: %llu lines read; %zu of %zu vault operations the records report are in it as "
		       "reported\n",
		       (unsigned long long)joined.entries, joined.joined, claims.count);
	vault_claims_free(&claims);
	if (r == 0)
		r = print_verdict(&findings, &result);
	findings_free(&findings);
	buf_free(&scenario);
	return r;
}
