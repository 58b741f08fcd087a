/* Reading the records of an evidence repository in order, with who signed each, for the recorder
 * (where does the ceremony stand?) and for people (log). Sign-offs are verified as they are read;
 * anything that does not verify stops the reading with a message that says to run verify, which
 * is what judges the evidence. */
#ifndef CEREMONY_EVIDENCE_HISTORY_H
#define CEREMONY_EVIDENCE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "evidence/record.h"
#include "evidence/store.h"

struct history_entry {
	uint32_t sequence;
	git_oid commit;
	const uint8_t *bytes; /* the record's signed bytes */
	size_t len;
	const struct record *record;
	const struct sshkey_public *signers; /* one key per sign-off file, verified over `bytes` */
	size_t signer_count;
};

/* Call `fn` for every record, oldest first; stop at the first non-zero return and return it. */
__attribute__((warn_unused_result)) int
evidence_history_each(struct evidence_store *store, int (*fn)(void *ctx, const struct history_entry *entry), void *ctx);

#endif
