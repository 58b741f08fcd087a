#include "common/xml.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "common/buf.h"
#include "common/error.h"

static const char XML_DECLARATION_START[] = "<?xml ";

/* libxml2 already refuses much of this, but we refuse it before it parses anything: a DOCTYPE is
 * where entity expansion and external fetches begin, and records never need one. */
static int prescan(const uint8_t *data, size_t len, int allow_comments)
{
	unsigned line = 1;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			line++;
		else if (data[i] == '\0')
			return err_set(CER_ERR_FORMAT, "line %u: NUL byte", line);
		else if (allow_comments && data[i] == '<' && len - i >= 4 && memcmp(data + i, "<!--", 4) == 0) {
			/* Skip the comment (libxml2 checks its syntax); a "<!" inside it is text, not a declaration. */
			const uint8_t *close = memmem(data + i + 4, len - i - 4, "-->", 3);
			if (close == NULL)
				return err_set(CER_ERR_FORMAT, "line %u: unterminated comment", line);
			for (const uint8_t *q = data + i; q < close; q++)
				line += *q == '\n';
			i = (size_t)(close - data) + 2;
		} else if (data[i] == '<' && i + 1 < len && data[i + 1] == '!')
			return err_set(CER_ERR_FORMAT, "line %u: %s refused", line,
			               allow_comments ? "DOCTYPE or CDATA section"
			                              : "DOCTYPE, comment or CDATA section");
		else if (data[i] == '<' && i + 1 < len && data[i + 1] == '?' &&
		         (i != 0 || len < sizeof(XML_DECLARATION_START) - 1 ||
		          memcmp(data, XML_DECLARATION_START, sizeof(XML_DECLARATION_START) - 1) != 0))
			return err_set(CER_ERR_FORMAT, "line %u: processing instruction refused", line);
	}
	return 0;
}

static int same_name(const xmlNode *node, const char *ns, const char *name)
{
	return node->ns != NULL && strcmp((const char *)node->ns->href, ns) == 0 &&
	       strcmp((const char *)node->name, name) == 0;
}

/* The first error of the current parse (structured error handlers are per thread in libxml2). */
static _Thread_local struct {
	char message[256];
	int line;
} first_error;

static void keep_first_error(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (first_error.message[0] == '\0' && e != NULL && e->message != NULL) {
		snprintf(first_error.message, sizeof(first_error.message), "%s", e->message);
		first_error.line = e->line;
	}
}

int xml_parse_strict(xmlDoc **out, const uint8_t *data, size_t len, const char *ns, const char *root_name,
                     int allow_comments)
{
	const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
	xmlParserCtxt *ctxt = NULL;
	xmlDoc *doc = NULL;
	xmlNode *root;
	int r;

	*out = NULL;
	if (len > XML_DOCUMENT_MAX)
		return err_set(CER_ERR_FORMAT, "XML document larger than %d bytes", XML_DOCUMENT_MAX);
	if ((r = prescan(data, len, allow_comments)) != 0)
		return r;
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	/* The first error is the one that says what is wrong; libxml2 keeps only the last. */
	memset(&first_error, 0, sizeof(first_error));
	xmlSetStructuredErrorFunc(&first_error, keep_first_error);
	doc = xmlCtxtReadMemory(ctxt, (const char *)data, (int)len, NULL, "UTF-8", options);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (doc == NULL || !ctxt->wellFormed) {
		const xmlError *e = first_error.message[0] ? NULL : xmlCtxtGetLastError(ctxt);
		const char *why = first_error.message[0] ? first_error.message
		                  : e && e->message      ? e->message
		                                         : "not well-formed XML";
		int line = first_error.message[0] ? first_error.line : e ? e->line : 0;
		/* libxml2 messages may hold several lines ("...\nBytes: 0x.."); ours are one: keep the first.
		 * (err_set turns control characters into '?', so this must be cut before, not after.) */
		r = err_set(CER_ERR_FORMAT, "line %d: %.*s", line, (int)strcspn(why, "\n"), why);
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !same_name(root, ns, root_name)) {
		r = err_set(CER_ERR_FORMAT, "line %d: root element must be <%s xmlns=\"%s\">", root ? root->line : 1,
		            root_name, ns);
		goto out;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		r = err_set(CER_ERR_FORMAT, "DTD refused");
		goto out;
	}
	*out = doc;
	doc = NULL;
	r = 0;
out:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return r;
}

xmlNode *xml_children(const xmlNode *parent)
{
	return parent->children;
}

static int blank_text(const xmlNode *node)
{
	for (const xmlChar *p = node->content; p && *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return 1;
}

/* Advance past blank text; fail on anything that is not an element of our namespace. */
static int skip_to_element(xmlNode **cursor, const char *ns)
{
	while (*cursor != NULL) {
		xmlNode *n = *cursor;
		/* Comments exist only where the document's parse allowed them: they are never data. */
		if ((n->type == XML_TEXT_NODE && blank_text(n)) || n->type == XML_COMMENT_NODE) {
			*cursor = n->next;
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			return err_set(CER_ERR_FORMAT, "line %d: unexpected text or node", n->line);
		if (n->ns == NULL || strcmp((const char *)n->ns->href, ns) != 0)
			return err_set(CER_ERR_FORMAT, "line %d: element <%s> is not in namespace %s", n->line,
			               (const char *)n->name, ns);
		return 0;
	}
	return 0;
}

int xml_optional(xmlNode **cursor, const char *ns, const char *name, xmlNode **out)
{
	int r;

	*out = NULL;
	if ((r = skip_to_element(cursor, ns)) != 0)
		return r;
	if (*cursor == NULL || strcmp((const char *)(*cursor)->name, name) != 0)
		return 0;
	*out = *cursor;
	*cursor = (*cursor)->next;
	return 1;
}

int xml_expect(xmlNode **cursor, const char *ns, const char *name, xmlNode **out)
{
	int r = xml_optional(cursor, ns, name, out);

	if (r < 0)
		return r;
	if (r == 0) {
		if (*cursor != NULL)
			return err_set(CER_ERR_FORMAT, "line %d: unexpected element <%s> (expected <%s>)",
			               (*cursor)->line, (const char *)(*cursor)->name, name);
		return err_set(CER_ERR_FORMAT, "missing element <%s>", name);
	}
	return 0;
}

int xml_expect_end(xmlNode **cursor, const char *ns, const xmlNode *parent)
{
	int r;

	if ((r = skip_to_element(cursor, ns)) != 0)
		return r;
	if (*cursor != NULL)
		return err_set(CER_ERR_FORMAT, "line %d: unexpected element <%s> in <%s>", (*cursor)->line,
		               (const char *)(*cursor)->name, (const char *)parent->name);
	return 0;
}

int xml_text(const xmlNode *el, size_t max, char **out)
{
	struct buf text = buf_make(max);
	int r = 0;

	*out = NULL;
	for (const xmlNode *n = el->children; n != NULL; n = n->next) {
		if (n->type != XML_TEXT_NODE) {
			buf_free(&text);
			return err_set(CER_ERR_FORMAT, "line %d: <%s> must hold text only", el->line,
			               (const char *)el->name);
		}
		if ((r = buf_append_str(&text, (const char *)n->content)) != 0) {
			buf_free(&text);
			return err_context(r, "line %d: <%s>", el->line, (const char *)el->name);
		}
	}
	for (size_t i = 0; i < text.len; i++) {
		if (text.data[i] < 0x20 && text.data[i] != '\t' && text.data[i] != '\n') {
			buf_free(&text);
			return err_set(CER_ERR_FORMAT, "line %d: control character in <%s>", el->line,
			               (const char *)el->name);
		}
	}
	if ((r = buf_append(&text, "", 0)) != 0) {
		buf_free(&text);
		return r;
	}
	*out = (char *)buf_steal(&text, NULL);
	return 0;
}

int xml_check_attributes(const xmlNode *el, const char *const *allowed)
{
	for (const xmlAttr *a = el->properties; a != NULL; a = a->next) {
		int known = 0;
		if (a->ns != NULL)
			return err_set(CER_ERR_FORMAT, "line %d: namespaced attribute %s on <%s>", el->line,
			               (const char *)a->name, (const char *)el->name);
		for (const char *const *p = allowed; p && *p; p++)
			if (strcmp(*p, (const char *)a->name) == 0)
				known = 1;
		if (!known)
			return err_set(CER_ERR_FORMAT, "line %d: unknown attribute %s on <%s>", el->line,
			               (const char *)a->name, (const char *)el->name);
	}
	return 0;
}

int xml_attribute(const xmlNode *el, const char *name, size_t max, char **out)
{
	xmlChar *value = xmlGetNoNsProp(el, (const xmlChar *)name);
	size_t len;

	*out = NULL;
	if (value == NULL)
		return err_set(CER_ERR_FORMAT, "line %d: <%s> lacks attribute %s", el->line, (const char *)el->name,
		               name);
	len = strlen((const char *)value);
	if (len > max) {
		xmlFree(value);
		return err_set(CER_ERR_FORMAT, "line %d: attribute %s longer than %zu bytes", el->line, name, max);
	}
	*out = strdup((const char *)value);
	xmlFree(value);
	if (*out == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	return 0;
}

static void discard_message(void *context, const char *format, ...)
{
	(void)context;
	(void)format;
}

xmlRegexp *xml_regexp_compile(const char *pattern)
{
	/* libxml2 reports a bad regular expression through its generic error handler, which prints to
	 * stderr by default; the handler is per thread, so swapping it here affects no other thread. */
	xmlGenericErrorFunc previous = xmlGenericError;
	void *previous_context = xmlGenericErrorContext;
	xmlRegexp *compiled;

	xmlSetGenericErrorFunc(NULL, discard_message);
	compiled = xmlRegexpCompile((const xmlChar *)pattern);
	xmlSetGenericErrorFunc(previous_context, previous);
	return compiled;
}

int xml_escape_append(struct buf *out, const char *text)
{
	int r = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p && r == 0; p++) {
		switch (*p) {
		case '&':
			r = buf_append_str(out, "&amp;");
			break;
		case '<':
			r = buf_append_str(out, "&lt;");
			break;
		case '>':
			r = buf_append_str(out, "&gt;");
			break;
		case '"':
			r = buf_append_str(out, "&quot;");
			break;
		case '\'':
			r = buf_append_str(out, "&apos;");
			break;
		default:
			if (*p < 0x20 && *p != '\t' && *p != '\n')
				return err_set(CER_ERR_FORMAT, "control character 0x%02x cannot be stored in XML", *p);
			r = buf_append(out, p, 1);
		}
	}
	return r;
}
