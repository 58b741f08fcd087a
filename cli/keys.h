/* Opening the -k KEY signers of a command line, all or none. */
#ifndef CEREMONY_CLI_KEYS_H
#define CEREMONY_CLI_KEYS_H

#include <stddef.h>

#include "common/signer.h"

struct signer_set {
	struct signer *items[64];
	size_t count;
};

/* Open every spec; on failure nothing stays open and the message names the failing KEY. */
__attribute__((warn_unused_result)) int signer_set_open(struct signer_set *set, const char *const *specs, size_t count);
void signer_set_close(struct signer_set *set);

/* Write a new unencrypted Ed25519 key to `path` (mode 0600, never overwriting) and `path`.pub:
 * throwaway keys for tests and the demo (cli/cmd_keygen.c). */
__attribute__((warn_unused_result)) int keygen_write(const char *path, const char *comment);

#endif
