/* A loose Git object read from its file without libgit2, for the verifier: the reader threads that
 * fetch each record's objects ahead of the checks (verifier/prefetch.c) and the checking thread's
 * own reads (evidence/loose_odb.c). libgit2 opens each loose object twice when its size
 * must be known before it is inflated (git_odb_read_header, then git_odb_read) and resolves the
 * whole path at each step; on a repository of loose objects that was most of verify's reading.
 *
 * A loose object's file (objects/XX/YYYY..., docs/formats/evidence.md) is one zlib stream of
 * "TYPE SP SIZE NUL BODY", TYPE one of commit, tree, blob, tag, SIZE the body's length in decimal.
 * What is read here is held to at least libgit2's rules and is then named by its bytes: the SHA-1
 * of the inflated stream must be the id asked for. So whatever this module returns, libgit2 would
 * have returned the same bytes; a file it refuses for its contents, the caller reads through
 * libgit2, which then judges the object. A file that is not a regular file it refuses without
 * waiting on it, where libgit2 would wait for ever on a FIFO (evidence/loose_odb.h).
 *
 * Only for a repository without packs (loose_raw_dir_has_packs): libgit2 asks the packs before the
 * loose objects, and an object can be in both. */
#ifndef CEREMONY_EVIDENCE_LOOSE_RAW_H
#define CEREMONY_EVIDENCE_LOOSE_RAW_H

#include <stddef.h>
#include <stdint.h>

#include <git2/types.h>

#define LOOSE_RAW_ID_BYTES 20
/* The largest body a reader may be asked to allow: zlib counts in 32 bits. */
#define LOOSE_RAW_BODY_LIMIT (1u << 30)

/* One per thread: its zlib stream, its file buffer and its directory are reused from object to
 * object. */
struct loose_raw_reader;

/* A reader for the repository whose object directory is `objects_dir` (".../objects"), or for
 * decoding only (loose_raw_decode) when it is NULL. Bodies up to `body_max` bytes (at most
 * LOOSE_RAW_BODY_LIMIT); larger objects are refused. CER_ERR_IO when the directory cannot be
 * opened, CER_ERR_USAGE for a limit over LOOSE_RAW_BODY_LIMIT, CER_ERR_NOMEM. */
__attribute__((warn_unused_result)) int loose_raw_reader_new(const char *objects_dir, size_t body_max,
                                                             struct loose_raw_reader **out);
void loose_raw_reader_free(struct loose_raw_reader *reader);

/* 1 when the object directory holds a pack (objects/pack/ *.pack): then libgit2 may answer from the
 * pack, and this module must not be used. 0 when it holds none; CER_ERR_IO when it cannot be
 * listed for any reason other than not existing. */
__attribute__((warn_unused_result)) int loose_raw_dir_has_packs(const char *objects_dir);

/* 1 when `repo`'s object directory holds a pack, 0 when it holds none, CER_ERR_IO when it cannot
 * tell (loose_raw_dir_has_packs). */
__attribute__((warn_unused_result)) int loose_raw_repository_has_packs(git_repository *repo);

/* A reader for `repo`'s object directory when it has no pack, else (or when it cannot tell) none:
 * *out is NULL and the caller reads through libgit2. Returns CER_ERR_NOMEM only. */
__attribute__((warn_unused_result)) int loose_raw_reader_for(git_repository *repo, size_t body_max,
                                                             struct loose_raw_reader **out);

/* The body of object `id` read from its loose file, of type *type, in a new buffer (*body, freed by
 * the caller, NUL-terminated after its *len bytes). A symbolic link to a regular file is followed.
 * Returns 0, or:
 *   CER_ERR_NOT_FOUND    no file for it (the object is missing, or packed);
 *   CER_ERR_UNSUPPORTED  not a regular file (a FIFO, a device, a directory, a link to one): opening
 *                        it never waits, and nothing should read it (libgit2 would wait on a FIFO
 *                        for ever);
 *   CER_ERR_FORMAT       a regular file refused: larger than the reader's limit allows, or not
 *                        decodable (loose_raw_decode); libgit2 may still read it and judge it;
 *   CER_ERR_IO, CER_ERR_NOMEM. */
__attribute__((warn_unused_result)) int loose_raw_read(struct loose_raw_reader *reader,
                                                       const uint8_t id[LOOSE_RAW_ID_BYTES], git_object_t *type,
                                                       uint8_t **body, size_t *len);

/* The decoding alone, on a loose object's file already in memory. CER_ERR_FORMAT, with the
 * reason, when: the zlib stream is damaged, truncated, needs a dictionary or has bytes after its
 * end; the header is not "TYPE SP SIZE NUL" with one of the four types and SIZE in decimal without
 * a leading zero; SIZE is over the reader's limit; the body is shorter or longer than SIZE; or the
 * SHA-1 of "TYPE SP SIZE NUL BODY" is not `id`. */
__attribute__((warn_unused_result)) int loose_raw_decode(struct loose_raw_reader *reader, const uint8_t *file,
                                                         size_t file_len, const uint8_t id[LOOSE_RAW_ID_BYTES],
                                                         git_object_t *type, uint8_t **body, size_t *len);

#endif
