/* The XML verification report (`ceremony report --format xml`; docs/report.md; templates/report.xsd):
 * the ceremony, its participants and their keys, every record (time, actor, sign-offs, values,
 * attachments, vault operations with their log references, incidents), the summary, the vault log
 * join, every finding, the verdict and the last record's hash (hex and PGP words), and the
 * verifier's version and build.
 *
 * Records are written as the check hands them over (evidence_check's on_record hook), so memory
 * stays flat in the number of records. The report goes to a temporary file beside the output and
 * is renamed over it when finished: nothing half-written. */
#ifndef CEREMONY_VERIFIER_REPORT_XML_H
#define CEREMONY_VERIFIER_REPORT_XML_H

#include <stddef.h>

#include "verifier/evidence_check.h"
#include "verifier/findings.h"
#include "verifier/vault_join.h"

#define REPORT_NAMESPACE "urn:ceremony:report:1"

struct report_xml;

/* Start a report to `path` (written whole at report_xml_finish), by verifier `version` and `build`. */
__attribute__((warn_unused_result)) int report_xml_start(struct report_xml **out, const char *path, const char *version,
                                                         const char *build);

/* An evidence_check on_record hook: ctx is the struct report_xml. */
int report_xml_record(void *ctx, const struct checked_record *record);

/* What ends the report: the check's result and findings, the vault join (NULL when none ran, then
 * `claimed` is ignored), the verdict ("VERIFIED", "NOT-VERIFIED", ...) and its exit code. Then the
 * file is complete and in place. */
__attribute__((warn_unused_result)) int report_xml_finish(struct report_xml *report,
                                                          const struct evidence_check_result *result,
                                                          const struct findings *findings,
                                                          const struct vault_join_result *joined, size_t claimed,
                                                          const char *verdict, int exit_code);

/* Release; an unfinished report's temporary file is removed. Safe on NULL. */
void report_xml_free(struct report_xml *report);

#endif
