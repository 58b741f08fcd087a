/* OpenSSH allowed_signers files: allowed_signers_parse. The roster a ceremony starts from is one. */
#include <string.h>

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
	struct allowed_signers *list = NULL;

	if (allowed_signers_parse(&list, (const char *)data, size) == 0) {
		FUZZ_CHECK(list != NULL);
		for (size_t i = 0; i < list->count; i++) {
			FUZZ_CHECK(list->entries[i].principals != NULL && list->entries[i].principals[0] != '\0');
			FUZZ_CHECK(list->entries[i].line >= 1);
			(void)strlen(list->entries[i].principals);
			if (list->entries[i].namespaces != NULL)
				(void)strlen(list->entries[i].namespaces);
		}
	} else {
		FUZZ_CHECK(list == NULL);
	}
	allowed_signers_free(list);
	return 0;
}
