#include "evidence/scenario.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlregexp.h>

#include "common/error.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/xml.h"

#define NS SCENARIO_NAMESPACE

static const char *const kind_names[] = {
        [STEP_MANUAL] = "manual",
        [STEP_VAULT_INIT] = "vault-init",
        [STEP_VAULT_UNSEAL] = "vault-unseal",
        [STEP_VAULT_GENERATE] = "vault-generate",
        [STEP_VAULT_EXPORT] = "vault-export",
        [STEP_VAULT_SIGN] = "vault-sign",
        [STEP_VAULT_DESTROY] = "vault-destroy",
        [STEP_VAULT_SEAL] = "vault-seal",
};
#define KIND_COUNT (sizeof(kind_names) / sizeof(kind_names[0]))

static const char *const no_attributes[] = {NULL};

const char *step_kind_name(enum step_kind kind)
{
	return (size_t)kind < KIND_COUNT ? kind_names[kind] : "unknown";
}

void scenario_free(struct scenario *s)
{
	if (s == NULL)
		return;
	free(s->title);
	for (size_t i = 0; i < s->role_count; i++)
		free(s->role_titles[i]);
	roster_free(s->roster);
	free(s->participant_roles);
	for (size_t i = 0; i < s->step_count; i++) {
		struct scenario_step *st = &s->steps[i];
		free(st->title);
		free(st->instructions);
		for (size_t c = 0; c < st->capture_count; c++) {
			free(st->captures[c].name);
			free(st->captures[c].pattern);
			free(st->captures[c].label);
			if (st->captures[c].compiled != NULL)
				xmlRegFreeRegexp(st->captures[c].compiled);
		}
		free(st->captures);
		for (size_t a = 0; a < st->attachment_count; a++) {
			free(st->attachments[a].name);
			free(st->attachments[a].label);
		}
		free(st->attachments);
	}
	free(s->steps);
	free(s);
}

/* ---- small readers ---- */

static int take_text(xmlNode **cursor, const char *name, size_t max, char **out)
{
	xmlNode *el;
	int r;

	if ((r = xml_expect(cursor, NS, name, &el)) != 0 || (r = xml_check_attributes(el, no_attributes)) != 0)
		return r;
	return xml_text(el, max, out);
}

static int id_attribute(const xmlNode *el, const char *name, char out[SCENARIO_ID_MAX + 1])
{
	char *value = NULL;
	int r;

	if ((r = xml_attribute(el, name, SCENARIO_ID_MAX, &value)) != 0)
		return r;
	if (!roster_id_valid(value, strlen(value))) {
		r = err_set(CER_ERR_FORMAT, "line %d: %s \"%s\" is not an id (a-z, 0-9, '.', '_', '-')", el->line, name,
		            value);
		free(value);
		return r;
	}
	memcpy(out, value, strlen(value) + 1);
	free(value);
	return 0;
}

/* An optional boolean attribute: "true" or "false", default false. */
static int bool_attribute(const xmlNode *el, const char *name, int *out)
{
	xmlChar *value = xmlGetNoNsProp(el, (const xmlChar *)name);
	int r = 0;

	*out = 0;
	if (value == NULL)
		return 0;
	if (strcmp((const char *)value, "true") == 0)
		*out = 1;
	else if (strcmp((const char *)value, "false") != 0)
		r = err_set(CER_ERR_FORMAT, "line %d: %s must be true or false", el->line, name);
	xmlFree(value);
	return r;
}

/* A decimal count from 1 to `max`. */
static int count_attribute(const xmlNode *el, const char *name, unsigned max, unsigned *out)
{
	char *value = NULL;
	unsigned long v = 0;
	int r;

	if ((r = xml_attribute(el, name, 8, &value)) != 0)
		return r;
	for (const char *p = value; *p; p++) {
		if (*p < '0' || *p > '9' || (p == value && *p == '0')) {
			free(value);
			return err_set(CER_ERR_FORMAT, "line %d: %s must be a number from 1 to %u", el->line, name,
			               max);
		}
		v = v * 10 + (unsigned long)(*p - '0');
	}
	free(value);
	if (v < 1 || v > max)
		return err_set(CER_ERR_FORMAT, "line %d: %s must be a number from 1 to %u", el->line, name, max);
	*out = (unsigned)v;
	return 0;
}

static long find_role(const struct scenario *s, const char *id)
{
	for (size_t i = 0; i < s->role_count; i++)
		if (strcmp(s->roles[i], id) == 0)
			return (long)i;
	return -1;
}

static int role_attribute(const struct scenario *s, const xmlNode *el, const char *name, size_t *out)
{
	char id[SCENARIO_ID_MAX + 1];
	long role;
	int r;

	if ((r = id_attribute(el, name, id)) != 0)
		return r;
	role = find_role(s, id);
	if (role < 0)
		return err_set(CER_ERR_FORMAT, "line %d: unknown role \"%s\"", el->line, id);
	*out = (size_t)role;
	return 0;
}

/* ---- sections ---- */

static int parse_roles(struct scenario *s, xmlNode *roles_el)
{
	static const char *const id_only[] = {"id", NULL};
	xmlNode *cursor = xml_children(roles_el), *el;
	int r;

	if ((r = xml_check_attributes(roles_el, no_attributes)) != 0)
		return r;
	while ((r = xml_optional(&cursor, NS, "role", &el)) == 1) {
		char id[SCENARIO_ID_MAX + 1];
		if (s->role_count >= SCENARIO_ROLES_MAX)
			return err_set(CER_ERR_FORMAT, "line %d: more than %d roles", el->line, SCENARIO_ROLES_MAX);
		if ((r = xml_check_attributes(el, id_only)) != 0 || (r = id_attribute(el, "id", id)) != 0)
			return r;
		if (find_role(s, id) >= 0)
			return err_set(CER_ERR_FORMAT, "line %d: role \"%s\" defined twice", el->line, id);
		if ((r = xml_text(el, SCENARIO_TEXT_MAX, &s->role_titles[s->role_count])) != 0)
			return r;
		memcpy(s->roles[s->role_count++], id, strlen(id) + 1);
	}
	if (r < 0 || (r = xml_expect_end(&cursor, NS, roles_el)) != 0)
		return r;
	if (s->role_count == 0)
		return err_set(CER_ERR_FORMAT, "line %d: no role defined", roles_el->line);
	return 0;
}

/* roles="lead witness": a space-separated list of defined roles, as a bit set. */
static int parse_role_list(const struct scenario *s, const xmlNode *el, uint32_t *out)
{
	char *list = NULL, *p, *end;
	int r;

	*out = 0;
	if ((r = xml_attribute(el, "roles", 1024, &list)) != 0)
		return r;
	for (p = list; *p != '\0'; p = end) {
		long role;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && *end != ' '; end++)
			;
		if (*end != '\0')
			*end++ = '\0';
		role = find_role(s, p);
		if (role < 0) {
			r = err_set(CER_ERR_FORMAT, "line %d: unknown role \"%s\"", el->line, p);
			break;
		}
		*out |= 1u << role;
	}
	free(list);
	if (r == 0 && *out == 0)
		r = err_set(CER_ERR_FORMAT, "line %d: a participant needs at least one role", el->line);
	return r;
}

static int parse_participant(struct scenario *s, xmlNode *el)
{
	static const char *const attrs[] = {"id", "roles", NULL};
	xmlNode *cursor = xml_children(el), *key_el;
	char id[SCENARIO_ID_MAX + 1], *line = NULL;
	uint32_t roles;
	size_t keys = 0;
	int r;

	if ((r = xml_check_attributes(el, attrs)) != 0 || (r = id_attribute(el, "id", id)) != 0 ||
	    (r = parse_role_list(s, el, &roles)) != 0)
		return r;
	if (roster_find_participant(s->roster, id) >= 0)
		return err_set(CER_ERR_FORMAT, "line %d: participant \"%s\" listed twice", el->line, id);
	while ((r = xml_optional(&cursor, NS, "key", &key_el)) == 1) {
		struct sshkey_public key;
		if ((r = xml_check_attributes(key_el, no_attributes)) != 0 ||
		    (r = xml_text(key_el, SSHKEY_LINE_MAX, &line)) != 0)
			return r;
		r = sshkey_public_parse_line(&key, line, strlen(line));
		free(line);
		if (r != 0 || (r = roster_add_key(s->roster, id, &key)) != 0)
			return err_context(r, "line %d: participant %s", key_el->line, id);
		keys++;
	}
	if (r < 0 || (r = xml_expect_end(&cursor, NS, el)) != 0)
		return r;
	if (keys == 0)
		return err_set(CER_ERR_FORMAT, "line %d: participant %s has no key", el->line, id);
	uint32_t *grown = realloc(s->participant_roles, s->roster->participant_count * sizeof(*grown));
	if (grown == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	s->participant_roles = grown;
	grown[s->roster->participant_count - 1] = roles;
	return 0;
}

static int parse_roster(struct scenario *s, xmlNode *roster_el)
{
	xmlNode *cursor = xml_children(roster_el), *el;
	int r;

	if ((r = xml_check_attributes(roster_el, no_attributes)) != 0 || (r = roster_new(&s->roster)) != 0)
		return r;
	while ((r = xml_optional(&cursor, NS, "participant", &el)) == 1)
		if ((r = parse_participant(s, el)) != 0)
			return r;
	if (r < 0 || (r = xml_expect_end(&cursor, NS, roster_el)) != 0)
		return r;
	if (s->roster->participant_count == 0)
		return err_set(CER_ERR_FORMAT, "line %d: the roster names no participant", roster_el->line);
	return 0;
}

static int parse_signoff(struct scenario *s, xmlNode *signoff_el, struct signoff_rule *rule)
{
	static const char *const attrs[] = {"role", "count", NULL};
	xmlNode *cursor = xml_children(signoff_el), *el;
	int r;

	if ((r = xml_check_attributes(signoff_el, no_attributes)) != 0)
		return r;
	while ((r = xml_optional(&cursor, NS, "require", &el)) == 1) {
		struct signoff_require *req;
		if (rule->require_count >= SCENARIO_REQUIRES_MAX)
			return err_set(CER_ERR_FORMAT, "line %d: more than %d terms in a sign-off rule", el->line,
			               SCENARIO_REQUIRES_MAX);
		req = &rule->requires[rule->require_count];
		if ((r = xml_check_attributes(el, attrs)) != 0 ||
		    (r = role_attribute(s, el, "role", &req->role)) != 0 ||
		    (r = count_attribute(el, "count", ROSTER_PARTICIPANTS_MAX, &req->count)) != 0)
			return r;
		/* <require> is empty: nothing inside it may pass unread (comments aside, as everywhere). */
		for (const xmlNode *n = el->children; n != NULL; n = n->next)
			if (n->type != XML_COMMENT_NODE)
				return err_set(CER_ERR_FORMAT, "line %d: <require> must be empty", el->line);
		for (size_t i = 0; i < rule->require_count; i++)
			if (rule->requires[i].role == req->role)
				return err_set(CER_ERR_FORMAT,
				               "line %d: role \"%s\" appears twice in one sign-off rule", el->line,
				               s->roles[req->role]);
		rule->require_count++;
	}
	if (r < 0 || (r = xml_expect_end(&cursor, NS, signoff_el)) != 0)
		return r;
	if (rule->require_count == 0)
		return err_set(CER_ERR_FORMAT, "line %d: a sign-off rule needs at least one <require>",
		               signoff_el->line);
	return 0;
}

static int parse_capture(struct scenario_step *st, xmlNode *el)
{
	static const char *const attrs[] = {"name", "pattern", NULL};
	struct scenario_capture *c;
	char name[SCENARIO_ID_MAX + 1];
	int r;

	if (st->capture_count >= SCENARIO_CAPTURES_MAX)
		return err_set(CER_ERR_FORMAT, "line %d: more than %d captures in a step", el->line,
		               SCENARIO_CAPTURES_MAX);
	if ((r = xml_check_attributes(el, attrs)) != 0 || (r = id_attribute(el, "name", name)) != 0)
		return r;
	for (size_t i = 0; i < st->capture_count; i++)
		if (strcmp(st->captures[i].name, name) == 0)
			return err_set(CER_ERR_FORMAT, "line %d: capture \"%s\" twice in step %s", el->line, name,
			               st->id);
	c = &st->captures[st->capture_count];
	memset(c, 0, sizeof(*c));
	st->capture_count++;
	if ((c->name = strdup(name)) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if ((r = xml_attribute(el, "pattern", SCENARIO_PATTERN_MAX, &c->pattern)) != 0 ||
	    (r = xml_text(el, SCENARIO_TEXT_MAX, &c->label)) != 0)
		return r;
	/* XML Schema regular expressions, compiled by libxml2 into an automaton; the match is always of
	 * the whole value. A non-deterministic pattern backtracks, within libxml2's fixed budget
	 * (common/xml.h): a hostile pattern costs at most about half a second per value, never a hang. */
	c->compiled = xml_regexp_compile(c->pattern);
	if (c->compiled == NULL)
		return err_set(CER_ERR_FORMAT,
		               "line %d: capture %s: pattern \"%s\" is not a valid XML Schema regular "
		               "expression",
		               el->line, name, c->pattern);
	return 0;
}

static int parse_attachment(struct scenario_step *st, xmlNode *el)
{
	static const char *const attrs[] = {"name", "store", NULL};
	struct scenario_attachment *a;
	char name[SCENARIO_ID_MAX + 1];
	int r;

	if (st->attachment_count >= SCENARIO_ATTACHMENTS_MAX)
		return err_set(CER_ERR_FORMAT, "line %d: more than %d attachments in a step", el->line,
		               SCENARIO_ATTACHMENTS_MAX);
	if ((r = xml_check_attributes(el, attrs)) != 0 || (r = id_attribute(el, "name", name)) != 0)
		return r;
	for (size_t i = 0; i < st->attachment_count; i++)
		if (strcmp(st->attachments[i].name, name) == 0)
			return err_set(CER_ERR_FORMAT, "line %d: attachment \"%s\" twice in step %s", el->line, name,
			               st->id);
	a = &st->attachments[st->attachment_count];
	memset(a, 0, sizeof(*a));
	st->attachment_count++;
	if ((a->name = strdup(name)) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	if ((r = bool_attribute(el, "store", &a->store)) != 0)
		return r;
	return xml_text(el, SCENARIO_TEXT_MAX, &a->label);
}

/* <key label="ID" [algorithm="NAME"] [sign="ATTACHMENT"]/> */
static int parse_key(struct scenario_step *st, xmlNode *el)
{
	static const char *const attrs[] = {"label", "algorithm", "sign", NULL};
	xmlChar *value;
	int r;

	if ((r = xml_check_attributes(el, attrs)) != 0 || (r = id_attribute(el, "label", st->key.label)) != 0)
		return r;
	if ((value = xmlGetNoNsProp(el, (const xmlChar *)"algorithm")) != NULL) {
		size_t len = strlen((const char *)value);
		r = len == 0 || len > SCENARIO_KEY_ALG_MAX ||
		                    strspn((const char *)value, "abcdefghijklmnopqrstuvwxyz0123456789-") != len
		            ? err_set(CER_ERR_FORMAT, "line %d: <key algorithm> is not an algorithm name", el->line)
		            : 0;
		if (r == 0)
			memcpy(st->key.algorithm, value, len + 1);
		xmlFree(value);
		if (r != 0)
			return r;
	}
	if (xmlHasProp(el, (const xmlChar *)"sign") != NULL && (r = id_attribute(el, "sign", st->key.sign_input)) != 0)
		return r;
	if (el->children != NULL)
		return err_set(CER_ERR_FORMAT, "line %d: <key> must be empty", el->line);
	st->has_key = 1;
	return 0;
}

/* <quorum threshold="T" role="ROLE"/> */
static int parse_quorum(const struct scenario *s, struct scenario_step *st, xmlNode *el)
{
	static const char *const attrs[] = {"threshold", "role", NULL};
	int r;

	if ((r = xml_check_attributes(el, attrs)) != 0 ||
	    (r = count_attribute(el, "threshold", SCENARIO_QUORUM_MAX, &st->quorum_threshold)) != 0 ||
	    (r = role_attribute(s, el, "role", &st->quorum_role)) != 0)
		return r;
	if (el->children != NULL)
		return err_set(CER_ERR_FORMAT, "line %d: <quorum> must be empty", el->line);
	st->has_quorum = 1;
	return 0;
}

static int parse_kind(const xmlNode *el, enum step_kind *out)
{
	xmlChar *value = xmlGetNoNsProp(el, (const xmlChar *)"kind");
	int r = 0;

	*out = STEP_MANUAL;
	if (value == NULL)
		return 0;
	r = CER_ERR_FORMAT;
	for (size_t k = 0; k < KIND_COUNT; k++)
		if (strcmp((const char *)value, kind_names[k]) == 0) {
			*out = (enum step_kind)k;
			r = 0;
		}
	/* The message is set only on failure: a known kind must not leave a stale error behind. */
	if (r != 0)
		r = err_set(CER_ERR_FORMAT, "line %d: unknown step kind \"%s\"", el->line, (const char *)value);
	xmlFree(value);
	return r;
}

static int parse_step(struct scenario *s, struct scenario_step *st, xmlNode *el)
{
	static const char *const attrs[] = {"id", "role", "kind", "confirm", NULL};
	xmlNode *cursor = xml_children(el), *child;
	int r;

	st->line = (unsigned)el->line;
	if ((r = xml_check_attributes(el, attrs)) != 0 || (r = id_attribute(el, "id", st->id)) != 0 ||
	    (r = role_attribute(s, el, "role", &st->role)) != 0 || (r = parse_kind(el, &st->kind)) != 0 ||
	    (r = bool_attribute(el, "confirm", &st->confirm)) != 0)
		return r;
	for (size_t i = 0; s->steps + i < st; i++)
		if (strcmp(s->steps[i].id, st->id) == 0)
			return err_set(CER_ERR_FORMAT, "line %d: step \"%s\" defined twice", el->line, st->id);
	if ((r = take_text(&cursor, "title", SCENARIO_TEXT_MAX, &st->title)) != 0 ||
	    (r = take_text(&cursor, "instructions", SCENARIO_TEXT_MAX, &st->instructions)) != 0 ||
	    (r = xml_expect(&cursor, NS, "signoff", &child)) != 0 || (r = parse_signoff(s, child, &st->signoff)) != 0)
		return r;
	st->captures = calloc(SCENARIO_CAPTURES_MAX, sizeof(*st->captures));
	st->attachments = calloc(SCENARIO_ATTACHMENTS_MAX, sizeof(*st->attachments));
	if (st->captures == NULL || st->attachments == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	while ((r = xml_optional(&cursor, NS, "capture", &child)) == 1)
		if ((r = parse_capture(st, child)) != 0)
			return r;
	if (r < 0)
		return r;
	while ((r = xml_optional(&cursor, NS, "attach", &child)) == 1)
		if ((r = parse_attachment(st, child)) != 0)
			return r;
	if (r < 0)
		return r;
	if ((r = xml_optional(&cursor, NS, "key", &child)) < 0 || (r == 1 && (r = parse_key(st, child)) != 0))
		return r;
	if ((r = xml_optional(&cursor, NS, "quorum", &child)) < 0 || (r == 1 && (r = parse_quorum(s, st, child)) != 0))
		return r;
	return xml_expect_end(&cursor, NS, el);
}

static int parse_steps(struct scenario *s, xmlNode *steps_el)
{
	xmlNode *cursor = xml_children(steps_el), *el;
	int r;

	if ((r = xml_check_attributes(steps_el, no_attributes)) != 0)
		return r;
	s->steps = calloc(SCENARIO_STEPS_MAX, sizeof(*s->steps));
	if (s->steps == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	while ((r = xml_optional(&cursor, NS, "step", &el)) == 1) {
		if (s->step_count >= SCENARIO_STEPS_MAX)
			return err_set(CER_ERR_FORMAT, "line %d: more than %d steps", el->line, SCENARIO_STEPS_MAX);
		/* Counted before parsing so that scenario_free() releases a half-parsed step. */
		if ((r = parse_step(s, &s->steps[s->step_count++], el)) != 0)
			return r;
	}
	if (r < 0 || (r = xml_expect_end(&cursor, NS, steps_el)) != 0)
		return r;
	if (s->step_count == 0)
		return err_set(CER_ERR_FORMAT, "line %d: no step defined", steps_el->line);
	return 0;
}

/* <restart> and <close>: each holds one <signoff>. */
static int parse_rule_section(struct scenario *s, xmlNode **cursor, const char *name, struct signoff_rule *rule)
{
	xmlNode *section, *inner, *signoff;
	int r;

	if ((r = xml_expect(cursor, NS, name, &section)) != 0 ||
	    (r = xml_check_attributes(section, no_attributes)) != 0)
		return r;
	inner = xml_children(section);
	if ((r = xml_expect(&inner, NS, "signoff", &signoff)) != 0 || (r = parse_signoff(s, signoff, rule)) != 0)
		return r;
	return xml_expect_end(&inner, NS, section);
}

static int parse_revision(xmlNode **cursor, unsigned *out)
{
	xmlNode *el;
	int r;

	if ((r = xml_expect(cursor, NS, "revision", &el)) != 0 || (r = xml_check_attributes(el, no_attributes)) != 0)
		return r;
	{
		char *text = NULL;
		unsigned long v = 0;
		if ((r = xml_text(el, 9, &text)) != 0)
			return r;
		for (const char *p = text; *p; p++) {
			if (*p < '0' || *p > '9' || (p == text && *p == '0')) {
				free(text);
				return err_set(CER_ERR_FORMAT, "line %d: <revision> must be a number from 1", el->line);
			}
			v = v * 10 + (unsigned long)(*p - '0');
		}
		r = text[0] == '\0' ? err_set(CER_ERR_FORMAT, "line %d: <revision> is empty", el->line) : 0;
		free(text);
		*out = (unsigned)v;
	}
	return r;
}

static int parse_scenario_element(struct scenario *s, xmlNode *root, int allow_template)
{
	static const char *const root_attrs[] = {"version", NULL};
	xmlNode *cursor = xml_children(root), *el;
	char *version = NULL, *id = NULL;
	int r;

	if ((r = xml_check_attributes(root, root_attrs)) != 0 || (r = xml_attribute(root, "version", 8, &version)) != 0)
		return r;
	r = strcmp(version, SCENARIO_VERSION) == 0
	            ? 0
	            : err_set(CER_ERR_UNSUPPORTED, "scenario format version \"%s\" (this build reads %s)", version,
	                      SCENARIO_VERSION);
	free(version);
	if (r != 0)
		return r;
	if ((r = take_text(&cursor, "id", SCENARIO_ID_MAX, &id)) != 0)
		return r;
	if (!roster_id_valid(id, strlen(id))) {
		r = err_set(CER_ERR_FORMAT, "<id> \"%s\" is not an id (a-z, 0-9, '.', '_', '-')", id);
		free(id);
		return r;
	}
	memcpy(s->id, id, strlen(id) + 1);
	free(id);
	if ((r = take_text(&cursor, "title", SCENARIO_TEXT_MAX, &s->title)) != 0 ||
	    (r = parse_revision(&cursor, &s->revision)) != 0 || (r = xml_expect(&cursor, NS, "roles", &el)) != 0 ||
	    (r = parse_roles(s, el)) != 0)
		return r;
	if ((r = xml_optional(&cursor, NS, "roster", &el)) < 0)
		return r;
	if (r == 1 && (r = parse_roster(s, el)) != 0)
		return r;
	if (s->roster == NULL && !allow_template)
		return err_set(CER_ERR_FORMAT,
		               "no <roster>: this is a template; make a scenario with 'ceremony scenario make'");
	if ((r = xml_expect(&cursor, NS, "steps", &el)) != 0 || (r = parse_steps(s, el)) != 0 ||
	    (r = parse_rule_section(s, &cursor, "restart", &s->restart_signoff)) != 0 ||
	    (r = parse_rule_section(s, &cursor, "close", &s->close_signoff)) != 0)
		return r;
	return xml_expect_end(&cursor, NS, root);
}

int scenario_parse(struct scenario **out, const uint8_t *bytes, size_t len, int allow_template)
{
	struct scenario *s = NULL;
	xmlDoc *doc = NULL;
	int r;

	*out = NULL;
	if (len > SCENARIO_BYTES_MAX)
		return err_set(CER_ERR_FORMAT, "scenario larger than %d bytes", SCENARIO_BYTES_MAX);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	sha256_digest(bytes, len, s->sha256);
	if ((r = xml_parse_strict(&doc, bytes, len, NS, "scenario", 1)) == 0 &&
	    (r = parse_scenario_element(s, xmlDocGetRootElement(doc), allow_template)) == 0) {
		*out = s;
		s = NULL;
	}
	xmlFreeDoc(doc);
	scenario_free(s);
	return r;
}

int scenario_load(struct scenario **out, const char *path, int allow_template, struct buf *bytes_out)
{
	struct buf bytes = buf_make(SCENARIO_BYTES_MAX);
	int r;

	*out = NULL;
	if ((r = file_read_all(path, bytes.limit, &bytes)) != 0)
		return r;
	if ((r = scenario_parse(out, bytes.data, bytes.len, allow_template)) != 0) {
		buf_free(&bytes);
		return err_context(r, "%s", path);
	}
	if (bytes_out != NULL) {
		buf_free(bytes_out);
		*bytes_out = bytes;
	} else {
		buf_free(&bytes);
	}
	return 0;
}

long scenario_find_step(const struct scenario *s, const char *id)
{
	for (size_t i = 0; i < s->step_count; i++)
		if (strcmp(s->steps[i].id, id) == 0)
			return (long)i;
	return -1;
}

int scenario_has_role(const struct scenario *s, size_t participant, size_t role)
{
	return s->participant_roles != NULL && participant < s->roster->participant_count &&
	       (s->participant_roles[participant] >> role & 1u) != 0;
}

int scenario_capture_matches(const struct scenario_capture *capture, const char *value)
{
	return capture->compiled != NULL && xmlRegexpExec(capture->compiled, (const xmlChar *)value) == 1;
}
