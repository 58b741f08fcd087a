/* evidence/loose_raw: loose Git objects read from their files without libgit2. Objects libgit2 wrote
 * read back byte for byte; every way a file is refused has its test, with crafted zlib streams. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <git2.h>
#include <zlib.h>

#include "common/error.h"
#include "common/hash.h"
#include "common/init.h"
#include "evidence/loose_raw.h"
#include "helpers.h"

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
}

TestSuite(loose_raw, .init = setup);

/* A bare repository and a reader of its objects, bodies up to `body_max` bytes. */
struct repo {
	char *dir, *objects;
	git_repository *git;
	git_odb *odb;
	struct loose_raw_reader *reader;
};

static void repo_make(struct repo *r, const char *tag, size_t body_max)
{
	r->dir = test_tmpdir(tag);
	cr_assert_eq(git_repository_init(&r->git, r->dir, 1), 0);
	cr_assert_eq(git_repository_odb(&r->odb, r->git), 0);
	cr_assert(asprintf(&r->objects, "%s/objects", r->dir) > 0);
	cr_assert_eq(loose_raw_reader_new(r->objects, body_max, &r->reader), 0, "%s", err_message());
}

static void repo_free(struct repo *r)
{
	loose_raw_reader_free(r->reader);
	git_odb_free(r->odb);
	git_repository_free(r->git);
	free(r->objects);
	free(r->dir);
}

static char *object_file(const struct repo *r, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1], *path;

	git_oid_tostr(hex, sizeof(hex), id);
	cr_assert(asprintf(&path, "%s/%.2s/%s", r->objects, hex, hex + 2) > 0);
	return path;
}

/* Read `id` with the reader and with libgit2: the same type and the same bytes. */
static void assert_reads_like_libgit2(struct repo *r, const git_oid *id)
{
	git_odb_object *obj = NULL;
	git_object_t type;
	uint8_t *body = NULL;
	size_t len = 0;

	cr_assert_eq(loose_raw_read(r->reader, id->id, &type, &body, &len), 0, "%s", err_message());
	cr_assert_eq(git_odb_read(&obj, r->odb, id), 0);
	cr_assert_eq(type, git_odb_object_type(obj));
	cr_assert_eq(len, git_odb_object_size(obj));
	cr_assert_eq(memcmp(body, git_odb_object_data(obj), len), 0);
	cr_assert_eq(body[len], '\0', "the body is NUL-terminated");
	git_odb_object_free(obj);
	free(body);
}

Test(loose_raw, objects_libgit2_wrote_read_back_the_same)
{
	struct repo r;
	git_oid empty, text, noise, tree, commit;
	git_treebuilder *builder = NULL;
	git_signature *sig = NULL;
	git_tree *t = NULL;
	uint8_t *random = malloc(60000);

	/* 60,000 bytes that do not compress: the stream is longer than the body. */
	for (size_t i = 0; i < 60000; i++)
		random[i] = (uint8_t)((i * 2654435761u) >> 13);
	repo_make(&r, "loose-raw-libgit2", 64 * 1024);
	cr_assert_eq(git_blob_create_from_buffer(&empty, r.git, "", 0), 0);
	cr_assert_eq(git_blob_create_from_buffer(&text, r.git, "<record/>\n", 10), 0);
	cr_assert_eq(git_blob_create_from_buffer(&noise, r.git, random, 60000), 0);
	cr_assert_eq(git_treebuilder_new(&builder, r.git, NULL), 0);
	cr_assert_eq(git_treebuilder_insert(NULL, builder, "record.xml", &text, GIT_FILEMODE_BLOB), 0);
	cr_assert_eq(git_treebuilder_write(&tree, builder), 0);
	cr_assert_eq(git_tree_lookup(&t, r.git, &tree), 0);
	cr_assert_eq(git_signature_new(&sig, "a", "a@example.org", 1700000000, 0), 0);
	cr_assert_eq(git_commit_create(&commit, r.git, NULL, sig, sig, NULL, "m\n", t, 0, NULL), 0);
	assert_reads_like_libgit2(&r, &empty);
	assert_reads_like_libgit2(&r, &text);
	assert_reads_like_libgit2(&r, &noise);
	assert_reads_like_libgit2(&r, &tree);
	assert_reads_like_libgit2(&r, &commit);
	git_tree_free(t);
	git_signature_free(sig);
	git_treebuilder_free(builder);
	free(random);
	repo_free(&r);
}

Test(loose_raw, an_absent_object_is_not_found)
{
	struct repo r;
	uint8_t id[LOOSE_RAW_ID_BYTES] = {0xab};
	git_object_t type;
	uint8_t *body = (uint8_t *)"x";
	size_t len = 1;

	repo_make(&r, "loose-raw-absent", 1024);
	cr_assert_eq(loose_raw_read(r.reader, id, &type, &body, &len), CER_ERR_NOT_FOUND);
	cr_assert_null(body);
	cr_assert_eq(len, 0);
	cr_assert(strstr(err_message(), "ab/00000000") != NULL, "%s", err_message());
	repo_free(&r);
}

/* Write `object` (a blob's id) as something else, with `make`, and expect `code` and `reason`. */
static void assert_file_refused(const char *tag, void (*make)(const char *path, const char *elsewhere), int code,
                                const char *reason)
{
	struct repo r;
	git_oid blob;
	git_object_t type;
	uint8_t *body = NULL;
	size_t len = 0;
	char *path, *elsewhere;

	repo_make(&r, tag, 1024);
	cr_assert_eq(git_blob_create_from_buffer(&blob, r.git, "abc", 3), 0);
	path = object_file(&r, &blob);
	cr_assert(asprintf(&elsewhere, "%s/elsewhere", r.dir) > 0);
	cr_assert_eq(rename(path, elsewhere), 0);
	make(path, elsewhere);
	cr_assert_eq(loose_raw_read(r.reader, blob.id, &type, &body, &len), code, "%s", err_message());
	cr_assert_null(body);
	cr_assert(strstr(err_message(), reason) != NULL, "%s", err_message());
	free(elsewhere);
	free(path);
	repo_free(&r);
}

static void make_symlink(const char *path, const char *elsewhere)
{
	cr_assert_eq(symlink(elsewhere, path), 0);
}

static void make_fifo(const char *path, const char *elsewhere)
{
	(void)elsewhere;
	cr_assert_eq(mkfifo(path, 0644), 0);
}

static void make_directory(const char *path, const char *elsewhere)
{
	(void)elsewhere;
	cr_assert_eq(mkdir(path, 0755), 0);
}

static void make_big_file(const char *path, const char *elsewhere)
{
	(void)elsewhere;
	uint8_t zeros[4096] = {0}; /* larger than any stream of a body of at most 1024 bytes */
	test_write_file(path, zeros, sizeof(zeros));
}

static void make_link_to_fifo(const char *path, const char *elsewhere)
{
	char *fifo;

	cr_assert(asprintf(&fifo, "%s-fifo", elsewhere) > 0);
	cr_assert_eq(mkfifo(fifo, 0644), 0);
	cr_assert_eq(symlink(fifo, path), 0);
	free(fifo);
}

Test(loose_raw, a_symbolic_link_to_the_object_is_followed)
{
	struct repo r;
	git_oid blob;
	char *path, *elsewhere;

	/* As libgit2 and git follow it: the bytes still have to hash to the name. */
	repo_make(&r, "loose-raw-symlink", 1024);
	cr_assert_eq(git_blob_create_from_buffer(&blob, r.git, "abc", 3), 0);
	path = object_file(&r, &blob);
	cr_assert(asprintf(&elsewhere, "%s/elsewhere", r.dir) > 0);
	cr_assert_eq(rename(path, elsewhere), 0);
	make_symlink(path, elsewhere);
	assert_reads_like_libgit2(&r, &blob);
	free(elsewhere);
	free(path);
	repo_free(&r);
}

Test(loose_raw, a_fifo_is_refused_without_waiting, .timeout = 10)
{
	assert_file_refused("loose-raw-fifo", make_fifo, CER_ERR_UNSUPPORTED, "not a regular file");
}

Test(loose_raw, a_link_to_a_fifo_is_refused_without_waiting, .timeout = 10)
{
	assert_file_refused("loose-raw-link-fifo", make_link_to_fifo, CER_ERR_UNSUPPORTED, "not a regular file");
}

Test(loose_raw, a_directory_is_refused)
{
	assert_file_refused("loose-raw-dir", make_directory, CER_ERR_UNSUPPORTED, "not a regular file");
}

Test(loose_raw, a_file_too_large_for_the_limit_is_refused_unread)
{
	assert_file_refused("loose-raw-big", make_big_file, CER_ERR_FORMAT, "a file of more than");
}

/* ---- crafted streams, decoded from memory ---- */

static struct loose_raw_reader *decoder(size_t body_max)
{
	struct loose_raw_reader *d = NULL;

	cr_assert_eq(loose_raw_reader_new(NULL, body_max, &d), 0);
	return d;
}

/* zlib's stream of `len` bytes of `inflated` (header and body), in a new buffer. */
static uint8_t *deflated(const void *inflated, size_t len, size_t *out_len)
{
	uLongf n = compressBound((uLong)len);
	uint8_t *out = malloc(n);

	cr_assert_eq(compress2(out, &n, inflated, (uLong)len, 6), Z_OK);
	*out_len = n;
	return out;
}

/* Decode the stream of `inflated` (its SHA-1 given as the id), expecting `code` and `reason`. */
static void assert_decode(const void *inflated, size_t len, size_t body_max, int code, const char *reason)
{
	struct loose_raw_reader *d = decoder(body_max);
	uint8_t id[SHA1_DIGEST_BYTES], *file, *body = NULL;
	size_t file_len, body_len = 0;
	git_object_t type;

	sha1_digest_parts(inflated, len, "", 0, id);
	file = deflated(inflated, len, &file_len);
	cr_assert_eq(loose_raw_decode(d, file, file_len, id, &type, &body, &body_len), code, "%s", err_message());
	if (code == 0) {
		cr_assert_eq(type, GIT_OBJECT_BLOB);
		free(body);
	} else {
		cr_assert_null(body);
		cr_assert(strstr(err_message(), reason) != NULL, "%s", err_message());
	}
	free(file);
	loose_raw_reader_free(d);
}

Test(loose_raw, headers)
{
	assert_decode("blob 3\0abc", 10, 100, 0, NULL);
	assert_decode("blob 0\0", 7, 100, 0, NULL);
	assert_decode("blob 100\0", 9, 100, CER_ERR_FORMAT, "shorter than its header says");
	assert_decode("blob 101\0", 9, 100, CER_ERR_FORMAT, "larger than 100 bytes");
	assert_decode("blob 18446744073709551616\0", 26, 100, CER_ERR_FORMAT, "larger than 100 bytes");
	assert_decode("blob 123456789012345678901\0", 27, 100, CER_ERR_FORMAT, "not a decimal number");
	assert_decode("blob 03\0abc", 11, 100, CER_ERR_FORMAT, "not a decimal number");
	assert_decode("blob \0", 6, 100, CER_ERR_FORMAT, "not a decimal number");
	assert_decode("blob 3a\0abc", 11, 100, CER_ERR_FORMAT, "not a decimal number");
	assert_decode("blob -3\0abc", 11, 100, CER_ERR_FORMAT, "not a decimal number");
	assert_decode("blob  3\0abc", 11, 100, CER_ERR_FORMAT, "not a decimal number");
	assert_decode("blobs 3\0abc", 11, 100, CER_ERR_FORMAT, "does not start with commit, tree, blob or tag");
	assert_decode("blob3\0abc", 9, 100, CER_ERR_FORMAT, "does not start with commit, tree, blob or tag");
	assert_decode("ofs-delta 3\0abc", 15, 100, CER_ERR_FORMAT, "does not start with commit, tree, blob or tag");
	assert_decode("blob 3", 6, 100, CER_ERR_FORMAT, "no header");
	assert_decode("blob 00000000000000000000000000003\0abc", 38, 100, CER_ERR_FORMAT, "no header");
}

Test(loose_raw, bodies_of_the_wrong_length)
{
	assert_decode("blob 5\0abc", 10, 100, CER_ERR_FORMAT, "shorter than its header says");
	assert_decode("blob 2\0abc", 10, 100, CER_ERR_FORMAT, "longer than its header says");
	assert_decode("blob 0\0a", 8, 100, CER_ERR_FORMAT, "longer than its header says");
}

Test(loose_raw, a_long_body_longer_than_its_header_says)
{
	char text[2000];

	/* The excess comes after the first inflate call, not with the header. */
	memset(text, 'x', sizeof(text));
	memcpy(text, "blob 1000\0", 10);
	assert_decode(text, sizeof(text), 4000, CER_ERR_FORMAT, "longer than its header says");
	memcpy(text, "blob 1990\0", 10);
	assert_decode(text, sizeof(text), 4000, 0, NULL);
}

/* The stream of "blob 3\0abc", altered by `alter`, decoded against the right id. */
static void assert_stream_refused(size_t (*alter)(uint8_t *file, size_t len), const char *reason)
{
	struct loose_raw_reader *d = decoder(100);
	uint8_t id[SHA1_DIGEST_BYTES], file[64], *stream, *body = NULL;
	size_t len, body_len = 0;
	git_object_t type;

	sha1_digest_parts("blob 3\0abc", 10, "", 0, id);
	stream = deflated("blob 3\0abc", 10, &len);
	memcpy(file, stream, len);
	free(stream);
	len = alter(file, len);
	cr_assert_eq(loose_raw_decode(d, file, len, id, &type, &body, &body_len), CER_ERR_FORMAT);
	cr_assert_null(body);
	cr_assert(strstr(err_message(), reason) != NULL, "%s", err_message());
	loose_raw_reader_free(d);
}

static size_t truncate_checksum(uint8_t *file, size_t len)
{
	(void)file;
	return len - 2;
}

static size_t truncate_to_header(uint8_t *file, size_t len)
{
	(void)file;
	(void)len;
	return 2;
}

static size_t empty(uint8_t *file, size_t len)
{
	(void)file;
	(void)len;
	return 0;
}

static size_t trailing_bytes(uint8_t *file, size_t len)
{
	memcpy(file + len, "junk", 4);
	return len + 4;
}

static size_t flip_checksum(uint8_t *file, size_t len)
{
	file[len - 1] ^= 1;
	return len;
}

static size_t not_zlib(uint8_t *file, size_t len)
{
	(void)len;
	memcpy(file, "garbage, not even zlib", 22);
	return 22;
}

static size_t wants_dictionary(uint8_t *file, size_t len)
{
	(void)len;
	/* A zlib header with FDICT set (0x78 0xBB: a multiple of 31), then a dictionary id. */
	memcpy(file, "\x78\xbb\x00\x00\x00\x01", 6);
	return 6;
}

Test(loose_raw, damaged_streams)
{
	assert_stream_refused(truncate_checksum, "not a whole zlib stream");
	assert_stream_refused(truncate_to_header, "not a whole zlib stream");
	assert_stream_refused(empty, "not a whole zlib stream");
	assert_stream_refused(flip_checksum, "not a whole zlib stream");
	assert_stream_refused(not_zlib, "not a whole zlib stream");
	assert_stream_refused(trailing_bytes, "bytes after the end of its zlib stream");
	assert_stream_refused(wants_dictionary, "needs a dictionary");
}

Test(loose_raw, bytes_that_do_not_hash_to_the_id)
{
	struct loose_raw_reader *d = decoder(100);
	uint8_t id[SHA1_DIGEST_BYTES], *file, *body = NULL;
	size_t len, body_len = 0;
	git_object_t type;

	/* A well-formed object under another object's name: only hashing tells. */
	sha1_digest_parts("blob 3\0abd", 10, "", 0, id);
	file = deflated("blob 3\0abc", 10, &len);
	cr_assert_eq(loose_raw_decode(d, file, len, id, &type, &body, &body_len), CER_ERR_FORMAT);
	cr_assert_null(body);
	cr_assert(strstr(err_message(), "do not hash to its id") != NULL, "%s", err_message());
	free(file);
	loose_raw_reader_free(d);
}

Test(loose_raw, the_reader_is_reused_after_a_refusal)
{
	assert_decode("blob 5\0abc", 10, 100, CER_ERR_FORMAT, "shorter");
	/* same decoder, refusal then success: the stream is reset between objects */
	struct loose_raw_reader *d = decoder(100);
	uint8_t id[SHA1_DIGEST_BYTES], *bad, *good, *body = NULL;
	size_t bad_len, good_len, body_len = 0;
	git_object_t type;

	bad = deflated("blob 9\0abc", 10, &bad_len);
	good = deflated("tree 3\0abc", 10, &good_len);
	sha1_digest_parts("blob 9\0abc", 10, "", 0, id);
	cr_assert_eq(loose_raw_decode(d, bad, bad_len, id, &type, &body, &body_len), CER_ERR_FORMAT);
	sha1_digest_parts("tree 3\0abc", 10, "", 0, id);
	cr_assert_eq(loose_raw_decode(d, good, good_len, id, &type, &body, &body_len), 0, "%s", err_message());
	cr_assert_eq(type, GIT_OBJECT_TREE);
	cr_assert_eq(body_len, 3);
	cr_assert_str_eq((const char *)body, "abc");
	free(body);
	free(bad);
	free(good);
	loose_raw_reader_free(d);
}

/* ---- which repositories it may read ---- */

Test(loose_raw, only_repositories_without_packs)
{
	struct repo r;
	struct loose_raw_reader *reader = NULL;
	char *pack;

	repo_make(&r, "loose-raw-packs", 1024);
	cr_assert_eq(loose_raw_dir_has_packs(r.objects), 0);
	cr_assert_eq(loose_raw_reader_for(r.git, 1024, &reader), 0);
	cr_assert_not_null(reader);
	loose_raw_reader_free(reader);
	cr_assert(asprintf(&pack, "%s/pack/pack-0123.pack", r.objects) > 0);
	test_write_file(pack, "PACK", 4);
	cr_assert_eq(loose_raw_dir_has_packs(r.objects), 1);
	cr_assert_eq(loose_raw_reader_for(r.git, 1024, &reader), 0);
	cr_assert_null(reader, "libgit2 asks packs first: the loose files must not be read directly");
	free(pack);
	repo_free(&r);
}

Test(loose_raw, a_directory_that_is_not_there)
{
	struct loose_raw_reader *reader = (struct loose_raw_reader *)1;

	cr_assert_eq(loose_raw_reader_new("/nonexistent/objects", 1024, &reader), CER_ERR_IO);
	cr_assert_null(reader);
	cr_assert(strstr(err_message(), "/nonexistent/objects") != NULL, "%s", err_message());
	cr_assert_eq(loose_raw_dir_has_packs("/nonexistent/objects"), 0);
}

Test(loose_raw, a_limit_zlib_cannot_count_is_refused)
{
	struct loose_raw_reader *reader = (struct loose_raw_reader *)1;

	cr_assert_eq(loose_raw_reader_new(NULL, (size_t)LOOSE_RAW_BODY_LIMIT + 1, &reader), CER_ERR_USAGE);
	cr_assert_null(reader);
	cr_assert(strstr(err_message(), "limit too large") != NULL, "%s", err_message());
	cr_assert_eq(loose_raw_reader_new(NULL, LOOSE_RAW_BODY_LIMIT, &reader), 0);
	loose_raw_reader_free(reader);
}
