/* Test tool: send one request to a running vault and print its response, so the end-to-end tests
 * can drive the key operations before a recorder asks for them. Not part of the product: the
 * product's key operations come only from a ceremony's scenario.
 *
 *   vault-request DIR OP [NAME=VALUE ...] [--payload FILE] [--out FILE]
 *
 * Prints the response's fields as NAME=VALUE lines; writes its payload to --out. Exit 0 when the
 * status is ok, 1 when refused or failed, 2 when the request could not be made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/file.h"
#include "common/init.h"
#include "vault/client.h"

int main(int argc, char **argv)
{
	struct buf payload = buf_make(VAULT_MSG_PAYLOAD_MAX);
	struct vault_msg req, resp;
	const char *out = NULL;
	int r, status;

	if (argc < 3 || ceremony_init() != 0) {
		fprintf(stderr, "usage: vault-request DIR OP [NAME=VALUE ...] [--payload FILE] [--out FILE]\n");
		return 2;
	}
	vault_msg_init(&req);
	if (vault_msg_add(&req, "op", argv[2]) != 0)
		goto fail;
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (strcmp(argv[i], "--payload") == 0 && i + 1 < argc) {
			if (file_read_all(argv[++i], VAULT_MSG_PAYLOAD_MAX, &payload) != 0)
				goto fail;
			req.payload = payload.data;
			req.payload_len = payload.len;
		} else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else if (eq != NULL) {
			*eq = '\0';
			if (vault_msg_add(&req, argv[i], eq + 1) != 0)
				goto fail;
		} else {
			fprintf(stderr, "vault-request: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	if ((r = vault_client_call(argv[1], &req, 0, &resp)) != 0)
		goto fail;
	for (size_t i = 0; i < resp.field_count; i++)
		printf("%s=%s\n", resp.names[i], resp.values[i]);
	if (out != NULL && file_write_atomic(out, resp.payload, resp.payload_len, 0644) != 0)
		goto fail;
	status = strcmp(vault_msg_get(&resp, "status") ? vault_msg_get(&resp, "status") : "", "ok") == 0 ? 0 : 1;
	vault_msg_release(&resp);
	buf_free(&payload);
	return status;
fail:
	fprintf(stderr, "vault-request: %s\n", err_message());
	buf_free(&payload);
	return 2;
}
