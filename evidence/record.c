#include "evidence/record.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/xml.h"

#define NS RECORD_NAMESPACE

static const char *const type_names[] = {
        [RECORD_GENESIS] = "genesis",   [RECORD_STEP] = "step",       [RECORD_CLOSE] = "close",
        [RECORD_INCIDENT] = "incident", [RECORD_RESTART] = "restart",
};

static const char *const incident_names[] = {
        [INCIDENT_DECLARED] = "declared",
        [INCIDENT_OUT_OF_ORDER] = "out-of-order",
        [INCIDENT_SIGNOFF_NOT_ALLOWED] = "signoff-not-allowed",
        [INCIDENT_VALUE_MISMATCH] = "value-mismatch",
        [INCIDENT_SIGNATURE_FAILED] = "signature-failed",
        [INCIDENT_VAULT_REFUSED] = "vault-refused",
};
#define INCIDENT_KIND_COUNT (sizeof(incident_names) / sizeof(incident_names[0]))

const char *incident_kind_name(enum incident_kind kind)
{
	return (size_t)kind < INCIDENT_KIND_COUNT ? incident_names[kind] : NULL;
}

const char *record_type_name(enum record_type type)
{
	if ((size_t)type >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[type];
}

int record_new(struct record **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	return 0;
}

void record_free(struct record *record)
{
	if (record == NULL)
		return;
	roster_free(record->roster);
	free(record->recorder_version);
	free(record->recorder_build);
	for (size_t i = 0; i < record->value_count; i++) {
		free(record->values[i].name);
		free(record->values[i].value);
	}
	free(record->values);
	for (size_t i = 0; i < record->attachment_count; i++)
		free(record->attachments[i].name);
	free(record->attachments);
	free(record->vault_ops);
	free(record->incident_expected);
	free(record->incident_happened);
	free(record->note);
	free(record);
}

/* Ceremony ids, step ids and value names share the participant id alphabet. */
static int id_valid(const char *id)
{
	return roster_id_valid(id, strlen(id));
}

static int text_valid(const char *text, size_t max)
{
	size_t len = strlen(text);

	if (len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 && text[i] != '\t' && text[i] != '\n')
			return 0;
	return 1;
}

int record_add_value(struct record *record, const char *name, const char *value)
{
	struct record_value *grown;

	if (!id_valid(name))
		return err_set(CER_ERR_USAGE, "value name \"%s\" is not an id (a-z, 0-9, '.', '_', '-')", name);
	if (!text_valid(value, RECORD_VALUE_MAX))
		return err_set(CER_ERR_USAGE, "value of %s is longer than %d bytes or holds control characters", name,
		               RECORD_VALUE_MAX);
	if (record->value_count >= RECORD_VALUES_MAX)
		return err_set(CER_ERR_USAGE, "more than %d values in one record", RECORD_VALUES_MAX);
	for (size_t i = 0; i < record->value_count; i++)
		if (strcmp(record->values[i].name, name) == 0)
			return err_set(CER_ERR_USAGE, "value %s given twice", name);
	grown = realloc(record->values, (record->value_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	record->values = grown;
	grown[record->value_count].name = strdup(name);
	grown[record->value_count].value = strdup(value);
	record->value_count++;
	if (grown[record->value_count - 1].name == NULL || grown[record->value_count - 1].value == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	return 0;
}

int record_add_attachment(struct record *record, const char *name, const uint8_t sha256[32], uint64_t size, int stored)
{
	struct record_attachment *grown;

	if (!id_valid(name))
		return err_set(CER_ERR_USAGE, "attachment name \"%s\" is not an id (a-z, 0-9, '.', '_', '-')", name);
	if (record->attachment_count >= RECORD_ATTACHMENTS_MAX)
		return err_set(CER_ERR_USAGE, "more than %d attachments in one record", RECORD_ATTACHMENTS_MAX);
	for (size_t i = 0; i < record->attachment_count; i++)
		if (strcmp(record->attachments[i].name, name) == 0)
			return err_set(CER_ERR_USAGE, "attachment %s given twice", name);
	grown = realloc(record->attachments, (record->attachment_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	record->attachments = grown;
	grown += record->attachment_count;
	if ((grown->name = strdup(name)) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	memcpy(grown->sha256, sha256, 32);
	grown->size = size;
	grown->stored = stored != 0;
	record->attachment_count++;
	return 0;
}

/* The vault log's op grammar: [a-z][a-z0-9-]{0,31}. */
static int record_vault_op_name_ok(const char *op)
{
	size_t len = strlen(op);

	if (len == 0 || len > RECORD_VAULT_OP_NAME_MAX || !(op[0] >= 'a' && op[0] <= 'z'))
		return 0;
	return strspn(op, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

static int record_vault_op_ok(const struct record_vault_op *op)
{
	return record_vault_op_name_ok(op->op) &&
	       (strcmp(op->outcome, "ok") == 0 || strcmp(op->outcome, "refused") == 0 ||
	        strcmp(op->outcome, "failed") == 0) &&
	       op->log_seq <= RECORD_VAULT_LOG_SEQ_MAX &&
	       (op->who[0] == '\0' || roster_id_valid(op->who, strlen(op->who))) &&
	       op->share_index <= RECORD_VAULT_SHARE_INDEX_MAX && (op->label[0] == '\0' || id_valid(op->label)) &&
	       (op->algorithm[0] == '\0' || (id_valid(op->algorithm) && strlen(op->algorithm) <= RECORD_VAULT_ALG_MAX));
}

int record_add_vault_op(struct record *record, const struct record_vault_op *op)
{
	struct record_vault_op *grown;

	if (!record_vault_op_ok(op))
		return err_set(CER_ERR_USAGE, "malformed vault operation \"%.32s\"", op->op);
	if (record->vault_op_count >= RECORD_VAULT_OPS_MAX)
		return err_set(CER_ERR_USAGE, "more than %d vault operations in one record", RECORD_VAULT_OPS_MAX);
	grown = realloc(record->vault_ops, (record->vault_op_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	record->vault_ops = grown;
	record->vault_ops[record->vault_op_count++] = *op;
	return 0;
}

int record_set_incident(struct record *record, enum incident_kind kind, const char *expected, const char *happened)
{
	if (incident_kind_name(kind) == NULL)
		return err_set(CER_ERR_USAGE, "unknown incident kind");
	if (!text_valid(expected, RECORD_INCIDENT_TEXT_MAX) || !text_valid(happened, RECORD_INCIDENT_TEXT_MAX))
		return err_set(CER_ERR_USAGE, "incident text longer than %d bytes or holding control characters",
		               RECORD_INCIDENT_TEXT_MAX);
	free(record->incident_expected);
	free(record->incident_happened);
	record->incident_expected = strdup(expected);
	record->incident_happened = strdup(happened);
	if (record->incident_expected == NULL || record->incident_happened == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	record->has_incident = 1;
	record->incident_kind = kind;
	return 0;
}

void record_time_now(char out[RECORD_TIME_CHARS + 1])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, RECORD_TIME_CHARS + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int time_valid(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int year, month, day;

	if (strlen(t) != RECORD_TIME_CHARS)
		return 0;
	for (size_t i = 0; i < RECORD_TIME_CHARS; i++) {
		if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
			return 0;
	}
#define TWO(i) ((t[i] - '0') * 10 + (t[(i) + 1] - '0'))
	year = TWO(0) * 100 + TWO(2);
	month = TWO(5);
	day = TWO(8);
	if (month < 1 || month > 12 || day < 1 || day > days[month - 1] ||
	    (month == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))))
		return 0;
	/* Leap seconds (:60) do not occur in records: they come from time(), which never shows them. */
	return TWO(11) <= 23 && TWO(14) <= 59 && TWO(17) <= 59;
#undef TWO
}

/* ---- serialize ---- */

static int put_element(struct buf *out, const char *indent, const char *name, const char *text)
{
	int r;

	if ((r = buf_printf(out, "%s<%s>", indent, name)) != 0 || (r = xml_escape_append(out, text)) != 0)
		return r;
	return buf_printf(out, "</%s>\n", name);
}

static int put_hex(struct buf *out, const char *name, const uint8_t digest[32])
{
	char hex[65];

	hex_encode(digest, 32, hex);
	return put_element(out, "  ", name, hex);
}

static int serialize_genesis_payload(const struct record *record, struct buf *out)
{
	struct buf line = buf_make(1024);
	int r = 0;

	if (record->roster == NULL || record->roster->participant_count == 0)
		return err_set(CER_ERR_USAGE, "a genesis record needs a roster");
	/* Attributes lose tabs and newlines to XML's normalization: refuse them, so what is read back is
	 * what was written. */
	if (record->recorder_version == NULL || record->recorder_build == NULL ||
	    !text_valid(record->recorder_version, 128) || !text_valid(record->recorder_build, 128) ||
	    strpbrk(record->recorder_version, "\t\n") != NULL || strpbrk(record->recorder_build, "\t\n") != NULL)
		return err_set(CER_ERR_USAGE, "a genesis record needs the recorder's version and build");
	if ((r = buf_append_str(out, "    <roster>\n")) != 0)
		return r;
	for (size_t p = 0; p < record->roster->participant_count && r == 0; p++) {
		r = buf_printf(out, "      <participant id=\"%s\">\n", record->roster->participants[p]);
		for (size_t k = 0; k < record->roster->key_count && r == 0; k++) {
			if (record->roster->keys[k].participant != p)
				continue;
			buf_reset(&line);
			if ((r = sshkey_public_format_line(&record->roster->keys[k].key, &line)) == 0)
				r = put_element(out, "        ", "key", (const char *)line.data);
		}
		if (r == 0)
			r = buf_append_str(out, "      </participant>\n");
	}
	buf_free(&line);
	if (r == 0)
		r = buf_append_str(out, "    </roster>\n");
	if (r == 0 && record->has_vault) {
		char id[65], audit[65];
		hex_encode(record->vault_id, 32, id);
		hex_encode(record->vault_audit_key, 32, audit);
		r = buf_printf(out, "    <vault id=\"%s\" audit-key=\"%s\"/>\n", id, audit);
	}
	if (r == 0)
		r = buf_append_str(out, "    <recorder version=\"");
	if (r == 0)
		r = xml_escape_append(out, record->recorder_version);
	if (r == 0)
		r = buf_append_str(out, "\" build=\"");
	if (r == 0)
		r = xml_escape_append(out, record->recorder_build);
	if (r == 0)
		r = buf_append_str(out, "\"/>\n");
	return r;
}

/* ` name="HEX"` */
static int put_hex_attribute(struct buf *out, const char *name, const uint8_t digest[32])
{
	char hex[65];

	hex_encode(digest, 32, hex);
	return buf_printf(out, " %s=\"%s\"", name, hex);
}

/* <vault-operation op= outcome= log-seq= log-hash= [who=] [share-index=] [share-point=] [label=]
 * [algorithm=] [fingerprint=] [message-sha256=] [signature-sha256=] [vault-id= audit-key=]/>, attributes in
 * that order. */
static int serialize_vault_op(const struct record_vault_op *op, struct buf *out)
{
	int r;

	if (!record_vault_op_ok(op))
		return err_set(CER_ERR_USAGE, "malformed vault operation \"%.32s\"", op->op);
	if ((r = buf_printf(out, "    <vault-operation op=\"%s\" outcome=\"%s\" log-seq=\"%llu\"", op->op, op->outcome,
	                    (unsigned long long)op->log_seq)) != 0 ||
	    (r = put_hex_attribute(out, "log-hash", op->log_hash)) != 0)
		return r;
	if (op->who[0] != '\0' && (r = buf_printf(out, " who=\"%s\"", op->who)) != 0)
		return r;
	if (op->share_index != 0 && (r = buf_printf(out, " share-index=\"%u\"", op->share_index)) != 0)
		return r;
	if (op->has_point && (r = put_hex_attribute(out, "share-point", op->share_point)) != 0)
		return r;
	if (op->label[0] != '\0' && (r = buf_printf(out, " label=\"%s\"", op->label)) != 0)
		return r;
	if (op->algorithm[0] != '\0' && (r = buf_printf(out, " algorithm=\"%s\"", op->algorithm)) != 0)
		return r;
	if (op->has_fingerprint && (r = put_hex_attribute(out, "fingerprint", op->fingerprint)) != 0)
		return r;
	if (op->has_message && (r = put_hex_attribute(out, "message-sha256", op->message_sha256)) != 0)
		return r;
	if (op->has_signature && (r = put_hex_attribute(out, "signature-sha256", op->signature_sha256)) != 0)
		return r;
	if (op->has_vault && ((r = put_hex_attribute(out, "vault-id", op->vault_id)) != 0 ||
	                      (r = put_hex_attribute(out, "audit-key", op->audit_key)) != 0))
		return r;
	return buf_append_str(out, "/>\n");
}

static int serialize_step_payload(const struct record *record, struct buf *out)
{
	int r = 0;

	if ((record->type == RECORD_INCIDENT) != (record->has_incident != 0))
		return err_set(CER_ERR_USAGE, "an incident record, and only it, carries <incident>");
	for (size_t i = 0; i < record->value_count && r == 0; i++) {
		if ((r = buf_printf(out, "    <value name=\"%s\">", record->values[i].name)) == 0 &&
		    (r = xml_escape_append(out, record->values[i].value)) == 0)
			r = buf_append_str(out, "</value>\n");
	}
	for (size_t i = 0; i < record->attachment_count && r == 0; i++) {
		char hex[65];
		hex_encode(record->attachments[i].sha256, 32, hex);
		r = buf_printf(out, "    <attachment name=\"%s\" sha256=\"%s\" size=\"%llu\" stored=\"%s\"/>\n",
		               record->attachments[i].name, hex, (unsigned long long)record->attachments[i].size,
		               record->attachments[i].stored ? "true" : "false");
	}
	for (size_t i = 0; i < record->vault_op_count && r == 0; i++)
		r = serialize_vault_op(&record->vault_ops[i], out);
	if (r == 0 && record->confirmed)
		r = buf_append_str(out, "    <confirmed/>\n");
	if (r == 0 && record->has_incident) {
		if ((r = buf_printf(out, "    <incident kind=\"%s\">\n", incident_kind_name(record->incident_kind))) ==
		            0 &&
		    (r = put_element(out, "      ", "expected", record->incident_expected)) == 0 &&
		    (r = put_element(out, "      ", "happened", record->incident_happened)) == 0)
			r = buf_append_str(out, "    </incident>\n");
	}
	if (r == 0 && record->note != NULL) {
		if (!text_valid(record->note, RECORD_NOTE_MAX))
			return err_set(CER_ERR_USAGE, "note longer than %d bytes or holding control characters",
			               RECORD_NOTE_MAX);
		r = put_element(out, "    ", "note", record->note);
	}
	return r;
}

static int check_header_fields(const struct record *record)
{
	if (!id_valid(record->ceremony))
		return err_set(CER_ERR_USAGE, "ceremony id \"%s\" is not 1-64 characters of a-z, 0-9, '.', '_', '-'",
		               record->ceremony);
	if (!id_valid(record->step))
		return err_set(CER_ERR_USAGE, "step id \"%s\" is not 1-64 characters of a-z, 0-9, '.', '_', '-'",
		               record->step);
	if (!roster_id_valid(record->actor, strlen(record->actor)))
		return err_set(CER_ERR_USAGE, "actor \"%s\" is not a participant id", record->actor);
	if (record->sequence > RECORD_SEQUENCE_MAX || record->session == 0)
		return err_set(CER_ERR_USAGE, "sequence or session out of range");
	if (!time_valid(record->time))
		return err_set(CER_ERR_USAGE, "time \"%s\" is not YYYY-MM-DDTHH:MM:SSZ", record->time);
	if (record_type_name(record->type) == NULL)
		return err_set(CER_ERR_USAGE, "unknown record type");
	if ((record->type == RECORD_GENESIS) != (record->sequence == 0))
		return err_set(CER_ERR_USAGE, "the genesis record is sequence 0, and only it");
	return 0;
}

int record_serialize(const struct record *record, struct buf *out)
{
	int r;

	if ((r = check_header_fields(record)) != 0)
		return r;
	if ((r = buf_append_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                             "<record xmlns=\"" NS "\" version=\"" RECORD_VERSION "\">\n")) != 0 ||
	    (r = put_element(out, "  ", "ceremony", record->ceremony)) != 0 ||
	    (r = put_hex(out, "scenario-sha256", record->scenario_sha256)) != 0 ||
	    (r = buf_printf(out, "  <session>%u</session>\n  <sequence>%u</sequence>\n", record->session,
	                    record->sequence)) != 0 ||
	    (r = put_hex(out, "previous-sha256", record->previous_sha256)) != 0 ||
	    (r = put_element(out, "  ", "step", record->step)) != 0 ||
	    (r = put_element(out, "  ", "type", record_type_name(record->type))) != 0 ||
	    (r = put_element(out, "  ", "time", record->time)) != 0 ||
	    (r = put_element(out, "  ", "actor", record->actor)) != 0 ||
	    (r = buf_append_str(out, "  <payload>\n")) != 0)
		return r;
	r = record->type == RECORD_GENESIS ? serialize_genesis_payload(record, out)
	                                   : serialize_step_payload(record, out);
	if (r != 0)
		return r;
	if ((r = buf_append_str(out, "  </payload>\n</record>\n")) != 0)
		return r;
	if (out->len > RECORD_BYTES_MAX)
		return err_set(CER_ERR_USAGE, "record larger than %d bytes", RECORD_BYTES_MAX);
	return 0;
}

/* ---- parse ---- */

/* The text of the next element `name`, copied into a fixed field of `size` bytes. */
static int take_text(xmlNode **cursor, const char *name, char *field, size_t size)
{
	static const char *const none[] = {NULL};
	xmlNode *el;
	char *text = NULL;
	int r;

	if ((r = xml_expect(cursor, NS, name, &el)) != 0 || (r = xml_check_attributes(el, none)) != 0 ||
	    (r = xml_text(el, size - 1, &text)) != 0)
		return r;
	memcpy(field, text, strlen(text) + 1);
	free(text);
	return 0;
}

static int take_id(xmlNode **cursor, const char *name, char *field, size_t size)
{
	int r;

	if ((r = take_text(cursor, name, field, size)) != 0)
		return r;
	if (!roster_id_valid(field, strlen(field)))
		return err_set(CER_ERR_FORMAT, "<%s> \"%s\" is not an id (a-z, 0-9, '.', '_', '-')", name, field);
	return 0;
}

static int take_digest(xmlNode **cursor, const char *name, uint8_t digest[32])
{
	char hex[65];
	int r;

	if ((r = take_text(cursor, name, hex, sizeof(hex))) != 0)
		return r;
	for (const char *p = hex; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return err_set(CER_ERR_FORMAT, "<%s> is not 64 lower-case hex digits", name);
	if (hex_decode_exact(hex, strlen(hex), digest, 32) != 0)
		return err_set(CER_ERR_FORMAT, "<%s> is not 64 lower-case hex digits", name);
	return 0;
}

/* A decimal number without sign or leading zeros, at most `max`. */
static int take_number(xmlNode **cursor, const char *name, uint32_t max, uint32_t *out)
{
	char text[12];
	uint64_t v = 0;
	int r;

	if ((r = take_text(cursor, name, text, sizeof(text))) != 0)
		return r;
	if (text[0] == '\0' || (text[0] == '0' && text[1] != '\0'))
		return err_set(CER_ERR_FORMAT, "<%s> is not a decimal number without leading zeros", name);
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return err_set(CER_ERR_FORMAT, "<%s> is not a decimal number", name);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > max)
		return err_set(CER_ERR_FORMAT, "<%s> %llu is out of range (at most %u)", name, (unsigned long long)v,
		               max);
	*out = (uint32_t)v;
	return 0;
}

static int parse_participant(struct roster *roster, xmlNode *el)
{
	static const char *const id_only[] = {"id", NULL};
	static const char *const none[] = {NULL};
	xmlNode *cursor = xml_children(el), *key_el;
	char *id = NULL, *line = NULL;
	int r, keys = 0;

	if ((r = xml_check_attributes(el, id_only)) != 0 || (r = xml_attribute(el, "id", ROSTER_ID_MAX, &id)) != 0)
		return r;
	while ((r = xml_optional(&cursor, NS, "key", &key_el)) == 1) {
		struct sshkey_public key;
		keys++;
		if ((r = xml_check_attributes(key_el, none)) != 0 ||
		    (r = xml_text(key_el, SSHKEY_LINE_MAX, &line)) != 0)
			break;
		if ((r = sshkey_public_parse_line(&key, line, strlen(line))) != 0) {
			err_context(r, "line %d: participant %s", key_el->line, id);
			break;
		}
		free(line);
		line = NULL;
		if ((r = roster_add_key(roster, id, &key)) != 0) {
			err_context(r, "line %d", key_el->line);
			break;
		}
	}
	if (r == 0 && keys == 0)
		r = err_set(CER_ERR_FORMAT, "line %d: participant %s has no key", el->line, id);
	if (r == 0)
		r = xml_expect_end(&cursor, NS, el);
	free(line);
	free(id);
	return r;
}

static int attribute_text_valid(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p < 0x20)
			return 0;
	return 1;
}

/* An attribute of 64 lower-case hex digits into `digest`. Absent: refused when `required`, else
 * *present (optional) is 0. */
static int hex_attribute(const xmlNode *el, const char *name, int required, uint8_t digest[32], int *present)
{
	char *hex = NULL;
	int r;

	if (present != NULL)
		*present = 0;
	if (!required && xmlHasProp((xmlNode *)(uintptr_t)el, (const xmlChar *)name) == NULL)
		return 0;
	if ((r = xml_attribute(el, name, 64, &hex)) != 0)
		return r;
	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64 || hex_decode_exact(hex, 64, digest, 32) != 0)
		r = err_set(CER_ERR_FORMAT, "line %d: %s is not 64 lower-case hex digits", el->line, name);
	else if (present != NULL)
		*present = 1;
	free(hex);
	return r;
}

/* An optional attribute copied into a fixed field ("" when absent). */
static int text_attribute(const xmlNode *el, const char *name, char *field, size_t size)
{
	char *text = NULL;
	int r;

	field[0] = '\0';
	if (xmlHasProp((xmlNode *)(uintptr_t)el, (const xmlChar *)name) == NULL)
		return 0;
	if ((r = xml_attribute(el, name, size - 1, &text)) != 0)
		return r;
	memcpy(field, text, strlen(text) + 1);
	free(text);
	return 0;
}

/* A decimal number without sign or leading zeros, at most `max`. */
static int number_attribute(const xmlNode *el, const char *name, int required, uint64_t max, uint64_t *out)
{
	char text[24];
	uint64_t n = 0;
	int r;

	*out = 0;
	if ((r = text_attribute(el, name, text, sizeof(text))) != 0)
		return r;
	if (text[0] == '\0')
		return required ? err_set(CER_ERR_FORMAT, "line %d: attribute %s is missing or empty", el->line, name)
		                : 0;
	if (strspn(text, "0123456789") != strlen(text) || (text[0] == '0' && text[1] != '\0') || strlen(text) > 16)
		return err_set(CER_ERR_FORMAT, "line %d: %s is not a decimal number", el->line, name);
	for (const char *p = text; *p; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (n > max)
		return err_set(CER_ERR_FORMAT, "line %d: %s is above %llu", el->line, name, (unsigned long long)max);
	*out = n;
	return 0;
}

static int parse_genesis_payload(struct record *record, xmlNode *payload)
{
	static const char *const none[] = {NULL};
	static const char *const recorder_attrs[] = {"version", "build", NULL};
	xmlNode *cursor = xml_children(payload), *roster_el, *recorder_el, *vault_el, *p_el, *pc;
	int r;

	if ((r = xml_expect(&cursor, NS, "roster", &roster_el)) != 0 ||
	    (r = xml_check_attributes(roster_el, none)) != 0)
		return r;
	if ((r = roster_new(&record->roster)) != 0)
		return r;
	pc = xml_children(roster_el);
	while ((r = xml_optional(&pc, NS, "participant", &p_el)) == 1)
		if ((r = parse_participant(record->roster, p_el)) != 0)
			return r;
	if (r < 0 || (r = xml_expect_end(&pc, NS, roster_el)) != 0)
		return r;
	if (record->roster->participant_count == 0)
		return err_set(CER_ERR_FORMAT, "line %d: the roster names no participant", roster_el->line);
	if ((r = xml_optional(&cursor, NS, "vault", &vault_el)) < 0)
		return r;
	if (r == 1) {
		static const char *const genesis_vault_attrs[] = {"id", "audit-key", NULL};
		if ((r = xml_check_attributes(vault_el, genesis_vault_attrs)) != 0 ||
		    (r = hex_attribute(vault_el, "id", 1, record->vault_id, NULL)) != 0 ||
		    (r = hex_attribute(vault_el, "audit-key", 1, record->vault_audit_key, NULL)) != 0)
			return r;
		if (vault_el->children != NULL)
			return err_set(CER_ERR_FORMAT, "line %d: <vault> must be empty", vault_el->line);
		record->has_vault = 1;
	}
	if ((r = xml_expect(&cursor, NS, "recorder", &recorder_el)) != 0 ||
	    (r = xml_check_attributes(recorder_el, recorder_attrs)) != 0 ||
	    (r = xml_attribute(recorder_el, "version", 128, &record->recorder_version)) != 0 ||
	    (r = xml_attribute(recorder_el, "build", 128, &record->recorder_build)) != 0)
		return r;
	/* Attribute values are not checked by xml_attribute(): a character reference (&#13;) would
	 * carry a control character into a field record_serialize() refuses. */
	if (!attribute_text_valid(record->recorder_version) || !attribute_text_valid(record->recorder_build))
		return err_set(CER_ERR_FORMAT, "line %d: control character in a <recorder> attribute",
		               recorder_el->line);
	if (recorder_el->children != NULL)
		return err_set(CER_ERR_FORMAT, "line %d: <recorder> must be empty", recorder_el->line);
	return xml_expect_end(&cursor, NS, payload);
}

/* <attachment name="ID" sha256="HEX" size="N" stored="true|false"/> */
static int parse_attachment(struct record *record, xmlNode *el)
{
	static const char *const attrs[] = {"name", "sha256", "size", "stored", NULL};
	char *name = NULL, *hex = NULL, *size = NULL, *stored = NULL;
	uint8_t digest[32];
	uint64_t n = 0;
	int r;

	if ((r = xml_check_attributes(el, attrs)) != 0 || (r = xml_attribute(el, "name", RECORD_ID_MAX, &name)) != 0 ||
	    (r = xml_attribute(el, "sha256", 64, &hex)) != 0 || (r = xml_attribute(el, "size", 20, &size)) != 0 ||
	    (r = xml_attribute(el, "stored", 5, &stored)) != 0)
		goto out;
	r = err_set(CER_ERR_FORMAT, "line %d: malformed <attachment>", el->line);
	if (el->children != NULL || strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64 ||
	    hex_decode_exact(hex, 64, digest, 32) != 0 || size[0] == '\0' ||
	    strspn(size, "0123456789") != strlen(size) || (size[0] == '0' && size[1] != '\0') || strlen(size) > 15 ||
	    (strcmp(stored, "true") != 0 && strcmp(stored, "false") != 0))
		goto out;
	for (const char *p = size; *p; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if ((r = record_add_attachment(record, name, digest, n, strcmp(stored, "true") == 0)) != 0) {
		r = CER_ERR_FORMAT;
		err_context(r, "line %d", el->line);
	}
out:
	free(name);
	free(hex);
	free(size);
	free(stored);
	return r;
}

static int parse_vault_op(struct record *record, xmlNode *el)
{
	static const char *const attrs[] = {"op",
	                                    "outcome",
	                                    "log-seq",
	                                    "log-hash",
	                                    "who",
	                                    "share-index",
	                                    "share-point",
	                                    "label",
	                                    "algorithm",
	                                    "fingerprint",
	                                    "message-sha256",
	                                    "signature-sha256",
	                                    "vault-id",
	                                    "audit-key",
	                                    NULL};
	struct record_vault_op op;
	uint64_t index = 0;
	int r;

	memset(&op, 0, sizeof(op));
	if ((r = xml_check_attributes(el, attrs)) != 0 || (r = text_attribute(el, "op", op.op, sizeof(op.op))) != 0 ||
	    (r = text_attribute(el, "outcome", op.outcome, sizeof(op.outcome))) != 0 ||
	    (r = number_attribute(el, "log-seq", 1, RECORD_VAULT_LOG_SEQ_MAX, &op.log_seq)) != 0 ||
	    (r = hex_attribute(el, "log-hash", 1, op.log_hash, NULL)) != 0 ||
	    (r = text_attribute(el, "who", op.who, sizeof(op.who))) != 0 ||
	    (r = number_attribute(el, "share-index", 0, RECORD_VAULT_SHARE_INDEX_MAX, &index)) != 0 ||
	    (r = hex_attribute(el, "share-point", 0, op.share_point, &op.has_point)) != 0 ||
	    (r = text_attribute(el, "label", op.label, sizeof(op.label))) != 0 ||
	    (r = text_attribute(el, "algorithm", op.algorithm, sizeof(op.algorithm))) != 0 ||
	    (r = hex_attribute(el, "fingerprint", 0, op.fingerprint, &op.has_fingerprint)) != 0 ||
	    (r = hex_attribute(el, "message-sha256", 0, op.message_sha256, &op.has_message)) != 0 ||
	    (r = hex_attribute(el, "signature-sha256", 0, op.signature_sha256, &op.has_signature)) != 0 ||
	    (r = hex_attribute(el, "vault-id", 0, op.vault_id, &op.has_vault)) != 0)
		return r;
	if (op.has_vault && (r = hex_attribute(el, "audit-key", 1, op.audit_key, NULL)) != 0)
		return r;
	if (!op.has_vault && xmlHasProp(el, (const xmlChar *)"audit-key") != NULL)
		return err_set(CER_ERR_FORMAT, "line %d: audit-key without vault-id", el->line);
	op.share_index = (unsigned)index;
	if (el->children != NULL)
		return err_set(CER_ERR_FORMAT, "line %d: <vault-operation> must be empty", el->line);
	if (xmlHasProp(el, (const xmlChar *)"share-index") != NULL && index == 0)
		return err_set(CER_ERR_FORMAT, "line %d: share-index must be 1 to %d", el->line,
		               RECORD_VAULT_SHARE_INDEX_MAX);
	if (!record_vault_op_ok(&op))
		return err_set(CER_ERR_FORMAT, "line %d: malformed <vault-operation>", el->line);
	if ((r = record_add_vault_op(record, &op)) != 0) {
		r = CER_ERR_FORMAT;
		err_context(r, "line %d", el->line);
	}
	return r;
}

/* <incident kind="..."><expected>text</expected><happened>text</happened></incident> */
static int parse_incident(struct record *record, xmlNode *el)
{
	static const char *const kind_only[] = {"kind", NULL};
	static const char *const none[] = {NULL};
	xmlNode *cursor = xml_children(el), *child;
	char *kind = NULL;
	int r;

	if ((r = xml_check_attributes(el, kind_only)) != 0 || (r = xml_attribute(el, "kind", 32, &kind)) != 0)
		return r;
	r = err_set(CER_ERR_FORMAT, "line %d: unknown incident kind \"%s\"", el->line, kind);
	for (size_t k = 0; k < INCIDENT_KIND_COUNT; k++)
		if (strcmp(kind, incident_names[k]) == 0) {
			record->incident_kind = (enum incident_kind)k;
			r = 0;
		}
	free(kind);
	if (r != 0)
		return r;
	if ((r = xml_expect(&cursor, NS, "expected", &child)) != 0 || (r = xml_check_attributes(child, none)) != 0 ||
	    (r = xml_text(child, RECORD_INCIDENT_TEXT_MAX, &record->incident_expected)) != 0 ||
	    (r = xml_expect(&cursor, NS, "happened", &child)) != 0 || (r = xml_check_attributes(child, none)) != 0 ||
	    (r = xml_text(child, RECORD_INCIDENT_TEXT_MAX, &record->incident_happened)) != 0)
		return r;
	record->has_incident = 1;
	return xml_expect_end(&cursor, NS, el);
}

static int parse_step_payload(struct record *record, xmlNode *payload)
{
	static const char *const name_only[] = {"name", NULL};
	static const char *const none[] = {NULL};
	xmlNode *cursor = xml_children(payload), *el;
	char *name = NULL, *value = NULL;
	int r;

	while ((r = xml_optional(&cursor, NS, "value", &el)) == 1) {
		/* The xml_* messages name the line already; record_add_value's do not. */
		if ((r = xml_check_attributes(el, name_only)) != 0 ||
		    (r = xml_attribute(el, "name", RECORD_ID_MAX, &name)) != 0 ||
		    (r = xml_text(el, RECORD_VALUE_MAX, &value)) != 0)
			break;
		if ((r = record_add_value(record, name, value)) != 0) {
			if (r == CER_ERR_USAGE)
				r = CER_ERR_FORMAT;
			err_context(r, "line %d", el->line);
			break;
		}
		free(name);
		free(value);
		name = value = NULL;
	}
	free(name);
	free(value);
	if (r < 0)
		return r;
	while ((r = xml_optional(&cursor, NS, "attachment", &el)) == 1)
		if ((r = parse_attachment(record, el)) != 0)
			return r;
	if (r < 0)
		return r;
	while ((r = xml_optional(&cursor, NS, "vault-operation", &el)) == 1)
		if ((r = parse_vault_op(record, el)) != 0)
			return r;
	if (r < 0)
		return r;
	if ((r = xml_optional(&cursor, NS, "confirmed", &el)) < 0)
		return r;
	if (r == 1) {
		if ((r = xml_check_attributes(el, none)) != 0)
			return r;
		if (el->children != NULL)
			return err_set(CER_ERR_FORMAT, "line %d: <confirmed> must be empty", el->line);
		record->confirmed = 1;
	}
	if ((r = xml_optional(&cursor, NS, "incident", &el)) < 0)
		return r;
	if (r == 1 && (r = parse_incident(record, el)) != 0)
		return r;
	if ((record->type == RECORD_INCIDENT) != (record->has_incident != 0))
		return err_set(CER_ERR_FORMAT, "%s record %s <incident>", record_type_name(record->type),
		               record->has_incident ? "must not carry" : "lacks");
	if ((r = xml_optional(&cursor, NS, "note", &el)) < 0)
		return r;
	if (r == 1 &&
	    ((r = xml_check_attributes(el, none)) != 0 || (r = xml_text(el, RECORD_NOTE_MAX, &record->note)) != 0))
		return r;
	return xml_expect_end(&cursor, NS, payload);
}

static int parse_type(xmlNode **cursor, enum record_type *out)
{
	char text[16];
	int r;

	if ((r = take_text(cursor, "type", text, sizeof(text))) != 0)
		return r;
	for (size_t t = 0; t < sizeof(type_names) / sizeof(type_names[0]); t++) {
		if (strcmp(text, type_names[t]) == 0) {
			*out = (enum record_type)t;
			return 0;
		}
	}
	return err_set(CER_ERR_FORMAT, "unknown record type \"%s\"", text);
}

static int parse_record_element(struct record *record, xmlNode *root)
{
	static const char *const root_attrs[] = {"version", NULL};
	xmlNode *cursor = xml_children(root), *payload;
	char *version = NULL;
	int r;

	if ((r = xml_check_attributes(root, root_attrs)) != 0 || (r = xml_attribute(root, "version", 8, &version)) != 0)
		return r;
	r = strcmp(version, RECORD_VERSION) == 0
	            ? 0
	            : err_set(CER_ERR_UNSUPPORTED, "record version \"%s\" (this build reads %s)", version,
	                      RECORD_VERSION);
	free(version);
	if (r != 0)
		return r;
	if ((r = take_id(&cursor, "ceremony", record->ceremony, sizeof(record->ceremony))) != 0 ||
	    (r = take_digest(&cursor, "scenario-sha256", record->scenario_sha256)) != 0 ||
	    (r = take_number(&cursor, "session", UINT32_MAX, &record->session)) != 0 ||
	    (r = take_number(&cursor, "sequence", RECORD_SEQUENCE_MAX, &record->sequence)) != 0 ||
	    (r = take_digest(&cursor, "previous-sha256", record->previous_sha256)) != 0 ||
	    (r = take_id(&cursor, "step", record->step, sizeof(record->step))) != 0 ||
	    (r = parse_type(&cursor, &record->type)) != 0 ||
	    (r = take_text(&cursor, "time", record->time, sizeof(record->time))) != 0 ||
	    (r = take_id(&cursor, "actor", record->actor, sizeof(record->actor))) != 0)
		return r;
	if (!time_valid(record->time))
		return err_set(CER_ERR_FORMAT, "<time> \"%s\" is not YYYY-MM-DDTHH:MM:SSZ", record->time);
	if (record->session == 0)
		return err_set(CER_ERR_FORMAT, "<session> must be at least 1");
	if ((record->type == RECORD_GENESIS) != (record->sequence == 0))
		return err_set(CER_ERR_FORMAT, "type %s at sequence %u (genesis is sequence 0, and only it)",
		               record_type_name(record->type), record->sequence);
	if ((r = xml_expect(&cursor, NS, "payload", &payload)) != 0)
		return r;
	{
		static const char *const none[] = {NULL};
		if ((r = xml_check_attributes(payload, none)) != 0)
			return r;
	}
	r = record->type == RECORD_GENESIS ? parse_genesis_payload(record, payload)
	                                   : parse_step_payload(record, payload);
	if (r != 0)
		return r;
	return xml_expect_end(&cursor, NS, root);
}

int record_parse(struct record **out, const uint8_t *bytes, size_t len)
{
	struct record *record = NULL;
	xmlDoc *doc = NULL;
	int r;

	*out = NULL;
	if (len > RECORD_BYTES_MAX)
		return err_set(CER_ERR_FORMAT, "record larger than %d bytes", RECORD_BYTES_MAX);
	if ((r = record_new(&record)) != 0)
		return r;
	if ((r = xml_parse_strict(&doc, bytes, len, NS, "record", 0)) == 0 &&
	    (r = parse_record_element(record, xmlDocGetRootElement(doc))) == 0) {
		*out = record;
		record = NULL;
	}
	xmlFreeDoc(doc);
	record_free(record);
	return r;
}
