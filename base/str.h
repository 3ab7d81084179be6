/* str.h - small string helpers */
#pragma once

#include <stddef.h>
#include <string.h>

/* copy @src into @dst of size @n, truncating; always NUL-terminated */
static inline size_t str_copy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	if (n == 0)
		return len;
	if (len >= n) {
		memcpy(dst, src, n - 1);
		dst[n - 1] = '\0';
	} else {
		memcpy(dst, src, len + 1);
	}
	return len;
}
