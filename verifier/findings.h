/* Findings: what the verifier found wrong, each with a stable code (docs/findings.md), the record
 * and commit it concerns, and a sentence a person understands.
 *
 * At most FINDINGS_KEPT findings are kept in memory; the rest are counted, so that memory stays
 * flat however badly a repository is broken. */
#ifndef CEREMONY_VERIFIER_FINDINGS_H
#define CEREMONY_VERIFIER_FINDINGS_H

#include <stddef.h>
#include <stdio.h>

#define FINDINGS_KEPT 1000
#define FINDING_NO_RECORD (-1L)

struct finding {
	const char *code; /* static string, e.g. "signoff-namespace" */
	long record; /* position in history (= expected sequence number), or FINDING_NO_RECORD */
	char commit[41]; /* hex commit id, or "" */
	char *message;
};

struct findings {
	struct finding *items;
	size_t count; /* kept */
	size_t dropped; /* found but not kept */
};

/* Add a finding. `commit_hex` may be NULL. Returns 0, or CER_ERR_NOMEM. */
__attribute__((format(printf, 5, 6))) int findings_add(struct findings *f, const char *code, long record,
                                                       const char *commit_hex, const char *fmt, ...);
size_t findings_total(const struct findings *f);
/* One line per finding: "record 12 (commit abcdef012345): code: message". */
void findings_print(const struct findings *f, FILE *out);
void findings_free(struct findings *f);

#endif
