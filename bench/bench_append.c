/* bench-append: the in-process latency of appending one record, without process start-up.
 *
 *   bench-append DIR [RUNS]              (DIR must not exist; RUNS defaults to 50)
 *
 * Creates DIR with a genesis record (keys in memory), then RUNS times, alternating durable and
 * non-durable stores, does what `ceremony evidence append` does after parsing its arguments and
 * loading its keys: open the store, take the lock, build the next record from the tip, serialize
 * it, evidence_append it (3 sign-offs, signed commit), close the store. Prints the medians of the
 * whole sequence and of the evidence_append call alone; durable minus non-durable is the cost of
 * the two syncfs(). Compare with bench/bench_append.sh's CLI figure for the cost of a process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_common.h"
#include "common/error.h"
#include "common/init.h"

#define RUNS_MAX 100000

static int one_append(const char *dir, struct bench_party *party, int durable, double *total_ms, double *append_ms)
{
	struct evidence_store *store = NULL;
	uint64_t t0 = bench_now_ns(), append_ns = 0;
	int r;

	if ((r = evidence_store_open(&store, dir)) == 0) {
		evidence_store_set_durable(store, durable);
		if ((r = evidence_store_lock(store, EVIDENCE_DEFAULT_LOCK_WAIT_MS)) == 0)
			r = bench_append_next(store, party, RECORD_STEP, &append_ns);
	}
	evidence_store_free(store);
	*total_ms = (double)(bench_now_ns() - t0) / 1e6;
	*append_ms = (double)append_ns / 1e6;
	return r;
}

int main(int argc, char **argv)
{
	struct evidence_store *store = NULL;
	struct bench_party party;
	double *total[2], *append[2], t, a;
	long runs = 50;
	char *end = NULL;
	int r = 0;

	if (argc < 2 || argc > 3) {
		fputs("usage: bench-append DIR [RUNS]\n", stderr);
		return 2;
	}
	if (argc == 3) {
		runs = strtol(argv[2], &end, 10);
		if (end == argv[2] || *end != '\0' || runs < 1 || runs > RUNS_MAX) {
			fprintf(stderr, "bench-append: RUNS must be 1 to %d\n", RUNS_MAX);
			return 2;
		}
	}
	if (ceremony_init() != 0 || bench_party_make(&party, NULL) != 0) {
		fprintf(stderr, "bench-append: %s\n", err_message());
		return 1;
	}
	for (int d = 0; d < 2; d++) {
		total[d] = calloc((size_t)runs, sizeof(double));
		append[d] = calloc((size_t)runs, sizeof(double));
		if (total[d] == NULL || append[d] == NULL) {
			fputs("bench-append: out of memory\n", stderr);
			return 1;
		}
	}
	if ((r = bench_create(&store, argv[1], &party)) != 0)
		goto out;
	evidence_store_free(store);
	/* A few unmeasured appends first: caches, page cache, lazily loaded code. */
	for (int i = 0; i < 3 && r == 0; i++)
		r = one_append(argv[1], &party, 1, &t, &a);
	for (long i = 0; i < runs && r == 0; i++)
		for (int d = 1; d >= 0 && r == 0; d--)
			r = one_append(argv[1], &party, d, &total[d][i], &append[d][i]);
	if (r != 0)
		goto out;
	printf("runs:                         %ld each, durable and non-durable alternating\n", runs);
	printf("durable, open..close:         %.3f ms (median)\n", bench_median(total[1], (size_t)runs));
	printf("durable, evidence_append:     %.3f ms (median)\n", bench_median(append[1], (size_t)runs));
	printf("non-durable, open..close:     %.3f ms (median)\n", bench_median(total[0], (size_t)runs));
	printf("non-durable, evidence_append: %.3f ms (median)\n", bench_median(append[0], (size_t)runs));
out:
	if (r != 0)
		fprintf(stderr, "bench-append: %s: %s\n", argv[1], err_message());
	for (int d = 0; d < 2; d++) {
		free(total[d]);
		free(append[d]);
	}
	bench_party_free(&party);
	ceremony_shutdown();
	return r == 0 ? 0 : 1;
}
