#include "evidence/tree_raw.h"

#include <string.h>

#include "common/error.h"

#define MODE_DIGITS_MAX 6

int tree_raw_next(const uint8_t *raw, size_t len, size_t *pos, struct tree_raw_entry *entry)
{
	size_t at = *pos, digits = 0;
	const uint8_t *nul;
	uint32_t mode = 0;

	if (at >= len)
		return 0;
	while (at < len && raw[at] != ' ') {
		if (raw[at] < '0' || raw[at] > '7' || ++digits > MODE_DIGITS_MAX)
			return err_set(CER_ERR_FORMAT, "tree entry at byte %zu: the mode is not octal", *pos);
		mode = mode * 8u + (uint32_t)(raw[at] - '0');
		at++;
	}
	if (digits == 0 || at >= len)
		return err_set(CER_ERR_FORMAT, "tree entry at byte %zu: no mode", *pos);
	at++; /* the space */
	nul = memchr(raw + at, '\0', len - at);
	if (nul == NULL)
		return err_set(CER_ERR_FORMAT, "tree entry at byte %zu: the name is not terminated", *pos);
	if (nul == raw + at || memchr(raw + at, '/', (size_t)(nul - (raw + at))) != NULL)
		return err_set(CER_ERR_FORMAT, "tree entry at byte %zu: an empty name or a name with '/'", *pos);
	if ((size_t)(len - (size_t)(nul + 1 - raw)) < TREE_RAW_ID_BYTES)
		return err_set(CER_ERR_FORMAT, "tree entry at byte %zu: the object id is cut short", *pos);
	entry->mode = mode;
	entry->name = (const char *)(raw + at);
	memcpy(entry->id, nul + 1, TREE_RAW_ID_BYTES);
	*pos = (size_t)(nul + 1 - raw) + TREE_RAW_ID_BYTES;
	return 1;
}

int tree_raw_find(const uint8_t *raw, size_t len, const char *name, struct tree_raw_entry *entry)
{
	size_t pos = 0;
	int r;

	while ((r = tree_raw_next(raw, len, &pos, entry)) == 1) {
		if (strcmp(entry->name, name) == 0)
			return 1;
	}
	return r;
}
