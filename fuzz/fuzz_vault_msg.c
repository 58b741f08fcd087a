/* Vault socket messages: vault_msg_parse over a request body (untrusted: any process of the vault's
 * user can connect). A body that parses must encode back to the same bytes: the grammar has one
 * spelling per message, so the harness aborts otherwise. */
#include <string.h>

#include "fuzz/fuzz.h"
#include "vault/protocol.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vault_msg m;
	size_t len = 1;

	if (vault_msg_parse(&m, data, size) != 0)
		return 0;
	FUZZ_CHECK(m.field_count <= VAULT_MSG_FIELDS_MAX);
	FUZZ_CHECK(m.payload >= data && m.payload + m.payload_len == data + size);
	for (size_t i = 0; i < m.field_count; i++) {
		FUZZ_CHECK(vault_msg_get(&m, m.names[i]) == m.values[i]); /* names are unique */
		len += strlen(m.names[i]) + strlen(m.values[i]) + 2;
	}
	FUZZ_CHECK(len + m.payload_len == size);
	return 0;
}
