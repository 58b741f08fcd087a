/* ceremony demo DIR: the README's main job. A complete sample run, scripted, through the same
 * command code paths a real ceremony uses: throwaway participant keys, a roster, an evidence
 * repository with its genesis record, signed steps, the closing record, then verify.
 *
 * Until the recorder (scenarios, steps, incidents) exists, the demo shows what the foundation
 * does: the evidence store and the first layer of verify. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/file.h"
#include "common/sshsig.h"

int keygen_write(const char *path, const char *comment);

static const char *const participants[] = {"alice", "bob", "carol", "dave"};
#define PARTICIPANT_COUNT (sizeof(participants) / sizeof(participants[0]))

/* Run a subcommand with a NULL-terminated argument list, printing a banner first. */
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

static int path_join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size)
		return err_set(CER_ERR_USAGE, "%s: path too long", dir);
	return 0;
}

/* Keys for each participant, and the roster (allowed_signers format) naming them. */
static int make_participants(const char *dir, char keys[][4096])
{
	struct buf roster = buf_make(65536), pub = buf_make(4096);
	char keydir[4096], path[4096], pubpath[4096 + 8];
	int r;

	if ((r = path_join(keydir, sizeof(keydir), dir, "keys")) != 0)
		return r;
	if (mkdir(keydir, 0700) != 0)
		return err_set(CER_ERR_IO, "%s: %s", keydir, strerror(errno));
	for (size_t i = 0; i < PARTICIPANT_COUNT; i++) {
		if ((r = path_join(keys[i], 4096, keydir, participants[i])) != 0 ||
		    (r = keygen_write(keys[i], participants[i])) != 0)
			goto out;
		if (snprintf(pubpath, sizeof(pubpath), "%s.pub", keys[i]) >= (int)sizeof(pubpath)) {
			r = err_set(CER_ERR_USAGE, "%s: path too long", keys[i]);
			goto out;
		}
		if ((r = file_read_all(pubpath, 4096, &pub)) != 0 ||
		    (r = buf_printf(&roster, "%s %s", participants[i], (const char *)pub.data)) != 0)
			goto out;
	}
	if ((r = path_join(path, sizeof(path), dir, "roster")) != 0)
		goto out;
	r = file_write_atomic(path, roster.data, roster.len, 0644);
out:
	buf_free(&roster);
	buf_free(&pub);
	return r;
}

static const char demo_scenario[] =
	"Ceremony demo scenario (placeholder until scenarios are XML, see docs/).\n"
	"Participants: alice (lead), bob and carol (key masters), dave (witness).\n"
	"Steps: prepare-room (bag serial captured), check-hardware, close.\n";

int cmd_demo(int argc, char **argv)
{
	char keys[PARTICIPANT_COUNT][4096], evidence[4096], roster[4096], scenario[4096], dir[PATH_MAX];
	struct cli_args args;
	struct stat st;
	int r;

	if ((r = cli_parse(argc, argv, NULL, 0, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help("demo DIR",
			       "Run a complete sample into DIR (new or empty): four throwaway participants, a roster, an\n"
			       "evidence repository, signed records, the closing record, and verify. Prints where each lies.",
			       NULL, 0);
		return EXIT_OK;
	}
	if (args.positional_count != 1)
		return err_set(CER_ERR_USAGE, "demo needs exactly one DIR");
	if (stat(args.positional[0], &st) != 0 && mkdir(args.positional[0], 0755) != 0)
		return err_set(CER_ERR_IO, "%s: %s", args.positional[0], strerror(errno));
	/* Absolute paths, so that the commands printed at the end work from anywhere. */
	if (realpath(args.positional[0], dir) == NULL)
		return err_set(CER_ERR_IO, "%s: %s", args.positional[0], strerror(errno));
	if ((r = path_join(evidence, sizeof(evidence), dir, "evidence")) != 0 ||
	    (r = path_join(roster, sizeof(roster), dir, "roster")) != 0 ||
	    (r = path_join(scenario, sizeof(scenario), dir, "scenario.txt")) != 0)
		return r;
	if (stat(evidence, &st) == 0)
		return err_set(CER_ERR_REFUSED, "%s already holds a demo; use a new directory", dir);
	if ((r = make_participants(dir, keys)) != 0 ||
	    (r = file_write_atomic(scenario, demo_scenario, sizeof(demo_scenario) - 1, 0644)) != 0)
		return r;
	printf("participants' throwaway keys in %s/keys, roster in %s, scenario in %s\n", dir, roster, scenario);
	if ((r = run(cmd_evidence_init, "alice creates the evidence repository (genesis record)", "-e", evidence,
		     "--ceremony", "demo-ceremony", "--roster", roster, "-s", scenario, "-k", keys[0], "-k", keys[3],
		     NULL)) != 0 ||
	    (r = run(cmd_evidence_append, "step prepare-room, signed by alice and dave", "-e", evidence, "--step",
		     "prepare-room", "--value", "bag-serial=TEB-0001-2026", "-k", keys[0], "-k", keys[3], NULL)) != 0 ||
	    (r = run(cmd_evidence_append, "step check-hardware, signed by bob, carol and dave", "-e", evidence, "--step",
		     "check-hardware", "--value", "hsm-serial=HSM-42", "--note", "seals intact", "-k", keys[1], "-k",
		     keys[2], "-k", keys[3], NULL)) != 0 ||
	    (r = run(cmd_evidence_append, "closing record, signed by everyone", "-e", evidence, "--step", "close", "--type",
		     "close", "-k", keys[0], "-k", keys[1], "-k", keys[2], "-k", keys[3], NULL)) != 0 ||
	    (r = run(cmd_evidence_log, "the records", "-e", evidence, NULL)) != 0)
		return r;
	r = run(cmd_verify, "verify", "-e", evidence, "-s", scenario, NULL);
	if (r < 0)
		return r;
	printf("\nevidence repository: %s\n"
	       "check it with stock git too:\n"
	       "  ceremony evidence allowed-signers -e %s > %s/allowed_signers\n"
	       "  git -C %s -c gpg.ssh.allowedSignersFile=%s/allowed_signers verify-commit main\n"
	       "  git -C %s fsck --strict\n",
	       evidence, evidence, dir, evidence, dir, evidence);
	return r;
}
