#include "common/vault_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/vault_log_line.h"

/* How much is read at a time; with one partial line carried over, the reader never holds more than
 * READ_CHUNK + VAULT_LOG_LINE_MAX bytes, whatever the number of lines. */
#define READ_CHUNK (256 * 1024)

/* Session keys seen so far. Each vault process start makes one, so this grows with the starts, not
 * with the lines: 65536 starts (one a day for 179 years) cost 2.6 MB at most. */
#define SESSION_KEYS_MAX 65536

/* A session key and the lines it signed. An audit-signed line certifying it (before or after those
 * lines) says the key was the vault process's own, and only that process ever held it: then every
 * line it signed is the vault's word. */
struct session_key {
	uint8_t key[VAULT_LOG_PUBLIC_KEY_BYTES];
	int certified;
	uint64_t lines; /* signed while uncertified */
	uint64_t first_line;
};

struct walk {
	const char *path;
	const uint8_t *audit_pub;
	vault_log_each_fn fn;
	void *ctx;
	uint64_t line_no; /* of the line being checked, 1-based */
	uint8_t prev_hash[VAULT_LOG_HASH_BYTES]; /* of the line before it; zeros before line 1 */
	struct session_key *keys;
	size_t key_count, key_cap;
};

/* The entry of session key `key` into *out, added (uncertified, no lines) if new. */
static int session_key_of(struct walk *w, const uint8_t key[VAULT_LOG_PUBLIC_KEY_BYTES], struct session_key **out)
{
	struct session_key *k;
	size_t i;

	for (i = 0; i < w->key_count; i++)
		if (memcmp(w->keys[i].key, key, VAULT_LOG_PUBLIC_KEY_BYTES) == 0) {
			*out = &w->keys[i];
			return 0;
		}
	if (w->key_count == SESSION_KEYS_MAX)
		return err_set(CER_ERR_FORMAT, "more than %d session keys", SESSION_KEYS_MAX);
	if (w->key_count == w->key_cap) {
		size_t cap = w->key_cap == 0 ? 8 : 2 * w->key_cap;
		k = realloc(w->keys, cap * sizeof(*k));
		if (k == NULL)
			return err_set(CER_ERR_NOMEM, "out of memory");
		w->keys = k;
		w->key_cap = cap;
	}
	k = &w->keys[w->key_count++];
	memset(k, 0, sizeof(*k));
	memcpy(k->key, key, VAULT_LOG_PUBLIC_KEY_BYTES);
	*out = k;
	return 0;
}

/* A line signed by session key `key`. */
static int note_session_line(struct walk *w, const uint8_t key[VAULT_LOG_PUBLIC_KEY_BYTES])
{
	struct session_key *k = NULL;
	int r;

	if ((r = session_key_of(w, key, &k)) != 0)
		return r;
	if (!k->certified && k->lines++ == 0)
		k->first_line = w->line_no;
	return 0;
}

/* An audit-signed line certifies `key`. */
static int certify(struct walk *w, const uint8_t key[VAULT_LOG_PUBLIC_KEY_BYTES])
{
	struct session_key *k = NULL;
	int r;

	if ((r = session_key_of(w, key, &k)) != 0)
		return r;
	k->certified = 1;
	k->lines = 0;
	k->first_line = 0;
	return 0;
}

/* Everything about line `w->line_no` against its neighbours: seq, prev, signature. Cheap checks
 * first; the signature last, since it is the dear one. */
static int check_line(struct walk *w, const uint8_t *p, size_t len, int *stopped)
{
	struct vault_log_line view;
	struct vault_log_parsed parsed;
	uint64_t expected = w->line_no - 1;
	int r;

	if ((r = vault_log_parse_line(&parsed, p, len)) != 0)
		return r;
	if (parsed.seq != expected) {
		r = err_set(CER_ERR_VERIFY,
		            "seq is %llu where %llu was expected (lines missing, repeated or out of order)",
		            (unsigned long long)parsed.seq, (unsigned long long)expected);
		goto out;
	}
	if (memcmp(parsed.prev, w->prev_hash, sizeof(parsed.prev)) != 0) {
		if (w->line_no == 1)
			r = err_set(CER_ERR_VERIFY, "prev is not 64 zeros (the first line has no line before it)");
		else
			r = err_set(CER_ERR_VERIFY, "prev does not match the hash of line %llu",
			            (unsigned long long)(w->line_no - 1));
		goto out;
	}
	if ((r = vault_log_check_signature(p, &parsed, w->audit_pub)) != 0)
		goto out;
	if (parsed.has_signer && (r = note_session_line(w, parsed.signer)) != 0)
		goto out;
	if (parsed.entry.certifies != NULL && (r = certify(w, parsed.entry.certifies)) != 0)
		goto out;
	sha256_digest(p, len, w->prev_hash);
	if (w->fn != NULL) {
		view.seq = parsed.seq;
		view.signer = parsed.has_signer ? parsed.signer : NULL;
		view.entry = parsed.entry;
		view.time_text = parsed.time_text;
		memcpy(view.prev, parsed.prev, sizeof(view.prev));
		memcpy(view.hash, w->prev_hash, sizeof(view.hash));
		view.bytes = p;
		view.len = len;
		if ((r = w->fn(w->ctx, &view)) != 0)
			*stopped = 1; /* the caller's own code and message: no line is bad */
	}
out:
	vault_log_parsed_clear(&parsed);
	return r;
}

static int read_some(int fd, uint8_t *p, size_t len, size_t *got, const char *path)
{
	ssize_t n;

	do {
		n = read(fd, p, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	*got = (size_t)n;
	return 0;
}

/* Split the stream into lines and check each; `bad_line` is the line a refusal is about. */
static int walk_file(struct walk *w, int fd, uint64_t *bad_line)
{
	const size_t cap = READ_CHUNK + VAULT_LOG_LINE_MAX;
	uint8_t *buf = NULL;
	size_t have = 0, got = 0, start, scan;
	int r = 0, stopped = 0;

	buf = malloc(cap);
	if (buf == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	w->line_no = 1;
	for (;;) {
		if ((r = read_some(fd, buf + have, cap - have, &got, w->path)) != 0)
			goto out;
		if (got == 0)
			break;
		scan = have;
		have += got;
		start = 0;
		for (;;) {
			const uint8_t *nl = memchr(buf + scan, '\n', have - scan);
			size_t len;
			if (nl == NULL)
				break;
			len = (size_t)(nl - (buf + start));
			if (len + 1 > VAULT_LOG_LINE_MAX) {
				r = err_set(CER_ERR_FORMAT, "longer than %d bytes", VAULT_LOG_LINE_MAX);
				goto bad;
			}
			if ((r = check_line(w, buf + start, len, &stopped)) != 0) {
				if (stopped)
					goto out;
				goto bad;
			}
			w->line_no++;
			start = scan = (size_t)(nl - buf) + 1;
		}
		if (have - start >= VAULT_LOG_LINE_MAX) {
			r = err_set(CER_ERR_FORMAT, "longer than %d bytes", VAULT_LOG_LINE_MAX);
			goto bad;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	if (have > 0) {
		r = err_set(CER_ERR_FORMAT,
		            "incomplete: no newline at the end, as when a crash cuts a write short (opening the log "
		            "for writing discards it)");
		goto bad;
	}
	goto out;
bad:
	*bad_line = w->line_no;
	err_context(r, "line %llu", (unsigned long long)w->line_no);
out:
	free(buf);
	return r;
}

int vault_log_each(const char *path, const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES], vault_log_each_fn fn,
                   void *ctx, struct vault_log_result *result)
{
	struct walk w = {0};
	uint64_t bad_line = 0;
	int fd, r;

	if (result != NULL)
		memset(result, 0, sizeof(*result));
	w.path = path;
	w.audit_pub = audit_pub;
	w.fn = fn;
	w.ctx = ctx;
	if ((fd = file_open_regular(path, NULL)) < 0)
		return fd;
	if ((r = walk_file(&w, fd, &bad_line)) != 0) {
		if (bad_line != 0)
			err_context(r, "%s", path);
		if (result != NULL)
			result->bad_line = bad_line;
		goto out;
	}
	if (result != NULL) {
		size_t i;
		result->entries = w.line_no - 1;
		memcpy(result->head, w.prev_hash, sizeof(result->head));
		for (i = 0; i < w.key_count; i++) {
			if (w.keys[i].lines == 0)
				continue;
			result->uncertified_lines += w.keys[i].lines;
			if (result->first_uncertified_line == 0 ||
			    w.keys[i].first_line < result->first_uncertified_line)
				result->first_uncertified_line = w.keys[i].first_line;
		}
	}
out:
	free(w.keys);
	close(fd);
	return r;
}

int vault_log_verify(const char *path, const uint8_t audit_pub[VAULT_LOG_PUBLIC_KEY_BYTES],
                     struct vault_log_result *result)
{
	return vault_log_each(path, audit_pub, NULL, NULL, result);
}
