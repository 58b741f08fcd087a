/* `ceremony vault serve`: the vault process. It owns the vault directory's log (exclusively), runs
 * vault/service behind a Unix socket DIR/vault.sock that only its owner may use (mode 0600, and
 * each peer's credentials checked: same user id), and answers one request per connection, one
 * connection at a time, each bounded in size and time. SIGINT, SIGTERM and SIGHUP end it: it seals
 * (logged), wipes and removes its socket. */
#ifndef CEREMONY_VAULT_SERVER_H
#define CEREMONY_VAULT_SERVER_H

/* How long one connection may take to send its request or read its response. */
#define VAULT_SERVER_IO_TIMEOUT_SECONDS 30

/* Serve the vault in `dir` until a signal ends it. `who` names the process in the log. `ready`,
 * when not NULL, is called once the socket accepts connections (the CLI prints a line). Returns 0
 * after an orderly end, or a negative cer_err when the vault could not start or its log failed. */
__attribute__((warn_unused_result)) int vault_serve(const char *dir, const char *who,
                                                    void (*ready)(const char *socket_path));

#endif
