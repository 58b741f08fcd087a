/* Records: record_parse over the signed bytes of an evidence record (untrusted: the evidence
 * repository comes from whoever hands it to the auditor).
 *
 * A record that parses must serialize, and its serialization must parse to the same header fields
 * (ceremony, sequence, session, step, type, actor); otherwise the harness aborts. */
#include <string.h>

#include "common/buf.h"
#include "evidence/record.h"
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
	struct record *record = NULL, *again = NULL;
	struct buf bytes = buf_make(4 * RECORD_BYTES_MAX);

	if (record_parse(&record, data, size) != 0) {
		FUZZ_CHECK(record == NULL);
		return 0;
	}
	FUZZ_CHECK(record != NULL);
	/* Escaping can make a record longer than its input (a literal ' becomes &apos;): a record near
	 * the size limit may parse and not serialize. That is the only refusal allowed here; the signed
	 * bytes are what is stored, so it does not weaken verification (docs/formats/record.md). */
	if (record_serialize(record, &bytes) != 0) {
		FUZZ_CHECK(strstr(err_message(), "larger than") != NULL);
		goto out;
	}
	FUZZ_CHECK(record_parse(&again, bytes.data, bytes.len) == 0);
	FUZZ_CHECK(strcmp(record->ceremony, again->ceremony) == 0);
	FUZZ_CHECK(record->sequence == again->sequence);
	FUZZ_CHECK(record->session == again->session);
	FUZZ_CHECK(strcmp(record->step, again->step) == 0);
	FUZZ_CHECK(record->type == again->type);
	FUZZ_CHECK(strcmp(record->actor, again->actor) == 0);
out:
	record_free(again);
	record_free(record);
	buf_free(&bytes);
	return 0;
}
