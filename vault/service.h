/* The vault's state and operations, behind its socket (vault/server.h) and testable without one
 * (docs/vault.md). One thread at a time.
 *
 * Sealed, the vault holds no secret of its own but an ephemeral *session key*: it signs the log
 * lines written while sealed (the unseal contributions, accepted or refused), and the audit-signed
 * `unseal` line certifies it. Unsealed, it holds in sodium_malloc'd memory the master secret, the
 * audit key and the keystore's key-encryption key, all wiped by `seal` or when the service stops.
 *
 * Every request that changes anything or is refused is logged, durably, before its response is
 * made: the response carries the seq and hash of its log line. `status` only reads, and is not
 * logged. */
#ifndef CEREMONY_VAULT_SERVICE_H
#define CEREMONY_VAULT_SERVICE_H

#include "common/buf.h"
#include "common/vault_identity.h"
#include "vault/protocol.h"

/* Request ops (field "op") and their fields (docs/formats/vault-protocol.md). */
#define VAULT_REQ_STATUS "status"
#define VAULT_REQ_UNSEAL_SHARE "unseal-share" /* who, index; payload: the 32-byte share */
#define VAULT_REQ_SEAL "seal" /* who */
#define VAULT_REQ_GENERATE "generate" /* who, label, alg */
#define VAULT_REQ_EXPORT "export" /* who, label; response payload: the PEM public key */
#define VAULT_REQ_SIGN "sign" /* who, label; payload: the message; response payload: the signature */
#define VAULT_REQ_DESTROY "destroy" /* who, label */

/* Response status (field "status"). */
#define VAULT_STATUS_OK "ok"
#define VAULT_STATUS_REFUSED "refused"
#define VAULT_STATUS_FAILED "failed"

struct vault_service;

/* Start the vault of directory `dir` for process `who` (logged): read its identity, verify its
 * whole log, open it for appending (logging a `recover` entry when a torn line was discarded),
 * make the session key, run the self-tests (logged; a failure is returned after it is logged, and
 * the vault refuses to start) and log `serve`. The vault starts sealed. */
__attribute__((warn_unused_result)) int vault_service_start(struct vault_service **out, const char *dir,
                                                            const char *who);

/* Handle one request. `peer` describes the connection ("uid 1000, pid 4242") for the log when the
 * request names nobody. Always fills `response` (fields "status" and "message", then the op's
 * fields) and, for export and sign, `payload` (reset first). Returns 0 once the response may be
 * sent; a negative cer_err when the log could not be written, in which case nothing may be
 * reported done: the response says so and the caller must stop serving. */
__attribute__((warn_unused_result)) int vault_service_handle(struct vault_service *s, const struct vault_msg *request,
                                                             const char *peer, struct vault_msg *response,
                                                             struct buf *payload);

/* Log a refused connection or an unreadable request from `peer` (op "refuse", the current error's
 * message as detail) and fill `response` with the refusal. Returns as vault_service_handle(). */
__attribute__((warn_unused_result)) int vault_service_refuse_peer(struct vault_service *s, const char *peer,
                                                                  struct vault_msg *response);

/* Is the vault open? */
int vault_service_unsealed(const struct vault_service *s);

/* Seal if open (logged, with `why`), wipe everything and release. Safe on NULL. */
void vault_service_stop(struct vault_service *s, const char *why);

#endif
