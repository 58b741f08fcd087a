#include "evidence/loose_odb.h"

#include <stdlib.h>
#include <string.h>

#include <git2/sys/odb_backend.h>

#include "common/error.h"
#include "common/git_error.h"
#include "evidence/loose_raw.h"

/* Asked after the read-ahead's backend (100) and before libgit2's loose and packed ones (1, 2). */
#define BACKEND_PRIORITY 50

struct loose_odb {
	git_odb_backend parent;
	struct loose_raw_reader *reader;
	/* The object last decoded for a header, kept for the read that usually follows. */
	git_oid kept_id;
	git_object_t kept_type;
	uint8_t *kept;
	size_t kept_len;
};

static void forget(struct loose_odb *b)
{
	free(b->kept);
	b->kept = NULL;
}

/* Decode `id` into b->kept: 0, or what the backend answers libgit2 (GIT_PASSTHROUGH: let libgit2's
 * own backends read it and judge it; -1 with libgit2's error set: nothing may read it). */
static int decode(struct loose_odb *b, const git_oid *id)
{
	int r;

	if (b->kept != NULL && git_oid_equal(&b->kept_id, id))
		return 0;
	forget(b);
	r = loose_raw_read(b->reader, id->id, &b->kept_type, &b->kept, &b->kept_len);
	if (r == 0) {
		git_oid_cpy(&b->kept_id, id);
		return 0;
	}
	if (r == CER_ERR_UNSUPPORTED) {
		git_error_set_str(GIT_ERROR_ODB, err_message());
		return -1;
	}
	return GIT_PASSTHROUGH;
}

static int backend_read(void **data, size_t *len, git_object_t *type, git_odb_backend *backend, const git_oid *id)
{
	struct loose_odb *b = (struct loose_odb *)backend;
	int r = decode(b, id);

	if (r != 0)
		return r;
	if ((*data = git_odb_backend_data_alloc(backend, b->kept_len + 1)) == NULL)
		return -1;
	memcpy(*data, b->kept, b->kept_len);
	*len = b->kept_len;
	*type = b->kept_type;
	forget(b); /* read once: libgit2 caches it from here */
	return 0;
}

static int backend_read_header(size_t *len, git_object_t *type, git_odb_backend *backend, const git_oid *id)
{
	struct loose_odb *b = (struct loose_odb *)backend;
	int r = decode(b, id);

	if (r != 0)
		return r;
	*len = b->kept_len;
	*type = b->kept_type;
	return 0;
}

static void backend_free(git_odb_backend *backend)
{
	struct loose_odb *b = (struct loose_odb *)backend;

	forget(b);
	loose_raw_reader_free(b->reader);
	free(b);
}

int loose_odb_attach(git_repository *repo)
{
	struct loose_odb *b;
	git_odb *odb = NULL;
	int r;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if ((r = loose_raw_reader_for(repo, LOOSE_ODB_OBJECT_BYTES_MAX, &b->reader)) != 0 || b->reader == NULL) {
		free(b);
		return r; /* 0 with no reader: the repository has a pack, libgit2 reads it all */
	}
	if (git_odb_init_backend(&b->parent, GIT_ODB_BACKEND_VERSION) < 0 || git_repository_odb(&odb, repo) < 0) {
		backend_free(&b->parent);
		return git_error_to_cer(CER_ERR_INTERNAL, "object database");
	}
	b->parent.read = backend_read;
	b->parent.read_header = backend_read_header;
	b->parent.free = backend_free;
	if (git_odb_add_backend(odb, &b->parent, BACKEND_PRIORITY) < 0) {
		git_odb_free(odb);
		backend_free(&b->parent);
		return git_error_to_cer(CER_ERR_INTERNAL, "object database");
	}
	git_odb_free(odb);
	return 0;
}
