/* log.h - messages from junction-run itself, and fatal checks */
#pragma once

#include <stdarg.h>

/*
 * Messages go to the instance's own stderr (the host fd 2 it started with,
 * kept open whatever the guest does with its fd 2), one line each, prefixed
 * "junction-run: ". They use glibc's formatting: callers must be on a slow
 * path that has saved the guest's vector state.
 */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_vmsg(const char *fmt, va_list ap);

/* Print the message and abort the whole instance (a bug in junction). */
_Noreturn void log_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Set the host fd log messages go to (default 2). */
void log_set_fd(int fd);
int log_get_fd(void);

#define BUG_ON(cond)                                                     \
	do {                                                             \
		if (__builtin_expect(!!(cond), 0))                       \
			log_panic("BUG at %s:%d: %s", __FILE__, __LINE__, \
				  #cond);                                \
	} while (0)

#define BUG() log_panic("BUG at %s:%d", __FILE__, __LINE__)
