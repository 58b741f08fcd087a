/* Strict option parsing for every subcommand: unknown options, a missing value, and a repeated
 * option that may appear once are usage errors (exit 2). "--help" anywhere asks for help. */
#ifndef CEREMONY_CLI_OPTIONS_H
#define CEREMONY_CLI_OPTIONS_H

#include <stddef.h>

#define CLI_OPTIONS_MAX 16
#define CLI_REPEAT_MAX 64
#define CLI_POSITIONAL_MAX 8

struct cli_option {
	const char *long_name; /* without the dashes */
	char short_name; /* or 0 */
	int takes_value;
	int repeatable;
	const char *value_name; /* for help text, e.g. "DIR" */
	const char *help;
};

struct cli_args {
	const char *values[CLI_OPTIONS_MAX][CLI_REPEAT_MAX];
	size_t counts[CLI_OPTIONS_MAX];
	const char *positional[CLI_POSITIONAL_MAX];
	size_t positional_count;
	int help;
};

/* Parse argv[0..argc-1] (the subcommand's own arguments) against `spec` (`count` options). */
__attribute__((warn_unused_result)) int cli_parse(int argc, char **argv, const struct cli_option *spec, size_t count,
                                                  struct cli_args *out);

/* The single value of option `index`, or NULL when absent. */
const char *cli_value(const struct cli_args *args, size_t index);

/* Print "usage: ceremony <usage>\n\n<summary>\n\noptions:\n..." to stdout. */
void cli_print_help(const char *usage, const char *summary, const struct cli_option *spec, size_t count);

/* Require option `index`; CER_ERR_USAGE naming it otherwise. */
__attribute__((warn_unused_result)) int cli_require(const struct cli_args *args, const struct cli_option *spec,
                                                    size_t index);

#endif
