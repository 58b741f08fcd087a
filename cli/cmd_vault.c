/* ceremony vault init|status|check-share|log-verify: the vault's commands that exist so far.
 * (serve, unseal, generate, export, sign, destroy and seal need the vault process: docs/vault.md.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/action.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "vault/identity.h"
#include "vault/init.h"
#include "vault/log.h"
#include "vault/passphrase.h"
#include "vault/sharefile.h"

enum { OPT_VAULT, OPT_THRESHOLD, OPT_KEYMASTER, OPT_PASSFILE, OPT_SHARES, OPT_SHARE, OPT_FAST_KDF };
static const struct cli_option options[] = {
        [OPT_VAULT] = {"vault", 'V', 1, 0, "DIR", "the vault directory"},
        [OPT_THRESHOLD] = {"threshold", 't', 1, 0, "T", "how many key masters open the vault (init)"},
        [OPT_KEYMASTER] = {"keymaster", 0, 1, 1, "ID", "a key master, in share order (init)"},
        [OPT_PASSFILE] = {"passphrase-file", 0, 1, 1, "[ID=]FILE",
                          "a passphrase from a file (mode 0600) instead of the terminal"},
        [OPT_SHARES] = {"shares", 0, 1, 0, "DIR", "where the share files go (init; default DIR/../shares)"},
        [OPT_SHARE] = {"share", 0, 1, 0, "FILE", "a key master's share file (check-share)"},
        [OPT_FAST_KDF] = {"insecure-fast-kdf", 0, 0, 0, "", "tests only: the cheapest Argon2id the share files accept"},
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

static int parse(int argc, char **argv, struct cli_args *args, const char *usage, const char *summary)
{
	int r;

	if ((r = cli_parse(argc, argv, options, OPTION_COUNT, args)) != 0)
		return r;
	if (args->help) {
		cli_print_help(usage, summary, options, OPTION_COUNT);
		return 1;
	}
	if (args->positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args->positional[0]);
	return cli_require(args, options, OPT_VAULT);
}

/* The passphrase file given for key master `id` ("ID=FILE"), or NULL. */
static const char *passphrase_file_for(const struct cli_args *args, const char *id)
{
	for (size_t i = 0; i < args->counts[OPT_PASSFILE]; i++) {
		const char *v = args->values[OPT_PASSFILE][i], *eq = strchr(v, '=');
		if (eq != NULL && (size_t)(eq - v) == strlen(id) && strncmp(v, id, strlen(id)) == 0)
			return eq + 1;
	}
	return NULL;
}

static int print_identity(const struct vault_identity *v)
{
	int r;

	if ((r = print_digest_words("vault id", v->id)) != 0)
		return r;
	printf("quorum: %u of %u key masters:", v->commitments.threshold, v->key_master_count);
	for (unsigned i = 0; i < v->key_master_count; i++)
		printf(" %s (share %u)", v->key_masters[i], i + 1);
	printf("\n");
	return print_digest_words("audit key", v->audit_public_key);
}

static int vault_init_cmd(int argc, char **argv)
{
	const char *files[SHAMIR_MAX_SHARES];
	struct vault_init_request req;
	struct vault_identity v;
	struct cli_args args;
	char shares_dir[4096];
	char *end = NULL;
	long threshold;
	int r;

	r = parse(argc, argv, &args,
	          "vault init -V DIR -t T --keymaster ID [--keymaster ID ...] [--shares DIR] [--passphrase-file "
	          "ID=FILE ...]",
	          "Initialize a vault (inside a vault-initialization ceremony): a random master secret split T of N,\n"
	          "each key master's share written to DIR/../shares/ID.share (or --shares) encrypted under the\n"
	          "passphrase they type (no echo) or give in a file, the public identity DIR/vault.json, and the\n"
	          "vault log's first entries. Nothing secret is shown or written in clear.");
	if (r != 0)
		return r > 0 ? EXIT_OK : r;
	if ((r = cli_require(&args, options, OPT_THRESHOLD)) != 0 ||
	    (r = cli_require(&args, options, OPT_KEYMASTER)) != 0)
		return r;
	threshold = strtol(cli_value(&args, OPT_THRESHOLD), &end, 10);
	if (end == cli_value(&args, OPT_THRESHOLD) || *end != '\0' || threshold < 2 || threshold > SHAMIR_MAX_SHARES)
		return err_set(CER_ERR_USAGE, "--threshold must be a number from 2 to %d", SHAMIR_MAX_SHARES);
	if (args.counts[OPT_KEYMASTER] > SHAMIR_MAX_SHARES)
		return err_set(CER_ERR_USAGE, "at most %d key masters", SHAMIR_MAX_SHARES);
	if (cli_value(&args, OPT_SHARES) != NULL)
		snprintf(shares_dir, sizeof(shares_dir), "%s", cli_value(&args, OPT_SHARES));
	else if (snprintf(shares_dir, sizeof(shares_dir), "%s/../shares", cli_value(&args, OPT_VAULT)) >=
	         (int)sizeof(shares_dir))
		return err_set(CER_ERR_USAGE, "path too long");
	for (size_t i = 0; i < args.counts[OPT_KEYMASTER]; i++)
		files[i] = passphrase_file_for(&args, args.values[OPT_KEYMASTER][i]);
	memset(&req, 0, sizeof(req));
	req.dir = cli_value(&args, OPT_VAULT);
	req.shares_dir = shares_dir;
	req.threshold = (unsigned)threshold;
	req.key_masters = args.values[OPT_KEYMASTER];
	req.passphrase_files = files;
	req.key_master_count = (unsigned)args.counts[OPT_KEYMASTER];
	req.who = getenv("USER") ? getenv("USER") : "operator";
	req.fast_kdf = args.counts[OPT_FAST_KDF] > 0;
	if ((r = vault_init(&req, &v)) != 0)
		return r;
	printf("vault initialized in %s; share files in %s (mode 0600, one per key master)\n", req.dir, shares_dir);
	return print_identity(&v);
}

static int vault_status_cmd(int argc, char **argv)
{
	struct vault_log_result result;
	struct vault_identity v;
	struct cli_args args;
	char path[4096];
	int r;

	r = parse(argc, argv, &args, "vault status -V DIR",
	          "Print the vault's public identity (id, quorum, key masters, audit key) and verify its log.");
	if (r != 0)
		return r > 0 ? EXIT_OK : r;
	if ((r = vault_identity_read(cli_value(&args, OPT_VAULT), &v)) != 0 || (r = print_identity(&v)) != 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", cli_value(&args, OPT_VAULT), VAULT_LOG_FILE);
	if ((r = vault_log_verify(path, v.audit_public_key, &result)) != 0)
		return err_context(r, "%s", path);
	printf("vault log: %llu entries, chain and signatures verified\n", (unsigned long long)result.entries);
	return print_digest_words("log head", result.head);
}

static int vault_check_share_cmd(int argc, char **argv)
{
	struct sharefile_header h;
	struct vault_identity v;
	struct cli_args args;
	uint8_t *share = NULL;
	char *passphrase = NULL;
	size_t len = 0;
	int r;

	r = parse(argc, argv, &args, "vault check-share -V DIR --share FILE [--passphrase-file FILE]",
	          "A key master checks their share right after init, or before a ceremony: the file decrypts\n"
	          "with their passphrase and the share matches the vault's public commitments. The share is\n"
	          "never shown.");
	if (r != 0)
		return r > 0 ? EXIT_OK : r;
	if ((r = cli_require(&args, options, OPT_SHARE)) != 0 ||
	    (r = vault_identity_read(cli_value(&args, OPT_VAULT), &v)) != 0)
		return r;
	if ((share = sodium_malloc(SHAMIR_SCALAR_BYTES)) == NULL)
		return err_set(CER_ERR_NOMEM, "cannot allocate secure memory");
	if ((r = passphrase_read("Passphrase of your share: ", cli_value(&args, OPT_PASSFILE), &passphrase, &len)) ==
	            0 &&
	    (r = sharefile_read(cli_value(&args, OPT_SHARE), v.id, passphrase, len, &h, share)) == 0 &&
	    (r = shamir_verify_share(&v.commitments, h.share_index, share)) == 0) {
		if (h.share_index > v.key_master_count ||
		    strcmp(v.key_masters[h.share_index - 1], h.key_master_id) != 0)
			r = err_set(CER_ERR_VERIFY, "%s: share %u is not %s's in this vault's identity",
			            cli_value(&args, OPT_SHARE), h.share_index, h.key_master_id);
		else
			printf("share %u of key master %s verifies against the vault's commitments\n", h.share_index,
			       h.key_master_id);
	}
	passphrase_free(passphrase);
	sodium_free(share);
	return r;
}

int cmd_vault(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
		const char *summary;
	} subs[] = {
	        {"init", vault_init_cmd, "initialize a vault: master secret, encrypted shares, identity, log"},
	        {"status", vault_status_cmd, "the vault's identity, and its log verified"},
	        {"check-share", vault_check_share_cmd, "a key master checks their share file"},
	};

	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		FILE *out = argc < 1 ? stderr : stdout;
		fprintf(out, "usage: ceremony vault <init|status|check-share> ...\n\n");
		for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
			fprintf(out, "  %-12s %s\n", subs[i].name, subs[i].summary);
		fprintf(out, "\nThe vault process (serve, unseal, generate, export, sign, destroy, seal) is not built "
		             "yet.\n");
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[0], subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	return err_set(CER_ERR_USAGE, "unknown command \"vault %s\" (see ceremony vault --help)", argv[0]);
}
