/* ceremony share: a key master contributes their share to the running vault (docs/vault.md).
 * The share is decrypted here, in secure memory, sent over the vault's socket (owner only) and
 * wiped; the vault checks it against its public commitments and logs the contribution, accepted or
 * refused, under the key master's name. With -e, at a ceremony's vault-unseal step: the key master
 * signs with -k, and a refused share is an incident of the ceremony. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/action.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "vault/client.h"
#include "vault/identity.h"
#include "vault/passphrase.h"
#include "vault/service.h"
#include "vault/sharefile.h"

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

/* Decrypt the share and send it; the share lives only in `share` (secure memory). */
static int contribute(const char *dir, const char *share_path, const char *passphrase_file, struct vault_msg *resp)
{
	struct sharefile_header h;
	struct vault_identity v;
	struct vault_msg req;
	uint8_t *share = NULL;
	char *passphrase = NULL;
	size_t len = 0;
	int r;

	if ((r = vault_identity_read(dir, &v)) != 0)
		return r;
	if ((share = sodium_malloc(SHAMIR_SCALAR_BYTES)) == NULL)
		return err_set(CER_ERR_NOMEM, "cannot allocate secure memory");
	if ((r = passphrase_read("Passphrase of your share: ", passphrase_file, &passphrase, &len)) == 0 &&
	    (r = sharefile_read(share_path, v.id, passphrase, len, &h, share)) == 0) {
		vault_msg_init(&req);
		req.payload = share;
		req.payload_len = SHAMIR_SCALAR_BYTES;
		if ((r = vault_msg_add(&req, "op", VAULT_REQ_UNSEAL_SHARE)) == 0 &&
		    (r = vault_msg_add(&req, "who", h.key_master_id)) == 0 &&
		    (r = vault_msg_addf(&req, "index", "%u", h.share_index)) == 0)
			r = vault_client_call(dir, &req, 1, resp);
	}
	passphrase_free(passphrase);
	sodium_free(share);
	return r;
}

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
	struct cli_args args;
	struct vault_msg resp;
	const char *state;
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
	if ((r = contribute(cli_value(&args, OPT_VAULT), cli_value(&args, OPT_SHARE), cli_value(&args, OPT_PASSFILE),
	                    &resp)) != 0)
		return r;
	if ((r = vault_client_status(&resp)) == 0) {
		state = vault_msg_get(&resp, "state");
		printf("%s (vault log entry %s)\n", vault_msg_get(&resp, "message"), vault_msg_get(&resp, "seq"));
		if (state != NULL && strcmp(state, "unsealed") == 0)
			printf("the vault is open (vault log entry %s)\n", vault_msg_get(&resp, "unseal-seq"));
		else if (state != NULL && vault_msg_get(&resp, "unseal-seq") == NULL &&
		         vault_msg_get(&resp, "accepted") != NULL)
			printf("the vault stays sealed: %s of %s shares\n", vault_msg_get(&resp, "accepted"),
			       vault_msg_get(&resp, "threshold"));
	}
	vault_msg_release(&resp);
	return r;
}
