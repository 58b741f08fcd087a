/* ssh-agent replies: agent_parse_identities and agent_parse_sign_response. Whatever answers on
 * SSH_AUTH_SOCK is untrusted (a forwarded agent, a token's middleware).
 *
 * The first input byte selects: bit 0 clear, the reply to a key listing; set, the reply to a sign
 * request. For a listing, bit 1 selects the identity asked for: by comment, or by fingerprint. The
 * rest of the input is the reply message after its length. */
#include <string.h>

#include "common/agent.h"
#include "fuzz/fuzz.h"

/* The comment and fingerprint of the Ed25519 key in corpus/agent_reply/ (ssh-keygen -l). */
#define SELECTOR_COMMENT "alice"
#define SELECTOR_FINGERPRINT "SHA256:4gzqI0lwbovmqtZFrHtiJJ+Lmjdjs/DEKHts6dYS3QU"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_identity id;
	uint8_t sig[SSHKEY_ED25519_SIGNATURE_BYTES];

	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		const char *selector = (data[0] & 2) ? SELECTOR_FINGERPRINT : SELECTOR_COMMENT;
		memset(&id, 0xa5, sizeof(id));
		if (agent_parse_identities(data + 1, size - 1, selector, &id) == 0)
			FUZZ_CHECK(memchr(id.comment, '\0', sizeof(id.comment)) != NULL);
	} else {
		(void)agent_parse_sign_response(data + 1, size - 1, sig);
	}
	return 0;
}
