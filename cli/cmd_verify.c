/* ceremony verify: the verdict on an evidence repository (first layer: authenticity and integrity). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
#include "common/vault_identity.h"
#include "verifier/evidence_check.h"
#include "verifier/report_xslt.h"
#include "verifier/report_xml.h"
#include "verifier/vault_join.h"

#define SCENARIO_FILE_MAX (16 * 1024 * 1024)

enum {
	OPT_EVIDENCE,
	OPT_SCENARIO,
	OPT_SCENARIO_HASH,
	OPT_CLOSING_HASH,
	OPT_VAULT_LOG,
	OPT_VAULT_IDENTITY,
	OPT_FORMAT,
	OPT_OUTPUT
};
static const struct cli_option options[] = {
        [OPT_EVIDENCE] = {"evidence", 'e', 1, 0, "DIR", "the evidence repository"},
        [OPT_SCENARIO] = {"scenario", 's', 1, 0, "FILE", "your copy of the published scenario; must be the one pinned"},
        [OPT_SCENARIO_HASH] = {"scenario-hash", 0, 1, 0, "HEX",
                               "the published scenario's SHA-256, if you hold only that"},
        [OPT_CLOSING_HASH] = {"closing-hash", 0, 1, 0, "HEX",
                              "the closing hash read out at the ceremony (catches truncation)"},
        [OPT_VAULT_LOG] = {"vault-log", 0, 1, 0, "FILE", "the vault's log, joined with the evidence both ways"},
        [OPT_VAULT_IDENTITY] = {"vault-identity", 0, 1, 0, "FILE",
                                "the vault's public identity (vault.json): shares checked against its commitments"},
        [OPT_FORMAT] = {"format", 0, 1, 0, "xml|html|oscal", "the report's format (report)"},
        [OPT_OUTPUT] = {"output", 'o', 1, 0, "FILE", "where the report goes, else stdout (report)"},
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))
#define VERIFY_OPTION_COUNT (OPTION_COUNT - 2) /* verify takes all but the report's own */

/* The verdict's name (docs/verify.md) and its exit code. */
static int verdict_of(const struct findings *findings, const struct evidence_check_result *result, const char **name)
{
	if (findings_total(findings) > 0) {
		*name = "NOT-VERIFIED";
		return EXIT_REFUSED;
	}
	if (!result->anchored || !result->closed) {
		*name = !result->anchored ? "UNANCHORED" : result->invalidated ? "INVALIDATED" : "OPEN";
		return EXIT_INCOMPLETE;
	}
	*name = "VERIFIED";
	return EXIT_OK;
}

static int print_verdict(const struct findings *findings, const struct evidence_check_result *result)
{
	struct buf words = buf_make(1024);
	const char *verdict;
	int code = verdict_of(findings, result, &verdict), r;
	char hex[65];

	findings_print(findings, stdout);
	if (code == EXIT_REFUSED) {
		printf("NOT VERIFIED: %zu finding%s in %s\n", findings_total(findings),
		       findings_total(findings) == 1 ? "" : "s",
		       result->ceremony[0] ? result->ceremony : "the evidence");
		return code;
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
	if (strcmp(verdict, "UNANCHORED") == 0)
		printf("verdict: UNANCHORED (authentic as a chain, but nothing from outside pins it: give the "
		       "published\n"
		       "         scenario with -s, or the closing hash read out at the ceremony with "
		       "--closing-hash)\n");
	else if (strcmp(verdict, "INVALIDATED") == 0)
		printf("verdict: INVALIDATED (the last session ended with an incident and was not restarted)\n");
	else if (strcmp(verdict, "OPEN") == 0)
		printf("verdict: OPEN (not closed: authentic so far, not a completed ceremony)\n");
	else
		printf("verdict: VERIFIED (closed; the closing hash is the last record hash)\n");
	return code;
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

extern const unsigned char report_html_stylesheet[], report_oscal_stylesheet[];
extern const size_t report_html_stylesheet_len, report_oscal_stylesheet_len;

/* One check, for `verify` (printed for people) and `report` (written as a report). */
struct check_run {
	struct evidence_check_options check;
	struct evidence_check_result result;
	struct findings findings;
	struct vault_claims claims;
	struct vault_join_result joined;
	int joined_ran;
	struct report_xml *report; /* or NULL */
	struct progress progress;
	struct buf scenario;
	uint8_t closing[32], scenario_hash[32];
};

/* What each checked record feeds: the vault claims (with --vault-log), the report. */
static int on_record(void *ctx, const struct checked_record *seen)
{
	struct check_run *run = ctx;
	int r = vault_claims_note(&run->claims, seen->record, seen->commit);

	if (r == 0 && run->report != NULL)
		r = report_xml_record(run->report, seen);
	return r;
}

/* Parse the check's options out of `args` and run it (and the vault join). */
static int run_check(const struct cli_args *args, struct check_run *run)
{
	const char *hex;
	int r;

	if ((r = cli_require(args, options, OPT_EVIDENCE)) != 0)
		return r;
	if ((hex = cli_value(args, OPT_CLOSING_HASH)) != NULL) {
		if (hex_decode_exact(hex, strlen(hex), run->closing, sizeof(run->closing)) != 0)
			return err_set(CER_ERR_USAGE, "--closing-hash: expected 64 hex digits");
		run->check.closing_hash = run->closing;
	}
	if ((hex = cli_value(args, OPT_SCENARIO_HASH)) != NULL) {
		if (hex_decode_exact(hex, strlen(hex), run->scenario_hash, sizeof(run->scenario_hash)) != 0)
			return err_set(CER_ERR_USAGE, "--scenario-hash: expected 64 hex digits");
		run->check.scenario_hash = run->scenario_hash;
	}
	if (cli_value(args, OPT_SCENARIO) != NULL) {
		if ((r = file_read_all(cli_value(args, OPT_SCENARIO), run->scenario.limit, &run->scenario)) != 0)
			return r;
		run->check.scenario = run->scenario.data;
		run->check.scenario_len = run->scenario.len;
	}
	if (isatty(STDERR_FILENO)) { /* progress for people; a pipe or a file stays clean */
		run->check.progress = show_progress;
		run->check.progress_ctx = &run->progress;
	}
	run->check.on_record = on_record;
	run->check.on_record_ctx = run;
	r = evidence_check(cli_value(args, OPT_EVIDENCE), &run->check, &run->findings, &run->result);
	if (run->progress.shown)
		fputs("\r\033[K", stderr); /* the line goes: the verdict says the rest */
	if (r == 0 && cli_value(args, OPT_VAULT_LOG) != NULL &&
	    (r = vault_join(cli_value(args, OPT_VAULT_LOG), &run->claims, &run->findings, &run->joined)) == 0)
		run->joined_ran = 1;
	if (r == 0 && cli_value(args, OPT_VAULT_IDENTITY) != NULL) {
		struct vault_identity identity;
		if ((r = vault_identity_read_file(cli_value(args, OPT_VAULT_IDENTITY), &identity)) == 0)
			r = vault_check_shares(&run->claims, &identity, &run->findings);
	}
	return r;
}

static void check_run_init(struct check_run *run)
{
	memset(run, 0, sizeof(*run));
	run->scenario = buf_make(SCENARIO_FILE_MAX);
}

static void check_run_free(struct check_run *run)
{
	vault_claims_free(&run->claims);
	findings_free(&run->findings);
	buf_free(&run->scenario);
	report_xml_free(run->report);
}

#define CHECK_SUMMARY                                                                                                  \
	"First layer: every object intact, one linear branch, every\n"                                                 \
	"record chained to the one before, every sign-off and commit signature valid and by a key of\n"                \
	"the roster pinned in the genesis record, each person counted once. Second layer: the records\n"               \
	"replayed against the scenario (your copy with -s, else the one stored with the evidence):\n"                  \
	"steps in order, sign-off rules met by distinct allowed people, values matching, incidents\n"                  \
	"ending their session, restarts signed, the ceremony closed. With --vault-log, the vault's own\n"              \
	"log joined with the records both ways: each vault operation a record reports is in the log as\n"              \
	"reported, each operation logged during the ceremony is explained by a record, the log's chain\n"              \
	"and signatures hold.\n"                                                                                       \
	"Exit 0: verified and closed; 3: authentic and conforming but open or invalidated;\n"                          \
	"1: findings; 2: the check could not run (unreadable input)."

int cmd_verify(int argc, char **argv)
{
	struct check_run run;
	struct cli_args args;
	int r;

	if ((r = cli_parse(argc, argv, options, VERIFY_OPTION_COUNT, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(
		        "verify -e DIR [-s SCENARIO | --scenario-hash HEX] [--closing-hash HEX] [--vault-log FILE]",
		        "Check an evidence repository. " CHECK_SUMMARY " One line per finding.", options,
		        VERIFY_OPTION_COUNT);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	check_run_init(&run);
	if ((r = run_check(&args, &run)) == 0) {
		if (run.joined_ran)
			printf("vault log: %llu lines read; %zu of %zu vault operations the records report are in it "
			       "as "
			       "reported\n",
			       (unsigned long long)run.joined.entries, run.joined.joined, run.claims.count);
		r = print_verdict(&run.findings, &run.result);
	}
	check_run_free(&run);
	return r;
}

int cmd_report(int argc, char **argv)
{
	struct check_run run;
	struct cli_args args;
	const char *format, *verdict, *out;
	char *xml_path = NULL;
	int r, exit_code, transformed;

	if ((r = cli_parse(argc, argv, options, OPTION_COUNT, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(
		        "report -e DIR [-s SCENARIO | --scenario-hash HEX] [--closing-hash HEX] [--vault-log FILE]\n"
		        "              --format xml [-o FILE]",
		        "Verify an evidence repository as 'verify' does and write the report: the ceremony, its\n"
		        "participants and their keys, every record (time, actor, sign-offs, values, attachments,\n"
		        "vault operations and their log references, incidents), every finding, the verdict, the\n"
		        "last record's hash. XML valid against templates/report.xsd (docs/report.md). The report is\n"
		        "written whatever the verdict; the exit code is verify's. " CHECK_SUMMARY,
		        options, OPTION_COUNT);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	if ((r = cli_require(&args, options, OPT_FORMAT)) != 0)
		return r;
	format = cli_value(&args, OPT_FORMAT);
	if (strcmp(format, "xml") != 0 && strcmp(format, "html") != 0 && strcmp(format, "oscal") != 0)
		return err_set(CER_ERR_USAGE, "--format %s: the formats are xml, html and oscal", format);
	out = cli_value(&args, OPT_OUTPUT) ? cli_value(&args, OPT_OUTPUT) : "-";
	transformed = strcmp(format, "xml") != 0;
	/* HTML and OSCAL are the XML report through a stylesheet: the XML goes to a private file first. */
	if (transformed) {
		int fd;
		if (asprintf(&xml_path, "%s/ceremony-report-XXXXXX",
		             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp") < 0)
			return err_set(CER_ERR_NOMEM, "out of memory");
		if ((fd = mkstemp(xml_path)) < 0) { /* a name nobody can guess or plant a link at */
			r = err_set(CER_ERR_IO, "%s: %s", xml_path, strerror(errno));
			free(xml_path);
			return r;
		}
		close(fd);
	}
	check_run_init(&run);
	if ((r = report_xml_start(&run.report, transformed ? xml_path : out, ceremony_version, ceremony_build_id)) ==
	            0 &&
	    (r = run_check(&args, &run)) == 0) {
		exit_code = verdict_of(&run.findings, &run.result, &verdict);
		r = report_xml_finish(run.report, &run.result, &run.findings, run.joined_ran ? &run.joined : NULL,
		                      run.claims.count, verdict, exit_code);
		if (r == 0 && transformed)
			r = strcmp(format, "html") == 0 ? report_transform(xml_path, report_html_stylesheet,
			                                                   report_html_stylesheet_len, out)
			                                : report_transform(xml_path, report_oscal_stylesheet,
			                                                   report_oscal_stylesheet_len, out);
		if (r == 0) {
			if (cli_value(&args, OPT_OUTPUT) != NULL)
				fprintf(stderr, "report: %s (%s)\n", cli_value(&args, OPT_OUTPUT), verdict);
			r = exit_code;
		}
	}
	check_run_free(&run);
	if (xml_path != NULL)
		unlink(xml_path);
	free(xml_path);
	return r;
}
