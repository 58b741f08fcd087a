/* ceremony scenario check|show|allowed-signers|make: working with published scenarios. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "cli/action.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "common/file.h"
#include "common/sshsig.h"
#include "common/xml.h"
#include "evidence/scenario.h"

static int one_file(int argc, char **argv, const char *usage, const char *summary, const char **file)
{
	struct cli_args args;
	int r;

	if ((r = cli_parse(argc, argv, NULL, 0, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(usage, summary, NULL, 0);
		return 1;
	}
	if (args.positional_count != 1)
		return err_set(CER_ERR_USAGE, "give exactly one scenario FILE");
	*file = args.positional[0];
	return 0;
}

static int scenario_check_cmd(int argc, char **argv)
{
	struct buf problems = buf_make(1024 * 1024);
	struct scenario *s = NULL;
	const char *file;
	size_t count;
	int r;

	if ((r = one_file(
	             argc, argv, "scenario check FILE",
	             "Check a scenario or template: the strict XML rules and the schema (no DTD, no entity, no\n"
	             "unknown element, bounded size and depth), then its meaning: unknown roles, duplicate ids,\n"
	             "sign-off rules the roster cannot meet or one person could meet alone, steps nobody can act.\n"
	             "Exit 0: usable; 1: problems (one per line); 2: not readable as a scenario.",
	             &file)) != 0)
		return r > 0 ? EXIT_OK : r;
	if ((r = scenario_load(&s, file, 1, NULL)) != 0)
		return r;
	count = scenario_check(s, &problems);
	if (count > 0)
		printf("%s", (const char *)problems.data);
	printf("%s: %s %s, %zu step%s, %zu problem%s\n", file, s->roster ? "scenario" : "template", s->id,
	       s->step_count, s->step_count == 1 ? "" : "s", count, count == 1 ? "" : "s");
	if (count == 0)
		r = print_digest_words("sha256", s->sha256);
	scenario_free(s);
	buf_free(&problems);
	return r != 0 ? r : (count > 0 ? EXIT_REFUSED : EXIT_OK);
}

static void print_wrapped(const char *indent, const char *text)
{
	printf("%s", indent);
	for (const char *p = text; *p; p++) {
		putchar(*p);
		if (*p == '\n' && p[1] != '\0')
			printf("%s", indent);
	}
	putchar('\n');
}

static int print_rule(const struct scenario *s, const char *what, const struct signoff_rule *rule)
{
	struct buf text = buf_make(1024);
	unsigned lines = 0;
	int r;

	if ((r = signoff_rule_format(s, rule, &text)) != 0)
		return r;
	printf("  %s: %s, distinct people\n", what, (const char *)text.data);
	for (size_t i = 0; i < rule->require_count; i++)
	lines += rule->requires[i].count;
	for (unsigned i = 0; i < lines; i++)
		printf("    [ ] name ______________________  role __________  signature ______________________\n");
	buf_free(&text);
	return 0;
}

static int scenario_show_cmd(int argc, char **argv)
{
	struct scenario *s = NULL;
	const char *file;
	int r;

	if ((r = one_file(
	             argc, argv, "scenario show FILE",
	             "Print the checklist people follow on paper: the scenario's hash (hex and PGP words, to read\n"
	             "aloud), the roster with key fingerprints, then every step: who acts, the instructions, what\n"
	             "to capture, who signs.",
	             &file)) != 0)
		return r > 0 ? EXIT_OK : r;
	if ((r = scenario_load(&s, file, 1, NULL)) != 0)
		return r;
	printf("CEREMONY CHECKLIST: %s\n%s (revision %u)\n\n", s->title, s->id, s->revision);
	if ((r = print_digest_words("scenario sha256", s->sha256)) != 0)
		goto out;
	printf("\nROLES\n");
	for (size_t i = 0; i < s->role_count; i++)
		printf("  %-12s %s\n", s->roles[i], s->role_titles[i]);
	if (s->roster != NULL) {
		printf("\nPARTICIPANTS\n");
		for (size_t p = 0; p < s->roster->participant_count; p++) {
			printf("  %s (", s->roster->participants[p]);
			for (size_t k = 0, first = 1; k < s->role_count; k++)
				if (scenario_has_role(s, p, k)) {
					printf("%s%s", first ? "" : ", ", s->roles[k]);
					first = 0;
				}
			printf(")\n");
			for (size_t k = 0; k < s->roster->key_count; k++)
				if (s->roster->keys[k].participant == p) {
					char fp[SSHKEY_FINGERPRINT_CHARS + 1];
					sshkey_fingerprint_text(&s->roster->keys[k].key, fp);
					printf("    key %s\n", fp);
				}
		}
	} else {
		printf("\n(template: no roster; make a scenario with 'ceremony scenario make')\n");
	}
	for (size_t i = 0; i < s->step_count; i++) {
		const struct scenario_step *st = &s->steps[i];
		printf("\nSTEP %zu  %s  [%s]\n  acting role: %s%s\n", i + 1, st->title, st->id, s->roles[st->role],
		       st->kind != STEP_MANUAL ? "" : "");
		if (st->kind != STEP_MANUAL)
			printf("  vault operation: %s\n", step_kind_name(st->kind));
		print_wrapped("  | ", st->instructions);
		for (size_t c = 0; c < st->capture_count; c++)
			printf("  capture %s (%s, pattern %s): ______________________\n", st->captures[c].name,
			       st->captures[c].label, st->captures[c].pattern);
		for (size_t a = 0; a < st->attachment_count; a++)
			printf("  attach %s (%s)%s: sha256 ________________\n", st->attachments[a].name,
			       st->attachments[a].label, st->attachments[a].store ? ", kept in the evidence" : "");
		if (st->confirm)
			printf("  IRREVERSIBLE: everyone says \"Yes\" aloud before it is done.\n");
		if ((r = print_rule(s, "sign-off", &st->signoff)) != 0)
			goto out;
	}
	printf("\nIF ANYTHING UNPLANNED HAPPENS: declare an incident; the session ends and restarts from step 1.\n");
	if ((r = print_rule(s, "restart", &s->restart_signoff)) != 0)
		goto out;
	printf("\nCLOSE after the last step; read the closing hash aloud and write it here:\n"
	       "  ____________________________________________________________\n");
	r = print_rule(s, "close", &s->close_signoff);
out:
	scenario_free(s);
	return r;
}

static int scenario_allowed_signers_cmd(int argc, char **argv)
{
	struct buf line = buf_make(4096);
	struct scenario *s = NULL;
	const char *file;
	int r;

	if ((r = one_file(argc, argv, "scenario allowed-signers FILE",
	                  "Print the scenario's roster as an OpenSSH allowed_signers file: for 'ssh-keygen -Y verify'\n"
	                  "(sign-offs, namespace " SSHSIG_NAMESPACE_RECORD ") and 'git verify-commit'\n"
	                  "(gpg.ssh.allowedSignersFile).",
	                  &file)) != 0)
		return r > 0 ? EXIT_OK : r;
	if ((r = scenario_load(&s, file, 0, NULL)) != 0)
		return r;
	for (size_t k = 0; k < s->roster->key_count && r == 0; k++) {
		buf_reset(&line);
		if ((r = sshkey_public_format_line(&s->roster->keys[k].key, &line)) == 0)
			printf("%s namespaces=\"%s,%s\" %s\n", s->roster->participants[s->roster->keys[k].participant],
			       SSHSIG_NAMESPACE_GIT, SSHSIG_NAMESPACE_RECORD, (const char *)line.data);
	}
	scenario_free(s);
	buf_free(&line);
	return r;
}

/* Read the template and the roster, make the scenario, write it to a new file. */
static int make_to_file(const char *template_path, const char *roster_path, const char *id, const char *out_path)
{
	struct buf tmpl = buf_make(SCENARIO_BYTES_MAX), roster = buf_make(1024 * 1024),
	           made = buf_make(SCENARIO_BYTES_MAX);
	FILE *f = NULL;
	int r;

	if ((r = file_read_all(template_path, tmpl.limit, &tmpl)) != 0 ||
	    (r = file_read_all(roster_path, roster.limit, &roster)) != 0)
		goto out;
	if ((r = scenario_make(tmpl.data, tmpl.len, (const char *)roster.data, roster.len, id, &made)) != 0) {
		err_context(r, "%s + %s", template_path, roster_path);
		goto out;
	}
	/* Never overwrite: a published scenario must not change under the people who read it. */
	if ((f = fopen(out_path, "wx")) == NULL) {
		r = err_set(CER_ERR_IO, "%s: cannot create (exists?)", out_path);
		goto out;
	}
	if (fwrite(made.data, 1, made.len, f) != made.len || fflush(f) != 0)
		r = err_set(CER_ERR_IO, "%s: write failed", out_path);
	if (fclose(f) != 0 && r == 0)
		r = err_set(CER_ERR_IO, "%s: write failed", out_path);
	if (r != 0)
		remove(out_path);
	else
		printf("wrote scenario %s (id %s)\n", out_path, id);
out:
	buf_free(&tmpl);
	buf_free(&roster);
	buf_free(&made);
	return r;
}

enum { OPT_TEMPLATE, OPT_ROSTER, OPT_ID, OPT_OUTPUT };
static const struct cli_option make_options[] = {
        [OPT_TEMPLATE] = {"template", 't', 1, 0, "FILE", "the template (a scenario without roster)"},
        [OPT_ROSTER] = {"roster", 'r', 1, 0, "FILE", "lines: PARTICIPANT ROLE[,ROLE...] ssh-ed25519 KEY [comment]"},
        [OPT_ID] = {"id", 0, 1, 0, "ID", "the scenario's id, which becomes the ceremony id"},
        [OPT_OUTPUT] = {"output", 'o', 1, 0, "FILE", "where to write the scenario (never overwritten)"},
};

static int scenario_make_cmd(int argc, char **argv)
{
	struct cli_args args;
	int r;

	if ((r = cli_parse(argc, argv, make_options, 4, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(
		        "scenario make -t TEMPLATE -r ROSTER --id ID -o FILE",
		        "Make a scenario from a template and a roster, then check it. The roster file has one line\n"
		        "per key: the participant's id, their roles (comma-separated), and an OpenSSH public key;\n"
		        "a person with several keys has several lines.",
		        make_options, 4);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	for (size_t i = 0; i < 4; i++)
		if ((r = cli_require(&args, make_options, i)) != 0)
			return r;
	return make_to_file(cli_value(&args, OPT_TEMPLATE), cli_value(&args, OPT_ROSTER), cli_value(&args, OPT_ID),
	                    cli_value(&args, OPT_OUTPUT));
}

int cmd_scenario(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
		const char *summary;
	} subs[] = {
	        {"check", scenario_check_cmd, "check a scenario or template (schema and meaning)"},
	        {"show", scenario_show_cmd, "print the paper checklist, with the scenario hash as hex and PGP words"},
	        {"allowed-signers", scenario_allowed_signers_cmd,
	         "print the roster as an OpenSSH allowed_signers file"},
	        {"make", scenario_make_cmd, "make a scenario from a template and a roster"},
	};

	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		FILE *out = argc < 1 ? stderr : stdout;
		fprintf(out, "usage: ceremony scenario <check|show|allowed-signers|make> ...\n\n");
		for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
			fprintf(out, "  %-16s %s\n", subs[i].name, subs[i].summary);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[0], subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	return err_set(CER_ERR_USAGE, "unknown command \"scenario %s\" (see ceremony scenario --help)", argv[0]);
}
