/* The subcommands. Each takes its own arguments (argv[0] is the first argument after the
 * subcommand's name) and returns an exit code (>= 0) or a negative cer_err, which main() prints as
 * "ceremony: <message>" and maps to an exit code (DESIGN.md section 6). */
#ifndef CEREMONY_CLI_COMMANDS_H
#define CEREMONY_CLI_COMMANDS_H

/* Exit codes. */
#define EXIT_OK 0
#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_INCOMPLETE 3

int cmd_evidence(int argc, char **argv);
int cmd_evidence_init(int argc, char **argv);
int cmd_evidence_append(int argc, char **argv);
int cmd_evidence_log(int argc, char **argv);
int cmd_evidence_allowed_signers(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_scenario(int argc, char **argv);
int cmd_begin(int argc, char **argv);
int cmd_next(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_incident(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_close(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_vault(int argc, char **argv);
int cmd_share(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_demo(int argc, char **argv);

/* The version line and the build it came from. */
extern const char ceremony_version[];
extern const char ceremony_build_id[];

#endif
