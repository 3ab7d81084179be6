/* fuzz_elf.c - libFuzzer target: elf_validate on arbitrary bytes */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * LLVMFuzzerTestOneInput - validate @data as a whole file. A rejected
 * input must come with a one-line reason; an accepted one must satisfy
 * what the loader relies on. Either way nothing may read out of bounds,
 * which the sanitizers check. Returns 0 (libFuzzer's convention).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct elf_info *info; /* ~60 KiB: allocated once */
	char why[256];
	int r;

	if (!info) {
		info = malloc(sizeof(*info));
		if (!info)
			abort();
	}
	/* poison the reason so an unset one is noticed */
	memset(why, 'X', sizeof(why));
	r = elf_validate(data, size, info, why, sizeof(why));
	if (r < 0) {
		size_t n = strnlen(why, sizeof(why));

		if (r != -ENOEXEC || n == sizeof(why) || n == 0 ||
		    memchr(why, '\n', n))
			abort();
		return 0;
	}
	if (r != 0)
		abort();
	/* the contract the loader maps by */
	if ((info->type != ET_EXEC && info->type != ET_DYN) ||
	    info->phnum == 0 || info->phnum > ELF_MAX_PHNUM ||
	    info->lo > info->hi || info->hi - info->lo > ELF_MAX_SPAN ||
	    info->lo % 4096 || info->hi % 4096 || info->max_align < 4096 ||
	    (info->max_align & (info->max_align - 1)) ||
	    info->entry < info->lo || info->entry >= info->hi)
		abort();
	if (info->has_interp &&
	    strnlen(info->interp, ELF_MAX_INTERP) == ELF_MAX_INTERP)
		abort();
	return 0;
}
