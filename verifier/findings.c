#include "verifier/findings.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

int findings_add(struct findings *f, const char *code, long record, const char *commit_hex, const char *fmt, ...)
{
	struct finding *grown, *item;
	va_list ap;
	int n;

	if (f->count >= FINDINGS_KEPT) {
		f->dropped++;
		return 0;
	}
	grown = realloc(f->items, (f->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	f->items = grown;
	item = &grown[f->count];
	memset(item, 0, sizeof(*item));
	item->code = code;
	item->record = record;
	if (commit_hex != NULL)
		snprintf(item->commit, sizeof(item->commit), "%s", commit_hex);
	va_start(ap, fmt);
	n = vasprintf(&item->message, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err_set(CER_ERR_NOMEM, "out of memory");
	f->count++;
	return 0;
}

size_t findings_total(const struct findings *f)
{
	return f->count + f->dropped;
}

/* Findings quote what the evidence holds (file names, header names, namespaces): control
 * characters are shown escaped, so no escape sequence from a repository reaches the terminal. */
static void print_escaped(const char *text, FILE *out)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
}

void findings_print(const struct findings *f, FILE *out)
{
	for (size_t i = 0; i < f->count; i++) {
		const struct finding *item = &f->items[i];
		if (item->record != FINDING_NO_RECORD && item->commit[0] != '\0')
			fprintf(out, "record %ld (commit %.12s): %s: ", item->record, item->commit, item->code);
		else if (item->record != FINDING_NO_RECORD)
			fprintf(out, "record %ld: %s: ", item->record, item->code);
		else
			fprintf(out, "repository: %s: ", item->code);
		print_escaped(item->message, out);
		fputc('\n', out);
	}
	if (f->dropped > 0)
		fprintf(out, "... and %zu more findings not shown\n", f->dropped);
}

void findings_free(struct findings *f)
{
	for (size_t i = 0; i < f->count; i++)
		free(f->items[i].message);
	free(f->items);
	memset(f, 0, sizeof(*f));
}
