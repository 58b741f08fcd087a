#include "common/vault_log_line.h"

#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"

enum log_field {
	FIELD_V,
	FIELD_SEQ,
	FIELD_TIME,
	FIELD_WHO,
	FIELD_OP,
	FIELD_LABEL,
	FIELD_FINGERPRINT,
	FIELD_OUTCOME,
	FIELD_DETAIL,
	FIELD_CERTIFIES,
	FIELD_SIGNER,
	FIELD_PREV,
	FIELD_SIG,
	FIELD_COUNT
};

/* The members of a line, in the only order they may appear (docs/formats/vault-log.md). */
static const struct {
	const char *name;
	int optional;
} log_fields[FIELD_COUNT] = {
        [FIELD_V] = {"v", 0},
        [FIELD_SEQ] = {"seq", 0},
        [FIELD_TIME] = {"time", 0},
        [FIELD_WHO] = {"who", 0},
        [FIELD_OP] = {"op", 0},
        [FIELD_LABEL] = {"label", 1},
        [FIELD_FINGERPRINT] = {"fingerprint", 1},
        [FIELD_OUTCOME] = {"outcome", 0},
        [FIELD_DETAIL] = {"detail", 1},
        [FIELD_CERTIFIES] = {"certifies", 1},
        [FIELD_SIGNER] = {"signer", 1},
        [FIELD_PREV] = {"prev", 0},
        [FIELD_SIG] = {"sig", 0},
};

const char *vault_log_outcome_name(enum vault_log_outcome outcome)
{
	switch (outcome) {
	case VAULT_LOG_OUTCOME_OK:
		return "ok";
	case VAULT_LOG_OUTCOME_REFUSED:
		return "refused";
	case VAULT_LOG_OUTCOME_FAILED:
		return "failed";
	}
	return NULL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

/* Untrusted text quoted in a message goes to a terminal: at most QUOTE_MAX bytes, anything but printable
 * ASCII shown as '?', so no escape sequence (7-bit, 8-bit or UTF-8 encoded) survives. */
#define QUOTE_MAX 160
static const char *quoted(char out[QUOTE_MAX + 4], const char *s, size_t len)
{
	size_t i, n = len < QUOTE_MAX ? len : QUOTE_MAX;

	for (i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	memcpy(out + n, len > n ? "..." : "", len > n ? 4 : 1);
	return out;
}

static int who_byte_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

int vault_log_who_ok(const char *who)
{
	size_t len = strlen(who);

	if (len == 0 || len > VAULT_LOG_WHO_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!who_byte_ok((unsigned char)who[i]))
			return 0;
	return 1;
}

int vault_log_check_who(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > VAULT_LOG_WHO_MAX)
		return err_set(CER_ERR_FORMAT, "\"who\" must be 1 to %d bytes, not %zu", VAULT_LOG_WHO_MAX, len);
	for (i = 0; i < len; i++) {
		if (!who_byte_ok((unsigned char)s[i]))
			return err_set(
			        CER_ERR_FORMAT,
			        "\"who\" holds a character other than printable ASCII without space, '\"' and '\\' "
			        "(byte %zu)",
			        i);
	}
	return 0;
}

int vault_log_check_op(const char *s, size_t len)
{
	char q[QUOTE_MAX + 4];
	size_t i;

	if (len == 0 || len > VAULT_LOG_OP_MAX || !is_lower(s[0]))
		goto bad;
	for (i = 1; i < len; i++)
		if (!is_lower(s[i]) && !is_digit(s[i]) && s[i] != '-')
			goto bad;
	return 0;
bad:
	return err_set(CER_ERR_FORMAT,
	               "\"op\" \"%s\" is not an operation id (1 to %d of a-z 0-9 '-', starting with a letter)",
	               quoted(q, s, len), VAULT_LOG_OP_MAX);
}

int vault_log_check_label(const char *s, size_t len)
{
	char q[QUOTE_MAX + 4];
	size_t i;

	if (len == 0 || len > VAULT_LOG_LABEL_MAX || !(is_lower(s[0]) || is_digit(s[0])))
		goto bad;
	for (i = 1; i < len; i++)
		if (!is_lower(s[i]) && !is_digit(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			goto bad;
	return 0;
bad:
	return err_set(CER_ERR_FORMAT,
	               "\"label\" \"%s\" is not a key label (1 to %d of a-z 0-9 '.' '_' '-', starting with a letter "
	               "or digit)",
	               quoted(q, s, len), VAULT_LOG_LABEL_MAX);
}

/* RFC 3629: shortest form only, no surrogates, nothing past U+10FFFF. */
static int utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		size_t n, k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1fu;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0fu;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07u;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3fu);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

int vault_log_check_detail(const char *s, size_t len, int check_utf8)
{
	size_t i;

	if (len == 0 || len > VAULT_LOG_DETAIL_MAX)
		return err_set(CER_ERR_FORMAT, "\"detail\" must be 1 to %d bytes, not %zu", VAULT_LOG_DETAIL_MAX, len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return err_set(CER_ERR_FORMAT, "\"detail\" holds a control character (byte %zu)", i);
	}
	if (check_utf8 && !utf8_valid((const uint8_t *)s, len))
		return err_set(CER_ERR_FORMAT, "\"detail\" is not valid UTF-8");
	return 0;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	/* Howard Hinnant's algorithm: days since 1970-01-01 in the proleptic Gregorian calendar. */
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int two_digits(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int vault_log_time_parse(const char *s, size_t len, int64_t *out)
{
	char q[QUOTE_MAX + 4];
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int year, month, day, hour, minute, second, dim;
	size_t i;

	if (len != LOG_TIME_CHARS)
		goto bad;
	for (i = 0; i < LOG_TIME_CHARS; i++)
		if (shape[i] == 'd' ? !is_digit(s[i]) : s[i] != shape[i])
			goto bad;
	year = two_digits(s) * 100 + two_digits(s + 2);
	month = two_digits(s + 5);
	day = two_digits(s + 8);
	hour = two_digits(s + 11);
	minute = two_digits(s + 14);
	second = two_digits(s + 17);
	if (year < 1970 || month < 1 || month > 12)
		goto bad;
	dim = month_days[month - 1] + (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
	if (day < 1 || day > dim || hour > 23 || minute > 59 || second > 59)
		goto bad;
	*out = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
	return 0;
bad:
	return err_set(CER_ERR_FORMAT, "\"time\" \"%s\" is not a UTC time YYYY-MM-DDTHH:MM:SSZ from 1970 to 9999",
	               quoted(q, s, len));
}

int vault_log_time_format(int64_t t, char out[LOG_TIME_CHARS + 1])
{
	struct tm tm;
	time_t tt = (time_t)t;
	int n;

	if (t < 0 || t > VAULT_LOG_TIME_MAX || gmtime_r(&tt, &tm) == NULL)
		return err_set(CER_ERR_FORMAT, "time %lld is outside 1970 to 9999", (long long)t);
	n = snprintf(out, LOG_TIME_CHARS + 1, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n != LOG_TIME_CHARS)
		return err_set(CER_ERR_INTERNAL, "time %lld did not format", (long long)t);
	return 0;
}

/* jansson has accepted the line as JSON; this pins the one way of writing it: nothing between
 * tokens, no sign on a number, and inside strings no escape but \" and \\. So a line's bytes follow
 * from its values alone, and nobody can re-encode a signed line into different bytes. */
static int check_canonical(const uint8_t *p, size_t len)
{
	int in_string = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (in_string) {
			if (c == '\\') {
				uint8_t next = i + 1 < len ? p[i + 1] : 0;
				if (next != '"' && next != '\\')
					return err_set(
					        CER_ERR_FORMAT,
					        "not in canonical form: escape \\%c at byte %zu (only \\\" and \\\\ "
					        "are allowed)",
					        next, i);
				i++;
			} else if (c == '"') {
				in_string = 0;
			}
		} else if (c == '"') {
			in_string = 1;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			return err_set(CER_ERR_FORMAT,
			               "not in canonical form: white space outside a string at byte %zu", i);
		} else if (c == '-' || c == '+') {
			return err_set(CER_ERR_FORMAT, "not in canonical form: a signed number at byte %zu", i);
		}
	}
	return 0;
}

/* Which members are present, each in its place: an unknown, misplaced or missing member is named. */
static int collect_fields(json_t *root, json_t *values[FIELD_COUNT])
{
	char q[QUOTE_MAX + 4];
	size_t next = 0, k;
	void *it;

	memset(values, 0, FIELD_COUNT * sizeof(values[0]));
	for (it = json_object_iter(root); it != NULL; it = json_object_iter_next(root, it)) {
		const char *key = json_object_iter_key(it);
		size_t at;

		for (at = 0; at < FIELD_COUNT; at++)
			if (strcmp(key, log_fields[at].name) == 0)
				break;
		if (at == FIELD_COUNT)
			return err_set(CER_ERR_FORMAT, "unknown field \"%s\"", quoted(q, key, strlen(key)));
		if (at < next)
			return err_set(CER_ERR_FORMAT, "field \"%s\" is out of order (it must come before \"%s\")",
			               log_fields[at].name, log_fields[next - 1].name);
		for (k = next; k < at; k++) {
			if (log_fields[k].optional)
				continue;
			if (json_object_get(root, log_fields[k].name) != NULL)
				return err_set(CER_ERR_FORMAT,
				               "field \"%s\" is out of order (it must come after \"%s\")",
				               log_fields[at].name, log_fields[k].name);
			return err_set(CER_ERR_FORMAT, "missing field \"%s\"", log_fields[k].name);
		}
		values[at] = json_object_iter_value(it);
		next = at + 1;
	}
	for (k = next; k < FIELD_COUNT; k++)
		if (!log_fields[k].optional)
			return err_set(CER_ERR_FORMAT, "missing field \"%s\"", log_fields[k].name);
	return 0;
}

static int get_string(json_t *v, enum log_field f, const char **s, size_t *len)
{
	if (!json_is_string(v))
		return err_set(CER_ERR_FORMAT, "field \"%s\" is not a string", log_fields[f].name);
	*s = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

static int get_hex32(json_t *v, enum log_field f, uint8_t out[32])
{
	const char *s = NULL;
	size_t len = 0, i;
	int r;

	if ((r = get_string(v, f, &s, &len)) != 0)
		return r;
	if (len != 64)
		goto bad;
	for (i = 0; i < len; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			goto bad;
	if (hex_decode_exact(s, len, out, 32) != 0)
		goto bad;
	return 0;
bad:
	return err_set(CER_ERR_FORMAT, "field \"%s\" is not 64 lower-case hex digits", log_fields[f].name);
}

static int parse_values(struct vault_log_parsed *out, json_t *values[FIELD_COUNT])
{
	const char *s = NULL;
	size_t len = 0, bin_len = 0;
	const char *end = NULL;
	json_int_t seq;
	int r;

	if (!json_is_integer(values[FIELD_SEQ]))
		return err_set(CER_ERR_FORMAT, "field \"seq\" is not an integer");
	seq = json_integer_value(values[FIELD_SEQ]);
	if (seq < 0 || (unsigned long long)seq > VAULT_LOG_SEQ_MAX)
		return err_set(CER_ERR_FORMAT, "field \"seq\" is out of range (0 to %llu)", VAULT_LOG_SEQ_MAX);
	out->seq = (uint64_t)seq;

	if ((r = get_string(values[FIELD_TIME], FIELD_TIME, &s, &len)) != 0 ||
	    (r = vault_log_time_parse(s, len, &out->entry.time)) != 0)
		return r;
	out->time_text = s;
	if ((r = get_string(values[FIELD_WHO], FIELD_WHO, &s, &len)) != 0 || (r = vault_log_check_who(s, len)) != 0)
		return r;
	out->entry.who = s;
	if ((r = get_string(values[FIELD_OP], FIELD_OP, &s, &len)) != 0 || (r = vault_log_check_op(s, len)) != 0)
		return r;
	out->entry.op = s;
	if (values[FIELD_LABEL] != NULL) {
		if ((r = get_string(values[FIELD_LABEL], FIELD_LABEL, &s, &len)) != 0 ||
		    (r = vault_log_check_label(s, len)) != 0)
			return r;
		out->entry.label = s;
	}
	if (values[FIELD_FINGERPRINT] != NULL) {
		if ((r = get_hex32(values[FIELD_FINGERPRINT], FIELD_FINGERPRINT, out->fingerprint)) != 0)
			return r;
		out->entry.fingerprint = out->fingerprint;
	}
	if ((r = get_string(values[FIELD_OUTCOME], FIELD_OUTCOME, &s, &len)) != 0)
		return r;
	if (strcmp(s, "ok") == 0)
		out->entry.outcome = VAULT_LOG_OUTCOME_OK;
	else if (strcmp(s, "refused") == 0)
		out->entry.outcome = VAULT_LOG_OUTCOME_REFUSED;
	else if (strcmp(s, "failed") == 0)
		out->entry.outcome = VAULT_LOG_OUTCOME_FAILED;
	else
		return err_set(CER_ERR_FORMAT, "field \"outcome\" is not \"ok\", \"refused\" or \"failed\"");
	if (values[FIELD_DETAIL] != NULL) {
		if ((r = get_string(values[FIELD_DETAIL], FIELD_DETAIL, &s, &len)) != 0 ||
		    (r = vault_log_check_detail(s, len, 0)) != 0)
			return r;
		out->entry.detail = s;
	}
	if (values[FIELD_CERTIFIES] != NULL) {
		if ((r = get_hex32(values[FIELD_CERTIFIES], FIELD_CERTIFIES, out->certifies)) != 0)
			return r;
		out->entry.certifies = out->certifies;
	}
	if (values[FIELD_SIGNER] != NULL) {
		if ((r = get_hex32(values[FIELD_SIGNER], FIELD_SIGNER, out->signer)) != 0)
			return r;
		out->has_signer = 1;
		/* A session key signs only while the vault is sealed; certifying one is the audit key's word. */
		if (out->entry.certifies != NULL)
			return err_set(CER_ERR_FORMAT, "a line signed by a session key cannot certify a key");
	}
	if ((r = get_hex32(values[FIELD_PREV], FIELD_PREV, out->prev)) != 0)
		return r;
	if ((r = get_string(values[FIELD_SIG], FIELD_SIG, &s, &len)) != 0)
		return r;
	/* libsodium refuses non-zero padding bits, so one signature has one spelling. */
	if (len != VAULT_LOG_SIGNATURE_CHARS ||
	    sodium_base642bin(out->sig, sizeof(out->sig), s, len, NULL, &bin_len, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bin_len != sizeof(out->sig) || end != s + len)
		return err_set(CER_ERR_FORMAT, "field \"sig\" is not the base64 of a %d-byte signature",
		               VAULT_LOG_SIGNATURE_BYTES);
	return 0;
}

int vault_log_parse_line(struct vault_log_parsed *out, const uint8_t *line, size_t len)
{
	char q[QUOTE_MAX + 4];
	json_t *values[FIELD_COUNT];
	json_error_t jerr;
	json_t *root = NULL, *v;
	void *first;
	size_t tail;
	int r;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return err_set(CER_ERR_FORMAT, "empty line");
	root = json_loadb((const char *)line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return err_set(CER_ERR_FORMAT, "not valid JSON: %s (byte %d)", quoted(q, jerr.text, strlen(jerr.text)),
		               jerr.position);
	if (!json_is_object(root)) {
		r = err_set(CER_ERR_FORMAT, "not a JSON object");
		goto out;
	}
	/* The version comes first and is read first: a later version may have other fields. */
	first = json_object_iter(root);
	if (first == NULL || strcmp(json_object_iter_key(first), "v") != 0) {
		r = err_set(CER_ERR_FORMAT, "the first field is not \"v\"");
		goto out;
	}
	v = json_object_iter_value(first);
	if (!json_is_integer(v)) {
		r = err_set(CER_ERR_FORMAT, "field \"v\" is not an integer");
		goto out;
	}
	if (json_integer_value(v) != VAULT_LOG_VERSION) {
		r = err_set(CER_ERR_UNSUPPORTED, "version %lld is not supported (only %d)",
		            (long long)json_integer_value(v), VAULT_LOG_VERSION);
		goto out;
	}
	if ((r = check_canonical(line, len)) != 0 || (r = collect_fields(root, values)) != 0 ||
	    (r = parse_values(out, values)) != 0)
		goto out;
	/* The canonical form makes the line end with ,"sig":"<the value>"}; the signed body is what
	 * precedes it. Checked on the bytes, not assumed. */
	tail = LOG_SIG_SUFFIX_BYTES;
	if (len < tail || memcmp(line + len - tail, LOG_SIG_MEMBER_PREFIX, LOG_SIG_MEMBER_PREFIX_BYTES) != 0 ||
	    memcmp(line + len - tail + LOG_SIG_MEMBER_PREFIX_BYTES, json_string_value(values[FIELD_SIG]),
	           VAULT_LOG_SIGNATURE_CHARS) != 0 ||
	    line[len - 2] != '"' || line[len - 1] != '}') {
		r = err_set(CER_ERR_FORMAT, "not in canonical form: the line does not end with its \"sig\" member");
		goto out;
	}
	out->body_len = len - tail;
	out->root = root;
	root = NULL; /* transferred */
out:
	json_decref(root);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

void vault_log_parsed_clear(struct vault_log_parsed *line)
{
	if (line == NULL)
		return;
	json_decref(line->root);
	memset(line, 0, sizeof(*line));
}

size_t vault_log_signed_message(uint8_t *msg, const uint8_t *line, size_t body_len)
{
	memcpy(msg, VAULT_LOG_SIGNING_CONTEXT, VAULT_LOG_SIGNING_CONTEXT_BYTES);
	memcpy(msg + VAULT_LOG_SIGNING_CONTEXT_BYTES, line, body_len);
	msg[VAULT_LOG_SIGNING_CONTEXT_BYTES + body_len] = '}';
	return VAULT_LOG_SIGNING_CONTEXT_BYTES + body_len + 1;
}

int vault_log_check_signature(const uint8_t *line, const struct vault_log_parsed *parsed,
                              const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES])
{
	uint8_t msg[LOG_MESSAGE_MAX];
	size_t len;

	if (parsed->body_len > VAULT_LOG_LINE_MAX)
		return err_set(CER_ERR_FORMAT, "line too long to verify");
	len = vault_log_signed_message(msg, line, parsed->body_len);
	if (crypto_sign_ed25519_verify_detached(parsed->sig, msg, len,
	                                        parsed->has_signer ? parsed->signer : audit_pub) != 0)
		return err_set(CER_ERR_VERIFY,
		               parsed->has_signer
		                       ? "bad signature (not made over this line by the session key it names)"
		                       : "bad signature (not made by the audit key over this line)");
	return 0;
}
