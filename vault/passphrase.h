/* Passphrases of key masters: from a file named by --passphrase-file, or typed on the terminal
 * with echo off. Never from the command line (DESIGN.md section 6).
 *
 * The passphrase is returned in sodium_malloc'd memory, NUL-terminated; release it with
 * passphrase_free(), which wipes it. */
#ifndef CEREMONY_VAULT_PASSPHRASE_H
#define CEREMONY_VAULT_PASSPHRASE_H

#include <stddef.h>

/* The longest passphrase accepted, in bytes (without the line ending). */
#define PASSPHRASE_MAX 1024

/* Read a passphrase. With `passphrase_file` (borrowed, may be NULL): its contents, one line of 1 to
 * PASSPHRASE_MAX bytes, a final "\n" or "\r\n" removed. The file must be a regular file owned by
 * the user and not accessible to group or others (mode 0600 or stricter), else it is refused.
 * Without: `prompt` is written to /dev/tty and one line is read from it with echo off; the
 * terminal's settings are restored on every path, and a signal from the keyboard (Ctrl-C) during
 * the read refuses the passphrase.
 * On success *out (sodium_malloc'd, NUL-terminated, transferred) and *len_out are set; on failure
 * *out is NULL. Refusals: empty, longer than PASSPHRASE_MAX, more than one line, a NUL byte
 * (CER_ERR_FORMAT); a file readable by others or owned by someone else (CER_ERR_REFUSED); missing
 * (CER_ERR_NOT_FOUND); no terminal or unreadable (CER_ERR_IO). */
__attribute__((warn_unused_result)) int passphrase_read(const char *prompt, const char *passphrase_file, char **out,
                                                        size_t *len_out);

/* Wipe and release a passphrase from passphrase_read(). Accepts NULL. */
void passphrase_free(char *passphrase);

#endif
