#include "common/git_error.h"

#include <git2.h>

#include "common/error.h"

int git_error_to_cer(int code, const char *what)
{
	const git_error *e = git_error_last();

	return err_set(code, "%s: %s", what, e != NULL && e->message != NULL ? e->message : "libgit2 failed");
}
