/* A ceremony in progress: the evidence repository, its published scenario, and where the script
 * stands, derived from the repository alone (DESIGN.md section 4: no state lives anywhere else,
 * except a pending record waiting for sign-offs, kept inside the repository's directory).
 *
 * Every action refuses, before anything is written, what it cannot do; what breaks the script
 * (a step out of order, a sign-off from someone the step does not allow, a captured value that
 * does not match, a failed signature) is recorded as an incident, which invalidates the session. */
#ifndef CEREMONY_RECORDER_CEREMONY_H
#define CEREMONY_RECORDER_CEREMONY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/signer.h"
#include "evidence/record.h"
#include "evidence/scenario.h"
#include "evidence/script.h"
#include "evidence/store.h"

struct pending;

struct ceremony {
	struct evidence_store *store;
	struct scenario *scenario;
	struct record *genesis;
	struct script_state state;
	struct evidence_tip tip;
	struct pending *pending; /* a proposed record waiting for sign-offs, or NULL */
	char *recorder_version; /* borrowed strings set by the caller for genesis records */
	char *recorder_build;
	/* Set when ceremony_open() found a pending record that was not a valid proposal (altered on
	 * disk) and discarded it: what was wrong. Commands tell people, who should declare an incident. */
	char discarded_pending[512];
	const char *vault_dir; /* borrowed: the ceremony's vault, for vault steps (ceremony_use_vault) */
};

/* Open a ceremony: the repository, the scenario stored with its genesis record, the replay of
 * every record through the script, and the pending record if there is one. */
__attribute__((warn_unused_result)) int ceremony_open(struct ceremony **out, const char *dir);
void ceremony_free(struct ceremony *c);

/* Start a ceremony: check the scenario (no problem allowed), create the evidence repository at
 * `dir`, write the genesis record (ceremony id = scenario id, the scenario's hash and the scenario
 * itself, the roster, the ceremony's vault when `vault_dir` is given (required when the scenario has
 * vault steps), the recorder's version and build), signed by `signers`. */
__attribute__((warn_unused_result)) int ceremony_begin(struct ceremony **out, const char *dir,
                                                       const char *scenario_path, const char *vault_dir,
                                                       struct signer *const *signers, size_t signer_count,
                                                       const char *version, const char *build);

/* The vault directory vault steps, shares and restarts talk to (borrowed; NULL: none). It must be
 * the vault the genesis record names; each action that uses it checks. */
void ceremony_use_vault(struct ceremony *c, const char *vault_dir);

/* What a step record captures, as given on the command line. */
struct step_input {
	const char *const *values; /* "NAME=VALUE" */
	size_t value_count;
	const char *const *attachments; /* "NAME=PATH" */
	size_t attachment_count;
	const char *note;
	int confirmed; /* the operator answered "Yes" (--yes) */
	const char *output_path; /* vault-export, vault-sign: where the public key or signature goes, or NULL */
	const char *shares_dir; /* vault-init: where the share files go */
	const char *const *passphrase_files; /* vault-init: "ID=FILE" (others type theirs) */
	size_t passphrase_file_count;
};

/* What an action did. */
struct action_result {
	int committed; /* a record was committed */
	int pending; /* the record waits for more sign-offs */
	int incident; /* the action was refused and an incident was recorded instead */
	uint32_t sequence; /* of the record committed or pending */
	git_oid commit;
	struct buf message; /* for people: what happened, what is missing (caller frees) */
	uint8_t record_sha256[32];
};
void action_result_init(struct action_result *r);
void action_result_free(struct action_result *r);

/* Propose the record of step `step_id`, signed by `signers`. Committed when the step's rule is
 * met; pending otherwise. */
__attribute__((warn_unused_result)) int ceremony_record_step(struct ceremony *c, const char *step_id,
                                                             const struct step_input *input,
                                                             struct signer *const *signers, size_t count,
                                                             struct action_result *result);
/* Add sign-offs to the pending record; commit it when its rule is met. */
__attribute__((warn_unused_result)) int ceremony_sign(struct ceremony *c, struct signer *const *signers, size_t count,
                                                      struct action_result *result);
/* Declare an incident: what happened, in the declarer's words. Any participant may. */
__attribute__((warn_unused_result)) int ceremony_declare_incident(struct ceremony *c, const char *reason,
                                                                  struct signer *const *signers, size_t count,
                                                                  struct action_result *result);
/* Open the next session after an incident (signed as the scenario's restart rule says, possibly
 * over several commands through the pending record). With a vault (ceremony_use_vault), the keys
 * the invalidated session made are destroyed first and the vault is sealed, both in the restart
 * record; keys to destroy without a vault refuse the restart. */
__attribute__((warn_unused_result)) int ceremony_restart(struct ceremony *c, struct signer *const *signers,
                                                         size_t count, struct action_result *result);
/* A key master's share contribution at a vault-unseal step `step_id` (DESIGN.md section 4,
 * "share"): the share file is decrypted with their passphrase and sent to the ceremony's vault. A
 * share the vault refuses is an incident, signed by `signer`, and the vault is sealed (its
 * contributions discarded); an accepted one is in the vault's log, and the step's record, made with
 * ceremony_record_step() once the vault is open, reports every contribution that opened it. */
__attribute__((warn_unused_result)) int ceremony_share(struct ceremony *c, const char *step_id, const char *share_path,
                                                       const char *passphrase_file, struct signer *signer,
                                                       struct action_result *result);
/* Close after the last step (signed as the scenario's close rule says). */
__attribute__((warn_unused_result)) int ceremony_close(struct ceremony *c, struct signer *const *signers, size_t count,
                                                       struct action_result *result);

/* The step the script expects next, or -1 (invalidated, closed, or all steps done). */
long ceremony_next_step(const struct ceremony *c);

/* The pending record, if any (returns 1): the record and who signed so far (participant indexes,
 * into `signers`, which holds EVIDENCE_SIGNOFFS_MAX). */
int ceremony_pending_info(const struct ceremony *c, const struct record **record, size_t *signers, size_t *count);

/* Map verified sign-off keys to distinct roster participants (into `people`); a key outside the
 * scenario's roster, or one person twice, is refused. */
__attribute__((warn_unused_result)) int
ceremony_signers_to_people(const struct ceremony *c, const struct sshkey_public *keys, size_t count, size_t *people);

#endif
