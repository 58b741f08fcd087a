/* Template + roster -> scenario, through libxml2's tree, so that the template's text (comments,
 * instructions, layout) is kept exactly and nothing is spliced as text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "common/error.h"
#include "common/xml.h"
#include "evidence/scenario.h"

#define NS SCENARIO_NAMESPACE
#define ROSTER_LINE_MAX 8192

/* One roster line: id, roles ("a,b" -> "a b"), key line. Adds <participant> or a <key> to it. */
static int add_roster_line(xmlNode *roster, xmlNs *ns, const char *line, unsigned line_no)
{
	char id[SCENARIO_ID_MAX + 1], roles[1024];
	const char *p = line, *word;
	size_t len;
	struct sshkey_public key;
	xmlNode *participant = NULL;
	int r;

	for (int field = 0; field < 2; field++) {
		while (*p == ' ' || *p == '\t')
			p++;
		word = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - word);
		if (len == 0 || len >= (field == 0 ? sizeof(id) : sizeof(roles)))
			return err_set(CER_ERR_FORMAT, "roster line %u: expected PARTICIPANT ROLES KEY", line_no);
		memcpy(field == 0 ? id : roles, word, len);
		(field == 0 ? id : roles)[len] = '\0';
	}
	if (!roster_id_valid(id, strlen(id)))
		return err_set(CER_ERR_FORMAT, "roster line %u: \"%s\" is not a participant id", line_no, id);
	for (char *c = roles; *c; c++)
		if (*c == ',')
			*c = ' ';
	while (*p == ' ' || *p == '\t')
		p++;
	if ((r = sshkey_public_parse_line(&key, p, strlen(p))) != 0)
		return err_context(r, "roster line %u", line_no);
	for (xmlNode *n = roster->children; n != NULL; n = n->next) {
		xmlChar *nid = xmlGetNoNsProp(n, (const xmlChar *)"id");
		int same = nid != NULL && strcmp((const char *)nid, id) == 0;
		xmlFree(nid);
		if (same)
			participant = n;
	}
	if (participant == NULL) {
		participant = xmlNewChild(roster, ns, (const xmlChar *)"participant", NULL);
		if (participant == NULL ||
		    xmlNewProp(participant, (const xmlChar *)"id", (const xmlChar *)id) == NULL ||
		    xmlNewProp(participant, (const xmlChar *)"roles", (const xmlChar *)roles) == NULL)
			return err_set(CER_ERR_NOMEM, "out of memory");
	} else {
		xmlChar *had = xmlGetNoNsProp(participant, (const xmlChar *)"roles");
		int same = had != NULL && strcmp((const char *)had, roles) == 0;
		xmlFree(had);
		if (!same)
			return err_set(CER_ERR_FORMAT,
			               "roster line %u: %s is given other roles than on an earlier line", line_no, id);
	}
	{
		struct buf text = buf_make(1024);
		if ((r = sshkey_public_format_line(&key, &text)) == 0 &&
		    xmlNewTextChild(participant, ns, (const xmlChar *)"key", text.data) == NULL)
			r = err_set(CER_ERR_NOMEM, "out of memory");
		buf_free(&text);
	}
	return r;
}

static int build_roster(xmlNode *roster, xmlNs *ns, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	char line[ROSTER_LINE_MAX];
	unsigned line_no = 0;
	int r;

	if (memchr(text, '\0', len) != NULL)
		return err_set(CER_ERR_FORMAT, "roster: NUL byte");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		size_t n = (size_t)(e - p);
		line_no++;
		if (n >= sizeof(line))
			return err_set(CER_ERR_FORMAT, "roster line %u: too long", line_no);
		memcpy(line, p, n);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		p = nl ? nl + 1 : end;
		{
			const char *s = line;
			while (*s == ' ' || *s == '\t')
				s++;
			if (*s == '\0' || *s == '#')
				continue;
		}
		if ((r = add_roster_line(roster, ns, line, line_no)) != 0)
			return r;
	}
	return 0;
}

static xmlNode *child_named(xmlNode *parent, const char *name)
{
	for (xmlNode *n = parent->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

int scenario_make(const uint8_t *template_bytes, size_t template_len, const char *roster_text, size_t roster_len,
                  const char *id, struct buf *out)
{
	struct scenario *tmpl = NULL, *made = NULL;
	struct buf problems = buf_make(65536);
	xmlDoc *doc = NULL;
	xmlNode *root, *roles, *id_el, *roster;
	xmlChar *dump = NULL;
	int dump_len = 0, r;

	if (!roster_id_valid(id, strlen(id)))
		return err_set(CER_ERR_USAGE, "--id \"%s\" is not an id (a-z, 0-9, '.', '_', '-')", id);
	if ((r = scenario_parse(&tmpl, template_bytes, template_len, 1)) != 0)
		return err_context(r, "template");
	if (tmpl->roster != NULL) {
		r = err_set(CER_ERR_USAGE, "template: it has a roster already (it is a scenario)");
		goto out;
	}
	if ((r = xml_parse_strict(&doc, template_bytes, template_len, NS, "scenario", 1)) != 0)
		goto out;
	root = xmlDocGetRootElement(doc);
	roles = child_named(root, "roles");
	id_el = child_named(root, "id");
	if (roles == NULL || id_el == NULL) {
		r = err_set(CER_ERR_FORMAT, "template: no <id> or <roles>");
		goto out;
	}
	xmlNodeSetContent(id_el, NULL);
	xmlNodeAddContent(id_el, (const xmlChar *)id);
	roster = xmlNewDocNode(doc, root->ns, (const xmlChar *)"roster", NULL);
	if (roster == NULL || xmlAddNextSibling(roles, roster) == NULL) {
		xmlFreeNode(roster);
		r = err_set(CER_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = build_roster(roster, root->ns, roster_text, roster_len)) != 0)
		goto out;
	xmlDocDumpFormatMemoryEnc(doc, &dump, &dump_len, "UTF-8", 1);
	if (dump == NULL || dump_len <= 0) {
		r = err_set(CER_ERR_NOMEM, "cannot serialize the scenario");
		goto out;
	}
	if ((r = scenario_parse(&made, dump, (size_t)dump_len, 0)) != 0) {
		err_context(r, "the scenario made");
		goto out;
	}
	if (scenario_check(made, &problems) > 0) {
		char *nl = strchr((char *)problems.data, '\n');
		if (nl != NULL)
			*nl = '\0';
		r = err_set(CER_ERR_REFUSED, "the scenario made does not check: %s", (const char *)problems.data);
		goto out;
	}
	r = buf_append(out, dump, (size_t)dump_len);
out:
	xmlFree(dump);
	xmlFreeDoc(doc);
	scenario_free(tmpl);
	scenario_free(made);
	buf_free(&problems);
	return r;
}
