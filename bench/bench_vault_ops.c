/* bench-vault-ops: the latency of a vault's working day, unseal -> generate -> sign -> seal, through
 * the vault's own code (vault/service: every operation logged and fsync'd before it is answered),
 * against a floor measured in the same run, interleaved: the same cryptography alone (Feldman
 * checks and the Lagrange combine, the key derivations, OpenSSL's key generation and signature),
 * with no log, no keystore file, no request.
 *
 *   bench-vault-ops [-n ROUNDS] [-a ALG] [-s MESSAGE_BYTES] [-d DIR]
 *
 * Defaults: 20 rounds, ecdsa-p384, a 1 MiB message, DIR /tmp (a vault is made in DIR/bench-vault-*
 * and removed). Reports medians (wall clock) and the ratio vault/floor for each operation. Timings
 * on a shared machine are noise-prone: compare the ratios. Not a test; never registered with ctest. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/file.h"
#include "common/init.h"
#include "vault/audit.h"
#include "vault/init.h"
#include "vault/keys.h"
#include "vault/keystore.h"
#include "vault/service.h"
#include "vault/shamir.h"
#include "vault/sharefile.h"

#define ROUNDS_MAX 1000

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-vault-ops: %s: %s\n", what, err_message());
	exit(1);
}

/* One request to the service; it must succeed. */
static void call(struct vault_service *s, struct buf *out, const uint8_t *payload, size_t len, const char *op, ...)
{
	struct vault_msg req, resp;
	const char *name;
	va_list ap;

	vault_msg_init(&req);
	if (vault_msg_add(&req, "op", op) != 0)
		die("request");
	va_start(ap, op);
	while ((name = va_arg(ap, const char *)) != NULL)
		if (vault_msg_add(&req, name, va_arg(ap, const char *)) != 0)
			die("request");
	va_end(ap);
	req.payload = payload;
	req.payload_len = len;
	if (vault_service_handle(s, &req, "bench", &resp, out) != 0 ||
	    strcmp(vault_msg_get(&resp, "status"), VAULT_STATUS_OK) != 0) {
		fprintf(stderr, "bench-vault-ops: %s: %s\n", op, vault_msg_get(&resp, "message"));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static const char *const masters[] = {"bob", "carol", "erin"};
	static double t_unseal[ROUNDS_MAX], t_gen[ROUNDS_MAX], t_sign[ROUNDS_MAX], f_unseal[ROUNDS_MAX],
	        f_gen[ROUNDS_MAX], f_sign[ROUNDS_MAX];
	const char *alg_name = "ecdsa-p384", *base = "/tmp", *files[3];
	char dir[512], vault_dir[600], shares_dir[600], pass[3][600], label[32], index[4];
	size_t msg_len = 1 << 20;
	struct vault_init_request req = {0};
	struct vault_identity id;
	struct buf out = buf_make(VAULT_MSG_PAYLOAD_MAX);
	uint8_t *shares, *msg;
	enum vault_key_alg alg;
	int rounds = 20, opt;

	while ((opt = getopt(argc, argv, "n:a:s:d:")) != -1) {
		if (opt == 'n')
			rounds = (int)strtol(optarg, NULL, 10);
		else if (opt == 'a')
			alg_name = optarg;
		else if (opt == 's')
			msg_len = (size_t)strtoul(optarg, NULL, 10);
		else if (opt == 'd')
			base = optarg;
		else
			return 2;
	}
	if (rounds < 1 || rounds > ROUNDS_MAX || msg_len == 0 || msg_len > VAULT_MSG_PAYLOAD_MAX ||
	    ceremony_init() != 0 || vault_key_alg_parse(&alg, alg_name) != 0 || keys_self_test() != 0) {
		fprintf(stderr, "usage: bench-vault-ops [-n 1..%d] [-a ALG] [-s BYTES] [-d DIR]\n", ROUNDS_MAX);
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/bench-vault-XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	snprintf(vault_dir, sizeof(vault_dir), "%s/vault", dir);
	snprintf(shares_dir, sizeof(shares_dir), "%s/shares", dir);
	for (int i = 0; i < 3; i++) {
		snprintf(pass[i], sizeof(pass[i]), "%s/%s.pass", dir, masters[i]);
		if (file_write_atomic(pass[i], masters[i], strlen(masters[i]), 0600) != 0)
			die("passphrase file");
		files[i] = pass[i];
	}
	req.dir = vault_dir;
	req.shares_dir = shares_dir;
	req.threshold = 2;
	req.key_masters = masters;
	req.passphrase_files = files;
	req.key_master_count = 3;
	req.who = "bench";
	req.fast_kdf = 1;
	if (vault_init(&req, &id) != 0)
		die("vault init");
	/* The key masters' passphrases (Argon2id) are theirs to type: decrypted once, outside the clock. */
	shares = sodium_malloc(2 * 32);
	msg = malloc(msg_len);
	if (shares == NULL || msg == NULL)
		die("memory");
	for (int i = 0; i < 2; i++) {
		struct sharefile_header h;
		char path[700];
		snprintf(path, sizeof(path), "%s/%s.share", shares_dir, masters[i]);
		if (sharefile_read(path, id.id, masters[i], strlen(masters[i]), &h, shares + 32 * i) != 0)
			die("share file");
	}
	randombytes_buf(msg, msg_len);

	for (int r = 0; r < rounds; r++) {
		struct vault_service *s = NULL;
		struct vault_key *key = NULL;
		struct audit_key *audit = NULL;
		uint8_t *master = sodium_malloc(32), *kek = sodium_malloc(32);
		static const unsigned idx[2] = {1, 2};
		double t;

		if (vault_service_start(&s, vault_dir, "bench") != 0)
			die("service start");
		/* the vault: two contributions, the second opens it */
		t = now();
		for (int i = 0; i < 2; i++) {
			snprintf(index, sizeof(index), "%d", i + 1);
			call(s, &out, shares + 32 * i, 32, VAULT_REQ_UNSEAL_SHARE, "who", masters[i], "index", index,
			     NULL);
		}
		t_unseal[r] = now() - t;
		snprintf(label, sizeof(label), "bench-%d", r);
		t = now();
		call(s, &out, NULL, 0, VAULT_REQ_GENERATE, "who", "bench", "label", label, "alg", alg_name, NULL);
		t_gen[r] = now() - t;
		t = now();
		call(s, &out, msg, msg_len, VAULT_REQ_SIGN, "who", "bench", "label", label, NULL);
		t_sign[r] = now() - t;
		call(s, &out, NULL, 0, VAULT_REQ_SEAL, "who", "bench", NULL);
		vault_service_stop(s, NULL);

		/* the floor, interleaved: the same cryptography alone */
		t = now();
		if (shamir_combine_verified(&id.commitments, idx, shares, 2, master) != 0 ||
		    audit_key_derive(&audit, master) != 0 || keystore_kek_derive(kek, master) != 0)
			die("floor: unseal");
		f_unseal[r] = now() - t;
		t = now();
		if (vault_key_generate(&key, alg) != 0)
			die("floor: generate");
		f_gen[r] = now() - t;
		t = now();
		if (vault_key_sign(key, msg, msg_len, &out) != 0)
			die("floor: sign");
		f_sign[r] = now() - t;
		vault_key_free(key);
		audit_key_free(audit);
		sodium_free(master);
		sodium_free(kek);
	}
	{
		double mu = median(t_unseal, rounds), mg = median(t_gen, rounds), ms = median(t_sign, rounds);
		double fu = median(f_unseal, rounds), fg = median(f_gen, rounds), fs = median(f_sign, rounds);
		printf("bench-vault-ops: %d rounds, %s, message %zu bytes, medians (wall clock)\n", rounds, alg_name,
		       msg_len);
		printf("  %-28s %10s %10s %8s\n", "operation", "vault ms", "floor ms", "ratio");
		printf("  %-28s %10.2f %10.2f %8.2f\n", "unseal (2 contributions)", mu * 1e3, fu * 1e3, mu / fu);
		printf("  %-28s %10.2f %10.2f %8.2f\n", "generate", mg * 1e3, fg * 1e3, mg / fg);
		printf("  %-28s %10.2f %10.2f %8.2f\n", "sign", ms * 1e3, fs * 1e3, ms / fs);
		printf("  %-28s %10.2f %10.2f %8.2f\n", "unseal + generate + sign", (mu + mg + ms) * 1e3,
		       (fu + fg + fs) * 1e3, (mu + mg + ms) / (fu + fg + fs));
	}
	sodium_free(shares);
	free(msg);
	buf_free(&out);
	file_remove_tree(dir, 0);
	return 0;
}
