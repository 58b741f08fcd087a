/* Who signs: an unencrypted OpenSSH Ed25519 key file, or a key held by ssh-agent.
 *
 * KEY specs, as the command line takes them (DESIGN.md section 6):
 *   PATH                 an unencrypted OpenSSH private key file
 *   agent:COMMENT        the ssh-agent key whose comment is exactly COMMENT
 *   agent:SHA256:...     the ssh-agent key with that fingerprint (as ssh-add -l prints it)
 * The agent is reached through SSH_AUTH_SOCK. Passphrase-protected keys and hardware tokens are
 * used through the agent; an encrypted key file is refused with a message saying so. */
#ifndef CEREMONY_COMMON_SIGNER_H
#define CEREMONY_COMMON_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "common/sshkey.h"

#define SIGNER_AGENT_PREFIX "agent:"

struct signer;

/* Open the signer a KEY spec names. Errors name the spec: a missing file, an encrypted key, no
 * agent, no such key in the agent, two agent keys matching the same comment. */
__attribute__((warn_unused_result)) int signer_open(struct signer **out, const char *spec);

/* A signer over a key already in memory (borrowed: it must outlive the signer). */
__attribute__((warn_unused_result)) int signer_from_key(struct signer **out, const struct sshkey_private *key);

/* The signer's public key; borrowed from the signer. */
const struct sshkey_public *signer_public_key(const struct signer *s);

/* The spec the signer was opened from ("agent:alice", "keys/alice"); borrowed. */
const char *signer_name(const struct signer *s);

/* A raw Ed25519 signature over `data`. */
__attribute__((warn_unused_result)) int signer_sign(struct signer *s, const uint8_t *data, size_t len,
                                                    uint8_t sig[SSHKEY_ED25519_SIGNATURE_BYTES]);

/* Safe on NULL; wipes a key the signer owns. */
void signer_free(struct signer *s);

#endif
