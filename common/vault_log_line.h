/* Internal to the vault log's writer (vault/log.c) and reader (common/vault_log_read.c): one line's
 * grammar, shared so that the two cannot drift apart. */
#ifndef CEREMONY_COMMON_VAULT_LOG_LINE_H
#define CEREMONY_COMMON_VAULT_LOG_LINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/vault_log.h"

#define LOG_TIME_CHARS 20 /* "YYYY-MM-DDTHH:MM:SSZ" */
#define LOG_SIG_MEMBER_PREFIX ",\"sig\":\""
#define LOG_SIG_MEMBER_PREFIX_BYTES (sizeof(LOG_SIG_MEMBER_PREFIX) - 1)
/* ,"sig":"<88 base64>"} */
#define LOG_SIG_SUFFIX_BYTES (LOG_SIG_MEMBER_PREFIX_BYTES + VAULT_LOG_SIGNATURE_CHARS + 2)
/* The most bytes a signed message can have: the context, a line's body and its closing brace. */
#define LOG_MESSAGE_MAX (VAULT_LOG_SIGNING_CONTEXT_BYTES + VAULT_LOG_LINE_MAX + 1)

/* A line parsed and checked on its own (not against its neighbours, not its signature). The entry's
 * strings borrow from `root`. */
struct vault_log_parsed {
	json_t *root; /* owned */
	uint64_t seq;
	struct vault_log_entry entry;
	const char *time_text;
	uint8_t fingerprint[VAULT_LOG_FINGERPRINT_BYTES];
	uint8_t certifies[VAULT_LOG_PUBLIC_KEY_BYTES];
	uint8_t signer[VAULT_LOG_PUBLIC_KEY_BYTES]; /* meaningful when has_signer */
	int has_signer; /* signed by the session key `signer`, not by the audit key */
	uint8_t prev[VAULT_LOG_HASH_BYTES];
	uint8_t sig[VAULT_LOG_SIGNATURE_BYTES];
	size_t body_len; /* bytes before ,"sig":" */
};

/* Parse `len` bytes (no newline) and check everything a line can be checked for alone: JSON
 * (jansson, duplicates rejected), "v" first and 1, the canonical lexical form, the field set and
 * order, each field's type and grammar. Errors (CER_ERR_FORMAT, CER_ERR_UNSUPPORTED) say what is
 * wrong without naming the line: the caller adds that. On success the caller releases it with
 * vault_log_parsed_clear(); on failure nothing is left to release. */
__attribute__((warn_unused_result)) int vault_log_parse_line(struct vault_log_parsed *out, const uint8_t *line,
                                                             size_t len);
void vault_log_parsed_clear(struct vault_log_parsed *line);

/* Does the signature of `parsed` (the parse of `line`) verify over the line's body under the key
 * that must have made it: the session key the line names in "signer", else `audit_pub`?
 * CER_ERR_VERIFY "bad signature ..." when not. A session key's signature only says the line was not
 * changed since; whether that key was the vault's is the certification's business (vault_log_read.c). */
__attribute__((warn_unused_result)) int vault_log_check_signature(const uint8_t *line,
                                                                  const struct vault_log_parsed *parsed,
                                                                  const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES]);

/* The signed message: context || line[0..body_len) || "}" into `msg` (LOG_MESSAGE_MAX bytes). */
size_t vault_log_signed_message(uint8_t *msg, const uint8_t *line, size_t body_len);

/* Field grammars (the writer refuses what the reader would). CER_ERR_FORMAT naming the field. */
__attribute__((warn_unused_result)) int vault_log_check_who(const char *s, size_t len);
__attribute__((warn_unused_result)) int vault_log_check_op(const char *s, size_t len);
__attribute__((warn_unused_result)) int vault_log_check_label(const char *s, size_t len);
__attribute__((warn_unused_result)) int vault_log_check_detail(const char *s, size_t len, int check_utf8);

/* "YYYY-MM-DDTHH:MM:SSZ" <-> seconds since 1970, for 1970..9999. */
__attribute__((warn_unused_result)) int vault_log_time_parse(const char *s, size_t len, int64_t *out);
__attribute__((warn_unused_result)) int vault_log_time_format(int64_t t, char out[LOG_TIME_CHARS + 1]);

#endif
