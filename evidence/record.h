/* Records: what happened at one step, as the exact bytes people sign (docs/formats/record.md).
 *
 * A record is an XML document in namespace RECORD_NAMESPACE, version RECORD_VERSION. Its signed
 * bytes are exactly the bytes stored in the evidence repository: there is no canonicalization, so
 * record_parse() reads fields out of the bytes and record_serialize() is only used to make them.
 * Every field a decision is made from is inside these bytes (DESIGN.md section 5). */
#ifndef CEREMONY_EVIDENCE_RECORD_H
#define CEREMONY_EVIDENCE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "evidence/roster.h"

#define RECORD_NAMESPACE "urn:ceremony:record:1"
#define RECORD_VERSION "1"
#define RECORD_BYTES_MAX (256 * 1024)
#define RECORD_ID_MAX 64 /* ceremony ids and step ids */
#define RECORD_SEQUENCE_MAX 99999999u
#define RECORD_TIME_CHARS 20 /* "YYYY-MM-DDTHH:MM:SSZ" */
#define RECORD_VALUES_MAX 64
#define RECORD_VALUE_MAX 4096
#define RECORD_NOTE_MAX 16384
/* An attachment (a photo, a firmware image) the recorder hashes, and keeps when the scenario says so,
 * is at most this; the verifier reads a kept one within the same bound. */
#define RECORD_ATTACHMENT_MAX (64 * 1024 * 1024)

#define RECORD_ATTACHMENTS_MAX 16
#define RECORD_INCIDENT_TEXT_MAX 4096

enum record_type {
	RECORD_GENESIS, /* sequence 0: ceremony id, scenario hash, the roster, the recorder */
	RECORD_STEP, /* one scripted step and what it captured */
	RECORD_CLOSE, /* the last record: after it nothing can be appended */
	RECORD_INCIDENT, /* something the script did not plan: the session is invalid from here */
	RECORD_RESTART, /* opens the next session (its number is the record's session) */
};

struct record_value {
	char *name;
	char *value;
};

/* A file hashed into the record; `stored` when a copy sits beside the record in the evidence. */
struct record_attachment {
	char *name;
	uint8_t sha256[32];
	uint64_t size;
	int stored;
};

/* A vault operation the record's step asked for, and where the vault logged it (the join with the
 * vault log: docs/formats/record.md, "Vault operations"). Only public values: the share itself never
 * leaves the vault, its public verification point s_i*G does. Absent optional fields are empty
 * strings, zero or has_* = 0. */
#define RECORD_VAULT_OPS_MAX 40
#define RECORD_VAULT_OP_NAME_MAX 32
#define RECORD_VAULT_LABEL_MAX 64
#define RECORD_VAULT_ALG_MAX 16
#define RECORD_VAULT_LOG_SEQ_MAX 9007199254740991ull /* the vault log's bound, 2^53 - 1 */
#define RECORD_VAULT_SHARE_INDEX_MAX 32
struct record_vault_op {
	char op[RECORD_VAULT_OP_NAME_MAX + 1]; /* the vault log's op: generate, export, sign, ... */
	char outcome[8]; /* ok, refused, failed */
	uint64_t log_seq; /* the vault log line that records it */
	uint8_t log_hash[32]; /* and its SHA-256 */
	char who[ROSTER_ID_MAX + 1]; /* unseal-share: the key master */
	unsigned share_index; /* unseal-share: 1..32; 0 when absent */
	int has_point;
	uint8_t share_point[32]; /* unseal-share: s_i * G */
	char label[RECORD_VAULT_LABEL_MAX + 1];
	char algorithm[RECORD_VAULT_ALG_MAX + 1];
	int has_fingerprint;
	uint8_t fingerprint[32]; /* SHA-256 of the key's DER SubjectPublicKeyInfo */
	int has_message;
	uint8_t message_sha256[32]; /* sign: what was signed */
	int has_signature;
	uint8_t signature_sha256[32]; /* sign: the signature */
	int has_vault;
	uint8_t vault_id[32]; /* init: the vault made (vault.json's id) */
	uint8_t audit_key[32]; /* init: its audit public key */
};

/* Why an incident was recorded: declared by a person, or detected by the recorder. */
enum incident_kind {
	INCIDENT_DECLARED,
	INCIDENT_OUT_OF_ORDER,
	INCIDENT_SIGNOFF_NOT_ALLOWED,
	INCIDENT_VALUE_MISMATCH,
	INCIDENT_SIGNATURE_FAILED,
	INCIDENT_VAULT_REFUSED, /* the vault refused or failed an operation a step asked for */
};

struct record {
	char ceremony[RECORD_ID_MAX + 1];
	uint8_t scenario_sha256[32];
	uint32_t session;
	uint32_t sequence;
	uint8_t previous_sha256[32]; /* all zero in the genesis record */
	char step[RECORD_ID_MAX + 1];
	enum record_type type;
	char time[RECORD_TIME_CHARS + 1];
	char actor[ROSTER_ID_MAX + 1];

	/* genesis payload */
	struct roster *roster;
	char *recorder_version;
	char *recorder_build;
	int has_vault; /* the ceremony's vault (genesis): its id and audit public key */
	uint8_t vault_id[32];
	uint8_t vault_audit_key[32];

	/* step, close, incident and restart payload */
	struct record_value *values;
	size_t value_count;
	struct record_attachment *attachments;
	size_t attachment_count;
	struct record_vault_op *vault_ops; /* the vault operations this record reports, in order */
	size_t vault_op_count;
	int confirmed; /* the step's explicit "Yes" was given */
	int has_incident;
	enum incident_kind incident_kind;
	char *incident_expected;
	char *incident_happened;
	char *note; /* or NULL */
};

/* "declared", "out-of-order", ...; NULL for an unknown value. */
const char *incident_kind_name(enum incident_kind kind);

/* Add an attachment (name copied). Names are ids; at most RECORD_ATTACHMENTS_MAX. */
__attribute__((warn_unused_result)) int record_add_attachment(struct record *record, const char *name,
                                                              const uint8_t sha256[32], uint64_t size, int stored);

/* Append a vault operation (copied), checked: op and outcome from the vault log's grammar, label,
 * algorithm and who as ids; at most RECORD_VAULT_OPS_MAX. */
__attribute__((warn_unused_result)) int record_add_vault_op(struct record *record, const struct record_vault_op *op);
/* Set the incident payload (texts copied). */
__attribute__((warn_unused_result)) int record_set_incident(struct record *record, enum incident_kind kind,
                                                            const char *expected, const char *happened);

/* "genesis", "step", "close", "incident", "restart"; NULL for an unknown value. */
const char *record_type_name(enum record_type type);

/* A zeroed record to fill in; free with record_free(). */
__attribute__((warn_unused_result)) int record_new(struct record **out);
void record_free(struct record *record);

/* Add a captured value (copied). Names are ids ([a-z0-9._-]); values are text without control characters. */
__attribute__((warn_unused_result)) int record_add_value(struct record *record, const char *name, const char *value);

/* The current time as RECORD_TIME_CHARS characters of UTC. */
void record_time_now(char out[RECORD_TIME_CHARS + 1]);

/* Serialize a record to its signed bytes (appended to `out`). Checks every field first. */
__attribute__((warn_unused_result)) int record_serialize(const struct record *record, struct buf *out);

/* Parse and check signed record bytes. Refuses anything not exactly of the format: unknown
 * elements or attributes, wrong version, malformed fields, a payload that does not fit the type. */
__attribute__((warn_unused_result)) int record_parse(struct record **out, const uint8_t *bytes, size_t len);

#endif
