/* bench-verify: the cost of evidence_check against its crypto floor, measured in the same run.
 *
 *   bench-verify DIR [ROUNDS]            (ROUNDS defaults to 3)
 *
 * 1. One warm-up evidence_check (brings the repository into the page cache); the process's peak
 *    RSS is read right after it, before anything else is allocated, so it is verify's own peak.
 * 2. The floor's inputs are built, untimed: for every commit signature and every sign-off of the
 *    branch, (message, Ed25519 signature, public key) where the message is the record's bytes
 *    (sign-offs) or the commit without its gpgsig header (commit signatures).
 * 3. ROUNDS times, alternating: evidence_check on DIR, then the floor loop, which does per
 *    signature exactly the work no verifier can avoid: SHA-512 of the message, assembly of the
 *    SSHSIG signed data (sshsig_signed_data) and crypto_sign_ed25519_verify_detached.
 * Medians of the rounds are compared: the ratio verify/floor is what the target is stated in. Both
 * wall time and the process's CPU time (user + sys, getrusage) are reported: on a shared machine
 * other tenants inflate wall time, and the CPU-time ratio is the steadier of the two. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <git2.h>
#include <sodium.h>

#include "bench/bench_common.h"
#include "common/error.h"
#include "common/init.h"
#include "common/sshsig.h"
#include "evidence/commit_raw.h"
#include "verifier/evidence_check.h"
#include "verifier/findings.h"

#define ROUNDS_MAX 99

struct floor_sig {
	size_t msg_offset; /* into floor_inputs.arena */
	size_t msg_len;
	const char *namespace;
	const char *hash_algorithm; /* a static string of sshsig.h */
	uint8_t signature[SSHKEY_ED25519_SIGNATURE_BYTES];
	uint8_t public_key[SSHKEY_ED25519_PUBLIC_BYTES];
};

/* Everything in two growing arrays, so that building the inputs leaves the heap as it found it
 * (hundreds of thousands of small allocations would slow down every malloc of the verify rounds). */
struct floor_inputs {
	struct floor_sig *sigs;
	size_t count, cap;
	uint8_t *arena; /* the messages, back to back */
	size_t arena_len, arena_cap;
	size_t records;
};

static void die(const char *what)
{
	fprintf(stderr, "bench-verify: %s: %s\n", what, err_message());
	exit(1);
}

static void git_die(const char *what)
{
	const git_error *e = git_error_last();
	fprintf(stderr, "bench-verify: %s: %s\n", what, e ? e->message : "libgit2 error");
	exit(1);
}

/* Copy a message into the arena; returns its offset. */
static size_t keep_message(struct floor_inputs *in, const void *data, size_t len)
{
	size_t offset = in->arena_len;

	while (in->arena_len + len > in->arena_cap) {
		in->arena_cap = in->arena_cap ? in->arena_cap * 2 : 1u << 20;
		in->arena = realloc(in->arena, in->arena_cap);
		if (in->arena == NULL)
			die("out of memory");
	}
	memcpy(in->arena + offset, data, len);
	in->arena_len += len;
	return offset;
}

/* One armored SSHSIG over `msg`: parsed now, verified later in the floor loop. */
static void add_signature(struct floor_inputs *in, const uint8_t *armored, size_t armored_len, const char *namespace,
                          size_t msg_offset, size_t msg_len)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX);
	struct sshsig_parts parts;
	struct floor_sig *s;

	if (sshsig_dearmor(armored, armored_len, &blob) != 0 || sshsig_parse_blob(blob.data, blob.len, &parts) != 0)
		die("a signature does not parse");
	if (in->count == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 16384;
		in->sigs = realloc(in->sigs, in->cap * sizeof(*in->sigs));
		if (in->sigs == NULL)
			die("out of memory");
	}
	s = &in->sigs[in->count++];
	s->msg_offset = msg_offset;
	s->msg_len = msg_len;
	s->namespace = namespace;
	s->hash_algorithm = parts.hash_algorithm;
	memcpy(s->signature, parts.signature, sizeof(s->signature));
	memcpy(s->public_key, parts.key.ed25519, sizeof(s->public_key));
	buf_free(&blob);
}

static git_blob *blob_at(git_repository *repo, git_tree *tree, const char *path)
{
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;

	if (git_tree_entry_bypath(&entry, tree, path) < 0 || git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0)
		git_die(path);
	git_tree_entry_free(entry);
	return blob;
}

/* Walk the branch, oldest first, and collect every signature with the bytes it covers. */
static void build_floor(const char *dir, struct floor_inputs *in)
{
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	git_odb *odb = NULL;
	git_oid id;

	memset(in, 0, sizeof(*in));
	/* libgit2 would cache every commit and tree read here (hundreds of MiB at 100,000 records). */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	if (git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL) < 0 ||
	    git_repository_odb(&odb, repo) < 0 || git_revwalk_new(&walk, repo) < 0 ||
	    git_revwalk_push_ref(walk, EVIDENCE_BRANCH) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0)
		git_die(dir);
	git_revwalk_simplify_first_parent(walk);
	while (git_revwalk_next(&id, walk) == 0) {
		char path[EVIDENCE_RECORD_PATH_CHARS + 64];
		git_odb_object *raw = NULL;
		git_commit *commit = NULL;
		git_tree *tree = NULL, *signoffs = NULL;
		git_tree_entry *entry = NULL;
		git_blob *blob;
		struct commit_raw c;
		size_t record, payload, record_len;

		/* The commit signature, over the commit without its gpgsig header. */
		if (git_odb_read(&raw, odb, &id) < 0)
			git_die("commit");
		if (commit_raw_parse(&c, git_odb_object_data(raw), git_odb_object_size(raw)) != 0)
			die("commit");
		git_odb_object_free(raw);
		payload = keep_message(in, c.signed_payload.data, c.signed_payload.len);
		add_signature(in, c.signature.data, c.signature.len, SSHSIG_NAMESPACE_GIT, payload,
		              c.signed_payload.len);
		commit_raw_free(&c);

		/* The record's bytes, and its sign-offs over them. */
		if (git_commit_lookup(&commit, repo, &id) < 0 || git_commit_tree(&tree, commit) < 0)
			git_die("commit tree");
		evidence_record_path((uint32_t)in->records, path);
		memcpy(path + EVIDENCE_RECORD_PATH_CHARS, "/" EVIDENCE_RECORD_FILE, sizeof("/" EVIDENCE_RECORD_FILE));
		blob = blob_at(repo, tree, path);
		record_len = (size_t)git_blob_rawsize(blob);
		record = keep_message(in, git_blob_rawcontent(blob), record_len);
		git_blob_free(blob);
		evidence_record_path((uint32_t)in->records, path);
		memcpy(path + EVIDENCE_RECORD_PATH_CHARS, "/" EVIDENCE_SIGNOFFS_DIR, sizeof("/" EVIDENCE_SIGNOFFS_DIR));
		if (git_tree_entry_bypath(&entry, tree, path) < 0 ||
		    git_tree_lookup(&signoffs, repo, git_tree_entry_id(entry)) < 0)
			git_die(path);
		for (size_t i = 0; i < git_tree_entrycount(signoffs); i++) {
			const git_tree_entry *e = git_tree_entry_byindex(signoffs, i);
			if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0)
				git_die("sign-off");
			add_signature(in, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
			              SSHSIG_NAMESPACE_RECORD, record, record_len);
			git_blob_free(blob);
		}
		git_tree_free(signoffs);
		git_tree_entry_free(entry);
		git_tree_free(tree);
		git_commit_free(commit);
		in->records++;
	}
	git_revwalk_free(walk);
	git_odb_free(odb);
	git_repository_free(repo);
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 1); /* libgit2's default, which evidence_check runs with */
}

static void free_floor(struct floor_inputs *in)
{
	free(in->arena);
	free(in->sigs);
}

/* The crypto floor: per signature, SHA-512 of the message, the SSHSIG signed data, Ed25519 verify. */
static size_t run_floor(const struct floor_inputs *in)
{
	struct buf data = buf_make(1024);
	size_t ok = 0;

	for (size_t i = 0; i < in->count; i++) {
		const struct floor_sig *s = &in->sigs[i];
		buf_reset(&data);
		if (sshsig_signed_data(s->namespace, s->hash_algorithm, in->arena + s->msg_offset, s->msg_len, &data) !=
		    0)
			die("signed data");
		if (crypto_sign_ed25519_verify_detached(s->signature, data.data, data.len, s->public_key) == 0)
			ok++;
	}
	buf_free(&data);
	return ok;
}

static void run_verify(const char *dir, struct evidence_check_result *result)
{
	struct evidence_check_options options = {0};
	struct findings findings = {0};

	if (evidence_check(dir, &options, &findings, result) != 0)
		die(dir);
	if (findings_total(&findings) != 0 || !result->closed) {
		findings_print(&findings, stderr);
		fprintf(stderr, "bench-verify: %s: %zu findings, closed=%d: benchmark a clean, closed repository\n",
		        dir, findings_total(&findings), result->closed);
		exit(1);
	}
	findings_free(&findings);
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	double verify_s[ROUNDS_MAX], verify_cpu[ROUNDS_MAX], floor_s[ROUNDS_MAX], floor_cpu[ROUNDS_MAX], warm_s, v, f,
	        vc, fc;
	struct evidence_check_result result;
	struct floor_inputs in;
	long rounds = 3, rss_verify;
	uint64_t t0;
	char *end = NULL;

	if (argc < 2 || argc > 3) {
		fputs("usage: bench-verify DIR [ROUNDS]\n", stderr);
		return 2;
	}
	if (argc == 3) {
		rounds = strtol(argv[2], &end, 10);
		if (end == argv[2] || *end != '\0' || rounds < 1 || rounds > ROUNDS_MAX) {
			fprintf(stderr, "bench-verify: ROUNDS must be 1 to %d\n", ROUNDS_MAX);
			return 2;
		}
	}
	if (ceremony_init() != 0)
		die("init");

	t0 = bench_now_ns();
	run_verify(argv[1], &result);
	warm_s = (double)(bench_now_ns() - t0) / 1e9;
	rss_verify = maxrss_kib();

	build_floor(argv[1], &in);
	if (in.records != result.records || in.count != result.signatures_checked) {
		fprintf(stderr, "bench-verify: the floor has %zu records / %zu signatures, verify %zu / %zu\n",
		        in.records, in.count, result.records, result.signatures_checked);
		return 1;
	}

	for (long i = 0; i < rounds; i++) {
		double cpu0 = cpu_seconds();
		t0 = bench_now_ns();
		run_verify(argv[1], &result);
		verify_s[i] = (double)(bench_now_ns() - t0) / 1e9;
		verify_cpu[i] = cpu_seconds() - cpu0;
		cpu0 = cpu_seconds();
		t0 = bench_now_ns();
		if (run_floor(&in) != in.count) {
			fputs("bench-verify: a signature does not verify in the floor loop\n", stderr);
			return 1;
		}
		floor_s[i] = (double)(bench_now_ns() - t0) / 1e9;
		floor_cpu[i] = cpu_seconds() - cpu0;
		fprintf(stderr,
		        "  round %ld: verify %.3f s (cpu %.3f s), floor %.3f s (cpu %.3f s), ratio %.3f (cpu %.3f)\n",
		        i + 1, verify_s[i], verify_cpu[i], floor_s[i], floor_cpu[i], verify_s[i] / floor_s[i],
		        verify_cpu[i] / floor_cpu[i]);
	}
	v = bench_median(verify_s, (size_t)rounds);
	f = bench_median(floor_s, (size_t)rounds);
	vc = bench_median(verify_cpu, (size_t)rounds);
	fc = bench_median(floor_cpu, (size_t)rounds);
	printf("repository:        %s\n", argv[1]);
	printf("records:           %zu\n", result.records);
	printf("signatures:        %zu\n", result.signatures_checked);
	printf("rounds:            %ld (medians below; first, cold-cache verify %.3f s not counted)\n", rounds, warm_s);
	printf("verify seconds:    %.3f wall, %.3f cpu (user+sys)\n", v, vc);
	printf("floor seconds:     %.3f wall, %.3f cpu\n", f, fc);
	printf("ratio verify/floor: %.3f wall, %.3f cpu\n", v / f, vc / fc);
	printf("records/s:         %.0f (floor alone: %.0f)\n", (double)result.records / v, (double)result.records / f);
	printf("signatures/s:      %.0f (floor alone: %.0f)\n", (double)result.signatures_checked / v,
	       (double)in.count / f);
	printf("peak RSS verify:   %ld KiB (after the warm-up verify, before the floor's inputs)\n", rss_verify);
	printf("peak RSS process:  %ld KiB (with the floor's inputs in memory)\n", maxrss_kib());
	free_floor(&in);
	ceremony_shutdown();
	return 0;
}
