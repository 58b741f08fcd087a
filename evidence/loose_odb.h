/* A repository's loose objects read through evidence/loose_raw instead of libgit2's loose backend:
 * for the verifier's checking thread (verifier/evidence_check.c) and for the store the recorder
 * writes through (evidence/store.c).
 *
 * Two reasons. A loose object that is not a regular file (a FIFO, or a link to one, planted in
 * objects/) makes libgit2 wait for ever on open(); through this backend it is an error naming the
 * object, and the checks report it as unreadable. And libgit2 opens each loose object twice when
 * the caller wants its size first (git_odb_read_header, then git_odb_read); this backend decodes it
 * once and keeps it for the read that follows.
 *
 * It changes where bytes come from, never what is decided: what it serves hashes to its name and
 * libgit2 hashes it again (strict hash verification); a file it refuses for its contents (a damaged
 * stream, bytes that do not hash to the name, an object larger than its limit) it passes on to
 * libgit2's own backends, which judge it as before. Attached only to a repository without packs
 * (libgit2 asks packs first, and an object may be in both). It only reads: writes go to libgit2's
 * loose backend as before. */
#ifndef CEREMONY_EVIDENCE_LOOSE_ODB_H
#define CEREMONY_EVIDENCE_LOOSE_ODB_H

#include <git2.h>

/* Objects larger than this are left to libgit2 (the checks bound each read themselves). */
#define LOOSE_ODB_OBJECT_BYTES_MAX (1024 * 1024)

/* Give `repo`'s object database the backend (after each reopening too), when the repository has
 * no pack; nothing otherwise. CER_ERR_NOMEM, CER_ERR_INTERNAL. */
__attribute__((warn_unused_result)) int loose_odb_attach(git_repository *repo);

#endif
