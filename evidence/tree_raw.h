/* A raw Git tree object, stepped through entry by entry without libgit2, for the verifier's reader
 * thread (verifier/prefetch.c), which fetches a record's objects ahead of the checks and so must
 * find its way down records/AA/BB/CC/DD from the bytes alone.
 *
 * A tree is a sequence of entries "MODE SP NAME NUL ID", MODE in octal digits, NAME without '/'
 * or NUL, ID the 20 bytes of a SHA-1 object id (docs/formats/evidence.md). */
#ifndef CEREMONY_EVIDENCE_TREE_RAW_H
#define CEREMONY_EVIDENCE_TREE_RAW_H

#include <stddef.h>
#include <stdint.h>

#define TREE_RAW_ID_BYTES 20
#define TREE_RAW_MODE_TREE 040000u

struct tree_raw_entry {
	uint32_t mode;
	const char *name; /* points into the tree, NUL-terminated there */
	uint8_t id[TREE_RAW_ID_BYTES];
};

/* The entry at offset *pos of `raw` (start with *pos = 0). Returns 1 and advances *pos past it, 0 at
 * the end of the tree, or CER_ERR_FORMAT (nothing advanced) for an entry that is not well formed:
 * a mode that is empty, longer than 6 digits or not octal, no space, an empty name, a name with
 * '/', no NUL, fewer than 20 bytes of id. */
__attribute__((warn_unused_result)) int tree_raw_next(const uint8_t *raw, size_t len, size_t *pos,
                                                      struct tree_raw_entry *entry);

/* The entry called `name`: 1 when found (in *entry), 0 when absent, CER_ERR_FORMAT when the tree is
 * malformed before it is found. */
__attribute__((warn_unused_result)) int tree_raw_find(const uint8_t *raw, size_t len, const char *name,
                                                      struct tree_raw_entry *entry);

#endif
