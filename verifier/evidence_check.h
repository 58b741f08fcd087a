/* The first layer of `ceremony verify`: is this evidence repository authentic and intact?
 *
 * Checks (docs/verify.md lists each with its finding code): objects present and intact; one
 * branch, linear, no merges; each commit adds exactly one record directory and changes nothing
 * else; each record's sequence number and previous-record hash; ceremony id and scenario hash as
 * the genesis record pinned; every sign-off valid, in the record namespace, by a key of the roster
 * pinned in the genesis record, each person once; exactly one signature header per commit, valid,
 * by a roster key. Decisions use signed bytes only: commit messages, authors and committers are
 * never read.
 *
 * Second layer, when a scenario is available (the auditor's copy, or else the one stored with the
 * genesis record): every record is replayed through the script (evidence/script.h): steps in
 * order, sign-off rules met by distinct allowed people, captured values matching, incidents ending
 * their session, restarts signed as required, the ceremony closed. */
#ifndef CEREMONY_VERIFIER_EVIDENCE_CHECK_H
#define CEREMONY_VERIFIER_EVIDENCE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "evidence/record.h"
#include "verifier/findings.h"

/* A record as the check saw it (everything borrowed, valid during the call). */
struct checked_record {
	const struct record *record;
	const char *commit; /* hex */
	const uint8_t *sha256; /* 32 bytes */
	const char *const *signers; /* participant ids, in sign-off order */
	size_t signer_count;
};

struct evidence_check_options {
	const uint8_t *closing_hash; /* 32 bytes: the SHA-256 of the last record, from outside; or NULL */
	const uint8_t *scenario_hash; /* 32 bytes: the published scenario's SHA-256, from outside; or NULL */
	const uint8_t *scenario; /* the auditor's copy of the published scenario (its bytes), or NULL */
	size_t scenario_len;
	/* Called after each record with how many of how many are checked (a long verification shows
	 * progress on a terminal), or NULL. It must not fail: it only reports. */
	void (*progress)(void *ctx, size_t done, size_t total);
	void *progress_ctx;
	/* Called with each record once it is checked, in order, for those who collect what the evidence
	 * says (the vault join, the reports), or NULL. `signers` are the participants whose sign-offs
	 * verified; `sha256` is the record's hash. A non-zero return (a negative cer_err) stops the check
	 * and is returned. */
	int (*on_record)(void *ctx, const struct checked_record *record);
	void *on_record_ctx;
};

/* Where the scenario the records were replayed against came from. */
enum scenario_source {
	SCENARIO_NONE, /* none usable: the script was not replayed (low-level evidence) */
	SCENARIO_AUDITOR, /* the auditor's copy (-s), or the stored copy matching the auditor's hash */
	SCENARIO_STORED, /* the copy stored with the genesis record (pinned by hash, not from outside) */
};

struct evidence_check_result {
	size_t records; /* records read (commits on the branch) */
	int closed; /* the last record is a close record */
	uint32_t last_session;
	uint8_t last_record_sha256[32];
	char ceremony[RECORD_ID_MAX + 1];
	size_t signatures_checked; /* sign-offs and commit signatures verified */
	enum scenario_source scenario_source;
	int anchored; /* something from outside pins the evidence: the closing hash given matched,
	                              * or the auditor's scenario (bytes, or its hash) was replayed, roster
	                              * included. Without it a forger's own roster would verify. */
	int scenario_unusable; /* the scenario given is not a Ceremony scenario: no replay */
	int invalidated; /* the last session ended with an incident */
	uint32_t sessions;
	size_t incidents;
};

/* Check the repository at `dir` (`options` may be NULL: nothing from outside). Returns 0 when the check ran to its end (the findings say whether
 * the evidence holds), or a negative cer_err when it could not run at all (not a repository,
 * out of memory): then the message names the directory and the reason. */
__attribute__((warn_unused_result)) int evidence_check(const char *dir, const struct evidence_check_options *options,
                                                       struct findings *findings, struct evidence_check_result *result);

#endif
