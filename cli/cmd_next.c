/* ceremony next: where the ceremony stands, from the repository alone. */
#include <stdio.h>

#include "cli/action.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "recorder/ceremony.h"

enum { OPT_EVIDENCE };
static const struct cli_option options[] = {
        [OPT_EVIDENCE] = {"evidence", 'e', 1, 0, "DIR", "the evidence repository"},
};

static int print_rule(const struct scenario *s, const struct signoff_rule *rule)
{
	struct buf text = buf_make(1024);
	int r;

	if ((r = signoff_rule_format(s, rule, &text)) != 0)
		return r;
	printf("  sign-off: %s (distinct people)\n", (const char *)text.data);
	for (size_t i = 0; i < rule->require_count; i++) {
		printf("    %s:", s->roles[rule->requires[i].role]);
		for (size_t p = 0; p < s->roster->participant_count; p++)
			if (scenario_has_role(s, p, rule->requires[i].role))
				printf(" %s", s->roster->participants[p]);
		printf("\n");
	}
	buf_free(&text);
	return 0;
}

static int print_pending(const struct ceremony *c)
{
	const struct record *rec;
	size_t people[EVIDENCE_SIGNOFFS_MAX], count;
	long step;

	if (!ceremony_pending_info(c, &rec, people, &count))
		return 0;
	printf("pending: record %u (%s %s) signed by", rec->sequence, record_type_name(rec->type), rec->step);
	for (size_t i = 0; i < count; i++)
		printf("%s %s", i ? "," : "", c->scenario->roster->participants[people[i]]);
	printf("; add sign-offs with 'ceremony sign'\n");
	step = rec->type == RECORD_STEP ? scenario_find_step(c->scenario, rec->step) : -1;
	{
		const struct signoff_rule *rule = script_rule(&c->state, rec->type, step);
		return rule != NULL ? print_rule(c->scenario, rule) : 0;
	}
}

int cmd_next(int argc, char **argv)
{
	struct ceremony *c = NULL;
	struct cli_args args;
	long next;
	int r;

	if ((r = cli_parse(argc, argv, options, 1, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(
		        "next -e DIR",
		        "Say where the ceremony stands, from the repository alone: the session, a pending record and\n"
		        "who must still sign it, or the next step: its instructions, what to capture, who signs.",
		        options, 1);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	if ((r = cli_require(&args, options, OPT_EVIDENCE)) != 0 ||
	    (r = ceremony_open(&c, cli_value(&args, OPT_EVIDENCE))) != 0)
		return r;
	action_warn(c);
	printf("ceremony %s, scenario %s revision %u: %u record%s, session %u\n", c->genesis->ceremony, c->scenario->id,
	       c->scenario->revision, c->tip.sequence + 1, c->tip.sequence ? "s" : "", c->state.session);
	next = ceremony_next_step(c);
	if (c->state.closed) {
		printf("status: closed. Nothing can be appended; verify with 'ceremony verify'.\n");
	} else if (c->pending != NULL) {
		r = print_pending(c);
	} else if (c->state.invalidated) {
		printf("status: session %u invalidated by an incident. Only 'ceremony restart' is accepted.\n",
		       c->state.session);
		r = print_rule(c->scenario, &c->scenario->restart_signoff);
	} else if (next < 0) {
		printf("status: every step is recorded. Next: 'ceremony close'.\n");
		r = print_rule(c->scenario, &c->scenario->close_signoff);
	} else {
		const struct scenario_step *st = &c->scenario->steps[next];
		printf("next: step %ld of %zu, %s [%s], done by a %s%s\n", next + 1, c->scenario->step_count, st->title,
		       st->id, c->scenario->roles[st->role], st->confirm ? " (irreversible: needs --yes)" : "");
		printf("  instructions:\n");
		for (const char *p = st->instructions, *line = p; *p != '\0' || line < p; p++) {
			if (*p == '\n' || *p == '\0') {
				printf("    %.*s\n", (int)(p - line), line);
				line = p + 1;
				if (*p == '\0')
					break;
			}
		}
		for (size_t i = 0; i < st->capture_count; i++)
			printf("  capture: --value %s=...  (%s; pattern %s)\n", st->captures[i].name,
			       st->captures[i].label, st->captures[i].pattern);
		for (size_t i = 0; i < st->attachment_count; i++)
			printf("  attach:  --attach %s=FILE  (%s%s)\n", st->attachments[i].name,
			       st->attachments[i].label,
			       st->attachments[i].store ? "; kept in the evidence" : "; hashed");
		r = print_rule(c->scenario, &st->signoff);
	}
	ceremony_free(c);
	return r;
}
