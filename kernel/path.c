/* path.c - lexical path handling */
#include <errno.h>
#include <string.h>

#include "kernel/vfs.h"

/*
 * Components are taken right to left, so that a component cancelled by a
 * later ".." is never written: only the result has to fit in @n bytes
 * (e.g. "/a/b/.." fits in 3). Survivors are written right-aligned in
 * @out, then moved to the front.
 */
int path_normalize(const char *base, const char *path, char *out, size_t n)
{
	const char *strs[2] = {path, base};
	int nstr = path[0] == '/' ? 1 : 2;
	size_t at = n, skip = 0;

	if (n < 2)
		return -ENAMETOOLONG;
	for (int k = 0; k < nstr; k++) {
		const char *s = strs[k];
		const char *e = s + strlen(s);

		while (e > s) {
			const char *b;
			size_t clen;

			while (e > s && e[-1] == '/')
				e--;
			b = e;
			while (b > s && b[-1] != '/')
				b--;
			clen = (size_t)(e - b);
			if (clen == 0)
				break;
			if (clen == 1 && b[0] == '.') {
				/* nothing */
			} else if (clen == 2 && b[0] == '.' && b[1] == '.') {
				skip++;
			} else if (skip) {
				skip--;
			} else {
				/* "/" + name, below what is already there */
				if (clen + 1 + 1 >
				    at) /* and room for the NUL */
					return -ENAMETOOLONG;
				at -= clen;
				memcpy(out + at, b, clen);
				out[--at] = '/';
			}
			e = b;
		}
	}
	if (at == n) {
		out[0] = '/';
		out[1] = '\0';
		return 1;
	}
	memmove(out, out + at, n - at);
	out[n - at] = '\0';
	return (int)(n - at);
}

bool path_under(const char *abs, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return abs[0] == '/'; /* everything is under the root */
	return strncmp(abs, prefix, n) == 0 &&
	       (abs[n] == '\0' || abs[n] == '/');
}
