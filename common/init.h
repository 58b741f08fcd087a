/* Process-wide set-up every entry point calls first. */
#ifndef CEREMONY_COMMON_INIT_H
#define CEREMONY_COMMON_INIT_H

/* Initialise libsodium and libgit2, and refuse core dumps (RLIMIT_CORE 0, not dumpable), so that
 * key material in memory never reaches a core file. Returns 0 or a negative cer_err. */
__attribute__((warn_unused_result)) int ceremony_init(void);

/* Release what ceremony_init() set up. */
void ceremony_shutdown(void);

#endif
