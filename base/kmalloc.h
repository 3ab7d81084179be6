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

/*
 * Bytes handed out by the global lists: exact when no kthread caches are
 * in use (unit tests), else it also counts blocks cached per kthread.
 */
size_t kmalloc_in_use(void);

/*
 * Per-kthread cache: small blocks are taken from and returned to the
 * current kthread's lists without a lock or an atomic (kernel code is not
 * preempted). It lives inside struct kthread at KMALLOC_CACHE_OFFSET from
 * the %gs base; before %gs is set up the global lists are used.
 */
#define KMALLOC_NCLASSES 8
#define KMALLOC_CACHE_MAX 64 /* blocks kept per class before returning */
#define KMALLOC_CACHE_OFFSET 64

struct kmalloc_cache {
	void *free[KMALLOC_NCLASSES];
	unsigned count[KMALLOC_NCLASSES];
};
