/* fmt.h - snprintf for kernel code, without vector registers */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/*
 * C99 snprintf semantics (returns the length the full output needs) for
 * the conversions kernel code uses: d i u x X o s c p %, flags - 0 #,
 * width and precision (also *), length modifiers hh h l ll z j t.
 * No floating point.
 */
int ksnprintf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
