/* Digests for people: the PGP word list (shared/data/pgp-wordlist.tsv). Byte k of a digest is
 * spoken with the even-position word when k is even, the odd-position word when k is odd, so a
 * swapped or dropped byte is heard. */
#ifndef CEREMONY_COMMON_PGPWORDS_H
#define CEREMONY_COMMON_PGPWORDS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

extern const char *const pgpwords_even[256];
extern const char *const pgpwords_odd[256];

/* Append the words for `len` bytes, separated by single spaces, no trailing space. */
__attribute__((warn_unused_result)) int pgpwords_append(struct buf *out, const uint8_t *bytes, size_t len);

#endif
