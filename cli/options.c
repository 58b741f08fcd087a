#include "cli/options.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"

static long find_option(const char *arg, const struct cli_option *spec, size_t count, const char **inline_value)
{
	*inline_value = NULL;
	if (arg[1] == '-') {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		for (size_t i = 0; i < count; i++)
			if (strlen(spec[i].long_name) == len && strncmp(spec[i].long_name, name, len) == 0) {
				if (eq)
					*inline_value = eq + 1;
				return (long)i;
			}
		return -1;
	}
	if (arg[1] != '\0' && arg[2] == '\0')
		for (size_t i = 0; i < count; i++)
			if (spec[i].short_name == arg[1])
				return (long)i;
	return -1;
}

int cli_parse(int argc, char **argv, const struct cli_option *spec, size_t count, struct cli_args *out)
{
	int only_positional = 0;

	memset(out, 0, sizeof(*out));
	if (count > CLI_OPTIONS_MAX)
		return err_set(CER_ERR_INTERNAL, "too many options in a command's spec");
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *value;
		long index;

		if (!only_positional && strcmp(arg, "--") == 0) {
			only_positional = 1;
			continue;
		}
		if (only_positional || arg[0] != '-' || arg[1] == '\0') {
			if (out->positional_count >= CLI_POSITIONAL_MAX)
				return err_set(CER_ERR_USAGE, "too many arguments");
			out->positional[out->positional_count++] = arg;
			continue;
		}
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			out->help = 1;
			continue;
		}
		index = find_option(arg, spec, count, &value);
		if (index < 0)
			return err_set(CER_ERR_USAGE, "unknown option %s", arg);
		if (spec[index].takes_value && value == NULL) {
			if (i + 1 >= argc)
				return err_set(CER_ERR_USAGE, "option --%s needs a value", spec[index].long_name);
			value = argv[++i];
		} else if (!spec[index].takes_value && value != NULL) {
			return err_set(CER_ERR_USAGE, "option --%s takes no value", spec[index].long_name);
		}
		if (out->counts[index] >= (spec[index].repeatable ? CLI_REPEAT_MAX : 1))
			return err_set(CER_ERR_USAGE, "option --%s given %s", spec[index].long_name,
			               spec[index].repeatable ? "too many times" : "more than once");
		out->values[index][out->counts[index]++] = value ? value : "";
	}
	return 0;
}

const char *cli_value(const struct cli_args *args, size_t index)
{
	return args->counts[index] > 0 ? args->values[index][0] : NULL;
}

int cli_require(const struct cli_args *args, const struct cli_option *spec, size_t index)
{
	if (args->counts[index] == 0)
		return err_set(CER_ERR_USAGE, "option --%s is required", spec[index].long_name);
	return 0;
}

void cli_print_help(const char *usage, const char *summary, const struct cli_option *spec, size_t count)
{
	printf("usage: ceremony %s\n\n%s\n", usage, summary);
	if (count > 0)
		printf("\noptions:\n");
	for (size_t i = 0; i < count; i++) {
		char left[64];
		if (spec[i].short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", spec[i].short_name, spec[i].long_name,
			         spec[i].takes_value ? " " : "", spec[i].takes_value ? spec[i].value_name : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", spec[i].long_name, spec[i].takes_value ? " " : "",
			         spec[i].takes_value ? spec[i].value_name : "");
		printf("  %-28s %s%s\n", left, spec[i].help, spec[i].repeatable ? " (repeatable)" : "");
	}
	printf("  %-28s %s\n", "-h, --help", "show this help");
}
