#include "vault/log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/vault_log_line.h"

struct vault_log {
	int fd;
	char *path;
	uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES];
	uint64_t next_seq;
	uint8_t head[VAULT_LOG_HASH_BYTES];
	off_t end; /* the file's size after our last write: anything else means someone else wrote */
	size_t torn_bytes;
	int durable;
	int broken; /* a write or sync failed: what is on disk is unknown, so nothing more is appended */
	uint8_t line[VAULT_LOG_LINE_MAX];
	uint8_t msg[LOG_MESSAGE_MAX];
};

static int sync_parent_dir(const char *path)
{
	char *copy = strdup(path);
	int r;

	if (copy == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	r = file_sync_dir(dirname(copy));
	free(copy);
	return r;
}

/* Open (or create) the file and take the writers' lock; no byte is read yet. */
static int log_new(struct vault_log **out, const char *path, const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES],
                   int create)
{
	struct vault_log *log = NULL;
	struct stat st;
	int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, r = 0;

	*out = NULL;
	log = calloc(1, sizeof(*log));
	if (log == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	log->fd = -1;
	log->durable = 1;
	memcpy(log->audit_pub, audit_pub, VAULT_LOG_PUBLIC_KEY_BYTES);
	log->path = strdup(path);
	if (log->path == NULL) {
		r = err_set(CER_ERR_NOMEM, "out of memory");
		goto out;
	}
	log->fd = open(path, create ? flags | O_CREAT | O_EXCL : flags, 0600);
	if (log->fd < 0) {
		if (create && errno == EEXIST)
			r = err_set(CER_ERR_REFUSED,
			            "%s: a file exists there already; a new log starts only in a new file", path);
		else
			r = err_set(errno == ENOENT ? CER_ERR_NOT_FOUND : CER_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(log->fd, LOCK_EX | LOCK_NB) != 0) {
		r = err_set(errno == EWOULDBLOCK ? CER_ERR_BUSY : CER_ERR_IO, "%s: %s", path,
		            errno == EWOULDBLOCK ? "another process has the vault log open for writing"
		                                 : strerror(errno));
		goto out;
	}
	if (fstat(log->fd, &st) != 0) {
		r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = err_set(CER_ERR_IO, "%s: not a regular file", path);
		goto out;
	}
	log->end = st.st_size;
	*out = log;
	log = NULL; /* transferred */
out:
	vault_log_close(log);
	return r;
}

int vault_log_create(struct vault_log **out, const char *path, const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES])
{
	struct vault_log *log = NULL;
	int r;

	*out = NULL;
	if ((r = log_new(&log, path, audit_pub, 1)) != 0)
		return r;
	if (fsync(log->fd) != 0) {
		r = err_set(CER_ERR_IO, "%s: fsync: %s", path, strerror(errno));
		goto out;
	}
	if ((r = sync_parent_dir(path)) != 0)
		goto out;
	*out = log;
	log = NULL; /* transferred */
out:
	vault_log_close(log);
	return r;
}

static int read_at(int fd, uint8_t *p, size_t len, off_t at, const char *path)
{
	while (len > 0) {
		ssize_t n = pread(fd, p, len, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
		if (n == 0)
			return err_set(CER_ERR_IO, "%s: the file shrank while it was read", path);
		p += n;
		at += n;
		len -= (size_t)n;
	}
	return 0;
}

static const uint8_t *last_newline(const uint8_t *p, size_t len)
{
	while (len > 0) {
		len--;
		if (p[len] == '\n')
			return p + len;
	}
	return NULL;
}

/* Find the last complete line in the file's last bytes: a torn tail (no newline) is at most one line
 * long, and so is the line before it, so 2 * VAULT_LOG_LINE_MAX bytes always hold both. */
static int read_tail(struct vault_log *log)
{
	const size_t window_max = 2 * VAULT_LOG_LINE_MAX;
	uint8_t *window = NULL;
	const uint8_t *nl, *prev_nl, *start;
	size_t window_len, tail_len, line_len;
	off_t window_at;
	struct vault_log_parsed parsed = {0};
	int r = 0;

	if (log->end == 0)
		return 0;
	window_len = (uint64_t)log->end < window_max ? (size_t)log->end : window_max;
	window_at = log->end - (off_t)window_len;
	window = malloc(window_len);
	if (window == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if ((r = read_at(log->fd, window, window_len, window_at, log->path)) != 0)
		goto out;

	nl = last_newline(window, window_len);
	tail_len = nl == NULL ? window_len : window_len - (size_t)(nl - window) - 1;
	if (tail_len >= VAULT_LOG_LINE_MAX) {
		r = err_set(CER_ERR_FORMAT,
		            "%s: the last %zu bytes have no newline: more than a line a crash could have cut short",
		            log->path, tail_len);
		goto out;
	}
	if (nl != NULL) {
		prev_nl = last_newline(window, (size_t)(nl - window));
		start = prev_nl == NULL ? window : prev_nl + 1;
		line_len = (size_t)(nl - start);
		if (prev_nl == NULL && window_at != 0) {
			r = err_set(CER_ERR_FORMAT, "%s: the last line is longer than %d bytes", log->path,
			            VAULT_LOG_LINE_MAX);
			goto out;
		}
		if (line_len + 1 > VAULT_LOG_LINE_MAX) {
			r = err_set(CER_ERR_FORMAT, "%s: the last line is longer than %d bytes", log->path,
			            VAULT_LOG_LINE_MAX);
			goto out;
		}
		if ((r = vault_log_parse_line(&parsed, start, line_len)) != 0 ||
		    (r = vault_log_check_signature(start, &parsed, log->audit_pub)) != 0) {
			err_context(r, "%s: the last line", log->path);
			goto out;
		}
		if (prev_nl == NULL && (parsed.seq != 0 || !sodium_is_zero(parsed.prev, sizeof(parsed.prev)))) {
			r = err_set(CER_ERR_VERIFY, "%s: the first line has seq %llu or a prev other than 64 zeros",
			            log->path, (unsigned long long)parsed.seq);
			goto out;
		}
		log->next_seq = parsed.seq + 1; /* at most VAULT_LOG_SEQ_MAX + 1: append refuses a full log */
		sha256_digest(start, line_len, log->head);
	}
	if (tail_len > 0) {
		/* Its append never returned: the operation was not reported done, so the line is not part
		 * of the log. Truncating (rather than completing it) keeps "in the log" = "reported done". */
		if (ftruncate(log->fd, log->end - (off_t)tail_len) != 0 || fsync(log->fd) != 0) {
			r = err_set(CER_ERR_IO, "%s: discarding a torn final line: %s", log->path, strerror(errno));
			goto out;
		}
		log->end -= (off_t)tail_len;
		log->torn_bytes = tail_len;
	}
out:
	vault_log_parsed_clear(&parsed);
	free(window);
	return r;
}

int vault_log_open(struct vault_log **out, const char *path, const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES])
{
	struct vault_log *log = NULL;
	int r;

	*out = NULL;
	if ((r = log_new(&log, path, audit_pub, 0)) != 0)
		return r;
	if ((r = read_tail(log)) != 0)
		goto out;
	*out = log;
	log = NULL; /* transferred */
out:
	vault_log_close(log);
	return r;
}

size_t vault_log_torn_bytes(const struct vault_log *log)
{
	return log->torn_bytes;
}

uint64_t vault_log_next_seq(const struct vault_log *log)
{
	return log->next_seq;
}

void vault_log_head(const struct vault_log *log, uint8_t out[VAULT_LOG_HASH_BYTES])
{
	memcpy(out, log->head, VAULT_LOG_HASH_BYTES);
}

void vault_log_set_durable(struct vault_log *log, int durable)
{
	log->durable = durable;
}

/* A bounded writer over log->line; the field bounds keep a line far below VAULT_LOG_LINE_MAX, but
 * the bound is checked rather than assumed. */
struct line_out {
	uint8_t *p;
	size_t len;
	int overflow;
};

static void put(struct line_out *o, const void *data, size_t len)
{
	if (o->overflow || len > VAULT_LOG_LINE_MAX - o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p + o->len, data, len);
	o->len += len;
}

static void put_str(struct line_out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* ,"name":"value" for a value whose grammar holds no '"' or '\'. */
static void put_member(struct line_out *o, const char *name, const char *value)
{
	put_str(o, ",\"");
	put_str(o, name);
	put_str(o, "\":\"");
	put_str(o, value);
	put_str(o, "\"");
}

static int check_entry(const struct vault_log_entry *e)
{
	int r;

	if ((r = vault_log_check_who(e->who != NULL ? e->who : "", e->who != NULL ? strlen(e->who) : 0)) != 0 ||
	    (r = vault_log_check_op(e->op != NULL ? e->op : "", e->op != NULL ? strlen(e->op) : 0)) != 0 ||
	    (e->label != NULL && (r = vault_log_check_label(e->label, strlen(e->label))) != 0) ||
	    (e->detail != NULL && e->detail[0] != '\0' &&
	     (r = vault_log_check_detail(e->detail, strlen(e->detail), 1)) != 0))
		return err_context(CER_ERR_USAGE, "vault log entry");
	if (vault_log_outcome_name(e->outcome) == NULL)
		return err_set(CER_ERR_USAGE, "vault log entry: no outcome (ok, refused or failed)");
	if (e->time < 0 || e->time > VAULT_LOG_TIME_MAX)
		return err_set(CER_ERR_USAGE, "vault log entry: time %lld is outside 1970 to 9999", (long long)e->time);
	return 0;
}

/* The line's body: every member but "sig", without the closing brace (docs/formats/vault-log.md). */
static int format_body(struct vault_log *log, const struct vault_log_entry *e, const uint8_t *session_pub,
                       struct line_out *o)
{
	char time_text[LOG_TIME_CHARS + 1], number[32], hex[2 * VAULT_LOG_HASH_BYTES + 1];
	int64_t t = e->time;
	const char *p;
	int r;

	if (t == 0) {
		struct timespec now;
		if (clock_gettime(CLOCK_REALTIME, &now) != 0)
			return err_set(CER_ERR_IO, "clock_gettime: %s", strerror(errno));
		t = (int64_t)now.tv_sec;
	}
	if ((r = vault_log_time_format(t, time_text)) != 0)
		return err_context(CER_ERR_USAGE, "vault log entry");
	snprintf(number, sizeof(number), "%llu", (unsigned long long)log->next_seq);

	put_str(o, "{\"v\":1,\"seq\":");
	put_str(o, number);
	put_member(o, "time", time_text);
	put_member(o, "who", e->who);
	put_member(o, "op", e->op);
	if (e->label != NULL)
		put_member(o, "label", e->label);
	if (e->fingerprint != NULL) {
		hex_encode(e->fingerprint, VAULT_LOG_FINGERPRINT_BYTES, hex);
		put_member(o, "fingerprint", hex);
	}
	put_member(o, "outcome", vault_log_outcome_name(e->outcome));
	if (e->detail != NULL && e->detail[0] != '\0') {
		/* The only escapes of the format: control characters are refused, everything else is
		 * written as its UTF-8 bytes. */
		put_str(o, ",\"detail\":\"");
		for (p = e->detail; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				put(o, "\\", 1);
			put(o, p, 1);
		}
		put_str(o, "\"");
	}
	if (e->certifies != NULL) {
		hex_encode(e->certifies, VAULT_LOG_PUBLIC_KEY_BYTES, hex);
		put_member(o, "certifies", hex);
	}
	if (session_pub != NULL) {
		hex_encode(session_pub, VAULT_LOG_PUBLIC_KEY_BYTES, hex);
		put_member(o, "signer", hex);
	}
	hex_encode(log->head, VAULT_LOG_HASH_BYTES, hex);
	put_member(o, "prev", hex);
	return 0;
}

static int write_line(struct vault_log *log, size_t len)
{
	const uint8_t *p = log->line;
	size_t left = len;

	/* One write() puts the whole line at the end (O_APPEND); a regular file takes it whole unless
	 * the disk is full or a signal lands, and then the rest follows. */
	while (left > 0) {
		ssize_t n = write(log->fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log->broken = 1;
			return err_set(CER_ERR_IO, "%s: write: %s", log->path, n < 0 ? strerror(errno) : "no progress");
		}
		p += n;
		left -= (size_t)n;
	}
	if (log->durable && fsync(log->fd) != 0) {
		log->broken = 1;
		return err_set(CER_ERR_IO, "%s: fsync: %s", log->path, strerror(errno));
	}
	return 0;
}

static int append_line(struct vault_log *log, const struct vault_log_entry *entry, vault_log_sign_fn sign,
                       void *sign_ctx, const uint8_t *session_pub, uint64_t *seq_out,
                       uint8_t hash_out[VAULT_LOG_HASH_BYTES])
{
	const uint8_t *verify_pub = session_pub != NULL ? session_pub : log->audit_pub;
	uint8_t sig[VAULT_LOG_SIGNATURE_BYTES], hash[VAULT_LOG_HASH_BYTES];
	char sig_text[VAULT_LOG_SIGNATURE_CHARS + 1];
	struct line_out o = {log->line, 0, 0};
	struct vault_log_parsed check = {0};
	struct stat st;
	size_t msg_len, body_len, line_len;
	int r;

	if (log->broken)
		return err_set(CER_ERR_REFUSED, "%s: an earlier write failed; open the log again", log->path);
	if (log->next_seq > VAULT_LOG_SEQ_MAX)
		return err_set(CER_ERR_REFUSED, "%s: the log is full", log->path);
	if (session_pub != NULL && entry->certifies != NULL)
		return err_set(CER_ERR_USAGE, "vault log entry: a session key cannot certify a key");
	if ((r = check_entry(entry)) != 0 || (r = format_body(log, entry, session_pub, &o)) != 0)
		return r;
	if (o.overflow)
		return err_set(CER_ERR_INTERNAL, "vault log entry: the line would exceed %d bytes", VAULT_LOG_LINE_MAX);
	body_len = o.len;

	msg_len = vault_log_signed_message(log->msg, log->line, body_len);
	if ((r = sign(sign_ctx, log->msg, msg_len, sig)) != 0)
		return err_context(r < 0 ? r : CER_ERR_INTERNAL, "%s: signing the log line", log->path);
	/* A signature by the wrong key would break the log for ever: refuse it before it is written. */
	if (crypto_sign_ed25519_verify_detached(sig, log->msg, msg_len, verify_pub) != 0)
		return err_set(CER_ERR_VERIFY, "%s: the signer's signature does not verify with the %s public key",
		               log->path, session_pub != NULL ? "session" : "audit");
	sodium_bin2base64(sig_text, sizeof(sig_text), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	put_str(&o, LOG_SIG_MEMBER_PREFIX);
	put_str(&o, sig_text);
	put_str(&o, "\"}");
	line_len = o.len;
	/* The writer holds itself to the verifier's parser: it never writes a line verify refuses. */
	if ((r = vault_log_parse_line(&check, log->line, line_len)) != 0)
		return err_context(CER_ERR_INTERNAL, "vault log: the line written does not parse back");
	vault_log_parsed_clear(&check);
	put(&o, "\n", 1);
	if (o.overflow) /* the field bounds make this impossible; checked all the same */
		return err_set(CER_ERR_INTERNAL, "vault log entry: the line would exceed %d bytes", VAULT_LOG_LINE_MAX);

	if (fstat(log->fd, &st) != 0)
		return err_set(CER_ERR_IO, "%s: %s", log->path, strerror(errno));
	if (st.st_size != log->end)
		return err_set(CER_ERR_REFUSED, "%s: the file changed since our last write (%lld bytes, expected %lld)",
		               log->path, (long long)st.st_size, (long long)log->end);
	if ((r = write_line(log, o.len)) != 0)
		return r;
	log->end += (off_t)o.len;
	sha256_digest(log->line, line_len, hash);
	memcpy(log->head, hash, sizeof(hash));
	if (seq_out != NULL)
		*seq_out = log->next_seq;
	if (hash_out != NULL)
		memcpy(hash_out, hash, sizeof(hash));
	log->next_seq++;
	return 0;
}

int vault_log_append(struct vault_log *log, const struct vault_log_entry *entry, vault_log_sign_fn sign, void *sign_ctx,
                     uint64_t *seq_out, uint8_t hash_out[VAULT_LOG_HASH_BYTES])
{
	return append_line(log, entry, sign, sign_ctx, NULL, seq_out, hash_out);
}

int vault_log_append_session(struct vault_log *log, const struct vault_log_entry *entry, vault_log_sign_fn sign,
                             void *sign_ctx, const uint8_t session_pub[VAULT_LOG_PUBLIC_KEY_BYTES], uint64_t *seq_out,
                             uint8_t hash_out[VAULT_LOG_HASH_BYTES])
{
	return append_line(log, entry, sign, sign_ctx, session_pub, seq_out, hash_out);
}

void vault_log_close(struct vault_log *log)
{
	if (log == NULL)
		return;
	if (log->fd >= 0)
		close(log->fd); /* releases the flock */
	free(log->path);
	free(log);
}
