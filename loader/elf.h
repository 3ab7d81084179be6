/* elf.h - validating ELF64 x86-64 executables before anything is mapped */
#pragma once

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_PHNUM 1024 /* 64 KiB of program headers, Linux's limit */
#define ELF_MAX_SPAN (64ull << 30) /* no sane image spans more than 64 GiB */
#define ELF_MAX_INTERP 4096

struct elf_info {
	uint16_t type; /* ET_EXEC or ET_DYN */
	uint64_t entry; /* unrelocated */
	uint16_t phnum;
	uint64_t phoff;
	uint64_t lo, hi; /* page-aligned bounds of the PT_LOAD segments */
	uint64_t max_align; /* largest PT_LOAD alignment (>= page) */
	uint64_t
		phdr_vaddr; /* phdrs in memory, from the PT_LOAD with e_phoff */
	bool has_interp;
	char interp[ELF_MAX_INTERP];
	bool exec_stack; /* PT_GNU_STACK with PF_X, or no PT_GNU_STACK */
	Elf64_Phdr phdrs[ELF_MAX_PHNUM]; /* last: not cleared up front */
};

/*
 * elf_validate - check every field the loader relies on, with libelf.
 * @buf/@size hold the whole file. Fills @out and returns 0, or returns
 * -ENOEXEC with a one-line reason in @why.
 */
int elf_validate(const void *buf, size_t size, struct elf_info *out, char *why,
		 size_t whylen);

/* does @buf start like an ELF file (magic only)? */
bool elf_has_magic(const void *buf, size_t size);
