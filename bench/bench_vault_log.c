/* bench-vault-log: how fast vault_log_verify() checks a large vault log, against a floor measured in
 * the same run on the same lines: the SHA-256 of every line and the Ed25519 verification of every
 * signature, alone (no reading, no JSON, no checks). The ratio says what the rest costs.
 *
 *   bench-vault-log [-n ENTRIES] [-d DIR] [-k]
 *
 * Writes ENTRIES (default 1,000,000) entries with the real writer, fsync turned off for bulk
 * generation (vault_log_set_durable), into DIR/bench-vault.log (DIR default /tmp), removed at the
 * end unless -k. Timings on a shared machine are noise-prone: compare the ratio, not the absolutes.
 * Not a test; never registered with ctest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/hash.h"
#include "vault/log.h"

struct clock_pair {
	double wall, cpu; /* seconds */
};

static struct clock_pair clock_now(void)
{
	struct timespec w, c;
	struct clock_pair p;

	clock_gettime(CLOCK_MONOTONIC, &w);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
	p.wall = (double)w.tv_sec + (double)w.tv_nsec / 1e9;
	p.cpu = (double)c.tv_sec + (double)c.tv_nsec / 1e9;
	return p;
}

static struct clock_pair clock_since(struct clock_pair start)
{
	struct clock_pair now = clock_now(), d;

	d.wall = now.wall - start.wall;
	d.cpu = now.cpu - start.cpu;
	return d;
}

static long max_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static int sign_with(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[VAULT_LOG_SIGNATURE_BYTES])
{
	return crypto_sign_ed25519_detached(sig, NULL, msg, len, ctx) == 0 ? 0 : CER_ERR_INTERNAL;
}

/* A realistic mix: mostly firmware signatures by a process, some unseal shares by key masters. */
static int generate(const char *path, unsigned long n, const uint8_t *pk, uint8_t *sk, uint8_t head[32])
{
	struct vault_log *log = NULL;
	uint8_t fp[32], image[32];
	char who[32], detail[160], image_hex[65];
	unsigned long i;
	int r;

	if ((r = vault_log_create(&log, path, pk)) != 0)
		return r;
	vault_log_set_durable(log, 0);
	sha256_digest("firmware-signing key", 20, fp);
	for (i = 0; i < n; i++) {
		struct vault_log_entry e = {0};

		e.time = 1714564800 + (int64_t)(i / 8);
		e.outcome = VAULT_LOG_OUTCOME_OK;
		if (i % 16 == 0) {
			snprintf(who, sizeof(who), "keymaster-%lu", i % 5);
			e.who = who;
			e.op = VAULT_LOG_OP_UNSEAL_SHARE;
			snprintf(detail, sizeof(detail), "share %lu of 5 checked against the Feldman commitments",
			         1 + i % 5);
			e.detail = detail;
		} else {
			sha256_digest(&i, sizeof(i), image);
			hex_encode(image, sizeof(image), image_hex);
			e.who = "process:firmware-ci@build-7";
			e.op = VAULT_LOG_OP_SIGN;
			e.label = "firmware-signing";
			e.fingerprint = fp;
			snprintf(detail, sizeof(detail), "ECDSA P-384 SHA-384 over image sha256 %s", image_hex);
			e.detail = detail;
			if (i % 97 == 0)
				e.outcome = VAULT_LOG_OUTCOME_REFUSED;
		}
		if ((r = vault_log_append(log, &e, sign_with, sk, NULL, head)) != 0)
			break;
	}
	vault_log_close(log);
	return r;
}

/* The floor: over the mapped file, each line's SHA-256 and its signature's verification, nothing
 * else. The signatures are decoded from base64 beforehand (untimed); the body's length is read off
 * the line's end, where the format puts the signature, without parsing anything. */
static int floor_pass(const char *path, unsigned long n, const uint8_t *pk, struct clock_pair *elapsed,
                      unsigned long *lines_out)
{
	static uint8_t msg[VAULT_LOG_SIGNING_CONTEXT_BYTES + VAULT_LOG_LINE_MAX + 1];
	const size_t suffix = 8 + VAULT_LOG_SIGNATURE_CHARS + 2; /* ,"sig":"<88>"} */
	uint8_t(*sigs)[64] = NULL, hash[32];
	uint8_t *map = NULL;
	const uint8_t *p, *end;
	unsigned long i, lines = 0;
	struct clock_pair start;
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "bench-vault-log: %s: %s\n", path, strerror(errno));
		return -1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	sigs = malloc(n * sizeof(*sigs));
	if (map == MAP_FAILED || sigs == NULL) {
		fprintf(stderr, "bench-vault-log: out of memory\n");
		free(sigs);
		return -1;
	}
	end = map + st.st_size;
	for (p = map, i = 0; p < end && i < n; i++) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t bin_len = 0;
		if (nl == NULL || sodium_base642bin(sigs[i], 64, (const char *)nl - 2 - VAULT_LOG_SIGNATURE_CHARS,
		                                    VAULT_LOG_SIGNATURE_CHARS, NULL, &bin_len, NULL,
		                                    sodium_base64_VARIANT_ORIGINAL) != 0) {
			fprintf(stderr, "bench-vault-log: line %lu: cannot find its signature\n", i + 1);
			r = -1;
			goto out;
		}
		p = nl + 1;
	}
	memcpy(msg, VAULT_LOG_SIGNING_CONTEXT, VAULT_LOG_SIGNING_CONTEXT_BYTES);

	start = clock_now();
	for (p = map, i = 0; p < end && i < n; i++) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)(nl - p), body = len - suffix;

		sha256_digest(p, len, hash);
		memcpy(msg + VAULT_LOG_SIGNING_CONTEXT_BYTES, p, body);
		msg[VAULT_LOG_SIGNING_CONTEXT_BYTES + body] = '}';
		if (crypto_sign_ed25519_verify_detached(sigs[i], msg, VAULT_LOG_SIGNING_CONTEXT_BYTES + body + 1, pk) !=
		    0) {
			fprintf(stderr, "bench-vault-log: floor: line %lu does not verify\n", i + 1);
			r = -1;
			goto out;
		}
		lines++;
		p = nl + 1;
	}
	*elapsed = clock_since(start);
	*lines_out = lines;
	/* keep the compiler from dropping the last hash */
	if (hash[0] == 0 && hash[1] == 0 && hash[2] == 0 && hash[3] == 0)
		fprintf(stderr, "(a rare hash)\n");
out:
	munmap(map, (size_t)st.st_size);
	free(sigs);
	return r;
}

static void usage(void)
{
	fputs("usage: bench-vault-log [-n ENTRIES] [-d DIR] [-k]\n", stderr);
}

int main(int argc, char **argv)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], head[32];
	struct vault_log_result res;
	struct clock_pair t0, gen, ver, flo = {0, 0};
	unsigned long n = 1000000, floor_lines = 0;
	const char *dir = "/tmp";
	char path[4096];
	int opt, keep = 0, r;
	long rss_before, rss_after;
	struct stat st;

	while ((opt = getopt(argc, argv, "n:d:kh")) != -1) {
		char *endp = NULL;
		switch (opt) {
		case 'n':
			errno = 0;
			n = strtoul(optarg, &endp, 10);
			if (errno != 0 || endp == optarg || *endp != '\0' || n == 0 || n > 100000000ul) {
				usage();
				return 2;
			}
			break;
		case 'd':
			dir = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		default:
			usage();
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* each figure as soon as it is measured */
	if (sodium_init() < 0)
		return 2;
	if (snprintf(path, sizeof(path), "%s/bench-vault.log", dir) >= (int)sizeof(path))
		return 2;
	unlink(path);
	crypto_sign_keypair(pk, sk);

	printf("vault log benchmark: %lu entries in %s\n", n, path);
	{
		char hex[65];
		hex_encode(pk, sizeof(pk), hex);
		printf("audit public key: %s\n", hex); /* for bench-gen-evidence --vault-audit-key */
	}
	t0 = clock_now();
	if ((r = generate(path, n, pk, sk, head)) != 0) {
		fprintf(stderr, "bench-vault-log: generate: %s\n", err_message());
		return 1;
	}
	gen = clock_since(t0);
	if (stat(path, &st) != 0)
		return 1;
	printf("generate (sign + self-check + write, no fsync): %8.1f s wall  %9.0f entries/s  (%lld bytes, %.0f "
	       "bytes/line)\n",
	       gen.wall, (double)n / gen.wall, (long long)st.st_size, (double)st.st_size / (double)n);

	rss_before = max_rss_kib();
	t0 = clock_now();
	r = vault_log_verify(path, pk, &res);
	ver = clock_since(t0);
	rss_after = max_rss_kib();
	if (r != 0 || res.entries != n || memcmp(res.head, head, 32) != 0) {
		fprintf(stderr, "bench-vault-log: verify: %s\n", r != 0 ? err_message() : "wrong count or head");
		return 1;
	}
	printf("vault_log_verify:                         %8.1f s wall  %9.0f entries/s  (%.1f s CPU)\n", ver.wall,
	       (double)n / ver.wall, ver.cpu);
	printf("  peak RSS before / after verify: %ld / %ld KiB (the file is %lld KiB)\n", rss_before, rss_after,
	       (long long)st.st_size / 1024);

	if (floor_pass(path, n, pk, &flo, &floor_lines) != 0 || floor_lines != n)
		return 1;
	printf("floor (SHA-256 + Ed25519 verify only):    %8.1f s wall  %9.0f entries/s  (%.1f s CPU)\n", flo.wall,
	       (double)n / flo.wall, flo.cpu);
	printf("ratio verify / floor (entries/s): %.3f wall, %.3f CPU; per entry: verify %.2f us, floor %.2f us, "
	       "overhead %.2f us\n",
	       flo.wall / ver.wall, flo.cpu / ver.cpu, ver.wall / (double)n * 1e6, flo.wall / (double)n * 1e6,
	       (ver.wall - flo.wall) / (double)n * 1e6);
	if (!keep)
		unlink(path);
	return 0;
}
