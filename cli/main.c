/* ceremony: one program, git-style subcommands (DESIGN.md section 6). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "common/error.h"
#include "common/init.h"

const char ceremony_version[] = CEREMONY_VERSION;
const char ceremony_build_id[] = CEREMONY_BUILD_ID;

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
        {"scenario", cmd_scenario, "check, show, make a scenario; print its allowed_signers"},
        {"begin", cmd_begin, "start a ceremony from a published scenario (the genesis record)"},
        {"next", cmd_next, "where the ceremony stands: the next step, what to capture, who signs"},
        {"record", cmd_record, "propose the record of the next step, with sign-offs"},
        {"sign", cmd_sign, "add sign-offs to the pending record"},
        {"incident", cmd_incident, "declare an incident: the session becomes invalid"},
        {"restart", cmd_restart, "open the next session after an incident"},
        {"close", cmd_close, "the closing record, and the closing hash"},
        {"run", cmd_run, "the guided ceremony on a terminal"},
        {"log", cmd_evidence_log, "the history, for people"},
        {"share", cmd_share, "a key master contributes their share to the running vault"},
        {"vault", cmd_vault, "the vault: init, serve, status, seal, check-share, log verify"},
        {"verify", cmd_verify, "check an evidence repository: authentic, intact, complete"},
        {"report", cmd_report, "verify, and write the compliance report (XML)"},
        {"evidence", cmd_evidence, "low level: create a repository, append signed records"},
        {"keygen", cmd_keygen, "make a throwaway Ed25519 key file for tests and demos"},
        {"demo", cmd_demo, "a complete sample run, scripted, into a new directory"},
};

static void print_usage(FILE *out)
{
	fprintf(out, "usage: ceremony <command> [options]\n"
	             "       ceremony --version | --help\n\n"
	             "Ceremony records cryptographic key ceremonies as signed evidence in Git and checks them.\n\n"
	             "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'ceremony <command> --help' describes a command. Exit codes: 0 success; 1 refused (verify: "
	             "tampered\nor not conforming); 2 usage or input error; 3 (verify) authentic but not completed.\n");
}

/* Map a module error to the exit codes of DESIGN.md section 6. */
static int exit_code_for(int err)
{
	switch (err) {
	case CER_ERR_VERIFY:
	case CER_ERR_REFUSED:
	case CER_ERR_BUSY:
		return EXIT_REFUSED;
	default:
		return EXIT_USAGE;
	}
}

int main(int argc, char **argv)
{
	int r;

	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ceremony %s (build %s)\n", ceremony_version, ceremony_build_id);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		print_usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if ((r = ceremony_init()) != 0) {
			fprintf(stderr, "ceremony: %s\n", err_message());
			return EXIT_USAGE;
		}
		r = commands[i].run(argc - 2, argv + 2);
		if (r < 0) {
			fprintf(stderr, "ceremony: %s\n", err_message()[0] ? err_message() : err_code_name(r));
			r = exit_code_for(r);
		}
		if (fflush(stdout) != 0 && r == EXIT_OK) {
			fprintf(stderr, "ceremony: cannot write to standard output\n");
			r = EXIT_USAGE;
		}
		ceremony_shutdown();
		return r;
	}
	fprintf(stderr, "ceremony: unknown command \"%s\" (see ceremony --help)\n", argv[1]);
	return EXIT_USAGE;
}
