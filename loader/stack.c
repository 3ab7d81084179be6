/* stack.c - build the initial process stack (see fs/binfmt_elf.c) */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "loader/stack.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif
#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#define AT_RSEQ_ALIGN 28
#endif

struct cursor {
	uint64_t top, at; /* at: lowest address written so far */
	uint8_t *img;
	size_t imgsize;
};

static uint8_t *addr_ptr(struct cursor *c, uint64_t a)
{
	return c->img + c->imgsize - (c->top - a);
}

/* push @n bytes below the cursor; returns their address or 0 */
static uint64_t push(struct cursor *c, const void *p, size_t n)
{
	if (c->top - c->at + n > c->imgsize)
		return 0;
	c->at -= n;
	memcpy(addr_ptr(c, c->at), p, n);
	return c->at;
}

int stack_build(uint64_t top, uint64_t pad, char *const argv[],
		char *const envp[], const char *execfn,
		const uint8_t random16[16], const struct auxv_in *av,
		uint8_t *img, size_t imgsize, struct stack_out *out)
{
	struct cursor c = {top, top, img, imgsize};
	uint64_t zero = 0, execfn_at, platform_at, random_at, a;
	size_t argc = 0, envc = 0, items, i;
	uint64_t *words;
	static const char platform[] = "x86_64";

	while (argv[argc])
		argc++;
	while (envp[envc])
		envc++;

	/* the top word is zero, then the file name (AT_EXECFN) */
	if (!push(&c, &zero, sizeof(zero)))
		return -E2BIG;
	if (strlen(execfn) >= STACK_MAX_STRLEN)
		return -E2BIG;
	execfn_at = push(&c, execfn, strlen(execfn) + 1);
	if (!execfn_at)
		return -E2BIG;
	/* strings: the environment above the arguments, argv[0] lowest */
	out->env_end = c.at;
	for (i = envc; i-- > 0;) {
		size_t n = strlen(envp[i]) + 1;

		if (n > STACK_MAX_STRLEN || !push(&c, envp[i], n))
			return -E2BIG;
	}
	out->env_start = c.at;
	out->arg_end = c.at;
	for (i = argc; i-- > 0;) {
		size_t n = strlen(argv[i]) + 1;

		if (n > STACK_MAX_STRLEN || !push(&c, argv[i], n))
			return -E2BIG;
	}
	out->arg_start = c.at;

	/* arch_align_stack, then the platform string and AT_RANDOM bytes */
	if (c.top - (c.at - pad) > imgsize)
		return -E2BIG;
	c.at = (c.at - pad) & ~15ull;
	platform_at = push(&c, platform, sizeof(platform));
	random_at = push(&c, random16, 16);
	if (!platform_at || !random_at)
		return -E2BIG;

	/* auxv in the order Linux 6.x writes it */
	words = out->auxv;
	i = 0;
#define AUX(t, v)                 \
	do {                      \
		words[i++] = (t); \
		words[i++] = (v); \
	} while (0)
	AUX(AT_SYSINFO_EHDR, av->sysinfo_ehdr);
	AUX(AT_MINSIGSTKSZ, av->minsigstksz);
	AUX(AT_HWCAP, av->hwcap);
	AUX(AT_PAGESZ, 4096);
	AUX(AT_CLKTCK, 100);
	AUX(AT_PHDR, av->phdr);
	AUX(AT_PHENT, av->phent);
	AUX(AT_PHNUM, av->phnum);
	AUX(AT_BASE, av->base);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, av->entry);
	AUX(AT_UID, av->uid);
	AUX(AT_EUID, av->euid);
	AUX(AT_GID, av->gid);
	AUX(AT_EGID, av->egid);
	AUX(AT_SECURE, av->secure);
	AUX(AT_RANDOM, random_at);
	AUX(AT_HWCAP2, av->hwcap2);
	AUX(AT_EXECFN, execfn_at);
	AUX(AT_PLATFORM, platform_at);
	AUX(AT_RSEQ_FEATURE_SIZE, av->rseq_feature_size);
	AUX(AT_RSEQ_ALIGN, av->rseq_align);
	AUX(AT_NULL, 0);
#undef AUX
	out->auxv_words = i;

	/* argc, argv[], NULL, envp[], NULL, auxv: sp 16-byte aligned */
	items = 1 + argc + 1 + envc + 1 + out->auxv_words;
	a = (c.at - items * 8) & ~15ull;
	if (c.top - a > imgsize)
		return -E2BIG;
	c.at = a;
	{
		/* byte copies: @img need not be 8-byte aligned */
		uint8_t *w = addr_ptr(&c, a);
		uint64_t s = out->arg_start, word = argc;

#define PUT(v)                       \
	do {                         \
		word = (v);          \
		memcpy(w, &word, 8); \
		w += 8;              \
	} while (0)
		PUT(argc);
		for (i = 0; i < argc; i++) {
			PUT(s);
			s += strlen(argv[i]) + 1;
		}
		PUT(0);
		s = out->env_start;
		for (i = 0; i < envc; i++) {
			PUT(s);
			s += strlen(envp[i]) + 1;
		}
		PUT(0);
#undef PUT
		memcpy(w, out->auxv, out->auxv_words * 8);
	}
	out->sp = a;
	return 0;
}
