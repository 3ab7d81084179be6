/* mem.c - memcpy and friends for our own code, without vector registers */
#include <stddef.h>

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
	/* overlapping with dst above src: copy backwards */
	d += n - 1;
	s += n - 1;
	__asm__ volatile("std\n\trep movsb\n\tcld"
			 : "+D"(d), "+S"(s), "+c"(n)
			 :
			 : "memory");
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
