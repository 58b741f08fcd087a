/* ceremony run: the guided ceremony on a terminal. It shows each step's instructions, asks for
 * the values and files to capture (with their digests as hex and PGP words), asks for "Yes" before
 * irreversible steps, and asks each signer in turn for their key; the records are made through
 * the same recorder calls as 'record', 'sign', 'restart' and 'close'. At any prompt, "!incident"
 * declares an incident and "!quit" leaves (a pending record stays pending). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/action.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"
#include "recorder/ceremony.h"

#define ANSWER_MAX 4096
#define ATTACH_PATHS_MAX 16

enum { OPT_EVIDENCE };
static const struct cli_option options[] = {
        [OPT_EVIDENCE] = {"evidence", 'e', 1, 0, "DIR", "the evidence repository (begun with 'ceremony begin')"},
};

enum answer { ANSWER_TEXT, ANSWER_INCIDENT, ANSWER_QUIT };

/* One line from the terminal, at most ANSWER_MAX - 1 bytes, without its newline. */
static enum answer ask(const char *prompt, char out[ANSWER_MAX])
{
	size_t len;

	printf("%s", prompt);
	fflush(stdout);
	if (fgets(out, ANSWER_MAX, stdin) == NULL)
		return ANSWER_QUIT;
	len = strlen(out);
	if (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	else if (len == ANSWER_MAX - 1) {
		int ch;
		while ((ch = getchar()) != '\n' && ch != EOF)
			;
		printf("(too long: at most %d characters)\n", ANSWER_MAX - 1);
		return ask(prompt, out);
	}
	if (strcmp(out, "!incident") == 0)
		return ANSWER_INCIDENT;
	if (strcmp(out, "!quit") == 0)
		return ANSWER_QUIT;
	return ANSWER_TEXT;
}

static int say_result(struct action_result *result, int r)
{
	if (result->message.len > 0)
		fputs((const char *)result->message.data, stdout);
	if (r != 0)
		printf("refused: %s\n", err_message());
	return r;
}

/* Ask for one signer's key; NULL when the answer is empty or not a usable key (said why). */
static enum answer ask_signer(unsigned n, struct signer **out)
{
	char answer[ANSWER_MAX], prompt[128];
	enum answer a;

	*out = NULL;
	snprintf(prompt, sizeof(prompt),
	         "Signer %u: key (file, agent:COMMENT or agent:SHA256:...; empty when done): ", n);
	a = ask(prompt, answer);
	if (a != ANSWER_TEXT || answer[0] == '\0')
		return a;
	if (signer_open(out, answer) != 0)
		printf("cannot use that key: %s\n", err_message());
	return ANSWER_TEXT;
}

static int declare_incident(const char *dir)
{
	char reason[ANSWER_MAX];
	struct signer *signer = NULL;
	struct ceremony *c = NULL;
	struct action_result result;
	int r;

	printf("Declaring an incident. The session will be invalid and must be restarted.\n");
	if (ask("What happened? ", reason) != ANSWER_TEXT || reason[0] == '\0')
		return 0;
	while (signer == NULL)
		if (ask_signer(1, &signer) != ANSWER_TEXT)
			return 0;
	if ((r = ceremony_open(&c, dir)) != 0) {
		signer_free(signer);
		return r;
	}
	action_result_init(&result);
	r = say_result(&result, ceremony_declare_incident(c, reason, &signer, 1, &result));
	action_result_free(&result);
	ceremony_free(c);
	signer_free(signer);
	return r;
}

/* Collect signers one at a time until the record is committed (or the person stops). `first`
 * makes the record; later ones sign the pending record. */
struct proposal {
	const char *step_id; /* NULL for restart and close */
	enum record_type type;
	struct step_input input;
};

static enum answer collect_signoffs(const char *dir, const struct proposal *p)
{
	struct action_result result;
	unsigned n = 1;

	for (;;) {
		struct ceremony *c = NULL;
		struct signer *signer = NULL;
		enum answer a = ask_signer(n, &signer);
		int r;

		if (a != ANSWER_TEXT || signer == NULL) {
			if (a == ANSWER_TEXT)
				printf("%s\n", n == 1 ? "nothing recorded"
				                      : "the record stays pending ('ceremony sign' later)");
			return a;
		}
		if ((r = ceremony_open(&c, dir)) != 0) {
			signer_free(signer);
			printf("refused: %s\n", err_message());
			return ANSWER_QUIT;
		}
		action_result_init(&result);
		if (c->pending != NULL)
			r = ceremony_sign(c, &signer, 1, &result);
		else if (p->type == RECORD_STEP)
			r = ceremony_record_step(c, p->step_id, &p->input, &signer, 1, &result);
		else if (p->type == RECORD_RESTART)
			r = ceremony_restart(c, &signer, 1, &result);
		else
			r = ceremony_close(c, &signer, 1, &result);
		say_result(&result, r);
		if (r == 0 && result.committed && p->type == RECORD_CLOSE)
			print_digest_words("closing hash", result.record_sha256);
		n += r == 0;
		{
			int done = r == 0 ? result.committed : result.incident;
			action_result_free(&result);
			ceremony_free(c);
			signer_free(signer);
			if (done)
				return ANSWER_TEXT;
		}
	}
}

static enum answer ask_yes(const char *question)
{
	char answer[ANSWER_MAX];
	enum answer a;

	for (;;) {
		if ((a = ask(question, answer)) != ANSWER_TEXT)
			return a;
		if (strcmp(answer, "Yes") == 0)
			return ANSWER_TEXT;
		printf("Type Yes (exactly), or !incident, or !quit.\n");
	}
}

/* One step: show it, capture its values and files, confirm, then signers. */
static enum answer run_step(const char *dir, const struct ceremony *c, const struct scenario_step *st, long index)
{
	static char values[SCENARIO_CAPTURES_MAX][ANSWER_MAX + RECORD_ID_MAX + 2];
	static char attachments[ATTACH_PATHS_MAX][ANSWER_MAX + RECORD_ID_MAX + 2];
	const char *value_ptrs[SCENARIO_CAPTURES_MAX], *attach_ptrs[ATTACH_PATHS_MAX];
	char answer[ANSWER_MAX], prompt[512];
	struct buf text = buf_make(1024);
	struct proposal p;
	enum answer a;

	printf("\n-- Step %ld of %zu: %s [%s], done by a %s\n", index + 1, c->scenario->step_count, st->title, st->id,
	       c->scenario->roles[st->role]);
	for (const char *s = st->instructions, *line = s;; s++)
		if (*s == '\n' || *s == '\0') {
			printf("   | %.*s\n", (int)(s - line), line);
			line = s + 1;
			if (*s == '\0')
				break;
		}
	if (signoff_rule_format(c->scenario, &st->signoff, &text) == 0)
		printf("   sign-off: %s (distinct people)\n", (const char *)text.data);
	buf_free(&text);
	for (size_t i = 0; i < st->capture_count; i++) {
		snprintf(prompt, sizeof(prompt), "Value %s (%s; pattern %s): ", st->captures[i].name,
		         st->captures[i].label, st->captures[i].pattern);
		for (;;) {
			if ((a = ask(prompt, answer)) != ANSWER_TEXT)
				return a;
			if (scenario_capture_matches(&st->captures[i], answer))
				break;
			/* A typo is caught here, before anything is signed; 'record' takes such a value as an incident. */
			printf("\"%s\" does not match %s; type it again.\n", answer, st->captures[i].pattern);
		}
		snprintf(values[i], sizeof(values[i]), "%s=%s", st->captures[i].name, answer);
		value_ptrs[i] = values[i];
	}
	for (size_t i = 0; i < st->attachment_count && i < ATTACH_PATHS_MAX; i++) {
		struct buf data = buf_make(RECORD_ATTACHMENT_MAX);
		uint8_t digest[32];
		snprintf(prompt, sizeof(prompt), "File for %s (%s): ", st->attachments[i].name,
		         st->attachments[i].label);
		for (;;) {
			if ((a = ask(prompt, answer)) != ANSWER_TEXT) {
				buf_free(&data);
				return a;
			}
			if (file_read_all(answer, data.limit, &data) == 0)
				break;
			printf("%s\n", err_message());
		}
		sha256_digest(data.data, data.len, digest);
		printf("%s: %zu bytes\n", st->attachments[i].name, data.len);
		buf_free(&data);
		print_digest_words("   sha256", digest);
		snprintf(attachments[i], sizeof(attachments[i]), "%s=%s", st->attachments[i].name, answer);
		attach_ptrs[i] = attachments[i];
	}
	if (st->confirm && (a = ask_yes("This step cannot be undone. Type Yes when everyone agrees: ")) != ANSWER_TEXT)
		return a;
	memset(&p, 0, sizeof(p));
	p.step_id = st->id;
	p.type = RECORD_STEP;
	p.input.values = value_ptrs;
	p.input.value_count = st->capture_count;
	p.input.attachments = attach_ptrs;
	p.input.attachment_count = st->attachment_count;
	p.input.confirmed = st->confirm;
	return collect_signoffs(dir, &p);
}

static enum answer run_once(const char *dir, int *finished)
{
	struct ceremony *c = NULL;
	struct proposal p;
	enum answer a = ANSWER_TEXT;
	long next;

	*finished = 0;
	if (ceremony_open(&c, dir) != 0) {
		printf("cannot open the ceremony: %s\n", err_message());
		*finished = 1;
		return ANSWER_QUIT;
	}
	memset(&p, 0, sizeof(p));
	action_warn(c);
	next = ceremony_next_step(c);
	printf("\n== %s (%s), session %u, %u records\n", c->scenario->title, c->genesis->ceremony, c->state.session,
	       c->tip.sequence + 1);
	if (c->state.closed) {
		printf("The ceremony is closed.\n");
		*finished = 1;
	} else if (c->pending != NULL) {
		const struct record *rec;
		size_t people[EVIDENCE_SIGNOFFS_MAX], count;
		if (ceremony_pending_info(c, &rec, people, &count)) {
			printf("Record %u (%s %s) is pending: more sign-offs are needed.\n", rec->sequence,
			       record_type_name(rec->type), rec->step);
			p.type = rec->type; /* the pending record is signed as it is: no step id needed */
		}
		ceremony_free(c);
		return collect_signoffs(dir, &p);
	} else if (c->state.invalidated) {
		printf("Session %u was invalidated by an incident. Keys made in it must be destroyed.\n",
		       c->state.session);
		if ((a = ask_yes("Restart from step 1 in a new session? Type Yes: ")) == ANSWER_TEXT) {
			p.type = RECORD_RESTART;
			a = collect_signoffs(dir, &p);
		}
	} else if (next < 0) {
		printf("Every step is recorded.\n");
		if ((a = ask_yes("Close the ceremony? Type Yes: ")) == ANSWER_TEXT) {
			p.type = RECORD_CLOSE;
			a = collect_signoffs(dir, &p);
		}
	} else if (c->scenario->steps[next].kind != STEP_MANUAL) {
		/* The guided runner does not hold the vault yet: say how to go on, and stop. */
		printf("Step %s is a vault step (%s): record it with 'ceremony record --step %s -V VAULT' (and the "
		       "key\n"
		       "masters' shares with 'ceremony share -e'), then run again.\n",
		       c->scenario->steps[next].id, step_kind_name(c->scenario->steps[next].kind),
		       c->scenario->steps[next].id);
		*finished = 1;
	} else {
		a = run_step(dir, c, &c->scenario->steps[next], next);
	}
	ceremony_free(c);
	return a;
}

int cmd_run(int argc, char **argv)
{
	struct cli_args args;
	const char *dir;
	int r, finished = 0;

	if ((r = cli_parse(argc, argv, options, 1, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(
		        "run -e DIR",
		        "The guided ceremony, on a terminal: each step's instructions, prompts for the values and\n"
		        "files to capture (digests shown as hex and PGP words), \"Yes\" before irreversible steps,\n"
		        "each signer asked in turn for their key, then restart or close when it is time. At any\n"
		        "prompt: !incident declares an incident, !quit leaves (a pending record stays pending).",
		        options, 1);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	if ((r = cli_require(&args, options, OPT_EVIDENCE)) != 0)
		return r;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return err_set(CER_ERR_USAGE,
		               "run needs a terminal; scripts use next, record, sign, restart and close");
	dir = cli_value(&args, OPT_EVIDENCE);
	while (!finished) {
		enum answer a = run_once(dir, &finished);
		if (a == ANSWER_QUIT)
			break;
		if (a == ANSWER_INCIDENT && declare_incident(dir) != 0)
			printf("the incident could not be recorded: %s\n", err_message());
	}
	printf("Bye. 'ceremony next -e %s' says where the ceremony stands.\n", dir);
	return EXIT_OK;
}
