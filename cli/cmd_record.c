/* ceremony record: propose the record of the next step, signed by each -k KEY. */
#include <stdio.h>

#include "cli/action.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"

enum {
	OPT_EVIDENCE,
	OPT_STEP,
	OPT_KEY,
	OPT_VALUE,
	OPT_ATTACH,
	OPT_NOTE,
	OPT_YES,
	OPT_VAULT,
	OPT_OUTPUT,
	OPT_SHARES,
	OPT_PASSFILE
};
static const struct cli_option options[] = {
        [OPT_EVIDENCE] = {"evidence", 'e', 1, 0, "DIR", "the evidence repository"},
        [OPT_STEP] = {"step", 0, 1, 0, "ID", "the step (must be the one the script expects next)"},
        [OPT_KEY] = {"key", 'k', 1, 1, "KEY", "a signer: key file, agent:COMMENT or agent:SHA256:..."},
        [OPT_VALUE] = {"value", 0, 1, 1, "NAME=VALUE", "a value the step captures"},
        [OPT_ATTACH] = {"attach", 0, 1, 1, "NAME=FILE", "a file the step hashes (and keeps, if the scenario says)"},
        [OPT_NOTE] = {"note", 0, 1, 0, "TEXT", "a note for people, signed with the record"},
        [OPT_YES] = {"yes", 0, 0, 0, "", "the explicit \"Yes\" an irreversible step needs"},
        [OPT_VAULT] = {"vault", 'V', 1, 0, "VAULT", "the ceremony's vault (vault steps)"},
        [OPT_OUTPUT] = {"output", 'o', 1, 0, "FILE", "where a vault step's output goes: the public key, the signature"},
        [OPT_SHARES] = {"shares", 0, 1, 0, "DIR", "vault-init: where the key masters' share files go"},
        [OPT_PASSFILE] = {"passphrase-file", 0, 1, 1, "ID=FILE",
                          "vault-init: a key master's passphrase from a file (mode 0600), not the terminal"},
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

int cmd_record(int argc, char **argv)
{
	struct signer_set signers = {0};
	struct ceremony *c = NULL;
	struct action_result result;
	struct step_input in = {0};
	struct cli_args args;
	int r;

	if ((r = cli_parse(argc, argv, options, OPTION_COUNT, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(
		        "record -e DIR --step ID -k KEY [-k KEY ...] [--value NAME=VALUE ...] [--attach NAME=FILE "
		        "...]\n"
		        "                [--note TEXT] [--yes] [-V VAULT [-o FILE] [--shares DIR --passphrase-file "
		        "ID=FILE "
		        "...]]",
		        "Propose the record of the next step, signed by each KEY. It is committed when the step's\n"
		        "sign-off rule is met (distinct people), and waits as the pending record otherwise: more\n"
		        "sign-offs come with 'ceremony sign'. A step out of order, a sign-off the step does not allow\n"
		        "or a value that does not match its pattern is recorded as an incident (exit 1).\n"
		        "A vault step asks the vault (-V) for exactly what the scenario specifies and records what it\n"
		        "did; a refusal is an incident. -o writes an export's public key or a signature to FILE.\n"
		        "A vault-init step makes the vault at VAULT: each key master types a passphrase for their\n"
		        "share file in --shares DIR (or gives it with --passphrase-file ID=FILE).",
		        options, OPTION_COUNT);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	if ((r = cli_require(&args, options, OPT_EVIDENCE)) != 0 || (r = cli_require(&args, options, OPT_STEP)) != 0 ||
	    (r = cli_require(&args, options, OPT_KEY)) != 0)
		return r;
	if ((r = action_open(cli_value(&args, OPT_EVIDENCE), args.values[OPT_KEY], args.counts[OPT_KEY], &c,
	                     &signers)) != 0)
		return r;
	in.values = args.values[OPT_VALUE];
	in.value_count = args.counts[OPT_VALUE];
	in.attachments = args.values[OPT_ATTACH];
	in.attachment_count = args.counts[OPT_ATTACH];
	in.note = cli_value(&args, OPT_NOTE);
	in.confirmed = args.counts[OPT_YES] > 0;
	in.output_path = cli_value(&args, OPT_OUTPUT);
	in.shares_dir = cli_value(&args, OPT_SHARES);
	in.passphrase_files = args.values[OPT_PASSFILE];
	in.passphrase_file_count = args.counts[OPT_PASSFILE];
	ceremony_use_vault(c, cli_value(&args, OPT_VAULT));
	action_result_init(&result);
	r = ceremony_record_step(c, cli_value(&args, OPT_STEP), &in, signers.items, signers.count, &result);
	r = action_report(&result, r);
	action_result_free(&result);
	ceremony_free(c);
	signer_set_close(&signers);
	return r;
}
