/* Strict XML through libxml2: the one place Ceremony parses XML (records now; scenarios and
 * reports later).
 *
 * Strict means: at most XML_DOCUMENT_MAX bytes; UTF-8; no DOCTYPE (so no DTD and no entity can be
 * declared, and so none is expanded), no comments unless asked for, no CDATA, no processing instruction other than
 * the XML declaration; no network access; depth bounded by libxml2's default limit and by the
 * caller's walk. The element walkers refuse what the caller does not expect: unknown elements,
 * unknown attributes, text where elements belong. Every error names the line. */
#ifndef CEREMONY_COMMON_XML_H
#define CEREMONY_COMMON_XML_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>
#include <libxml/xmlregexp.h>

#define XML_DOCUMENT_MAX (1024 * 1024)

/* Parse `data` into a document. The root element must be `root_name` in namespace `ns`.
 * `allow_comments`: documents people write (scenarios) may hold comments; machine-written ones
 * (records) may not. Comments are skipped by the walkers below, never read as data. */
__attribute__((warn_unused_result)) int xml_parse_strict(xmlDoc **out, const uint8_t *data, size_t len, const char *ns,
                                                         const char *root_name, int allow_comments);

/* Element walking: *cursor starts at xml_children(parent) and advances. Whitespace-only text is
 * skipped; anything else that is not an element in namespace `ns` is an error. */
xmlNode *xml_children(const xmlNode *parent);
/* The next element must be `name`; *out receives it. */
__attribute__((warn_unused_result)) int xml_expect(xmlNode **cursor, const char *ns, const char *name, xmlNode **out);
/* If the next element is `name`, take it (*out set, returns 1); otherwise leave the cursor (returns 0).
 * Returns a negative cer_err on a malformed sibling. */
__attribute__((warn_unused_result)) int xml_optional(xmlNode **cursor, const char *ns, const char *name, xmlNode **out);
/* No element may remain. */
__attribute__((warn_unused_result)) int xml_expect_end(xmlNode **cursor, const char *ns, const xmlNode *parent);

/* The element's text content: only text children, at most `max` bytes, no control characters
 * other than tab and newline. Returns a malloc'd string in *out. */
__attribute__((warn_unused_result)) int xml_text(const xmlNode *el, size_t max, char **out);

/* The element may carry exactly the attributes named in `allowed` (NULL-terminated), no others. */
__attribute__((warn_unused_result)) int xml_check_attributes(const xmlNode *el, const char *const *allowed);
/* A required attribute's value (malloc'd), at most `max` bytes. */
__attribute__((warn_unused_result)) int xml_attribute(const xmlNode *el, const char *name, size_t max, char **out);

/* Compile an XML Schema regular expression into libxml2's automaton (xmlRegexpExec matches the whole
 * value) without libxml2 printing its complaints on stderr: our errors are one line, made by the
 * caller. NULL when the pattern is not valid. Free with xmlRegFreeRegexp().
 * Matching a non-deterministic pattern backtracks, but libxml2 gives up after a fixed budget (about
 * half a second for a hostile pattern on a 4 KiB value) and returns -1, which is "no match". */
xmlRegexp *xml_regexp_compile(const char *pattern);

/* Append `text` escaped for element content or attribute values (& < > " '). Control characters
 * other than tab and newline are refused: they cannot round-trip through XML 1.0. */
struct buf;
__attribute__((warn_unused_result)) int xml_escape_append(struct buf *out, const char *text);

#endif
