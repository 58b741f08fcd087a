#include "verifier/report_xml.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/pgpwords.h"
#include "common/sshkey.h"

struct report_xml {
	xmlTextWriterPtr w;
	int fd; /* the temporary file's, which the writer writes to */
	char *path, *tmp; /* path "-": stdout, written from the temporary file once complete */
	int records_open; /* <records> was started (at the genesis record) */
	int failed; /* a write failed: finish refuses */
};

/* Each write returns < 0 on failure; we remember it once and check at the end. */
#define W(r, call)                                                                                                     \
	do {                                                                                                           \
		if ((call) < 0)                                                                                        \
			(r)->failed = 1;                                                                               \
	} while (0)

static const xmlChar *X(const char *s)
{
	return (const xmlChar *)s;
}

static void attr(struct report_xml *r, const char *name, const char *value)
{
	W(r, xmlTextWriterWriteAttribute(r->w, X(name), X(value)));
}

static void attr_u(struct report_xml *r, const char *name, unsigned long long v)
{
	W(r, xmlTextWriterWriteFormatAttribute(r->w, X(name), "%llu", v));
}

static void attr_hex(struct report_xml *r, const char *name, const uint8_t digest[32])
{
	char hex[65];

	hex_encode(digest, 32, hex);
	attr(r, name, hex);
}

/* <NAME hex="..." words="..."/> */
static void digest_element(struct report_xml *r, const char *name, const uint8_t digest[32])
{
	struct buf words = buf_make(1024);

	W(r, xmlTextWriterStartElement(r->w, X(name)));
	attr_hex(r, "hex", digest);
	if (pgpwords_append(&words, digest, 32) != 0)
		r->failed = 1;
	else
		attr(r, "words", (const char *)words.data);
	W(r, xmlTextWriterEndElement(r->w));
	buf_free(&words);
}

int report_xml_start(struct report_xml **out, const char *path, const char *version, const char *build)
{
	struct report_xml *r = calloc(1, sizeof(*r));

	xmlOutputBufferPtr buffer;
	int fd;

	*out = NULL;
	if (r == NULL || (r->path = strdup(path)) == NULL ||
	    (strcmp(path, "-") == 0 ? asprintf(&r->tmp, "%s/ceremony-report-XXXXXX",
	                                       getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp")
	                            : asprintf(&r->tmp, "%s.tmp-XXXXXX", path)) < 0) {
		if (r != NULL)
			free(r->path);
		free(r);
		return err_set(CER_ERR_NOMEM, "out of memory");
	}
	r->fd = -1;
	/* A new file of a name nobody could guess or plant a link at (mkstemp: O_EXCL, mode 0600). */
	if ((fd = mkstemp(r->tmp)) < 0) {
		int e = err_set(CER_ERR_IO, "%s: %s", r->tmp, strerror(errno));
		free(r->tmp);
		r->tmp = NULL;
		report_xml_free(r);
		return e;
	}
	if ((buffer = xmlOutputBufferCreateFd(fd, NULL)) == NULL || (r->w = xmlNewTextWriter(buffer)) == NULL) {
		int e = err_set(CER_ERR_IO, "%s: cannot write the report", path);
		if (buffer != NULL && r->w == NULL)
			xmlOutputBufferClose(buffer);
		close(fd);
		report_xml_free(r);
		return e;
	}
	r->fd = fd;
	W(r, xmlTextWriterSetIndent(r->w, 1));
	W(r, xmlTextWriterSetIndentString(r->w, X("  ")));
	W(r, xmlTextWriterStartDocument(r->w, NULL, "UTF-8", NULL));
	W(r, xmlTextWriterStartElementNS(r->w, NULL, X("report"), X(REPORT_NAMESPACE)));
	attr(r, "version", "1");
	W(r, xmlTextWriterStartElement(r->w, X("verifier")));
	attr(r, "version", version);
	attr(r, "build", build);
	W(r, xmlTextWriterEndElement(r->w));
	*out = r;
	return 0;
}

/* At the genesis record: the ceremony and its participants, then <records> opens. */
static void write_ceremony(struct report_xml *r, const struct record *g)
{
	char fp[SSHKEY_FINGERPRINT_CHARS + 1];

	W(r, xmlTextWriterStartElement(r->w, X("ceremony")));
	attr(r, "id", g->ceremony);
	digest_element(r, "scenario-sha256", g->scenario_sha256);
	W(r, xmlTextWriterEndElement(r->w));
	W(r, xmlTextWriterStartElement(r->w, X("participants")));
	for (size_t p = 0; g->roster != NULL && p < g->roster->participant_count; p++) {
		W(r, xmlTextWriterStartElement(r->w, X("participant")));
		attr(r, "id", g->roster->participants[p]);
		for (size_t k = 0; k < g->roster->key_count; k++) {
			if (g->roster->keys[k].participant != p)
				continue;
			sshkey_fingerprint_text(&g->roster->keys[k].key, fp);
			W(r, xmlTextWriterStartElement(r->w, X("key")));
			attr(r, "fingerprint", fp);
			W(r, xmlTextWriterEndElement(r->w));
		}
		W(r, xmlTextWriterEndElement(r->w));
	}
	W(r, xmlTextWriterEndElement(r->w));
	W(r, xmlTextWriterStartElement(r->w, X("records")));
	r->records_open = 1;
}

static void write_vault_op(struct report_xml *r, const struct record_vault_op *op)
{
	W(r, xmlTextWriterStartElement(r->w, X("vault-operation")));
	attr(r, "op", op->op);
	attr(r, "outcome", op->outcome);
	attr_u(r, "log-seq", (unsigned long long)op->log_seq);
	attr_hex(r, "log-hash", op->log_hash);
	if (op->who[0] != '\0')
		attr(r, "who", op->who);
	if (op->share_index != 0)
		attr_u(r, "share-index", op->share_index);
	if (op->label[0] != '\0')
		attr(r, "label", op->label);
	if (op->algorithm[0] != '\0')
		attr(r, "algorithm", op->algorithm);
	if (op->has_fingerprint)
		attr_hex(r, "fingerprint", op->fingerprint);
	if (op->has_message)
		attr_hex(r, "message-sha256", op->message_sha256);
	if (op->has_signature)
		attr_hex(r, "signature-sha256", op->signature_sha256);
	if (op->has_vault)
		attr_hex(r, "vault-id", op->vault_id);
	W(r, xmlTextWriterEndElement(r->w));
}

int report_xml_record(void *ctx, const struct checked_record *seen)
{
	struct report_xml *r = ctx;
	const struct record *rec = seen->record;

	if (!r->records_open) {
		if (rec->type != RECORD_GENESIS)
			return 0; /* no genesis: nothing can be said of the rest (the findings say why) */
		write_ceremony(r, rec);
	}
	W(r, xmlTextWriterStartElement(r->w, X("record")));
	attr_u(r, "sequence", rec->sequence);
	attr(r, "type", record_type_name(rec->type));
	attr_u(r, "session", rec->session);
	attr(r, "step", rec->step);
	attr(r, "time", rec->time);
	attr(r, "actor", rec->actor);
	attr(r, "commit", seen->commit);
	attr_hex(r, "sha256", seen->sha256);
	if (rec->confirmed)
		attr(r, "confirmed", "true");
	for (size_t i = 0; i < seen->signer_count; i++) {
		W(r, xmlTextWriterStartElement(r->w, X("signoff")));
		attr(r, "participant", seen->signers[i]);
		W(r, xmlTextWriterEndElement(r->w));
	}
	for (size_t i = 0; i < rec->value_count; i++) {
		W(r, xmlTextWriterStartElement(r->w, X("value")));
		attr(r, "name", rec->values[i].name);
		W(r, xmlTextWriterWriteString(r->w, X(rec->values[i].value)));
		W(r, xmlTextWriterEndElement(r->w));
	}
	for (size_t i = 0; i < rec->attachment_count; i++) {
		W(r, xmlTextWriterStartElement(r->w, X("attachment")));
		attr(r, "name", rec->attachments[i].name);
		attr_hex(r, "sha256", rec->attachments[i].sha256);
		attr_u(r, "size", (unsigned long long)rec->attachments[i].size);
		attr(r, "stored", rec->attachments[i].stored ? "true" : "false");
		W(r, xmlTextWriterEndElement(r->w));
	}
	for (size_t i = 0; i < rec->vault_op_count; i++)
		write_vault_op(r, &rec->vault_ops[i]);
	if (rec->has_incident) {
		W(r, xmlTextWriterStartElement(r->w, X("incident")));
		attr(r, "kind", incident_kind_name(rec->incident_kind));
		W(r, xmlTextWriterWriteElement(r->w, X("expected"), X(rec->incident_expected)));
		W(r, xmlTextWriterWriteElement(r->w, X("happened"), X(rec->incident_happened)));
		W(r, xmlTextWriterEndElement(r->w));
	}
	if (rec->note != NULL)
		W(r, xmlTextWriterWriteElement(r->w, X("note"), X(rec->note)));
	W(r, xmlTextWriterEndElement(r->w));
	return r->failed ? err_set(CER_ERR_IO, "%s: writing the report failed", r->path) : 0;
}

static const char *source_name(enum scenario_source s)
{
	return s == SCENARIO_AUDITOR ? "auditor" : s == SCENARIO_STORED ? "stored" : "none";
}

/* The temporary file made durable, then renamed over the report; or, for stdout, copied there. */
static int put_in_place(struct report_xml *r)
{
	char *copy = NULL;
	int fd, rc = 0;

	if (strcmp(r->path, "-") == 0) {
		struct buf all = buf_make((size_t)1 << 30);
		if ((rc = file_read_all(r->tmp, all.limit, &all)) == 0 &&
		    (fwrite(all.data, 1, all.len, stdout) != all.len || fflush(stdout) != 0))
			rc = err_set(CER_ERR_IO, "writing the report to stdout: %s", strerror(errno));
		buf_free(&all);
		unlink(r->tmp);
		return rc;
	}
	copy = strdup(r->path);
	fd = r->fd;
	/* mkstemp made it 0600; a report is for others to read. */
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0 || rename(r->tmp, r->path) != 0)
		rc = err_set(CER_ERR_IO, "%s: %s", r->path, strerror(errno));
	if (rc == 0 && copy != NULL)
		rc = file_sync_dir(dirname(copy));
	free(copy);
	return rc;
}

int report_xml_finish(struct report_xml *r, const struct evidence_check_result *result, const struct findings *findings,
                      const struct vault_join_result *joined, size_t claimed, const char *verdict, int exit_code)
{
	int rc;

	if (!r->records_open) {
		W(r, xmlTextWriterStartElement(r->w, X("participants")));
		W(r, xmlTextWriterEndElement(r->w));
		W(r, xmlTextWriterStartElement(r->w, X("records")));
	}
	W(r, xmlTextWriterEndElement(r->w)); /* records */
	W(r, xmlTextWriterStartElement(r->w, X("summary")));
	attr_u(r, "records", result->records);
	attr_u(r, "sessions", result->sessions);
	attr_u(r, "incidents", result->incidents);
	attr_u(r, "signatures-checked", result->signatures_checked);
	attr(r, "scenario-source", source_name(result->scenario_source));
	W(r, xmlTextWriterEndElement(r->w));
	if (joined != NULL) {
		W(r, xmlTextWriterStartElement(r->w, X("vault-log")));
		attr_u(r, "lines", (unsigned long long)joined->entries);
		attr_u(r, "operations-claimed", claimed);
		attr_u(r, "operations-joined", joined->joined);
		W(r, xmlTextWriterEndElement(r->w));
	}
	W(r, xmlTextWriterStartElement(r->w, X("findings")));
	attr_u(r, "count", findings_total(findings));
	for (size_t i = 0; i < findings->count; i++) {
		const struct finding *f = &findings->items[i];
		W(r, xmlTextWriterStartElement(r->w, X("finding")));
		attr(r, "code", f->code);
		if (f->record >= 0)
			attr_u(r, "record", (unsigned long long)f->record);
		if (f->commit[0] != '\0')
			attr(r, "commit", f->commit);
		W(r, xmlTextWriterWriteString(r->w, X(f->message)));
		W(r, xmlTextWriterEndElement(r->w));
	}
	W(r, xmlTextWriterEndElement(r->w));
	W(r, xmlTextWriterStartElement(r->w, X("verdict")));
	attr(r, "result", verdict);
	attr_u(r, "exit", (unsigned long long)exit_code);
	W(r, xmlTextWriterEndElement(r->w));
	digest_element(r, "last-record-hash", result->last_record_sha256);
	W(r, xmlTextWriterEndElement(r->w)); /* report */
	W(r, xmlTextWriterEndDocument(r->w));
	xmlFreeTextWriter(r->w);
	r->w = NULL;
	if (r->failed)
		return err_set(CER_ERR_IO, "%s: writing the report failed", r->path);
	if ((rc = put_in_place(r)) != 0)
		return rc;
	free(r->tmp);
	r->tmp = NULL; /* in place: nothing to remove */
	return 0;
}

void report_xml_free(struct report_xml *r)
{
	if (r == NULL)
		return;
	if (r->w != NULL)
		xmlFreeTextWriter(r->w);
	if (r->fd >= 0)
		close(r->fd);
	if (r->tmp != NULL)
		unlink(r->tmp);
	free(r->tmp);
	free(r->path);
	free(r);
}
