#include "evidence/loose_raw.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/buffer.h>
#include <git2/repository.h>
#include <zlib.h>

#include "common/error.h"
#include "common/hash.h"

/* "commit 18446744073709551615" and its NUL fit; a longer header is refused. */
#define HEADER_MAX 32
#define SIZE_DIGITS_MAX 20
/* zlib's worst case for input it cannot compress: 5 bytes per stored block of up to 16383 bytes,
 * plus its 2-byte header and 4-byte checksum. A file larger than this for the largest body allowed
 * is refused before it is read. */
#define ZLIB_BOUND(n) ((n) + ((n) / 16383 + 1) * 5 + 6)

struct loose_raw_reader {
	int objects_fd; /* -1: decoding only */
	size_t body_max;
	size_t file_max;
	uint8_t *file; /* file_max + 1 bytes: one more than allowed, to see a file that grew */
	z_stream zs;
	int zs_ready;
};

int loose_raw_reader_new(const char *objects_dir, size_t body_max, struct loose_raw_reader **out)
{
	struct loose_raw_reader *r;

	*out = NULL;
	if (body_max > LOOSE_RAW_BODY_LIMIT)
		return err_set(CER_ERR_USAGE, "loose object limit too large");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	r->objects_fd = -1;
	r->body_max = body_max;
	r->file_max = ZLIB_BOUND(HEADER_MAX + body_max);
	if (objects_dir != NULL) {
		if ((r->file = malloc(r->file_max + 1)) == NULL) {
			free(r);
			return err_set(CER_ERR_NOMEM, "out of memory");
		}
		r->objects_fd = open(objects_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (r->objects_fd < 0) {
			int e = errno;
			free(r->file);
			free(r);
			return err_set(CER_ERR_IO, "%s: %s", objects_dir, strerror(e));
		}
	}
	if (inflateInit(&r->zs) != Z_OK) {
		loose_raw_reader_free(r);
		return err_set(CER_ERR_NOMEM, "out of memory (zlib)");
	}
	r->zs_ready = 1;
	*out = r;
	return 0;
}

void loose_raw_reader_free(struct loose_raw_reader *r)
{
	if (r == NULL)
		return;
	if (r->zs_ready)
		inflateEnd(&r->zs);
	if (r->objects_fd >= 0)
		close(r->objects_fd);
	free(r->file);
	free(r);
}

int loose_raw_dir_has_packs(const char *objects_dir)
{
	char path[4096];
	struct dirent *entry;
	DIR *dir;
	int found = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/pack", objects_dir) >= sizeof(path))
		return err_set(CER_ERR_IO, "%s: path too long", objects_dir);
	if ((dir = opendir(path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	}
	while (!found && (entry = readdir(dir)) != NULL) {
		size_t n = strlen(entry->d_name);
		found = n > 5 && strcmp(entry->d_name + n - 5, ".pack") == 0;
	}
	closedir(dir);
	return found;
}

int loose_raw_repository_has_packs(git_repository *repo)
{
	git_buf objects = {0};
	int r;

	if (git_repository_item_path(&objects, repo, GIT_REPOSITORY_ITEM_OBJECTS) != 0)
		return err_set(CER_ERR_IO, "the repository has no object directory");
	r = loose_raw_dir_has_packs(objects.ptr);
	git_buf_dispose(&objects);
	return r;
}

int loose_raw_reader_for(git_repository *repo, size_t body_max, struct loose_raw_reader **out)
{
	git_buf objects = {0};
	int r = 0;

	*out = NULL;
	if (git_repository_item_path(&objects, repo, GIT_REPOSITORY_ITEM_OBJECTS) == 0 &&
	    loose_raw_dir_has_packs(objects.ptr) == 0 && (r = loose_raw_reader_new(objects.ptr, body_max, out)) != 0)
		r = r == CER_ERR_NOMEM ? r : 0;
	git_buf_dispose(&objects);
	return r;
}

static git_object_t type_named(const uint8_t *name, size_t len)
{
	static const struct {
		const char *name;
		git_object_t type;
	} types[] = {{"commit", GIT_OBJECT_COMMIT},
	             {"tree", GIT_OBJECT_TREE},
	             {"blob", GIT_OBJECT_BLOB},
	             {"tag", GIT_OBJECT_TAG}};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == len && memcmp(types[i].name, name, len) == 0)
			return types[i].type;
	return GIT_OBJECT_INVALID;
}

/* "TYPE SP SIZE NUL" at the start of `head` (`got` bytes inflated): its length with the NUL. */
static int parse_header(const uint8_t *head, size_t got, size_t body_max, git_object_t *type, size_t *size,
                        size_t *header_len)
{
	const uint8_t *nul = memchr(head, '\0', got), *space;
	size_t value = 0, digits;

	if (nul == NULL)
		return err_set(CER_ERR_FORMAT, "loose object: no header in its first %d bytes", HEADER_MAX);
	space = memchr(head, ' ', (size_t)(nul - head));
	if (space == NULL || (*type = type_named(head, (size_t)(space - head))) == GIT_OBJECT_INVALID)
		return err_set(CER_ERR_FORMAT,
		               "loose object: the header does not start with commit, tree, blob or tag");
	digits = (size_t)(nul - space - 1);
	if (digits == 0 || digits > SIZE_DIGITS_MAX || (digits > 1 && space[1] == '0'))
		return err_set(CER_ERR_FORMAT, "loose object: the size in its header is not a decimal number");
	for (const uint8_t *p = space + 1; p < nul; p++) {
		if (*p < '0' || *p > '9')
			return err_set(CER_ERR_FORMAT, "loose object: the size in its header is not a decimal number");
		size_t digit = (size_t)(*p - '0');
		if (value > body_max / 10 || digit > body_max - value * 10)
			return err_set(CER_ERR_FORMAT, "loose object: larger than %zu bytes", body_max);
		value = value * 10 + digit;
	}
	*size = value;
	*header_len = (size_t)(nul - head) + 1;
	return 0;
}

int loose_raw_decode(struct loose_raw_reader *r, const uint8_t *file, size_t file_len,
                     const uint8_t id[LOOSE_RAW_ID_BYTES], git_object_t *type, uint8_t **body, size_t *len)
{
	uint8_t head[HEADER_MAX], digest[SHA1_DIGEST_BYTES];
	size_t got, header_len = 0, size = 0, early;
	uint8_t *out;
	int z;

	*body = NULL;
	*len = 0;
	if (file_len > UINT32_MAX)
		return err_set(CER_ERR_FORMAT, "loose object: file too large");
	if (inflateReset(&r->zs) != Z_OK)
		return err_set(CER_ERR_INTERNAL, "zlib: cannot reset");
	r->zs.next_in = (Bytef *)(uintptr_t)file; /* zlib only reads it */
	r->zs.avail_in = (uInt)file_len;
	r->zs.next_out = head;
	r->zs.avail_out = sizeof(head);
	z = inflate(&r->zs, Z_NO_FLUSH);
	/* Given all the input, inflate stops short of filling `head` only at the stream's end. */
	if ((z != Z_OK && z != Z_STREAM_END) || (z == Z_OK && r->zs.avail_out > 0))
		return err_set(CER_ERR_FORMAT, "loose object: not a whole zlib stream (%s)",
		               z == Z_NEED_DICT ? "needs a dictionary" : "damaged or truncated");
	got = sizeof(head) - r->zs.avail_out;
	if (parse_header(head, got, r->body_max, type, &size, &header_len) != 0)
		return CER_ERR_FORMAT;
	early = got - header_len; /* body bytes that came with the header */
	if (early > size)
		return err_set(CER_ERR_FORMAT, "loose object: longer than its header says");
	if ((out = malloc(size + 1)) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	memcpy(out, head + header_len, early);
	if (z != Z_STREAM_END) {
		/* One byte more than the header promises: a longer body fills it and is refused. */
		r->zs.next_out = out + early;
		r->zs.avail_out = (uInt)(size - early + 1);
		z = inflate(&r->zs, Z_FINISH);
	}
	if (z != Z_STREAM_END || r->zs.avail_in != 0 || r->zs.total_out != header_len + size) {
		free(out);
		if (z == Z_STREAM_END && r->zs.avail_in != 0)
			return err_set(CER_ERR_FORMAT, "loose object: bytes after the end of its zlib stream");
		if (z == Z_STREAM_END)
			return err_set(CER_ERR_FORMAT, "loose object: shorter than its header says");
		return err_set(CER_ERR_FORMAT, "loose object: not a whole zlib stream, or longer than its header says");
	}
	sha1_digest_parts(head, header_len, out, size, digest);
	if (memcmp(digest, id, sizeof(digest)) != 0) {
		free(out);
		return err_set(CER_ERR_FORMAT, "loose object: its bytes do not hash to its id");
	}
	out[size] = '\0';
	*body = out;
	*len = size;
	return 0;
}

int loose_raw_read(struct loose_raw_reader *r, const uint8_t id[LOOSE_RAW_ID_BYTES], git_object_t *type, uint8_t **body,
                   size_t *len)
{
	static const char hex[] = "0123456789abcdef";
	char name[2 + 1 + 2 * (LOOSE_RAW_ID_BYTES - 1) + 1];
	struct stat st;
	size_t used = 0;
	int fd, e;

	*body = NULL;
	*len = 0;
	if (r->objects_fd < 0)
		return err_set(CER_ERR_USAGE, "loose object reader without a directory");
	name[0] = hex[id[0] >> 4];
	name[1] = hex[id[0] & 15];
	name[2] = '/';
	for (size_t i = 1; i < LOOSE_RAW_ID_BYTES; i++) {
		name[1 + 2 * i] = hex[id[i] >> 4];
		name[2 + 2 * i] = hex[id[i] & 15];
	}
	name[sizeof(name) - 1] = '\0';
	/* Nothing waits: a FIFO (or a link to one) opens at once and is then refused. A link to a
	 * regular file is followed, as libgit2 and git follow it: what counts is that the bytes hash to
	 * the name. */
	fd = openat(r->objects_fd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			return err_set(CER_ERR_NOT_FOUND, "objects/%s: no such file", name);
		return err_set(e == EISDIR ? CER_ERR_UNSUPPORTED : CER_ERR_IO, "objects/%s: %s", name,
		               e == EISDIR ? "not a regular file" : strerror(e));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(CER_ERR_UNSUPPORTED, "objects/%s: not a regular file", name);
	}
	if ((uint64_t)st.st_size > r->file_max) {
		close(fd);
		return err_set(CER_ERR_FORMAT, "objects/%s: a file of more than %zu bytes", name, r->file_max);
	}
	for (;;) {
		ssize_t n = read(fd, r->file + used, r->file_max + 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			return err_set(CER_ERR_IO, "objects/%s: %s", name, strerror(e));
		}
		if (n == 0 || (used += (size_t)n) > r->file_max)
			break;
	}
	close(fd);
	if (used > r->file_max)
		return err_set(CER_ERR_FORMAT, "objects/%s: larger than %zu bytes", name, r->file_max);
	if ((e = loose_raw_decode(r, r->file, used, id, type, body, len)) != 0)
		return err_context(e, "objects/%s", name);
	return 0;
}
