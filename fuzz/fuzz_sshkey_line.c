/* One OpenSSH public key line ("ssh-ed25519 AAAA... comment"): sshkey_public_parse_line. Roster
 * files and the keys inside genesis records are untrusted input. */
#include "common/buf.h"
#include "common/sshkey.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshkey_public key, again;
	struct buf line = buf_make(SSHKEY_LINE_MAX);

	if (sshkey_public_parse_line(&key, (const char *)data, size) == 0) {
		/* A key that parses formats to a line that parses to the same key. */
		FUZZ_CHECK(sshkey_public_format_line(&key, &line) == 0);
		FUZZ_CHECK(sshkey_public_parse_line(&again, (const char *)line.data, line.len) == 0);
		FUZZ_CHECK(sshkey_public_equal(&key, &again));
	}
	buf_free(&line);
	return 0;
}
