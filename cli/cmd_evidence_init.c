/* ceremony evidence init: a new evidence repository and its genesis record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/keys.h"
#include "cli/options.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"
#include "evidence/store.h"

#define ROSTER_FILE_MAX (1024 * 1024)
#define SCENARIO_FILE_MAX (16 * 1024 * 1024)

enum { OPT_EVIDENCE, OPT_CEREMONY, OPT_ROSTER, OPT_SCENARIO, OPT_KEY };
static const struct cli_option options[] = {
        [OPT_EVIDENCE] = {"evidence", 'e', 1, 0, "DIR", "the evidence repository to create (new or empty directory)"},
        [OPT_CEREMONY] = {"ceremony", 0, 1, 0, "ID", "the ceremony id (a-z, 0-9, '.', '_', '-')"},
        [OPT_ROSTER] = {"roster", 0, 1, 0, "FILE", "participants and keys, as an OpenSSH allowed_signers file"},
        [OPT_SCENARIO] = {"scenario", 's', 1, 0, "FILE", "the published scenario; its SHA-256 is pinned"},
        [OPT_KEY] = {"key", 'k', 1, 1, "KEY", "a signer: key file, agent:COMMENT or agent:SHA256:..."},
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

/* Build the genesis record's bytes. */
static int make_genesis(const struct cli_args *args, struct roster *roster, const struct signer_set *signers,
                        struct buf *bytes)
{
	struct buf scenario = buf_make(SCENARIO_FILE_MAX);
	struct record *genesis = NULL;
	long actor;
	int r;

	if ((r = file_read_all(cli_value(args, OPT_SCENARIO), scenario.limit, &scenario)) != 0 ||
	    (r = record_new(&genesis)) != 0)
		goto out;
	actor = roster_find_key(roster, signer_public_key(signers->items[0]));
	if (actor < 0) {
		r = err_set(CER_ERR_REFUSED, "key %s is not in the roster %s", signer_name(signers->items[0]),
		            cli_value(args, OPT_ROSTER));
		goto out;
	}
	if (strlen(cli_value(args, OPT_CEREMONY)) > RECORD_ID_MAX) {
		r = err_set(CER_ERR_USAGE, "ceremony id longer than %d characters", RECORD_ID_MAX);
		goto out;
	}
	snprintf(genesis->ceremony, sizeof(genesis->ceremony), "%s", cli_value(args, OPT_CEREMONY));
	sha256_digest(scenario.data, scenario.len, genesis->scenario_sha256);
	genesis->session = 1;
	genesis->sequence = 0;
	genesis->type = RECORD_GENESIS;
	snprintf(genesis->step, sizeof(genesis->step), "genesis");
	snprintf(genesis->actor, sizeof(genesis->actor), "%s", roster->participants[actor]);
	record_time_now(genesis->time);
	genesis->roster = roster; /* borrowed for serialization */
	genesis->recorder_version = strdup(ceremony_version);
	genesis->recorder_build = strdup(ceremony_build_id);
	if (genesis->recorder_version == NULL || genesis->recorder_build == NULL)
		r = err_set(CER_ERR_NOMEM, "out of memory");
	else
		r = record_serialize(genesis, bytes);
	genesis->roster = NULL;
out:
	record_free(genesis);
	buf_free(&scenario);
	return r;
}

int cmd_evidence_init(int argc, char **argv)
{
	struct buf roster_text = buf_make(ROSTER_FILE_MAX), bytes = buf_make(RECORD_BYTES_MAX);
	struct evidence_store *store = NULL;
	struct signer_set signers = {0};
	struct roster *roster = NULL;
	struct cli_args args;
	git_oid commit;
	int r, created = 0, existed = 0;

	if ((r = cli_parse(argc, argv, options, OPTION_COUNT, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(
		        "evidence init -e DIR --ceremony ID --roster FILE -s SCENARIO -k KEY [-k KEY ...]",
		        "Create an evidence repository and write its genesis record: the ceremony id, the scenario's\n"
		        "SHA-256, the roster (every participant's keys) and this recorder's version, signed by each\n"
		        "-k KEY. The first KEY is the actor and signs the commit.",
		        options, OPTION_COUNT);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	if ((r = cli_require(&args, options, OPT_EVIDENCE)) != 0 ||
	    (r = cli_require(&args, options, OPT_CEREMONY)) != 0 ||
	    (r = cli_require(&args, options, OPT_ROSTER)) != 0 ||
	    (r = cli_require(&args, options, OPT_SCENARIO)) != 0 || (r = cli_require(&args, options, OPT_KEY)) != 0)
		return r;
	/* Everything that can be refused is checked before the repository exists. */
	if ((r = file_read_all(cli_value(&args, OPT_ROSTER), roster_text.limit, &roster_text)) != 0)
		goto out;
	if ((r = roster_from_allowed_signers(&roster, (const char *)roster_text.data, roster_text.len)) != 0) {
		err_context(r, "%s", cli_value(&args, OPT_ROSTER));
		goto out;
	}
	if ((r = signer_set_open(&signers, args.values[OPT_KEY], args.counts[OPT_KEY])) != 0 ||
	    (r = make_genesis(&args, roster, &signers, &bytes)) != 0)
		goto out;
	{
		struct stat st;
		existed = stat(cli_value(&args, OPT_EVIDENCE), &st) == 0;
	}
	if ((r = evidence_store_create(&store, cli_value(&args, OPT_EVIDENCE))) != 0)
		goto out;
	created = 1;
	if ((r = evidence_append(store, bytes.data, bytes.len, signers.items, signers.count, signers.items[0],
	                         EVIDENCE_DEFAULT_LOCK_WAIT_MS, &commit)) != 0)
		goto out;
	printf("created evidence repository %s\ngenesis record 0 committed as %s\n", cli_value(&args, OPT_EVIDENCE),
	       git_oid_tostr_s(&commit));
out:
	evidence_store_free(store);
	if (r != 0 && created) /* nothing half-written: a repository without its genesis record goes */
		file_remove_tree(cli_value(&args, OPT_EVIDENCE), existed);
	signer_set_close(&signers);
	roster_free(roster);
	buf_free(&roster_text);
	buf_free(&bytes);
	return r;
}
