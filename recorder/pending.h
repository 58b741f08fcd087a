/* The pending record: proposed, not yet signed off by everyone the rule needs. It lives in the
 * evidence repository's directory (PENDING_DIR), never in its history, and is written so that a
 * crash leaves either no pending record or a whole one: the directory appears by one rename, and
 * each sign-off file by one rename. It is committed whole, or discarded (incident), never half. */
#ifndef CEREMONY_RECORDER_PENDING_H
#define CEREMONY_RECORDER_PENDING_H

#include <stddef.h>

#include "common/buf.h"
#include "evidence/record.h"
#include "evidence/store.h"

#define PENDING_DIR "ceremony-pending"

struct pending {
	struct buf bytes; /* the record's signed bytes */
	struct record *record; /* parsed from `bytes` */
	struct evidence_signoff signoffs[EVIDENCE_SIGNOFFS_MAX];
	struct buf armored[EVIDENCE_SIGNOFFS_MAX];
	size_t signoff_count;
	struct evidence_file files[RECORD_ATTACHMENTS_MAX];
	char *file_names[RECORD_ATTACHMENTS_MAX];
	struct buf file_bytes[RECORD_ATTACHMENTS_MAX];
	size_t file_count;
};

/* Load the pending record of the repository at `gitdir` (NULL in *out when there is none). Every
 * sign-off is verified over the record's bytes. */
__attribute__((warn_unused_result)) int pending_load(struct pending **out, const char *gitdir);
/* Write a new pending record (refused if one exists). Takes nothing from `p`. */
__attribute__((warn_unused_result)) int pending_create(const char *gitdir, const struct pending *p);
/* Add one sign-off file to the existing pending record. */
__attribute__((warn_unused_result)) int pending_add_signoff(const char *gitdir, const struct evidence_signoff *s);
/* Remove the pending record (after it was committed, or discarded). */
__attribute__((warn_unused_result)) int pending_remove(const char *gitdir);
void pending_free(struct pending *p);

#endif
