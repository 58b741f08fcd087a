/* OpenSSH private key files (openssh-key-v1): sshkey_private_parse. A signer's key file is read
 * from wherever the operator points, so it is parsed as untrusted input.
 *
 * An input that does not begin with '-' is taken as the binary openssh-key-v1 structure and armored
 * here first, so that mutations reach the binary format directly instead of only through base64. */
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/sshkey.h"
#include "fuzz/fuzz.h"

#define BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define END "\n-----END OPENSSH PRIVATE KEY-----\n"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

static void parse(const uint8_t *text, size_t len)
{
	struct sshkey_private *key = NULL;

	if (sshkey_private_parse(&key, text, len) == 0) {
		FUZZ_CHECK(key != NULL && key->secret != NULL && key->comment != NULL);
		(void)strlen(key->comment);
	} else {
		FUZZ_CHECK(key == NULL);
	}
	sshkey_private_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf armored = buf_make(4 * size + 256);

	if (size > 0 && data[0] == '-') {
		parse(data, size);
		return 0;
	}
	if (buf_append_str(&armored, BEGIN) == 0 && base64_append(&armored, data, size) == 0 &&
	    buf_append_str(&armored, END) == 0)
		parse(armored.data, armored.len);
	buf_wipe_free(&armored);
	return 0;
}
