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

static struct {
	struct spinlock lock;
	struct freeblk *free;
} classes[NCLASSES];

static size_t in_use;

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

/* carve a new slab into blocks of class @c; lock held */
static int refill(int c)
{
	size_t bs = (size_t)1 << (c + MIN_SHIFT);
	long p = host_mmap(NULL, SLAB, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p < 0)
		return (int)p;
	for (size_t off = 0; off + bs <= SLAB; off += bs) {
		struct freeblk *b = (struct freeblk *)(p + (long)off);

		b->next = classes[c].free;
		classes[c].free = b;
	}
	return 0;
}

void *kmalloc(size_t n)
{
	size_t total = n + HDR;
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
	spin_lock(&classes[c].lock);
	if (!classes[c].free && refill(c) < 0) {
		spin_unlock(&classes[c].lock);
		return NULL;
	}
	h = (struct hdr *)classes[c].free;
	classes[c].free = classes[c].free->next;
	spin_unlock(&classes[c].lock);
	h->magic = MAGIC;
	h->cls = (uint32_t)c;
	h->size = n;
	__atomic_add_fetch(&in_use, (size_t)1 << (c + MIN_SHIFT),
			   __ATOMIC_RELAXED);
	return (char *)h + HDR;
}

void kfree(void *p)
{
	struct hdr *h;
	struct freeblk *b;

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
	__atomic_sub_fetch(&in_use, (size_t)1 << (h->cls + MIN_SHIFT),
			   __ATOMIC_RELAXED);
	b = (struct freeblk *)h;
	spin_lock(&classes[h->cls].lock);
	b->next = classes[h->cls].free;
	classes[h->cls].free = b;
	spin_unlock(&classes[h->cls].lock);
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
