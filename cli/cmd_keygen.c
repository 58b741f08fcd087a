/* ceremony keygen: a throwaway unencrypted Ed25519 key file (tests, benchmarks, the demo).
 * Real participants make their keys with ssh-keygen or on a token, and sign through ssh-agent. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/keys.h"
#include "cli/options.h"
#include "common/error.h"
#include "common/sshkey.h"

enum { OPT_FILE, OPT_COMMENT };
static const struct cli_option options[] = {
        [OPT_FILE] = {"file", 'f', 1, 0, "PATH", "where to write the private key (PATH.pub gets the public key)"},
        [OPT_COMMENT] = {"comment", 'C', 1, 0, "TEXT", "the key's comment (default: the file name)"},
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

/* Create `path` exclusively (never overwrite a key) with `mode`, and write all of `data`. */
static int write_new_file(const char *path, const struct buf *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	ssize_t n;

	if (fd < 0)
		return err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
	n = write(fd, data->data, data->len);
	if (n < 0 || (size_t)n != data->len || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return err_set(CER_ERR_IO, "%s: write failed", path);
	}
	close(fd);
	return 0;
}

int keygen_write(const char *path, const char *comment)
{
	struct buf priv = buf_make(16384), pub = buf_make(1024);
	struct sshkey_private *key = NULL;
	char pub_path[4096];
	int r;

	if (snprintf(pub_path, sizeof(pub_path), "%s.pub", path) >= (int)sizeof(pub_path))
		return err_set(CER_ERR_USAGE, "%s: path too long", path);
	if ((r = sshkey_private_generate(&key, comment)) != 0 || (r = sshkey_private_format(key, &priv)) != 0 ||
	    (r = sshkey_public_format_line(&key->public_key, &pub)) != 0 ||
	    (r = buf_printf(&pub, " %s\n", comment)) != 0)
		goto out;
	if ((r = write_new_file(path, &priv, 0600)) != 0)
		goto out;
	if ((r = write_new_file(pub_path, &pub, 0644)) != 0)
		unlink(path);
out:
	sshkey_private_free(key);
	buf_wipe_free(&priv);
	buf_free(&pub);
	return r;
}

int cmd_keygen(int argc, char **argv)
{
	struct cli_args args;
	const char *comment;
	int r;

	if ((r = cli_parse(argc, argv, options, OPTION_COUNT, &args)) != 0)
		return r;
	if (args.help) {
		cli_print_help("keygen -f PATH [-C COMMENT]",
		               "Write a new unencrypted OpenSSH Ed25519 key to PATH (mode 0600) and PATH.pub, never\n"
		               "overwriting a file. For tests and demos: real keys belong in ssh-agent or on a token.",
		               options, OPTION_COUNT);
		return EXIT_OK;
	}
	if (args.positional_count != 0)
		return err_set(CER_ERR_USAGE, "unexpected argument \"%s\"", args.positional[0]);
	if ((r = cli_require(&args, options, OPT_FILE)) != 0)
		return r;
	comment = cli_value(&args, OPT_COMMENT) ? cli_value(&args, OPT_COMMENT) : cli_value(&args, OPT_FILE);
	if ((r = keygen_write(cli_value(&args, OPT_FILE), comment)) != 0)
		return r;
	printf("wrote %s and %s.pub\n", cli_value(&args, OPT_FILE), cli_value(&args, OPT_FILE));
	return EXIT_OK;
}
