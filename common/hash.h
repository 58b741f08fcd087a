/* SHA-256 and SHA-512 through OpenSSL's EVP interface (SHA-NI where the CPU has it); SHA-1 only to
 * name Git objects, never as a security check of its own. */
#ifndef CEREMONY_COMMON_HASH_H
#define CEREMONY_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_BYTES 20
#define SHA256_DIGEST_BYTES 32
#define SHA512_DIGEST_BYTES 64
#define SHA256_HEX_CHARS 64

/* Cannot fail for in-memory input; aborts if OpenSSL itself is broken (no sane way to continue). */
void sha256_digest(const void *data, size_t len, uint8_t out[SHA256_DIGEST_BYTES]);
void sha512_digest(const void *data, size_t len, uint8_t out[SHA512_DIGEST_BYTES]);

/* The SHA-1 of `head` followed by `body`: a Git object's id from its header and its body. Where an
 * id computed here matters, libgit2 (with SHA-1 collision detection) hashes the same bytes again. */
void sha1_digest_parts(const void *head, size_t head_len, const void *body, size_t body_len,
                       uint8_t out[SHA1_DIGEST_BYTES]);

/* Lower-case hex of a SHA-256 digest; `out` holds SHA256_HEX_CHARS + 1 chars. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_CHARS + 1]);

#endif
