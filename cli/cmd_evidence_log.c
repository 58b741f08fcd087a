/* ceremony evidence log | allowed-signers: reading the evidence, for people. Nothing here is
 * verified: `ceremony verify` is what judges the evidence. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/git_error.h"
#include "common/sshsig.h"
#include "evidence/store.h"

enum { OPT_EVIDENCE };
static const struct cli_option options[] = {
        [OPT_EVIDENCE] = {"evidence", 'e', 1, 0, "DIR", "the evidence repository"},
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

static int parse_common(int argc, char **argv, struct cli_args *args, const char *usage, const char *summary)
{
	int r;

	if ((r = cli_parse(argc, argv, options, OPTION_COUNT, args)) != 0)
		return r;
	if (args->help) {
		cli_print_help(usage, summary, options, OPTION_COUNT);
		return 1;
	}
	if (args->positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args->positional[0]);
	return cli_require(args, options, OPT_EVIDENCE);
}

/* The participants who signed record `sequence` of `commit`, as "alice, bob", from the sign-off files. */
static int signers_of(git_repository *repo, const git_oid *commit_id, uint32_t sequence, const struct roster *roster,
                      struct buf *out)
{
	char path[EVIDENCE_RECORD_PATH_CHARS + sizeof("/" EVIDENCE_SIGNOFFS_DIR)];
	struct buf armored = buf_make(SSHSIG_ARMORED_MAX), blob = buf_make(SSHSIG_ARMORED_MAX);
	git_commit *commit = NULL;
	git_tree *root = NULL, *signoffs = NULL;
	git_tree_entry *entry = NULL;
	int r = 0;

	evidence_record_path(sequence, path);
	memcpy(path + EVIDENCE_RECORD_PATH_CHARS, "/" EVIDENCE_SIGNOFFS_DIR, sizeof("/" EVIDENCE_SIGNOFFS_DIR));
	if (git_commit_lookup(&commit, repo, commit_id) < 0 || git_commit_tree(&root, commit) < 0 ||
	    git_tree_entry_bypath(&entry, root, path) < 0 ||
	    git_tree_lookup(&signoffs, repo, git_tree_entry_id(entry)) < 0) {
		r = git_error_to_cer(CER_ERR_FORMAT, path);
		goto out;
	}
	for (size_t i = 0; i < git_tree_entrycount(signoffs) && r == 0; i++) {
		git_blob *b = NULL;
		struct sshsig_parts parts;
		long who;
		if (git_blob_lookup(&b, repo, git_tree_entry_id(git_tree_entry_byindex(signoffs, i))) < 0)
			continue;
		buf_reset(&armored);
		if ((size_t)git_blob_rawsize(b) <= SSHSIG_ARMORED_MAX &&
		    buf_append(&armored, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b)) == 0 &&
		    sshsig_dearmor(armored.data, armored.len, &blob) == 0 &&
		    sshsig_parse_blob(blob.data, blob.len, &parts) == 0) {
			who = roster_find_key(roster, &parts.key);
			r = buf_printf(out, "%s%s", out->len ? ", " : "",
			               who >= 0 ? roster->participants[who] : "(unknown key)");
		}
		git_blob_free(b);
	}
out:
	git_tree_entry_free(entry);
	git_tree_free(signoffs);
	git_tree_free(root);
	git_commit_free(commit);
	buf_free(&armored);
	buf_free(&blob);
	return r;
}

/* Text from the evidence on one terminal line: line breaks, tabs and DEL shown escaped. */
static void print_text(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

/* What people need to read in the history: incidents, captured values, attachments, notes. */
static void print_details(const struct record *rec)
{
	if (rec->has_incident) {
		printf("        incident (%s): expected ", incident_kind_name(rec->incident_kind));
		print_text(rec->incident_expected);
		printf("; happened: ");
		print_text(rec->incident_happened);
		putchar('\n');
	}
	for (size_t i = 0; i < rec->value_count; i++) {
		printf("        %s = ", rec->values[i].name);
		print_text(rec->values[i].value);
		putchar('\n');
	}
	for (size_t i = 0; i < rec->attachment_count; i++) {
		char hex[65];
		hex_encode(rec->attachments[i].sha256, 32, hex);
		printf("        %s: %llu bytes, sha256 %s%s\n", rec->attachments[i].name,
		       (unsigned long long)rec->attachments[i].size, hex, rec->attachments[i].stored ? " (kept)" : "");
	}
	if (rec->note != NULL) {
		printf("        note: ");
		print_text(rec->note);
		putchar('\n');
	}
}

int cmd_evidence_log(int argc, char **argv)
{
	struct buf bytes = buf_make(RECORD_BYTES_MAX), who = buf_make(4096);
	struct evidence_store *store = NULL;
	struct record *genesis = NULL, *rec = NULL;
	struct evidence_tip tip;
	git_revwalk *walk = NULL;
	struct cli_args args;
	git_oid id;
	uint32_t sequence = 0;
	int r;

	r = parse_common(argc, argv, &args, "evidence log -e DIR",
	                 "List the records, oldest first: sequence, session, type, step, time, actor and who signed.\n"
	                 "This is for people and checks nothing: run 'ceremony verify' to judge the evidence.");
	if (r != 0)
		return r > 0 ? EXIT_OK : r;
	if ((r = evidence_store_open(&store, cli_value(&args, OPT_EVIDENCE))) != 0 ||
	    (r = evidence_tip(store, &tip, &genesis, NULL)) != 0)
		goto out;
	if (tip.empty) {
		printf("no records\n");
		goto out;
	}
	printf("ceremony %s (unverified listing; run ceremony verify)\n", genesis->ceremony);
	if (git_revwalk_new(&walk, evidence_store_repository(store)) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, &tip.commit) < 0) {
		r = git_error_to_cer(CER_ERR_FORMAT, "history");
		goto out;
	}
	while (git_revwalk_next(&id, walk) == 0) {
		buf_reset(&who);
		if ((r = evidence_read_record(store, &id, sequence, &bytes)) != 0 ||
		    (r = record_parse(&rec, bytes.data, bytes.len)) != 0 ||
		    (r = signers_of(evidence_store_repository(store), &id, sequence, genesis->roster, &who)) != 0) {
			err_context(r, "record %u", sequence);
			goto out;
		}
		printf("%6u  session %u  %-8s %-24s %s  actor %s  signed by %s\n", rec->sequence, rec->session,
		       record_type_name(rec->type), rec->step, rec->time, rec->actor, (const char *)who.data);
		print_details(rec);
		record_free(rec);
		rec = NULL;
		sequence++;
	}
out:
	git_revwalk_free(walk);
	record_free(rec);
	record_free(genesis);
	evidence_store_free(store);
	buf_free(&bytes);
	buf_free(&who);
	return r;
}

int cmd_evidence_allowed_signers(int argc, char **argv)
{
	struct evidence_store *store = NULL;
	struct record *genesis = NULL;
	struct evidence_tip tip;
	struct buf line = buf_make(4096);
	struct cli_args args;
	int r;

	r = parse_common(argc, argv, &args, "evidence allowed-signers -e DIR",
	                 "Print the roster pinned by the genesis record as an OpenSSH allowed_signers file, for\n"
	                 "'git verify-commit' (gpg.ssh.allowedSignersFile) and 'ssh-keygen -Y verify'. Take the\n"
	                 "roster from the published scenario when you audit: this one comes from the repository.");
	if (r != 0)
		return r > 0 ? EXIT_OK : r;
	if ((r = evidence_store_open(&store, cli_value(&args, OPT_EVIDENCE))) != 0 ||
	    (r = evidence_tip(store, &tip, &genesis, NULL)) != 0)
		goto out;
	if (tip.empty) {
		r = err_set(CER_ERR_NOT_FOUND, "%s: no genesis record", cli_value(&args, OPT_EVIDENCE));
		goto out;
	}
	for (size_t k = 0; k < genesis->roster->key_count && r == 0; k++) {
		buf_reset(&line);
		if ((r = sshkey_public_format_line(&genesis->roster->keys[k].key, &line)) == 0)
			printf("%s namespaces=\"%s,%s\" %s\n",
			       genesis->roster->participants[genesis->roster->keys[k].participant],
			       SSHSIG_NAMESPACE_GIT, SSHSIG_NAMESPACE_RECORD, (const char *)line.data);
	}
out:
	record_free(genesis);
	evidence_store_free(store);
	buf_free(&line);
	return r;
}
