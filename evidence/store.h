/* The Git evidence store: an append-only bare Git repository, one linear branch, one signed
 * commit per record (DESIGN.md section 5; the byte-level layout is docs/formats/evidence.md).
 *
 * Commit n's tree is commit n-1's tree plus exactly one new directory,
 *     records/AA/BB/CC/DD/record.xml            the record's signed bytes (sequence AABBCCDD)
 *     records/AA/BB/CC/DD/signoffs/<F>.sig      one armored SSHSIG per signer, F = hex SHA-256 of
 *                                               the signer's public key blob
 * and the commit carries one gpgsig header: an SSHSIG (namespace "git") by a roster key.
 *
 * Writers serialize on an exclusive lock (EVIDENCE_LOCK_FILE); the branch is moved with a
 * compare-and-swap after every new object is durable, so a crash at any point leaves the branch
 * at the previous record or the new one, never between. */
#ifndef CEREMONY_EVIDENCE_STORE_H
#define CEREMONY_EVIDENCE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>

#include "common/buf.h"
#include "common/signer.h"
#include "evidence/record.h"

#define EVIDENCE_BRANCH "refs/heads/main"
#define EVIDENCE_BRANCH_NAME "main"
#define EVIDENCE_RECORDS_DIR "records"
#define EVIDENCE_RECORD_FILE "record.xml"
#define EVIDENCE_SIGNOFFS_DIR "signoffs"
#define EVIDENCE_SIGNOFF_SUFFIX ".sig"
#define EVIDENCE_LOCK_FILE "ceremony.lock"
/* "records/AA/BB/CC/DD" */
#define EVIDENCE_RECORD_PATH_CHARS (sizeof(EVIDENCE_RECORDS_DIR) - 1 + 4 * 3)
#define EVIDENCE_SIGNOFFS_MAX 64
#define EVIDENCE_DEFAULT_LOCK_WAIT_MS 10000

struct evidence_store;

/* Create a new, empty evidence repository at `dir` (created if missing; must be empty if present). */
__attribute__((warn_unused_result)) int evidence_store_create(struct evidence_store **out, const char *dir);
/* Open an existing evidence repository. Refuses a directory that is not a bare Git repository. */
__attribute__((warn_unused_result)) int evidence_store_open(struct evidence_store **out, const char *dir);
void evidence_store_free(struct evidence_store *store);

/* The underlying repository, borrowed (for readers such as the verifier). */
git_repository *evidence_store_repository(const struct evidence_store *store);
const char *evidence_store_path(const struct evidence_store *store);

/* Where the ceremony stands. */
struct evidence_tip {
	int empty; /* no record yet; nothing below is set */
	git_oid commit;
	uint32_t sequence;
	uint32_t session;
	enum record_type type;
	uint8_t record_sha256[32];
};

/* The branch tip, read through the store's own format (trusting the repository: the verifier
 * is what checks it). Optionally the parsed genesis and last records (caller frees). */
__attribute__((warn_unused_result)) int evidence_tip(struct evidence_store *store, struct evidence_tip *out,
                                                     struct record **genesis_out, struct record **last_out);

/* "records/AA/BB/CC/DD" for a sequence number; `out` holds EVIDENCE_RECORD_PATH_CHARS + 1. */
void evidence_record_path(uint32_t sequence, char out[EVIDENCE_RECORD_PATH_CHARS + 1]);
/* "<64 hex>.sig" for a signer's key. */
void evidence_signoff_name(const struct sshkey_public *key, char out[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)]);

/* A file of record `sequence`'s directory ("record.xml", "scenario.xml", "attachments/NAME") in
 * `commit`'s tree, at most `max` bytes (buf reset first). */
__attribute__((warn_unused_result)) int evidence_read_file(struct evidence_store *store, const git_oid *commit,
                                                           uint32_t sequence, const char *name, size_t max,
                                                           struct buf *bytes);

/* The record bytes of `sequence` in `commit`'s tree (buf reset first; capped at RECORD_BYTES_MAX). */
__attribute__((warn_unused_result)) int evidence_read_record(struct evidence_store *store, const git_oid *commit,
                                                             uint32_t sequence, struct buf *bytes);

/* Append one record: `record` are its exact bytes. Each of `signers` signs them (SSHSIG, namespace
 * SSHSIG_NAMESPACE_RECORD); `committer` signs the commit (namespace "git"). Refused before anything
 * is written when: the record does not parse, its sequence, previous hash, ceremony id or scenario
 * hash do not follow the tip, the ceremony is closed, a signer or the committer is not in the
 * pinned roster, one person signs twice, or another writer holds the lock past `lock_wait_ms`
 * (CER_ERR_BUSY). On success *commit_out (optional) is the new commit. */
__attribute__((warn_unused_result)) int evidence_append(struct evidence_store *store, const uint8_t *record, size_t len,
                                                        struct signer *const *signers, size_t signer_count,
                                                        struct signer *committer, int lock_wait_ms,
                                                        git_oid *commit_out);

/* Bulk generation of synthetic evidence only (bench/gen_evidence.c): with durable = 0, evidence_append
 * skips its two syncfs() calls, so after a crash the branch may name objects that never reached the
 * disk. Every store is durable when opened or created; never turn this off for a real ceremony. */
void evidence_store_set_durable(struct evidence_store *store, int durable);

/* A sign-off made beforehand (a pending record's): the armored SSHSIG and the key it claims. */
struct evidence_signoff {
	struct sshkey_public key;
	const uint8_t *armored;
	size_t armored_len;
};

/* A file stored beside the record: "scenario.xml" (genesis only: the published scenario, which
 * must hash to the record's scenario-sha256) or "attachments/NAME" (an attachment the record lists
 * as stored, which must hash to the listed sha256). */
#define EVIDENCE_SCENARIO_FILE "scenario.xml"
#define EVIDENCE_ATTACHMENTS_DIR "attachments"
struct evidence_file {
	const char *name;
	const uint8_t *data;
	size_t len;
};

/* Append a record whose sign-offs exist already. Every sign-off is verified over the record's
 * bytes (namespace SSHSIG_NAMESPACE_RECORD, by the key it claims) before anything is written; the
 * refusals are those of evidence_append plus a sign-off that does not verify and a file that does
 * not match the record. */
__attribute__((warn_unused_result)) int evidence_append_signed(struct evidence_store *store, const uint8_t *record,
                                                               size_t len, const struct evidence_signoff *signoffs,
                                                               size_t signoff_count, const struct evidence_file *files,
                                                               size_t file_count, struct signer *committer,
                                                               int lock_wait_ms, git_oid *commit_out);

/* The write steps of an append, for fault-injection tests: when the hook is set and returns
 * non-zero for a step, the append stops there as if the process had died (lock released). */
enum evidence_append_step {
	EVIDENCE_STEP_LOCKED = 1,
	EVIDENCE_STEP_BLOBS_WRITTEN,
	EVIDENCE_STEP_TREES_WRITTEN,
	EVIDENCE_STEP_COMMIT_WRITTEN,
	EVIDENCE_STEP_OBJECTS_DURABLE,
	EVIDENCE_STEP_BRANCH_MOVED,
	EVIDENCE_STEP_COUNT
};
extern int (*evidence_fault_hook)(enum evidence_append_step step);

/* Take the writers' lock explicitly, so that preparing and appending a record happen under one
 * lock (evidence_append then keeps it). Waits up to `wait_ms`; CER_ERR_BUSY after that. */
__attribute__((warn_unused_result)) int evidence_store_lock(struct evidence_store *store, int wait_ms);
void evidence_store_unlock(struct evidence_store *store);

/* Build the record bytes that follow the tip: fills ceremony, scenario hash, session, sequence and
 * previous hash from the tip and the genesis record; the caller sets step, type, actor and payload. */
__attribute__((warn_unused_result)) int evidence_prepare_next(struct evidence_store *store, struct record *record);

#endif
