/* The vault log's writer (vault/log.c): the vault appends every operation it performs or refuses,
 * signed and fsync'd before the operation is reported done. The format and its reader are
 * common/vault_log.h; docs/formats/vault-log.md is the byte-level spec. */
#ifndef CEREMONY_VAULT_LOG_H
#define CEREMONY_VAULT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/vault_log.h"

/* Signs `len` bytes of `msg` with the audit key into `sig`. Returns 0, or a negative cer_err after
 * err_set(). The key's custody is the caller's: the log never sees it. */
typedef int (*vault_log_sign_fn)(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[VAULT_LOG_SIGNATURE_BYTES]);

/* A log open for appending, holding an exclusive lock (flock) on its file; one thread at a time. */
struct vault_log;

/* Create a new, empty log at `path` (mode 0600; refused with CER_ERR_REFUSED if anything exists
 * there), durable (file and directory synced) before it returns. `audit_pub` is copied. */
__attribute__((warn_unused_result)) int vault_log_create(struct vault_log **out, const char *path,
                                                         const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES]);

/* Open an existing log for appending. It must exist (a missing log is never silently started
 * again: CER_ERR_NOT_FOUND). Reads only the tail: the last complete line must be a valid line
 * signed by `audit_pub` (and, if it is the first line, have seq 0 and prev 64 zeros); its seq and
 * hash are where appending resumes. Bytes after the last newline are a line a crash cut short
 * (DESIGN: its operation was never reported done): they are truncated away and synced, and
 * vault_log_torn_bytes() reports how many. Refused: another process holds the log (CER_ERR_BUSY),
 * not a regular file (CER_ERR_IO), a last line longer than VAULT_LOG_LINE_MAX, a torn tail longer
 * than that, or a last line that does not parse or verify (CER_ERR_FORMAT, CER_ERR_VERIFY, naming
 * the problem). Checking the whole chain is vault_log_verify()'s job, which the vault runs at start. */
__attribute__((warn_unused_result)) int vault_log_open(struct vault_log **out, const char *path,
                                                       const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES]);

/* Bytes of a torn final line that vault_log_open() discarded (0 when none). */
size_t vault_log_torn_bytes(const struct vault_log *log);

/* The seq the next append will get, and the hash of the last line (64 zero bytes when empty). */
uint64_t vault_log_next_seq(const struct vault_log *log);
void vault_log_head(const struct vault_log *log, uint8_t out[VAULT_LOG_HASH_BYTES]);

/* Bulk generation of synthetic logs only (bench/bench_vault_log.c): with durable = 0, appends skip
 * their fsync, so a crash may lose lines the caller was told were written. Every log is durable
 * when created or opened; never turn this off in the vault. */
void vault_log_set_durable(struct vault_log *log, int durable);

/* Append one entry: format its line (seq and prev from the log, time now if entry->time is 0), have
 * `sign` sign it, check that signature with the audit public key and the line with the verifier's
 * own parser, then write it with one write() and fsync. Only then does it return 0, with the new
 * line's seq in *seq_out and its SHA-256 (the next line's prev) in hash_out (both optional).
 * Refused before anything is written: a field outside its grammar or bounds (CER_ERR_USAGE, naming
 * the field), a signer that fails or whose signature the audit key does not verify
 * (CER_ERR_VERIFY), a file changed by someone else since our last write (CER_ERR_REFUSED), a full
 * log (seq past VAULT_LOG_SEQ_MAX). If the write or the sync fails (CER_ERR_IO), the line may or
 * may not be on disk; the handle then refuses every further append: close it and open the log
 * again, which settles the tail. */
__attribute__((warn_unused_result)) int vault_log_append(struct vault_log *log, const struct vault_log_entry *entry,
                                                         vault_log_sign_fn sign, void *sign_ctx, uint64_t *seq_out,
                                                         uint8_t hash_out[VAULT_LOG_HASH_BYTES]);

/* vault_log_append(), for a vault that is sealed and so has no audit key: the line names the
 * session key `session_pub` in its "signer" member and `sign` signs with that key; the signature is
 * checked with `session_pub` before anything is written. A session line cannot certify a key
 * (CER_ERR_USAGE). Until an audit-signed line certifies `session_pub`, verifiers count the line as
 * uncertified: authentic as part of the chain, not as the vault's word. */
__attribute__((warn_unused_result)) int
vault_log_append_session(struct vault_log *log, const struct vault_log_entry *entry, vault_log_sign_fn sign,
                         void *sign_ctx, const uint8_t session_pub[VAULT_LOG_PUBLIC_KEY_BYTES], uint64_t *seq_out,
                         uint8_t hash_out[VAULT_LOG_HASH_BYTES]);
/* Release the lock and the handle. Safe on NULL. */
void vault_log_close(struct vault_log *log);

#endif
