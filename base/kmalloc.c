/* kmalloc.c - size-class allocator on host pages, vector-register free */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "base/host.h"
#include "base/kmalloc.h"
#include "base/log.h"
#include "base/spinlock.h"

/*
 * Each block has a 16-byte header (its class, or its size when large).
 * Classes are powers of two from 32 to 4096 bytes, headers included,
 * carved from 64 KiB slabs and kept on one free list per class. Larger
 * blocks are their own host mapping. Nothing is returned to the host
 * but large blocks; the free lists are never shrunk.
 */
#define MIN_SHIFT 5
#define MAX_SHIFT 12
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)
_Static_assert(NCLASSES == KMALLOC_NCLASSES, "kmalloc classes");
#define SLAB (64 * 1024)
#define HDR 16
#define MAGIC 0x6b6d6c63u /* "kmlc" */
#define LARGE 0xffu

struct hdr {
	uint32_t magic;
	uint32_t cls;
	uint64_t size; /* large blocks: the mapping's length */
};

struct freeblk {
	struct freeblk *next;
};

/*
 * A new slab is not carved up front: blocks come from its untouched end
 * (bump) before a new slab is taken, so only pages actually handed out
 * are ever faulted in (a page fault costs ~1.5 us on a VM).
 */
static struct {
	struct spinlock lock;
	struct freeblk *free;
	char *bump, *bump_end;
} classes[NCLASSES];

static size_t in_use;

static struct kmalloc_cache *this_cache(void)
{
	uint64_t gs;

	__asm__ volatile("rdgsbase %0" : "=r"(gs));
	return gs ? (struct kmalloc_cache *)(gs + KMALLOC_CACHE_OFFSET) : NULL;
}

size_t kmalloc_in_use(void)
{
	return __atomic_load_n(&in_use, __ATOMIC_RELAXED);
}

static int class_of(size_t total)
{
	int c = 0;

	while (((size_t)1 << (c + MIN_SHIFT)) < total)
		c++;
	return c;
}

/* a block of class @c from the free list or the bump area; lock held */
static void *take(int c)
{
	size_t bs = (size_t)1 << (c + MIN_SHIFT);
	void *b;
	long p;

	if (classes[c].free) {
		b = classes[c].free;
		classes[c].free = classes[c].free->next;
		return b;
	}
	if (classes[c].bump + bs > classes[c].bump_end) {
		p = host_mmap(NULL, SLAB, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p < 0)
			return NULL;
		classes[c].bump = (char *)p;
		classes[c].bump_end = (char *)p + SLAB;
	}
	b = classes[c].bump;
	classes[c].bump += bs;
	return b;
}

void *kmalloc(size_t n)
{
	size_t total = n + HDR;
	struct kmalloc_cache *kc;
	struct hdr *h;
	int c;

	if (total < n)
		return NULL;
	if (total > ((size_t)1 << MAX_SHIFT)) {
		size_t len = (total + 4095) & ~(size_t)4095;
		long p = host_mmap(NULL, len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p < 0)
			return NULL;
		h = (struct hdr *)p;
		h->magic = MAGIC;
		h->cls = LARGE;
		h->size = len;
		__atomic_add_fetch(&in_use, len, __ATOMIC_RELAXED);
		return (char *)h + HDR;
	}
	c = class_of(total);
	kc = this_cache();
	if (kc && kc->free[c]) {
		h = kc->free[c];
		kc->free[c] = ((struct freeblk *)h)->next;
		kc->count[c]--;
	} else {
		spin_lock(&classes[c].lock);
		h = take(c);
		spin_unlock(&classes[c].lock);
		if (!h)
			return NULL;
		__atomic_add_fetch(&in_use, (size_t)1 << (c + MIN_SHIFT),
				   __ATOMIC_RELAXED);
	}
	h->magic = MAGIC;
	h->cls = (uint32_t)c;
	h->size = n;
	return (char *)h + HDR;
}

void kfree(void *p)
{
	struct kmalloc_cache *kc;
	struct hdr *h;
	struct freeblk *b;
	unsigned c;

	if (!p)
		return;
	h = (struct hdr *)((char *)p - HDR);
	BUG_ON(h->magic != MAGIC);
	h->magic = 0; /* catch double frees */
	if (h->cls == LARGE) {
		__atomic_sub_fetch(&in_use, h->size, __ATOMIC_RELAXED);
		host_munmap(h, h->size);
		return;
	}
	BUG_ON(h->cls >= NCLASSES);
	c = h->cls;
	b = (struct freeblk *)h;
	kc = this_cache();
	if (kc && kc->count[c] < KMALLOC_CACHE_MAX) {
		b->next = kc->free[c];
		kc->free[c] = b;
		kc->count[c]++;
		return;
	}
	__atomic_sub_fetch(&in_use, (size_t)1 << (c + MIN_SHIFT),
			   __ATOMIC_RELAXED);
	spin_lock(&classes[c].lock);
	b->next = classes[c].free;
	classes[c].free = b;
	spin_unlock(&classes[c].lock);
}

void *kzalloc(size_t n)
{
	void *p = kmalloc(n);

	if (p)
		memset(p, 0, n);
	return p;
}

void *kcalloc(size_t n, size_t size)
{
	size_t t;

	if (__builtin_mul_overflow(n, size, &t))
		return NULL;
	return kzalloc(t);
}

void *krealloc(void *p, size_t n)
{
	struct hdr *h;
	size_t old;
	void *q;

	if (!p)
		return kmalloc(n);
	h = (struct hdr *)((char *)p - HDR);
	BUG_ON(h->magic != MAGIC);
	old = h->cls == LARGE ? h->size - HDR
			      : ((size_t)1 << (h->cls + MIN_SHIFT)) - HDR;
	if (n <= old && h->cls != LARGE)
		return p;
	q = kmalloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, n < old ? n : old);
	kfree(p);
	return q;
}

char *kstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = kmalloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}
