/* The roster: the people of a ceremony and their public keys. A person may hold several keys
 * and still counts once; thresholds count people, never keys (DESIGN.md section 2).
 *
 * The roster is pinned in the genesis record of the evidence; every later signature is checked
 * against that pinned copy and nothing else. */
#ifndef CEREMONY_EVIDENCE_ROSTER_H
#define CEREMONY_EVIDENCE_ROSTER_H

#include <stddef.h>

#include "common/sshkey.h"

/* A participant id: 1 to ROSTER_ID_MAX characters of [a-z0-9._-], starting with a letter or digit. */
#define ROSTER_ID_MAX 64
#define ROSTER_PARTICIPANTS_MAX 256
#define ROSTER_KEYS_MAX 1024

struct roster_key {
	struct sshkey_public key;
	size_t participant; /* index into roster.participants */
};

struct roster {
	char (*participants)[ROSTER_ID_MAX + 1];
	size_t participant_count;
	struct roster_key *keys;
	size_t key_count;
};

/* Is `id` a well-formed participant id? */
int roster_id_valid(const char *id, size_t len);

/* An empty roster; free with roster_free(). */
__attribute__((warn_unused_result)) int roster_new(struct roster **out);
void roster_free(struct roster *roster);

/* Add one key for participant `id` (the participant is created on first use). Refuses a malformed
 * id, a key already in the roster (under any participant) and rosters beyond the limits. */
__attribute__((warn_unused_result)) int roster_add_key(struct roster *roster, const char *id,
                                                       const struct sshkey_public *key);

/* Build a roster from an OpenSSH allowed_signers file's text: each line's principals field must be
 * one participant id (no patterns, no lists). */
__attribute__((warn_unused_result)) int roster_from_allowed_signers(struct roster **out, const char *text, size_t len);

/* The participant holding `key`, or -1 when the key is not in the roster. */
long roster_find_key(const struct roster *roster, const struct sshkey_public *key);

/* The participant's index by id, or -1. */
long roster_find_participant(const struct roster *roster, const char *id);

#endif
