/* OpenSSH Ed25519 keys: public key blobs and lines, fingerprints, allowed_signers files, and
 * unencrypted private key files (openssh-key-v1).
 *
 * Only ssh-ed25519 is accepted: participants sign with Ed25519 (DESIGN.md section 5); any other
 * key type is refused with CER_ERR_UNSUPPORTED naming the type. */
#ifndef CEREMONY_COMMON_SSHKEY_H
#define CEREMONY_COMMON_SSHKEY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define SSHKEY_ED25519_NAME "ssh-ed25519"
#define SSHKEY_ED25519_PUBLIC_BYTES 32
#define SSHKEY_ED25519_SECRET_BYTES 64 /* libsodium's seed || public key */
#define SSHKEY_ED25519_SIGNATURE_BYTES 64
/* string "ssh-ed25519" + string key */
#define SSHKEY_ED25519_BLOB_BYTES (4 + 11 + 4 + SSHKEY_ED25519_PUBLIC_BYTES)
/* "SHA256:" + 43 unpadded base64 characters, as ssh-keygen -l prints */
#define SSHKEY_FINGERPRINT_CHARS 50
/* A public key line or allowed_signers line longer than this is refused. */
#define SSHKEY_LINE_MAX 8192

struct sshkey_public {
	uint8_t ed25519[SSHKEY_ED25519_PUBLIC_BYTES];
};

/* Parse a public key blob (string key type, string key). Trailing bytes are an error. */
__attribute__((warn_unused_result)) int sshkey_public_from_blob(struct sshkey_public *out, const uint8_t *blob,
                                                                size_t len);
void sshkey_public_to_blob(const struct sshkey_public *key, uint8_t out[SSHKEY_ED25519_BLOB_BYTES]);

/* Parse "ssh-ed25519 AAAA... [comment]" (one line, no newline inside; a trailing "\n" is allowed).
 * The base64 must decode to a blob of the same type as the line's first word. */
__attribute__((warn_unused_result)) int sshkey_public_parse_line(struct sshkey_public *out, const char *line,
                                                                 size_t len);
/* Append "ssh-ed25519 AAAA..." (no comment, no newline). */
__attribute__((warn_unused_result)) int sshkey_public_format_line(const struct sshkey_public *key, struct buf *out);

/* SHA-256 of the public key blob. */
void sshkey_fingerprint(const struct sshkey_public *key, uint8_t out[32]);
/* "SHA256:<base64 without padding>", as `ssh-keygen -l` prints it; out holds SSHKEY_FINGERPRINT_CHARS+1. */
void sshkey_fingerprint_text(const struct sshkey_public *key, char out[SSHKEY_FINGERPRINT_CHARS + 1]);

int sshkey_public_equal(const struct sshkey_public *a, const struct sshkey_public *b);

/* One line of an OpenSSH allowed_signers file: principals [options] keytype key [comment]. */
struct allowed_signer {
	char *principals; /* comma-separated patterns, as written */
	char *namespaces; /* the namespaces="..." option, or NULL when absent */
	struct sshkey_public key;
	unsigned line; /* 1-based line number in the file */
};

struct allowed_signers {
	struct allowed_signer *entries;
	size_t count;
};

/* Parse an allowed_signers file's text. Comments (#) and blank lines are skipped. Options other
 * than namespaces= and cert-authority are refused; cert-authority is refused (no certificates).
 * Errors name the line: "line 3: unsupported key type ssh-rsa". */
__attribute__((warn_unused_result)) int allowed_signers_parse(struct allowed_signers **out, const char *text,
                                                              size_t len);
void allowed_signers_free(struct allowed_signers *list);

/* An unencrypted Ed25519 private key; the secret lives in sodium_malloc'd memory. */
struct sshkey_private {
	struct sshkey_public public_key;
	uint8_t *secret; /* SSHKEY_ED25519_SECRET_BYTES, sodium_malloc'd, read-only when idle */
	char *comment;
};

/* Parse an OpenSSH private key file ("-----BEGIN OPENSSH PRIVATE KEY-----"). An encrypted key is
 * refused with CER_ERR_UNSUPPORTED and a message saying to load it into ssh-agent. */
__attribute__((warn_unused_result)) int sshkey_private_parse(struct sshkey_private **out, const uint8_t *text,
                                                             size_t len);
/* Read and parse a private key file; errors name the path. */
__attribute__((warn_unused_result)) int sshkey_private_load(struct sshkey_private **out, const char *path);
/* Wipes the secret. Safe on NULL. */
void sshkey_private_free(struct sshkey_private *key);

/* A fresh key pair (for tests, benchmarks and the demo's throwaway participants). */
__attribute__((warn_unused_result)) int sshkey_private_generate(struct sshkey_private **out, const char *comment);
/* Serialize as an unencrypted OpenSSH private key file (what `ssh-keygen -N ''` writes). */
__attribute__((warn_unused_result)) int sshkey_private_format(const struct sshkey_private *key, struct buf *out);

#endif
