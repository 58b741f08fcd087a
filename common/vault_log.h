/* The vault log's format and its reader: every vault operation, one signed JSON line each, chained
 * by SHA-256 (DESIGN.md section 5; the byte-level format is docs/formats/vault-log.md).
 *
 * The format and the reader hold no secret, so they live here, below both the vault (which writes
 * the log with vault/log.h and reads its own tail) and the verifier (which joins it with the
 * evidence, and never links the vault).
 *
 * A line is
 *   {"v":1,"seq":N,"time":"YYYY-MM-DDTHH:MM:SSZ","who":"..","op":"..",["label":"..",]
 *    ["fingerprint":"HEX64",]"outcome":"ok|refused|failed",["detail":"..",]"prev":"HEX64","sig":"BASE64"}
 * in exactly that order, compact, with no escapes other than \" and \\, then "\n". `prev` is the
 * SHA-256 of the previous line's bytes (without its newline), 64 zeros on the first line. `sig` is
 * an Ed25519 signature by the vault's audit key over VAULT_LOG_SIGNING_CONTEXT followed by the
 * line's bytes up to (excluding) `,"sig":"`, followed by `}`. The verifier checks the bytes as
 * they are: nothing is ever re-serialized.
 *
 * The writer appends with O_APPEND, one line per write(), and fsyncs before the append returns, so
 * an operation is reported done only once its line is durable. A crash can leave a final line
 * without its newline: that operation was never reported done, and vault_log_open() discards it
 * (vault_log_torn_bytes() says how much, so the vault can log that it did). */
#ifndef CEREMONY_COMMON_VAULT_LOG_H
#define CEREMONY_COMMON_VAULT_LOG_H

#include <stddef.h>
#include <stdint.h>

#define VAULT_LOG_VERSION 1
/* The longest line, its newline included; a longer line is refused, so memory stays bounded. */
#define VAULT_LOG_LINE_MAX 16384
/* What the audit key signs starts with these bytes, so its signatures serve no other purpose. */
#define VAULT_LOG_SIGNING_CONTEXT "ceremony-vault-log-v1\n"
#define VAULT_LOG_SIGNING_CONTEXT_BYTES (sizeof(VAULT_LOG_SIGNING_CONTEXT) - 1)
#define VAULT_LOG_PUBLIC_KEY_BYTES 32
#define VAULT_LOG_SIGNATURE_BYTES 64
#define VAULT_LOG_SIGNATURE_CHARS 88 /* padded base64 of 64 bytes */
#define VAULT_LOG_HASH_BYTES 32
#define VAULT_LOG_FINGERPRINT_BYTES 32
/* Field bounds (bytes). who: printable ASCII but space, '"' and '\'. op: a-z 0-9 '-', starting with
 * a letter. label: a-z 0-9 '.' '_' '-', starting with a letter or digit. detail: UTF-8 text without
 * control characters. */
#define VAULT_LOG_WHO_MAX 128
#define VAULT_LOG_OP_MAX 32
#define VAULT_LOG_LABEL_MAX 64
#define VAULT_LOG_DETAIL_MAX 1024
/* 2^53 - 1: every seq stays exact in tools that read JSON numbers as doubles (jq). */
#define VAULT_LOG_SEQ_MAX 9007199254740991ull
/* Times from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
#define VAULT_LOG_TIME_MAX 253402300799ll

/* The operations the vault logs. The format accepts any op of the grammar above; these are the
 * ones the vault writes and the verifier joins with the evidence. */
#define VAULT_LOG_OP_INIT "init"
#define VAULT_LOG_OP_UNSEAL_SHARE "unseal-share"
#define VAULT_LOG_OP_UNSEAL "unseal"
#define VAULT_LOG_OP_SEAL "seal"
#define VAULT_LOG_OP_GENERATE "generate"
#define VAULT_LOG_OP_EXPORT "export"
#define VAULT_LOG_OP_SIGN "sign"
#define VAULT_LOG_OP_DESTROY "destroy"
#define VAULT_LOG_OP_REFUSE "refuse"
#define VAULT_LOG_OP_SELF_TEST "self-test"
#define VAULT_LOG_OP_SERVE "serve"
#define VAULT_LOG_OP_RECOVER "recover" /* the log discarded a torn final line when it was opened */

/* Zero is no outcome, so a zeroed entry is refused rather than logged as a success. */
enum vault_log_outcome {
	VAULT_LOG_OUTCOME_OK = 1,
	VAULT_LOG_OUTCOME_REFUSED,
	VAULT_LOG_OUTCOME_FAILED,
};

/* "ok", "refused", "failed"; NULL for anything else. */
const char *vault_log_outcome_name(enum vault_log_outcome outcome);

/* One operation. All pointers are borrowed. Never put a secret in any field. */
struct vault_log_entry {
	int64_t time; /* seconds since 1970, UTC; when appending, 0 means now */
	const char *who; /* the participant or the process that asked */
	const char *op; /* VAULT_LOG_OP_... */
	const char *label; /* the key's label, or NULL */
	const uint8_t *fingerprint; /* VAULT_LOG_FINGERPRINT_BYTES (SHA-256 of the key's SPKI), or NULL */
	enum vault_log_outcome outcome;
	const char *detail; /* free text for people, or NULL; "" counts as NULL */
	/* VAULT_LOG_PUBLIC_KEY_BYTES: the session key this audit-signed line certifies, or NULL
	 * (docs/formats/vault-log.md, "Session keys"). */
	const uint8_t *certifies;
};

/* Can `who` name the asker of a line (the WHO grammar above)? 1 or 0; sets no error. */
int vault_log_who_ok(const char *who);

/* ---- reading and verifying (common/vault_log_read.c) ---- */

/* One verified line, as vault_log_each() hands it over: everything borrowed, valid during the call. */
struct vault_log_line {
	uint64_t seq; /* its line number is seq + 1 */
	const uint8_t *signer; /* the session key that signed it, or NULL: the audit key */
	struct vault_log_entry entry; /* entry.time parsed from "time"; absent fields NULL */
	const char *time_text; /* "YYYY-MM-DDTHH:MM:SSZ" as written */
	uint8_t prev[VAULT_LOG_HASH_BYTES];
	uint8_t hash[VAULT_LOG_HASH_BYTES]; /* SHA-256 of bytes[0..len) */
	const uint8_t *bytes; /* the line's exact bytes, without its newline */
	size_t len;
};

/* A non-zero return (a negative cer_err) stops the walk and is returned by vault_log_each(). */
typedef int (*vault_log_each_fn)(void *ctx, const struct vault_log_line *line);

struct vault_log_result {
	uint64_t entries; /* lines verified */
	uint8_t head[VAULT_LOG_HASH_BYTES]; /* SHA-256 of the last line; zeros when the log is empty */
	uint64_t bad_line; /* 0, or on refusal the 1-based number of the first bad line */
	/* Lines signed by a session key that no audit-signed line certifies (before or after them):
	 * authentic as a chain, not as the vault's word. The first such line (1-based), 0 when none. */
	uint64_t uncertified_lines;
	uint64_t first_uncertified_line;
};

/* Verify the log at `path` line by line, in bounded memory (one read buffer, one line parsed at a
 * time): each line must end with "\n", be at most VAULT_LOG_LINE_MAX bytes, be JSON that jansson
 * accepts with duplicate keys rejected, in the canonical form above (field set, order, types,
 * bounds), have seq = its line number - 1, prev = the SHA-256 of the line before it (64 zeros for
 * line 1), and sig verifying under `audit_pub`. The first bad line is named and the walk stops:
 *   "PATH: line 17: prev does not match the hash of line 16"
 * CER_ERR_FORMAT for a line that is not well-formed (incomplete, too long, not JSON, unknown or
 * missing field, wrong type or value); CER_ERR_UNSUPPORTED for a "v" other than 1; CER_ERR_VERIFY
 * for seq, prev or signature; CER_ERR_NOT_FOUND / CER_ERR_IO when the file cannot be read. An
 * empty file is a valid empty log. `result` (optional) is filled on success; on refusal only its
 * bad_line is meaningful. */
__attribute__((warn_unused_result)) int vault_log_verify(const char *path,
                                                         const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES],
                                                         struct vault_log_result *result);

/* vault_log_verify(), handing each line to `fn` once that line has passed every check (signature,
 * seq, prev). A later line can still fail: the log is authentic only if this returns 0, so a
 * caller that collects entries (the verifier's joins) must treat its collection as void otherwise. */
__attribute__((warn_unused_result)) int vault_log_each(const char *path,
                                                       const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES],
                                                       vault_log_each_fn fn, void *ctx,
                                                       struct vault_log_result *result);

#endif
