/* Before libgit2 opens a repository that someone else made: refuse what would make it hang or read
 * outside the repository. A FIFO where a file is expected blocks open() for ever; a config include
 * or an alternates file points libgit2 at other files. */
#ifndef CEREMONY_COMMON_GIT_SAFETY_H
#define CEREMONY_COMMON_GIT_SAFETY_H

/* Check the git directory `gitdir`: its top-level entries, refs/ (recursively), objects/info and
 * objects/pack must be regular files or directories (no FIFO, device, socket or symbolic link);
 * objects/info/alternates must not exist; config must hold no include or includeIf section.
 * Returns 0, or CER_ERR_FORMAT naming the path. (Loose objects are not walked: there are millions.) */
__attribute__((warn_unused_result)) int git_dir_check(const char *gitdir);

#endif
