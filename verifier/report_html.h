/* The HTML report (`ceremony report --format html`; docs/report.md): the XML report turned into one
 * self-contained page by an XSLT 1.0 stylesheet (templates/report-html.xsl, which the binary
 * carries), with libxslt. */
#ifndef CEREMONY_VERIFIER_REPORT_HTML_H
#define CEREMONY_VERIFIER_REPORT_HTML_H

#include <stddef.h>

/* Transform the XML report at `xml_path` with the stylesheet `xsl` (xsl_len bytes) into `out_path`
 * ("-": stdout), written whole or not at all. The stylesheet may read and write nothing else
 * (libxslt's security preferences forbid files and the network). */
__attribute__((warn_unused_result)) int report_html_write(const char *xml_path, const unsigned char *xsl,
                                                          size_t xsl_len, const char *out_path);

#endif
