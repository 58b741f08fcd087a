/* Shared by the benchmark programs: four participants, the genesis record, and the next step record,
 * all built and appended through the real code path (record_serialize, evidence_prepare_next,
 * evidence_append). Never linked into the product. */
#ifndef CEREMONY_BENCH_COMMON_H
#define CEREMONY_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "common/signer.h"
#include "common/sshkey.h"
#include "evidence/record.h"
#include "evidence/store.h"

#define BENCH_PARTICIPANTS 4
#define BENCH_SIGNOFFS 3
#define BENCH_CEREMONY "bench-ceremony"

struct bench_party {
	struct sshkey_private *keys[BENCH_PARTICIPANTS];
	struct signer *signers[BENCH_PARTICIPANTS];
};

/* Four participants: keys generated in memory (key_files == NULL) or loaded from four unencrypted
 * OpenSSH key files (e.g. written by `ceremony keygen`). */
__attribute__((warn_unused_result)) int bench_party_make(struct bench_party *party, const char *const *key_files);
void bench_party_free(struct bench_party *party);
/* The participant id of participant i ("alice", "bob", "carol", "dave"). */
const char *bench_participant(size_t i);

/* When set (32 bytes), the genesis record pins a vault with this audit public key (its id: the
 * SHA-256 of the key), so that a synthetic vault log signed by it can be joined (bench/README.md). */
extern const uint8_t *bench_vault_audit_key;

/* Create the evidence repository at `dir` and append its genesis record (3 sign-offs). */
__attribute__((warn_unused_result)) int bench_create(struct evidence_store **out, const char *dir,
                                                     struct bench_party *party);

/* Append the record that follows the tip: a step with two values, or the close record. Record
 * number `seq` is signed by participants seq, seq+1, seq+2 (mod 4); the first is the actor and
 * signs the commit. The caller may hold the store's lock. *append_ns (optional) is the time spent
 * inside evidence_append alone. */
__attribute__((warn_unused_result)) int bench_append_next(struct evidence_store *store, struct bench_party *party,
                                                          enum record_type type, uint64_t *append_ns);

/* Monotonic clock, nanoseconds. */
uint64_t bench_now_ns(void);

/* Median of `n` values (sorts them in place). */
double bench_median(double *v, size_t n);

#endif
