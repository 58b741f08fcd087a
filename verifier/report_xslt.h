/* The reports made from the XML report by an XSLT 1.0 stylesheet the binary carries (docs/report.md),
 * with libxslt: HTML (templates/report-html.xsl, one self-contained page) and OSCAL assessment
 * results (templates/report-oscal.xsl). */
#ifndef CEREMONY_VERIFIER_REPORT_XSLT_H
#define CEREMONY_VERIFIER_REPORT_XSLT_H

#include <stddef.h>

/* Transform the XML report at `xml_path` with the stylesheet `xsl` (xsl_len bytes) into `out_path`
 * ("-": stdout), written whole or not at all. The stylesheet gets the parameter "generated": the
 * time now, UTC (YYYY-MM-DDTHH:MM:SSZ). It may read and write nothing else (libxslt's security
 * preferences forbid files and the network). */
__attribute__((warn_unused_result)) int report_transform(const char *xml_path, const unsigned char *xsl, size_t xsl_len,
                                                         const char *out_path);

#endif
