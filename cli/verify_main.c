/* ceremony-verify: the verifier alone, for auditors. It is built from the verifier's modules only
 * (common, evidence, verifier) and does not link the vault, so it cannot touch a secret
 * (DESIGN.md section 3); tests/e2e/test_cli_basics.sh checks its symbols. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "common/error.h"
#include "common/init.h"

const char ceremony_version[] = CEREMONY_VERSION;
const char ceremony_build_id[] = CEREMONY_BUILD_ID;

int main(int argc, char **argv)
{
	int r;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("ceremony-verify %s (build %s)\n", ceremony_version, ceremony_build_id);
		return EXIT_OK;
	}
	if ((r = ceremony_init()) != 0) {
		fprintf(stderr, "ceremony-verify: %s\n", err_message());
		return EXIT_USAGE;
	}
	r = cmd_verify(argc - 1, argv + 1);
	if (r < 0) {
		fprintf(stderr, "ceremony-verify: %s\n", err_message()[0] ? err_message() : err_code_name(r));
		r = r == CER_ERR_VERIFY || r == CER_ERR_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
	}
	ceremony_shutdown();
	return r;
}
