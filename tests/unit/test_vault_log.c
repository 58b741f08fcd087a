/* vault/log: the signed, chained JSON Lines log of every vault operation. A golden line, round trips,
 * stock tools (jq, sha256sum, openssl) reading what we write, what open does with a torn final line,
 * and every refusal of the writer, of open and of the verifier with its code, message and line. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/init.h"
#include "helpers.h"
#include "vault/log.h"

static char *dir;
static char *log_path;
static uint8_t audit_pk[crypto_sign_PUBLICKEYBYTES], audit_sk[crypto_sign_SECRETKEYBYTES];
static uint8_t other_pk[crypto_sign_PUBLICKEYBYTES], other_sk[crypto_sign_SECRETKEYBYTES];

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
	dir = test_tmpdir("vault-log");
	cr_assert(asprintf(&log_path, "%s/vault.log", dir) > 0);
	crypto_sign_keypair(audit_pk, audit_sk);
	crypto_sign_keypair(other_pk, other_sk);
}

static void teardown(void)
{
	if (dir != NULL)
		test_run("rm -rf '%s'", dir);
	free(dir);
	free(log_path);
	dir = log_path = NULL;
}

TestSuite(vault_log, .init = setup, .fini = teardown, .timeout = 60);

/* The sign callback: ctx is a libsodium secret key (a real vault keeps it in locked memory). */
static int sign_with(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[VAULT_LOG_SIGNATURE_BYTES])
{
	return crypto_sign_ed25519_detached(sig, NULL, msg, len, ctx) == 0 ? 0 : CER_ERR_INTERNAL;
}

static int sign_fails(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[VAULT_LOG_SIGNATURE_BYTES])
{
	(void)ctx, (void)msg, (void)len, (void)sig;
	return err_set(CER_ERR_IO, "the signing token is unplugged");
}

static void assert_error(int r, int code, const char *fragment)
{
	cr_assert_eq(r, code, "expected %s, got %d (%s)", err_code_name(code), r, err_message());
	cr_assert(strstr(err_message(), fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

/* Verify and expect a refusal at `line` with `code` and a message holding `fragment`. */
static void assert_refused(int code, uint64_t line, const char *fragment)
{
	struct vault_log_result res;
	int r = vault_log_verify(log_path, audit_pk, &res);

	assert_error(r, code, fragment);
	cr_assert_eq(res.bad_line, line, "bad line %llu, expected %llu (%s)", (unsigned long long)res.bad_line,
	             (unsigned long long)line, err_message());
	cr_assert(strncmp(err_message(), log_path, strlen(log_path)) == 0, "message names the file: %s", err_message());
}

static void assert_verifies(uint64_t entries)
{
	struct vault_log_result res;
	int r = vault_log_verify(log_path, audit_pk, &res);

	cr_assert_eq(r, 0, "%s", err_message());
	cr_assert_eq(res.entries, entries, "%llu entries, expected %llu", (unsigned long long)res.entries,
	             (unsigned long long)entries);
	cr_assert_eq(res.bad_line, 0);
}

static struct vault_log_entry basic_entry(const char *op)
{
	struct vault_log_entry e = {0};

	e.time = 1714564800; /* 2024-05-01T12:00:00Z */
	e.who = "alice";
	e.op = op;
	e.outcome = VAULT_LOG_OUTCOME_OK;
	return e;
}

/* A new log at log_path with `n` entries (detail "entry <i> of the test"); returns it closed. */
static void make_log(unsigned n)
{
	struct vault_log *log = NULL;
	char detail[64];
	unsigned i;

	cr_assert_eq(vault_log_create(&log, log_path, audit_pk), 0, "%s", err_message());
	for (i = 0; i < n; i++) {
		struct vault_log_entry e = basic_entry("sign");
		snprintf(detail, sizeof(detail), "entry %u of the test", i);
		e.detail = detail;
		e.label = "firmware-signing";
		cr_assert_eq(vault_log_append(log, &e, sign_with, audit_sk, NULL, NULL), 0, "%s", err_message());
	}
	vault_log_close(log);
}

/* The log's lines (newlines kept), for editing in tests. */
struct lines {
	char *text;
	char *line[64];
	size_t len[64];
	size_t count;
};

static void lines_read(struct lines *l)
{
	size_t total = 0;
	char *p;

	memset(l, 0, sizeof(*l));
	l->text = test_read_file(log_path, &total);
	p = l->text;
	while (p < l->text + total) {
		char *nl = memchr(p, '\n', (size_t)(l->text + total - p));
		size_t len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(l->text + total - p);
		cr_assert_lt(l->count, 64);
		l->line[l->count] = p;
		l->len[l->count] = len;
		l->count++;
		p += len;
	}
}

/* Write the lines back in the order `order` names (indices), `n` of them. */
static void lines_write(const struct lines *l, const size_t *order, size_t n)
{
	FILE *f = fopen(log_path, "wb");
	size_t i;

	cr_assert_not_null(f);
	for (i = 0; i < n; i++)
		cr_assert_eq(fwrite(l->line[order[i]], 1, l->len[order[i]], f), l->len[order[i]]);
	cr_assert_eq(fclose(f), 0);
}

static void append_raw(const void *data, size_t len)
{
	FILE *f = fopen(log_path, "ab");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* A line signed with `sk`: `body` is every member but "sig", without the closing brace, exactly as
 * docs/formats/vault-log.md says the signature is computed. Caller frees. */
static char *signed_line(const uint8_t *sk, const char *body)
{
	uint8_t sig[64];
	char b64[VAULT_LOG_SIGNATURE_CHARS + 1];
	char *msg = NULL, *line = NULL;
	int n;

	n = asprintf(&msg, "%s%s}", VAULT_LOG_SIGNING_CONTEXT, body);
	cr_assert_gt(n, 0);
	crypto_sign_ed25519_detached(sig, NULL, (const uint8_t *)msg, (size_t)n, sk);
	sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	cr_assert_gt(asprintf(&line, "%s,\"sig\":\"%s\"}\n", body, b64), 0);
	free(msg);
	return line;
}

/* Hex SHA-256 of the log's last line (without its newline): the prev of a line appended now. */
static void head_hex(char out[65])
{
	struct lines l;

	lines_read(&l);
	cr_assert_gt(l.count, 0);
	sha256_hex(l.line[l.count - 1], l.len[l.count - 1] - 1, out);
	free(l.text);
}

/* ---- the format, byte for byte ---- */

/* The example line of docs/formats/vault-log.md: audit key from the seed 32 x 0x01, one entry. Its
 * signature was also made with `openssl pkeyutl -sign -rawin` from the same seed (the spec, not our code). */
#define GOLDEN_LINE                                                                                                    \
	"{\"v\":1,\"seq\":0,\"time\":\"2024-05-01T12:00:00Z\",\"who\":\"operator\",\"op\":\"generate\","               \
	"\"label\":\"firmware-signing\",\"fingerprint\":"                                                              \
	"\"2222222222222222222222222222222222222222222222222222222222222222\",\"outcome\":\"ok\","                     \
	"\"detail\":\"ECDSA P-384 \\\"as scripted\\\", path C:\\\\vault \xc3\xa9\",\"prev\":"                          \
	"\"0000000000000000000000000000000000000000000000000000000000000000\",\"sig\":"                                \
	"\"" GOLDEN_SIG "\"}\n"
#define GOLDEN_SIG "N9oCaGe5v6dsi6EdDwK2G+RPgTBtehVVhFC1tB5Q9p/htxwFuL6Aw55L2EuQ76oBI73xdsPJKQ+Hlg1kp/wxDQ=="

Test(vault_log, golden_line)
{
	uint8_t seed[32], pk[32], sk[64], fp[32], hash[32], expect_hash[32];
	struct vault_log *log = NULL;
	struct vault_log_entry e = basic_entry("generate");
	uint64_t seq = 99;
	size_t len;
	char *text;

	memset(seed, 0x01, sizeof(seed));
	memset(fp, 0x22, sizeof(fp));
	crypto_sign_seed_keypair(pk, sk, seed);
	e.who = "operator";
	e.label = "firmware-signing";
	e.fingerprint = fp;
	e.detail = "ECDSA P-384 \"as scripted\", path C:\\vault \xc3\xa9";
	cr_assert_eq(vault_log_create(&log, log_path, pk), 0, "%s", err_message());
	cr_assert_eq(vault_log_append(log, &e, sign_with, sk, &seq, hash), 0, "%s", err_message());
	vault_log_close(log);
	text = test_read_file(log_path, &len);
	cr_assert_str_eq(text, GOLDEN_LINE);
	cr_assert_eq(seq, 0);
	sha256_digest(text, len - 1, expect_hash);
	cr_assert_arr_eq(hash, expect_hash, 32, "the hash returned is the SHA-256 of the line without newline");
	free(text);
}

/* The detail of entry i of make_varied_log(): quotes, a backslash and a non-ASCII character. */
static void varied_detail(char out[128], unsigned i)
{
	snprintf(out, 128, "n=%u \"q\" \\ \xe2\x9c\x93 tab-free", i);
}

/* A new log of `n` entries that take every optional field in turn, every outcome, two kinds of
 * who; hashes[i] (optional) gets each line's hash as append returns it. */
static void make_varied_log(unsigned n, uint8_t (*hashes)[32])
{
	struct vault_log *log = NULL;
	uint8_t fp[32];
	char detail[128];
	unsigned i;

	cr_assert_eq(vault_log_create(&log, log_path, audit_pk), 0, "%s", err_message());
	cr_assert_eq(vault_log_next_seq(log), 0);
	for (i = 0; i < n; i++) {
		struct vault_log_entry e = basic_entry(i % 7 == 0 ? "unseal-share" : "sign");
		uint64_t seq = 0;

		memset(fp, (int)i, sizeof(fp));
		varied_detail(detail, i);
		e.time = 1714564800 + i;
		e.who = i % 2 ? "process:fw-ci@build-7" : "bob";
		e.label = i % 2 ? "firmware-signing" : NULL;
		e.fingerprint = i % 3 ? fp : NULL;
		e.detail = i % 5 ? detail : NULL;
		e.outcome = (enum vault_log_outcome)(1 + i % 3);
		cr_assert_eq(vault_log_append(log, &e, sign_with, audit_sk, &seq, hashes != NULL ? hashes[i] : NULL), 0,
		             "%s", err_message());
		cr_assert_eq(seq, i);
	}
	if (hashes != NULL && n > 0) {
		uint8_t head[32];
		vault_log_head(log, head);
		cr_assert_arr_eq(head, hashes[n - 1], 32);
	}
	vault_log_close(log);
}

Test(vault_log, round_trip)
{
	enum { N = 300 };
	static uint8_t hashes[N][32];
	struct vault_log_result res;

	make_varied_log(N, hashes);
	cr_assert_eq(vault_log_verify(log_path, audit_pk, &res), 0, "%s", err_message());
	cr_assert_eq(res.entries, N);
	cr_assert_arr_eq(res.head, hashes[N - 1], 32);
}

struct collected {
	unsigned count;
	uint8_t last_hash[32];
	int stop_at;
};

static int collect(void *ctx, const struct vault_log_line *line)
{
	struct collected *c = ctx;
	char detail[128], time_text[32];
	uint8_t fp[32];
	unsigned i = c->count;
	time_t t;
	struct tm tm;

	if (c->stop_at >= 0 && (int)i == c->stop_at)
		return err_set(CER_ERR_REFUSED, "stopped by the caller at %u", i);
	cr_assert_eq(line->seq, i);
	cr_assert_arr_eq(line->prev, c->last_hash, 32);
	sha256_digest(line->bytes, line->len, fp);
	cr_assert_arr_eq(line->hash, fp, 32);
	cr_assert_eq(line->entry.time, 1714564800 + i);
	t = (time_t)line->entry.time;
	gmtime_r(&t, &tm);
	strftime(time_text, sizeof(time_text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cr_assert_str_eq(line->time_text, time_text);
	cr_assert_str_eq(line->entry.op, i % 7 == 0 ? "unseal-share" : "sign");
	cr_assert_str_eq(line->entry.who, i % 2 ? "process:fw-ci@build-7" : "bob");
	if (i % 2)
		cr_assert_str_eq(line->entry.label, "firmware-signing");
	else
		cr_assert_null(line->entry.label);
	memset(fp, (int)i, sizeof(fp));
	if (i % 3)
		cr_assert_arr_eq(line->entry.fingerprint, fp, 32);
	else
		cr_assert_null(line->entry.fingerprint);
	varied_detail(detail, i);
	if (i % 5)
		cr_assert_str_eq(line->entry.detail, detail);
	else
		cr_assert_null(line->entry.detail);
	cr_assert_eq(line->entry.outcome, 1 + i % 3);
	memcpy(c->last_hash, line->hash, 32);
	c->count++;
	return 0;
}

Test(vault_log, each_hands_over_every_entry_as_written)
{
	struct collected c = {0, {0}, -1};
	struct vault_log_result res;

	make_varied_log(40, NULL);
	cr_assert_eq(vault_log_each(log_path, audit_pk, collect, &c, &res), 0, "%s", err_message());
	cr_assert_eq(c.count, 40);
	cr_assert_eq(res.entries, 40);
	cr_assert_arr_eq(res.head, c.last_hash, 32);

	/* A callback's refusal stops the walk and comes back as it is: no line is blamed. */
	memset(&c, 0, sizeof(c));
	c.stop_at = 3;
	assert_error(vault_log_each(log_path, audit_pk, collect, &c, &res), CER_ERR_REFUSED,
	             "stopped by the caller at 3");
	cr_assert_eq(c.count, 3);
	cr_assert_eq(res.bad_line, 0);
}

Test(vault_log, reopen_continues_the_chain)
{
	struct vault_log *log = NULL;
	struct vault_log_entry e = basic_entry("seal");
	uint8_t head[32], head2[32], hash[32];
	uint64_t seq = 0;

	make_log(3);
	cr_assert_eq(vault_log_open(&log, log_path, audit_pk), 0, "%s", err_message());
	cr_assert_eq(vault_log_next_seq(log), 3);
	cr_assert_eq(vault_log_torn_bytes(log), 0);
	vault_log_head(log, head);
	{
		char hex[65], want[65];
		hex_encode(head, 32, hex);
		head_hex(want);
		cr_assert_str_eq(hex, want);
	}
	cr_assert_eq(vault_log_append(log, &e, sign_with, audit_sk, &seq, hash), 0, "%s", err_message());
	cr_assert_eq(seq, 3);
	vault_log_head(log, head2);
	cr_assert_arr_eq(head2, hash, 32);
	vault_log_close(log);
	assert_verifies(4);
}

Test(vault_log, time_zero_means_now)
{
	struct vault_log *log = NULL;
	struct vault_log_entry e = basic_entry("self-test");
	struct lines l;
	time_t before = time(NULL), after;
	char *p;
	struct tm tm = {0};

	e.time = 0;
	cr_assert_eq(vault_log_create(&log, log_path, audit_pk), 0, "%s", err_message());
	cr_assert_eq(vault_log_append(log, &e, sign_with, audit_sk, NULL, NULL), 0, "%s", err_message());
	vault_log_close(log);
	after = time(NULL);
	lines_read(&l);
	p = strstr(l.line[0], "\"time\":\"");
	cr_assert_not_null(p);
	cr_assert_not_null(strptime(p + 8, "%Y-%m-%dT%H:%M:%SZ", &tm));
	cr_assert(timegm(&tm) >= before && timegm(&tm) <= after);
	free(l.text);
	assert_verifies(1);
}

Test(vault_log, empty_log_verifies)
{
	struct vault_log *log = NULL;
	struct vault_log_result res;
	uint8_t zero[32] = {0};

	cr_assert_eq(vault_log_create(&log, log_path, audit_pk), 0, "%s", err_message());
	vault_log_close(log);
	cr_assert_eq(vault_log_verify(log_path, audit_pk, &res), 0, "%s", err_message());
	cr_assert_eq(res.entries, 0);
	cr_assert_arr_eq(res.head, zero, 32);
	cr_assert_eq(vault_log_open(&log, log_path, audit_pk), 0, "%s", err_message());
	cr_assert_eq(vault_log_next_seq(log), 0);
	vault_log_close(log);
}

/* ---- stock tools read what we write ---- */

Test(vault_log, jq_parses_every_line)
{
	char *out = NULL;

	if (test_run("command -v jq >/dev/null 2>&1") != 0) {
		cr_log_warn("jq is not installed: skipping the check that jq parses the vault log");
		cr_skip_test("jq not installed");
	}
	make_log(12);
	cr_assert(asprintf(&out, "%s/jq.out", dir) > 0);
	cr_assert_eq(test_run("jq -c . '%s' > '%s'", log_path, out), 0, "jq refused the log");
	cr_assert_eq(test_run("test \"$(jq -s length '%s')\" = 12", log_path), 0);
	cr_assert_eq(test_run("test \"$(jq -r 'select(.seq == 7) | .detail' '%s')\" = 'entry 7 of the test'", log_path),
	             0);
	cr_assert_eq(test_run("test \"$(jq -r '[.[] | .seq] == [range(12)]' -s '%s')\" = true", log_path), 0);
	/* jq -c re-serializes our compact lines to the same bytes. */
	cr_assert_eq(test_run("cmp -s '%s' '%s'", out, log_path), 0, "jq -c changed the bytes");
	free(out);
}

/* docs/formats/vault-log.md gives a line's bytes as a template of regular expressions: every line the
 * writer writes matches it (grep -E in the C locale, where a byte is a character). */
#define SPEC_LINE_ERE                                                                                                  \
	"^\\{\"v\":1,\"seq\":(0|[1-9][0-9]*),\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\","     \
	"\"who\":\"[]-~!#-[]{1,128}\",\"op\":\"[a-z][a-z0-9-]{0,31}\"(,\"label\":\"[a-z0-9][a-z0-9._-]{0,63}\")?"      \
	"(,\"fingerprint\":\"[0-9a-f]{64}\")?,\"outcome\":\"(ok|refused|failed)\"(,\"detail\":\"([^\"\\\\]|\\\\["      \
	"\"\\\\])+\")?(,\"certifies\":\"[0-9a-f]{64}\")?(,\"signer\":\"[0-9a-f]{64}\")?"                               \
	",\"prev\":\"[0-9a-f]{64}\",\"sig\":\"[A-Za-z0-9+/]{85}[AQgw]==\"\\}$"

Test(vault_log, every_line_matches_the_spec_template)
{
	char *ere = NULL;

	make_varied_log(40, NULL);
	cr_assert(asprintf(&ere, "%s/spec.ere", dir) > 0);
	test_write_file(ere, SPEC_LINE_ERE "\n", strlen(SPEC_LINE_ERE) + 1);
	cr_assert_eq(test_run("test \"$(LC_ALL=C grep -c -E -f '%s' '%s')\" = 40", ere, log_path), 0,
	             "a line does not match the template of the spec");
	/* and the template is no catch-all: an edited line fails it */
	cr_assert_eq(
	        test_run(
	                "sed -n 1p '%s' | sed 's/\"who\":\"bob\"/\"who\":\"bob smith\"/' | LC_ALL=C grep -q -E -f '%s'",
	                log_path, ere),
	        1);
	free(ere);
}

Test(vault_log, stock_tools_check_the_chain_and_a_signature)
{
	static const uint8_t spki_prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
	uint8_t der[44];
	char *pub = NULL;

	if (test_run("command -v jq >/dev/null && command -v openssl >/dev/null && command -v sha256sum >/dev/null "
	             "2>&1") != 0)
		cr_skip_test("jq, openssl or sha256sum not installed");
	make_log(3);
	/* prev of line 2 = sha256sum of line 1 without its newline */
	cr_assert_eq(test_run("cd '%s' && test \"$(sed -n 1p vault.log | tr -d '\\n' | sha256sum | cut -d' ' -f1)\" = "
	                      "\"$(sed -n 2p vault.log | jq -r .prev)\"",
	                      dir),
	             0, "the chain does not follow with sha256sum");
	/* The signed message of line 2, built with sed as the spec says, verified with openssl. */
	memcpy(der, spki_prefix, sizeof(spki_prefix));
	memcpy(der + sizeof(spki_prefix), audit_pk, 32);
	cr_assert(asprintf(&pub, "%s/audit.der", dir) > 0);
	test_write_file(pub, der, sizeof(der));
	cr_assert_eq(
	        test_run("cd '%s' && { printf 'ceremony-vault-log-v1\\n'; sed -n 2p vault.log | "
	                 "sed 's/,\"sig\":\"[^\"]*\"}$/}/' | tr -d '\\n'; } > msg && "
	                 "sed -n 2p vault.log | jq -r .sig | base64 -d > sig && "
	                 "openssl pkeyutl -verify -pubin -keyform DER -inkey audit.der -rawin -in msg -sigfile sig "
	                 ">/dev/null",
	                 dir),
	        0, "openssl does not verify the signature of line 2");
	free(pub);
}

/* ---- what the verifier refuses: tampering ---- */

Test(vault_log, edited_byte_in_detail)
{
	struct lines l;
	char *p;

	make_log(10);
	lines_read(&l);
	p = strstr(l.line[4], "entry 4");
	cr_assert_not_null(p);
	p[0] = 'E';
	lines_write(&l, (size_t[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10);
	free(l.text);
	assert_refused(CER_ERR_VERIFY, 5, "line 5: bad signature");
}

Test(vault_log, line_deleted)
{
	struct lines l;

	make_log(10);
	lines_read(&l);
	lines_write(&l, (size_t[]){0, 1, 2, 4, 5, 6, 7, 8, 9}, 9);
	free(l.text);
	assert_refused(CER_ERR_VERIFY, 4, "line 4: seq is 4 where 3 was expected");
}

Test(vault_log, first_line_deleted)
{
	struct lines l;

	make_log(4);
	lines_read(&l);
	lines_write(&l, (size_t[]){1, 2, 3}, 3);
	free(l.text);
	assert_refused(CER_ERR_VERIFY, 1, "line 1: seq is 1 where 0 was expected");
}

Test(vault_log, two_lines_swapped)
{
	struct lines l;

	make_log(10);
	lines_read(&l);
	lines_write(&l, (size_t[]){0, 1, 2, 4, 3, 5, 6, 7, 8, 9}, 10);
	free(l.text);
	assert_refused(CER_ERR_VERIFY, 4, "line 4: seq is 4 where 3 was expected");
}

Test(vault_log, line_replayed)
{
	struct lines l;

	make_log(5);
	lines_read(&l);
	lines_write(&l, (size_t[]){0, 1, 2, 2, 3, 4}, 6);
	free(l.text);
	assert_refused(CER_ERR_VERIFY, 4, "line 4: seq is 2 where 3 was expected");
}

Test(vault_log, line_appended_by_someone_without_the_key)
{
	char prev[65], body[512], *line;

	make_log(10);
	head_hex(prev);
	snprintf(body, sizeof(body),
	         "{\"v\":1,\"seq\":10,\"time\":\"2024-05-01T13:00:00Z\",\"who\":\"alice\",\"op\":\"export\","
	         "\"outcome\":\"ok\",\"prev\":\"%s\"",
	         prev);
	line = signed_line(other_sk, body);
	append_raw(line, strlen(line));
	free(line);
	assert_refused(CER_ERR_VERIFY, 11, "line 11: bad signature");
}

Test(vault_log, line_appended_with_a_made_up_signature)
{
	char prev[65], line[512];

	make_log(2);
	head_hex(prev);
	snprintf(line, sizeof(line),
	         "{\"v\":1,\"seq\":2,\"time\":\"2024-05-01T13:00:00Z\",\"who\":\"alice\",\"op\":\"export\","
	         "\"outcome\":\"ok\",\"prev\":\"%s\",\"sig\":\"%s\"}\n",
	         prev, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==");
	append_raw(line, strlen(line));
	assert_refused(CER_ERR_VERIFY, 3, "line 3: bad signature");
}

Test(vault_log, signed_by_another_key)
{
	struct vault_log *log = NULL;
	struct vault_log_entry e = basic_entry("init");

	cr_assert_eq(vault_log_create(&log, log_path, other_pk), 0, "%s", err_message());
	cr_assert_eq(vault_log_append(log, &e, sign_with, other_sk, NULL, NULL), 0, "%s", err_message());
	vault_log_close(log);
	assert_refused(CER_ERR_VERIFY, 1, "line 1: bad signature");
	/* and open refuses to continue it under the audit key */
	assert_error(vault_log_open(&log, log_path, audit_pk), CER_ERR_VERIFY, "the last line: bad signature");
	cr_assert_null(log);
}

Test(vault_log, seq_gap_even_when_signed)
{
	char prev[65], body[512], *line;

	make_log(2);
	head_hex(prev);
	snprintf(body, sizeof(body),
	         "{\"v\":1,\"seq\":3,\"time\":\"2024-05-01T13:00:00Z\",\"who\":\"alice\",\"op\":\"export\","
	         "\"outcome\":\"ok\",\"prev\":\"%s\"",
	         prev);
	line = signed_line(audit_sk, body);
	append_raw(line, strlen(line));
	free(line);
	assert_refused(CER_ERR_VERIFY, 3, "line 3: seq is 3 where 2 was expected");
}

Test(vault_log, bad_prev_even_when_signed)
{
	char body[512], *line;

	make_log(2);
	snprintf(body, sizeof(body),
	         "{\"v\":1,\"seq\":2,\"time\":\"2024-05-01T13:00:00Z\",\"who\":\"alice\",\"op\":\"export\","
	         "\"outcome\":\"ok\",\"prev\":\"%s\"",
	         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	line = signed_line(audit_sk, body);
	append_raw(line, strlen(line));
	free(line);
	assert_refused(CER_ERR_VERIFY, 3, "line 3: prev does not match the hash of line 2");
}

Test(vault_log, first_prev_not_zero)
{
	char body[512], *line;

	snprintf(body, sizeof(body),
	         "{\"v\":1,\"seq\":0,\"time\":\"2024-05-01T13:00:00Z\",\"who\":\"alice\",\"op\":\"init\","
	         "\"outcome\":\"ok\",\"prev\":\"%s\"",
	         "0000000000000000000000000000000000000000000000000000000000000001");
	line = signed_line(audit_sk, body);
	test_write_file(log_path, line, strlen(line));
	free(line);
	assert_refused(CER_ERR_VERIFY, 1, "line 1: prev is not 64 zeros");
}

/* ---- what the verifier refuses: lines that are not well-formed ---- */

/* Line 2 of a log: a valid line 1, then `body_template` (its "%s" replaced by the right prev) signed by the audit
 * key, so that the defect itself, not the signature, is what is refused. */
static void write_with_line2(const char *body_template)
{
	char prev[65], body[4096], *line;
	const char *at = strstr(body_template, "%s");

	make_log(1);
	head_hex(prev);
	if (at != NULL)
		snprintf(body, sizeof(body), "%.*s%s%s", (int)(at - body_template), body_template, prev, at + 2);
	else
		snprintf(body, sizeof(body), "%s", body_template);
	line = signed_line(audit_sk, body);
	append_raw(line, strlen(line));
	free(line);
}

#define HEAD "{\"v\":1,\"seq\":1,\"time\":\"2024-05-01T13:00:00Z\""
#define WHO_OP ",\"who\":\"alice\",\"op\":\"export\""
#define TAIL ",\"prev\":\"%s\""

struct defect {
	const char *name;
	const char *body;
	int code;
	const char *fragment;
};

static const struct defect defects[] = {
        {"duplicate key", HEAD WHO_OP ",\"op\":\"sign\",\"outcome\":\"ok\"" TAIL, CER_ERR_FORMAT,
         "line 2: not valid JSON: duplicate object key"},
        {"unknown field", HEAD WHO_OP ",\"x\":\"y\",\"outcome\":\"ok\"" TAIL, CER_ERR_FORMAT,
         "line 2: unknown field \"x\""},
        {"missing field", HEAD ",\"op\":\"export\",\"outcome\":\"ok\"" TAIL, CER_ERR_FORMAT,
         "line 2: missing field \"who\""},
        {"missing last field", HEAD WHO_OP ",\"outcome\":\"ok\"", CER_ERR_FORMAT, "line 2: missing field \"prev\""},
        {"field out of order", HEAD WHO_OP ",\"outcome\":\"ok\",\"label\":\"k\"" TAIL, CER_ERR_FORMAT,
         "line 2: field \"label\" is out of order"},
        {"version 2", "{\"v\":2,\"seq\":1,\"time\":\"2024-05-01T13:00:00Z\"" WHO_OP ",\"outcome\":\"ok\"" TAIL,
         CER_ERR_UNSUPPORTED, "line 2: version 2 is not supported"},
        {"version not first", "{\"seq\":1,\"v\":1,\"time\":\"2024-05-01T13:00:00Z\"" WHO_OP ",\"outcome\":\"ok\"" TAIL,
         CER_ERR_FORMAT, "line 2: the first field is not \"v\""},
        {"version a string",
         "{\"v\":\"1\",\"seq\":1,\"time\":\"2024-05-01T13:00:00Z\"" WHO_OP ",\"outcome\":\"ok\"" TAIL, CER_ERR_FORMAT,
         "line 2: field \"v\" is not an integer"},
        {"seq a string", "{\"v\":1,\"seq\":\"1\",\"time\":\"2024-05-01T13:00:00Z\"" WHO_OP ",\"outcome\":\"ok\"" TAIL,
         CER_ERR_FORMAT, "line 2: field \"seq\" is not an integer"},
        {"seq a real", "{\"v\":1,\"seq\":1.0,\"time\":\"2024-05-01T13:00:00Z\"" WHO_OP ",\"outcome\":\"ok\"" TAIL,
         CER_ERR_FORMAT, "line 2: field \"seq\" is not an integer"},
        {"seq negative zero", "{\"v\":1,\"seq\":-0,\"time\":\"2024-05-01T13:00:00Z\"" WHO_OP ",\"outcome\":\"ok\"" TAIL,
         CER_ERR_FORMAT, "line 2: not in canonical form: a signed number"},
        {"seq too large",
         "{\"v\":1,\"seq\":9007199254740992,\"time\":\"2024-05-01T13:00:00Z\"" WHO_OP ",\"outcome\":\"ok\"" TAIL,
         CER_ERR_FORMAT, "line 2: field \"seq\" is out of range"},
        {"time not a date", "{\"v\":1,\"seq\":1,\"time\":\"2024-02-30T13:00:00Z\"" WHO_OP ",\"outcome\":\"ok\"" TAIL,
         CER_ERR_FORMAT, "line 2: \"time\" \"2024-02-30T13:00:00Z\" is not a UTC time"},
        {"time with an offset",
         "{\"v\":1,\"seq\":1,\"time\":\"2024-05-01T13:00:00+01:00\"" WHO_OP ",\"outcome\":\"ok\"" TAIL, CER_ERR_FORMAT,
         "line 2: \"time\" \"2024-05-01T13:00:00+01:00\" is not a UTC time"},
        {"who an object", HEAD ",\"who\":{},\"op\":\"export\",\"outcome\":\"ok\"" TAIL, CER_ERR_FORMAT,
         "line 2: field \"who\" is not a string"},
        {"who with a space", HEAD ",\"who\":\"alice smith\",\"op\":\"export\",\"outcome\":\"ok\"" TAIL, CER_ERR_FORMAT,
         "line 2: \"who\" holds a character other than printable ASCII"},
        {"op upper case", HEAD ",\"who\":\"alice\",\"op\":\"Export\",\"outcome\":\"ok\"" TAIL, CER_ERR_FORMAT,
         "line 2: \"op\" \"Export\" is not an operation id"},
        {"label not an id", HEAD WHO_OP ",\"label\":\"../etc\",\"outcome\":\"ok\"" TAIL, CER_ERR_FORMAT,
         "line 2: \"label\" \"../etc\" is not a key label"},
        {"fingerprint upper case",
         HEAD WHO_OP ",\"fingerprint\":\"ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB\","
                     "\"outcome\":\"ok\"" TAIL,
         CER_ERR_FORMAT, "line 2: field \"fingerprint\" is not 64 lower-case hex digits"},
        {"outcome unknown", HEAD WHO_OP ",\"outcome\":\"maybe\"" TAIL, CER_ERR_FORMAT,
         "line 2: field \"outcome\" is not \"ok\", \"refused\" or \"failed\""},
        {"detail empty", HEAD WHO_OP ",\"outcome\":\"ok\",\"detail\":\"\"" TAIL, CER_ERR_FORMAT,
         "line 2: \"detail\" must be 1 to 1024 bytes"},
        {"detail with an escaped newline", HEAD WHO_OP ",\"outcome\":\"ok\",\"detail\":\"a\\nb\"" TAIL, CER_ERR_FORMAT,
         "line 2: not in canonical form: escape \\n"},
        {"detail with a unicode escape", HEAD WHO_OP ",\"outcome\":\"ok\",\"detail\":\"\\u0041\"" TAIL, CER_ERR_FORMAT,
         "line 2: not in canonical form: escape \\u"},
        {"detail with DEL", HEAD WHO_OP ",\"outcome\":\"ok\",\"detail\":\"a\x7f\"" TAIL, CER_ERR_FORMAT,
         "line 2: \"detail\" holds a control character"},
        {"detail with a raw tab", HEAD WHO_OP ",\"outcome\":\"ok\",\"detail\":\"a\tb\"" TAIL, CER_ERR_FORMAT,
         "line 2: not valid JSON: control character 0x9"},
        {"invalid UTF-8", HEAD WHO_OP ",\"outcome\":\"ok\",\"detail\":\"caf\xff\"" TAIL, CER_ERR_FORMAT,
         "line 2: not valid JSON: unable to decode byte 0xff"},
        {"UTF-8 surrogate", HEAD WHO_OP ",\"outcome\":\"ok\",\"detail\":\"\xed\xa0\x80\"" TAIL, CER_ERR_FORMAT,
         "line 2: not valid JSON: unable to decode byte 0xed"},
        {"white space", "{\"v\":1, \"seq\":1,\"time\":\"2024-05-01T13:00:00Z\"" WHO_OP ",\"outcome\":\"ok\"" TAIL,
         CER_ERR_FORMAT, "line 2: not in canonical form: white space outside a string at byte 7"},
        {"prev upper case", HEAD WHO_OP ",\"outcome\":\"ok\",\"prev\":\"AAAA\"", CER_ERR_FORMAT,
         "line 2: field \"prev\" is not 64 lower-case hex digits"},
};

/* Verify and expect a refusal of line 2, naming the case on failure. */
static void assert_line2_refused(const struct defect *d)
{
	struct vault_log_result res;
	int r = vault_log_verify(log_path, audit_pk, &res);

	cr_assert_eq(r, d->code, "%s: expected %s, got %d (%s)", d->name, err_code_name(d->code), r, err_message());
	cr_assert(strstr(err_message(), d->fragment) != NULL, "%s: message \"%s\" lacks \"%s\"", d->name, err_message(),
	          d->fragment);
	cr_assert_eq(res.bad_line, 2, "%s: bad line %llu", d->name, (unsigned long long)res.bad_line);
	cr_assert_eq(unlink(log_path), 0);
}

Test(vault_log, malformed_line2)
{
	size_t i;

	for (i = 0; i < sizeof(defects) / sizeof(defects[0]); i++) {
		write_with_line2(defects[i].body);
		assert_line2_refused(&defects[i]);
	}
}

/* Lines whose defect is in the bytes around the JSON, written as they are (no signature made). */
static const struct defect raw_defects[] = {
        {"not JSON", "{\"v\":1,\"seq\":\n", CER_ERR_FORMAT, "line 2: not valid JSON"},
        {"garbage after the object", "{\"v\":1}x\n", CER_ERR_FORMAT, "line 2: not valid JSON: end of file expected"},
        {"an array", "[1,2]\n", CER_ERR_FORMAT, "line 2: not a JSON object"},
        {"empty line", "\n", CER_ERR_FORMAT, "line 2: empty line"},
        {"NUL byte", "{\"v\":1,\"seq\":1}\0\n", CER_ERR_FORMAT, "line 2: not valid JSON"},
        {"short signature",
         HEAD WHO_OP
         ",\"outcome\":\"ok\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\","
         "\"sig\":\"AAAA\"}\n",
         CER_ERR_FORMAT, "line 2: field \"sig\" is not the base64 of a 64-byte signature"},
        {"signature not last",
         HEAD WHO_OP ",\"outcome\":\"ok\",\"sig\":\"AAAA\",\"prev\":"
                     "\"0000000000000000000000000000000000000000000000000000000000000000\"}\n",
         CER_ERR_FORMAT, "line 2: field \"sig\" is out of order (it must come after \"prev\")"},
};

Test(vault_log, malformed_raw_line2)
{
	size_t i;

	for (i = 0; i < sizeof(raw_defects) / sizeof(raw_defects[0]); i++) {
		const struct defect *d = &raw_defects[i];
		/* The NUL case needs its real length: every body ends at its only newline. */
		size_t len = (size_t)((const char *)memchr(d->body, '\n', 4096) - d->body) + 1;

		make_log(1);
		append_raw(d->body, len);
		assert_line2_refused(d);
	}
}

Test(vault_log, carriage_return_before_newline)
{
	struct lines l;

	make_log(3);
	lines_read(&l);
	l.line[1][l.len[1] - 1] = '\r';
	{
		FILE *f = fopen(log_path, "wb");
		cr_assert_not_null(f);
		fwrite(l.line[0], 1, l.len[0], f);
		fwrite(l.line[1], 1, l.len[1], f);
		fputc('\n', f);
		fwrite(l.line[2], 1, l.len[2], f);
		fclose(f);
	}
	free(l.text);
	assert_refused(CER_ERR_FORMAT, 2, "line 2: not in canonical form: white space outside a string");
}

Test(vault_log, over_long_line)
{
	char *big = malloc(20001);

	cr_assert_not_null(big);
	memset(big, 'x', 20000);
	big[20000] = '\n';
	make_log(2);
	append_raw(big, 20001);
	assert_refused(CER_ERR_FORMAT, 3, "line 3: longer than 16384 bytes");
	/* also without a newline at the end of the file */
	cr_assert_eq(unlink(log_path), 0);
	make_log(1);
	append_raw(big, 20000);
	assert_refused(CER_ERR_FORMAT, 2, "line 2: longer than 16384 bytes");
	free(big);
}

Test(vault_log, line_at_the_limit_is_read)
{
	/* 16383 bytes and a newline: the longest line; it is read (and refused for what it is). */
	char *big = malloc(VAULT_LOG_LINE_MAX);

	cr_assert_not_null(big);
	memset(big, ' ', VAULT_LOG_LINE_MAX - 1);
	big[0] = '{';
	big[VAULT_LOG_LINE_MAX - 2] = '}';
	big[VAULT_LOG_LINE_MAX - 1] = '\n';
	make_log(1);
	append_raw(big, VAULT_LOG_LINE_MAX);
	assert_refused(CER_ERR_FORMAT, 2, "line 2: the first field is not \"v\"");
	/* one byte more is one byte too many */
	cr_assert_eq(unlink(log_path), 0);
	make_log(1);
	append_raw(big, 1);
	append_raw(big, VAULT_LOG_LINE_MAX);
	assert_refused(CER_ERR_FORMAT, 2, "line 2: longer than 16384 bytes");
	free(big);
}

Test(vault_log, missing_file)
{
	struct vault_log_result res;

	assert_error(vault_log_verify(log_path, audit_pk, &res), CER_ERR_NOT_FOUND, "vault.log");
	assert_error(vault_log_verify(dir, audit_pk, &res), CER_ERR_IO, "not a regular file");
}

/* ---- a crash during a write: the torn final line ---- */

Test(vault_log, torn_last_line)
{
	struct vault_log *log = NULL;
	struct vault_log_entry e = basic_entry("seal");
	struct lines l;
	uint64_t seq = 0;
	size_t keep, torn;
	struct stat st;

	make_log(5);
	lines_read(&l);
	/* the crash cut line 5 after 40 bytes */
	keep = (size_t)(l.line[4] - l.text) + 40;
	torn = 40;
	cr_assert_eq(truncate(log_path, (off_t)keep), 0);
	assert_refused(CER_ERR_FORMAT, 5, "line 5: incomplete: no newline at the end");

	cr_assert_eq(vault_log_open(&log, log_path, audit_pk), 0, "%s", err_message());
	cr_assert_eq(vault_log_torn_bytes(log), torn);
	cr_assert_eq(vault_log_next_seq(log), 4);
	cr_assert_eq(stat(log_path, &st), 0);
	cr_assert_eq((size_t)st.st_size, (size_t)(l.line[4] - l.text), "the torn bytes are gone");
	assert_verifies(4);
	/* the vault logs what it did, and the chain goes on from line 4 */
	e.op = VAULT_LOG_OP_RECOVER;
	e.detail = "discarded a torn final line of 40 bytes";
	cr_assert_eq(vault_log_append(log, &e, sign_with, audit_sk, &seq, NULL), 0, "%s", err_message());
	cr_assert_eq(seq, 4);
	vault_log_close(log);
	assert_verifies(5);
	free(l.text);
}

Test(vault_log, last_line_missing_only_its_newline)
{
	struct vault_log *log = NULL;
	struct lines l;
	size_t total;

	make_log(3);
	lines_read(&l);
	total = (size_t)(l.line[2] - l.text) + l.len[2];
	cr_assert_eq(truncate(log_path, (off_t)(total - 1)), 0);
	assert_refused(CER_ERR_FORMAT, 3, "line 3: incomplete");
	/* its append never returned, so it is not part of the log, complete or not */
	cr_assert_eq(vault_log_open(&log, log_path, audit_pk), 0, "%s", err_message());
	cr_assert_eq(vault_log_torn_bytes(log), l.len[2] - 1);
	cr_assert_eq(vault_log_next_seq(log), 2);
	vault_log_close(log);
	assert_verifies(2);
	free(l.text);
}

Test(vault_log, torn_first_line)
{
	struct vault_log *log = NULL;

	make_log(1);
	cr_assert_eq(truncate(log_path, 30), 0);
	assert_refused(CER_ERR_FORMAT, 1, "line 1: incomplete");
	cr_assert_eq(vault_log_open(&log, log_path, audit_pk), 0, "%s", err_message());
	cr_assert_eq(vault_log_torn_bytes(log), 30);
	cr_assert_eq(vault_log_next_seq(log), 0);
	vault_log_close(log);
	assert_verifies(0);
}

Test(vault_log, open_refuses_a_tail_longer_than_a_line)
{
	struct vault_log *log = NULL;
	char *big = malloc(VAULT_LOG_LINE_MAX + 10);
	struct stat before, after;

	cr_assert_not_null(big);
	memset(big, 'x', VAULT_LOG_LINE_MAX + 10);
	make_log(2);
	append_raw(big, VAULT_LOG_LINE_MAX + 10);
	cr_assert_eq(stat(log_path, &before), 0);
	assert_error(vault_log_open(&log, log_path, audit_pk), CER_ERR_FORMAT, "have no newline");
	cr_assert_null(log);
	cr_assert_eq(stat(log_path, &after), 0);
	cr_assert_eq(before.st_size, after.st_size, "nothing was truncated");
	free(big);
}

/* ---- what open refuses ---- */

Test(vault_log, open_refusals)
{
	struct vault_log *log = NULL, *second = NULL;
	char prev[65], body[512], *line;

	assert_error(vault_log_open(&log, log_path, audit_pk), CER_ERR_NOT_FOUND, "vault.log");
	cr_assert_null(log);
	assert_error(vault_log_open(&log, dir, audit_pk), CER_ERR_IO, "vault-log");
	make_log(2);
	assert_error(vault_log_create(&log, log_path, audit_pk), CER_ERR_REFUSED, "a file exists there already");
	cr_assert_null(log);

	/* one writer at a time */
	cr_assert_eq(vault_log_open(&log, log_path, audit_pk), 0, "%s", err_message());
	assert_error(vault_log_open(&second, log_path, audit_pk), CER_ERR_BUSY,
	             "another process has the vault log open for writing");
	cr_assert_null(second);
	vault_log_close(log);
	log = NULL;

	/* a last line that is signed but malformed */
	head_hex(prev);
	snprintf(body, sizeof(body),
	         "{\"v\":1,\"seq\":2,\"time\":\"2024-05-01T13:00:00Z\",\"who\":\"alice\",\"op\":\"export\",\"x\":1,"
	         "\"outcome\":\"ok\",\"prev\":\"%s\"",
	         prev);
	line = signed_line(audit_sk, body);
	append_raw(line, strlen(line));
	free(line);
	assert_error(vault_log_open(&log, log_path, audit_pk), CER_ERR_FORMAT, "the last line: unknown field \"x\"");
	cr_assert_null(log);
}

Test(vault_log, open_refuses_a_first_line_that_does_not_start_the_chain)
{
	struct vault_log *log = NULL;
	char body[512], *line;

	snprintf(body, sizeof(body),
	         "{\"v\":1,\"seq\":5,\"time\":\"2024-05-01T13:00:00Z\",\"who\":\"alice\",\"op\":\"init\","
	         "\"outcome\":\"ok\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"");
	line = signed_line(audit_sk, body);
	test_write_file(log_path, line, strlen(line));
	free(line);
	assert_error(vault_log_open(&log, log_path, audit_pk), CER_ERR_VERIFY, "the first line has seq 5");
	cr_assert_null(log);
}

/* ---- what the writer refuses ---- */

Test(vault_log, writer_refuses_bad_entries)
{
	struct vault_log *log = NULL;
	char long_detail[VAULT_LOG_DETAIL_MAX + 2];
	struct {
		struct vault_log_entry e;
		const char *fragment;
	} cases[12];
	size_t n = 0, i;
	struct stat before, after;

	memset(long_detail, 'a', sizeof(long_detail) - 1);
	long_detail[sizeof(long_detail) - 1] = '\0';
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cases[i].e = basic_entry("sign");
	cases[n].e.who = NULL, cases[n++].fragment = "\"who\" must be 1 to 128 bytes";
	cases[n].e.who = "alice smith", cases[n++].fragment = "\"who\" holds a character";
	cases[n].e.who = "al\"ice", cases[n++].fragment = "\"who\" holds a character";
	cases[n].e.op = "Sign", cases[n++].fragment = "\"op\" \"Sign\" is not an operation id";
	cases[n].e.op = "a-very-long-operation-name-beyond-32", cases[n++].fragment = "is not an operation id";
	cases[n].e.label = "Firmware Key", cases[n++].fragment = "\"label\" \"Firmware Key\" is not a key label";
	cases[n].e.detail = "two\nlines", cases[n++].fragment = "\"detail\" holds a control character (byte 3)";
	cases[n].e.detail = long_detail, cases[n++].fragment = "\"detail\" must be 1 to 1024 bytes, not 1025";
	cases[n].e.detail = "caf\xc3(", cases[n++].fragment = "\"detail\" is not valid UTF-8";
	cases[n].e.detail = "\xed\xa0\x80", cases[n++].fragment = "\"detail\" is not valid UTF-8";
	cases[n].e.outcome = 0, cases[n++].fragment = "no outcome";
	cases[n].e.time = -5, cases[n++].fragment = "time -5 is outside 1970 to 9999";

	cr_assert_eq(vault_log_create(&log, log_path, audit_pk), 0, "%s", err_message());
	cr_assert_eq(stat(log_path, &before), 0);
	for (i = 0; i < n; i++) {
		assert_error(vault_log_append(log, &cases[i].e, sign_with, audit_sk, NULL, NULL), CER_ERR_USAGE,
		             cases[i].fragment);
		cr_assert(strstr(err_message(), "vault log entry") != NULL, "%s", err_message());
	}
	cr_assert_eq(stat(log_path, &after), 0);
	cr_assert_eq(after.st_size, before.st_size, "nothing was written");
	cr_assert_eq(vault_log_next_seq(log), 0);
	vault_log_close(log);
}

Test(vault_log, writer_refuses_a_signature_the_audit_key_does_not_verify)
{
	struct vault_log *log = NULL;
	struct vault_log_entry e = basic_entry("sign");
	uint64_t seq = 77;

	cr_assert_eq(vault_log_create(&log, log_path, audit_pk), 0, "%s", err_message());
	assert_error(vault_log_append(log, &e, sign_with, other_sk, &seq, NULL), CER_ERR_VERIFY,
	             "does not verify with the audit public key");
	cr_assert_eq(seq, 77, "no output on failure");
	assert_error(vault_log_append(log, &e, sign_fails, NULL, NULL, NULL), CER_ERR_IO,
	             "signing the log line: the signing token is unplugged");
	/* the handle is still good: nothing was written */
	cr_assert_eq(vault_log_append(log, &e, sign_with, audit_sk, &seq, NULL), 0, "%s", err_message());
	cr_assert_eq(seq, 0);
	vault_log_close(log);
	assert_verifies(1);
}

Test(vault_log, writer_refuses_a_file_changed_under_it)
{
	struct vault_log *log = NULL;
	struct vault_log_entry e = basic_entry("sign");

	make_log(2);
	cr_assert_eq(vault_log_open(&log, log_path, audit_pk), 0, "%s", err_message());
	append_raw("{}\n", 3);
	assert_error(vault_log_append(log, &e, sign_with, audit_sk, NULL, NULL), CER_ERR_REFUSED,
	             "the file changed since our last write");
	vault_log_close(log);
}

Test(vault_log, close_accepts_null)
{
	vault_log_close(NULL);
}

/* ---- session keys (docs/formats/vault-log.md, "Session keys") ---- */

/* Append `n` entries signed by session key other_pk (the vault sealed), then, if `certify`, one
 * audit-signed unseal line certifying it, then `after` more session lines (sealed again). */
static void make_session_log(unsigned n, int certify, unsigned after)
{
	struct vault_log *log = NULL;
	struct vault_log_entry e;
	unsigned i;

	cr_assert_eq(vault_log_create(&log, log_path, audit_pk), 0, "%s", err_message());
	e = basic_entry("self-test");
	cr_assert_eq(vault_log_append(log, &e, sign_with, audit_sk, NULL, NULL), 0, "%s", err_message());
	for (i = 0; i < n; i++) {
		e = basic_entry("unseal-share");
		cr_assert_eq(vault_log_append_session(log, &e, sign_with, other_sk, other_pk, NULL, NULL), 0, "%s",
		             err_message());
	}
	if (certify) {
		e = basic_entry("unseal");
		e.certifies = other_pk;
		cr_assert_eq(vault_log_append(log, &e, sign_with, audit_sk, NULL, NULL), 0, "%s", err_message());
	}
	for (i = 0; i < after; i++) {
		e = basic_entry("refuse");
		cr_assert_eq(vault_log_append_session(log, &e, sign_with, other_sk, other_pk, NULL, NULL), 0, "%s",
		             err_message());
	}
	vault_log_close(log);
}

static struct vault_log_result verify_ok(void)
{
	struct vault_log_result res;

	cr_assert_eq(vault_log_verify(log_path, audit_pk, &res), 0, "%s", err_message());
	return res;
}

Test(vault_log, session_lines_certified_by_a_later_unseal)
{
	struct vault_log_result res;

	make_session_log(3, 1, 0);
	res = verify_ok();
	cr_assert_eq(res.entries, 5);
	cr_assert_eq(res.uncertified_lines, 0);
	cr_assert_eq(res.first_uncertified_line, 0);
}

Test(vault_log, session_lines_after_the_certification_are_certified_too)
{
	make_session_log(2, 1, 4);
	cr_assert_eq(verify_ok().uncertified_lines, 0);
}

Test(vault_log, session_lines_never_certified_are_counted_from_the_first)
{
	struct vault_log_result res;

	make_session_log(3, 0, 0);
	res = verify_ok();
	cr_assert_eq(res.entries, 4);
	cr_assert_eq(res.uncertified_lines, 3);
	cr_assert_eq(res.first_uncertified_line, 2);
}

Test(vault_log, session_line_members_and_jq)
{
	make_session_log(1, 1, 0);
	cr_assert_eq(test_run("sed -n 2p '%s' | jq -e '(.signer | length) == 64 and (has(\"certifies\") | not)' "
	                      ">/dev/null",
	                      log_path),
	             0);
	cr_assert_eq(test_run("sed -n 3p '%s' | jq -e '(.certifies | length) == 64 and (has(\"signer\") | not)' "
	                      ">/dev/null",
	                      log_path),
	             0);
}

Test(vault_log, session_line_edited)
{
	make_session_log(2, 1, 0);
	cr_assert_eq(test_run("sed -i '2s/\"who\":\"alice\"/\"who\":\"alicf\"/' '%s'", log_path), 0);
	assert_refused(CER_ERR_VERIFY, 2,
	               "line 2: bad signature (not made over this line by the session key it names)");
}

Test(vault_log, writer_refuses_a_session_line_that_certifies)
{
	struct vault_log *log = NULL;
	struct vault_log_entry e = basic_entry("unseal");

	cr_assert_eq(vault_log_create(&log, log_path, audit_pk), 0, "%s", err_message());
	e.certifies = other_pk;
	assert_error(vault_log_append_session(log, &e, sign_with, other_sk, other_pk, NULL, NULL), CER_ERR_USAGE,
	             "a session key cannot certify a key");
	/* and a session signature the named key does not verify */
	e.certifies = NULL;
	assert_error(vault_log_append_session(log, &e, sign_with, audit_sk, other_pk, NULL, NULL), CER_ERR_VERIFY,
	             "does not verify with the session public key");
	vault_log_close(log);
	assert_verifies(0);
}

Test(vault_log, open_continues_after_a_session_line)
{
	struct vault_log *log = NULL;

	make_session_log(1, 0, 0);
	cr_assert_eq(vault_log_open(&log, log_path, audit_pk), 0, "%s", err_message());
	cr_assert_eq(vault_log_next_seq(log), 2);
	vault_log_close(log);
}

Test(vault_log, a_session_line_that_certifies_is_refused)
{
	make_session_log(1, 1, 0);
	cr_assert_eq(test_run("sed -i '2s/,\"signer\":/,\"certifies\":\"%064d\",\"signer\":/' '%s'", 0, log_path), 0);
	assert_refused(CER_ERR_FORMAT, 2, "line 2: a line signed by a session key cannot certify a key");
}

Test(vault_log, session_and_certifying_lines_match_the_spec_template)
{
	char *ere = NULL;

	make_session_log(2, 1, 1);
	cr_assert(asprintf(&ere, "%s/spec.ere", dir) > 0);
	test_write_file(ere, SPEC_LINE_ERE "\n", strlen(SPEC_LINE_ERE) + 1);
	cr_assert_eq(test_run("test \"$(LC_ALL=C grep -c -E -f '%s' '%s')\" = 5", ere, log_path), 0,
	             "a session or certifying line does not match the template of the spec");
	free(ere);
}
