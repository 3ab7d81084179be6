/* path.c - lexical path handling */
#include <errno.h>
#include <string.h>

#include "kernel/vfs.h"

int path_normalize(const char *base, const char *path, char *out, size_t n)
{
	size_t len = 0;
	const char *p;
	int pass;

	if (n < 2)
		return -ENAMETOOLONG;
	out[0] = '/';
	len = 1;
	/* pass 0: the base (if @path is relative), pass 1: @path */
	for (pass = path[0] == '/' ? 1 : 0; pass < 2; pass++) {
		p = pass == 0 ? base : path;
		while (*p) {
			const char *q;
			size_t clen;

			while (*p == '/')
				p++;
			if (!*p)
				break;
			q = strchr(p, '/');
			clen = q ? (size_t)(q - p) : strlen(p);
			if (clen == 1 && p[0] == '.') {
				/* nothing */
			} else if (clen == 2 && p[0] == '.' && p[1] == '.') {
				/* back to the previous slash; "/.." is "/" */
				while (len > 1 && out[len - 1] != '/')
					len--;
				if (len > 1)
					len--;
			} else {
				if (len > 1)
					out[len++] = '/';
				if (len + clen + 1 > n)
					return -ENAMETOOLONG;
				memcpy(out + len, p, clen);
				len += clen;
			}
			p += clen;
			if (len + 2 > n)
				return -ENAMETOOLONG;
		}
	}
	out[len] = '\0';
	return (int)len;
}

bool path_under(const char *abs, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(abs, prefix, n) == 0 && (abs[n] == '\0' || abs[n] == '/');
}
