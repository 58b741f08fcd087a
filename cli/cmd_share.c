/* ceremony share: a key master contributes their share to the running vault (docs/vault.md).
 * The share is decrypted here, in secure memory, sent over the vault's socket (owner only) and
 * wiped; the vault checks it against its public commitments and logs the contribution, accepted or
 * refused, under the key master's name. With -e, at a ceremony's vault-unseal step: the key master
 * signs with -k, and a refused share is an incident of the ceremony. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/action.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "recorder/vault_step.h"

enum { OPT_VAULT, OPT_SHARE, OPT_PASSFILE, OPT_EVIDENCE, OPT_STEP, OPT_KEY };
static const struct cli_option options[] = {
        [OPT_VAULT] = {"vault", 'V', 1, 0, "DIR", "the vault directory (its process must be running)"},
        [OPT_SHARE] = {"share", 0, 1, 0, "FILE", "your share file"},
        [OPT_PASSFILE] = {"passphrase-file", 0, 1, 0, "FILE",
                          "the passphrase from a file (mode 0600), not the terminal"},
        [OPT_EVIDENCE] = {"evidence", 'e', 1, 0, "DIR", "the ceremony's evidence repository"},
        [OPT_STEP] = {"step", 0, 1, 0, "ID", "the ceremony's vault-unseal step (with -e)"},
        [OPT_KEY] = {"key", 'k', 1, 0, "KEY", "your signing key (with -e)"},
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

/* At a ceremony's vault-unseal step. */
static int share_in_ceremony(const struct cli_args *args)
{
	struct signer_set signers = {0};
	struct ceremony *c = NULL;
	struct action_result result;
	int r;

	if ((r = cli_require(args, options, OPT_STEP)) != 0 || (r = cli_require(args, options, OPT_KEY)) != 0)
		return r;
	if ((r = action_open(cli_value(args, OPT_EVIDENCE), args->values[OPT_KEY], 1, &c, &signers)) != 0)
		return r;
	ceremony_use_vault(c, cli_value(args, OPT_VAULT));
	action_result_init(&result);
	r = ceremony_share(c, cli_value(args, OPT_STEP), cli_value(args, OPT_SHARE), cli_value(args, OPT_PASSFILE),
	                   signers.items[0], &result);
	r = action_report(&result, r);
	action_result_free(&result);
	ceremony_free(c);
	signer_set_close(&signers);
	return r;
}

int cmd_share(int argc, char **argv)
{
	struct vault_outcome vault;
	struct cli_args args;
	int r;

	if ((r = cli_parse(argc, argv, options, OPTION_COUNT, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(
		        "share -V DIR --share FILE [--passphrase-file FILE]",
		        "Contribute your share to the running vault: it is decrypted with your passphrase (typed\n"
		        "without echo, or from a file), checked by the vault against its public commitments, and\n"
		        "logged under your name, accepted or refused. When a quorum has contributed, the vault\n"
		        "opens. The share is never shown or written.",
		        options, OPTION_COUNT);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	if ((r = cli_require(&args, options, OPT_VAULT)) != 0 || (r = cli_require(&args, options, OPT_SHARE)) != 0)
		return r;
	if (cli_value(&args, OPT_EVIDENCE) != NULL)
		return share_in_ceremony(&args);
	if (cli_value(&args, OPT_STEP) != NULL || cli_value(&args, OPT_KEY) != NULL)
		return err_set(CER_ERR_USAGE, "--step and -k go with -e (a contribution at a ceremony's step)");
	vault_outcome_init(&vault);
	r = vault_step_contribute(cli_value(&args, OPT_VAULT), NULL, cli_value(&args, OPT_SHARE),
	                          cli_value(&args, OPT_PASSFILE), &vault);
	if (r == 0 && vault.refused)
		r = err_set(CER_ERR_REFUSED, "%s", vault.happened);
	else if (r == 0) {
		printf("%s (vault log entry %llu)\n", vault.said, (unsigned long long)vault.ops[0].log_seq);
		if (vault.op_count > 1)
			printf("the vault is open (vault log entry %llu)\n", (unsigned long long)vault.ops[1].log_seq);
		else
			printf("the vault stays sealed until enough key masters contribute\n");
	}
	vault_outcome_free(&vault);
	return r;
}
