#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Thread-local so that the verifier's worker threads cannot garble each other's messages. */
static _Thread_local char last_message[ERR_MESSAGE_MAX];

/* Messages quote untrusted bytes (a signature's namespace, a key type); they are printed as one line on
 * a terminal, so a line break or an escape sequence in them must not survive. */
static void scrub_controls(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
}

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
	scrub_controls(last_message);
	return code;
}

int err_context(int code, const char *fmt, ...)
{
	char prefix[ERR_MESSAGE_MAX];
	char joined[2 * ERR_MESSAGE_MAX + 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (last_message[0] == '\0')
		snprintf(joined, sizeof(joined), "%s", prefix);
	else
		snprintf(joined, sizeof(joined), "%s: %s", prefix, last_message);
	memcpy(last_message, joined, sizeof(last_message) - 1);
	last_message[sizeof(last_message) - 1] = '\0';
	scrub_controls(last_message);
	return code;
}

const char *err_message(void)
{
	return last_message;
}

void err_clear(void)
{
	last_message[0] = '\0';
}

const char *err_code_name(int code)
{
	switch (code) {
	case CER_OK:
		return "success";
	case CER_ERR_NOMEM:
		return "out of memory";
	case CER_ERR_IO:
		return "input/output error";
	case CER_ERR_FORMAT:
		return "malformed input";
	case CER_ERR_VERIFY:
		return "verification failed";
	case CER_ERR_UNSUPPORTED:
		return "unsupported";
	case CER_ERR_USAGE:
		return "usage error";
	case CER_ERR_BUSY:
		return "busy";
	case CER_ERR_REFUSED:
		return "refused";
	case CER_ERR_NOT_FOUND:
		return "not found";
	default:
		return "internal error";
	}
}
