/* A client of the ssh-agent protocol (draft-miller-ssh-agent), just what signing needs:
 * list identities and ask for an Ed25519 signature. Every reply is read through a bounded
 * cursor; a reply longer than AGENT_REPLY_MAX is refused. */
#ifndef CEREMONY_COMMON_AGENT_H
#define CEREMONY_COMMON_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/sshkey.h"

#define AGENT_REPLY_MAX (256 * 1024)

/* Message numbers, as the protocol names them. */
#define SSH_AGENT_FAILURE 5
#define SSH2_AGENTC_REQUEST_IDENTITIES 11
#define SSH2_AGENT_IDENTITIES_ANSWER 12
#define SSH2_AGENTC_SIGN_REQUEST 13
#define SSH2_AGENT_SIGN_RESPONSE 14

struct agent_identity {
	struct sshkey_public key;
	char comment[256];
};

/* Find the one Ed25519 identity whose comment equals `selector`, or whose fingerprint text
 * ("SHA256:...") equals it. Non-Ed25519 identities are skipped. Refuses when none or several match. */
__attribute__((warn_unused_result)) int agent_find_identity(const char *socket_path, const char *selector,
                                                            struct agent_identity *out);

/* Ask the agent at `socket_path` to sign `data` with `key`; returns the raw 64-byte signature. */
__attribute__((warn_unused_result)) int agent_sign(const char *socket_path, const struct sshkey_public *key,
                                                   const uint8_t *data, size_t len,
                                                   uint8_t sig[SSHKEY_ED25519_SIGNATURE_BYTES]);

/* Parse replies; exposed for tests and the fuzz harness. `reply` is the message after its length. */
__attribute__((warn_unused_result)) int agent_parse_identities(const uint8_t *reply, size_t len, const char *selector,
                                                               struct agent_identity *out);
__attribute__((warn_unused_result)) int agent_parse_sign_response(const uint8_t *reply, size_t len,
                                                                  uint8_t sig[SSHKEY_ED25519_SIGNATURE_BYTES]);

#endif
