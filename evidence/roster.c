#include "evidence/roster.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

int roster_id_valid(const char *id, size_t len)
{
	if (len == 0 || len > ROSTER_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = id[i];
		int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			return 0;
	}
	return 1;
}

int roster_new(struct roster **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	return 0;
}

void roster_free(struct roster *roster)
{
	if (roster == NULL)
		return;
	free(roster->participants);
	free(roster->keys);
	free(roster);
}

long roster_find_participant(const struct roster *roster, const char *id)
{
	for (size_t i = 0; i < roster->participant_count; i++)
		if (strcmp(roster->participants[i], id) == 0)
			return (long)i;
	return -1;
}

long roster_find_key(const struct roster *roster, const struct sshkey_public *key)
{
	for (size_t i = 0; i < roster->key_count; i++)
		if (sshkey_public_equal(&roster->keys[i].key, key))
			return (long)roster->keys[i].participant;
	return -1;
}

int roster_add_key(struct roster *roster, const char *id, const struct sshkey_public *key)
{
	long participant;

	if (!roster_id_valid(id, strlen(id)))
		return err_set(CER_ERR_FORMAT,
		               "participant id \"%.*s\" is not 1-%d characters of a-z, 0-9, '.', '_', '-'",
		               ROSTER_ID_MAX, id, ROSTER_ID_MAX);
	if (roster_find_key(roster, key) >= 0) {
		char fp[SSHKEY_FINGERPRINT_CHARS + 1];
		sshkey_fingerprint_text(key, fp);
		return err_set(CER_ERR_FORMAT, "key %s appears twice in the roster", fp);
	}
	if (roster->key_count >= ROSTER_KEYS_MAX)
		return err_set(CER_ERR_FORMAT, "more than %d keys in the roster", ROSTER_KEYS_MAX);
	participant = roster_find_participant(roster, id);
	if (participant < 0) {
		char(*grown)[ROSTER_ID_MAX + 1];
		if (roster->participant_count >= ROSTER_PARTICIPANTS_MAX)
			return err_set(CER_ERR_FORMAT, "more than %d participants", ROSTER_PARTICIPANTS_MAX);
		grown = realloc(roster->participants, (roster->participant_count + 1) * sizeof(*grown));
		if (grown == NULL)
			return err_set(CER_ERR_NOMEM, "out of memory");
		roster->participants = grown;
		memcpy(grown[roster->participant_count], id, strlen(id) + 1);
		participant = (long)roster->participant_count++;
	}
	struct roster_key *keys = realloc(roster->keys, (roster->key_count + 1) * sizeof(*keys));
	if (keys == NULL)
		return err_set(CER_ERR_NOMEM, "out of memory");
	roster->keys = keys;
	keys[roster->key_count].key = *key;
	keys[roster->key_count].participant = (size_t)participant;
	roster->key_count++;
	return 0;
}

int roster_from_allowed_signers(struct roster **out, const char *text, size_t len)
{
	struct allowed_signers *list = NULL;
	struct roster *roster = NULL;
	int r;

	*out = NULL;
	if ((r = allowed_signers_parse(&list, text, len)) != 0)
		return r;
	if ((r = roster_new(&roster)) != 0)
		goto out;
	for (size_t i = 0; i < list->count; i++) {
		if ((r = roster_add_key(roster, list->entries[i].principals, &list->entries[i].key)) != 0) {
			err_context(r, "line %u", list->entries[i].line);
			goto out;
		}
	}
	if (roster->participant_count == 0) {
		r = err_set(CER_ERR_FORMAT, "the roster names no participant");
		goto out;
	}
	*out = roster;
	roster = NULL;
out:
	roster_free(roster);
	allowed_signers_free(list);
	return r;
}
