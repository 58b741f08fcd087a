/* Reading ahead of the checks, on another core.
 *
 * Reading the evidence (opening, inflating and hashing a dozen loose objects per record) was most
 * of what kept verification on one core (bench/README.md, "Cores"). Two reader threads, each with
 * its own repository handle and taking records in turn, read the objects of the records ahead of the one being checked: the commit,
 * the trees down records/AA/BB/CC/DD, the record, its sign-offs and stored files. The checking
 * thread's repository gets an object-database backend that answers from what was read ahead,
 * before its own files are touched.
 *
 * It changes where bytes come from, never what is decided: the checks make the same libgit2
 * calls, libgit2 re-hashes every object whichever backend answers (strict hash verification), and
 * anything the readers did not fetch (a malformed tree, an object missing, corrupt or larger than
 * PREFETCH_OBJECT_BYTES_MAX, a tampered layout) is read by the checking thread itself, exactly as
 * without read-ahead. */
#ifndef CEREMONY_VERIFIER_PREFETCH_H
#define CEREMONY_VERIFIER_PREFETCH_H

#include <stddef.h>

#include <git2.h>

#define PREFETCH_OBJECT_BYTES_MAX (64 * 1024)

struct prefetch;

/* Start reading records 0..count-1 of the repository at `dir` (`repo`, the checking thread's
 * handle on it), whose commits are history[0..count-1] (borrowed: it must outlive the prefetch).
 * *out is NULL, and everything below does nothing, when the process may use one CPU only, or when
 * the repository has a pack: libgit2 shares a pack between the repositories of a process, and with
 * readers holding it open it is never let go, so its index (28 bytes per object) and its cache of
 * delta bases (up to 16 MiB) would stay in memory for the whole run; reading a pack is cheap
 * enough for the checking thread alone (bench/README.md, "Cores"). */
__attribute__((warn_unused_result)) int prefetch_start(git_repository *repo, const char *dir, const git_oid *history,
                                                       size_t count, struct prefetch **out);

/* Let `repo` (the checking thread's; after each reopening too) answer from the read-ahead. */
__attribute__((warn_unused_result)) int prefetch_attach(struct prefetch *pf, git_repository *repo);

/* The checks are at record `index`: wait until it has been read ahead (or the readers ended),
 * then serve records index-1 and index; older ones are handed back to the reader. */
void prefetch_reach(struct prefetch *pf, size_t index);

/* Stop the readers and free everything; safe on NULL. Free the repositories it was attached to
 * first: their backends answer from it. */
void prefetch_free(struct prefetch *pf);

#endif
