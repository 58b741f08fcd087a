/* Raw Git trees: tree_raw_next and tree_raw_find, which the verifier's read-ahead runs on the
 * evidence's trees before libgit2 has judged them. */
#include <string.h>

#include "evidence/tree_raw.h"
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
	struct tree_raw_entry e;
	size_t pos = 0, previous = 0;
	int r;

	while ((r = tree_raw_next(data, size, &pos, &e)) == 1) {
		/* Each entry moves forward, stays inside the tree, and its name is inside it too. */
		FUZZ_CHECK(pos > previous && pos <= size);
		FUZZ_CHECK((const uint8_t *)e.name > data + previous && (const uint8_t *)e.name < data + pos);
		FUZZ_CHECK(strlen(e.name) > 0 && strchr(e.name, '/') == NULL);
		FUZZ_CHECK(e.mode <= 0777777u);
		previous = pos;
	}
	FUZZ_CHECK(r == 0 || r == CER_ERR_FORMAT);
	FUZZ_CHECK(r != 0 || pos == size);
	r = tree_raw_find(data, size, "records", &e);
	FUZZ_CHECK(r == 0 || r == 1 || r == CER_ERR_FORMAT);
	FUZZ_CHECK(r != 1 || strcmp(e.name, "records") == 0);
	return 0;
}
