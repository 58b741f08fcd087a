/* A raw Git commit object read without libgit2's leniency, for the verifier: git checks only the
 * first signature header and libgit2 differs from git, so we split the headers ourselves
 * (docs/formats/evidence.md, "Commits").
 *
 * A commit object is: header lines "name value\n", where a line beginning with a space continues
 * the previous header's value; an empty line; the message. */
#ifndef CEREMONY_EVIDENCE_COMMIT_RAW_H
#define CEREMONY_EVIDENCE_COMMIT_RAW_H

#include <stddef.h>

#include "common/buf.h"

#define COMMIT_RAW_MAX (64 * 1024)
#define COMMIT_OID_HEX 40

struct commit_raw {
	char tree[COMMIT_OID_HEX + 1];
	size_t parent_count;
	char parent[COMMIT_OID_HEX + 1]; /* the first parent, when parent_count > 0 */
	size_t signature_count; /* gpgsig and gpgsig-sha256 headers, however many */
	struct buf signature; /* the first gpgsig value, continuation spaces removed */
	struct buf signed_payload; /* the object without its signature headers: what was signed */
	char unexpected_header[32]; /* the first header that is not tree/parent/author/committer/gpgsig */
	int has_author, has_committer;
};

/* Split a raw commit. Refuses (CER_ERR_FORMAT) what is not a commit at all: no tree header, a
 * malformed id, a header without a value, no blank line before the message, a NUL byte, more than
 * COMMIT_RAW_MAX bytes. Counts, rather than refuses, what the verifier reports as findings
 * (extra signature headers, unexpected headers, several parents). Free with commit_raw_free(). */
__attribute__((warn_unused_result)) int commit_raw_parse(struct commit_raw *out, const char *raw, size_t len);
void commit_raw_free(struct commit_raw *c);

#endif
