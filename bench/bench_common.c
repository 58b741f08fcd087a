#include "bench/bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/hash.h"

static const char *const participant_ids[BENCH_PARTICIPANTS] = {"alice", "bob", "carol", "dave"};

static const char bench_scenario[] = "Ceremony benchmark scenario: synthetic evidence, not a real ceremony.\n";

const char *bench_participant(size_t i)
{
	return participant_ids[i % BENCH_PARTICIPANTS];
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0.0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

int bench_party_make(struct bench_party *party, const char *const *key_files)
{
	int r = 0;

	memset(party, 0, sizeof(*party));
	for (size_t i = 0; i < BENCH_PARTICIPANTS && r == 0; i++) {
		if (key_files == NULL)
			r = sshkey_private_generate(&party->keys[i], participant_ids[i]);
		else
			r = sshkey_private_load(&party->keys[i], key_files[i]);
		if (r == 0)
			r = signer_from_key(&party->signers[i], party->keys[i]);
	}
	if (r != 0)
		bench_party_free(party);
	return r;
}

void bench_party_free(struct bench_party *party)
{
	for (size_t i = 0; i < BENCH_PARTICIPANTS; i++) {
		signer_free(party->signers[i]);
		sshkey_private_free(party->keys[i]);
		party->signers[i] = NULL;
		party->keys[i] = NULL;
	}
}

/* The three signers of record `seq`; the first is the actor and the committer. */
static void pick_signers(const struct bench_party *party, uint32_t seq, struct signer *out[BENCH_SIGNOFFS],
                         size_t *actor)
{
	*actor = seq % BENCH_PARTICIPANTS;
	for (size_t i = 0; i < BENCH_SIGNOFFS; i++)
		out[i] = party->signers[(seq + i) % BENCH_PARTICIPANTS];
}

const uint8_t *bench_vault_audit_key;

int bench_create(struct evidence_store **out, const char *dir, struct bench_party *party)
{
	struct buf bytes = buf_make(RECORD_BYTES_MAX);
	struct evidence_store *store = NULL;
	struct record *genesis = NULL;
	struct roster *roster = NULL;
	struct signer *signers[BENCH_SIGNOFFS];
	size_t actor;
	int r;

	*out = NULL;
	if ((r = roster_new(&roster)) != 0 || (r = record_new(&genesis)) != 0)
		goto out;
	for (size_t i = 0; i < BENCH_PARTICIPANTS; i++)
		if ((r = roster_add_key(roster, participant_ids[i], &party->keys[i]->public_key)) != 0)
			goto out;
	pick_signers(party, 0, signers, &actor);
	snprintf(genesis->ceremony, sizeof(genesis->ceremony), "%s", BENCH_CEREMONY);
	sha256_digest(bench_scenario, sizeof(bench_scenario) - 1, genesis->scenario_sha256);
	genesis->session = 1;
	genesis->sequence = 0;
	genesis->type = RECORD_GENESIS;
	snprintf(genesis->step, sizeof(genesis->step), "genesis");
	snprintf(genesis->actor, sizeof(genesis->actor), "%s", participant_ids[actor]);
	record_time_now(genesis->time);
	if (bench_vault_audit_key != NULL) {
		genesis->has_vault = 1;
		memcpy(genesis->vault_audit_key, bench_vault_audit_key, 32);
		sha256_digest(bench_vault_audit_key, 32, genesis->vault_id);
	}
	genesis->roster = roster; /* borrowed for serialization */
	genesis->recorder_version = strdup("bench");
	genesis->recorder_build = strdup("bench-gen-evidence");
	if (genesis->recorder_version == NULL || genesis->recorder_build == NULL)
		r = err_set(CER_ERR_NOMEM, "out of memory");
	else
		r = record_serialize(genesis, &bytes);
	genesis->roster = NULL;
	if (r != 0 || (r = evidence_store_create(&store, dir)) != 0 ||
	    (r = evidence_append(store, bytes.data, bytes.len, signers, BENCH_SIGNOFFS, signers[0],
	                         EVIDENCE_DEFAULT_LOCK_WAIT_MS, NULL)) != 0)
		goto out;
	*out = store;
	store = NULL;
out:
	evidence_store_free(store);
	record_free(genesis);
	roster_free(roster);
	buf_free(&bytes);
	return r;
}

int bench_append_next(struct evidence_store *store, struct bench_party *party, enum record_type type,
                      uint64_t *append_ns)
{
	struct buf bytes = buf_make(RECORD_BYTES_MAX);
	struct record *rec = NULL;
	struct signer *signers[BENCH_SIGNOFFS];
	char value[64];
	size_t actor;
	uint64_t t0;
	int r;

	if ((r = record_new(&rec)) != 0 || (r = evidence_prepare_next(store, rec)) != 0)
		goto out;
	pick_signers(party, rec->sequence, signers, &actor);
	snprintf(rec->actor, sizeof(rec->actor), "%s", participant_ids[actor]);
	rec->type = type;
	if (type == RECORD_CLOSE)
		snprintf(rec->step, sizeof(rec->step), "close");
	else
		snprintf(rec->step, sizeof(rec->step), "step-%08u", rec->sequence);
	record_time_now(rec->time);
	snprintf(value, sizeof(value), "TEB-%08u-2026", rec->sequence);
	if ((r = record_add_value(rec, "bag-serial", value)) != 0)
		goto out;
	snprintf(value, sizeof(value), "HSM-%u", rec->sequence % 7u);
	if ((r = record_add_value(rec, "hsm-serial", value)) != 0 || (r = record_serialize(rec, &bytes)) != 0)
		goto out;
	t0 = bench_now_ns();
	r = evidence_append(store, bytes.data, bytes.len, signers, BENCH_SIGNOFFS, signers[0],
	                    EVIDENCE_DEFAULT_LOCK_WAIT_MS, NULL);
	if (append_ns != NULL)
		*append_ns = bench_now_ns() - t0;
out:
	record_free(rec);
	buf_free(&bytes);
	return r;
}
