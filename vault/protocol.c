#include "vault/protocol.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/error.h"
#include "common/file.h"

void vault_msg_init(struct vault_msg *m)
{
	memset(m, 0, sizeof(*m));
}

static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len > VAULT_MSG_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static int value_ok(const char *s, size_t len)
{
	if (len > VAULT_MSG_VALUE_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

const char *vault_msg_get(const struct vault_msg *m, const char *name)
{
	for (size_t i = 0; i < m->field_count; i++)
		if (strcmp(m->names[i], name) == 0)
			return m->values[i];
	return NULL;
}

/* Add a field whose name and value were checked. */
static int add_checked(struct vault_msg *m, const char *name, size_t name_len, const char *value, size_t value_len)
{
	size_t i;

	for (i = 0; i < m->field_count; i++)
		if (strlen(m->names[i]) == name_len && memcmp(m->names[i], name, name_len) == 0)
			return err_set(CER_ERR_FORMAT, "field \"%.*s\" appears twice", (int)name_len, name);
	if (m->field_count == VAULT_MSG_FIELDS_MAX)
		return err_set(CER_ERR_FORMAT, "more than %d fields", VAULT_MSG_FIELDS_MAX);
	memcpy(m->names[m->field_count], name, name_len);
	m->names[m->field_count][name_len] = '\0';
	memcpy(m->values[m->field_count], value, value_len);
	m->values[m->field_count][value_len] = '\0';
	m->field_count++;
	return 0;
}

int vault_msg_add(struct vault_msg *m, const char *name, const char *value)
{
	int r;

	if (!name_ok(name, strlen(name)))
		return err_set(CER_ERR_USAGE, "vault message: bad field name");
	if (!value_ok(value, strlen(value)))
		return err_set(CER_ERR_USAGE,
		               "vault message: field \"%s\" has a value that is too long or not printable", name);
	if ((r = add_checked(m, name, strlen(name), value, strlen(value))) != 0)
		return err_context(CER_ERR_USAGE, "vault message");
	return 0;
}

int vault_msg_addf(struct vault_msg *m, const char *name, const char *fmt, ...)
{
	char value[VAULT_MSG_VALUE_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(value))
		return err_set(CER_ERR_USAGE, "vault message: field \"%s\" is too long", name);
	return vault_msg_add(m, name, value);
}

int vault_msg_parse(struct vault_msg *out, const uint8_t *body, size_t len)
{
	size_t at = 0;
	int r;

	vault_msg_init(out);
	for (;;) {
		const uint8_t *nl = at < len ? memchr(body + at, '\n', len - at) : NULL;
		const char *line = (const char *)body + at, *eq;
		size_t line_len;

		if (nl == NULL)
			return err_set(CER_ERR_FORMAT, "the header does not end with an empty line");
		line_len = (size_t)(nl - (body + at));
		at += line_len + 1;
		if (line_len == 0)
			break;
		eq = memchr(line, '=', line_len);
		if (eq == NULL)
			return err_set(CER_ERR_FORMAT, "header line %zu has no '='", out->field_count + 1);
		if (!name_ok(line, (size_t)(eq - line)))
			return err_set(CER_ERR_FORMAT, "header line %zu: bad field name", out->field_count + 1);
		if (!value_ok(eq + 1, line_len - (size_t)(eq - line) - 1))
			return err_set(CER_ERR_FORMAT, "header line %zu: the value is too long or not printable",
			               out->field_count + 1);
		if ((r = add_checked(out, line, (size_t)(eq - line), eq + 1, line_len - (size_t)(eq - line) - 1)) != 0)
			return r;
	}
	if (len - at > VAULT_MSG_PAYLOAD_MAX)
		return err_set(CER_ERR_FORMAT, "payload larger than %u bytes", VAULT_MSG_PAYLOAD_MAX);
	out->payload = body + at;
	out->payload_len = len - at;
	return 0;
}

int vault_msg_send(int fd, const struct vault_msg *m, int secret)
{
	size_t header = 1, len, at = 4, i;
	uint8_t *frame;
	int r;

	for (i = 0; i < m->field_count; i++)
		header += strlen(m->names[i]) + strlen(m->values[i]) + 2;
	if (m->payload_len > VAULT_MSG_PAYLOAD_MAX)
		return err_set(CER_ERR_USAGE, "vault message: payload larger than %u bytes", VAULT_MSG_PAYLOAD_MAX);
	len = header + m->payload_len;
	frame = secret ? sodium_malloc(4 + len) : malloc(4 + len);
	if (frame == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	frame[0] = (uint8_t)(len >> 24);
	frame[1] = (uint8_t)(len >> 16);
	frame[2] = (uint8_t)(len >> 8);
	frame[3] = (uint8_t)len;
	for (i = 0; i < m->field_count; i++) {
		size_t n = strlen(m->names[i]), v = strlen(m->values[i]);
		memcpy(frame + at, m->names[i], n);
		frame[at + n] = '=';
		memcpy(frame + at + n + 1, m->values[i], v);
		frame[at + n + 1 + v] = '\n';
		at += n + v + 2;
	}
	frame[at++] = '\n';
	if (m->payload_len > 0)
		memcpy(frame + at, m->payload, m->payload_len);
	r = file_write_full(fd, frame, 4 + len) == 0
	            ? 0
	            : err_set(CER_ERR_IO, "sending on the vault socket: %s", strerror(errno));
	if (secret)
		sodium_free(frame);
	else
		free(frame);
	return r;
}

static int read_exact(int fd, uint8_t *p, size_t len, const char *what)
{
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(CER_ERR_IO, "%s: %s", what,
			               errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
		if (n == 0)
			return err_set(CER_ERR_IO, "%s: truncated message (the connection closed early)", what);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vault_msg_recv(int fd, struct vault_msg *out, const char *what)
{
	uint8_t head[4], *body;
	size_t len;
	int secure, r;

	vault_msg_init(out);
	if ((r = read_exact(fd, head, sizeof(head), what)) != 0)
		return r;
	len = (size_t)head[0] << 24 | (size_t)head[1] << 16 | (size_t)head[2] << 8 | head[3];
	if (len > VAULT_MSG_MAX)
		return err_set(CER_ERR_FORMAT, "%s: message of %zu bytes, more than %u", what, len,
		               (unsigned)VAULT_MSG_MAX);
	secure = len <= VAULT_MSG_SECURE_MAX;
	body = secure ? sodium_malloc(len + 1) : malloc(len + 1);
	if (body == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if ((r = read_exact(fd, body, len, what)) != 0 ||
	    ((r = vault_msg_parse(out, body, len)) != 0 && err_context(r, "%s", what) != 0)) {
		if (secure)
			sodium_free(body);
		else
			free(body);
		vault_msg_init(out);
		return r;
	}
	out->body = body;
	out->body_len = len;
	out->body_secure = secure;
	return 0;
}

void vault_msg_release(struct vault_msg *m)
{
	if (m->body != NULL) {
		if (m->body_secure)
			sodium_free(m->body); /* wipes */
		else
			free(m->body);
	}
	vault_msg_init(m);
}
