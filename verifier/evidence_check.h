/* The first layer of `ceremony verify`: is this evidence repository authentic and intact?
 *
 * Checks (docs/verify.md lists each with its finding code): objects present and intact; one
 * branch, linear, no merges; each commit adds exactly one record directory and changes nothing
 * else; each record's sequence number and previous-record hash; ceremony id and scenario hash as
 * the genesis record pinned; every sign-off valid, in the record namespace, by a key of the roster
 * pinned in the genesis record, each person once; exactly one signature header per commit, valid,
 * by a roster key. Decisions use signed bytes only: commit messages, authors and committers are
 * never read. */
#ifndef CEREMONY_VERIFIER_EVIDENCE_CHECK_H
#define CEREMONY_VERIFIER_EVIDENCE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "evidence/record.h"
#include "verifier/findings.h"

struct evidence_check_options {
	const uint8_t *closing_hash;    /* 32 bytes: the SHA-256 of the last record, from outside; or NULL */
	const uint8_t *scenario_hash;  /* 32 bytes: the auditor's scenario's SHA-256; or NULL */
};

struct evidence_check_result {
	size_t records;              /* records read (commits on the branch) */
	int closed;                  /* the last record is a close record */
	uint32_t last_session;
	uint8_t last_record_sha256[32];
	char ceremony[RECORD_ID_MAX + 1];
	size_t signatures_checked;   /* sign-offs and commit signatures verified */
};

/* Check the repository at `dir`. Returns 0 when the check ran to its end (the findings say whether
 * the evidence holds), or a negative cer_err when it could not run at all (not a repository,
 * out of memory): then the message names the directory and the reason. */
__attribute__((warn_unused_result)) int evidence_check(const char *dir, const struct evidence_check_options *options,
						       struct findings *findings, struct evidence_check_result *result);

#endif
