/* Scenarios: the published script of a ceremony (docs/formats/scenario.md, templates/scenario.xsd).
 *
 * A scenario has an id, a title, a revision; roles; a roster of participants (each with roles and
 * one or more keys; a person counts once whatever their keys); ordered steps, each with its acting
 * role, instructions, sign-off rule, values to capture (with an XML Schema regular expression),
 * attachments to hash, and whether it needs an explicit "Yes"; and the sign-off rules of restart
 * and close. A template is a scenario without a roster.
 *
 * Both the recorder and the verifier read scenarios, so they live here, below both. */
#ifndef CEREMONY_EVIDENCE_SCENARIO_H
#define CEREMONY_EVIDENCE_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "evidence/roster.h"

#define SCENARIO_NAMESPACE "urn:ceremony:scenario:1"
#define SCENARIO_VERSION "1"
#define SCENARIO_BYTES_MAX (1024 * 1024)
#define SCENARIO_ID_MAX 64
#define SCENARIO_ROLES_MAX 16
#define SCENARIO_STEPS_MAX 256
#define SCENARIO_REQUIRES_MAX 8
#define SCENARIO_CAPTURES_MAX 32
#define SCENARIO_ATTACHMENTS_MAX 16
#define SCENARIO_TEXT_MAX 8192
#define SCENARIO_PATTERN_MAX 256
#define SCENARIO_QUORUM_MAX 32 /* the most key masters a vault has (vault/shamir.h) */

/* What a step does. Manual steps are done by people and recorded; the vault kinds ask the vault for
 * exactly one operation (docs/formats/scenario.md, "Vault steps"). */
enum step_kind {
	STEP_MANUAL,
	STEP_VAULT_INIT,
	STEP_VAULT_UNSEAL,
	STEP_VAULT_GENERATE,
	STEP_VAULT_EXPORT,
	STEP_VAULT_SIGN,
	STEP_VAULT_DESTROY,
	STEP_VAULT_SEAL,
};

/* "role:count" terms: `count` distinct people holding `role`, and no person counts for two terms. */
struct signoff_require {
	size_t role; /* index into scenario.roles */
	unsigned count;
};

struct signoff_rule {
	struct signoff_require requires[SCENARIO_REQUIRES_MAX];
	size_t require_count;
};

struct scenario_capture {
	char *name;
	char *pattern; /* XML Schema regular expression the whole value must match */
	char *label;
	void *compiled; /* xmlRegexp, owned */
};

struct scenario_attachment {
	char *name;
	char *label;
	int store; /* keep a copy in the evidence, not only its hash */
};

/* The key a vault step works on (<key label= algorithm= [sign=]/>): the scenario names it, never
 * the operator. */
#define SCENARIO_KEY_ALG_MAX 16
struct scenario_key {
	char label[SCENARIO_ID_MAX + 1];
	char algorithm[SCENARIO_KEY_ALG_MAX + 1]; /* "" when the step does not pin it (export, destroy) */
	char sign_input[SCENARIO_ID_MAX + 1]; /* vault-sign: the step's attachment whose bytes are signed */
};

struct scenario_step {
	char id[SCENARIO_ID_MAX + 1];
	enum step_kind kind;
	size_t role; /* the acting role */
	int confirm; /* needs an explicit "Yes" before it is recorded */
	char *title;
	char *instructions;
	struct signoff_rule signoff;
	struct scenario_capture *captures;
	size_t capture_count;
	struct scenario_attachment *attachments;
	size_t attachment_count;
	int has_key;
	struct scenario_key key;
	/* vault-init: <quorum threshold="T" role="ROLE"/>: every roster participant holding ROLE is a key
	 * master (in roster order), T of them open the vault. */
	int has_quorum;
	unsigned quorum_threshold;
	size_t quorum_role; /* index into scenario.roles */
	unsigned line; /* where the step is in the file, for messages */
};

struct scenario {
	char id[SCENARIO_ID_MAX + 1];
	char *title;
	unsigned revision;
	char roles[SCENARIO_ROLES_MAX][SCENARIO_ID_MAX + 1];
	char *role_titles[SCENARIO_ROLES_MAX];
	size_t role_count;
	struct roster *roster; /* NULL in a template */
	/* participant_roles[p] is a bit set over roles for roster participant p */
	uint32_t *participant_roles;
	struct scenario_step *steps;
	size_t step_count;
	struct signoff_rule restart_signoff;
	struct signoff_rule close_signoff;
	uint8_t sha256[32]; /* of the exact bytes parsed */
};

/* Parse scenario bytes. Refuses (CER_ERR_FORMAT, with the line) anything the strict XML rules
 * refuse (common/xml.h) and anything unknown; checks every reference (roles) while parsing.
 * `allow_template`: accept a document without a roster. */
__attribute__((warn_unused_result)) int scenario_parse(struct scenario **out, const uint8_t *bytes, size_t len,
                                                       int allow_template);
/* Read and parse a file; errors are "FILE: line N: reason". */
__attribute__((warn_unused_result)) int scenario_load(struct scenario **out, const char *path, int allow_template,
                                                      struct buf *bytes_out);
void scenario_free(struct scenario *scenario);

/* The meaning checks of `scenario check`, each a problem line appended to `problems` ("step X: ...").
 * Returns the number of problems (0: the scenario can be used). */
size_t scenario_check(const struct scenario *scenario, struct buf *problems);

/* Find a step by id; -1 when there is none. */
long scenario_find_step(const struct scenario *scenario, const char *id);
/* Does participant `p` hold role `role`? */
int scenario_has_role(const struct scenario *scenario, size_t participant, size_t role);

/* Can these participants (distinct roster indexes) satisfy `rule`, each person counting for at
 * most one term? A bipartite matching, so the answer does not depend on the order of signers. */
int signoff_rule_met(const struct scenario *scenario, const struct signoff_rule *rule, const size_t *participants,
                     size_t count);
/* "2 witness + 1 keymaster" */
__attribute__((warn_unused_result)) int signoff_rule_format(const struct scenario *scenario,
                                                            const struct signoff_rule *rule, struct buf *out);
/* Does `value` match the capture's pattern, whole? */
int scenario_capture_matches(const struct scenario_capture *capture, const char *value);

const char *step_kind_name(enum step_kind kind);

/* Make a scenario from a template and a roster text (lines "PARTICIPANT ROLE[,ROLE...] ssh-ed25519
 * KEY [comment]", '#' comments): the template's <id> becomes `id`, a <roster> goes after <roles>.
 * The result is parsed and must check clean (scenario_check) before it is returned in `out`. */
__attribute__((warn_unused_result)) int scenario_make(const uint8_t *template_bytes, size_t template_len,
                                                      const char *roster_text, size_t roster_len, const char *id,
                                                      struct buf *out);

#endif
