#include "evidence/commit_raw.h"

#include <string.h>

#include "common/error.h"

static int is_hex_oid(const char *s, size_t len)
{
	if (len != COMMIT_OID_HEX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int is_signature_header(const char *name, size_t len)
{
	return (len == 6 && memcmp(name, "gpgsig", 6) == 0) || (len == 13 && memcmp(name, "gpgsig-sha256", 13) == 0);
}

static int header_is(const char *name, size_t len, const char *expected)
{
	return strlen(expected) == len && memcmp(name, expected, len) == 0;
}

/* Record one header (name, and its first-line value); continuation lines are handled by the caller. */
static int take_header(struct commit_raw *out, const char *name, size_t name_len, const char *value, size_t value_len)
{
	if (header_is(name, name_len, "tree")) {
		if (out->tree[0] != '\0' || !is_hex_oid(value, value_len))
			return err_set(CER_ERR_FORMAT, "commit: malformed or repeated tree header");
		memcpy(out->tree, value, COMMIT_OID_HEX);
	} else if (header_is(name, name_len, "parent")) {
		if (!is_hex_oid(value, value_len))
			return err_set(CER_ERR_FORMAT, "commit: malformed parent header");
		if (out->parent_count++ == 0)
			memcpy(out->parent, value, COMMIT_OID_HEX);
	} else if (header_is(name, name_len, "author")) {
		out->has_author++;
	} else if (header_is(name, name_len, "committer")) {
		out->has_committer++;
	} else if (!is_signature_header(name, name_len) && out->unexpected_header[0] == '\0') {
		size_t n =
		        name_len < sizeof(out->unexpected_header) - 1 ? name_len : sizeof(out->unexpected_header) - 1;
		memcpy(out->unexpected_header, name, n);
	}
	return 0;
}

int commit_raw_parse(struct commit_raw *out, const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;
	int in_signature = 0, r = 0;

	memset(out, 0, sizeof(*out));
	out->signature = buf_make(COMMIT_RAW_MAX);
	out->signed_payload = buf_make(COMMIT_RAW_MAX);
	if (len > COMMIT_RAW_MAX)
		return err_set(CER_ERR_FORMAT, "commit: larger than %d bytes", COMMIT_RAW_MAX);
	if (memchr(raw, '\0', len) != NULL)
		return err_set(CER_ERR_FORMAT, "commit: NUL byte");
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t line_len;
		if (nl == NULL) {
			r = err_set(CER_ERR_FORMAT, "commit: headers do not end with a blank line");
			goto fail;
		}
		line_len = (size_t)(nl - p);
		if (line_len == 0)
			break; /* the blank line before the message */
		if (p[0] == ' ') {
			if (p == raw) {
				r = err_set(CER_ERR_FORMAT, "commit: continuation line before any header");
				goto fail;
			}
			/* A continuation belongs to the header before it. */
			if (in_signature == 1 && ((r = buf_append(&out->signature, "\n", 1)) != 0 ||
			                          (r = buf_append(&out->signature, p + 1, line_len - 1)) != 0))
				goto fail;
			if (!in_signature && (r = buf_append(&out->signed_payload, p, line_len + 1)) != 0)
				goto fail;
		} else {
			const char *space = memchr(p, ' ', line_len);
			size_t name_len = space ? (size_t)(space - p) : line_len;
			if (space == NULL || name_len == 0) {
				r = err_set(CER_ERR_FORMAT, "commit: header without a value");
				goto fail;
			}
			if ((r = take_header(out, p, name_len, space + 1, line_len - name_len - 1)) != 0)
				goto fail;
			if (is_signature_header(p, name_len)) {
				/* Only the first signature's value is kept; any other is a finding, not data. */
				in_signature = out->signature_count++ == 0 ? 1 : 2;
				if (in_signature == 1 &&
				    (r = buf_append(&out->signature, space + 1, line_len - name_len - 1)) != 0)
					goto fail;
			} else {
				in_signature = 0;
				if ((r = buf_append(&out->signed_payload, p, line_len + 1)) != 0)
					goto fail;
			}
		}
		p = nl + 1;
	}
	if (out->tree[0] == '\0') {
		r = err_set(CER_ERR_FORMAT, "commit: no tree header");
		goto fail;
	}
	if ((r = buf_append(&out->signed_payload, p, (size_t)(end - p))) != 0)
		goto fail;
	if (out->signature.len > 0 && (r = buf_append(&out->signature, "\n", 1)) != 0)
		goto fail;
	return 0;
fail:
	commit_raw_free(out);
	return r;
}

void commit_raw_free(struct commit_raw *c)
{
	buf_free(&c->signature);
	buf_free(&c->signed_payload);
}
