/* Scenarios: scenario_parse, then the meaning checks of `scenario check`. A scenario is the
 * auditor's trust root only once they have checked its hash; before that it is a file from
 * someone else, and its capture patterns are compiled as regular expressions.
 *
 * The first input byte selects whether a template (no roster) is accepted; the rest is the
 * document. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "evidence/scenario.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario *s = NULL;
	struct buf text = buf_make(1024 * 1024);

	if (size < 1)
		return 0;
	if (scenario_parse(&s, data + 1, size - 1, data[0] & 1) != 0) {
		FUZZ_CHECK(s == NULL);
		return 0;
	}
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(s->roster != NULL || (data[0] & 1));
	(void)scenario_check(s, &text);
	for (size_t i = 0; i < s->step_count; i++) {
		const struct scenario_step *st = &s->steps[i];
		FUZZ_CHECK(scenario_find_step(s, st->id) >= 0);
		FUZZ_CHECK(st->role < s->role_count);
		buf_reset(&text);
		(void)signoff_rule_format(s, &st->signoff, &text);
		for (size_t c = 0; c < st->capture_count; c++)
			(void)scenario_capture_matches(&st->captures[c], "TEB-000001");
		if (s->roster != NULL) {
			/* Everyone signs: the rule's matching over the whole roster. */
			size_t n = s->roster->participant_count, *all = malloc((n ? n : 1) * sizeof(*all));
			FUZZ_CHECK(all != NULL);
			for (size_t p = 0; p < n; p++)
				all[p] = p;
			(void)signoff_rule_met(s, &st->signoff, all, n);
			free(all);
		}
	}
	buf_free(&text);
	scenario_free(s);
	return 0;
}
