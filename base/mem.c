/* mem.c - memcpy and friends for our own code, without vector registers */
#include <stddef.h>
#include <stdint.h>

/*
 * glibc's string functions use AVX-512. Our kernel's fast paths must not
 * touch the guest's vector state (DESIGN.md rule 2), and the compiler emits
 * calls to these four for struct copies. These hidden definitions bind all
 * such calls from our objects at link time; glibc and other libraries keep
 * their own. rep movsb/stosb are fast on this CPU family (ERMS, FSRM).
 */
#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep movsb"
			 : "+D"(d), "+S"(src), "+c"(n)
			 :
			 : "memory");
	return dst;
}

HIDDEN void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

HIDDEN void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	/*
	 * Overlapping with dst above src: copy backwards, a word at a time
	 * (a backwards rep movsb is not fast-string microcode: ~1 byte per
	 * cycle).
	 */
	while (n >= 8) {
		uint64_t w;

		n -= 8;
		__builtin_memcpy(&w, s + n, 8);
		__builtin_memcpy(d + n, &w, 8);
	}
	while (n--)
		d[n] = s[n];
	return dst;
}

HIDDEN int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] - y[i];
	}
	return 0;
}

/*
 * String functions, for the same reason: glibc's are AVX-512 (evex).
 * Plain loops; the compiler is told not to use vector registers here.
 */
HIDDEN size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

HIDDEN size_t strnlen(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i])
		i++;
	return i;
}

HIDDEN int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

HIDDEN int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}

HIDDEN char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

HIDDEN char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

HIDDEN void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == (unsigned char)c)
			return (void *)(p + i);
	}
	return NULL;
}

HIDDEN size_t strspn(const char *s, const char *accept)
{
	size_t i = 0;

	while (s[i] && strchr(accept, s[i]))
		i++;
	return i;
}

HIDDEN size_t strcspn(const char *s, const char *reject)
{
	size_t i = 0;

	while (s[i] && !strchr(reject, s[i]))
		i++;
	return i;
}

HIDDEN char *strcpy(char *d, const char *s)
{
	memcpy(d, s, strlen(s) + 1);
	return d;
}

HIDDEN char *strcat(char *d, const char *s)
{
	strcpy(d + strlen(d), s);
	return d;
}

HIDDEN char *strstr(const char *h, const char *n)
{
	size_t nl = strlen(n);

	for (; *h; h++) {
		if (!strncmp(h, n, nl))
			return (char *)h;
	}
	return nl ? NULL : (char *)h;
}
