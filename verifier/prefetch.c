#include "verifier/prefetch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2/sys/odb_backend.h>

#include "common/error.h"
#include "common/git_error.h"
#include "evidence/commit_raw.h"
#include "evidence/loose_raw.h"
#include "evidence/store.h"
#include "evidence/tree_raw.h"
#include "verifier/cpus.h"

/* Records read ahead at most; each holds at most OBJECTS_MAX objects of at most
 * PREFETCH_OBJECT_BYTES_MAX bytes, so the read-ahead's memory is bounded whatever the evidence. A
 * record of the store has 12 to 20 objects of a few KiB. */
#define SLOTS 32
#define OBJECTS_MAX 48
/* The reader reopens its repository as often as the checks do theirs, for the same reason: libgit2
 * caches what it reads (REPLAY_WINDOW in evidence_check.c). */
#define READER_WINDOW 128
/* Readers, each with its own repository, taking records in turn: reading is the larger part of
 * verification, so it gets two threads beside the checking one and the signature checker. */
#define READERS 2
/* Whichever thread waits for the other sleeps until this many records are ready (or free): one
 * wake-up per few records rather than per record. */
#define HYSTERESIS 8
/* Asked before the loose and packed backends (priorities 1 and 2). */
#define BACKEND_PRIORITY 100

struct fetched {
	git_oid id;
	git_object_t type;
	size_t len;
	uint8_t *data;
};

struct bundle {
	size_t ready; /* under the lock: 1 + the index of the record it holds, once read; 0 before */
	size_t count;
	struct fetched objects[OBJECTS_MAX];
};

struct reader {
	struct prefetch *pf;
	size_t first; /* it reads records first, first + READERS, ... */
	pthread_t thread;
	int started;
};

struct prefetch {
	char *dir;
	const git_oid *history;
	size_t count;
	struct reader readers[READERS];
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct bundle slots[SLOTS];
	/* Under `lock`: */
	size_t released; /* records below it are the readers' again: they may read up to released + SLOTS - 1 */
	size_t readers_waiting; /* asleep until slots are released */
	size_t checks_want; /* the checks sleep until a record this far is read (0: not asleep) */
	size_t readers_done;
	int stopping;
	/* The checking thread's own: what its backend serves. */
	size_t current;
	int serving_current, serving_previous;
};

struct prefetch_backend {
	git_odb_backend parent;
	struct prefetch *pf;
};

/* ---- the reader's side ---- */

static void bundle_clear(struct bundle *b)
{
	for (size_t i = 0; i < b->count; i++)
		free(b->objects[i].data);
	b->count = 0;
}

/* Where a reader reads from: its own repository and, when that repository has no packs, its loose
 * objects' files directly (evidence/loose_raw.h: one open per object instead of libgit2's two). */
struct source {
	git_repository *repo;
	git_odb *odb;
	struct loose_raw_reader *loose;
};

/* The object's bytes into f->data, when it is of the type expected and at most
 * PREFETCH_OBJECT_BYTES_MAX bytes: a small compressed object can inflate to gigabytes, and the
 * evidence is the attacker's. Through libgit2 the size is read from the object's header first.
 * (libgit2's read stream would open a loose object once instead of twice, but maps and unmaps it,
 * and unmapping in a threaded process costs more than the open.) */
static int read_bounded(struct source *src, const git_oid *id, git_object_t expected, struct fetched *f)
{
	git_odb_object *obj = NULL;
	git_object_t type;
	size_t size;

	if (src->loose != NULL) {
		int r = loose_raw_read(src->loose, id->id, &type, &f->data, &f->len);
		if (r == 0)
			return type == expected ? 0 : -1;
		if (r != CER_ERR_NOT_FOUND)
			return -1; /* refused: the checks read it themselves and judge it */
	}
	if (git_odb_read_header(&size, &type, src->odb, id) < 0 || type != expected ||
	    size > PREFETCH_OBJECT_BYTES_MAX || git_odb_read(&obj, src->odb, id) < 0)
		return -1;
	f->len = git_odb_object_size(obj);
	if (git_odb_object_type(obj) == expected && (f->data = malloc(f->len + 1)) != NULL)
		memcpy(f->data, git_odb_object_data(obj), f->len);
	git_odb_object_free(obj);
	return f->data != NULL ? 0 : -1;
}

/* Read one object into the bundle, or nothing (NULL) when it cannot or should not be read ahead:
 * the checks will then read it themselves and judge it. */
static const struct fetched *fetch(struct source *src, struct bundle *b, const git_oid *id, git_object_t expected)
{
	struct fetched *f;

	if (b->count == OBJECTS_MAX)
		return NULL;
	f = &b->objects[b->count];
	f->data = NULL;
	if (read_bounded(src, id, expected, f) != 0) {
		free(f->data);
		f->data = NULL;
		return NULL;
	}
	git_oid_cpy(&f->id, id);
	f->type = expected;
	b->count++;
	return f;
}

/* Read every entry of a directory of the record: blobs, and the blobs of its subdirectories. */
static void fetch_directory(struct source *src, struct bundle *b, const struct fetched *dir, int depth)
{
	struct tree_raw_entry e;
	size_t pos = 0;
	git_oid id;

	while (tree_raw_next(dir->data, dir->len, &pos, &e) == 1) {
		git_oid_fromraw(&id, e.id);
		if (e.mode == TREE_RAW_MODE_TREE && depth > 0) {
			const struct fetched *sub = fetch(src, b, &id, GIT_OBJECT_TREE);
			if (sub != NULL)
				fetch_directory(src, b, sub, depth - 1);
		} else if (e.mode != TREE_RAW_MODE_TREE) {
			fetch(src, b, &id, GIT_OBJECT_BLOB);
		}
	}
}

/* What the checks of record `index` will read: its commit, the trees down the path the record must
 * have (records/AA/BB/CC/DD), and everything in its directory. */
static void fetch_record(struct source *src, struct bundle *b, size_t index, const git_oid *commit_id)
{
	const struct fetched *commit, *tree;
	struct commit_raw c;
	struct tree_raw_entry e;
	char names[5][sizeof(EVIDENCE_RECORDS_DIR)];
	git_oid id;
	int parsed;

	snprintf(names[0], sizeof(names[0]), "%s", EVIDENCE_RECORDS_DIR);
	for (int level = 1; level < 5; level++) {
		size_t digits = index;
		for (int k = level; k < 4; k++)
			digits /= 100;
		snprintf(names[level], sizeof(names[level]), "%02zu", digits % 100);
	}
	if ((commit = fetch(src, b, commit_id, GIT_OBJECT_COMMIT)) == NULL)
		return;
	parsed =
	        commit_raw_parse(&c, (const char *)commit->data, commit->len) == 0 && git_oid_fromstr(&id, c.tree) == 0;
	commit_raw_free(&c);
	if (!parsed)
		return;
	tree = fetch(src, b, &id, GIT_OBJECT_TREE);
	for (int level = 0; level < 5 && tree != NULL; level++) {
		if (tree_raw_find(tree->data, tree->len, names[level], &e) != 1 || e.mode != TREE_RAW_MODE_TREE)
			return;
		git_oid_fromraw(&id, e.id);
		tree = fetch(src, b, &id, GIT_OBJECT_TREE);
	}
	if (tree != NULL)
		fetch_directory(src, b, tree, 1); /* record.xml, scenario.xml, signoffs/, attachments/ */
}

static void close_source(struct source *src)
{
	loose_raw_reader_free(src->loose);
	git_odb_free(src->odb);
	git_repository_free(src->repo);
	memset(src, 0, sizeof(*src));
}

/* (Re)open the reader's repository; the loose objects' files are read directly only while the
 * repository has no pack, because libgit2 asks the packs first (evidence/loose_raw.h). */
static int open_source(const char *dir, struct source *src)
{
	close_source(src);
	if (git_repository_open_ext(&src->repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL) <
	            0 ||
	    git_repository_odb(&src->odb, src->repo) < 0)
		return -1;
	if (loose_raw_reader_for(src->repo, PREFETCH_OBJECT_BYTES_MAX, &src->loose) != 0)
		src->loose = NULL; /* out of memory: libgit2 reads everything */
	return 0;
}

static void *read_ahead(void *arg)
{
	struct reader *self = arg;
	struct prefetch *pf = self->pf;
	struct source src = {0};
	size_t done = 0;
	int ok = open_source(pf->dir, &src) == 0;

	for (size_t index = self->first; ok && index < pf->count; index += READERS) {
		struct bundle *b = &pf->slots[index % SLOTS];

		pthread_mutex_lock(&pf->lock);
		if (index >= pf->released + SLOTS) {
			pf->readers_waiting++;
			while (!pf->stopping && index >= pf->released + SLOTS)
				pthread_cond_wait(&pf->changed, &pf->lock);
			pf->readers_waiting--;
		}
		ok = !pf->stopping;
		b->ready = 0;
		pthread_mutex_unlock(&pf->lock);
		if (!ok)
			break;
		if (++done % READER_WINDOW == 0 && open_source(pf->dir, &src) != 0)
			break; /* the checks read the rest themselves */
		bundle_clear(b);
		fetch_record(&src, b, index, &pf->history[index]);
		pthread_mutex_lock(&pf->lock);
		b->ready = index + 1;
		if (pf->checks_want != 0 && index >= pf->checks_want)
			pthread_cond_broadcast(&pf->changed);
		pthread_mutex_unlock(&pf->lock);
	}
	close_source(&src);
	pthread_mutex_lock(&pf->lock);
	pf->readers_done++;
	pthread_cond_broadcast(&pf->changed);
	pthread_mutex_unlock(&pf->lock);
	return NULL;
}

/* ---- the checking thread's side ---- */

static const struct fetched *find_in(const struct bundle *b, const git_oid *id)
{
	for (size_t i = 0; i < b->count; i++)
		if (git_oid_equal(&b->objects[i].id, id))
			return &b->objects[i];
	return NULL;
}

static const struct fetched *find(const struct prefetch *pf, const git_oid *id)
{
	const struct fetched *f;

	if (pf->serving_current && (f = find_in(&pf->slots[pf->current % SLOTS], id)) != NULL)
		return f;
	if (pf->serving_previous)
		return find_in(&pf->slots[(pf->current - 1) % SLOTS], id);
	return NULL;
}

static int backend_read(void **data, size_t *len, git_object_t *type, git_odb_backend *backend, const git_oid *id)
{
	const struct fetched *f = find(((struct prefetch_backend *)backend)->pf, id);

	if (f == NULL)
		return GIT_ENOTFOUND; /* the next backend reads it from the repository */
	if ((*data = git_odb_backend_data_alloc(backend, f->len + 1)) == NULL)
		return -1;
	memcpy(*data, f->data, f->len);
	*len = f->len;
	*type = f->type;
	return 0;
}

static int backend_read_header(size_t *len, git_object_t *type, git_odb_backend *backend, const git_oid *id)
{
	const struct fetched *f = find(((struct prefetch_backend *)backend)->pf, id);

	if (f == NULL)
		return GIT_ENOTFOUND;
	*len = f->len;
	*type = f->type;
	return 0;
}

static void backend_free(git_odb_backend *backend)
{
	free(backend);
}

int prefetch_attach(struct prefetch *pf, git_repository *repo)
{
	struct prefetch_backend *backend;
	git_odb *odb = NULL;

	if (pf == NULL)
		return 0;
	if ((backend = calloc(1, sizeof(*backend))) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if (git_odb_init_backend(&backend->parent, GIT_ODB_BACKEND_VERSION) < 0 || git_repository_odb(&odb, repo) < 0) {
		free(backend);
		return git_error_to_cer(CER_ERR_INTERNAL, "object database");
	}
	backend->pf = pf;
	backend->parent.read = backend_read;
	backend->parent.read_header = backend_read_header;
	backend->parent.free = backend_free;
	if (git_odb_add_backend(odb, &backend->parent, BACKEND_PRIORITY) < 0) {
		git_odb_free(odb);
		free(backend);
		return git_error_to_cer(CER_ERR_INTERNAL, "object database");
	}
	git_odb_free(odb);
	return 0;
}

void prefetch_reach(struct prefetch *pf, size_t index)
{
	struct bundle *b;

	if (pf == NULL)
		return;
	b = &pf->slots[index % SLOTS];
	pthread_mutex_lock(&pf->lock);
	pf->released = index > 0 ? index - 1 : 0;
	/* Wake sleeping readers a few slots at a time, not for each one. */
	if (pf->readers_waiting > 0 && pf->released % HYSTERESIS == 0)
		pthread_cond_broadcast(&pf->changed);
	if (b->ready != index + 1 && pf->readers_done < READERS) {
		/* Behind the readers: sleep until a few records are ready (or a reader ends). */
		pf->checks_want = index + HYSTERESIS < pf->count ? index + HYSTERESIS : pf->count - 1;
		while (b->ready != index + 1 && pf->readers_done < READERS)
			pthread_cond_wait(&pf->changed, &pf->lock);
		pf->checks_want = 0;
	}
	pf->current = index;
	pf->serving_current = b->ready == index + 1;
	pf->serving_previous = index > 0 && pf->slots[(index - 1) % SLOTS].ready == index;
	pthread_mutex_unlock(&pf->lock);
}

int prefetch_start(git_repository *repo, const char *dir, const git_oid *history, size_t count, struct prefetch **out)
{
	struct prefetch *pf;

	*out = NULL;
	if (cpus_usable() < 2 || count == 0 || loose_raw_repository_has_packs(repo) != 0)
		return 0;
	if ((pf = calloc(1, sizeof(*pf))) == NULL || (pf->dir = strdup(dir)) == NULL) {
		free(pf);
		return err_set(CER_ERR_NOMEM, "out of memory");
	}
	pf->history = history;
	pf->count = count;
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->changed, NULL);
	for (size_t i = 0; i < READERS; i++) {
		pf->readers[i].pf = pf;
		pf->readers[i].first = i;
		pf->readers[i].started = pthread_create(&pf->readers[i].thread, NULL, read_ahead, &pf->readers[i]) == 0;
		if (!pf->readers[i].started)
			pf->readers_done++; /* its records are read by the checks themselves */
	}
	*out = pf;
	return 0;
}

void prefetch_free(struct prefetch *pf)
{
	if (pf == NULL)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->stopping = 1;
	pthread_cond_broadcast(&pf->changed);
	pthread_mutex_unlock(&pf->lock);
	for (size_t i = 0; i < READERS; i++)
		if (pf->readers[i].started)
			pthread_join(pf->readers[i].thread, NULL);
	for (size_t i = 0; i < SLOTS; i++)
		bundle_clear(&pf->slots[i]);
	pthread_mutex_destroy(&pf->lock);
	pthread_cond_destroy(&pf->changed);
	free(pf->dir);
	free(pf);
}
