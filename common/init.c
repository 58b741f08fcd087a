#include "common/init.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <git2.h>
#include <sodium.h>

#include "common/error.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CEREMONY_HAS_ASAN 1
#endif
#endif
#ifndef CEREMONY_HAS_ASAN
#define CEREMONY_HAS_ASAN 0
#endif

#define PACK_WINDOW_BYTES (4 * 1024 * 1024)
#define PACK_MAPPED_BYTES (16 * 1024 * 1024)

int ceremony_init(void)
{
	struct rlimit no_core = {0, 0};

	if (setrlimit(RLIMIT_CORE, &no_core) != 0)
		return err_set(CER_ERR_INTERNAL, "cannot disable core dumps");
#if !defined(__SANITIZE_ADDRESS__) && !CEREMONY_HAS_ASAN
	/* Not under AddressSanitizer: LeakSanitizer stops the world with ptrace, which this forbids. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return err_set(CER_ERR_INTERNAL, "cannot mark the process non-dumpable");
#endif
	if (sodium_init() < 0)
		return err_set(CER_ERR_INTERNAL, "libsodium failed to initialise");
	if (git_libgit2_init() < 0)
		return err_set(CER_ERR_INTERNAL, "libgit2 failed to initialise");
	/* Every object read is re-hashed and compared with its id: a corrupt object is an error, not data. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	/* Only the repository's own config counts: no global, XDG or system file can change how
	 * evidence is read or written. */
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, "");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, "");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "");
	/* A packed repository (what an auditor's clone holds) is read through mapped windows, by
	 * default of 1 GiB each and up to 8 GiB in all: every page verify touched would stay mapped
	 * and count in its memory, growing with the evidence. Small windows, few of them, keep the
	 * pack's share of memory bounded (bench/README.md, "Peak memory"). */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)PACK_WINDOW_BYTES);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)PACK_MAPPED_BYTES);
	return 0;
}

void ceremony_shutdown(void)
{
	git_libgit2_shutdown();
}
