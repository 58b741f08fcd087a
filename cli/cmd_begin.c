/* ceremony begin: start a ceremony from a published scenario. */
#include <stdio.h>

#include "cli/action.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"

enum { OPT_EVIDENCE, OPT_SCENARIO, OPT_KEY, OPT_VAULT };
static const struct cli_option options[] = {
        [OPT_EVIDENCE] = {"evidence", 'e', 1, 0, "DIR", "the evidence repository to create (new or empty directory)"},
        [OPT_SCENARIO] = {"scenario", 's', 1, 0, "FILE", "the published scenario"},
        [OPT_KEY] = {"key", 'k', 1, 1, "KEY", "a signer: key file, agent:COMMENT or agent:SHA256:..."},
        [OPT_VAULT] = {"vault", 'V', 1, 0, "VAULT",
                       "the ceremony's vault (required when the scenario has vault steps)"},
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

int cmd_begin(int argc, char **argv)
{
	struct signer_set signers = {0};
	struct ceremony *c = NULL;
	struct cli_args args;
	int r;

	if ((r = cli_parse(argc, argv, options, OPTION_COUNT, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help("begin -e DIR -s SCENARIO [-V VAULT] -k KEY [-k KEY ...]",
		               "Start a ceremony: check the scenario, create the evidence repository, and write the\n"
		               "genesis record (the scenario's id and SHA-256, the scenario itself, the roster, the\n"
		               "vault's id and audit key, this recorder's version and build), signed by each KEY.",
		               options, OPTION_COUNT);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	if ((r = cli_require(&args, options, OPT_EVIDENCE)) != 0 ||
	    (r = cli_require(&args, options, OPT_SCENARIO)) != 0 || (r = cli_require(&args, options, OPT_KEY)) != 0)
		return r;
	if ((r = signer_set_open(&signers, args.values[OPT_KEY], args.counts[OPT_KEY])) != 0)
		return r;
	r = ceremony_begin(&c, cli_value(&args, OPT_EVIDENCE), cli_value(&args, OPT_SCENARIO),
	                   cli_value(&args, OPT_VAULT), signers.items, signers.count, ceremony_version,
	                   ceremony_build_id);
	if (r == 0) {
		printf("ceremony %s begun in %s: genesis record 0 committed\n", c->genesis->ceremony,
		       cli_value(&args, OPT_EVIDENCE));
		r = print_digest_words("scenario sha256", c->scenario->sha256);
		if (r == 0)
			printf("next: step %s (ceremony next -e %s)\n", c->scenario->steps[0].id,
			       cli_value(&args, OPT_EVIDENCE));
	}
	ceremony_free(c);
	signer_set_close(&signers);
	return r;
}
