/* Vault log lines: vault_log_parse_line over one line (untrusted: the auditor receives the log from
 * the vault host). A line that parses has its signed body end exactly where its "sig" member
 * starts, and a signature check of it must return without touching memory outside the line. */
#include "fuzz/fuzz.h"
#include "common/vault_log_line.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES] = {1};
	struct vault_log_parsed line;

	if (size > VAULT_LOG_LINE_MAX)
		return 0;
	if (vault_log_parse_line(&line, data, size) != 0)
		return 0;
	FUZZ_CHECK(line.body_len < size);
	FUZZ_CHECK(line.entry.who != NULL && line.entry.op != NULL && line.time_text != NULL);
	FUZZ_CHECK(!(line.has_signer && line.entry.certifies != NULL));
	(void)vault_log_check_signature(data, &line, audit_pub);
	vault_log_parsed_clear(&line);
	return 0;
}
