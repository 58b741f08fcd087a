#include "common/pgpwords.h"

int pgpwords_append(struct buf *out, const uint8_t *bytes, size_t len)
{
	int r;

	for (size_t k = 0; k < len; k++) {
		const char *word = (k % 2 == 0) ? pgpwords_even[bytes[k]] : pgpwords_odd[bytes[k]];
		if (k > 0 && (r = buf_append_str(out, " ")) != 0)
			return r;
		if ((r = buf_append_str(out, word)) != 0)
			return r;
	}
	return 0;
}
