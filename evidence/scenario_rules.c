/* Sign-off rules and the meaning checks of `ceremony scenario check`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "evidence/scenario.h"

/* Kuhn's augmenting paths: can participant `p` take a slot, possibly moving others? */
static int augment(const struct scenario *s, const size_t *slot_role, size_t slots, const size_t *people, size_t p,
                   long *slot_owner, unsigned char *visited)
{
	for (size_t k = 0; k < slots; k++) {
		if (visited[k] || !scenario_has_role(s, people[p], slot_role[k]))
			continue;
		visited[k] = 1;
		if (slot_owner[k] < 0 ||
		    augment(s, slot_role, slots, people, (size_t)slot_owner[k], slot_owner, visited)) {
			slot_owner[k] = (long)p;
			return 1;
		}
	}
	return 0;
}

int signoff_rule_met(const struct scenario *s, const struct signoff_rule *rule, const size_t *participants,
                     size_t count)
{
	size_t slots = 0, matched = 0, *slot_role;
	long *slot_owner;
	unsigned char *visited;
	int met;

	for (size_t i = 0; i < rule->require_count; i++)
	slots += rule->requires[i].count;
	if (slots > count)
		return 0; /* each person fills one slot at most */
	slot_role = calloc(slots, sizeof(*slot_role));
	slot_owner = calloc(slots, sizeof(*slot_owner));
	visited = calloc(slots, 1);
	if (slot_role == NULL || slot_owner == NULL || visited == NULL) {
		met = 0;
		goto out;
	}
	for (size_t i = 0, k = 0; i < rule->require_count; i++)
		for (unsigned c = 0; c < rule->requires[i].count; c++)
	slot_role[k++] = rule->requires[i].role;
	for (size_t k = 0; k < slots; k++)
		slot_owner[k] = -1;
	for (size_t p = 0; p < count; p++) {
		memset(visited, 0, slots);
		if (augment(s, slot_role, slots, participants, p, slot_owner, visited))
			matched++;
	}
	met = matched == slots;
out:
	free(slot_role);
	free(slot_owner);
	free(visited);
	return met;
}

int signoff_rule_format(const struct scenario *s, const struct signoff_rule *rule, struct buf *out)
{
	int r = 0;

	for (size_t i = 0; i < rule->require_count && r == 0; i++)
		r = buf_printf(out, "%s%u %s", i ? " + " : "", rule->requires[i].count,
		               s->roles[rule->requires[i].role]);
	return r;
}

static size_t rule_people(const struct signoff_rule *rule)
{
	size_t total = 0;

	for (size_t i = 0; i < rule->require_count; i++)
	total += rule->requires[i].count;
	return total;
}

/* Problems of one rule: one person could meet it alone; or the roster cannot meet it. */
static size_t check_rule(const struct scenario *s, const struct signoff_rule *rule, const char *where,
                         struct buf *problems)
{
	size_t count = 0;

	if (rule_people(rule) < 2 && buf_printf(problems,
	                                        "%s: the sign-off rule can be met by one person alone "
	                                        "(a ceremony needs at least two people on every record)\n",
	                                        where) == 0)
		count++;
	if (s->roster != NULL) {
		size_t *everyone = calloc(s->roster->participant_count, sizeof(*everyone));
		if (everyone == NULL)
			return count + 1;
		for (size_t p = 0; p < s->roster->participant_count; p++)
			everyone[p] = p;
		if (!signoff_rule_met(s, rule, everyone, s->roster->participant_count)) {
			struct buf text = buf_make(1024);
			if (signoff_rule_format(s, rule, &text) == 0 &&
			    buf_printf(problems,
			               "%s: the sign-off rule (%s, distinct people) cannot be met by the roster\n",
			               where, (const char *)text.data) == 0)
				count++;
			buf_free(&text);
		}
		free(everyone);
	}
	return count;
}

/* The algorithms the vault makes keys of (vault/keys.h; the evidence layer cannot link the vault). */
static const char *const known_vault_algorithms[] = {"ecdsa-p256", "ecdsa-p384", "rsa-3072", "rsa-4096", "ed25519"};

static int known_algorithm(const char *name)
{
	for (size_t i = 0; i < sizeof(known_vault_algorithms) / sizeof(known_vault_algorithms[0]); i++)
		if (strcmp(name, known_vault_algorithms[i]) == 0)
			return 1;
	return 0;
}

static int has_attachment(const struct scenario_step *st, const char *name)
{
	for (size_t i = 0; i < st->attachment_count; i++)
		if (strcmp(st->attachments[i].name, name) == 0)
			return 1;
	return 0;
}

/* What a vault step must say about its key (docs/formats/scenario.md, "Vault steps"). */
static const char *key_step_problem(const struct scenario_step *st)
{
	int needs_key = st->kind == STEP_VAULT_GENERATE || st->kind == STEP_VAULT_EXPORT ||
	                st->kind == STEP_VAULT_SIGN || st->kind == STEP_VAULT_DESTROY;

	if (st->kind == STEP_VAULT_INIT && !st->has_quorum)
		return "a vault-init step must name its quorum: <quorum threshold=\"T\" role=\"ROLE\"/>";
	if (st->kind != STEP_VAULT_INIT && st->has_quorum)
		return "only a vault-init step names a <quorum>";
	if (st->has_quorum && st->quorum_threshold < 2)
		return "the quorum's threshold must be at least 2: one key master alone must not open the vault";
	if (needs_key && !st->has_key)
		return "a vault step that works on a key must name it: <key label=\"...\" .../>";
	if (!needs_key && st->has_key)
		return "only vault-generate, vault-export, vault-sign and vault-destroy steps name a <key>";
	if (!st->has_key)
		return NULL;
	if (st->kind == STEP_VAULT_GENERATE && st->key.algorithm[0] == '\0')
		return "a vault-generate step must name the key's algorithm";
	if (st->key.algorithm[0] != '\0' && !known_algorithm(st->key.algorithm))
		return "the key's algorithm is not one the vault makes (ecdsa-p256, ecdsa-p384, rsa-3072, rsa-4096, "
		       "ed25519)";
	if (st->kind == STEP_VAULT_SIGN && st->key.sign_input[0] == '\0')
		return "a vault-sign step must name the attachment it signs: <key ... sign=\"ATTACHMENT\"/>";
	if (st->kind != STEP_VAULT_SIGN && st->key.sign_input[0] != '\0')
		return "only a vault-sign step signs an attachment";
	if (st->kind == STEP_VAULT_SIGN && !has_attachment(st, st->key.sign_input))
		return "the attachment the step signs is not one of its <attach>";
	return NULL;
}

size_t scenario_check(const struct scenario *s, struct buf *problems)
{
	char where[SCENARIO_ID_MAX + 64];
	size_t count = 0;

	for (size_t i = 0; i < s->step_count; i++) {
		const struct scenario_step *st = &s->steps[i];
		int holder = 0;
		snprintf(where, sizeof(where), "step %s (line %u)", st->id, st->line);
		count += check_rule(s, &st->signoff, where, problems);
		const char *vault_problem = key_step_problem(st);
		if (vault_problem != NULL && buf_printf(problems, "%s: %s\n", where, vault_problem) == 0)
			count++;
		if (st->has_quorum && s->roster != NULL) {
			size_t holders = 0;
			for (size_t p = 0; p < s->roster->participant_count; p++)
				holders += scenario_has_role(s, p, st->quorum_role) != 0;
			if ((holders < st->quorum_threshold || holders > SCENARIO_QUORUM_MAX) &&
			    buf_printf(problems,
			               "%s: the quorum needs %u to %d key masters holding %s, the roster has %zu\n",
			               where, st->quorum_threshold, SCENARIO_QUORUM_MAX, s->roles[st->quorum_role],
			               holders) == 0)
				count++;
		}
		for (size_t p = 0; s->roster != NULL && p < s->roster->participant_count; p++)
			holder |= scenario_has_role(s, p, st->role);
		if (s->roster != NULL && !holder &&
		    buf_printf(problems, "%s: nobody in the roster holds the acting role %s\n", where,
		               s->roles[st->role]) == 0)
			count++;
	}
	count += check_rule(s, &s->restart_signoff, "restart", problems);
	count += check_rule(s, &s->close_signoff, "close", problems);
	return count;
}
