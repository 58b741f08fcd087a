/* ceremony vault init|serve|status|seal|check-share|log verify: the vault's own commands
 * (docs/vault.md). Key operations are not here: a ceremony's recorder asks for exactly what its
 * scenario specifies, never the operator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/action.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"
#include "vault/client.h"
#include "common/vault_identity.h"
#include "vault/keystore.h"
#include "vault/init.h"
#include "vault/log.h"
#include "vault/passphrase.h"
#include "vault/server.h"
#include "vault/service.h"
#include "vault/sharefile.h"

enum {
	OPT_VAULT,
	OPT_THRESHOLD,
	OPT_KEYMASTER,
	OPT_PASSFILE,
	OPT_SHARES,
	OPT_SHARE,
	OPT_FAST_KDF,
	OPT_LOG,
	OPT_LABEL,
	OPT_OUTPUT
};
static const struct cli_option options[] = {
        [OPT_VAULT] = {"vault", 'V', 1, 0, "DIR", "the vault directory"},
        [OPT_THRESHOLD] = {"threshold", 't', 1, 0, "T", "how many key masters open the vault (init)"},
        [OPT_KEYMASTER] = {"keymaster", 0, 1, 1, "ID", "a key master, in share order (init)"},
        [OPT_PASSFILE] = {"passphrase-file", 0, 1, 1, "[ID=]FILE",
                          "a passphrase from a file (mode 0600) instead of the terminal"},
        [OPT_SHARES] = {"shares", 0, 1, 0, "DIR", "where the share files go (init; default DIR/../shares)"},
        [OPT_SHARE] = {"share", 0, 1, 0, "FILE", "a key master's share file (check-share)"},
        [OPT_FAST_KDF] = {"insecure-fast-kdf", 0, 0, 0, "", "tests only: the cheapest Argon2id the share files accept"},
        [OPT_LOG] = {"log", 0, 1, 0, "FILE", "a copy of the vault log to check (log verify)"},
        [OPT_LABEL] = {"label", 0, 1, 0, "LABEL", "a key's label (pubkey)"},
        [OPT_OUTPUT] = {"output", 'o', 1, 0, "FILE", "write the public key to FILE (pubkey)"},
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

/* Verify the log at `path` and say so; lines only a session key vouches for are counted. */
static int verify_log(const char *path, const struct vault_identity *v, int *uncertified)
{
	struct vault_log_result result;
	int r;

	if ((r = vault_log_verify(path, v->audit_public_key, &result)) != 0)
		return r;
	printf("vault log: %llu entries, chain and signatures verified\n", (unsigned long long)result.entries);
	*uncertified = result.uncertified_lines > 0;
	if (result.uncertified_lines > 0)
		printf("vault log: %llu entries from line %llu on are signed by a session key no audit-signed entry "
		       "certifies (the vault was not opened after them): authentic as a chain, not as the vault's "
		       "word\n",
		       (unsigned long long)result.uncertified_lines, (unsigned long long)result.first_uncertified_line);
	return print_digest_words("log head", result.head);
}

/* The state of the process serving `dir`, if one is. */
static int print_process_state(const char *dir)
{
	struct vault_msg req, resp;
	int r;

	vault_msg_init(&req);
	if ((r = vault_msg_add(&req, "op", VAULT_REQ_STATUS)) != 0)
		return r;
	if ((r = vault_client_call(dir, &req, 0, &resp)) == CER_ERR_NOT_FOUND) {
		printf("vault process: none is serving %s\n", dir);
		return 0;
	}
	if (r == 0 && (r = vault_client_status(&resp)) == 0) {
		if (strcmp(vault_msg_get(&resp, "state"), "unsealed") == 0)
			printf("vault process: unsealed (open)\n");
		else
			printf("vault process: sealed, %s of %s shares contributed\n", vault_msg_get(&resp, "accepted"),
			       vault_msg_get(&resp, "threshold"));
	}
	vault_msg_release(&resp);
	return r;
}

static int vault_status_cmd(int argc, char **argv)
{
	struct vault_identity v;
	struct cli_args args;
	char path[4096];
	int r, uncertified = 0;

	r = parse(argc, argv, &args, "vault status -V DIR",
	          "Print the vault's public identity (id, quorum, key masters, audit key), verify its log, and\n"
	          "say whether a vault process serves it, sealed or open.");
	if (r != 0)
		return r > 0 ? EXIT_OK : r;
	if ((r = vault_identity_read(cli_value(&args, OPT_VAULT), &v)) != 0 || (r = print_identity(&v)) != 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", cli_value(&args, OPT_VAULT), VAULT_LOG_FILE);
	if ((r = verify_log(path, &v, &uncertified)) != 0)
		return r;
	return print_process_state(cli_value(&args, OPT_VAULT));
}

static void say_ready(const char *socket_path)
{
	fprintf(stderr, "vault: sealed, listening on %s (Ctrl-C or SIGTERM seals and stops)\n", socket_path);
}

static int vault_serve_cmd(int argc, char **argv)
{
	struct cli_args args;
	int r;

	r = parse(argc, argv, &args, "vault serve -V DIR",
	          "Run the vault process: sealed when it starts, opened by a quorum of share contributions\n"
	          "('ceremony share'), reached over the socket DIR/vault.sock (mode 0600, owner only). It keeps\n"
	          "the master secret in locked memory until 'ceremony vault seal' or the process ends, and logs\n"
	          "every operation in DIR/vault.log before it answers.");
	if (r != 0)
		return r > 0 ? EXIT_OK : r;
	return vault_serve(cli_value(&args, OPT_VAULT), "vault-process", say_ready);
}

static int vault_seal_cmd(int argc, char **argv)
{
	struct vault_msg req, resp;
	struct cli_args args;
	int r;

	r = parse(argc, argv, &args, "vault seal -V DIR",
	          "Seal the running vault: it wipes the master secret and every key derived from it, or the\n"
	          "share contributions so far. Logged.");
	if (r != 0)
		return r > 0 ? EXIT_OK : r;
	vault_msg_init(&req);
	if ((r = vault_msg_add(&req, "op", VAULT_REQ_SEAL)) != 0 ||
	    (r = vault_msg_add(&req, "who",
	                       getenv("USER") != NULL && vault_log_who_ok(getenv("USER")) ? getenv("USER")
	                                                                                  : "operator")) != 0 ||
	    (r = vault_client_call(cli_value(&args, OPT_VAULT), &req, 0, &resp)) != 0)
		return r;
	if ((r = vault_client_status(&resp)) == 0)
		printf("vault sealed (log entry %s)\n", vault_msg_get(&resp, "seq"));
	vault_msg_release(&resp);
	return r;
}

/* The DER SubjectPublicKeyInfo inside a PEM "PUBLIC KEY" block, into `der` (VAULT_KEY_PUBLIC_DER_MAX). */
static int pem_to_der(const struct buf *pem, uint8_t *der, size_t *der_len, const char *path)
{
	static const char begin[] = "-----BEGIN PUBLIC KEY-----\n", end[] = "-----END PUBLIC KEY-----\n";
	const char *text = (const char *)pem->data, *body, *stop;
	size_t len = 0;

	if (pem->len < sizeof(begin) + sizeof(end) || strncmp(text, begin, sizeof(begin) - 1) != 0 ||
	    (stop = strstr(text, end)) == NULL || stop + sizeof(end) - 1 != text + pem->len)
		return err_set(CER_ERR_FORMAT, "%s: not a PEM public key", path);
	body = text + sizeof(begin) - 1;
	if (sodium_base642bin(der, VAULT_KEY_PUBLIC_DER_MAX, body, (size_t)(stop - body), "\n", &len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len == 0)
		return err_set(CER_ERR_FORMAT, "%s: the PEM public key does not decode", path);
	*der_len = len;
	return 0;
}

static int vault_pubkey_cmd(int argc, char **argv)
{
	struct buf pem = buf_make(16384);
	struct cli_args args;
	uint8_t fingerprint[32], der[VAULT_KEY_PUBLIC_DER_MAX];
	size_t der_len = 0;
	char path[4096], tomb[4096];
	int r;

	r = parse(argc, argv, &args, "vault pubkey -V DIR --label LABEL [-o FILE]",
	          "Print a key's public key (PEM SubjectPublicKeyInfo, or into FILE) and its fingerprint, the\n"
	          "SHA-256 of the DER SubjectPublicKeyInfo, as hex and PGP words. It reads DIR/keys/LABEL.pub:\n"
	          "public, not authenticated: compare the fingerprint with the one the ceremony's evidence\n"
	          "recorded. The vault process is not needed and nothing is logged.");
	if (r != 0)
		return r > 0 ? EXIT_OK : r;
	if ((r = cli_require(&args, options, OPT_LABEL)) != 0)
		goto out;
	if ((r = keystore_label_check(cli_value(&args, OPT_LABEL))) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s/%s%s", cli_value(&args, OPT_VAULT), KEYSTORE_SUBDIR,
	         cli_value(&args, OPT_LABEL), KEYSTORE_PUBLIC_SUFFIX);
	snprintf(tomb, sizeof(tomb), "%s/%s/%s%s", cli_value(&args, OPT_VAULT), KEYSTORE_SUBDIR,
	         cli_value(&args, OPT_LABEL), KEYSTORE_TOMBSTONE_SUFFIX);
	if ((r = file_read_all(path, 16384, &pem)) != 0 || (r = pem_to_der(&pem, der, &der_len, path)) != 0)
		goto out;
	sha256_digest(der, der_len, fingerprint);
	if (cli_value(&args, OPT_OUTPUT) != NULL) {
		if ((r = file_write_atomic(cli_value(&args, OPT_OUTPUT), pem.data, pem.len, 0644)) != 0)
			goto out;
		printf("public key of %s written to %s\n", cli_value(&args, OPT_LABEL), cli_value(&args, OPT_OUTPUT));
	} else {
		fwrite(pem.data, 1, pem.len, stdout);
	}
	if (access(tomb, F_OK) == 0)
		printf("key %s was destroyed: this public key only checks what it signed before\n",
		       cli_value(&args, OPT_LABEL));
	r = print_digest_words("fingerprint", fingerprint);
out:
	buf_free(&pem);
	return r;
}

static int vault_log_cmd(int argc, char **argv)
{
	struct vault_identity v;
	struct cli_args args;
	char path[4096];
	int r, uncertified = 0;

	if (argc < 1 || strcmp(argv[0], "verify") != 0) {
		if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
			printf("usage: ceremony vault log verify -V DIR [--log FILE]\n");
			return EXIT_OK;
		}
		return err_set(CER_ERR_USAGE, "usage: ceremony vault log verify -V DIR [--log FILE]");
	}
	r = parse(argc - 1, argv + 1, &args, "vault log verify -V DIR [--log FILE]",
	          "Check the vault log's chain and every signature against the vault's audit key, and name the\n"
	          "first bad line. --log checks a copy (the one in a ceremony's evidence) instead of DIR/vault.log.\n"
	          "Exit 0: verified; 1: a bad line; 3: verified, but its last entries are vouched for only by a\n"
	          "session key (the vault was not opened after them).");
	if (r != 0)
		return r > 0 ? EXIT_OK : r;
	if ((r = vault_identity_read(cli_value(&args, OPT_VAULT), &v)) != 0)
		return r;
	if (cli_value(&args, OPT_LOG) != NULL)
		snprintf(path, sizeof(path), "%s", cli_value(&args, OPT_LOG));
	else
		snprintf(path, sizeof(path), "%s/%s", cli_value(&args, OPT_VAULT), VAULT_LOG_FILE);
	if ((r = verify_log(path, &v, &uncertified)) != 0)
		return r;
	return uncertified ? EXIT_INCOMPLETE : EXIT_OK;
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
	        {"serve", vault_serve_cmd, "run the vault process (sealed until a quorum of shares opens it)"},
	        {"status", vault_status_cmd, "the vault's identity, its log verified, its process's state"},
	        {"seal", vault_seal_cmd, "seal the running vault: wipe the master secret"},
	        {"check-share", vault_check_share_cmd, "a key master checks their share file"},
	        {"pubkey", vault_pubkey_cmd, "a key's public key and fingerprint (hex, PGP words)"},
	        {"log", vault_log_cmd, "log verify: check the vault log's chain and signatures"},
	};

	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		FILE *out = argc < 1 ? stderr : stdout;
		fprintf(out, "usage: ceremony vault <init|serve|status|seal|check-share|pubkey|log> ...\n\n");
		for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
			fprintf(out, "  %-12s %s\n", subs[i].name, subs[i].summary);
		fprintf(out,
		        "\nKey masters open a served vault with 'ceremony share'. Keys are generated, exported, used\n"
		        "and destroyed only by a ceremony's vault steps, exactly as its scenario specifies.\n");
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[0], subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	return err_set(CER_ERR_USAGE, "unknown command \"vault %s\" (see ceremony vault --help)", argv[0]);
}
