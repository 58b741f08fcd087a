#include "evidence/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/sshsig.h"
#include "common/git_error.h"
#include "common/git_safety.h"
#include "evidence/loose_odb.h"
#include "evidence/store_internal.h"

int (*evidence_fault_hook)(enum evidence_append_step step) = NULL;

static int store_new(struct evidence_store **out, const char *dir)
{
	struct evidence_store *store = calloc(1, sizeof(*store));

	*out = NULL;
	if (store == NULL || (store->path = strdup(dir)) == NULL) {
		free(store);
		return err_set(CER_ERR_NOMEM, "out of memory");
	}
	store->lock_fd = -1;
	store->durable = 1;
	*out = store;
	return 0;
}

void evidence_store_free(struct evidence_store *store)
{
	if (store == NULL)
		return;
	evidence_store_unlock(store);
	git_repository_free(store->repo);
	free(store->path);
	free(store);
}

git_repository *evidence_store_repository(const struct evidence_store *store)
{
	return store->repo;
}

const char *evidence_store_path(const struct evidence_store *store)
{
	return store->path;
}

void evidence_store_set_durable(struct evidence_store *store, int durable)
{
	store->durable = durable != 0;
}

static int dir_is_empty_or_missing(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return errno == ENOENT;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

int evidence_store_create(struct evidence_store **out, const char *dir)
{
	git_repository_init_options opts;
	struct evidence_store *store = NULL;
	git_config *config = NULL;
	int r;

	*out = NULL;
	if (!dir_is_empty_or_missing(dir))
		return err_set(CER_ERR_REFUSED,
		               "%s: already exists and is not empty; an evidence repository is never "
		               "overwritten",
		               dir);
	if ((r = store_new(&store, dir)) != 0)
		return r;
	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_NO_REINIT | GIT_REPOSITORY_INIT_MKPATH;
	opts.mode = GIT_REPOSITORY_INIT_SHARED_UMASK;
	opts.initial_head = EVIDENCE_BRANCH_NAME;
	opts.description = "Ceremony evidence repository: append-only, one signed commit per record.\n";
	if (git_repository_init_ext(&store->repo, dir, &opts) < 0) {
		r = git_error_to_cer(CER_ERR_IO, dir);
		goto out;
	}
	/* Mirrors that receive pushes refuse rewrites and deletions; no reflog is kept (nothing to trust there). */
	if (git_repository_config(&config, store->repo) < 0 ||
	    git_config_set_bool(config, "receive.denyNonFastForwards", 1) < 0 ||
	    git_config_set_bool(config, "receive.denyDeletes", 1) < 0 ||
	    git_config_set_bool(config, "core.logAllRefUpdates", 0) < 0 ||
	    git_config_set_string(config, "gpg.format", "ssh") < 0) {
		r = git_error_to_cer(CER_ERR_IO, dir);
		goto out;
	}
	*out = store;
	store = NULL;
	r = 0;
out:
	git_config_free(config);
	evidence_store_free(store);
	return r;
}

int evidence_store_open(struct evidence_store **out, const char *dir)
{
	struct evidence_store *store = NULL;
	int r;

	*out = NULL;
	if ((r = git_dir_check(dir)) != 0 || (r = store_new(&store, dir)) != 0)
		return r;
	if (git_repository_open_ext(&store->repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL) <
	    0) {
		r = git_error_to_cer(CER_ERR_IO, dir);
		evidence_store_free(store);
		return err_context(r, "not an evidence repository");
	}
	if (!git_repository_is_bare(store->repo)) {
		evidence_store_free(store);
		return err_set(CER_ERR_FORMAT, "%s: not an evidence repository (a work tree, not a bare repository)",
		               dir);
	}
	/* A FIFO planted as a loose object is then an error, not a wait for ever (evidence/loose_odb.h). */
	if ((r = loose_odb_attach(store->repo)) != 0) {
		evidence_store_free(store);
		return r;
	}
	*out = store;
	return 0;
}

int evidence_store_lock(struct evidence_store *store, int wait_ms)
{
	char path[4096];
	struct timespec pause = {0, 20 * 1000 * 1000};
	int fd, n, waited = 0;

	if (store->lock_fd >= 0)
		return 0;
	n = snprintf(path, sizeof(path), "%s/%s", git_repository_path(store->repo), EVIDENCE_LOCK_FILE);
	if (n < 0 || (size_t)n >= sizeof(path))
		return err_set(CER_ERR_USAGE, "%s: path too long", store->path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return err_set(CER_ERR_IO, "%s: lock: %s", path, strerror(errno));
		}
		if (waited >= wait_ms) {
			close(fd);
			return err_set(CER_ERR_BUSY, "%s: another writer holds the evidence repository (waited %d ms)",
			               store->path, wait_ms);
		}
		nanosleep(&pause, NULL);
		waited += 20;
	}
	store->lock_fd = fd;
	return 0;
}

void evidence_store_unlock(struct evidence_store *store)
{
	if (store->lock_fd >= 0) {
		close(store->lock_fd); /* closing the descriptor releases the flock */
		store->lock_fd = -1;
	}
}

void evidence_record_path(uint32_t sequence, char out[EVIDENCE_RECORD_PATH_CHARS + 1])
{
	snprintf(out, EVIDENCE_RECORD_PATH_CHARS + 1, EVIDENCE_RECORDS_DIR "/%02u/%02u/%02u/%02u",
	         (sequence / 1000000u) % 100u, (sequence / 10000u) % 100u, (sequence / 100u) % 100u, sequence % 100u);
}

void evidence_signoff_name(const struct sshkey_public *key, char out[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)])
{
	uint8_t fp[32];

	sshkey_fingerprint(key, fp);
	hex_encode(fp, sizeof(fp), out);
	memcpy(out + 64, EVIDENCE_SIGNOFF_SUFFIX, sizeof(EVIDENCE_SIGNOFF_SUFFIX));
}

/* The blob at `path` in `tree`, capped at `max` bytes, into `out`. */
static int read_tree_blob(git_repository *repo, git_tree *tree, const char *path, size_t max, struct buf *out)
{
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int r = 0;

	buf_reset(out);
	if (git_tree_entry_bypath(&entry, tree, path) < 0) {
		r = err_set(CER_ERR_FORMAT, "%s is missing", path);
		goto out;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		r = err_set(CER_ERR_FORMAT, "%s is not a file", path);
		goto out;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0) {
		r = git_error_to_cer(CER_ERR_FORMAT, path);
		goto out;
	}
	if ((size_t)git_blob_rawsize(blob) > max) {
		r = err_set(CER_ERR_FORMAT, "%s is larger than %zu bytes", path, max);
		goto out;
	}
	r = buf_append(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
out:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	return r;
}

int evidence_read_file(struct evidence_store *store, const git_oid *commit_id, uint32_t sequence, const char *name,
                       size_t max, struct buf *bytes)
{
	char path[EVIDENCE_RECORD_PATH_CHARS + 1 + 256];
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int r;

	if (strlen(name) >= 256)
		return err_set(CER_ERR_USAGE, "file name too long");
	evidence_record_path(sequence, path);
	path[EVIDENCE_RECORD_PATH_CHARS] = '/';
	memcpy(path + EVIDENCE_RECORD_PATH_CHARS + 1, name, strlen(name) + 1);
	if (git_commit_lookup(&commit, store->repo, commit_id) < 0 || git_commit_tree(&tree, commit) < 0) {
		r = git_error_to_cer(CER_ERR_FORMAT, "commit");
		goto out;
	}
	r = read_tree_blob(store->repo, tree, path, max, bytes);
out:
	git_tree_free(tree);
	git_commit_free(commit);
	return r;
}

int evidence_read_record(struct evidence_store *store, const git_oid *commit_id, uint32_t sequence, struct buf *bytes)
{
	return evidence_read_file(store, commit_id, sequence, EVIDENCE_RECORD_FILE, RECORD_BYTES_MAX, bytes);
}

/* The tip's sequence number, from its tree: entry names are zero-padded, so at every level of
 * records/AA/BB/CC/DD the last entry (trees are sorted by name) leads to the newest record. Cheap,
 * and independent of the depth of history. The record's own <sequence> is checked against it. */
static int tip_sequence(git_repository *repo, git_commit *commit, uint32_t *out)
{
	git_tree *tree = NULL, *sub = NULL;
	const git_tree_entry *entry;
	uint32_t sequence = 0;
	int r = 0;

	if (git_commit_tree(&tree, commit) < 0)
		return git_error_to_cer(CER_ERR_FORMAT, "tip tree");
	entry = git_tree_entry_byname(tree, EVIDENCE_RECORDS_DIR);
	for (int level = 0; level <= 4; level++) {
		const char *name;
		if (entry == NULL || git_tree_entry_type(entry) != GIT_OBJECT_TREE) {
			r = err_set(CER_ERR_FORMAT, "the tip's tree has no records/AA/BB/CC/DD layout");
			goto out;
		}
		if (level > 0) {
			name = git_tree_entry_name(entry);
			if (strlen(name) != 2 || name[0] < '0' || name[0] > '9' || name[1] < '0' || name[1] > '9') {
				r = err_set(CER_ERR_FORMAT, "unexpected entry \"%s\" in the records tree", name);
				goto out;
			}
			sequence = sequence * 100u + (uint32_t)(name[0] - '0') * 10u + (uint32_t)(name[1] - '0');
		}
		if (level == 4)
			break;
		git_oid next;
		git_oid_cpy(&next, git_tree_entry_id(entry)); /* entry belongs to the tree freed below */
		git_tree_free(sub);
		sub = NULL;
		if (git_tree_lookup(&sub, repo, &next) < 0) {
			r = git_error_to_cer(CER_ERR_FORMAT, "records tree");
			goto out;
		}
		size_t count = git_tree_entrycount(sub);
		entry = count > 0 ? git_tree_entry_byindex(sub, count - 1) : NULL;
	}
	*out = sequence;
out:
	git_tree_free(sub);
	git_tree_free(tree);
	return r;
}

int evidence_tip(struct evidence_store *store, struct evidence_tip *out, struct record **genesis_out,
                 struct record **last_out)
{
	struct buf bytes = buf_make(RECORD_BYTES_MAX);
	struct record *last = NULL, *genesis = NULL;
	git_commit *commit = NULL;
	int r, unborn;

	memset(out, 0, sizeof(*out));
	if (genesis_out)
		*genesis_out = NULL;
	if (last_out)
		*last_out = NULL;
	unborn = git_repository_head_unborn(store->repo);
	if (unborn < 0)
		return git_error_to_cer(CER_ERR_FORMAT, store->path);
	if (unborn == 1) {
		out->empty = 1;
		return 0;
	}
	if (git_reference_name_to_id(&out->commit, store->repo, EVIDENCE_BRANCH) < 0)
		return git_error_to_cer(CER_ERR_FORMAT, EVIDENCE_BRANCH);
	if (git_commit_lookup(&commit, store->repo, &out->commit) < 0) {
		r = git_error_to_cer(CER_ERR_FORMAT, "tip commit");
		goto out;
	}
	if ((r = tip_sequence(store->repo, commit, &out->sequence)) != 0) {
		err_context(r, "%s", store->path);
		goto out;
	}
	if ((r = evidence_read_record(store, &out->commit, out->sequence, &bytes)) != 0 ||
	    (r = record_parse(&last, bytes.data, bytes.len)) != 0) {
		err_context(r, "%s: record %u", store->path, out->sequence);
		goto out;
	}
	if (last->sequence != out->sequence) {
		r = err_set(CER_ERR_FORMAT, "%s: the record at sequence %u says it is %u", store->path, out->sequence,
		            last->sequence);
		goto out;
	}
	sha256_digest(bytes.data, bytes.len, out->record_sha256);
	out->session = last->session;
	out->type = last->type;
	if (genesis_out != NULL) {
		if ((r = evidence_read_record(store, &out->commit, 0, &bytes)) != 0 ||
		    (r = record_parse(&genesis, bytes.data, bytes.len)) != 0) {
			err_context(r, "%s: genesis record", store->path);
			goto out;
		}
		*genesis_out = genesis;
		genesis = NULL;
	}
	if (last_out != NULL) {
		*last_out = last;
		last = NULL;
	}
out:
	record_free(last);
	record_free(genesis);
	buf_free(&bytes);
	git_commit_free(commit);
	return r;
}
