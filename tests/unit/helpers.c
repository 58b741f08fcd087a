#include "helpers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

char *test_tmpdir(const char *tag)
{
	const char *base = getenv("CEREMONY_TEST_TMP");
	char *path = NULL;

	if (base == NULL)
		base = "/tmp";
	mkdir(base, 0700);
	cr_assert(asprintf(&path, "%s/%s.XXXXXX", base, tag) > 0);
	cr_assert(mkdtemp(path) != NULL, "mkdtemp %s", path);
	return path;
}

void test_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert(f != NULL, "cannot write %s", path);
	cr_assert(fwrite(data, 1, len, f) == len);
	cr_assert(fclose(f) == 0);
	chmod(path, 0600);
}

char *test_read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long len;

	cr_assert(f != NULL, "cannot read %s", path);
	cr_assert(fseek(f, 0, SEEK_END) == 0);
	len = ftell(f);
	cr_assert(len >= 0);
	rewind(f);
	data = malloc((size_t)len + 1);
	cr_assert(data != NULL);
	cr_assert(fread(data, 1, (size_t)len, f) == (size_t)len);
	data[len] = '\0';
	fclose(f);
	if (len_out)
		*len_out = (size_t)len;
	return data;
}

int test_run(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int status;

	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	status = system(cmd);
	free(cmd);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

void test_ssh_keygen(const char *path, const char *comment)
{
	cr_assert(test_run("ssh-keygen -q -t ed25519 -N '' -C '%s' -f '%s' </dev/null >/dev/null", comment, path) == 0,
	          "ssh-keygen failed for %s", path);
}

/* ---- evidence fixtures ---- */

#include "common/error.h"

static const char *const test_key_names[TEST_KEY_COUNT] = {"alice", "bob", "carol", "carol-2", "mallory"};

void test_keys_make(struct test_keys *k)
{
	memset(k, 0, sizeof(*k));
	for (int i = 0; i < TEST_KEY_COUNT; i++) {
		cr_assert_eq(sshkey_private_generate(&k->key[i], test_key_names[i]), 0, "%s", err_message());
		cr_assert_eq(signer_from_key(&k->signer[i], k->key[i]), 0, "%s", err_message());
	}
}

void test_keys_free(struct test_keys *k)
{
	for (int i = 0; i < TEST_KEY_COUNT; i++) {
		signer_free(k->signer[i]);
		sshkey_private_free(k->key[i]);
	}
	memset(k, 0, sizeof(*k));
}

struct roster *test_roster_make(const struct test_keys *k)
{
	static const char *const ids[] = {
	        [TEST_ALICE] = "alice", [TEST_BOB] = "bob", [TEST_CAROL] = "carol", [TEST_CAROL2] = "carol"};
	struct roster *roster = NULL;

	cr_assert_eq(roster_new(&roster), 0);
	for (int i = TEST_ALICE; i <= TEST_CAROL2; i++)
		cr_assert_eq(roster_add_key(roster, ids[i], &k->key[i]->public_key), 0, "%s", err_message());
	return roster;
}

void test_genesis_bytes(const struct test_keys *k, const char *ceremony, uint8_t scenario_fill, struct buf *out)
{
	struct record *rec = NULL;

	cr_assert_eq(record_new(&rec), 0);
	snprintf(rec->ceremony, sizeof(rec->ceremony), "%s", ceremony);
	memset(rec->scenario_sha256, scenario_fill, sizeof(rec->scenario_sha256));
	rec->session = 1;
	rec->sequence = 0;
	snprintf(rec->step, sizeof(rec->step), "begin");
	rec->type = RECORD_GENESIS;
	snprintf(rec->time, sizeof(rec->time), "2025-01-02T03:04:05Z");
	snprintf(rec->actor, sizeof(rec->actor), "alice");
	rec->roster = test_roster_make(k);
	rec->recorder_version = strdup("0.1.0-test");
	rec->recorder_build = strdup("test-build");
	cr_assert(rec->recorder_version != NULL && rec->recorder_build != NULL);
	cr_assert_eq(record_serialize(rec, out), 0, "%s", err_message());
	record_free(rec);
}

void test_next_bytes(struct evidence_store *store, enum record_type type, const char *step, const char *value,
                     struct buf *out)
{
	struct record *rec = NULL;

	buf_reset(out);
	cr_assert_eq(record_new(&rec), 0);
	cr_assert_eq(evidence_prepare_next(store, rec), 0, "%s", err_message());
	snprintf(rec->step, sizeof(rec->step), "%s", step);
	rec->type = type;
	snprintf(rec->time, sizeof(rec->time), "2025-01-02T03:04:%02uZ", rec->sequence % 60);
	snprintf(rec->actor, sizeof(rec->actor), "alice");
	if (value != NULL)
		cr_assert_eq(record_add_value(rec, "n", value), 0, "%s", err_message());
	cr_assert_eq(record_serialize(rec, out), 0, "%s", err_message());
	record_free(rec);
}

void test_append_ok(struct evidence_store *store, const struct test_keys *k, const uint8_t *bytes, size_t len)
{
	struct signer *signers[2] = {k->signer[TEST_ALICE], k->signer[TEST_BOB]};

	cr_assert_eq(evidence_append(store, bytes, len, signers, 2, k->signer[TEST_ALICE], 1000, NULL), 0, "append: %s",
	             err_message());
}

struct evidence_store *test_store_make(const char *dir, const struct test_keys *k, const char *ceremony, unsigned steps,
                                       int close)
{
	struct evidence_store *store = NULL;
	struct buf bytes = buf_make(RECORD_BYTES_MAX);
	char value[16];

	cr_assert_eq(evidence_store_create(&store, dir), 0, "%s", err_message());
	test_genesis_bytes(k, ceremony, 0x5c, &bytes);
	test_append_ok(store, k, bytes.data, bytes.len);
	for (unsigned i = 1; i <= steps; i++) {
		snprintf(value, sizeof(value), "%u", i);
		test_next_bytes(store, RECORD_STEP, "step", value, &bytes);
		test_append_ok(store, k, bytes.data, bytes.len);
	}
	if (close) {
		test_next_bytes(store, RECORD_CLOSE, "close", NULL, &bytes);
		test_append_ok(store, k, bytes.data, bytes.len);
	}
	buf_free(&bytes);
	return store;
}

int test_has_finding(const struct findings *f, const char *code)
{
	for (size_t i = 0; i < f->count; i++)
		if (strcmp(f->items[i].code, code) == 0)
			return 1;
	return 0;
}

char *test_findings_text(const struct findings *f)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	cr_assert(out != NULL);
	fprintf(out, "%zu finding(s):\n", findings_total(f));
	findings_print(f, out);
	fclose(out);
	return text;
}

/* ---- scenarios ---- */

char *test_replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out = NULL;

	cr_assert(at != NULL, "test set-up: \"%s\" is not in the text", from);
	cr_assert(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) > 0);
	return out;
}

/* The test scenario. Line numbers matter to the tests: keep them in the comments. */
static const char TEST_SCENARIO_XML[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" /* 1 */
        "<!-- the scenario of the unit tests -->\n" /* 2 */
        "<scenario xmlns=\"urn:ceremony:scenario:1\" version=\"1\">\n" /* 3 */
        "  <id>test-1</id>\n" /* 4 */
        "  <title>Unit test ceremony</title>\n" /* 5 */
        "  <revision>3</revision>\n" /* 6 */
        "  <roles>\n" /* 7 */
        "    <role id=\"lead\">Lead</role>\n" /* 8 */
        "    <role id=\"keymaster\">Key master</role>\n" /* 9 */
        "    <role id=\"witness\">Witness</role>\n" /* 10 */
        "  </roles>\n" /* 11 */
        "  <roster>\n" /* 12 */
        "    <participant id=\"alice\" roles=\"lead witness\"><key>@ALICE@</key></participant>\n" /* 13 */
        "    <participant id=\"bob\" roles=\"keymaster witness\"><key>@BOB@</key></participant>\n" /* 14 */
        "    <participant id=\"carol\" roles=\"keymaster\">\n" /* 15 */
        "      <key>@CAROL@</key>\n" /* 16 */
        "      <key>@CAROL2@ carol's second key</key>\n" /* 17 */
        "    </participant>\n" /* 18 */
        "  </roster>\n" /* 19 */
        "  <steps>\n" /* 20 */
        "    <step id=\"room\" role=\"lead\">\n" /* 21 */
        "      <title>Check the room</title>\n" /* 22 */
        "      <instructions>Look around.\nTwice.</instructions>\n" /* 23, 24 */
        "      <signoff><require role=\"lead\" count=\"1\"/><require role=\"witness\" "
        "count=\"1\"/></signoff>\n" /* 25 */
        "      <capture name=\"serial\" pattern=\"TEB-[0-9]{6}\">Bag serial</capture>\n" /* 26 */
        "    </step>\n" /* 27 */
        "    <step id=\"open\" role=\"keymaster\" kind=\"manual\" confirm=\"true\">\n" /* 28 */
        "      <title>Open the bag</title>\n" /* 29 */
        "      <instructions>Cut it.</instructions>\n" /* 30 */
        "      <signoff><require role=\"keymaster\" count=\"2\"/><require role=\"witness\" "
        "count=\"1\"/></signoff>\n" /* 31 */
        "      <attach name=\"photo\" store=\"true\">Photo</attach>\n" /* 32 */
        "      <attach name=\"log\">Log</attach>\n" /* 33 */
        "    </step>\n" /* 34 */
        "    <step id=\"check\" role=\"lead\">\n" /* 35 */
        "      <title>Check</title>\n" /* 36 */
        "      <instructions>Compare.</instructions>\n" /* 37 */
        "      <signoff><require role=\"witness\" count=\"1\"/><require role=\"keymaster\" "
        "count=\"1\"/></signoff>\n" /* 38 */
        "      <capture name=\"fp\" pattern=\"[0-9a-f]{64}\">Fingerprint</capture>\n" /* 39 */
        "    </step>\n" /* 40 */
        "  </steps>\n" /* 41 */
        "  <restart><signoff><require role=\"lead\" count=\"1\"/><require role=\"witness\" "
        "count=\"1\"/></signoff></restart>\n" /* 42 */
        "  <close><signoff><require role=\"lead\" count=\"1\"/><require role=\"keymaster\" "
        "count=\"2\"/></signoff></close>\n" /* 43 */
        "</scenario>\n"; /* 44 */

char *test_scenario_xml(const struct test_keys *k)
{
	static const char *const marks[] = {
	        [TEST_ALICE] = "@ALICE@", [TEST_BOB] = "@BOB@", [TEST_CAROL] = "@CAROL@", [TEST_CAROL2] = "@CAROL2@"};
	char *text = strdup(TEST_SCENARIO_XML);

	cr_assert(text != NULL);
	for (int i = TEST_ALICE; i <= TEST_CAROL2; i++) {
		struct buf line = buf_make(1024);
		char *next;
		cr_assert_eq(sshkey_public_format_line(&k->key[i]->public_key, &line), 0, "%s", err_message());
		next = test_replace(text, marks[i], (const char *)line.data);
		free(text);
		text = next;
		buf_free(&line);
	}
	return text;
}

struct scenario *test_scenario_make(const struct test_keys *k)
{
	char *text = test_scenario_xml(k);
	struct scenario *s = NULL;

	cr_assert_eq(scenario_parse(&s, (const uint8_t *)text, strlen(text), 0), 0, "scenario_parse: %s",
	             err_message());
	free(text);
	return s;
}
