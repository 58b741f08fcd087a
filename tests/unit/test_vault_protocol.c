/* vault/protocol: the framing of the vault's socket; every refusal of the parser with its message,
 * and round trips over a socket pair (a share in secure memory, a large public payload). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common/error.h"
#include "common/init.h"
#include "vault/protocol.h"

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
}

TestSuite(vault_protocol, .init = setup, .timeout = 60);

static void assert_parse_refused(const char *body, size_t len, const char *fragment)
{
	struct vault_msg m;
	int r = vault_msg_parse(&m, (const uint8_t *)body, len);

	cr_assert_eq(r, CER_ERR_FORMAT, "expected a refusal for \"%s\", got %d", body, r);
	cr_assert(strstr(err_message(), fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(), fragment);
}

Test(vault_protocol, parses_fields_and_payload)
{
	static const char body[] = "op=sign\nwho=operator\nlabel=\n\nPAYLOAD\nwith=newline\n";
	struct vault_msg m;

	cr_assert_eq(vault_msg_parse(&m, (const uint8_t *)body, sizeof(body) - 1), 0, "%s", err_message());
	cr_assert_eq(m.field_count, 3);
	cr_assert_str_eq(vault_msg_get(&m, "op"), "sign");
	cr_assert_str_eq(vault_msg_get(&m, "who"), "operator");
	cr_assert_str_eq(vault_msg_get(&m, "label"), "");
	cr_assert_null(vault_msg_get(&m, "alg"));
	cr_assert_eq(m.payload_len, strlen("PAYLOAD\nwith=newline\n"));
	cr_assert(memcmp(m.payload, "PAYLOAD\nwith=newline\n", m.payload_len) == 0);
}

Test(vault_protocol, parse_refusals)
{
	char many[2048] = "";
	char long_value[VAULT_MSG_VALUE_MAX + 16];

	assert_parse_refused("", 0, "the header does not end with an empty line");
	assert_parse_refused("op=status\n", 10, "the header does not end with an empty line");
	assert_parse_refused("op status\n\n", 11, "header line 1 has no '='");
	assert_parse_refused("Op=status\n\n", 11, "header line 1: bad field name");
	assert_parse_refused("=status\n\n", 9, "header line 1: bad field name");
	assert_parse_refused("op=st\tatus\n\n", 12, "header line 1: the value is too long or not printable");
	assert_parse_refused("op=st\x80tus\n\n", 12, "header line 1: the value is too long or not printable");
	assert_parse_refused("op=a\nop=b\n\n", 11, "field \"op\" appears twice");
	for (int i = 0; i <= VAULT_MSG_FIELDS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "f%d=x\n", i);
	snprintf(many + strlen(many), sizeof(many) - strlen(many), "\n");
	assert_parse_refused(many, strlen(many), "more than 16 fields");
	memcpy(long_value, "v=", 2);
	memset(long_value + 2, 'a', VAULT_MSG_VALUE_MAX + 1);
	memcpy(long_value + 2 + VAULT_MSG_VALUE_MAX + 1, "\n\n", 3);
	assert_parse_refused(long_value, strlen(long_value), "the value is too long or not printable");
	assert_parse_refused("op=x\r\n\n", 7, "not printable");
}

Test(vault_protocol, builder_refusals)
{
	struct vault_msg m;

	vault_msg_init(&m);
	cr_assert_eq(vault_msg_add(&m, "op", "status"), 0);
	cr_assert_eq(vault_msg_add(&m, "op", "seal"), CER_ERR_USAGE);
	cr_assert(strstr(err_message(), "appears twice") != NULL, "%s", err_message());
	cr_assert_eq(vault_msg_add(&m, "Bad", "x"), CER_ERR_USAGE);
	cr_assert_eq(vault_msg_add(&m, "who", "line\nbreak"), CER_ERR_USAGE);
	cr_assert(strstr(err_message(), "not printable") != NULL, "%s", err_message());
}

static void round_trip(size_t payload_len, int secret)
{
	static uint8_t payload[1 << 20];
	struct vault_msg out, in;
	int sv[2], status = 0;
	pid_t pid;

	for (size_t i = 0; i < payload_len; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	vault_msg_init(&out);
	cr_assert_eq(vault_msg_add(&out, "op", "unseal-share"), 0);
	cr_assert_eq(vault_msg_addf(&out, "index", "%u", 3u), 0);
	out.payload = payload;
	out.payload_len = payload_len;
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) { /* the writer: a large message does not fit the socket buffer */
		close(sv[0]);
		_exit(vault_msg_send(sv[1], &out, secret) == 0 ? 0 : 1);
	}
	close(sv[1]);
	cr_assert_eq(vault_msg_recv(sv[0], &in, "the test peer"), 0, "%s", err_message());
	cr_assert_str_eq(vault_msg_get(&in, "op"), "unseal-share");
	cr_assert_str_eq(vault_msg_get(&in, "index"), "3");
	cr_assert_eq(in.payload_len, payload_len);
	cr_assert(memcmp(in.payload, payload, payload_len) == 0);
	cr_assert_eq(in.body_secure, payload_len < 4096, "a small body is received into secure memory");
	vault_msg_release(&in);
	cr_assert_null(in.body);
	close(sv[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the sender failed");
}

Test(vault_protocol, round_trip_secret_share)
{
	round_trip(32, 1);
}

Test(vault_protocol, round_trip_large_payload)
{
	round_trip(1 << 20, 0);
}

/* Raw bytes on the wire, then what recv says. */
static void assert_recv_refused(const uint8_t *wire, size_t len, int code, const char *fragment)
{
	struct vault_msg in;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(write(sv[1], wire, len), (ssize_t)len);
	close(sv[1]);
	cr_assert_eq(vault_msg_recv(sv[0], &in, "the test peer"), code, "%s", err_message());
	cr_assert(strstr(err_message(), fragment) != NULL, "message \"%s\" lacks \"%s\"", err_message(), fragment);
	cr_assert(strncmp(err_message(), "the test peer", 13) == 0, "the message names the peer: %s", err_message());
	close(sv[0]);
}

Test(vault_protocol, recv_refusals)
{
	static const uint8_t too_long[] = {0xff, 0xff, 0xff, 0xff};
	static const uint8_t truncated[] = {0, 0, 0, 20, 'o', 'p', '='};
	static const uint8_t short_length[] = {0, 0};
	static const uint8_t malformed[] = {0, 0, 0, 4, 'o', 'p', '\n', '\n'};

	assert_recv_refused(too_long, sizeof(too_long), CER_ERR_FORMAT, "message of 4294967295 bytes, more than");
	assert_recv_refused(truncated, sizeof(truncated), CER_ERR_IO, "truncated message");
	assert_recv_refused(short_length, sizeof(short_length), CER_ERR_IO, "truncated message");
	assert_recv_refused(malformed, sizeof(malformed), CER_ERR_FORMAT, "has no '='");
}
