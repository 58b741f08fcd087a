/* Loose Git objects' files: loose_raw_decode, which the verifier runs on the evidence's files before
 * libgit2 has judged them. The first 20 bytes of the input are the id asked for, the rest the file. */
#include <string.h>

#include "common/hash.h"
#include "evidence/loose_raw.h"
#include "fuzz/fuzz.h"

#define BODY_MAX (64 * 1024)

static struct loose_raw_reader *decoder;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	if (loose_raw_reader_new(NULL, BODY_MAX, &decoder) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {[GIT_OBJECT_COMMIT] = "commit",
	                                    [GIT_OBJECT_TREE] = "tree",
	                                    [GIT_OBJECT_BLOB] = "blob",
	                                    [GIT_OBJECT_TAG] = "tag"};
	uint8_t *body = NULL, digest[SHA1_DIGEST_BYTES];
	char header[32];
	size_t len = 0;
	git_object_t type = GIT_OBJECT_INVALID;
	int r, n;

	if (size < LOOSE_RAW_ID_BYTES)
		return 0;
	r = loose_raw_decode(decoder, data + LOOSE_RAW_ID_BYTES, size - LOOSE_RAW_ID_BYTES, data, &type, &body, &len);
	FUZZ_CHECK(r == 0 || r == CER_ERR_FORMAT || r == CER_ERR_NOMEM);
	if (r != 0) {
		FUZZ_CHECK(body == NULL && len == 0);
		return 0;
	}
	/* What is accepted is an object of one of the four types, within the limit, named by its id. */
	FUZZ_CHECK(type >= GIT_OBJECT_COMMIT && type <= GIT_OBJECT_TAG);
	FUZZ_CHECK(len <= BODY_MAX && body[len] == '\0');
	n = snprintf(header, sizeof(header), "%s %zu", names[type], len);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(header));
	sha1_digest_parts(header, (size_t)n + 1, body, len, digest);
	FUZZ_CHECK(memcmp(digest, data, sizeof(digest)) == 0);
	free(body);
	return 0;
}
