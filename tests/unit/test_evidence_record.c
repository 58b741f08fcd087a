/* evidence/record: records serialize to the exact bytes people sign and parse back; record_parse
 * refuses, with its own message, everything that is not exactly the format (docs/formats/record.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/init.h"
#include "evidence/record.h"
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

TestSuite(record_roundtrip, .init = setup, .fini = teardown, .timeout = 30);
TestSuite(record_refuse, .init = setup, .fini = teardown, .timeout = 30);

#define SCENARIO_HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define PREVIOUS_HEX "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

/* A step record, byte for byte as record_serialize() writes it. Line numbers matter to the tests. */
static const char STEP_XML[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" /* 1 */
        "<record xmlns=\"urn:ceremony:record:1\" version=\"1\">\n" /* 2 */
        "  <ceremony>demo-1</ceremony>\n" /* 3 */
        "  <scenario-sha256>" SCENARIO_HEX "</scenario-sha256>\n" /* 4 */
        "  <session>1</session>\n" /* 5 */
        "  <sequence>3</sequence>\n" /* 6 */
        "  <previous-sha256>" PREVIOUS_HEX "</previous-sha256>\n" /* 7 */
        "  <step>witness.check</step>\n" /* 8 */
        "  <type>step</type>\n" /* 9 */
        "  <time>2025-01-02T03:04:05Z</time>\n" /* 10 */
        "  <actor>alice</actor>\n" /* 11 */
        "  <payload>\n" /* 12 */
        "    <value name=\"fingerprint\">SHA256:x &lt;y&gt; &amp; &quot;q&quot; &apos;s&apos;</value>\n" /* 13 */
        "    <value name=\"count\">42</value>\n" /* 14 */
        "    <note>a note\n" /* 15 */
        "over two lines\twith a tab</note>\n" /* 16 */
        "  </payload>\n" /* 17 */
        "</record>\n"; /* 18 */

static struct record *step_struct(void)
{
	struct record *rec = NULL;

	cr_assert_eq(record_new(&rec), 0);
	snprintf(rec->ceremony, sizeof(rec->ceremony), "%s", "demo-1");
	cr_assert_eq(hex_decode_exact(SCENARIO_HEX, 64, rec->scenario_sha256, 32), 0);
	cr_assert_eq(hex_decode_exact(PREVIOUS_HEX, 64, rec->previous_sha256, 32), 0);
	rec->session = 1;
	rec->sequence = 3;
	snprintf(rec->step, sizeof(rec->step), "%s", "witness.check");
	rec->type = RECORD_STEP;
	snprintf(rec->time, sizeof(rec->time), "%s", "2025-01-02T03:04:05Z");
	snprintf(rec->actor, sizeof(rec->actor), "%s", "alice");
	cr_assert_eq(record_add_value(rec, "fingerprint", "SHA256:x <y> & \"q\" 's'"), 0, "%s", err_message());
	cr_assert_eq(record_add_value(rec, "count", "42"), 0, "%s", err_message());
	rec->note = strdup("a note\nover two lines\twith a tab");
	return rec;
}

static struct record *parse_ok(const void *bytes, size_t len)
{
	struct record *rec = NULL;
	int r = record_parse(&rec, bytes, len);

	cr_assert_eq(r, 0, "record_parse: %d %s", r, err_message());
	cr_assert_not_null(rec);
	return rec;
}

/* `base` with the first occurrence of `from` replaced by `to`; caller frees. */
static char *replace(const char *base, const char *from, const char *to)
{
	const char *at = strstr(base, from);
	char *out = NULL;

	cr_assert_not_null(at, "fixture lacks \"%s\"", from);
	cr_assert(asprintf(&out, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from)) > 0);
	return out;
}

static void refuse(const void *bytes, size_t len, int code, const char *fragment)
{
	struct record *rec = (struct record *)&keys; /* must be reset to NULL */
	int r;

	err_clear();
	r = record_parse(&rec, bytes, len);
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert_null(rec, "no record on a refusal");
	cr_assert_not_null(strstr(err_message(), fragment), "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

/* STEP_XML with one replacement, refused with `code` and a message holding `fragment`. */
static void refuse_step(const char *from, const char *to, int code, const char *fragment)
{
	char *text = replace(STEP_XML, from, to);

	refuse(text, strlen(text), code, fragment);
	free(text);
}

static void genesis_text(struct buf *out)
{
	buf_reset(out);
	test_genesis_bytes(&keys, "demo-1", 0xab, out);
}

/* The public key line of a test key. */
static char *key_line(int which)
{
	struct buf line = buf_make(SSHKEY_LINE_MAX);
	char *s;

	cr_assert_eq(sshkey_public_format_line(&keys.key[which]->public_key, &line), 0);
	s = strdup((const char *)line.data);
	buf_free(&line);
	return s;
}

/* The genesis record with one replacement, refused. */
static void refuse_genesis(const char *from, const char *to, int code, const char *fragment)
{
	struct buf g = buf_make(RECORD_BYTES_MAX);
	char *text;

	genesis_text(&g);
	text = replace((const char *)g.data, from, to);
	refuse(text, strlen(text), code, fragment);
	free(text);
	buf_free(&g);
}

/* ---- round trips ---- */

Test(record_roundtrip, step_serializes_to_the_documented_bytes_and_parses_back)
{
	struct record *rec = step_struct(), *back;
	struct buf out = buf_make(RECORD_BYTES_MAX), again = buf_make(RECORD_BYTES_MAX);

	cr_assert_eq(record_serialize(rec, &out), 0, "%s", err_message());
	cr_assert_eq(out.len, strlen(STEP_XML));
	cr_assert_str_eq((const char *)out.data, STEP_XML);

	back = parse_ok(out.data, out.len);
	cr_assert_str_eq(back->ceremony, "demo-1");
	cr_assert_eq(memcmp(back->scenario_sha256, rec->scenario_sha256, 32), 0);
	cr_assert_eq(memcmp(back->previous_sha256, rec->previous_sha256, 32), 0);
	cr_assert_eq(back->session, 1);
	cr_assert_eq(back->sequence, 3);
	cr_assert_str_eq(back->step, "witness.check");
	cr_assert_eq(back->type, RECORD_STEP);
	cr_assert_str_eq(back->time, "2025-01-02T03:04:05Z");
	cr_assert_str_eq(back->actor, "alice");
	cr_assert_eq(back->value_count, 2);
	cr_assert_str_eq(back->values[0].name, "fingerprint");
	cr_assert_str_eq(back->values[0].value, "SHA256:x <y> & \"q\" 's'");
	cr_assert_str_eq(back->values[1].name, "count");
	cr_assert_str_eq(back->values[1].value, "42");
	cr_assert_str_eq(back->note, "a note\nover two lines\twith a tab");
	cr_assert_null(back->roster);

	cr_assert_eq(record_serialize(back, &again), 0, "%s", err_message());
	cr_assert_eq(again.len, out.len);
	cr_assert_eq(memcmp(again.data, out.data, out.len), 0, "re-serializing a parsed record gives the same bytes");
	record_free(back);
	record_free(rec);
	buf_free(&out);
	buf_free(&again);
}

Test(record_roundtrip, genesis_with_a_roster_and_a_person_with_two_keys)
{
	struct buf out = buf_make(RECORD_BYTES_MAX), again = buf_make(RECORD_BYTES_MAX);
	struct record *back;
	static const uint8_t zero[32];
	long carol;

	genesis_text(&out);
	back = parse_ok(out.data, out.len);
	cr_assert_eq(back->type, RECORD_GENESIS);
	cr_assert_eq(back->sequence, 0);
	cr_assert_eq(back->session, 1);
	cr_assert_str_eq(back->ceremony, "demo-1");
	cr_assert_str_eq(back->step, "begin");
	cr_assert_eq(memcmp(back->previous_sha256, zero, 32), 0);
	for (size_t i = 0; i < 32; i++)
		cr_assert_eq(back->scenario_sha256[i], 0xab);
	cr_assert_str_eq(back->recorder_version, "0.1.0-test");
	cr_assert_str_eq(back->recorder_build, "test-build");
	cr_assert_not_null(back->roster);
	cr_assert_eq(back->roster->participant_count, 3, "carol's two keys make one participant");
	cr_assert_eq(back->roster->key_count, 4);
	cr_assert_str_eq(back->roster->participants[0], "alice");
	cr_assert_str_eq(back->roster->participants[1], "bob");
	cr_assert_str_eq(back->roster->participants[2], "carol");
	carol = roster_find_participant(back->roster, "carol");
	cr_assert_eq(carol, 2);
	cr_assert_eq(roster_find_key(back->roster, &keys.key[TEST_CAROL]->public_key), carol);
	cr_assert_eq(roster_find_key(back->roster, &keys.key[TEST_CAROL2]->public_key), carol);
	cr_assert_eq(roster_find_key(back->roster, &keys.key[TEST_ALICE]->public_key), 0);
	cr_assert_eq(roster_find_key(back->roster, &keys.key[TEST_BOB]->public_key), 1);
	cr_assert_eq(roster_find_key(back->roster, &keys.key[TEST_MALLORY]->public_key), -1);
	cr_assert_eq(back->value_count, 0);
	cr_assert_null(back->note);

	cr_assert_eq(record_serialize(back, &again), 0, "%s", err_message());
	cr_assert_eq(again.len, out.len);
	cr_assert_eq(memcmp(again.data, out.data, out.len), 0);
	record_free(back);
	buf_free(&out);
	buf_free(&again);
}

Test(record_roundtrip, genesis_keys_of_one_person_given_apart_are_grouped)
{
	struct record *rec = NULL, *back;
	struct buf out = buf_make(RECORD_BYTES_MAX), again = buf_make(RECORD_BYTES_MAX);

	/* carol's keys added with bob's in between: serialized under one <participant>. */
	cr_assert_eq(record_new(&rec), 0);
	snprintf(rec->ceremony, sizeof(rec->ceremony), "%s", "c");
	rec->session = 1;
	snprintf(rec->step, sizeof(rec->step), "%s", "begin");
	rec->type = RECORD_GENESIS;
	snprintf(rec->time, sizeof(rec->time), "%s", "2025-01-02T03:04:05Z");
	snprintf(rec->actor, sizeof(rec->actor), "%s", "carol");
	cr_assert_eq(roster_new(&rec->roster), 0);
	cr_assert_eq(roster_add_key(rec->roster, "carol", &keys.key[TEST_CAROL]->public_key), 0);
	cr_assert_eq(roster_add_key(rec->roster, "bob", &keys.key[TEST_BOB]->public_key), 0);
	cr_assert_eq(roster_add_key(rec->roster, "carol", &keys.key[TEST_CAROL2]->public_key), 0);
	rec->recorder_version = strdup("v");
	rec->recorder_build = strdup("b");
	cr_assert_eq(record_serialize(rec, &out), 0, "%s", err_message());
	back = parse_ok(out.data, out.len);
	cr_assert_eq(back->roster->participant_count, 2);
	cr_assert_eq(back->roster->key_count, 3);
	cr_assert_eq(roster_find_key(back->roster, &keys.key[TEST_CAROL2]->public_key),
	             roster_find_participant(back->roster, "carol"));
	cr_assert_eq(record_serialize(back, &again), 0);
	cr_assert_eq(again.len, out.len);
	cr_assert_eq(memcmp(again.data, out.data, out.len), 0);
	record_free(back);
	record_free(rec);
	buf_free(&out);
	buf_free(&again);
}

Test(record_roundtrip, close_with_a_note_and_no_values)
{
	struct record *rec = step_struct(), *back;
	struct buf out = buf_make(RECORD_BYTES_MAX);

	for (size_t i = 0; i < rec->value_count; i++) {
		free(rec->values[i].name);
		free(rec->values[i].value);
	}
	rec->value_count = 0;
	rec->type = RECORD_CLOSE;
	rec->sequence = 99999999; /* the largest sequence number */
	snprintf(rec->step, sizeof(rec->step), "%s", "close");
	cr_assert_eq(record_serialize(rec, &out), 0, "%s", err_message());
	cr_assert_not_null(strstr((const char *)out.data, "<type>close</type>"));
	back = parse_ok(out.data, out.len);
	cr_assert_eq(back->type, RECORD_CLOSE);
	cr_assert_eq(back->sequence, 99999999);
	cr_assert_eq(back->value_count, 0);
	cr_assert_str_eq(back->note, rec->note);
	record_free(back);

	/* and without a note: an empty payload */
	free(rec->note);
	rec->note = NULL;
	buf_reset(&out);
	cr_assert_eq(record_serialize(rec, &out), 0, "%s", err_message());
	back = parse_ok(out.data, out.len);
	cr_assert_eq(back->type, RECORD_CLOSE);
	cr_assert_null(back->note);
	record_free(back);
	record_free(rec);
	buf_free(&out);
}

Test(record_roundtrip, type_names_and_time_now)
{
	char now[RECORD_TIME_CHARS + 1];
	struct record *rec = step_struct(), *back;
	struct buf out = buf_make(RECORD_BYTES_MAX);

	cr_assert_str_eq(record_type_name(RECORD_GENESIS), "genesis");
	cr_assert_str_eq(record_type_name(RECORD_STEP), "step");
	cr_assert_str_eq(record_type_name(RECORD_CLOSE), "close");
	cr_assert_null(record_type_name((enum record_type)7));
	record_time_now(now);
	cr_assert_eq(strlen(now), RECORD_TIME_CHARS);
	memcpy(rec->time, now, sizeof(now));
	cr_assert_eq(record_serialize(rec, &out), 0, "%s", err_message());
	back = parse_ok(out.data, out.len);
	cr_assert_str_eq(back->time, now);
	record_free(back);
	record_free(rec);
	buf_free(&out);
}

Test(record_roundtrip, no_xml_declaration_is_accepted)
{
	const char *body = strchr(STEP_XML, '\n') + 1;
	struct record *rec = parse_ok(body, strlen(body));

	cr_assert_eq(rec->sequence, 3);
	record_free(rec);
}

Test(record_roundtrip, serialize_refuses_what_parse_would_refuse)
{
	struct record *rec = step_struct();
	struct buf out = buf_make(RECORD_BYTES_MAX);

	rec->session = 0;
	cr_assert_eq(record_serialize(rec, &out), CER_ERR_USAGE);
	rec->session = 1;
	rec->type = RECORD_GENESIS;
	cr_assert_eq(record_serialize(rec, &out), CER_ERR_USAGE);
	cr_assert_not_null(strstr(err_message(), "genesis record is sequence 0"), "%s", err_message());
	rec->type = RECORD_STEP;
	snprintf(rec->time, sizeof(rec->time), "%s", "2025-01-02 03:04:05Z");
	cr_assert_eq(record_serialize(rec, &out), CER_ERR_USAGE);
	snprintf(rec->time, sizeof(rec->time), "%s", "2025-01-02T03:04:05Z");
	snprintf(rec->ceremony, sizeof(rec->ceremony), "%s", "Demo");
	cr_assert_eq(record_serialize(rec, &out), CER_ERR_USAGE);
	snprintf(rec->ceremony, sizeof(rec->ceremony), "%s", "demo");
	rec->sequence = 0;
	rec->type = RECORD_GENESIS;
	cr_assert_eq(record_serialize(rec, &out), CER_ERR_USAGE, "a genesis record without a roster");
	cr_assert_not_null(strstr(err_message(), "needs a roster"), "%s", err_message());
	cr_assert_eq(record_add_value(rec, "x", "a\x01z"), CER_ERR_USAGE);
	cr_assert_eq(record_add_value(rec, "X", "a"), CER_ERR_USAGE);
	cr_assert_eq(record_add_value(rec, "count", "again"), CER_ERR_USAGE, "a value name given twice");
	record_free(rec);
	buf_free(&out);
}

/* ---- refusals: markup that is never allowed ---- */

Test(record_refuse, doctype_billion_laughs)
{
	static const char text[] =
	        "<?xml version=\"1.0\"?>\n"
	        "<!DOCTYPE record [<!ENTITY lol \"lol\">"
	        "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
	        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
	        "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">]>\n"
	        "<record xmlns=\"urn:ceremony:record:1\" version=\"1\"><ceremony>&lol4;</ceremony></record>\n";

	refuse(text, strlen(text), CER_ERR_FORMAT, "line 2: DOCTYPE, comment or CDATA section refused");
}

Test(record_refuse, doctype_with_external_entity)
{
	char *text = replace(STEP_XML, "<record ", "<!DOCTYPE record SYSTEM \"file:///etc/passwd\">\n<record ");

	refuse(text, strlen(text), CER_ERR_FORMAT, "line 2: DOCTYPE");
	free(text);
	/* An entity reference without any declaration is not well-formed. */
	refuse_step("demo-1", "&xxe;", CER_ERR_FORMAT, "line 3: ");
}

Test(record_refuse, comment)
{
	refuse_step("  <step>", "  <!-- nothing to see --><step>", CER_ERR_FORMAT,
	            "line 8: DOCTYPE, comment or CDATA section refused");
}

Test(record_refuse, cdata)
{
	refuse_step(">42<", "><![CDATA[42]]><", CER_ERR_FORMAT, "line 14: DOCTYPE, comment or CDATA section refused");
}

Test(record_refuse, processing_instruction)
{
	refuse_step("  <payload>", "  <?evil run?><payload>", CER_ERR_FORMAT,
	            "line 12: processing instruction refused");
	/* The XML declaration is allowed only as the very first bytes. */
	refuse_step("<?xml", " <?xml", CER_ERR_FORMAT, "line 1: processing instruction refused");
	refuse_step("</record>", "</record>\n<?xml version=\"1.0\"?>", CER_ERR_FORMAT,
	            "line 19: processing instruction refused");
}

/* ---- refusals: structure ---- */

Test(record_refuse, unknown_element)
{
	refuse_step("  <payload>", "  <extra>x</extra>\n  <payload>", CER_ERR_FORMAT,
	            "line 12: unexpected element <extra> (expected <payload>)");
	refuse_step("    <note>", "    <photo/>\n    <note>", CER_ERR_FORMAT,
	            "unexpected element <photo> in <payload>");
	refuse_step("</record>", "  <signature/>\n</record>", CER_ERR_FORMAT,
	            "unexpected element <signature> in <record>");
	/* a genesis payload in a step record */
	refuse_step("  <payload>\n", "  <payload>\n    <roster/>\n", CER_ERR_FORMAT,
	            "unexpected element <roster> in <payload>");
}

Test(record_refuse, element_in_another_namespace)
{
	refuse_step("<step>witness.check</step>", "<o:step xmlns:o=\"urn:other\">witness.check</o:step>",
	            CER_ERR_FORMAT, "line 8: element <step> is not in namespace urn:ceremony:record:1");
}

Test(record_refuse, unknown_attribute)
{
	refuse_step("<step>", "<step id=\"x\">", CER_ERR_FORMAT, "line 8: unknown attribute id on <step>");
	refuse_step("version=\"1\">", "version=\"1\" signed=\"yes\">", CER_ERR_FORMAT,
	            "unknown attribute signed on <record>");
	refuse_step("<value name=\"count\">", "<value name=\"count\" unit=\"x\">", CER_ERR_FORMAT,
	            "line 14: unknown attribute unit on <value>");
	refuse_step("<payload>", "<payload kind=\"x\">", CER_ERR_FORMAT, "unknown attribute kind on <payload>");
	refuse_step("<note>", "<note lang=\"en\">", CER_ERR_FORMAT, "unknown attribute lang on <note>");
	refuse_step("version=\"1\">", "version=\"1\" xmlns:x=\"urn:x\" x:y=\"1\">", CER_ERR_FORMAT,
	            "namespaced attribute y on <record>");
}

Test(record_refuse, wrong_root_or_namespace)
{
	char *text = replace(STEP_XML, "<record ", "<recording ");
	char *both = replace(text, "</record>", "</recording>");

	refuse(both, strlen(both), CER_ERR_FORMAT, "root element must be <record xmlns=\"urn:ceremony:record:1\">");
	free(text);
	free(both);
	refuse_step("urn:ceremony:record:1", "urn:ceremony:record:2", CER_ERR_FORMAT, "root element must be <record");
	refuse_step(" xmlns=\"urn:ceremony:record:1\"", "", CER_ERR_FORMAT, "root element must be <record");
}

Test(record_refuse, version_2_or_none)
{
	refuse_step("version=\"1\"", "version=\"2\"", CER_ERR_UNSUPPORTED, "record version \"2\" (this build reads 1)");
	refuse_step("version=\"1\"", "version=\"1.0\"", CER_ERR_UNSUPPORTED, "record version \"1.0\"");
	refuse_step(" version=\"1\"", "", CER_ERR_FORMAT, "<record> lacks attribute version");
}

Test(record_refuse, missing_field)
{
	refuse_step("  <step>witness.check</step>\n", "", CER_ERR_FORMAT,
	            "line 8: unexpected element <type> (expected <step>)");
	refuse_step("  <ceremony>demo-1</ceremony>\n", "", CER_ERR_FORMAT,
	            "unexpected element <scenario-sha256> (expected <ceremony>)");
	{
		/* everything after <actor> gone: the payload is missing at the end */
		char *text = strdup(STEP_XML);
		{
			char *at = strstr(text, "  <payload>");
			memcpy(at, "</record>\n", sizeof("</record>\n"));
		}
		refuse(text, strlen(text), CER_ERR_FORMAT, "missing element <payload>");
		free(text);
	}
	refuse_genesis(" build=\"test-build\"", "", CER_ERR_FORMAT, "<recorder> lacks attribute build");
}

Test(record_refuse, fields_out_of_order)
{
	refuse_step("  <session>1</session>\n  <sequence>3</sequence>\n",
	            "  <sequence>3</sequence>\n  <session>1</session>\n", CER_ERR_FORMAT,
	            "line 5: unexpected element <sequence> (expected <session>)");
	refuse_step("    <value name=\"count\">42</value>\n    <note>",
	            "    <note>x</note>\n    <value name=\"count\">42</value>\n    <note>", CER_ERR_FORMAT,
	            "unexpected element <value> in <payload>");
}

Test(record_refuse, text_where_elements_belong)
{
	refuse_step("  <ceremony>", "  hello<ceremony>", CER_ERR_FORMAT, "line 3: unexpected text or node");
	refuse_step("  </payload>", "  stray words\n  </payload>", CER_ERR_FORMAT, "unexpected text or node");
	refuse_step("<step>witness.check</step>", "<step>witness<b/>check</step>", CER_ERR_FORMAT,
	            "line 8: <step> must hold text only");
}

/* ---- refusals: field values ---- */

Test(record_refuse, bad_hex_digest)
{
	refuse_step(SCENARIO_HEX, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", CER_ERR_FORMAT,
	            "<scenario-sha256> is not 64 lower-case hex digits");
	refuse_step(PREVIOUS_HEX, "fedcba9876543210", CER_ERR_FORMAT,
	            "<previous-sha256> is not 64 lower-case hex digits");
	refuse_step(PREVIOUS_HEX, "", CER_ERR_FORMAT, "<previous-sha256> is not 64 lower-case hex digits");
	refuse_step(PREVIOUS_HEX, PREVIOUS_HEX "00", CER_ERR_FORMAT, "too large");
	refuse_step(PREVIOUS_HEX, " fedcba9876543210fedcba9876543210fedcba9876543210fedcba987654321", CER_ERR_FORMAT,
	            "<previous-sha256> is not 64 lower-case hex digits");
}

Test(record_refuse, uppercase_hex)
{
	refuse_step(SCENARIO_HEX, "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", CER_ERR_FORMAT,
	            "<scenario-sha256> is not 64 lower-case hex digits");
}

Test(record_refuse, leading_zeros_and_signs_in_numbers)
{
	refuse_step("<sequence>3<", "<sequence>03<", CER_ERR_FORMAT,
	            "<sequence> is not a decimal number without leading zeros");
	refuse_step("<sequence>3<", "<sequence>00<", CER_ERR_FORMAT, "without leading zeros");
	refuse_step("<sequence>3<", "<sequence><", CER_ERR_FORMAT, "<sequence> is not a decimal number");
	refuse_step("<sequence>3<", "<sequence>+3<", CER_ERR_FORMAT, "<sequence> is not a decimal number");
	refuse_step("<sequence>3<", "<sequence> 3<", CER_ERR_FORMAT, "<sequence> is not a decimal number");
	refuse_step("<session>1<", "<session>01<", CER_ERR_FORMAT,
	            "<session> is not a decimal number without leading zeros");
}

Test(record_refuse, sequence_above_the_max)
{
	refuse_step("<sequence>3<", "<sequence>100000000<", CER_ERR_FORMAT,
	            "<sequence> 100000000 is out of range (at most 99999999)");
	refuse_step("<sequence>3<", "<sequence>99999999999<", CER_ERR_FORMAT, "out of range");
	refuse_step("<sequence>3<", "<sequence>999999999999<", CER_ERR_FORMAT, "too large");
	refuse_step("<session>1<", "<session>4294967296<", CER_ERR_FORMAT, "<session> 4294967296 is out of range");
}

Test(record_refuse, session_zero)
{
	refuse_step("<session>1<", "<session>0<", CER_ERR_FORMAT, "<session> must be at least 1");
}

Test(record_refuse, bad_time)
{
	refuse_step("2025-01-02T03:04:05Z", "2025-01-02 03:04:05Z", CER_ERR_FORMAT,
	            "<time> \"2025-01-02 03:04:05Z\" is not YYYY-MM-DDTHH:MM:SSZ");
	refuse_step("2025-01-02T03:04:05Z", "2025-1-2T03:04:05Z", CER_ERR_FORMAT, "is not YYYY-MM-DDTHH:MM:SSZ");
	refuse_step("2025-01-02T03:04:05Z", "2025-01-02T03:04:05", CER_ERR_FORMAT, "is not YYYY-MM-DDTHH:MM:SSZ");
	refuse_step("2025-01-02T03:04:05Z", "2025-01-02T03:04:05+00:00", CER_ERR_FORMAT, "<time>");
	refuse_step("2025-01-02T03:04:05Z", "", CER_ERR_FORMAT, "is not YYYY-MM-DDTHH:MM:SSZ");
}

Test(record_refuse, type_unknown)
{
	refuse_step("<type>step<", "<type>steps<", CER_ERR_FORMAT, "unknown record type \"steps\"");
	refuse_step("<type>step<", "<type>Step<", CER_ERR_FORMAT, "unknown record type \"Step\"");
	refuse_step("<type>step<", "<type><", CER_ERR_FORMAT, "unknown record type \"\"");
}

Test(record_refuse, genesis_only_at_sequence_zero)
{
	refuse_step("<type>step<", "<type>genesis<", CER_ERR_FORMAT,
	            "type genesis at sequence 3 (genesis is sequence 0, and only it)");
	refuse_genesis("<type>genesis<", "<type>step<", CER_ERR_FORMAT, "type step at sequence 0");
	refuse_genesis("<type>genesis<", "<type>close<", CER_ERR_FORMAT, "type close at sequence 0");
}

Test(record_refuse, bad_ids)
{
	refuse_step("<ceremony>demo-1<", "<ceremony>Demo<", CER_ERR_FORMAT, "<ceremony> \"Demo\" is not an id");
	refuse_step("<ceremony>demo-1<", "<ceremony>-demo<", CER_ERR_FORMAT, "<ceremony> \"-demo\" is not an id");
	refuse_step("<actor>alice<", "<actor>al ice<", CER_ERR_FORMAT, "<actor> \"al ice\" is not an id");
	refuse_step("<step>witness.check<", "<step><", CER_ERR_FORMAT, "<step> \"\" is not an id");
	refuse_step("<value name=\"count\">", "<value name=\"Count\">", CER_ERR_FORMAT,
	            "value name \"Count\" is not an id");
	refuse_step("<value name=\"count\">", "<value>", CER_ERR_FORMAT, "<value> lacks attribute name");
	refuse_step("<value name=\"count\">", "<value name=\"fingerprint\">", CER_ERR_FORMAT,
	            "value fingerprint given twice");
}

/* ---- refusals: the genesis payload ---- */

Test(record_refuse, roster_participant_without_key)
{
	struct buf g = buf_make(RECORD_BYTES_MAX);
	char *bob = key_line(TEST_BOB), *from = NULL;

	genesis_text(&g);
	cr_assert(asprintf(&from, "<participant id=\"bob\">\n        <key>%s</key>\n", bob) > 0);
	buf_free(&g);
	refuse_genesis(from, "<participant id=\"bob\">\n", CER_ERR_FORMAT, "participant bob has no key");
	free(from);
	free(bob);
}

Test(record_refuse, roster_without_participants)
{
	struct buf g = buf_make(RECORD_BYTES_MAX);
	char *start, *end, *text = NULL;

	genesis_text(&g);
	start = strstr((char *)g.data, "<roster>");
	end = strstr((char *)g.data, "</roster>");
	cr_assert(start && end);
	cr_assert(asprintf(&text, "%.*s<roster>\n    %s", (int)(start - (char *)g.data), (char *)g.data, end) > 0);
	refuse(text, strlen(text), CER_ERR_FORMAT, "the roster names no participant");
	free(text);
	refuse_genesis("<recorder ", "<participant id=\"dave\"/>\n    <recorder ", CER_ERR_FORMAT,
	               "unexpected element <participant> (expected <recorder>)");
	refuse_genesis("<participant id=\"alice\">", "<participant>", CER_ERR_FORMAT,
	               "<participant> lacks attribute id");
	refuse_genesis("<participant id=\"alice\">", "<participant id=\"Alice\">", CER_ERR_FORMAT,
	               "participant id \"Alice\" is not");
	refuse_genesis("<participant id=\"alice\">", "<participant id=\"alice\" role=\"lead\">", CER_ERR_FORMAT,
	               "unknown attribute role on <participant>");
	buf_free(&g);
}

Test(record_refuse, roster_duplicate_key)
{
	char *alice = key_line(TEST_ALICE), *bob = key_line(TEST_BOB), *carol = key_line(TEST_CAROL),
	     *carol2 = key_line(TEST_CAROL2);

	/* the same key under two participants */
	refuse_genesis(bob, alice, CER_ERR_FORMAT, "appears twice in the roster");
	/* the same key twice under one participant */
	refuse_genesis(carol2, carol, CER_ERR_FORMAT, "appears twice in the roster");
	free(alice);
	free(bob);
	free(carol);
	free(carol2);
}

Test(record_refuse, bad_key_line)
{
	char *bob = key_line(TEST_BOB), *broken = strdup(bob);

	broken[20] = '!';
	refuse_genesis(bob, broken, CER_ERR_FORMAT, "participant bob");
	refuse_genesis(bob, broken, CER_ERR_FORMAT, "not valid base64");
	refuse_genesis(bob, "ssh-ed25519", CER_ERR_FORMAT, "participant bob");
	refuse_genesis(bob, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7", CER_ERR_UNSUPPORTED,
	               "unsupported key type \"ssh-rsa\"");
	free(broken);
	free(bob);
}

Test(record_refuse, recorder_not_empty)
{
	refuse_genesis("build=\"test-build\"/>", "build=\"test-build\">x</recorder>", CER_ERR_FORMAT,
	               "<recorder> must be empty");
}

Test(record_refuse, recorder_attribute_with_control_character)
{
	refuse_genesis("build=\"test-build\"", "build=\"test&#13;build\"", CER_ERR_FORMAT,
	               "control character in a <recorder> attribute");
	refuse_genesis("version=\"0.1.0-test\"", "version=\"0.1&#27;\"", CER_ERR_FORMAT, "line ");
}

/* ---- refusals: bytes ---- */

Test(record_refuse, value_with_a_control_character)
{
	/* A character reference gets past the XML parser; the text check stops it. */
	refuse_step(">42<", ">4&#13;2<", CER_ERR_FORMAT, "line 14: control character in <value>");
	cr_assert_null(strstr(err_message(), "line 14: line 14"), "the line is named once: %s", err_message());
	refuse_step("a note\n", "a note&#13;\n", CER_ERR_FORMAT, "line 15: control character in <note>");
	/* ESC is not XML 1.0 at all, even as a reference */
	refuse_step("a note\n", "a note&#27;[31m\n", CER_ERR_FORMAT, "line 15: ");
	/* A raw control byte is not even XML. */
	refuse_step(">42<",
	            ">4\x01"
	            "2<",
	            CER_ERR_FORMAT, "line 14: ");
	/* XML 1.0 cannot hold U+0001 even as a reference. */
	refuse_step(">42<", ">4&#1;2<", CER_ERR_FORMAT, "line 14: ");
}

Test(record_refuse, oversized)
{
	size_t len = RECORD_BYTES_MAX + 1;
	char *big = malloc(len), *value;
	char *long_value, *text;

	cr_assert_not_null(big);
	/* a well-formed record padded with blank space to one byte over the limit */
	memset(big, ' ', len);
	memcpy(big, STEP_XML, strlen(STEP_XML));
	refuse(big, len, CER_ERR_FORMAT, "record larger than 262144 bytes");
	free(big);

	value = malloc(RECORD_VALUE_MAX + 2);
	cr_assert_not_null(value);
	memset(value, 'v', RECORD_VALUE_MAX + 1);
	value[RECORD_VALUE_MAX + 1] = '\0';
	cr_assert(asprintf(&long_value, ">%s<", value) > 0);
	refuse_step(">42<", long_value, CER_ERR_FORMAT, "too large (more than 4096 bytes)");
	free(long_value);
	free(value);

	value = malloc(RECORD_NOTE_MAX + 2);
	cr_assert_not_null(value);
	memset(value, 'n', RECORD_NOTE_MAX + 1);
	value[RECORD_NOTE_MAX + 1] = '\0';
	cr_assert(asprintf(&text, "<note>%s</note>", value) > 0);
	refuse_step("<note>a note\nover two lines\twith a tab</note>", text, CER_ERR_FORMAT,
	            "too large (more than 16384 bytes)");
	free(text);
	free(value);
}

Test(record_refuse, too_many_values)
{
	struct buf values = buf_make(1 << 20);
	char *text;

	for (int i = 0; i <= RECORD_VALUES_MAX; i++)
		cr_assert_eq(buf_printf(&values, "    <value name=\"v%d\">%d</value>\n", i, i), 0);
	text = replace(STEP_XML, "    <value name=\"count\">42</value>\n", (const char *)values.data);
	refuse(text, strlen(text), CER_ERR_FORMAT, "more than 64 values");
	free(text);
	buf_free(&values);
}

Test(record_refuse, nul_byte)
{
	char *text = strdup(STEP_XML);
	size_t len = strlen(text);

	*strstr(text, "<sequence>3<") = '\0';
	refuse(text, len, CER_ERR_FORMAT, "line 6: NUL byte");
	free(text);
}

Test(record_refuse, not_well_formed_names_the_line)
{
	refuse_step("<step>witness.check</step>", "<step>witness.check</stp>", CER_ERR_FORMAT, "line 8: ");
	refuse_step("<step>witness.check</step>", "<step>witness.check</stp>", CER_ERR_FORMAT, "mismatch");
	refuse_step("<actor>alice</actor>", "<actor a=\"1\" a=\"2\">alice</actor>", CER_ERR_FORMAT, "line 11: ");
	refuse_step("</record>\n", "</record>\n<record/>\n", CER_ERR_FORMAT, "line 19: ");
	/* libxml2 goes on after the first error; the message names a line either way */
	refuse_step("SHA256:x &lt;y&gt;", "SHA256:x <y>", CER_ERR_FORMAT, "line ");
	/* not UTF-8 */
	refuse_step("a note\n", "a n\xffte\n", CER_ERR_FORMAT, "line 15: ");
	/* truncated */
	refuse(STEP_XML, strlen(STEP_XML) - 20, CER_ERR_FORMAT, "line ");
	refuse("", 0, CER_ERR_FORMAT, "line ");
	{
		/* one line only: the message stays one line */
		struct record *rec = NULL;
		cr_assert_neq(record_parse(&rec, (const uint8_t *)"<record", 7), 0);
		cr_assert_null(strchr(err_message(), '\n'), "message \"%s\" is one line", err_message());
	}
}

Test(record_refuse, impossible_times)
{
	static const char *const bad[] = {"2025-13-02T03:04:05Z", "2025-00-02T03:04:05Z", "2025-04-31T03:04:05Z",
	                                  "2025-02-29T03:04:05Z", "2025-01-02T24:00:00Z", "2025-01-02T03:60:05Z",
	                                  "2025-01-02T03:04:60Z"};
	char to[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(to, sizeof(to), "<time>%s</time>", bad[i]);
		refuse_step("<time>2025-01-02T03:04:05Z</time>", to, CER_ERR_FORMAT, "is not YYYY-MM-DDTHH:MM:SSZ");
	}
}

Test(record_roundtrip, leap_day_of_a_leap_year)
{
	struct record *back = NULL;
	char *text = replace(STEP_XML, "2025-01-02T03:04:05Z", "2024-02-29T23:59:59Z");

	cr_assert_eq(record_parse(&back, (const uint8_t *)text, strlen(text)), 0, "%s", err_message());
	cr_assert_str_eq(back->time, "2024-02-29T23:59:59Z");
	record_free(back);
	free(text);
}

/* ---- vault operations and the ceremony's vault ---- */

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define VAULT_OP_LINE                                                                                                  \
	"    <vault-operation op=\"sign\" outcome=\"ok\" log-seq=\"12\" log-hash=\"" HASH_A "\" label=\"fw\" "         \
	"algorithm=\"ecdsa-p384\" fingerprint=\"" HASH_B "\" message-sha256=\"" HASH_A "\" signature-sha256=\"" HASH_B \
	"\"/>\n"
#define SHARE_OP_LINE                                                                                                  \
	"    <vault-operation op=\"unseal-share\" outcome=\"ok\" log-seq=\"4\" log-hash=\"" HASH_B "\" who=\"bob\" "   \
	"share-index=\"1\" share-point=\"" HASH_A "\"/>\n"

static char *step_with_vault_ops(void)
{
	return replace(STEP_XML, "    <note>", SHARE_OP_LINE VAULT_OP_LINE "    <note>");
}

Test(record_roundtrip, vault_operations_parse_and_serialize_to_the_same_bytes)
{
	char *text = step_with_vault_ops();
	struct buf out = buf_make(RECORD_BYTES_MAX);
	struct record *rec = parse_ok(text, strlen(text));

	cr_assert_eq(rec->vault_op_count, 2);
	cr_assert_str_eq(rec->vault_ops[0].op, "unseal-share");
	cr_assert_str_eq(rec->vault_ops[0].who, "bob");
	cr_assert_eq(rec->vault_ops[0].share_index, 1);
	cr_assert(rec->vault_ops[0].has_point && !rec->vault_ops[0].has_fingerprint);
	cr_assert_eq(rec->vault_ops[1].log_seq, 12);
	cr_assert_str_eq(rec->vault_ops[1].label, "fw");
	cr_assert_str_eq(rec->vault_ops[1].algorithm, "ecdsa-p384");
	cr_assert(rec->vault_ops[1].has_fingerprint && rec->vault_ops[1].has_message &&
	          rec->vault_ops[1].has_signature);
	cr_assert_eq(record_serialize(rec, &out), 0, "%s", err_message());
	cr_assert_eq(out.len, strlen(text));
	cr_assert(memcmp(out.data, text, out.len) == 0, "serialized:\n%s", (char *)out.data);
	record_free(rec);
	buf_free(&out);
	free(text);
}

Test(record_roundtrip, genesis_with_the_ceremonys_vault)
{
	struct buf g = buf_make(RECORD_BYTES_MAX), out = buf_make(RECORD_BYTES_MAX);
	struct record *rec;
	char *text;

	genesis_text(&g);
	text = replace((const char *)g.data, "    <recorder ",
	               "    <vault id=\"" HASH_A "\" audit-key=\"" HASH_B "\"/>\n    <recorder ");
	rec = parse_ok(text, strlen(text));
	cr_assert(rec->has_vault);
	cr_assert_eq(rec->vault_id[0], 0xaa);
	cr_assert_eq(rec->vault_audit_key[31], 0xbb);
	cr_assert_eq(record_serialize(rec, &out), 0, "%s", err_message());
	cr_assert_eq(out.len, strlen(text));
	cr_assert(memcmp(out.data, text, out.len) == 0);
	record_free(rec);
	free(text);
	buf_free(&g);
	buf_free(&out);
}

Test(record_roundtrip, vault_records_validate_with_xmllint)
{
	char *text = step_with_vault_ops(), *dir = test_tmpdir("record-xsd"), path[512];

	snprintf(path, sizeof(path), "%s/record.xml", dir);
	test_write_file(path, text, strlen(text));
	cr_assert_eq(test_run("xmllint --noout --nonet --schema '%s/templates/record.xsd' '%s' 2>/dev/null",
	                      getenv("CEREMONY_SOURCE_DIR"), path),
	             0, "xmllint refuses a record with vault operations");
	test_run("rm -rf '%s'", dir);
	free(dir);
	free(text);
}

/* STEP_XML with the vault operation line replaced, refused. */
static void refuse_vault_op(const char *from, const char *to, int code, const char *fragment)
{
	char *with = step_with_vault_ops(), *text = replace(with, from, to);

	refuse(text, strlen(text), code, fragment);
	free(text);
	free(with);
}

Test(record_refuse, malformed_vault_operations)
{
	refuse_vault_op("op=\"sign\"", "op=\"Sign\"", CER_ERR_FORMAT, "malformed <vault-operation>");
	refuse_vault_op("op=\"sign\" ", "", CER_ERR_FORMAT, "op");
	refuse_vault_op("outcome=\"ok\" log-seq=\"12\"", "outcome=\"maybe\" log-seq=\"12\"", CER_ERR_FORMAT,
	                "malformed <vault-operation>");
	refuse_vault_op("log-seq=\"12\"", "log-seq=\"012\"", CER_ERR_FORMAT, "log-seq is not a decimal number");
	refuse_vault_op("log-seq=\"12\"", "log-seq=\"9007199254740992\"", CER_ERR_FORMAT, "log-seq is above");
	refuse_vault_op("log-seq=\"12\" log-hash=\"" HASH_A "\"", "log-seq=\"12\"", CER_ERR_FORMAT, "log-hash");
	refuse_vault_op("fingerprint=\"" HASH_B "\"", "fingerprint=\"" HASH_A "0\"", CER_ERR_FORMAT, "fingerprint");
	refuse_vault_op("share-index=\"1\"", "share-index=\"33\"", CER_ERR_FORMAT, "share-index is above 32");
	refuse_vault_op("share-index=\"1\"", "share-index=\"0\"", CER_ERR_FORMAT, "share-index must be 1 to 32");
	refuse_vault_op("who=\"bob\"", "who=\"Bob Smith\"", CER_ERR_FORMAT, "malformed <vault-operation>");
	refuse_vault_op("label=\"fw\"", "label=\"fw\" colour=\"red\"", CER_ERR_FORMAT, "colour");
	refuse_vault_op("\"/>\n    <note>", "\">text</vault-operation>\n    <note>", CER_ERR_FORMAT, "must be empty");
}

Test(record_refuse, vault_operations_out_of_order)
{
	char *text =
	        replace(STEP_XML, "    <value name=\"fingerprint\">", SHARE_OP_LINE "    <value name=\"fingerprint\">");

	refuse(text, strlen(text), CER_ERR_FORMAT, "value");
	free(text);
}

Test(record_refuse, genesis_vault_malformed)
{
	refuse_genesis("    <recorder ", "    <vault id=\"" HASH_A "\"/>\n    <recorder ", CER_ERR_FORMAT, "audit-key");
	refuse_genesis("    <recorder ", "    <vault id=\"" HASH_A "\" audit-key=\"xyz\"/>\n    <recorder ",
	               CER_ERR_FORMAT, "audit-key is not 64 lower-case hex digits");
}
