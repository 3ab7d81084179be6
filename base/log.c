/* log.c - messages from junction-run itself */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "base/host.h"
#include "base/log.h"

static int log_fd = 2;

void log_set_fd(int fd)
{
	log_fd = fd;
}

int log_get_fd(void)
{
	return log_fd;
}

void log_vmsg(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = ksnprintf(buf, sizeof(buf), "junction-run: ");

	char out[sizeof(buf) * 4];
	size_t o = 0;

	n += kvsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	/* one line, whatever names from guest files contain */
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)ksnprintf(out + o, 5, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '\n';
	host_write(log_fd, out, o);
}

void log_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(fmt, ap);
	va_end(ap);
}

_Noreturn void log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(fmt, ap);
	va_end(ap);
	/* a bug in junction: die loudly with the host's SIGABRT */
	host_tgkill((int)host_getpid(), (int)host_gettid(), 6);
	host_exit_group(134);
	__builtin_unreachable();
}
