/* Hex and base64 text encodings (libsodium's constant-time codecs). */
#ifndef CEREMONY_COMMON_ENCODING_H
#define CEREMONY_COMMON_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Lower-case hex of `len` bytes into `out`, which must hold 2*len+1 chars. */
void hex_encode(const uint8_t *bin, size_t len, char *out);

/* Exactly `len` bytes from exactly 2*len hex digits (either case); nothing else is accepted. */
__attribute__((warn_unused_result)) int hex_decode_exact(const char *hex, size_t hex_len, uint8_t *out, size_t len);

/* Standard base64 with padding, appended to `out`. */
__attribute__((warn_unused_result)) int base64_append(struct buf *out, const uint8_t *bin, size_t len);

/* Decode standard padded base64 (`ignore` lists characters to skip, e.g. "\n", or NULL) into `out`,
 * which is reset first. The whole input must be consumed: trailing garbage is an error. */
__attribute__((warn_unused_result)) int base64_decode(const char *b64, size_t len, const char *ignore, struct buf *out);

#endif
