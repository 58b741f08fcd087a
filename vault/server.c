#define _GNU_SOURCE 1 /* accept4, struct ucred */
#include "vault/server.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "vault/protocol.h"
#include "vault/service.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Signals that end the process interrupt poll() and accept() (no SA_RESTART), so the loop notices. */
static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGHUP, &sa, NULL) != 0)
		return err_set(CER_ERR_INTERNAL, "sigaction: %s", strerror(errno));
	sa.sa_handler = SIG_IGN; /* a client that hangs up gets EPIPE on its connection, not the process killed */
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return err_set(CER_ERR_INTERNAL, "sigaction: %s", strerror(errno));
	return 0;
}

static int socket_address(struct sockaddr_un *addr, const char *dir)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s", dir, VAULT_SOCKET_FILE) >=
	    (int)sizeof(addr->sun_path))
		return err_set(CER_ERR_USAGE,
		               "%s: the path of the vault's socket would exceed %zu bytes; use a shorter path", dir,
		               sizeof(addr->sun_path) - 1);
	return 0;
}

/* Bind DIR/vault.sock, mode 0600. A socket left by a process that died is replaced: this process
 * holds the vault log's lock, so no other vault process serves this directory. */
static int listen_on(const struct sockaddr_un *addr)
{
	struct stat st;
	mode_t old;
	int fd, r;

	if (lstat(addr->sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return err_set(CER_ERR_REFUSED, "%s exists and is not a socket", addr->sun_path);
		if (unlink(addr->sun_path) != 0)
			return err_set(CER_ERR_IO, "%s: %s", addr->sun_path, strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(CER_ERR_IO, "socket: %s", strerror(errno));
	old = umask(0177);
	r = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
	umask(old);
	if (r != 0 || chmod(addr->sun_path, 0600) != 0 || listen(fd, 8) != 0) {
		r = err_set(CER_ERR_IO, "%s: %s", addr->sun_path, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

/* One connection: credentials, one request, one response. Returns non-zero only when the log
 * failed, which ends the process. */
static int serve_connection(struct vault_service *s, int fd)
{
	struct timeval timeout = {VAULT_SERVER_IO_TIMEOUT_SECONDS, 0};
	struct buf payload = buf_make(VAULT_MSG_PAYLOAD_MAX);
	struct vault_msg req, resp;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char peer[64];
	int r, received = 0;

	vault_msg_init(&req);
	vault_msg_init(&resp);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		snprintf(peer, sizeof(peer), "unknown-peer");
		err_set(CER_ERR_REFUSED, "the connection's credentials cannot be read: %s", strerror(errno));
		r = vault_service_refuse_peer(s, peer, &resp);
		goto out;
	}
	snprintf(peer, sizeof(peer), "uid=%ld/pid=%ld", (long)cred.uid, (long)cred.pid);
	if (cred.uid != geteuid()) {
		err_set(CER_ERR_REFUSED, "connection from user id %ld refused: only the vault's owner may use it",
		        (long)cred.uid);
		r = vault_service_refuse_peer(s, peer, &resp);
		goto out;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) != 0) {
		err_set(CER_ERR_IO, "setsockopt: %s", strerror(errno));
		r = vault_service_refuse_peer(s, peer, &resp);
		goto out;
	}
	if (vault_msg_recv(fd, &req, "the request") != 0) {
		r = vault_service_refuse_peer(s, peer, &resp);
		goto out;
	}
	received = 1;
	r = vault_service_handle(s, &req, peer, &resp, &payload);
out:
	if (received)
		vault_msg_release(&req); /* wipes a share */
	resp.payload = payload.data;
	resp.payload_len = payload.len;
	if (vault_msg_send(fd, &resp, 0) != 0)
		fprintf(stderr, "ceremony: vault: %s: %s\n", peer, err_message());
	buf_free(&payload);
	return r;
}

int vault_serve(const char *dir, const char *who, void (*ready)(const char *socket_path))
{
	struct vault_service *s = NULL;
	struct sockaddr_un addr;
	char why[128];
	int fd = -1, r;

	stop_signal = 0;
	if ((r = socket_address(&addr, dir)) != 0 || (r = install_signals()) != 0 ||
	    (r = vault_service_start(&s, dir, who)) != 0)
		return r;
	if ((fd = listen_on(&addr)) < 0) {
		r = fd;
		vault_service_stop(s, "the vault process could not listen on its socket");
		return r;
	}
	if (ready != NULL)
		ready(addr.sun_path);
	while (!stop_signal) {
		struct pollfd p = {fd, POLLIN, 0};
		int c;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = err_set(CER_ERR_IO, "poll: %s", strerror(errno));
			break;
		}
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
				continue;
			r = err_set(CER_ERR_IO, "accept: %s", strerror(errno));
			break;
		}
		r = serve_connection(s, c);
		close(c);
		if (r != 0)
			break; /* the log failed: nothing more may be done */
	}
	unlink(addr.sun_path);
	close(fd);
	if (stop_signal)
		snprintf(why, sizeof(why), "the vault process is ending (signal %d); everything wiped",
		         (int)stop_signal);
	else
		snprintf(why, sizeof(why), "the vault process is ending after an error; everything wiped");
	vault_service_stop(s, why);
	return r;
}
