#include "verifier/sigcheck.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/error.h"
#include "verifier/cpus.h"

#define QUEUE_SLOTS 1024
/* The worker sleeps until this many checks are queued (or the queue is flushed): one wake-up per
 * batch rather than per signature. */
#define BATCH 64
/* Two workers: when the readers or the checking thread wait (a page read from disk, a record not
 * yet read), the second one takes the idle core, and the signature checks are most of the work. */
#define WORKERS 2

struct job {
	uint8_t data[SIGCHECK_DATA_MAX];
	size_t len;
	uint8_t sig[64];
	uint8_t key[32];
	uint64_t serial;
	struct sigcheck_tag tag;
};

struct failure {
	uint64_t serial;
	struct sigcheck_tag tag;
};

struct sigcheck {
	size_t threaded; /* workers started */
	pthread_t workers[WORKERS];
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full, drained;
	struct job *queue; /* QUEUE_SLOTS */
	size_t head, count, busy;
	int stopping, flushing;
	uint64_t submitted;
	struct failure *failures; /* SIGCHECK_FAILURES_KEPT */
	size_t failure_count, dropped;
};

static void record_failure(struct sigcheck *sc, const struct job *job)
{
	if (sc->failure_count < SIGCHECK_FAILURES_KEPT) {
		sc->failures[sc->failure_count].serial = job->serial;
		sc->failures[sc->failure_count].tag = job->tag;
		sc->failure_count++;
	} else {
		sc->dropped++;
	}
}

static int check(const struct job *job)
{
	return crypto_sign_ed25519_verify_detached(job->sig, job->data, job->len, job->key) == 0;
}

static void *work(void *arg)
{
	struct sigcheck *sc = arg;
	struct job job;
	int draining = 0; /* woken with work: check until the queue is empty before sleeping again */

	pthread_mutex_lock(&sc->lock);
	for (;;) {
		if (sc->count == 0)
			draining = 0;
		while (!draining && !sc->stopping && (sc->count == 0 || (sc->count < BATCH && !sc->flushing)))
			pthread_cond_wait(&sc->not_empty, &sc->lock);
		if (sc->count == 0)
			break; /* stopping, and nothing left */
		draining = 1;
		job = sc->queue[sc->head];
		sc->head = (sc->head + 1) % QUEUE_SLOTS;
		sc->count--;
		sc->busy++;
		pthread_cond_signal(&sc->not_full);
		pthread_mutex_unlock(&sc->lock);
		int ok = check(&job);
		pthread_mutex_lock(&sc->lock);
		if (!ok)
			record_failure(sc, &job);
		sc->busy--;
		if (sc->count == 0 && sc->busy == 0)
			pthread_cond_broadcast(&sc->drained);
	}
	pthread_mutex_unlock(&sc->lock);
	return NULL;
}

int sigcheck_start(struct sigcheck **out)
{
	struct sigcheck *sc = calloc(1, sizeof(*sc));

	*out = NULL;
	if (sc == NULL || (sc->queue = calloc(QUEUE_SLOTS, sizeof(*sc->queue))) == NULL ||
	    (sc->failures = calloc(SIGCHECK_FAILURES_KEPT, sizeof(*sc->failures))) == NULL) {
		if (sc != NULL) {
			free(sc->queue);
			free(sc);
		}
		return err_set(CER_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&sc->lock, NULL);
	pthread_cond_init(&sc->not_empty, NULL);
	pthread_cond_init(&sc->not_full, NULL);
	pthread_cond_init(&sc->drained, NULL);
	if (cpus_usable() > 1)
		while (sc->threaded < WORKERS && pthread_create(&sc->workers[sc->threaded], NULL, work, sc) == 0)
			sc->threaded++;
	*out = sc;
	return 0;
}

int sigcheck_submit(struct sigcheck *sc, const uint8_t *data, size_t len, const uint8_t sig[64],
                    const uint8_t public_key[32], const struct sigcheck_tag *tag)
{
	struct job *job;

	if (len > SIGCHECK_DATA_MAX)
		return err_set(CER_ERR_INTERNAL, "signed data of %zu bytes", len);
	if (!sc->threaded) {
		struct job one;
		memcpy(one.data, data, len);
		one.len = len;
		memcpy(one.sig, sig, 64);
		memcpy(one.key, public_key, 32);
		one.serial = sc->submitted++;
		one.tag = *tag;
		if (!check(&one))
			record_failure(sc, &one);
		return 0;
	}
	pthread_mutex_lock(&sc->lock);
	while (sc->count == QUEUE_SLOTS)
		pthread_cond_wait(&sc->not_full, &sc->lock);
	job = &sc->queue[(sc->head + sc->count) % QUEUE_SLOTS];
	memcpy(job->data, data, len);
	job->len = len;
	memcpy(job->sig, sig, 64);
	memcpy(job->key, public_key, 32);
	job->serial = sc->submitted++;
	job->tag = *tag;
	sc->count++;
	if (sc->count % BATCH == 0 && sc->count <= WORKERS * BATCH)
		pthread_cond_signal(&sc->not_empty); /* a batch for one more worker */
	pthread_mutex_unlock(&sc->lock);
	return 0;
}

static int by_serial(const void *a, const void *b)
{
	const struct failure *x = a, *y = b;
	return x->serial < y->serial ? -1 : x->serial > y->serial;
}

int sigcheck_finish(struct sigcheck *sc, int (*failed)(void *ctx, const struct sigcheck_tag *tag), void *ctx,
                    size_t *dropped)
{
	int r = 0;

	if (sc->threaded) {
		pthread_mutex_lock(&sc->lock);
		sc->flushing = 1;
		pthread_cond_broadcast(&sc->not_empty);
		while (sc->count > 0 || sc->busy)
			pthread_cond_wait(&sc->drained, &sc->lock);
		sc->flushing = 0;
		pthread_mutex_unlock(&sc->lock);
	}
	qsort(sc->failures, sc->failure_count, sizeof(*sc->failures), by_serial);
	for (size_t i = 0; i < sc->failure_count && r == 0; i++)
		r = failed(ctx, &sc->failures[i].tag);
	*dropped = sc->dropped;
	sc->failure_count = 0;
	sc->dropped = 0;
	return r;
}

void sigcheck_free(struct sigcheck *sc)
{
	if (sc == NULL)
		return;
	if (sc->threaded) {
		pthread_mutex_lock(&sc->lock);
		sc->stopping = 1;
		pthread_cond_broadcast(&sc->not_empty);
		pthread_mutex_unlock(&sc->lock);
		for (size_t i = 0; i < sc->threaded; i++)
			pthread_join(sc->workers[i], NULL);
	}
	pthread_mutex_destroy(&sc->lock);
	pthread_cond_destroy(&sc->not_empty);
	pthread_cond_destroy(&sc->not_full);
	pthread_cond_destroy(&sc->drained);
	free(sc->queue);
	free(sc->failures);
	free(sc);
}
