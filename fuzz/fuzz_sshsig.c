/* SSHSIG signatures: sshsig_dearmor, then sshsig_parse_blob and sshsig_verify_blob over a fixed
 * message. Sign-offs and commit signatures in the evidence repository are untrusted input.
 *
 * An input that is not armor is also tried as a binary blob, so that mutations reach the wire
 * format directly instead of only through base64. */
#include <string.h>

#include "common/buf.h"
#include "common/sshsig.h"
#include "fuzz/fuzz.h"

/* The seed signatures in corpus/sshsig/ were made over these bytes, so the success path is reached:
 *   printf '%s' "$FUZZ_SSHSIG_MESSAGE" | ssh-keygen -Y sign -f KEY -n ceremony-record@ceremony */
#define FUZZ_SSHSIG_MESSAGE "ceremony fuzz: the fixed message every seed signature covers\n"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

static void check_blob(const uint8_t *blob, size_t len)
{
	static const uint8_t msg[] = FUZZ_SSHSIG_MESSAGE;
	struct sshsig_parts parts;
	struct sshkey_public signer;

	if (sshsig_parse_blob(blob, len, &parts) != 0)
		return;
	/* What parse_blob promises: fields borrowed from inside the blob, a known hash algorithm. */
	FUZZ_CHECK(parts.namespace >= blob && parts.namespace + parts.namespace_len <= blob + len);
	FUZZ_CHECK(parts.signature >= blob && parts.signature + SSHKEY_ED25519_SIGNATURE_BYTES <= blob + len);
	FUZZ_CHECK(strcmp(parts.hash_algorithm, SSHSIG_HASH_SHA512) == 0 ||
	           strcmp(parts.hash_algorithm, SSHSIG_HASH_SHA256) == 0);
	if (sshsig_verify_blob(blob, len, SSHSIG_NAMESPACE_RECORD, msg, sizeof(msg) - 1, &signer) == 0)
		FUZZ_CHECK(memcmp(signer.ed25519, parts.key.ed25519, sizeof(signer.ed25519)) == 0);
	(void)sshsig_verify_blob(blob, len, SSHSIG_NAMESPACE_GIT, msg, sizeof(msg) - 1, &signer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX);

	if (sshsig_dearmor(data, size, &blob) == 0)
		check_blob(blob.data, blob.len);
	else
		check_blob(data, size);
	buf_free(&blob);
	return 0;
}
