#include "cli/action.h"

#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/pgpwords.h"

int action_open(const char *dir, const char *const *keys, size_t key_count, struct ceremony **c,
                struct signer_set *signers)
{
	int r;

	*c = NULL;
	if ((r = signer_set_open(signers, keys, key_count)) != 0)
		return r;
	if ((r = ceremony_open(c, dir)) != 0)
		signer_set_close(signers);
	else
		action_warn(*c);
	return r;
}

void action_warn(const struct ceremony *c)
{
	if (c->discarded_pending[0] != '\0')
		fprintf(stderr, "ceremony: warning: %s\n", c->discarded_pending);
}

int print_digest_words(const char *label, const uint8_t digest[32])
{
	struct buf words = buf_make(1024);
	char hex[65];
	int r;

	hex_encode(digest, 32, hex);
	if ((r = pgpwords_append(&words, digest, 32)) == 0)
		printf("%s: %s\n%*s  %s\n", label, hex, (int)strlen(label), "", (const char *)words.data);
	buf_free(&words);
	return r;
}

int action_report(const struct action_result *result, int rc)
{
	/* An automatic incident is committed even though the action is refused: say both. */
	if (result->message.len > 0)
		fputs((const char *)result->message.data, stdout);
	if (rc != 0)
		return rc;
	return EXIT_OK;
}
