/* The vault's socket protocol: one request and one response per connection
 * (docs/formats/vault-protocol.md is the byte-level spec).
 *
 * A message is a uint32 big-endian body length (at most VAULT_MSG_MAX) followed by the body:
 * header lines "name=value\n", then an empty line "\n", then the payload (any bytes: the rest of the
 * body). A name is [a-z][a-z0-9-]{0,31}; a value is 0 to VAULT_MSG_VALUE_MAX bytes of printable
 * ASCII (0x20-0x7E); no name appears twice; at most VAULT_MSG_FIELDS_MAX lines.
 *
 * Header values are never secret. A payload may be (a share on its way to the vault), so bodies up
 * to VAULT_MSG_SECURE_MAX bytes are received into sodium_malloc'd memory and wiped when released;
 * larger bodies (a firmware image to sign) are public and live in the ordinary heap. */
#ifndef CEREMONY_VAULT_PROTOCOL_H
#define CEREMONY_VAULT_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define VAULT_MSG_NAME_MAX 32
#define VAULT_MSG_VALUE_MAX 1024
#define VAULT_MSG_FIELDS_MAX 16
/* The largest payload: a message to sign (RECORD_ATTACHMENT_MAX, the largest file a record holds). */
#define VAULT_MSG_PAYLOAD_MAX (64u * 1024 * 1024)
#define VAULT_MSG_HEADER_MAX (VAULT_MSG_FIELDS_MAX * (VAULT_MSG_NAME_MAX + VAULT_MSG_VALUE_MAX + 2) + 1)
#define VAULT_MSG_MAX (VAULT_MSG_HEADER_MAX + VAULT_MSG_PAYLOAD_MAX)
/* Bodies up to this size are held in secure memory. */
#define VAULT_MSG_SECURE_MAX (VAULT_MSG_HEADER_MAX + 4096)

/* The socket in the vault directory. */
#define VAULT_SOCKET_FILE "vault.sock"

struct vault_msg {
	size_t field_count;
	char names[VAULT_MSG_FIELDS_MAX][VAULT_MSG_NAME_MAX + 1];
	char values[VAULT_MSG_FIELDS_MAX][VAULT_MSG_VALUE_MAX + 1];
	const uint8_t *payload; /* borrowed: from the received body, or from the sender's memory */
	size_t payload_len;
	/* A received message owns its body (the payload points into it). */
	uint8_t *body;
	size_t body_len;
	int body_secure; /* sodium_malloc'd */
};

/* An empty message (no fields, no payload). */
void vault_msg_init(struct vault_msg *m);
/* Add a field; refuses (CER_ERR_USAGE, naming it) a bad name or value, a name already there, or a
 * full header. */
__attribute__((warn_unused_result)) int vault_msg_add(struct vault_msg *m, const char *name, const char *value);
__attribute__((warn_unused_result, format(printf, 3, 4))) int vault_msg_addf(struct vault_msg *m, const char *name,
                                                                             const char *fmt, ...);
/* The value of field `name`, or NULL. */
const char *vault_msg_get(const struct vault_msg *m, const char *name);

/* Parse a body (borrowed: the payload points into it). Refuses (CER_ERR_FORMAT, saying what is
 * wrong) anything outside the grammar above; *out is meaningful on success only. */
__attribute__((warn_unused_result)) int vault_msg_parse(struct vault_msg *out, const uint8_t *body, size_t len);

/* Send `m` on `fd`, framed. With `secret`, the encoded message is built in secure memory (the
 * payload is a share). Returns 0, CER_ERR_USAGE (too large), CER_ERR_IO, CER_ERR_NOMEM. */
__attribute__((warn_unused_result)) int vault_msg_send(int fd, const struct vault_msg *m, int secret);
/* Receive one framed message from `fd` into *out, which owns its body until vault_msg_release().
 * Refuses a length above VAULT_MSG_MAX before reading it (CER_ERR_FORMAT), a connection closed
 * early (CER_ERR_IO "truncated"), a body outside the grammar. `what` names the peer in errors. */
__attribute__((warn_unused_result)) int vault_msg_recv(int fd, struct vault_msg *out, const char *what);
/* Wipe and free a received body. Safe on a message that owns none. */
void vault_msg_release(struct vault_msg *m);

#endif
