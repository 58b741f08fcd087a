#include "vault/client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/error.h"
#include "vault/service.h"

int vault_client_call(const char *dir, const struct vault_msg *request, int secret, struct vault_msg *response)
{
	struct sockaddr_un addr;
	int fd, r;

	vault_msg_init(response);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, VAULT_SOCKET_FILE) >=
	    (int)sizeof(addr.sun_path))
		return err_set(CER_ERR_USAGE, "%s: the path of the vault's socket is too long", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(CER_ERR_IO, "socket: %s", strerror(errno));
	if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) != 0) {
		r = errno == ENOENT || errno == ECONNREFUSED
		            ? err_set(CER_ERR_NOT_FOUND,
		                      "no vault process is serving %s (start it with: ceremony vault serve -V %s)", dir,
		                      dir)
		            : err_set(CER_ERR_IO, "%s: %s", addr.sun_path, strerror(errno));
		close(fd);
		return r;
	}
	if ((r = vault_msg_send(fd, request, secret)) == 0)
		r = vault_msg_recv(fd, response, "the vault's response");
	close(fd);
	return r;
}

int vault_client_status(const struct vault_msg *response)
{
	const char *status = vault_msg_get(response, "status"), *message = vault_msg_get(response, "message");

	if (message == NULL)
		message = "(no message)";
	if (status != NULL && strcmp(status, VAULT_STATUS_OK) == 0)
		return 0;
	if (status != NULL && strcmp(status, VAULT_STATUS_REFUSED) == 0)
		return err_set(CER_ERR_REFUSED, "the vault refused: %s", message);
	return err_set(CER_ERR_INTERNAL, "the vault failed: %s", message);
}
