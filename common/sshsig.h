/* SSHSIG signatures (OpenSSH PROTOCOL.sshsig) with Ed25519, so that every signature Ceremony
 * makes can be checked with `ssh-keygen -Y verify`, and signatures from `ssh-keygen -Y sign`
 * are accepted. docs/formats/sshsig.md states exactly what is accepted.
 *
 * Wire blob (all strings are uint32 length + bytes):
 *   byte[6] SSHSIG_MAGIC  uint32 SSHSIG_VERSION  string publickey  string namespace
 *   string reserved  string hash_algorithm  string signature
 * Signed data:
 *   byte[6] SSHSIG_MAGIC  string namespace  string reserved  string hash_algorithm  string H(message)
 * Armor: SSHSIG_ARMOR_BEGIN, base64 in lines of 70 characters, SSHSIG_ARMOR_END. */
#ifndef CEREMONY_COMMON_SSHSIG_H
#define CEREMONY_COMMON_SSHSIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/signer.h"
#include "common/sshkey.h"

#define SSHSIG_MAGIC "SSHSIG"
#define SSHSIG_MAGIC_BYTES 6
#define SSHSIG_VERSION 1
#define SSHSIG_ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define SSHSIG_ARMOR_END "-----END SSH SIGNATURE-----"
#define SSHSIG_ARMOR_LINE 70
#define SSHSIG_HASH_SHA512 "sha512"
#define SSHSIG_HASH_SHA256 "sha256"
#define SSHSIG_NAMESPACE_MAX 256
/* An armored signature larger than this is refused before any parsing. */
#define SSHSIG_ARMORED_MAX 4096

/* The namespaces Ceremony signs in: one per purpose (DESIGN.md section 5). */
#define SSHSIG_NAMESPACE_RECORD "ceremony-record@ceremony"
#define SSHSIG_NAMESPACE_GIT "git"

/* Sign `msg` in `namespace` with SHA-512, as `ssh-keygen -Y sign -n NAMESPACE` does; append the
 * armored signature (ending in "\n") to `armored`. */
__attribute__((warn_unused_result)) int sshsig_sign(struct signer *signer, const char *namespace, const uint8_t *msg,
                                                    size_t msg_len, struct buf *armored);

/* Armor a binary blob / recover the blob from armor. Dearmor accepts exactly one armored block,
 * optional "\r", surrounding blank space, and nothing else. */
__attribute__((warn_unused_result)) int sshsig_armor(const uint8_t *blob, size_t len, struct buf *armored);
__attribute__((warn_unused_result)) int sshsig_dearmor(const uint8_t *armored, size_t len, struct buf *blob);

/* Verify an armored signature over `msg` in `namespace`; on success *signer_out is the key that
 * signed. Refusals, each with its own message: bad armor, bad magic, unknown version, unsupported
 * key type, unsupported hash algorithm, wrong namespace, truncated or trailing bytes, a signature
 * that does not verify (changed message or forged). */
__attribute__((warn_unused_result)) int sshsig_verify(const uint8_t *armored, size_t armored_len, const char *namespace,
                                                      const uint8_t *msg, size_t msg_len,
                                                      struct sshkey_public *signer_out);

/* The same over an already dearmored blob (the hot path of the verifier). */
__attribute__((warn_unused_result)) int sshsig_verify_blob(const uint8_t *blob, size_t blob_len, const char *namespace,
                                                           const uint8_t *msg, size_t msg_len,
                                                           struct sshkey_public *signer_out);

/* The parsed fields of a blob, without checking the signature; borrowed from the blob. */
struct sshsig_parts {
	struct sshkey_public key;
	const uint8_t *namespace;
	size_t namespace_len;
	const char *hash_algorithm; /* SSHSIG_HASH_SHA512 or SSHSIG_HASH_SHA256 */
	const uint8_t *signature; /* SSHKEY_ED25519_SIGNATURE_BYTES */
};
__attribute__((warn_unused_result)) int sshsig_parse_blob(const uint8_t *blob, size_t len, struct sshsig_parts *out);

/* The exact bytes the Ed25519 signature covers, for the crypto floor of the benchmarks. */
__attribute__((warn_unused_result)) int sshsig_signed_data(const char *namespace, const char *hash_algorithm,
                                                           const uint8_t *msg, size_t msg_len, struct buf *out);

#endif
