/* kmalloc.h - the kernel's allocator: no vector registers, no glibc */
#pragma once

#include <stddef.h>

/*
 * Every allocation of kernel code on a syscall path uses these, so that
 * the path never runs glibc's malloc (which may touch vector registers,
 * DESIGN.md rule 2). Memory from kmalloc must be freed with kfree.
 * Alignment is 16 bytes.
 */
void *kmalloc(size_t n);
void *kzalloc(size_t n);
void *kcalloc(size_t n, size_t size);
void *krealloc(void *p, size_t n);
char *kstrdup(const char *s);
void kfree(void *p);

/* bytes of kernel memory currently handed out (for tests and stats) */
size_t kmalloc_in_use(void);
