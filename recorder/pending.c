#include "recorder/pending.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/file.h"
#include "common/sshsig.h"

#define PATH_BYTES 4096
#define SIGNOFFS "signoffs"
#define FILES "files"

void pending_free(struct pending *p)
{
	if (p == NULL)
		return;
	buf_free(&p->bytes);
	record_free(p->record);
	for (size_t i = 0; i < p->signoff_count; i++)
		buf_free(&p->armored[i]);
	for (size_t i = 0; i < p->file_count; i++) {
		free(p->file_names[i]);
		buf_free(&p->file_bytes[i]);
	}
	free(p);
}

static int path_of(char out[PATH_BYTES], const char *gitdir, const char *a, const char *b, const char *c)
{
	int n = snprintf(out, PATH_BYTES, "%s/%s%s%s%s%s", gitdir, a, b ? "/" : "", b ? b : "", c ? "/" : "",
	                 c ? c : "");
	if (n < 0 || n >= PATH_BYTES)
		return err_set(CER_ERR_USAGE, "%s: path too long", gitdir);
	return 0;
}

/* Leftovers of a writer that crashed while creating or removing a pending record. */
/* Is the writer that named a leftover "ceremony-pending.tmp-PID" (or .discard-PID) gone? Only a
 * dead writer's leftovers are removed: a live one may be about to rename its directory. */
static int writer_is_gone(const char *name)
{
	const char *dash = strrchr(name, '-');
	char *end = NULL;
	long pid;

	if (dash == NULL)
		return 1;
	pid = strtol(dash + 1, &end, 10);
	if (end == dash + 1 || *end != '\0' || pid <= 0)
		return 1;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void remove_leftovers(const char *gitdir)
{
	DIR *d = opendir(gitdir);
	struct dirent *e;
	char path[PATH_BYTES];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, PENDING_DIR ".", sizeof(PENDING_DIR)) == 0 && writer_is_gone(e->d_name) &&
		    path_of(path, gitdir, e->d_name, NULL, NULL) == 0)
			file_remove_tree(path, 0);
	}
	closedir(d);
}

static int load_signoffs(struct pending *p, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_BYTES];
	int r = 0;

	if (d == NULL)
		return err_set(CER_ERR_FORMAT, "%s: %s", dir, strerror(errno));
	while (r == 0 && (e = readdir(d)) != NULL) {
		struct sshkey_public key;
		char expected[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)];
		if (e->d_name[0] == '.')
			continue;
		if (p->signoff_count >= EVIDENCE_SIGNOFFS_MAX) {
			r = err_set(CER_ERR_FORMAT, "%s: too many sign-offs", dir);
			break;
		}
		p->armored[p->signoff_count] = buf_make(SSHSIG_ARMORED_MAX);
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
		    (r = file_read_all(path, SSHSIG_ARMORED_MAX, &p->armored[p->signoff_count])) != 0) {
			r = r ? r : err_set(CER_ERR_USAGE, "path too long");
			buf_free(&p->armored[p->signoff_count]);
			break;
		}
		p->signoff_count++;
		if ((r = sshsig_verify(p->armored[p->signoff_count - 1].data, p->armored[p->signoff_count - 1].len,
		                       SSHSIG_NAMESPACE_RECORD, p->bytes.data, p->bytes.len, &key)) != 0) {
			err_context(r, "pending sign-off %s", path);
			break;
		}
		evidence_signoff_name(&key, expected);
		if (strcmp(expected, e->d_name) != 0) {
			r = err_set(CER_ERR_FORMAT, "pending sign-off %s is not named after its key", path);
			break;
		}
		p->signoffs[p->signoff_count - 1].key = key;
		p->signoffs[p->signoff_count - 1].armored = p->armored[p->signoff_count - 1].data;
		p->signoffs[p->signoff_count - 1].armored_len = p->armored[p->signoff_count - 1].len;
	}
	closedir(d);
	return r;
}

static int load_files(struct pending *p, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_BYTES];
	int r = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : err_set(CER_ERR_FORMAT, "%s: %s", dir, strerror(errno));
	while (r == 0 && (e = readdir(d)) != NULL) {
		size_t i = p->file_count;
		if (e->d_name[0] == '.')
			continue;
		if (i >= RECORD_ATTACHMENTS_MAX) {
			r = err_set(CER_ERR_FORMAT, "%s: too many files", dir);
			break;
		}
		p->file_bytes[i] = buf_make(RECORD_ATTACHMENT_MAX);
		if (asprintf(&p->file_names[i], EVIDENCE_ATTACHMENTS_DIR "/%s", e->d_name) < 0) {
			p->file_names[i] = NULL;
			r = err_set(CER_ERR_NOMEM, "out of memory");
			break;
		}
		p->file_count++;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			r = err_set(CER_ERR_USAGE, "path too long");
		else
			r = file_read_all(path, RECORD_ATTACHMENT_MAX, &p->file_bytes[i]);
		p->files[i].name = p->file_names[i];
		p->files[i].data = p->file_bytes[i].data;
		p->files[i].len = p->file_bytes[i].len;
	}
	closedir(d);
	return r;
}

int pending_load(struct pending **out, const char *gitdir)
{
	struct pending *p = NULL;
	char path[PATH_BYTES];
	struct stat st;
	int r;

	*out = NULL;
	remove_leftovers(gitdir);
	if ((r = path_of(path, gitdir, PENDING_DIR, NULL, NULL)) != 0)
		return r;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? 0 : err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	p->bytes = buf_make(RECORD_BYTES_MAX);
	if ((r = path_of(path, gitdir, PENDING_DIR, EVIDENCE_RECORD_FILE, NULL)) != 0 ||
	    (r = file_read_all(path, RECORD_BYTES_MAX, &p->bytes)) != 0 ||
	    (r = record_parse(&p->record, p->bytes.data, p->bytes.len)) != 0) {
		err_context(r, "pending record");
		goto out;
	}
	if ((r = path_of(path, gitdir, PENDING_DIR, SIGNOFFS, NULL)) != 0 || (r = load_signoffs(p, path)) != 0 ||
	    (r = path_of(path, gitdir, PENDING_DIR, FILES, NULL)) != 0 || (r = load_files(p, path)) != 0)
		goto out;
	*out = p;
	p = NULL;
out:
	pending_free(p);
	return r;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0700) != 0)
		return err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	return 0;
}

int pending_create(const char *gitdir, const struct pending *p)
{
	char tmp[PATH_BYTES], path[PATH_BYTES], name[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)], suffix[64];
	const size_t prefix = sizeof(EVIDENCE_ATTACHMENTS_DIR "/") - 1;
	int r;

	snprintf(suffix, sizeof(suffix), PENDING_DIR ".tmp-%ld", (long)getpid());
	if ((r = path_of(tmp, gitdir, suffix, NULL, NULL)) != 0 || (r = make_dir(tmp)) != 0)
		return r;
	if ((r = path_of(path, gitdir, suffix, EVIDENCE_RECORD_FILE, NULL)) != 0 ||
	    (r = file_write_atomic(path, p->bytes.data, p->bytes.len, 0600)) != 0 ||
	    (r = path_of(path, gitdir, suffix, SIGNOFFS, NULL)) != 0 || (r = make_dir(path)) != 0 ||
	    (r = path_of(path, gitdir, suffix, FILES, NULL)) != 0 || (r = make_dir(path)) != 0)
		goto fail;
	for (size_t i = 0; i < p->signoff_count; i++) {
		evidence_signoff_name(&p->signoffs[i].key, name);
		if ((r = path_of(path, gitdir, suffix, SIGNOFFS, name)) != 0 ||
		    (r = file_write_atomic(path, p->signoffs[i].armored, p->signoffs[i].armored_len, 0600)) != 0)
			goto fail;
	}
	for (size_t i = 0; i < p->file_count; i++) {
		if ((r = path_of(path, gitdir, suffix, FILES, p->files[i].name + prefix)) != 0 ||
		    (r = file_write_atomic(path, p->files[i].data, p->files[i].len, 0600)) != 0)
			goto fail;
	}
	if ((r = file_sync_dir(tmp)) != 0 || (r = path_of(path, gitdir, PENDING_DIR, NULL, NULL)) != 0)
		goto fail;
	/* The pending record appears whole, by one rename, or not at all. */
	if (rename(tmp, path) != 0) {
		r = err_set(errno == EEXIST || errno == ENOTEMPTY ? CER_ERR_REFUSED : CER_ERR_IO, "%s: %s", path,
		            errno == EEXIST || errno == ENOTEMPTY ? "a record is already pending" : strerror(errno));
		goto fail;
	}
	return file_sync_dir(gitdir);
fail:
	file_remove_tree(tmp, 0);
	return r;
}

int pending_add_signoff(const char *gitdir, const struct evidence_signoff *s)
{
	char path[PATH_BYTES], name[64 + sizeof(EVIDENCE_SIGNOFF_SUFFIX)];
	int r;

	evidence_signoff_name(&s->key, name);
	if ((r = path_of(path, gitdir, PENDING_DIR, SIGNOFFS, name)) != 0)
		return r;
	return file_write_atomic(path, s->armored, s->armored_len, 0600);
}

int pending_remove(const char *gitdir)
{
	char path[PATH_BYTES], doomed[PATH_BYTES], suffix[64];
	int r;

	snprintf(suffix, sizeof(suffix), PENDING_DIR ".discard-%ld", (long)getpid());
	if ((r = path_of(path, gitdir, PENDING_DIR, NULL, NULL)) != 0 ||
	    (r = path_of(doomed, gitdir, suffix, NULL, NULL)) != 0)
		return r;
	/* Gone by one rename; the deletion after it may be interrupted harmlessly. */
	if (rename(path, doomed) != 0)
		return errno == ENOENT ? 0 : err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	if ((r = file_sync_dir(gitdir)) != 0)
		return r;
	file_remove_tree(doomed, 0);
	return 0;
}
