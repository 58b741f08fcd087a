#include "common/git_safety.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/file.h"

#define CONFIG_MAX (64 * 1024)

static int plain(const char *path, int recurse, int depth)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char child[4096];
	int r = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	if (S_ISREG(st.st_mode))
		return 0;
	if (!S_ISDIR(st.st_mode))
		return err_set(CER_ERR_FORMAT, "%s: not a regular file or directory (refused: a repository holds none)",
		               path);
	if (!recurse)
		return 0;
	if (depth > 16)
		return err_set(CER_ERR_FORMAT, "%s: directories nested too deep", path);
	if ((d = opendir(path)) == NULL)
		return err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", path, e->d_name) >= (int)sizeof(child))
			r = err_set(CER_ERR_FORMAT, "%s: path too long", path);
		else
			r = plain(child, recurse, depth + 1);
	}
	closedir(d);
	return r;
}

int git_dir_check(const char *gitdir)
{
	static const char *const walked[] = {"refs", "objects/info", "objects/pack"};
	struct buf config = buf_make(CONFIG_MAX);
	char path[4096];
	DIR *d;
	struct dirent *e;
	int r = 0;

	struct stat st;

	/* Nothing there, or not a directory: libgit2 says "not a repository" better than we would. */
	if (lstat(gitdir, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	/* The top level: every entry, not recursing (objects/ holds the loose objects). */
	if ((d = opendir(gitdir)) == NULL)
		return err_set(CER_ERR_IO, "%s: %s", gitdir, strerror(errno));
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", gitdir, e->d_name) >= (int)sizeof(path))
			r = err_set(CER_ERR_FORMAT, "%s: path too long", gitdir);
		else
			r = plain(path, 0, 0);
	}
	closedir(d);
	for (size_t i = 0; r == 0 && i < sizeof(walked) / sizeof(walked[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", gitdir, walked[i]);
		r = plain(path, 1, 0);
	}
	if (r != 0)
		return r;
	snprintf(path, sizeof(path), "%s/objects/info/alternates", gitdir);
	if (access(path, F_OK) == 0)
		return err_set(CER_ERR_FORMAT, "%s: refused (an evidence repository holds all its objects)", path);
	snprintf(path, sizeof(path), "%s/config", gitdir);
	if ((r = file_read_all(path, config.limit, &config)) == CER_ERR_NOT_FOUND)
		return 0;
	if (r == 0 && (memmem(config.data, config.len, "[include", 8) != NULL ||
	               memmem(config.data, config.len, "[includeIf", 10) != NULL))
		r = err_set(CER_ERR_FORMAT, "%s: an include section is refused (it points at other files)", path);
	buf_free(&config);
	return r;
}
