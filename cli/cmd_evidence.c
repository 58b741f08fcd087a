/* ceremony evidence init|append|log|allowed-signers: the evidence store's own commands. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "common/error.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} subcommands[] = {
        {"init", cmd_evidence_init, "create an evidence repository and write its genesis record"},
        {"append", cmd_evidence_append, "append one signed record (a step, or the closing record)"},
        {"log", cmd_evidence_log, "list the records, for people"},
        {"allowed-signers", cmd_evidence_allowed_signers, "print the pinned roster as an OpenSSH allowed_signers file"},
};

int cmd_evidence(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		FILE *out = argc < 1 ? stderr : stdout; /* asked-for help is output; a missing command is an error */
		fprintf(out, "usage: ceremony evidence <init|append|log|allowed-signers> [options]\n\n");
		for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
			fprintf(out, "  %-16s %s\n", subcommands[i].name, subcommands[i].summary);
		fprintf(out, "\n'ceremony evidence <command> --help' describes a command.\n");
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[0], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	return err_set(CER_ERR_USAGE, "unknown command \"evidence %s\" (see ceremony evidence --help)", argv[0]);
}
