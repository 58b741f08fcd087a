/* bench-gen-evidence: a synthetic evidence repository of N records, for the benchmarks.
 *
 *   bench-gen-evidence [--open] [--durable] [--vault-audit-key HEX] [-k KEY -k KEY -k KEY -k KEY] DIR N
 *
 * Four participants (alice, bob, carol, dave): keys generated in memory, or the four key files
 * given with -k (e.g. written by `ceremony keygen`, so the CLI can append to the result). Record 0
 * is the genesis record, records 1..N-2 are steps with two values each, record N-1 is the close
 * record (a step too with --open, so more records can be appended). Every record carries three
 * sign-offs and a signed commit, appended through evidence_append, the real code path.
 *
 * By default the store is set non-durable (evidence_store_set_durable): the two syncfs() of each
 * append are skipped and one sync(2) at the end makes the whole repository durable. --durable keeps
 * them, as a real ceremony does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_common.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/init.h"

static int usage(void)
{
	fputs("usage: bench-gen-evidence [--open] [--durable] [--vault-audit-key HEX] [-k KEY -k KEY -k KEY -k KEY] "
	      "DIR "
	      "N\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *key_files[BENCH_PARTICIPANTS], *dir = NULL, *count_text = NULL;
	static uint8_t vault_key[32];
	struct evidence_store *store = NULL;
	struct bench_party party;
	size_t keys = 0;
	int open_end = 0, durable = 0, r;
	unsigned long n;
	uint64_t t0, t1;
	char *end = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--open") == 0)
			open_end = 1;
		else if (strcmp(argv[i], "--durable") == 0)
			durable = 1;
		else if (strcmp(argv[i], "--vault-audit-key") == 0 && i + 1 < argc) {
			if (hex_decode_exact(argv[i + 1], strlen(argv[i + 1]), vault_key, sizeof(vault_key)) != 0)
				return usage();
			bench_vault_audit_key = vault_key;
			i++;
		} else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc && keys < BENCH_PARTICIPANTS)
			key_files[keys++] = argv[++i];
		else if (argv[i][0] == '-')
			return usage();
		else if (dir == NULL)
			dir = argv[i];
		else if (count_text == NULL)
			count_text = argv[i];
		else
			return usage();
	}
	if (dir == NULL || count_text == NULL || (keys != 0 && keys != BENCH_PARTICIPANTS))
		return usage();
	n = strtoul(count_text, &end, 10);
	if (end == count_text || *end != '\0' || n < 2 || n > RECORD_SEQUENCE_MAX) {
		fprintf(stderr, "bench-gen-evidence: N must be 2 to %u\n", RECORD_SEQUENCE_MAX);
		return 2;
	}
	if (ceremony_init() != 0) {
		fprintf(stderr, "bench-gen-evidence: %s\n", err_message());
		return 1;
	}
	if ((r = bench_party_make(&party, keys ? key_files : NULL)) != 0) {
		fprintf(stderr, "bench-gen-evidence: keys: %s\n", err_message());
		return 1;
	}
	t0 = bench_now_ns();
	if ((r = bench_create(&store, dir, &party)) != 0)
		goto out;
	evidence_store_set_durable(store, durable);
	/* One writer for the whole run: take the lock once, evidence_append keeps it. */
	if ((r = evidence_store_lock(store, EVIDENCE_DEFAULT_LOCK_WAIT_MS)) != 0)
		goto out;
	for (unsigned long i = 1; i < n; i++) {
		enum record_type type = (i == n - 1 && !open_end) ? RECORD_CLOSE : RECORD_STEP;
		if ((r = bench_append_next(store, &party, type, NULL)) != 0) {
			err_context(r, "record %lu", i);
			goto out;
		}
		if (i % 10000 == 0) {
			double s = (double)(bench_now_ns() - t0) / 1e9;
			fprintf(stderr, "  %lu records, %.1f s, %.0f records/s\n", i + 1, s, (double)(i + 1) / s);
		}
	}
	evidence_store_unlock(store);
	if (!durable)
		sync();
	t1 = bench_now_ns();
	printf("generated %lu records (%s) in %s: %.2f s, %.0f records/s (%s)\n", n,
	       open_end ? "open: last is a step" : "last is a close record", dir, (double)(t1 - t0) / 1e9,
	       (double)n / ((double)(t1 - t0) / 1e9),
	       durable ? "durable appends" : "non-durable appends, one sync at the end");
out:
	if (r != 0)
		fprintf(stderr, "bench-gen-evidence: %s: %s\n", dir, err_message());
	evidence_store_free(store);
	bench_party_free(&party);
	ceremony_shutdown();
	return r == 0 ? 0 : 1;
}
