/* evidence/scenario: the strict parser (each refusal with its own message and line), sign-off rules
 * (distinct people, a bipartite matching that does not depend on the order of signers), capture
 * patterns (whole-value matches) and the meaning checks of `scenario check`. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common/error.h"
#include "common/hash.h"
#include "common/init.h"
#include "common/xml.h"
#include "evidence/scenario.h"
#include "helpers.h"

static struct test_keys keys;

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	test_keys_make(&keys);
}

static void teardown(void)
{
	test_keys_free(&keys);
}

TestSuite(scenario_parse, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(scenario_refuse, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(scenario_rules, .init = setup, .fini = teardown, .timeout = 30);
TestSuite(scenario_capture, .init = setup, .fini = teardown, .timeout = 30);
TestSuite(scenario_check, .init = setup, .fini = teardown, .timeout = 30);

enum { ALICE, BOB, CAROL }; /* roster indexes of the test scenario */

/* Parse `text` (a scenario, or a template when `allow_template`), expecting refusal with `code` and a
 * message that contains `needle`; the message must be one line. */
static void refuse_text(const char *text, size_t len, int allow_template, int code, const char *needle)
{
	struct scenario *s = NULL;
	int r = scenario_parse(&s, (const uint8_t *)text, len, allow_template);

	cr_assert_eq(r, code, "expected %d, got %d (%s) for [%s]", code, r, err_message(), needle);
	cr_assert_null(s);
	cr_assert(strstr(err_message(), needle) != NULL, "message \"%s\" lacks \"%s\"", err_message(), needle);
	cr_assert(strchr(err_message(), '\n') == NULL, "message is not one line: %s", err_message());
}

/* The test scenario with the first `from` replaced by `to`, refused with a FORMAT error holding `needle`. */
static void refuse_edit(const char *from, const char *to, const char *needle)
{
	char *base = test_scenario_xml(&keys), *text = test_replace(base, from, to);

	refuse_text(text, strlen(text), 0, CER_ERR_FORMAT, needle);
	free(text);
	free(base);
}

static struct scenario *parse_edit(const char *from, const char *to, int allow_template)
{
	char *base = test_scenario_xml(&keys), *text = test_replace(base, from, to);
	struct scenario *s = NULL;

	cr_assert_eq(scenario_parse(&s, (const uint8_t *)text, strlen(text), allow_template), 0, "%s", err_message());
	free(text);
	free(base);
	return s;
}

/* ---- parsing ---- */

Test(scenario_parse, reads_every_field)
{
	char *text = test_scenario_xml(&keys);
	struct scenario *s = NULL;
	uint8_t digest[32];

	cr_assert_eq(scenario_parse(&s, (const uint8_t *)text, strlen(text), 0), 0, "%s", err_message());
	cr_assert_str_eq(s->id, "test-1");
	cr_assert_str_eq(s->title, "Unit test ceremony");
	cr_assert_eq(s->revision, 3);
	cr_assert_eq(s->role_count, 3);
	cr_assert_str_eq(s->roles[1], "keymaster");
	cr_assert_str_eq(s->role_titles[2], "Witness");
	cr_assert_not_null(s->roster);
	cr_assert_eq(s->roster->participant_count, 3);
	cr_assert_eq(s->roster->key_count, 4, "carol's two keys, one person");
	cr_assert_str_eq(s->roster->participants[CAROL], "carol");
	cr_assert(scenario_has_role(s, ALICE, 0) && scenario_has_role(s, ALICE, 2) && !scenario_has_role(s, ALICE, 1));
	cr_assert(scenario_has_role(s, BOB, 1) && scenario_has_role(s, BOB, 2) && !scenario_has_role(s, BOB, 0));
	cr_assert(scenario_has_role(s, CAROL, 1) && !scenario_has_role(s, CAROL, 2));
	cr_assert(!scenario_has_role(s, 3, 0), "no participant 3");

	cr_assert_eq(s->step_count, 3);
	cr_assert_str_eq(s->steps[0].id, "room");
	cr_assert_eq(s->steps[0].line, 21);
	cr_assert_eq(s->steps[0].kind, STEP_MANUAL);
	cr_assert_eq(s->steps[0].role, 0);
	cr_assert_eq(s->steps[0].confirm, 0);
	cr_assert_str_eq(s->steps[0].instructions, "Look around.\nTwice.");
	cr_assert_eq(s->steps[0].capture_count, 1);
	cr_assert_str_eq(s->steps[0].captures[0].name, "serial");
	cr_assert_str_eq(s->steps[0].captures[0].pattern, "TEB-[0-9]{6}");
	cr_assert_str_eq(s->steps[0].captures[0].label, "Bag serial");
	cr_assert_eq(s->steps[1].confirm, 1);
	cr_assert_eq(s->steps[1].role, 1);
	cr_assert_eq(s->steps[1].attachment_count, 2);
	cr_assert(s->steps[1].attachments[0].store && !s->steps[1].attachments[1].store);
	cr_assert_eq(s->steps[1].signoff.require_count, 2);
	cr_assert_eq(s->steps[1].signoff.requires[0].role, 1);
	cr_assert_eq(s->steps[1].signoff.requires[0].count, 2);
	cr_assert_eq(s->restart_signoff.require_count, 2);
	cr_assert_eq(s->close_signoff.requires[1].count, 2);
	cr_assert_eq(scenario_find_step(s, "check"), 2);
	cr_assert_eq(scenario_find_step(s, "nope"), -1);
	sha256_digest((const uint8_t *)text, strlen(text), digest);
	cr_assert_arr_eq(s->sha256, digest, 32, "the hash is of the exact bytes parsed");
	scenario_free(s);
	free(text);
}

Test(scenario_parse, template_without_roster)
{
	char *base = test_scenario_xml(&keys);
	const char *from = strstr(base, "  <roster>"), *to = strstr(base, "  <steps>");
	char *text = NULL;
	struct scenario *s = NULL;

	cr_assert(asprintf(&text, "%.*s%s", (int)(from - base), base, to) > 0);
	cr_assert_eq(scenario_parse(&s, (const uint8_t *)text, strlen(text), 1), 0, "%s", err_message());
	cr_assert_null(s->roster);
	cr_assert_eq(s->step_count, 3);
	cr_assert(!scenario_has_role(s, 0, 0));
	scenario_free(s);
	refuse_text(text, strlen(text), 0, CER_ERR_FORMAT, "no <roster>: this is a template");
	free(text);
	free(base);
}

Test(scenario_parse, vault_kinds_parse)
{
	static const char *const kinds[] = {"vault-init", "vault-unseal",  "vault-generate", "vault-export",
	                                    "vault-sign", "vault-destroy", "vault-seal"};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char kind[64];
		snprintf(kind, sizeof(kind), "kind=\"%s\"", kinds[i]);
		struct scenario *s = parse_edit("kind=\"manual\"", kind, 0);
		cr_assert_eq(s->steps[1].kind, (enum step_kind)(STEP_VAULT_INIT + i));
		cr_assert_str_eq(step_kind_name(s->steps[1].kind), kinds[i]);
		scenario_free(s);
	}
}

/* ---- hostile and malformed input ---- */

Test(scenario_refuse, doctype_with_internal_entity)
{
	char *base = test_scenario_xml(&keys);
	char *text = test_replace(base, "<!-- the scenario of the unit tests -->",
	                          "<!DOCTYPE scenario [ <!ENTITY who \"alice\"> ]>");
	char *with_use = test_replace(text, "<id>test-1</id>", "<id>&who;</id>");

	refuse_text(with_use, strlen(with_use), 0, CER_ERR_FORMAT, "line 2: DOCTYPE or CDATA section refused");
	free(with_use);
	free(text);
	free(base);
}

Test(scenario_refuse, billion_laughs)
{
	static const char text[] =
	        "<?xml version=\"1.0\"?>\n"
	        "<!DOCTYPE scenario [\n"
	        " <!ENTITY a \"lollollollollollollollollollol\">\n"
	        " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	        " <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	        " <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
	        " <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
	        " <!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
	        " <!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
	        " <!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n"
	        " <!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">\n"
	        "]>\n"
	        "<scenario xmlns=\"urn:ceremony:scenario:1\" version=\"1\"><id>&i;</id></scenario>\n";

	refuse_text(text, sizeof(text) - 1, 1, CER_ERR_FORMAT, "line 2: DOCTYPE or CDATA section refused");
}

Test(scenario_refuse, external_entities_and_dtd)
{
	static const char system_dtd[] = "<?xml version=\"1.0\"?>\n"
	                                 "<!DOCTYPE scenario SYSTEM \"http://127.0.0.1:9/x\">\n"
	                                 "<scenario xmlns=\"urn:ceremony:scenario:1\" version=\"1\"/>\n";
	static const char entity[] = "<?xml version=\"1.0\"?>\n\n"
	                             "<!DOCTYPE scenario [<!ENTITY e SYSTEM \"http://127.0.0.1:9/x\">]>\n"
	                             "<scenario xmlns=\"urn:ceremony:scenario:1\" version=\"1\">&e;</scenario>\n";
	static const char parameter[] = "<?xml version=\"1.0\"?>\n"
	                                "<!DOCTYPE scenario [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>\n"
	                                "<scenario xmlns=\"urn:ceremony:scenario:1\" version=\"1\"/>\n";

	refuse_text(system_dtd, sizeof(system_dtd) - 1, 1, CER_ERR_FORMAT, "line 2: DOCTYPE or CDATA section refused");
	refuse_text(entity, sizeof(entity) - 1, 1, CER_ERR_FORMAT, "line 3: DOCTYPE or CDATA section refused");
	refuse_text(parameter, sizeof(parameter) - 1, 1, CER_ERR_FORMAT, "line 2: DOCTYPE or CDATA section refused");
}

Test(scenario_refuse, excessive_depth)
{
	static const char head[] =
	        "<?xml version=\"1.0\"?>\n<scenario xmlns=\"urn:ceremony:scenario:1\" version=\"1\">\n";
	size_t depth = 10000, len = 0;
	char *text = malloc(sizeof(head) + depth * 7 + 32);

	cr_assert_not_null(text);
	memcpy(text, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	for (size_t i = 0; i < depth; i++, len += 3)
		memcpy(text + len, "<x>", 3);
	for (size_t i = 0; i < depth; i++, len += 4)
		memcpy(text + len, "</x>", 4);
	memcpy(text + len, "\n</scenario>\n", 13);
	len += 13;
	refuse_text(text, len, 1, CER_ERR_FORMAT, "line 3: Excessive depth in document");
	free(text);
}

Test(scenario_refuse, size_limit)
{
	size_t len = SCENARIO_BYTES_MAX + 1;
	char *text = malloc(len);

	cr_assert_not_null(text);
	memset(text, ' ', len);
	refuse_text(text, len, 1, CER_ERR_FORMAT, "scenario larger than 1048576 bytes");
	free(text);
}

Test(scenario_refuse, unknown_elements)
{
	refuse_edit("  <roles>", "  <owner>mallory</owner>\n  <roles>",
	            "line 7: unexpected element <owner> (expected <roles>)");
	refuse_edit("      <attach name=\"log\">Log</attach>\n", "      <attach name=\"log\">Log</attach><run/>\n",
	            "line 33: unexpected element <run> in <step>");
	/* Order matters: an attachment before a capture is unexpected. */
	refuse_edit("      <capture name=\"serial\" pattern=\"TEB-[0-9]{6}\">Bag serial</capture>\n",
	            "      <attach name=\"a\">A</attach><capture name=\"serial\" pattern=\"x\">Bag serial</capture>\n",
	            "line 26: unexpected element <capture> in <step>");
	refuse_edit("</scenario>", "<extra/></scenario>", "line 44: unexpected element <extra> in <scenario>");
	refuse_edit("<role id=\"lead\">Lead</role>", "<role xmlns=\"urn:other\" id=\"lead\">Lead</role>",
	            "line 8: element <role> is not in namespace urn:ceremony:scenario:1");
	refuse_edit("<title>Check the room</title>", "<title>Check <b>the</b> room</title>",
	            "line 22: <title> must hold text only");
	refuse_edit("<title>Check the room</title>", "<title>Check <!-- x --> the room</title>",
	            "line 22: <title> must hold text only");
	refuse_edit("    <step id=\"room\"", "    stray <step id=\"room\"", "line 21: unexpected text or node");
	/* <require> is empty: no element, no text inside it (a comment is allowed, as between elements). */
	refuse_edit("<require role=\"lead\" count=\"1\"/>", "<require role=\"lead\" count=\"1\"><any/></require>",
	            "line 25: <require> must be empty");
	refuse_edit("<require role=\"lead\" count=\"1\"/>", "<require role=\"lead\" count=\"1\">2</require>",
	            "line 25: <require> must be empty");
	{
		struct scenario *s = parse_edit("<require role=\"lead\" count=\"1\"/>",
		                                "<require role=\"lead\" count=\"1\"><!-- the lead --></require>", 0);
		cr_assert_eq(s->steps[0].signoff.requires[0].count, 1);
		scenario_free(s);
	}
	refuse_edit("<scenario xmlns=\"urn:ceremony:scenario:1\"", "<scenario xmlns=\"urn:ceremony:scenario:2\"",
	            "line 3: root element must be <scenario xmlns=\"urn:ceremony:scenario:1\">");
}

Test(scenario_refuse, unknown_attributes)
{
	refuse_edit("<step id=\"open\" role=\"keymaster\"", "<step id=\"open\" role=\"keymaster\" skip=\"true\"",
	            "line 28: unknown attribute skip on <step>");
	refuse_edit("<require role=\"lead\" count=\"1\"/>", "<require role=\"lead\" count=\"1\" weight=\"2\"/>",
	            "line 25: unknown attribute weight on <require>");
	refuse_edit("<participant id=\"bob\"", "<participant xml:lang=\"en\" id=\"bob\"",
	            "line 14: namespaced attribute lang on <participant>");
	refuse_edit("<roles>", "<roles n=\"3\">", "line 7: unknown attribute n on <roles>");
}

Test(scenario_refuse, duplicates)
{
	refuse_edit("<step id=\"check\"", "<step id=\"room\"", "line 35: step \"room\" defined twice");
	refuse_edit("<role id=\"witness\">", "<role id=\"lead\">", "line 10: role \"lead\" defined twice");
	refuse_edit("<participant id=\"bob\"", "<participant id=\"alice\"",
	            "line 14: participant \"alice\" listed twice");
	refuse_edit("<require role=\"witness\" count=\"1\"/></signoff>\n      <capture name=\"serial\"",
	            "<require role=\"lead\" count=\"1\"/></signoff>\n      <capture name=\"serial\"",
	            "line 25: role \"lead\" appears twice in one sign-off rule");
	refuse_edit("<attach name=\"log\">", "<attach name=\"photo\">",
	            "line 33: attachment \"photo\" twice in step open");
	refuse_edit("<capture name=\"serial\" pattern=\"TEB-[0-9]{6}\">Bag serial</capture>",
	            "<capture name=\"serial\" pattern=\"TEB-[0-9]{6}\">Bag serial</capture><capture name=\"serial\" "
	            "pattern=\"x\">Again</capture>",
	            "line 26: capture \"serial\" twice in step room");
}

/* A participant's key line, as the roster holds it; caller frees. */
static char *key_text(int index)
{
	struct buf line = buf_make(1024);
	char *text;

	cr_assert_eq(sshkey_public_format_line(&keys.key[index]->public_key, &line), 0);
	text = strdup((const char *)line.data);
	buf_free(&line);
	return text;
}

Test(scenario_refuse, keys)
{
	char *alice = key_text(TEST_ALICE), *bob = key_text(TEST_BOB), *base = test_scenario_xml(&keys), *text;

	/* One key under two participants: people would be counted twice. */
	text = test_replace(base, bob, alice);
	refuse_text(text, strlen(text), 0, CER_ERR_FORMAT, "line 14: participant bob: ");
	free(text);
	text = test_replace(base, bob, "ssh-ed25519 AAAA!!!!");
	refuse_text(text, strlen(text), 0, CER_ERR_FORMAT, "line 14: participant bob: key is not valid base64");
	free(text);
	text = test_replace(base, bob, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ");
	refuse_text(text, strlen(text), 0, CER_ERR_UNSUPPORTED,
	            "line 14: participant bob: unsupported key type \"ssh-rsa\"");
	free(text);
	free(base);
	free(alice);
	free(bob);
	refuse_edit("<participant id=\"bob\" roles=\"keymaster witness\"><key>",
	            "<participant id=\"bob\" roles=\"keymaster witness\"><note>x</note><key>",
	            "line 14: unexpected element <note> in <participant>");
	refuse_edit("    <participant id=\"carol\" roles=\"keymaster\">\n      <key>",
	            "    <participant id=\"carol\" roles=\"keymaster\"></participant>\n    <participant id=\"dave\" "
	            "roles=\"witness\">\n      <key>",
	            "line 15: participant carol has no key");
	refuse_edit("  <roster>\n", "  <roster></roster>\n  <roster>\n", "line 12: the roster names no participant");
}

Test(scenario_refuse, unknown_roles)
{
	refuse_edit("<step id=\"check\" role=\"lead\"", "<step id=\"check\" role=\"janitor\"",
	            "line 35: unknown role \"janitor\"");
	refuse_edit("<require role=\"keymaster\" count=\"2\"/>", "<require role=\"janitor\" count=\"2\"/>",
	            "line 31: unknown role \"janitor\"");
	refuse_edit("roles=\"keymaster witness\"", "roles=\"keymaster janitor\"", "line 14: unknown role \"janitor\"");
	refuse_edit("roles=\"keymaster\"", "roles=\"  \"", "line 15: a participant needs at least one role");
}

Test(scenario_refuse, bad_values)
{
	{
		char *base = test_scenario_xml(&keys), *text = test_replace(base, "version=\"1\">", "version=\"2\">");
		refuse_text(text, strlen(text), 0, CER_ERR_UNSUPPORTED,
		            "scenario format version \"2\" (this build reads 1)");
		free(text);
		free(base);
	}
	refuse_edit("version=\"1\">", ">", "line 3: <scenario> lacks attribute version");
	refuse_edit("<id>test-1</id>", "<id>Test 1</id>", "<id> \"Test 1\" is not an id");
	refuse_edit("<revision>3</revision>", "<revision>03</revision>", "line 6: <revision> must be a number from 1");
	refuse_edit("<revision>3</revision>", "<revision></revision>", "line 6: <revision> is empty");
	refuse_edit("<step id=\"room\"", "<step id=\"Room!\"", "line 21: id \"Room!\" is not an id");
	refuse_edit("count=\"2\"", "count=\"0\"", "line 31: count must be a number from 1 to 256");
	refuse_edit("count=\"2\"", "count=\"257\"", "line 31: count must be a number from 1 to 256");
	refuse_edit("count=\"2\"", "count=\" 2\"", "line 31: count must be a number from 1 to 256");
	refuse_edit("confirm=\"true\"", "confirm=\"yes\"", "line 28: confirm must be true or false");
	refuse_edit("store=\"true\"", "store=\"1\"", "line 32: store must be true or false");
	refuse_edit("kind=\"manual\"", "kind=\"vault-wipe\"", "line 28: unknown step kind \"vault-wipe\"");
	refuse_edit("<step id=\"room\" role=\"lead\">", "<step id=\"room\">", "line 21: <step> lacks attribute role");
	refuse_edit("<roles>\n    <role id=\"lead\">Lead</role>", "<roles>\n    <role>Lead</role>",
	            "line 8: <role> lacks attribute id");
	refuse_edit("pattern=\"TEB-[0-9]{6}\"", "", "line 26: <capture> lacks attribute pattern");
}

/* Run scenario_parse with stderr captured: nothing may be printed (errors are ours, one line). */
static void refuse_silently(const char *from, const char *to, const char *needle)
{
	char *dir = test_tmpdir("scenario-stderr"), *path = NULL, *printed;
	int saved = dup(2), fd;
	size_t len = 0;

	cr_assert(asprintf(&path, "%s/stderr", dir) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0 && saved >= 0);
	fflush(stderr);
	cr_assert(dup2(fd, 2) == 2);
	close(fd);
	refuse_edit(from, to, needle);
	fflush(stderr);
	cr_assert(dup2(saved, 2) == 2);
	close(saved);
	printed = test_read_file(path, &len);
	cr_assert_eq(len, 0, "libxml2 printed on stderr: %s", printed);
	free(printed);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

Test(scenario_refuse, bad_patterns)
{
	refuse_silently("pattern=\"[0-9a-f]{64}\"", "pattern=\"[0-9a-f\"",
	                "line 39: capture fp: pattern \"[0-9a-f\" is not a valid XML Schema regular expression");
	refuse_silently("pattern=\"[0-9a-f]{64}\"", "pattern=\"(a\"",
	                "line 39: capture fp: pattern \"(a\" is not a valid XML Schema regular expression");
	refuse_silently("pattern=\"[0-9a-f]{64}\"", "pattern=\"[z-a]\"", "line 39: capture fp: pattern \"[z-a]\"");
	refuse_silently("pattern=\"[0-9a-f]{64}\"", "pattern=\"\\p{Foo}\"",
	                "line 39: capture fp: pattern \"\\p{Foo}\"");
	{
		char long_pattern[SCENARIO_PATTERN_MAX + 32];
		memset(long_pattern, 0, sizeof(long_pattern));
		memcpy(long_pattern, "pattern=\"", 9);
		memset(long_pattern + 9, 'a', SCENARIO_PATTERN_MAX + 1);
		long_pattern[9 + SCENARIO_PATTERN_MAX + 1] = '"';
		refuse_edit("pattern=\"[0-9a-f]{64}\"", long_pattern,
		            "line 39: attribute pattern longer than 256 bytes");
	}
}

Test(scenario_refuse, cdata_pi_nul_utf8)
{
	refuse_edit("<title>Check the room</title>", "<title><![CDATA[Check the room]]></title>",
	            "line 22: DOCTYPE or CDATA section refused");
	refuse_edit("  <steps>\n", "  <?run rm -rf /?>\n  <steps>\n", "line 20: processing instruction refused");
	refuse_edit("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", "\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
	            "line 2: processing instruction refused");
	refuse_edit("Check the room", "Check the room\xc3\x28", "line 22: Input is not proper UTF-8");
	refuse_edit("Check the room", "Check the room\xed\xa0\x80", "line 22: ");
	refuse_edit("Check the room", "Check the room&#x1;", "line 22: ");
	refuse_edit("Look around.", "Look&#13;around.", "line 23: control character in <instructions>");
	{
		char *base = test_scenario_xml(&keys);
		size_t len = strlen(base);
		char *at = strstr(base, "Check the room");
		at[5] = '\0'; /* "Check\0the room" on line 22 */
		refuse_text(base, len, 0, CER_ERR_FORMAT, "line 22: NUL byte");
		free(base);
	}
}

/* ---- sign-off rules ---- */

static int met(const struct scenario *s, const struct signoff_rule *rule, size_t n, ...)
{
	size_t people[8];
	va_list ap;

	cr_assert(n <= 8);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		people[i] = va_arg(ap, size_t);
	va_end(ap);
	return signoff_rule_met(s, rule, people, n);
}

Test(scenario_rules, distinct_people)
{
	struct scenario *s = test_scenario_make(&keys);
	const struct signoff_rule *open = &s->steps[1].signoff; /* keymaster:2 + witness:1 */

	cr_assert(met(s, open, 3, (size_t)BOB, (size_t)CAROL, (size_t)ALICE));
	cr_assert(!met(s, open, 2, (size_t)BOB, (size_t)CAROL), "two people cannot fill three places");
	cr_assert(!met(s, open, 2, (size_t)CAROL, (size_t)ALICE), "one key master is not two");
	cr_assert(!met(s, open, 0));
	scenario_free(s);
}

Test(scenario_rules, one_person_with_two_roles_counts_once)
{
	struct scenario *s = test_scenario_make(&keys);
	const struct signoff_rule *check = &s->steps[2].signoff; /* witness:1 + keymaster:1 */

	/* bob is both a witness and a key master: still one person, one place. */
	cr_assert(!met(s, check, 1, (size_t)BOB));
	cr_assert(met(s, check, 2, (size_t)BOB, (size_t)CAROL));
	/* carol has two keys but is one person: the caller passes her once, and once is not two. */
	cr_assert(!met(s, &s->steps[1].signoff, 2, (size_t)CAROL, (size_t)ALICE));
	scenario_free(s);
}

Test(scenario_rules, order_of_signers_does_not_matter)
{
	struct scenario *s = test_scenario_make(&keys);
	const struct signoff_rule *check = &s->steps[2].signoff; /* witness:1 + keymaster:1 */

	/* Greedy fails on [bob, alice]: bob takes the witness place (the first term, and his first
	 * role that fits), and alice, a witness, is no key master. A matching moves bob to the key master
	 * place and gives alice the witness place. */
	cr_assert(met(s, check, 2, (size_t)BOB, (size_t)ALICE));
	cr_assert(met(s, check, 2, (size_t)ALICE, (size_t)BOB));
	/* Neither order meets what the people cannot: room needs the lead, and only alice is the lead. */
	cr_assert(!met(s, &s->steps[0].signoff, 2, (size_t)BOB, (size_t)CAROL));
	cr_assert(!met(s, &s->steps[0].signoff, 2, (size_t)CAROL, (size_t)BOB));
	/* close: lead:1 + keymaster:2, every order of the three people. */
	{
		static const size_t orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
		for (int i = 0; i < 6; i++)
			cr_assert(signoff_rule_met(s, &s->close_signoff, orders[i], 3), "order %d", i);
	}
	/* A longer chain of moves: keymaster:2 + witness:1 signed bob (both), carol (keymaster), alice (witness),
	 * in every order. */
	{
		static const size_t orders[6][3] = {{1, 2, 0}, {1, 0, 2}, {2, 1, 0}, {2, 0, 1}, {0, 1, 2}, {0, 2, 1}};
		for (int i = 0; i < 6; i++)
			cr_assert(signoff_rule_met(s, &s->steps[1].signoff, orders[i], 3), "order %d", i);
	}
	scenario_free(s);
}

Test(scenario_rules, format)
{
	struct scenario *s = test_scenario_make(&keys);
	struct buf text = buf_make(1024);

	cr_assert_eq(signoff_rule_format(s, &s->steps[1].signoff, &text), 0);
	cr_assert_str_eq((const char *)text.data, "2 keymaster + 1 witness");
	buf_free(&text);
	scenario_free(s);
}

/* ---- capture patterns ---- */

static int matches(const char *pattern, const char *value)
{
	struct scenario_capture c = {.name = NULL, .pattern = NULL, .label = NULL, .compiled = NULL};
	int m;

	c.compiled = xml_regexp_compile(pattern);
	cr_assert_not_null(c.compiled, "pattern %s", pattern);
	m = scenario_capture_matches(&c, value);
	xmlRegFreeRegexp(c.compiled);
	return m;
}

Test(scenario_capture, whole_value)
{
	struct scenario *s = test_scenario_make(&keys);
	const struct scenario_capture *serial = &s->steps[0].captures[0], *fp = &s->steps[2].captures[0];

	cr_assert(scenario_capture_matches(serial, "TEB-123456"));
	cr_assert(!scenario_capture_matches(serial, "TEB-12345"));
	cr_assert(!scenario_capture_matches(serial, "TEB-1234567"), "no match of a prefix");
	cr_assert(!scenario_capture_matches(serial, "xTEB-123456"), "no match of a suffix");
	cr_assert(!scenario_capture_matches(serial, "TEB-123456\n"));
	cr_assert(!scenario_capture_matches(serial, " TEB-123456"));
	cr_assert(!scenario_capture_matches(serial, ""));
	cr_assert(!scenario_capture_matches(serial, "teb-123456"));
	cr_assert(scenario_capture_matches(fp, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	cr_assert(!scenario_capture_matches(fp, "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	cr_assert(!scenario_capture_matches(fp, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"));
	scenario_free(s);
}

Test(scenario_capture, anchoring)
{
	/* Alternation is anchored as a whole, not branch by branch. */
	cr_assert(matches("a|bc", "a"));
	cr_assert(matches("a|bc", "bc"));
	cr_assert(!matches("a|bc", "abc"));
	cr_assert(!matches("a|bc", "ab"));
	/* ^ and $ are ordinary characters in XML Schema regular expressions: the match is always whole. */
	cr_assert(!matches("^a$", "a"));
	cr_assert(matches("^a$", "^a$"));
	cr_assert(matches(".*", ""));
	cr_assert(!matches(".*", "a\nb"), "'.' does not match a line break");
	cr_assert(matches("[0-9]{1,3}", "42"));
	cr_assert(!matches("[0-9]{1,3}", "4242"));
}

Test(scenario_capture, hostile_pattern_gives_up)
{
	/* A non-deterministic pattern on a long value: libxml2 gives up within its budget, "no match". */
	char value[4097];

	memset(value, 'a', sizeof(value) - 2);
	value[sizeof(value) - 2] = 'b';
	value[sizeof(value) - 1] = '\0';
	cr_assert(!matches("(a|aa)*", value));
}

/* ---- scenario check ---- */

static size_t check_text(const struct scenario *s, struct buf *problems)
{
	buf_reset(problems);
	cr_assert_eq(buf_append(problems, "", 0), 0);
	return scenario_check(s, problems);
}

static size_t lines_in(const struct buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

Test(scenario_check, clean)
{
	struct scenario *s = test_scenario_make(&keys);
	struct buf problems = buf_make(65536);

	cr_assert_eq(check_text(s, &problems), 0, "%s", (const char *)problems.data);
	cr_assert_eq(problems.len, 0);
	buf_free(&problems);
	scenario_free(s);
}

Test(scenario_check, one_person_alone)
{
	struct scenario *s =
	        parse_edit("<require role=\"lead\" count=\"1\"/><require role=\"witness\" count=\"1\"/></signoff>\n"
	                   "      <capture",
	                   "<require role=\"lead\" count=\"1\"/></signoff>\n      <capture", 0);
	struct buf problems = buf_make(65536);

	cr_assert_eq(check_text(s, &problems), 1, "%s", (const char *)problems.data);
	cr_assert_str_eq((const char *)problems.data, "step room (line 21): the sign-off rule can be met by one person "
	                                              "alone (a ceremony needs at least two people on every record)\n");
	scenario_free(s);
	s = parse_edit("<restart><signoff><require role=\"lead\" count=\"1\"/><require role=\"witness\" count=\"1\"/>",
	               "<restart><signoff><require role=\"witness\" count=\"1\"/>", 0);
	cr_assert_eq(check_text(s, &problems), 1, "%s", (const char *)problems.data);
	cr_assert(strstr((const char *)problems.data, "restart: the sign-off rule can be met by one person alone") ==
	          (const char *)problems.data);
	buf_free(&problems);
	scenario_free(s);
}

Test(scenario_check, roster_cannot_meet)
{
	struct scenario *s = parse_edit(
	        "<close><signoff><require role=\"lead\" count=\"1\"/><require role=\"keymaster\" count=\"2\"/>",
	        "<close><signoff><require role=\"lead\" count=\"1\"/><require role=\"keymaster\" count=\"3\"/>", 0);
	struct buf problems = buf_make(65536);

	cr_assert_eq(check_text(s, &problems), 1, "%s", (const char *)problems.data);
	cr_assert_str_eq(
	        (const char *)problems.data,
	        "close: the sign-off rule (1 lead + 3 keymaster, distinct people) cannot be met by the roster\n");
	scenario_free(s);
	/* Enough people of each role, but not enough people: bob cannot be both the witness and a key master. */
	s = parse_edit("<require role=\"keymaster\" count=\"2\"/><require role=\"witness\" count=\"1\"/>",
	               "<require role=\"keymaster\" count=\"2\"/><require role=\"witness\" count=\"2\"/>", 0);
	cr_assert_eq(check_text(s, &problems), 1, "%s", (const char *)problems.data);
	cr_assert_str_eq((const char *)problems.data,
	                 "step open (line 28): the sign-off rule (2 keymaster + 2 witness, "
	                 "distinct people) cannot be met by the roster\n");
	buf_free(&problems);
	scenario_free(s);
}

Test(scenario_check, acting_role_nobody_holds)
{
	char *base = test_scenario_xml(&keys);
	char *more_roles = test_replace(base, "  </roles>", "    <role id=\"auditor\">Auditor</role>\n  </roles>");
	char *text =
	        test_replace(more_roles, "<step id=\"check\" role=\"lead\">", "<step id=\"check\" role=\"auditor\">");
	struct scenario *s = NULL;
	struct buf problems = buf_make(65536);

	cr_assert_eq(scenario_parse(&s, (const uint8_t *)text, strlen(text), 0), 0, "%s", err_message());
	cr_assert_eq(check_text(s, &problems), 1, "%s", (const char *)problems.data);
	cr_assert_str_eq((const char *)problems.data,
	                 "step check (line 36): nobody in the roster holds the acting role auditor\n");
	buf_free(&problems);
	scenario_free(s);
	free(text);
	free(more_roles);
	free(base);
}

/* The step "open" made a vault step of `kind`, with `key` (an element, or "") after its attachments. */
static struct scenario *vault_step(const char *kind, const char *key)
{
	char *base = test_scenario_xml(&keys), *one, *two, kind_attr[64], with_key[256];
	struct scenario *s = NULL;

	snprintf(kind_attr, sizeof(kind_attr), "kind=\"%s\"", kind);
	snprintf(with_key, sizeof(with_key), "<attach name=\"log\">Log</attach>%s", key);
	one = test_replace(base, "kind=\"manual\"", kind_attr);
	two = test_replace(one, "<attach name=\"log\">Log</attach>", with_key);
	cr_assert_eq(scenario_parse(&s, (const uint8_t *)two, strlen(two), 0), 0, "%s", err_message());
	free(base);
	free(one);
	free(two);
	return s;
}

static void assert_only_problem(struct scenario *s, const char *problem)
{
	struct buf problems = buf_make(65536);

	cr_assert_eq(check_text(s, &problems), problem[0] ? 1 : 0, "%s", (const char *)problems.data);
	cr_assert_str_eq((const char *)problems.data, problem);
	buf_free(&problems);
	scenario_free(s);
}

Test(scenario_check, vault_steps_name_their_key_as_the_vault_needs)
{
	assert_only_problem(vault_step("vault-unseal", ""), "");
	assert_only_problem(vault_step("vault-seal", ""), "");
	assert_only_problem(vault_step("vault-generate", "<key label=\"fw\" algorithm=\"ecdsa-p384\"/>"), "");
	assert_only_problem(vault_step("vault-export", "<key label=\"fw\"/>"), "");
	assert_only_problem(vault_step("vault-destroy", "<key label=\"fw\"/>"), "");
	assert_only_problem(vault_step("vault-sign", "<key label=\"fw\" algorithm=\"ed25519\" sign=\"photo\"/>"), "");
	assert_only_problem(vault_step("vault-init", ""),
	                    "step open (line 28): a vault-init step must name its quorum: <quorum threshold=\"T\" "
	                    "role=\"ROLE\"/>\n");
	assert_only_problem(vault_step("vault-init", "<quorum threshold=\"2\" role=\"keymaster\"/>"), "");
	assert_only_problem(vault_step("vault-init", "<quorum threshold=\"1\" role=\"keymaster\"/>"),
	                    "step open (line 28): the quorum's threshold must be at least 2: one key master alone must "
	                    "not open the vault\n");
	assert_only_problem(vault_step("vault-init", "<quorum threshold=\"3\" role=\"keymaster\"/>"),
	                    "step open (line 28): the quorum needs 3 to 32 key masters holding keymaster, the roster "
	                    "has 2\n");
	assert_only_problem(vault_step("vault-seal", "<quorum threshold=\"2\" role=\"keymaster\"/>"),
	                    "step open (line 28): only a vault-init step names a <quorum>\n");
	assert_only_problem(vault_step("vault-generate", ""),
	                    "step open (line 28): a vault step that works on a key must name it: <key label=\"...\" "
	                    ".../>\n");
	assert_only_problem(vault_step("vault-generate", "<key label=\"fw\"/>"),
	                    "step open (line 28): a vault-generate step must name the key's algorithm\n");
	assert_only_problem(vault_step("vault-generate", "<key label=\"fw\" algorithm=\"rsa-1024\"/>"),
	                    "step open (line 28): the key's algorithm is not one the vault makes (ecdsa-p256, "
	                    "ecdsa-p384, rsa-3072, rsa-4096, ed25519)\n");
	assert_only_problem(vault_step("vault-sign", "<key label=\"fw\"/>"),
	                    "step open (line 28): a vault-sign step must name the attachment it signs: <key ... "
	                    "sign=\"ATTACHMENT\"/>\n");
	assert_only_problem(vault_step("vault-sign", "<key label=\"fw\" sign=\"firmware\"/>"),
	                    "step open (line 28): the attachment the step signs is not one of its <attach>\n");
	assert_only_problem(vault_step("vault-export", "<key label=\"fw\" sign=\"photo\"/>"),
	                    "step open (line 28): only a vault-sign step signs an attachment\n");
	assert_only_problem(vault_step("vault-seal", "<key label=\"fw\"/>"),
	                    "step open (line 28): only vault-generate, vault-export, vault-sign and vault-destroy "
	                    "steps name a <key>\n");
	assert_only_problem(vault_step("manual", "<key label=\"fw\"/>"),
	                    "step open (line 28): only vault-generate, vault-export, vault-sign and vault-destroy "
	                    "steps name a <key>\n");
}

Test(scenario_refuse, malformed_key)
{
	const char *cases[][2] = {
	        {"<key/>", "label"},
	        {"<key label=\"Fw\"/>", "label"},
	        {"<key label=\"fw\" algorithm=\"\"/>", "<key algorithm> is not an algorithm name"},
	        {"<key label=\"fw\" algorithm=\"ECDSA\"/>", "<key algorithm> is not an algorithm name"},
	        {"<key label=\"fw\" colour=\"red\"/>", "colour"},
	        {"<key label=\"fw\">text</key>", "<key> must be empty"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *base = test_scenario_xml(&keys), *text, with[128];
		struct scenario *s = NULL;
		snprintf(with, sizeof(with), "<attach name=\"log\">Log</attach>%s", cases[i][0]);
		text = test_replace(base, "<attach name=\"log\">Log</attach>", with);
		cr_assert_eq(scenario_parse(&s, (const uint8_t *)text, strlen(text), 0), CER_ERR_FORMAT, "%s",
		             cases[i][0]);
		cr_assert(strstr(err_message(), cases[i][1]) != NULL, "%s: %s", cases[i][0], err_message());
		cr_assert_null(s);
		free(text);
		free(base);
	}
}

Test(scenario_check, several_problems_one_line_each)
{
	struct scenario *s = NULL;
	struct buf problems = buf_make(65536);
	char *base = test_scenario_xml(&keys);
	char *one = test_replace(base, "kind=\"manual\"", "kind=\"vault-sign\"");
	char *two = test_replace(one, "<require role=\"lead\" count=\"1\"/><require role=\"keymaster\" count=\"2\"/>",
	                         "<require role=\"lead\" count=\"5\"/>");
	char *three = test_replace(two, "<restart><signoff><require role=\"lead\" count=\"1\"/>", "<restart><signoff>");
	size_t n;

	cr_assert_eq(scenario_parse(&s, (const uint8_t *)three, strlen(three), 0), 0, "%s", err_message());
	n = check_text(s, &problems);
	/* the vault step without its key; restart alone; close not met by the roster (one lead, not five) */
	cr_assert_eq(n, 3, "%s", (const char *)problems.data);
	cr_assert_eq(lines_in(&problems), n);
	cr_assert_str_eq(
	        (const char *)problems.data,
	        "step open (line 28): a vault step that works on a key must name it: <key label=\"...\" .../>\n"
	        "restart: the sign-off rule can be met by one person alone (a ceremony needs at least two "
	        "people on every record)\n"
	        "close: the sign-off rule (5 lead, distinct people) cannot be met by the roster\n");
	free(three);
	free(two);
	free(one);
	free(base);
	buf_free(&problems);
	scenario_free(s);
}

Test(scenario_check, template_is_checked_without_roster)
{
	char *base = test_scenario_xml(&keys);
	const char *from = strstr(base, "  <roster>"), *to = strstr(base, "  <steps>");
	char *text = NULL, *more;
	struct scenario *s = NULL;
	struct buf problems = buf_make(65536);

	cr_assert(asprintf(&text, "%.*s%s", (int)(from - base), base, to) > 0);
	/* Without a roster, "the roster cannot meet" and "nobody holds" do not apply; "alone" does. */
	more = test_replace(
	        text, "<close><signoff><require role=\"lead\" count=\"1\"/><require role=\"keymaster\" count=\"2\"/>",
	        "<close><signoff><require role=\"keymaster\" count=\"1\"/>");
	cr_assert_eq(scenario_parse(&s, (const uint8_t *)more, strlen(more), 1), 0, "%s", err_message());
	cr_assert_eq(check_text(s, &problems), 1, "%s", (const char *)problems.data);
	cr_assert(strncmp((const char *)problems.data, "close: the sign-off rule can be met by one person alone", 55) ==
	          0);
	buf_free(&problems);
	scenario_free(s);
	free(more);
	free(text);
	free(base);
}
