/* ceremony demo DIR: the README's main job. A complete sample key ceremony, scripted, through the
 * same command code paths a real ceremony uses: throwaway participant keys, a vault initialized and
 * served by its own process, a scenario made from the vault demo template and a roster, begin,
 * the key masters' shares, the firmware-signing key generated, an incident that invalidates the
 * session (its key destroyed at the restart), the key generated again, its public key exported, a
 * firmware image signed, the vault sealed, close, then verify against the scenario and the closing
 * hash, and the vault log verified. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/keys.h"
#include "cli/options.h"
#include "common/buf.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "evidence/scenario.h"
#include "recorder/ceremony.h"
#include "recorder/vault_step.h"
#include "vault/server.h"

extern const unsigned char demo_vault_template[];
extern const size_t demo_vault_template_len;
extern const unsigned char demo_vault_init_template[];
extern const size_t demo_vault_init_template_len;

/* The cast: who holds which roles in the vault demo template. */
static const struct {
	const char *name;
	const char *roles;
} cast[] = {
        {"alice", "lead"},      {"bob", "keymaster"}, {"carol", "keymaster"},
        {"frank", "keymaster"}, {"dave", "witness"},  {"erin", "witness"},
};
#define CAST_SIZE (sizeof(cast) / sizeof(cast[0]))
enum { ALICE, BOB, CAROL, FRANK, DAVE, ERIN };

struct demo {
	char dir[PATH_MAX];
	char keys[CAST_SIZE][PATH_MAX + 16];
	char passphrases[CAST_SIZE][PATH_MAX + 32];
	char evidence[PATH_MAX + 16];
	char scenario[PATH_MAX + 16];
	char init_evidence[PATH_MAX + 24];
	char init_scenario[PATH_MAX + 24];
	char vault[PATH_MAX + 16];
	char shares[PATH_MAX + 16];
	char firmware[PATH_MAX + 16];
	char public_key[PATH_MAX + 32];
	char signature[PATH_MAX + 32];
	char vault_process_log[PATH_MAX + 32];
	pid_t vault_pid;
};

/* Run a subcommand with a NULL-terminated argument list, after a banner saying what happens. */
static int run(int (*cmd)(int, char **), const char *banner, ...)
{
	char *argv[64];
	int argc = 0, r;
	va_list ap;

	va_start(ap, banner);
	for (const char *a = va_arg(ap, const char *); a != NULL && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)(uintptr_t)a; /* the commands never write to their arguments */
	va_end(ap);
	argv[argc] = NULL;
	printf("\n== %s\n", banner);
	fflush(stdout);
	r = cmd(argc, argv);
	fflush(stdout);
	return r;
}

static int join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size)
		return err_set(CER_ERR_USAGE, "%s: path too long", dir);
	return 0;
}

/* Keys for the cast, the roster naming them with their roles, the scenario made from both, the key
 * masters' passphrases (in files, mode 0600: in a real ceremony each types theirs, unseen), and the
 * firmware image to sign. */
static int prepare(struct demo *d)
{
	struct buf roster = buf_make(65536), pub = buf_make(4096), scenario = buf_make(SCENARIO_BYTES_MAX),
	           init_scenario = buf_make(SCENARIO_BYTES_MAX);
	char keydir[PATH_MAX + 16], passdir[PATH_MAX + 16], pubpath[PATH_MAX + 32], text[128];
	int r;

	if ((r = join(keydir, sizeof(keydir), d->dir, "keys")) != 0 ||
	    (r = join(passdir, sizeof(passdir), d->dir, "passphrases")) != 0)
		return r;
	if (mkdir(keydir, 0700) != 0 || mkdir(passdir, 0700) != 0)
		return err_set(CER_ERR_IO, "%s: %s", d->dir, strerror(errno));
	for (size_t i = 0; i < CAST_SIZE; i++) {
		if ((r = join(d->keys[i], sizeof(d->keys[i]), keydir, cast[i].name)) != 0 ||
		    (r = keygen_write(d->keys[i], cast[i].name)) != 0)
			goto out;
		if (snprintf(pubpath, sizeof(pubpath), "%s.pub", d->keys[i]) >= (int)sizeof(pubpath) ||
		    snprintf(d->passphrases[i], sizeof(d->passphrases[i]), "%s/%s.pass", passdir, cast[i].name) >=
		            (int)sizeof(d->passphrases[i])) {
			r = err_set(CER_ERR_USAGE, "%s: path too long", d->keys[i]);
			goto out;
		}
		if ((r = file_read_all(pubpath, 4096, &pub)) != 0 ||
		    (r = buf_printf(&roster, "%s %s %s", cast[i].name, cast[i].roles, (const char *)pub.data)) != 0)
			goto out;
		if (strcmp(cast[i].roles, "keymaster") == 0) {
			int n = snprintf(text, sizeof(text), "throwaway demo passphrase of %s\n", cast[i].name);
			if ((r = file_write_atomic(d->passphrases[i], text, (size_t)n, 0600)) != 0)
				goto out;
		}
	}
	if ((r = scenario_make(demo_vault_init_template, demo_vault_init_template_len, (const char *)roster.data,
	                       roster.len, "demo-vault-init", &init_scenario)) != 0 ||
	    (r = file_write_atomic(d->init_scenario, init_scenario.data, init_scenario.len, 0644)) != 0 ||
	    (r = scenario_make(demo_vault_template, demo_vault_template_len, (const char *)roster.data, roster.len,
	                       "demo-key-ceremony", &scenario)) != 0 ||
	    (r = file_write_atomic(d->scenario, scenario.data, scenario.len, 0644)) != 0 ||
	    (r = file_write_atomic(d->firmware, "demo firmware image, version 1.0.0\n", 35, 0644)) != 0)
		goto out;
	printf("participants' throwaway keys: %s\n"
	       "  alice lead; bob, carol, frank key masters; dave, erin witnesses\n"
	       "key masters' throwaway passphrases (a real ceremony types them, unseen): %s\n"
	       "scenarios made from the demo templates: %s (vault initialization), %s (key ceremony)\n",
	       keydir, passdir, d->init_scenario, d->scenario);
out:
	buf_free(&init_scenario);
	buf_free(&roster);
	buf_free(&pub);
	buf_free(&scenario);
	return r;
}

static int closing_hash_hex(const char *evidence, char hex[65]);

/* The first ceremony makes the vault: its init step splits the master secret 2 of 3 among the key
 * masters, each share file under its key master's passphrase. */
static int vault_init_ceremony(const struct demo *d)
{
	const char *e = d->init_evidence;
	char bob[PATH_MAX + 48], carol[PATH_MAX + 48], frank[PATH_MAX + 48], closing[65];
	int r;

	snprintf(bob, sizeof(bob), "bob=%s", d->passphrases[BOB]);
	snprintf(carol, sizeof(carol), "carol=%s", d->passphrases[CAROL]);
	snprintf(frank, sizeof(frank), "frank=%s", d->passphrases[FRANK]);
	printf("\n######## the vault-initialization ceremony (evidence: %s)\n", e);
	if ((r = run(cmd_begin, "alice begins the vault-initialization ceremony; dave witnesses", "-e", e, "-s",
	             d->init_scenario, "-k", d->keys[ALICE], "-k", d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_record, "alice records the room check; dave signs with her", "-e", e, "--step", "room-check",
	             "--value", "bag-serial=TEB-200001", "-k", d->keys[ALICE], "-k", d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_record,
	             "the vault is made (irreversible: --yes): its master secret split 2 of 3, one share file per key "
	             "master, each under their passphrase",
	             "-e", e, "--step", "init", "-V", d->vault, "--shares", d->shares, "--passphrase-file", bob,
	             "--passphrase-file", carol, "--passphrase-file", frank, "--yes", "-k", d->keys[ALICE], "-k",
	             d->keys[BOB], "-k", d->keys[CAROL], "-k", d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_record, "the key masters bag their shares", "-e", e, "--step", "shares-bagged", "--value",
	             "bag-serials=TEB-200002 TEB-200003 TEB-200004", "-k", d->keys[BOB], "-k", d->keys[FRANK], "-k",
	             d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_close, "close", "-e", e, "-k", d->keys[ALICE], "-k", d->keys[BOB], "-k", d->keys[CAROL], "-k",
	             d->keys[DAVE], NULL)) != 0 ||
	    (r = closing_hash_hex(e, closing)) != 0)
		return r;
	return run(cmd_verify, "an auditor verifies the vault-initialization ceremony", "-e", e, "-s", d->init_scenario,
	           "--closing-hash", closing, NULL);
}

/* The vault, served by a process of its own until the demo ends. */
static int start_vault(struct demo *d)
{
	int opened;

	printf("\n######## the key ceremony (evidence: %s)\n", d->evidence);
	printf("\n== the vault process starts, sealed (its own log: %s)\n", d->vault_process_log);
	fflush(stdout);
	d->vault_pid = fork();
	if (d->vault_pid < 0)
		return err_set(CER_ERR_INTERNAL, "fork: %s", strerror(errno));
	if (d->vault_pid == 0) {
		FILE *log = freopen(d->vault_process_log, "a", stderr);
		(void)log;
		_exit(vault_serve(d->vault, "vault-process", NULL) == 0 ? 0 : 1);
	}
	for (int i = 0; i < 200; i++) {
		if ((opened = vault_step_is_open(d->vault)) >= 0)
			return 0;
		err_clear();
		usleep(50 * 1000);
	}
	return err_set(CER_ERR_IO, "the vault process did not start (see %s)", d->vault_process_log);
}

static void stop_vault(struct demo *d)
{
	int status;

	if (d->vault_pid > 0) {
		kill(d->vault_pid, SIGTERM);
		waitpid(d->vault_pid, &status, 0);
		d->vault_pid = 0;
	}
}

static int share(const struct demo *d, int who, const char *banner)
{
	char share_file[PATH_MAX + 48];

	snprintf(share_file, sizeof(share_file), "%s/%s.share", d->shares, cast[who].name);
	return run(cmd_share, banner, "-e", d->evidence, "--step", "unseal", "-V", d->vault, "--share", share_file,
	           "--passphrase-file", d->passphrases[who], "-k", d->keys[who], NULL);
}

/* Room check, shares, the unseal record: the start of each session. */
static int open_session(const struct demo *d, const char *bag, int km1, int km2, int witness)
{
	char value[64];
	int r;

	snprintf(value, sizeof(value), "bag-serial=%s", bag);
	if ((r = run(cmd_record, "alice records the room check; a witness signs with her", "-e", d->evidence, "--step",
	             "room-check", "--value", value, "-k", d->keys[ALICE], "-k", d->keys[witness], NULL)) != 0 ||
	    (r = share(d, km1, "a key master contributes their share: the vault checks it, stays sealed")) != 0 ||
	    (r = share(d, km2, "a second key master contributes: the quorum is met, the vault opens")) != 0)
		return r;
	return run(cmd_record, "the unseal step is recorded: every contribution, with its vault log entry", "-e",
	           d->evidence, "--step", "unseal", "-V", d->vault, "-k", d->keys[km1], "-k", d->keys[km2], "-k",
	           d->keys[witness], NULL);
}

static int ceremony_steps(const struct demo *d)
{
	const char *e = d->evidence;
	char attach[PATH_MAX + 32];
	int r;

	snprintf(attach, sizeof(attach), "firmware-image=%s", d->firmware);
	if ((r = run(cmd_begin, "alice begins the ceremony with the vault; dave witnesses (genesis record)", "-e", e,
	             "-s", d->scenario, "-V", d->vault, "-k", d->keys[ALICE], "-k", d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_next, "where do we stand?", "-e", e, NULL)) != 0 ||
	    (r = open_session(d, "TEB-100001", BOB, CAROL, DAVE)) != 0 ||
	    (r = run(cmd_record, "the vault generates the key the scenario names (firmware-signing, ECDSA P-384)", "-e",
	             e, "--step", "generate", "-V", d->vault, "-k", d->keys[ALICE], "-k", d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_incident, "erin declares an incident: the overhead camera stopped recording", "-e", e,
	             "--reason", "the overhead camera stopped recording during key generation", "-k", d->keys[ERIN],
	             NULL)) != 0 ||
	    (r = run(cmd_restart, "restart: the key of the invalid session is destroyed, the vault sealed; session 2",
	             "-e", e, "-V", d->vault, "-k", d->keys[ALICE], "-k", d->keys[ERIN], NULL)) != 0 ||
	    (r = open_session(d, "TEB-100002", CAROL, FRANK, ERIN)) != 0 ||
	    (r = run(cmd_record, "the key is generated again: a new key, a new fingerprint", "-e", e, "--step",
	             "generate", "-V", d->vault, "-k", d->keys[ALICE], "-k", d->keys[ERIN], NULL)) != 0 ||
	    (r = run(cmd_record, "its public key is exported; the evidence keeps it", "-e", e, "--step",
	             "export-public-key", "-V", d->vault, "-o", d->public_key, "-k", d->keys[ALICE], "-k",
	             d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_record, "the vault signs the firmware image (irreversible: --yes)", "-e", e, "--step",
	             "sign-firmware", "-V", d->vault, "--attach", attach, "--yes", "-o", d->signature, "-k",
	             d->keys[ALICE], "-k", d->keys[CAROL], "-k", d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_record, "the vault is sealed", "-e", e, "--step", "seal", "-V", d->vault, "-k", d->keys[ALICE],
	             "-k", d->keys[ERIN], NULL)) != 0 ||
	    (r = run(cmd_close, "close: the closing hash is read aloud and written on the checklist", "-e", e, "-k",
	             d->keys[ALICE], "-k", d->keys[CAROL], "-k", d->keys[FRANK], "-k", d->keys[DAVE], NULL)) != 0)
		return r;
	return run(cmd_evidence_log, "the history", "-e", e, NULL);
}

static int closing_hash_hex(const char *evidence, char hex[65])
{
	struct ceremony *c = NULL;
	int r;

	if ((r = ceremony_open(&c, evidence)) != 0)
		return r;
	hex_encode(c->tip.record_sha256, 32, hex);
	ceremony_free(c);
	return 0;
}

static int paths(struct demo *d)
{
	int r;

	if ((r = join(d->evidence, sizeof(d->evidence), d->dir, "evidence")) != 0 ||
	    (r = join(d->scenario, sizeof(d->scenario), d->dir, "scenario.xml")) != 0 ||
	    (r = join(d->init_evidence, sizeof(d->init_evidence), d->dir, "vault-init-evidence")) != 0 ||
	    (r = join(d->init_scenario, sizeof(d->init_scenario), d->dir, "vault-init-scenario.xml")) != 0 ||
	    (r = join(d->vault, sizeof(d->vault), d->dir, "vault")) != 0 ||
	    (r = join(d->shares, sizeof(d->shares), d->dir, "shares")) != 0 ||
	    (r = join(d->firmware, sizeof(d->firmware), d->dir, "firmware.bin")) != 0 ||
	    (r = join(d->public_key, sizeof(d->public_key), d->dir, "firmware-signing.pub.pem")) != 0 ||
	    (r = join(d->signature, sizeof(d->signature), d->dir, "firmware.bin.sig")) != 0 ||
	    (r = join(d->vault_process_log, sizeof(d->vault_process_log), d->dir, "vault-process.log")) != 0)
		return r;
	return 0;
}

int cmd_demo(int argc, char **argv)
{
	struct demo d;
	struct cli_args args;
	struct stat st;
	char closing[65];
	int r;

	if ((r = cli_parse(argc, argv, NULL, 0, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(
		        "demo DIR",
		        "Run two complete sample ceremonies into DIR (new or empty), six throwaway participants:\n"
		        "a vault-initialization ceremony (the vault made, its master secret split 2 of 3 among the "
		        "key\n"
		        "masters), then, the vault served by its own process, a key ceremony: the key masters' "
		        "shares,\n"
		        "a firmware-signing key generated, an incident and a restart (the key destroyed), the key "
		        "made\n"
		        "again, exported and used to sign a firmware image, the vault sealed, close, the history, "
		        "then\n"
		        "verify both and the vault log. Prints where each file lies.",
		        NULL, 0);
		return EXIT_OK;
	}
	if (args.positional_count != 1)
		return err_set(CER_ERR_USAGE, "demo needs exactly one DIR");
	memset(&d, 0, sizeof(d));
	if (stat(args.positional[0], &st) != 0 && mkdir(args.positional[0], 0755) != 0)
		return err_set(CER_ERR_IO, "%s: %s", args.positional[0], strerror(errno));
	/* Absolute paths, so that the commands printed at the end work from anywhere. */
	if (realpath(args.positional[0], d.dir) == NULL)
		return err_set(CER_ERR_IO, "%s: %s", args.positional[0], strerror(errno));
	if ((r = paths(&d)) != 0)
		return r;
	if (stat(d.evidence, &st) == 0 || stat(d.scenario, &st) == 0 || stat(d.vault, &st) == 0 ||
	    stat(d.init_evidence, &st) == 0)
		return err_set(CER_ERR_REFUSED, "%s already holds a demo; use a new directory", d.dir);
	if ((r = prepare(&d)) == 0 && (r = vault_init_ceremony(&d)) == 0 && (r = start_vault(&d)) == 0 &&
	    (r = ceremony_steps(&d)) == 0)
		r = closing_hash_hex(d.evidence, closing);
	stop_vault(&d); /* SIGTERM: the vault seals (logged) and wipes before it ends */
	if (r != 0)
		return r;
	{
		char log[PATH_MAX + 32], identity[PATH_MAX + 32];
		snprintf(log, sizeof(log), "%s/vault.log", d.vault);
		snprintf(identity, sizeof(identity), "%s/vault.json", d.vault);
		r = run(cmd_verify,
		        "an auditor verifies: the evidence, the published scenario, the closing hash, the vault's own "
		        "log "
		        "and its identity (the shares against its commitments)",
		        "-e", d.evidence, "-s", d.scenario, "--closing-hash", closing, "--vault-log", log,
		        "--vault-identity", identity, NULL);
	}
	if (r != 0)
		return r;
	r = run(cmd_vault, "the vault's own log: chain and signatures", "log", "verify", "-V", d.vault, NULL);
	if (r < 0)
		return r;
	printf("\nvault-initialization evidence: %s\nkey ceremony evidence repository: %s\nscenario: %s\nvault: %s "
	       "(its log: "
	       "%s/vault.log)\n"
	       "public key: %s\nfirmware: %s, signature: %s\n"
	       "check it with stock tools too:\n"
	       "  ceremony scenario allowed-signers %s > %s/allowed_signers\n"
	       "  git -C %s -c gpg.ssh.allowedSignersFile=%s/allowed_signers verify-commit main\n"
	       "  git -C %s fsck --strict\n"
	       "  openssl pkey -pubin -in %s -outform DER | sha256sum\n"
	       "  openssl dgst -sha384 -verify %s -signature %s %s\n",
	       d.init_evidence, d.evidence, d.scenario, d.vault, d.vault, d.public_key, d.firmware, d.signature,
	       d.scenario, d.dir, d.evidence, d.dir, d.evidence, d.public_key, d.public_key, d.signature, d.firmware);
	return r;
}
