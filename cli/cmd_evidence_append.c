/* ceremony evidence append: one signed record after the tip (a step, or the closing record). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/keys.h"
#include "cli/options.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/pgpwords.h"
#include "evidence/store.h"

enum { OPT_EVIDENCE, OPT_STEP, OPT_TYPE, OPT_VALUE, OPT_NOTE, OPT_KEY, OPT_LOCK_WAIT, OPT_RECORD };
static const struct cli_option options[] = {
        [OPT_EVIDENCE] = {"evidence", 'e', 1, 0, "DIR", "the evidence repository"},
        [OPT_STEP] = {"step", 0, 1, 0, "ID", "the step this record is for"},
        [OPT_TYPE] = {"type", 0, 1, 0, "TYPE", "step (default) or close; after close nothing can be appended"},
        [OPT_VALUE] = {"value", 0, 1, 1, "NAME=VALUE", "a captured value"},
        [OPT_NOTE] = {"note", 0, 1, 0, "TEXT", "a note for people, signed with the record"},
        [OPT_KEY] = {"key", 'k', 1, 1, "KEY", "a signer: key file, agent:COMMENT or agent:SHA256:..."},
        [OPT_LOCK_WAIT] = {"lock-wait", 0, 1, 0, "MS", "wait this long for another writer (default 10000)"},
        [OPT_RECORD] = {"record", 0, 1, 0, "FILE",
                        "append these exact record bytes instead (written by hand: to test what verify finds)"},
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

static int parse_lock_wait(const char *text, int *out)
{
	char *end = NULL;
	long v;

	if (text == NULL) {
		*out = EVIDENCE_DEFAULT_LOCK_WAIT_MS;
		return 0;
	}
	v = strtol(text, &end, 10);
	if (end == text || *end != '\0' || v < 0 || v > 3600000)
		return err_set(CER_ERR_USAGE, "--lock-wait must be 0 to 3600000 milliseconds");
	*out = (int)v;
	return 0;
}

static int fill_record(const struct cli_args *args, struct evidence_store *store, const struct signer_set *signers,
                       struct record *rec)
{
	struct record *genesis = NULL;
	struct evidence_tip tip;
	const char *type = cli_value(args, OPT_TYPE);
	long actor;
	int r;

	if ((r = evidence_prepare_next(store, rec)) != 0 || (r = evidence_tip(store, &tip, &genesis, NULL)) != 0)
		return r;
	actor = roster_find_key(genesis->roster, signer_public_key(signers->items[0]));
	if (actor < 0) {
		record_free(genesis);
		return err_set(CER_ERR_REFUSED, "key %s is not in the roster pinned by the genesis record",
		               signer_name(signers->items[0]));
	}
	snprintf(rec->actor, sizeof(rec->actor), "%s", genesis->roster->participants[actor]);
	record_free(genesis);
	if (strlen(cli_value(args, OPT_STEP)) > RECORD_ID_MAX)
		return err_set(CER_ERR_USAGE, "step id longer than %d characters", RECORD_ID_MAX);
	snprintf(rec->step, sizeof(rec->step), "%s", cli_value(args, OPT_STEP));
	if (type == NULL || strcmp(type, "step") == 0)
		rec->type = RECORD_STEP;
	else if (strcmp(type, "close") == 0)
		rec->type = RECORD_CLOSE;
	else
		return err_set(CER_ERR_USAGE, "--type must be step or close, not \"%s\"", type);
	record_time_now(rec->time);
	for (size_t i = 0; i < args->counts[OPT_VALUE]; i++) {
		const char *pair = args->values[OPT_VALUE][i], *eq = strchr(pair, '=');
		char name[RECORD_ID_MAX + 1];
		if (eq == NULL || eq == pair || (size_t)(eq - pair) > RECORD_ID_MAX)
			return err_set(CER_ERR_USAGE, "--value must be NAME=VALUE, not \"%s\"", pair);
		memcpy(name, pair, (size_t)(eq - pair));
		name[eq - pair] = '\0';
		if ((r = record_add_value(rec, name, eq + 1)) != 0)
			return r;
	}
	if (cli_value(args, OPT_NOTE) != NULL && (rec->note = strdup(cli_value(args, OPT_NOTE))) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	return 0;
}

static int print_closing_hash(const struct buf *bytes)
{
	struct buf words = buf_make(1024);
	uint8_t digest[32];
	char hex[65];
	int r;

	sha256_digest(bytes->data, bytes->len, digest);
	hex_encode(digest, sizeof(digest), hex);
	if ((r = pgpwords_append(&words, digest, sizeof(digest))) == 0)
		printf("closing hash: %s\nclosing words: %s\n", hex, (const char *)words.data);
	buf_free(&words);
	return r;
}

int cmd_evidence_append(int argc, char **argv)
{
	struct buf bytes = buf_make(RECORD_BYTES_MAX);
	struct evidence_store *store = NULL;
	struct signer_set signers = {0};
	struct record *rec = NULL;
	struct cli_args args;
	git_oid commit;
	int r, lock_wait = EVIDENCE_DEFAULT_LOCK_WAIT_MS;

	if ((r = cli_parse(argc, argv, options, OPTION_COUNT, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help(
		        "evidence append -e DIR --step ID [--type step|close] [--value NAME=VALUE ...] [--note TEXT]\n"
		        "                         -k KEY [-k KEY ...]\n"
		        "       evidence append -e DIR --record FILE -k KEY [-k KEY ...]",
		        "Append one record after the tip: each -k KEY signs it (SSHSIG), the first KEY is the actor\n"
		        "and signs the commit. Every signer must be in the roster the genesis record pinned, each\n"
		        "person once. With --type close the closing hash is printed, as hex and PGP words.\n"
		        "With --record, the record is the file's exact bytes (it must parse and follow the tip): the\n"
		        "low-level way to write what the recorder never would, to see what verify finds.",
		        options, OPTION_COUNT);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	if ((r = cli_require(&args, options, OPT_EVIDENCE)) != 0 ||
	    (cli_value(&args, OPT_RECORD) == NULL && (r = cli_require(&args, options, OPT_STEP)) != 0) ||
	    (r = cli_require(&args, options, OPT_KEY)) != 0 ||
	    (r = parse_lock_wait(cli_value(&args, OPT_LOCK_WAIT), &lock_wait)) != 0)
		return r;
	if ((r = signer_set_open(&signers, args.values[OPT_KEY], args.counts[OPT_KEY])) != 0 ||
	    (r = evidence_store_open(&store, cli_value(&args, OPT_EVIDENCE))) != 0 || (r = record_new(&rec)) != 0)
		goto out;
	if (cli_value(&args, OPT_RECORD) != NULL) {
		record_free(rec);
		rec = NULL;
		if ((r = file_read_all(cli_value(&args, OPT_RECORD), RECORD_BYTES_MAX, &bytes)) != 0)
			goto out; /* the message names the file */
		if ((r = record_parse(&rec, bytes.data, bytes.len)) != 0) {
			err_context(r, "%s", cli_value(&args, OPT_RECORD));
			goto out;
		}
		if ((r = evidence_append(store, bytes.data, bytes.len, signers.items, signers.count, signers.items[0],
		                         lock_wait, &commit)) != 0)
			goto out;
	} else if ((r = evidence_store_lock(store, lock_wait)) != 0 ||
	           /* Prepared under the lock, so that the record we build is the one that follows the tip. */
	           (r = fill_record(&args, store, &signers, rec)) != 0 || (r = record_serialize(rec, &bytes)) != 0 ||
	           (r = evidence_append(store, bytes.data, bytes.len, signers.items, signers.count, signers.items[0],
	                                lock_wait, &commit)) != 0)
		goto out;
	printf("record %u (%s %s) committed as %s\n", rec->sequence, record_type_name(rec->type), rec->step,
	       git_oid_tostr_s(&commit));
	if (rec->type == RECORD_CLOSE)
		r = print_closing_hash(&bytes);
out:
	if (r != 0 && cli_value(&args, OPT_EVIDENCE) != NULL && r != CER_ERR_USAGE)
		err_context(r, "%s", cli_value(&args, OPT_EVIDENCE));
	record_free(rec);
	evidence_store_free(store);
	signer_set_close(&signers);
	buf_free(&bytes);
	return r;
}
