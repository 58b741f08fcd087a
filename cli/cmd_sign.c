/* ceremony sign | incident | restart | close: the recorder's actions that take only keys (and a reason). */
#include <stdio.h>
#include <string.h>

#include "cli/action.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"

/* Every action takes -e and -k; incident adds --reason, restart -V (the third option of each). */
enum { OPT_EVIDENCE, OPT_KEY, OPT_EXTRA };
#define OPTION_EVIDENCE                                                                                                \
	{                                                                                                              \
		"evidence", 'e', 1, 0, "DIR", "the evidence repository"                                                \
	}
#define OPTION_KEY                                                                                                     \
	{                                                                                                              \
		"key", 'k', 1, 1, "KEY", "a signer: key file, agent:COMMENT or agent:SHA256:..."                       \
	}
static const struct cli_option plain_options[] = {OPTION_EVIDENCE, OPTION_KEY};
static const struct cli_option incident_options[] = {
        OPTION_EVIDENCE, OPTION_KEY, {"reason", 0, 1, 0, "TEXT", "what happened, in the declarer's words"}};
static const struct cli_option restart_options[] = {
        OPTION_EVIDENCE,
        OPTION_KEY,
        {"vault", 'V', 1, 0, "VAULT", "the ceremony's vault: destroys the session's keys and seals it"}};

enum action_kind { ACTION_SIGN, ACTION_INCIDENT, ACTION_RESTART, ACTION_CLOSE };

static const struct {
	const char *usage;
	const char *summary;
} help[] = {
        [ACTION_SIGN] = {"sign -e DIR -k KEY [-k KEY ...]",
                         "Add sign-offs to the pending record; it is committed when its rule is met. A sign-off from\n"
                         "someone the rule does not allow is recorded as an incident (exit 1)."},
        [ACTION_INCIDENT] =
                {"incident -e DIR --reason TEXT -k KEY [-k KEY ...]",
                 "Declare an incident: anything the script did not plan. Any participant may. The session\n"
                 "is invalid from now on: only 'ceremony restart' is accepted, and keys made in it must be\n"
                 "destroyed. A pending record is discarded."},
        [ACTION_RESTART] =
                {"restart -e DIR [-V VAULT] -k KEY [-k KEY ...]",
                 "After an incident, open the next session at step 1, signed as the scenario's restart rule\n"
                 "says (possibly over several commands: the restart record waits as the pending record).\n"
                 "Earlier sessions stay in the evidence. With -V, every key the invalidated session made is\n"
                 "destroyed first and the vault is sealed, both reported by the restart record; keys to\n"
                 "destroy without -V refuse the restart."},
        [ACTION_CLOSE] = {"close -e DIR -k KEY [-k KEY ...]",
                          "After the last step, write the closing record, signed as the scenario's close rule says.\n"
                          "Prints the closing hash as hex and PGP words: read it aloud, write it on the paper\n"
                          "checklist; auditors verify against it. Nothing can be appended after close."},
};

static int run(enum action_kind kind, int argc, char **argv)
{
	const struct cli_option *options = kind == ACTION_INCIDENT  ? incident_options
	                                   : kind == ACTION_RESTART ? restart_options
	                                                            : plain_options;
	size_t option_count = kind == ACTION_INCIDENT || kind == ACTION_RESTART ? 3 : 2;
	struct signer_set signers = {0};
	struct ceremony *c = NULL;
	struct action_result result;
	struct cli_args args;
	int r;

	if ((r = cli_parse(argc, argv, options, option_count, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(help[kind].usage, help[kind].summary, options, option_count);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	if ((r = cli_require(&args, options, OPT_EVIDENCE)) != 0 || (r = cli_require(&args, options, OPT_KEY)) != 0 ||
	    (kind == ACTION_INCIDENT && (r = cli_require(&args, options, OPT_EXTRA)) != 0))
		return r;
	if ((r = action_open(cli_value(&args, OPT_EVIDENCE), args.values[OPT_KEY], args.counts[OPT_KEY], &c,
	                     &signers)) != 0)
		return r;
	action_result_init(&result);
	switch (kind) {
	case ACTION_SIGN:
		r = ceremony_sign(c, signers.items, signers.count, &result);
		break;
	case ACTION_INCIDENT:
		r = ceremony_declare_incident(c, cli_value(&args, OPT_EXTRA), signers.items, signers.count, &result);
		break;
	case ACTION_RESTART:
		ceremony_use_vault(c, cli_value(&args, OPT_EXTRA));
		r = ceremony_restart(c, signers.items, signers.count, &result);
		break;
	case ACTION_CLOSE:
		r = ceremony_close(c, signers.items, signers.count, &result);
		break;
	}
	r = action_report(&result, r);
	if (r == 0 && result.committed && c->state.closed)
		r = print_digest_words("closing hash", result.record_sha256);
	action_result_free(&result);
	ceremony_free(c);
	signer_set_close(&signers);
	return r;
}

int cmd_sign(int argc, char **argv)
{
	return run(ACTION_SIGN, argc, argv);
}

int cmd_incident(int argc, char **argv)
{
	return run(ACTION_INCIDENT, argc, argv);
}

int cmd_restart(int argc, char **argv)
{
	return run(ACTION_RESTART, argc, argv);
}

int cmd_close(int argc, char **argv)
{
	return run(ACTION_CLOSE, argc, argv);
}
