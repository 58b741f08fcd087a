#include "verifier/report_xslt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include "common/error.h"
#include "common/file.h"

/* The stylesheet may not touch a file or the network: only its input and its output. */
static xsltSecurityPrefsPtr locked_down(void)
{
	xsltSecurityPrefsPtr prefs = xsltNewSecurityPrefs();

	if (prefs == NULL || xsltSetSecurityPrefs(prefs, XSLT_SECPREF_READ_FILE, xsltSecurityForbid) != 0 ||
	    xsltSetSecurityPrefs(prefs, XSLT_SECPREF_WRITE_FILE, xsltSecurityForbid) != 0 ||
	    xsltSetSecurityPrefs(prefs, XSLT_SECPREF_CREATE_DIRECTORY, xsltSecurityForbid) != 0 ||
	    xsltSetSecurityPrefs(prefs, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid) != 0 ||
	    xsltSetSecurityPrefs(prefs, XSLT_SECPREF_WRITE_NETWORK, xsltSecurityForbid) != 0) {
		xsltFreeSecurityPrefs(prefs);
		return NULL;
	}
	return prefs;
}

int report_transform(const char *xml_path, const unsigned char *xsl, size_t xsl_len, const char *out_path)
{
	char generated[32];
	const char *params[] = {"generated", generated, NULL};
	xsltSecurityPrefsPtr prefs = locked_down();
	xsltTransformContextPtr ctx = NULL;
	xsltStylesheetPtr sheet = NULL;
	xmlDocPtr style = NULL, doc = NULL, html = NULL;
	xmlChar *bytes = NULL;
	int len = 0, r = 0;

	if (prefs == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	{
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(generated, sizeof(generated), "'%Y-%m-%dT%H:%M:%SZ'", &tm); /* an XPath string */
	}
	if (xsl_len > (size_t)INT32_MAX ||
	    (style = xmlReadMemory((const char *)xsl, (int)xsl_len, "report-html.xsl", NULL, XML_PARSE_NONET)) ==
	            NULL ||
	    (sheet = xsltParseStylesheetDoc(style)) == NULL) {
		r = err_set(CER_ERR_INTERNAL, "the report's stylesheet does not load");
		if (sheet == NULL)
			xmlFreeDoc(style); /* a stylesheet that loaded owns its document */
		goto out;
	}
	if ((doc = xmlReadFile(xml_path, NULL, XML_PARSE_NONET)) == NULL) {
		r = err_set(CER_ERR_INTERNAL, "%s: the XML report does not load", xml_path);
		goto out;
	}
	if ((ctx = xsltNewTransformContext(sheet, doc)) == NULL || xsltSetCtxtSecurityPrefs(prefs, ctx) != 0 ||
	    (html = xsltApplyStylesheetUser(sheet, doc, params, NULL, NULL, ctx)) == NULL ||
	    xsltSaveResultToString(&bytes, &len, html, sheet) != 0 || bytes == NULL || len <= 0) {
		r = err_set(CER_ERR_INTERNAL, "the report could not be made from the XML report");
		goto out;
	}
	if (strcmp(out_path, "-") == 0) {
		if (fwrite(bytes, 1, (size_t)len, stdout) != (size_t)len || fflush(stdout) != 0)
			r = err_set(CER_ERR_IO, "writing the report to stdout: %s", strerror(errno));
	} else {
		r = file_write_atomic(out_path, bytes, (size_t)len, 0644);
	}
out:
	xmlFree(bytes);
	xmlFreeDoc(html);
	xsltFreeTransformContext(ctx);
	xmlFreeDoc(doc);
	xsltFreeStylesheet(sheet);
	xsltFreeSecurityPrefs(prefs);
	return r;
}
