#include "cli/keys.h"

#include <string.h>

#include "common/error.h"

int signer_set_open(struct signer_set *set, const char *const *specs, size_t count)
{
	int r;

	memset(set, 0, sizeof(*set));
	if (count > sizeof(set->items) / sizeof(set->items[0]))
		return err_set(CER_ERR_USAGE, "too many keys");
	for (size_t i = 0; i < count; i++) {
		if ((r = signer_open(&set->items[i], specs[i])) != 0) {
			signer_set_close(set);
			return r;
		}
		set->count = i + 1;
	}
	return 0;
}

void signer_set_close(struct signer_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		signer_free(set->items[i]);
	set->count = 0;
}
