/* Talking to a running vault process over its socket (vault/server.h): one request, one response. */
#ifndef CEREMONY_VAULT_CLIENT_H
#define CEREMONY_VAULT_CLIENT_H

#include "vault/protocol.h"

/* Send `request` to the vault serving `dir` and receive its response into *response (release it
 * with vault_msg_release()). `secret`: the request's payload is a share, so it is framed in secure
 * memory. Returns 0 when a response arrived, whatever its status; CER_ERR_NOT_FOUND "no vault
 * process is serving DIR" when nothing listens; CER_ERR_IO, CER_ERR_FORMAT otherwise. */
__attribute__((warn_unused_result)) int vault_client_call(const char *dir, const struct vault_msg *request, int secret,
                                                          struct vault_msg *response);

/* The response's status made an error: 0 for "ok"; CER_ERR_REFUSED (refused) or CER_ERR_INTERNAL
 * (failed) with the vault's message. */
__attribute__((warn_unused_result)) int vault_client_status(const struct vault_msg *response);

#endif
