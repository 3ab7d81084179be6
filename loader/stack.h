/* stack.h - the initial stack of a new program, laid out as Linux does */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* the auxv values that do not point into the stack itself */
struct auxv_in {
	uint64_t sysinfo_ehdr, minsigstksz, hwcap, hwcap2;
	uint64_t phdr, phent, phnum, base, entry;
	uint64_t uid, euid, gid, egid, secure;
	uint64_t rseq_feature_size, rseq_align;
};

struct stack_out {
	uint64_t sp; /* points at argc */
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv[64]; /* as written, AT_NULL included */
	size_t auxv_words;
};

#define STACK_MAX_STRLEN (32 * 4096) /* Linux's MAX_ARG_STRLEN */

/*
 * stack_build - lay out argc, argv, envp, auxv and their strings for a
 * stack whose highest address is @top (16-byte aligned). The bytes of
 * [out->sp, top) are written to the end of @img (@imgsize bytes), so
 * img[imgsize - (top - a)] is the byte at address a. @pad is subtracted
 * below the strings (Linux's arch_align_stack randomness).
 * Returns 0, or -E2BIG if it does not fit in @imgsize or a string is too
 * long.
 */
int stack_build(uint64_t top, uint64_t pad, char *const argv[],
		char *const envp[], const char *execfn,
		const uint8_t random16[16], const struct auxv_in *av,
		uint8_t *img, size_t imgsize, struct stack_out *out);
