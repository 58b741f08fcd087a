#include "evidence/script.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int script_violate(struct script_violation *v, const char *code, const char *fmt, ...)
{
	va_list ap;

	v->code = code;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
	return 1;
}

void script_start(struct script_state *state, const struct scenario *scenario)
{
	memset(state, 0, sizeof(*state));
	state->scenario = scenario;
	state->session = 1;
}

const struct signoff_rule *script_rule(const struct script_state *state, enum record_type type, long step)
{
	const struct scenario *s = state->scenario;

	switch (type) {
	case RECORD_STEP:
		return step >= 0 && (size_t)step < s->step_count ? &s->steps[step].signoff : NULL;
	case RECORD_RESTART:
		return &s->restart_signoff;
	case RECORD_CLOSE:
		return &s->close_signoff;
	default:
		return NULL;
	}
}

/* May participant `p` sign under `rule`: does they hold one of its roles? */
static int allowed_by(const struct scenario *s, const struct signoff_rule *rule, size_t p)
{
	for (size_t i = 0; i < rule->require_count; i++)
		if (scenario_has_role(s, p, rule->requires[i].role))
			return 1;
	return 0;
}

int script_check_signoffs(const struct script_state *state, enum record_type type, long step, const size_t *signers,
                          size_t signer_count, int complete, struct script_violation *v)
{
	const struct scenario *s = state->scenario;
	const struct signoff_rule *rule = script_rule(state, type, step);
	char text[256] = "";

	if (rule == NULL)
		return signer_count == 0 ? script_violate(v, "script-signoff-rule", "no sign-off") : 0;
	for (size_t i = 0; i < signer_count; i++)
		if (!allowed_by(s, rule, signers[i]))
			return script_violate(v, "script-signoff-not-allowed",
			                      "%s signed, but holds none of the roles this %s allows",
			                      s->roster->participants[signers[i]],
			                      type == RECORD_STEP ? "step" : record_type_name(type));
	if (complete && !signoff_rule_met(s, rule, signers, signer_count)) {
		struct buf b = buf_make(sizeof(text) - 1);
		if (signoff_rule_format(s, rule, &b) == 0 && b.data != NULL)
			memcpy(text, b.data, b.len + 1);
		buf_free(&b);
		return script_violate(v, "script-signoff-rule",
		                      "the sign-offs do not meet the rule (%s, distinct people)", text);
	}
	return 0;
}

/* Values and attachments of a step record must be exactly what the step captures. */
static int check_captures(const struct scenario_step *step, const struct record *rec, struct script_violation *v)
{
	if (rec->value_count != step->capture_count)
		return script_violate(v, "script-value", "%zu values captured, the step captures %zu", rec->value_count,
		                      step->capture_count);
	for (size_t i = 0; i < step->capture_count; i++) {
		const struct record_value *value = NULL;
		for (size_t k = 0; k < rec->value_count; k++)
			if (strcmp(rec->values[k].name, step->captures[i].name) == 0)
				value = &rec->values[k];
		if (value == NULL)
			return script_violate(v, "script-value", "value %s is missing", step->captures[i].name);
		if (!scenario_capture_matches(&step->captures[i], value->value))
			return script_violate(v, "script-value", "value %s \"%.64s\" does not match the pattern %s",
			                      step->captures[i].name, value->value, step->captures[i].pattern);
	}
	if (rec->attachment_count != step->attachment_count)
		return script_violate(v, "script-attachment", "%zu attachments, the step takes %zu",
		                      rec->attachment_count, step->attachment_count);
	for (size_t i = 0; i < step->attachment_count; i++) {
		const struct record_attachment *a = NULL;
		for (size_t k = 0; k < rec->attachment_count; k++)
			if (strcmp(rec->attachments[k].name, step->attachments[i].name) == 0)
				a = &rec->attachments[k];
		if (a == NULL)
			return script_violate(v, "script-attachment", "attachment %s is missing",
			                      step->attachments[i].name);
		if ((a->stored != 0) != (step->attachments[i].store != 0))
			return script_violate(v, "script-attachment", "attachment %s %s stored, the step says it %s",
			                      a->name, a->stored ? "is" : "is not",
			                      step->attachments[i].store ? "must be" : "is not");
	}
	if (step->confirm && !rec->confirmed)
		return script_violate(v, "script-confirm",
		                      "the step needs an explicit \"Yes\", the record lacks <confirmed/>");
	return 0;
}

static int apply_step(struct script_state *state, const struct record *rec, const size_t *signers, size_t count,
                      int complete, struct script_violation *v)
{
	const struct scenario *s = state->scenario;
	const struct scenario_step *step;
	long actor;

	if (state->invalidated)
		return script_violate(v, "script-after-incident",
		                      "step %s recorded in session %u after an incident invalidated it", rec->step,
		                      state->session);
	if (state->next_step >= s->step_count)
		return script_violate(v, "script-step-extra", "step %s recorded after the last step of the scenario",
		                      rec->step);
	step = &s->steps[state->next_step];
	if (strcmp(rec->step, step->id) != 0) {
		long at = scenario_find_step(s, rec->step);
		return script_violate(v, "script-step-order", "step %s recorded where the script expects %s%s",
		                      rec->step, step->id, at < 0 ? " (it is not in the scenario)" : "");
	}
	state->next_step++;
	actor = roster_find_participant(s->roster, rec->actor);
	if (actor < 0 || !scenario_has_role(s, (size_t)actor, step->role))
		return script_violate(v, "script-actor-role", "actor %s does not hold the step's acting role %s",
		                      rec->actor, s->roles[step->role]);
	if (script_check_signoffs(state, RECORD_STEP, (long)(state->next_step - 1), signers, count, complete, v) != 0 ||
	    check_captures(step, rec, v) != 0)
		return 1;
	return script_check_vault_ops(state, step, rec, v);
}

/* The actor acted: they must be among the people who signed the record. */
static int actor_signed(const struct script_state *state, const struct record *rec, const size_t *signers, size_t count)
{
	long actor = roster_find_participant(state->scenario->roster, rec->actor);

	for (size_t i = 0; actor >= 0 && i < count; i++)
		if (signers[i] == (size_t)actor)
			return 1;
	return 0;
}

static int apply(struct script_state *state, const struct record *rec, const size_t *signers, size_t count,
                 int complete, struct script_violation *v);

int script_apply(struct script_state *state, const struct record *rec, const size_t *signers, size_t count,
                 struct script_violation *v)
{
	return apply(state, rec, signers, count, 1, v);
}

int script_check_proposal(const struct script_state *state, const struct record *rec, const size_t *signers,
                          size_t count, struct script_violation *v)
{
	struct script_state copy = *state;

	return apply(&copy, rec, signers, count, 0, v);
}

static int apply_type(struct script_state *state, const struct record *rec, const size_t *signers, size_t count,
                      int complete, struct script_violation *v);

/* The type's own rules first (they say the most), then: the actor must be among the signers. */
static int apply(struct script_state *state, const struct record *rec, const size_t *signers, size_t count,
                 int complete, struct script_violation *v)
{
	int r = apply_type(state, rec, signers, count, complete, v);

	if (r == 0 && rec->type != RECORD_GENESIS && !actor_signed(state, rec, signers, count))
		return script_violate(v, "script-actor-not-signer", "actor %s did not sign the record", rec->actor);
	return r;
}

static int apply_type(struct script_state *state, const struct record *rec, const size_t *signers, size_t count,
                      int complete, struct script_violation *v)
{
	const struct scenario *s = state->scenario;

	if (state->closed)
		return script_violate(v, "script-after-close", "a record after the ceremony was closed");
	switch (rec->type) {
	case RECORD_GENESIS:
		return script_violate(v, "script-genesis", "a second genesis record");
	case RECORD_STEP:
		if (rec->session != state->session)
			return script_violate(v, "script-session", "step in session %u, the current session is %u",
			                      rec->session, state->session);
		return apply_step(state, rec, signers, count, complete, v);
	case RECORD_INCIDENT:
		state->invalidated = 1;
		state->incidents++;
		if (rec->session != state->session)
			return script_violate(v, "script-session", "incident in session %u, the current session is %u",
			                      rec->session, state->session);
		if (count == 0)
			return script_violate(v, "script-signoff-rule", "an incident nobody signed");
		return script_check_vault_ops(state, NULL, rec, v);
	case RECORD_RESTART: {
		int was_invalid = state->invalidated, r;
		uint32_t expected = state->session + 1;
		state->session = rec->session;
		state->next_step = 0;
		state->invalidated = 0;
		state->restarts++;
		if (!was_invalid)
			return script_violate(v, "script-restart", "restart of a session no incident invalidated");
		r = script_check_vault_ops(state, NULL, rec, v);
		state->session_key_count = 0; /* the new session starts with none, judged or not */
		if (r != 0)
			return 1;
		if (rec->session != expected)
			return script_violate(v, "script-session", "restart opens session %u, expected %u",
			                      rec->session, expected);
		return script_check_signoffs(state, RECORD_RESTART, -1, signers, count, complete, v);
	}
	case RECORD_CLOSE:
		state->closed = 1;
		if (state->invalidated)
			return script_violate(v, "script-close",
			                      "close of a session an incident invalidated (restart first)");
		if (rec->session != state->session)
			return script_violate(v, "script-session", "close in session %u, the current session is %u",
			                      rec->session, state->session);
		if (state->next_step != s->step_count)
			return script_violate(v, "script-close", "close before the last step (next expected: %s)",
			                      s->steps[state->next_step].id);
		if (script_check_vault_ops(state, NULL, rec, v) != 0)
			return 1;
		return script_check_signoffs(state, RECORD_CLOSE, -1, signers, count, complete, v);
	}
	return script_violate(v, "script-type", "unknown record type");
}
