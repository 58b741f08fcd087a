/* Test tool: write a share file that decrypts like a real one (this vault's id, a key master's index
 * and name, their passphrase) but holds a random share, as a tampered medium would. The vault must
 * refuse it against its commitments and the recorder make it an incident.
 *
 *   forge-share VAULT_DIR INDEX KEY_MASTER PASSPHRASE_FILE OUT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/error.h"
#include "common/init.h"
#include "common/vault_identity.h"
#include "vault/passphrase.h"
#include "vault/sharefile.h"

int main(int argc, char **argv)
{
	struct sharefile_header h;
	struct vault_identity v;
	uint8_t *share;
	char *passphrase = NULL, *end = NULL;
	size_t len = 0;
	unsigned long index;

	if (argc != 6 || ceremony_init() != 0) {
		fprintf(stderr, "usage: forge-share VAULT_DIR INDEX KEY_MASTER PASSPHRASE_FILE OUT\n");
		return 2;
	}
	index = strtoul(argv[2], &end, 10);
	share = sodium_malloc(SHAMIR_SCALAR_BYTES);
	if (*end != '\0' || share == NULL || vault_identity_read(argv[1], &v) != 0 ||
	    passphrase_read(NULL, argv[4], &passphrase, &len) != 0 ||
	    sharefile_header_init(&h, v.id, (unsigned)index, argv[3]) != 0)
		goto fail;
	h.opslimit = SHAREFILE_OPSLIMIT_MIN;
	h.memlimit = SHAREFILE_MEMLIMIT_MIN;
	crypto_core_ristretto255_scalar_random(share);
	if (sharefile_write(argv[5], &h, share, passphrase, len) != 0)
		goto fail;
	passphrase_free(passphrase);
	sodium_free(share);
	return 0;
fail:
	fprintf(stderr, "forge-share: %s\n", err_message());
	return 2;
}
