#include "common/signer.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/agent.h"
#include "common/error.h"

struct signer {
	char *name;
	struct sshkey_public public_key;
	struct sshkey_private *owned_key; /* a key file we loaded, or NULL */
	const struct sshkey_private *key; /* the in-memory key to sign with, or NULL for the agent */
	char *agent_socket; /* SSH_AUTH_SOCK at open time, for agent signers */
};

static int signer_new(struct signer **out, const char *name)
{
	struct signer *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL || (s->name = strdup(name)) == NULL) {
		free(s);
		return err_set(CER_ERR_NOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

static int signer_open_agent(struct signer *s, const char *selector)
{
	struct agent_identity id;
	const char *sock = getenv("SSH_AUTH_SOCK");
	int r;

	if (selector[0] == '\0')
		return err_set(CER_ERR_USAGE, "agent: needs a key comment or SHA256 fingerprint after it");
	if ((r = agent_find_identity(sock, selector, &id)) != 0)
		return r;
	if ((s->agent_socket = strdup(sock)) == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	s->public_key = id.key;
	return 0;
}

int signer_open(struct signer **out, const char *spec)
{
	struct signer *s = NULL;
	int r;

	*out = NULL;
	if ((r = signer_new(&s, spec)) != 0)
		return r;
	if (strncmp(spec, SIGNER_AGENT_PREFIX, strlen(SIGNER_AGENT_PREFIX)) == 0) {
		if ((r = signer_open_agent(s, spec + strlen(SIGNER_AGENT_PREFIX))) != 0)
			err_context(r, "key %s", spec);
	} else if ((r = sshkey_private_load(&s->owned_key, spec)) == 0) { /* its errors name the file */
		s->key = s->owned_key;
		s->public_key = s->owned_key->public_key;
	}
	if (r != 0) {
		signer_free(s);
		return r;
	}
	*out = s;
	return 0;
}

int signer_from_key(struct signer **out, const struct sshkey_private *key)
{
	struct signer *s = NULL;
	int r;

	if ((r = signer_new(&s, key->comment)) != 0)
		return r;
	s->key = key;
	s->public_key = key->public_key;
	*out = s;
	return 0;
}

const struct sshkey_public *signer_public_key(const struct signer *s)
{
	return &s->public_key;
}

const char *signer_name(const struct signer *s)
{
	return s->name;
}

int signer_sign(struct signer *s, const uint8_t *data, size_t len, uint8_t sig[SSHKEY_ED25519_SIGNATURE_BYTES])
{
	int r;

	if (s->key != NULL) {
		crypto_sign_ed25519_detached(sig, NULL, data, len, s->key->secret);
		return 0;
	}
	if ((r = agent_sign(s->agent_socket, &s->public_key, data, len, sig)) != 0)
		return err_context(r, "key %s", s->name);
	/* Never pass on a signature the agent got wrong: it would become a false finding later. */
	if (crypto_sign_ed25519_verify_detached(sig, data, len, s->public_key.ed25519) != 0)
		return err_set(CER_ERR_VERIFY, "key %s: ssh-agent returned a signature that does not verify", s->name);
	return 0;
}

void signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	sshkey_private_free(s->owned_key);
	free(s->agent_socket);
	free(s->name);
	free(s);
}
