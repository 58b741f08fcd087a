#include "common/agent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"

/* A hardware token may wait for a touch: give a person time, but never hang for ever. */
#define AGENT_TIMEOUT_SECONDS 120
#define AGENT_MAX_IDENTITIES 1024

static int agent_connect(const char *socket_path, int *fd_out)
{
	struct sockaddr_un addr;
	struct timeval tv = {AGENT_TIMEOUT_SECONDS, 0};
	int fd;

	if (socket_path == NULL || socket_path[0] == '\0')
		return err_set(CER_ERR_NOT_FOUND, "ssh-agent: SSH_AUTH_SOCK is not set");
	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return err_set(CER_ERR_USAGE, "ssh-agent: socket path too long");
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(CER_ERR_IO, "ssh-agent: socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		int saved = errno;
		close(fd);
		return err_set(CER_ERR_IO, "ssh-agent at %s: %s", socket_path, strerror(saved));
	}
	*fd_out = fd;
	return 0;
}

static int io_fully(int fd, uint8_t *p, size_t len, int writing)
{
	while (len > 0) {
		ssize_t n = writing ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(CER_ERR_IO, "ssh-agent: %s", errno == EAGAIN ? "timed out" : strerror(errno));
		if (n == 0)
			return err_set(CER_ERR_IO, "ssh-agent closed the connection");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send one framed request and read one framed reply into `reply` (reset first). */
static int agent_request(const char *socket_path, const struct buf *request, struct buf *reply)
{
	uint8_t len_be[4];
	uint32_t len;
	int fd = -1, r;

	buf_reset(reply);
	if ((r = agent_connect(socket_path, &fd)) != 0)
		return r;
	len = (uint32_t)request->len;
	len_be[0] = (uint8_t)(len >> 24);
	len_be[1] = (uint8_t)(len >> 16);
	len_be[2] = (uint8_t)(len >> 8);
	len_be[3] = (uint8_t)len;
	if ((r = io_fully(fd, len_be, 4, 1)) != 0 || (r = io_fully(fd, request->data, request->len, 1)) != 0 ||
	    (r = io_fully(fd, len_be, 4, 0)) != 0)
		goto out;
	len = (uint32_t)len_be[0] << 24 | (uint32_t)len_be[1] << 16 | (uint32_t)len_be[2] << 8 | len_be[3];
	if (len == 0 || len > AGENT_REPLY_MAX) {
		r = err_set(CER_ERR_FORMAT, "ssh-agent: reply of %u bytes refused", len);
		goto out;
	}
	{
		uint8_t *tmp = malloc(len);
		if (tmp == NULL) {
			r = err_set(CER_ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((r = io_fully(fd, tmp, len, 0)) == 0)
			r = buf_append(reply, tmp, len);
		free(tmp);
	}
out:
	close(fd);
	return r;
}

int agent_parse_identities(const uint8_t *reply, size_t len, const char *selector, struct agent_identity *out)
{
	struct cursor c = cursor_make(reply, len);
	uint8_t type;
	uint32_t count;
	size_t matches = 0;
	int r;

	if ((r = cursor_get_u8(&c, &type)) != 0)
		return err_context(r, "ssh-agent identities");
	if (type == SSH_AGENT_FAILURE)
		return err_set(CER_ERR_REFUSED, "ssh-agent refused to list its keys");
	if (type != SSH2_AGENT_IDENTITIES_ANSWER)
		return err_set(CER_ERR_FORMAT, "ssh-agent: unexpected reply type %u to a key listing", type);
	if ((r = cursor_get_u32(&c, &count)) != 0)
		return err_context(r, "ssh-agent identities");
	if (count > AGENT_MAX_IDENTITIES)
		return err_set(CER_ERR_FORMAT, "ssh-agent: %u identities is more than we accept", count);
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *blob, *comment;
		size_t blob_len, comment_len;
		struct sshkey_public key;
		char fp[SSHKEY_FINGERPRINT_CHARS + 1];

		if ((r = cursor_get_string(&c, 16384, &blob, &blob_len)) != 0 ||
		    (r = cursor_get_string(&c, 4096, &comment, &comment_len)) != 0)
			return err_context(r, "ssh-agent identities");
		if (sshkey_public_from_blob(&key, blob, blob_len) != 0)
			continue; /* another key type: not ours to use */
		sshkey_fingerprint_text(&key, fp);
		if (!bytes_equal_cstring(comment, comment_len, selector) && strcmp(fp, selector) != 0)
			continue;
		if (++matches > 1)
			return err_set(CER_ERR_USAGE,
			               "ssh-agent holds several Ed25519 keys matching \"%s\"; use its "
			               "SHA256 fingerprint",
			               selector);
		out->key = key;
		size_t n = comment_len < sizeof(out->comment) - 1 ? comment_len : sizeof(out->comment) - 1;
		memcpy(out->comment, comment, n);
		out->comment[n] = '\0';
	}
	if ((r = cursor_expect_end(&c)) != 0)
		return err_context(r, "ssh-agent identities");
	if (matches == 0)
		return err_set(CER_ERR_NOT_FOUND, "ssh-agent holds no Ed25519 key with comment or fingerprint \"%s\"",
		               selector);
	err_clear();
	return 0;
}

int agent_find_identity(const char *socket_path, const char *selector, struct agent_identity *out)
{
	struct buf request = buf_make(16), reply = buf_make(AGENT_REPLY_MAX);
	uint8_t type = SSH2_AGENTC_REQUEST_IDENTITIES;
	int r;

	if ((r = buf_append(&request, &type, 1)) == 0 && (r = agent_request(socket_path, &request, &reply)) == 0)
		r = agent_parse_identities(reply.data, reply.len, selector, out);
	buf_free(&request);
	buf_free(&reply);
	return r;
}

int agent_parse_sign_response(const uint8_t *reply, size_t len, uint8_t sig[SSHKEY_ED25519_SIGNATURE_BYTES])
{
	struct cursor c = cursor_make(reply, len), inner;
	const uint8_t *blob, *raw;
	size_t blob_len, raw_len;
	uint8_t type;
	int r;

	if ((r = cursor_get_u8(&c, &type)) != 0)
		return err_context(r, "ssh-agent signature");
	if (type == SSH_AGENT_FAILURE)
		return err_set(CER_ERR_REFUSED, "ssh-agent refused to sign (key removed, confirmation denied or "
		                                "token not touched?)");
	if (type != SSH2_AGENT_SIGN_RESPONSE)
		return err_set(CER_ERR_FORMAT, "ssh-agent: unexpected reply type %u to a sign request", type);
	if ((r = cursor_get_string(&c, 1024, &blob, &blob_len)) != 0 || (r = cursor_expect_end(&c)) != 0)
		return err_context(r, "ssh-agent signature");
	inner = cursor_make(blob, blob_len);
	if ((r = cursor_expect_cstring(&inner, SSHKEY_ED25519_NAME)) != 0 ||
	    (r = cursor_get_string(&inner, 128, &raw, &raw_len)) != 0 || (r = cursor_expect_end(&inner)) != 0)
		return err_context(r, "ssh-agent signature");
	if (raw_len != SSHKEY_ED25519_SIGNATURE_BYTES)
		return err_set(CER_ERR_FORMAT, "ssh-agent: Ed25519 signature of %zu bytes", raw_len);
	memcpy(sig, raw, SSHKEY_ED25519_SIGNATURE_BYTES);
	return 0;
}

int agent_sign(const char *socket_path, const struct sshkey_public *key, const uint8_t *data, size_t len,
               uint8_t sig[SSHKEY_ED25519_SIGNATURE_BYTES])
{
	struct buf request = buf_make(len + 1024), reply = buf_make(AGENT_REPLY_MAX);
	uint8_t blob[SSHKEY_ED25519_BLOB_BYTES], type = SSH2_AGENTC_SIGN_REQUEST;
	int r;

	sshkey_public_to_blob(key, blob);
	if ((r = buf_append(&request, &type, 1)) == 0 && (r = buf_put_string(&request, blob, sizeof(blob))) == 0 &&
	    (r = buf_put_string(&request, data, len)) == 0 && (r = buf_put_u32(&request, 0)) == 0 &&
	    (r = agent_request(socket_path, &request, &reply)) == 0)
		r = agent_parse_sign_response(reply.data, reply.len, sig);
	buf_free(&request);
	buf_free(&reply);
	return r;
}
