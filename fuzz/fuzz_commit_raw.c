/* Raw Git commit objects: commit_raw_parse, the verifier's own reading of each evidence commit. */
#include <string.h>

#include "evidence/commit_raw.h"
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
	struct commit_raw c;

	if (commit_raw_parse(&c, (const char *)data, size) == 0) {
		FUZZ_CHECK(strlen(c.tree) == COMMIT_OID_HEX);
		FUZZ_CHECK(c.parent_count == 0 || strlen(c.parent) == COMMIT_OID_HEX);
		/* Headers are split, never grown: neither part can exceed the object. */
		FUZZ_CHECK(c.signed_payload.len <= size);
		FUZZ_CHECK(c.signature.len <= size);
		FUZZ_CHECK(c.signature_count > 0 || c.signature.len == 0);
		FUZZ_CHECK(memchr(c.unexpected_header, '\0', sizeof(c.unexpected_header)) != NULL);
	}
	commit_raw_free(&c);
	return 0;
}
