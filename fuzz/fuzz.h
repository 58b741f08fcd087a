/* Shared by the libFuzzer harnesses: the two entry points libFuzzer calls, and the process set-up.
 *
 * Each harness is one fuzz_<name>.c that feeds one parser of untrusted input and frees everything
 * it was given (LeakSanitizer runs after every input). Seed corpora: fuzz/corpus/<name>/.
 * Run them all with fuzz/run.sh BUILD_DIR [SECONDS]. */
#ifndef CEREMONY_FUZZ_FUZZ_H
#define CEREMONY_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"
#include "common/init.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ceremony_init() also sets RLIMIT_CORE to 0, which does not hinder libFuzzer. */
static inline void fuzz_init(void)
{
	if (ceremony_init() != 0) {
		fprintf(stderr, "fuzz: ceremony_init: %s\n", err_message());
		abort();
	}
}

/* Inputs are passed to the parsers as libFuzzer gives them: a heap buffer of exactly `size` bytes
 * with no NUL after it, so that any read past the length a parser was given is an ASan report. */

/* A property the parser promises was broken: report it and crash, so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                                                               \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			fprintf(stderr, "fuzz: %s:%d: check failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
			        err_message());                                                                        \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

#endif
