/* Ed25519 checks on other cores: the verifier reads, parses and hashes on its thread and hands each
 * signature's final check (the costly part) to two workers through a bounded queue, so
 * verification costs about what the signature checks alone cost (bench/README.md).
 *
 * The result does not depend on the scheduling: every failure is reported, in submission order,
 * by sigcheck_finish(). */
#ifndef CEREMONY_VERIFIER_SIGCHECK_H
#define CEREMONY_VERIFIER_SIGCHECK_H

#include <stddef.h>
#include <stdint.h>

#define SIGCHECK_DATA_MAX 512 /* SSHSIG signed data: magic, namespace, reserved, hash name, digest */
#define SIGCHECK_FAILURES_KEPT 1000

/* Where a signature sits, for the finding a failure becomes. */
struct sigcheck_tag {
	long record;
	char commit[41];
	int is_commit; /* the commit's own signature, else a sign-off */
	char signer[64]; /* the key's fingerprint text */
};

struct sigcheck;

/* Start the checker (worker threads when the process may use more than one CPU, verifier/cpus.h; else checks
 * run at once on the caller's thread). */
__attribute__((warn_unused_result)) int sigcheck_start(struct sigcheck **out);

/* Queue one check of `sig` by `public_key` over `data` (copied; at most SIGCHECK_DATA_MAX bytes). */
__attribute__((warn_unused_result)) int sigcheck_submit(struct sigcheck *sc, const uint8_t *data, size_t len,
                                                        const uint8_t sig[64], const uint8_t public_key[32],
                                                        const struct sigcheck_tag *tag);

/* Wait for every queued check, then call `failed` for each that did not verify (at most
 * SIGCHECK_FAILURES_KEPT, in submission order); *dropped counts the rest. Returns the first
 * non-zero `failed` returned. */
__attribute__((warn_unused_result)) int sigcheck_finish(struct sigcheck *sc,
                                                        int (*failed)(void *ctx, const struct sigcheck_tag *tag),
                                                        void *ctx, size_t *dropped);

/* Stops the workers; safe on NULL and after sigcheck_finish(). */
void sigcheck_free(struct sigcheck *sc);

#endif
