/* libgit2 errors translated in one place (STYLE.md practice 10). */
#ifndef CEREMONY_COMMON_GIT_ERROR_H
#define CEREMONY_COMMON_GIT_ERROR_H

/* Record libgit2's last error as "<what>: <libgit2's message>" under `code`; returns `code`. */
int git_error_to_cer(int code, const char *what);

#endif
