/* What the recorder's commands share: opening the ceremony and the keys, and reporting what an
 * action did. */
#ifndef CEREMONY_CLI_ACTION_H
#define CEREMONY_CLI_ACTION_H

#include "cli/keys.h"
#include "recorder/ceremony.h"

/* Open the ceremony at `dir` and the -k keys. On failure nothing stays open. */
__attribute__((warn_unused_result)) int action_open(const char *dir, const char *const *keys, size_t key_count,
                                                    struct ceremony **c, struct signer_set *signers);

/* Tell people what ceremony_open() had to discard (an altered pending record), on stderr. */
void action_warn(const struct ceremony *c);

/* Print what the action did (stdout) and, for a committed close record, the closing hash as hex
 * and PGP words. Returns the exit code for `rc` (the action's return). */
int action_report(const struct action_result *result, int rc);

/* Print a digest as "label: hex" then its PGP words under it. */
int print_digest_words(const char *label, const uint8_t digest[32]);

#endif
