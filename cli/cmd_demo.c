/* ceremony demo DIR: the README's main job. A complete sample ceremony, scripted, through the
 * same command code paths a real ceremony uses: throwaway participant keys, a scenario made from
 * the demo template and a roster, begin, steps with pending sign-offs, an incident and a restart,
 * close, then verify against the scenario and the closing hash. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/keys.h"
#include "cli/options.h"
#include "common/buf.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "evidence/scenario.h"
#include "recorder/ceremony.h"

extern const unsigned char demo_template[];
extern const size_t demo_template_len;

/* The cast: who holds which roles in the demo template. */
static const struct {
	const char *name;
	const char *roles;
} cast[] = {
        {"alice", "lead"}, {"bob", "keymaster"}, {"carol", "keymaster"}, {"dave", "witness"}, {"erin", "witness"},
};
#define CAST_SIZE (sizeof(cast) / sizeof(cast[0]))
enum { ALICE, BOB, CAROL, DAVE, ERIN };

struct demo {
	char dir[PATH_MAX];
	char keys[CAST_SIZE][PATH_MAX + 16];
	char evidence[PATH_MAX + 16];
	char scenario[PATH_MAX + 16];
	char photo[PATH_MAX + 16];
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

/* Keys for the cast, the roster naming them with their roles, and the scenario made from both. */
static int prepare(struct demo *d)
{
	struct buf roster = buf_make(65536), pub = buf_make(4096), scenario = buf_make(SCENARIO_BYTES_MAX);
	char keydir[PATH_MAX + 16], pubpath[PATH_MAX + 32];
	int r;

	if ((r = join(keydir, sizeof(keydir), d->dir, "keys")) != 0)
		return r;
	if (mkdir(keydir, 0700) != 0)
		return err_set(CER_ERR_IO, "%s: %s", keydir, strerror(errno));
	for (size_t i = 0; i < CAST_SIZE; i++) {
		if ((r = join(d->keys[i], sizeof(d->keys[i]), keydir, cast[i].name)) != 0 ||
		    (r = keygen_write(d->keys[i], cast[i].name)) != 0)
			goto out;
		if (snprintf(pubpath, sizeof(pubpath), "%s.pub", d->keys[i]) >= (int)sizeof(pubpath)) {
			r = err_set(CER_ERR_USAGE, "%s: path too long", d->keys[i]);
			goto out;
		}
		if ((r = file_read_all(pubpath, 4096, &pub)) != 0 ||
		    (r = buf_printf(&roster, "%s %s %s", cast[i].name, cast[i].roles, (const char *)pub.data)) != 0)
			goto out;
	}
	if ((r = scenario_make(demo_template, demo_template_len, (const char *)roster.data, roster.len, "demo-ceremony",
	                       &scenario)) != 0 ||
	    (r = file_write_atomic(d->scenario, scenario.data, scenario.len, 0644)) != 0 ||
	    (r = file_write_atomic(d->photo, "(a photo of the opened bag)\n", 28, 0644)) != 0)
		goto out;
	printf("participants' throwaway keys: %s (alice lead; bob, carol key masters; dave, erin witnesses)\n"
	       "scenario made from the demo template: %s\n",
	       keydir, d->scenario);
out:
	buf_free(&roster);
	buf_free(&pub);
	buf_free(&scenario);
	return r;
}

static int ceremony_steps(const struct demo *d)
{
	const char *e = d->evidence;
	char attach[PATH_MAX + 32];
	int r;

	snprintf(attach, sizeof(attach), "bag-photo=%s", d->photo);
	if ((r = run(cmd_begin, "alice begins the ceremony; dave witnesses (genesis record)", "-e", e, "-s",
	             d->scenario, "-k", d->keys[ALICE], "-k", d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_next, "where do we stand?", "-e", e, NULL)) != 0 ||
	    (r = run(cmd_record, "alice records the room check; it waits for a witness", "-e", e, "--step",
	             "room-check", "--value", "bag-serial=TEB-100001", "-k", d->keys[ALICE], NULL)) != 0 ||
	    (r = run(cmd_sign, "dave signs it off: committed", "-e", e, "-k", d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_incident, "erin declares an incident: someone walked in", "-e", e, "--reason",
	             "a visitor entered the room during the ceremony", "-k", d->keys[ERIN], NULL)) != 0 ||
	    (r = run(cmd_restart, "alice and erin restart: session 2 begins at step 1", "-e", e, "-k", d->keys[ALICE],
	             "-k", d->keys[ERIN], NULL)) != 0 ||
	    (r = run(cmd_record, "room check again", "-e", e, "--step", "room-check", "--value",
	             "bag-serial=TEB-100002", "-k", d->keys[ALICE], "-k", d->keys[ERIN], NULL)) != 0 ||
	    (r = run(cmd_record, "bob and carol open the bag (irreversible: --yes); dave witnesses", "-e", e, "--step",
	             "open-bag", "--attach", attach, "--yes", "-k", d->keys[BOB], "-k", d->keys[CAROL], "-k",
	             d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_record, "hardware check", "-e", e, "--step", "hardware-check", "--value",
	             "hsm-serial=HSM-4242", "-k", d->keys[ALICE], "-k", d->keys[DAVE], NULL)) != 0 ||
	    (r = run(cmd_close, "close: the closing hash is read aloud and written on the checklist", "-e", e, "-k",
	             d->keys[ALICE], "-k", d->keys[BOB], "-k", d->keys[CAROL], "-k", d->keys[DAVE], NULL)) != 0)
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
		        "Run a complete sample ceremony into DIR (new or empty): five throwaway participants, a\n"
		        "scenario made from the demo template, begin, steps with pending sign-offs, an incident and\n"
		        "a restart, close, the history, then verify. Prints where each file lies.",
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
	if ((r = join(d.evidence, sizeof(d.evidence), d.dir, "evidence")) != 0 ||
	    (r = join(d.scenario, sizeof(d.scenario), d.dir, "scenario.xml")) != 0 ||
	    (r = join(d.photo, sizeof(d.photo), d.dir, "bag-photo.txt")) != 0)
		return r;
	if (stat(d.evidence, &st) == 0 || stat(d.scenario, &st) == 0)
		return err_set(CER_ERR_REFUSED, "%s already holds a demo; use a new directory", d.dir);
	if ((r = prepare(&d)) != 0 || (r = ceremony_steps(&d)) != 0 || (r = closing_hash_hex(d.evidence, closing)) != 0)
		return r;
	r = run(cmd_verify, "an auditor verifies: the evidence, the published scenario, the closing hash", "-e",
	        d.evidence, "-s", d.scenario, "--closing-hash", closing, NULL);
	if (r < 0)
		return r;
	printf("\nevidence repository: %s\nscenario: %s\n"
	       "check it with stock tools too:\n"
	       "  ceremony scenario allowed-signers %s > %s/allowed_signers\n"
	       "  git -C %s -c gpg.ssh.allowedSignersFile=%s/allowed_signers verify-commit main\n"
	       "  git -C %s fsck --strict\n",
	       d.evidence, d.scenario, d.scenario, d.dir, d.evidence, d.dir, d.evidence);
	return r;
}
