#include "vault/audit.h"

#include <stdlib.h>

#include <sodium.h>

#include "common/error.h"

int audit_key_derive(struct audit_key **out, const uint8_t master[32])
{
	struct audit_key *key = calloc(1, sizeof(*key));
	uint8_t *seed = sodium_malloc(crypto_sign_SEEDBYTES);
	int r = 0;

	*out = NULL;
	if (key == NULL || seed == NULL || (key->secret = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		r = err_set(CER_ERR_NOMEM, "cannot allocate secure memory");
		goto out;
	}
	if (crypto_kdf_derive_from_key(seed, crypto_sign_SEEDBYTES, AUDIT_KDF_SUBKEY, AUDIT_KDF_CONTEXT, master) != 0 ||
	    crypto_sign_seed_keypair(key->public_key, key->secret, seed) != 0) {
		r = err_set(CER_ERR_INTERNAL, "cannot derive the audit key");
		goto out;
	}
	sodium_mprotect_readonly(key->secret);
	*out = key;
	key = NULL;
out:
	sodium_free(seed);
	audit_key_free(key);
	return r;
}

int audit_session_key_generate(struct audit_key **out)
{
	struct audit_key *key = calloc(1, sizeof(*key));

	*out = NULL;
	if (key == NULL || (key->secret = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		audit_key_free(key);
		return err_set(CER_ERR_NOMEM, "cannot allocate secure memory");
	}
	crypto_sign_keypair(key->public_key, key->secret);
	sodium_mprotect_readonly(key->secret);
	*out = key;
	return 0;
}

void audit_key_free(struct audit_key *key)
{
	if (key == NULL)
		return;
	sodium_free(key->secret);
	free(key);
}

int audit_key_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	const struct audit_key *key = ctx;

	crypto_sign_ed25519_detached(sig, NULL, msg, len, key->secret);
	return 0;
}
