/* vma.h - the set of a process's virtual memory areas (pure data) */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096ull
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define PAGE_ALIGNED(x) (((x) & (PAGE_SIZE - 1)) == 0)

/* vma.flags */
#define VMA_SHARED 0x001 /* MAP_SHARED */
#define VMA_ANON 0x002 /* no file behind it */
#define VMA_HEAP 0x004 /* the brk area: [heap] */
#define VMA_STACK 0x008 /* the main thread's stack: [stack] */
#define VMA_VDSO 0x010 /* [vdso] */
#define VMA_VVAR 0x020 /* [vvar] */
#define VMA_PINNED 0x040 /* owned by the instance: the guest may not unmap it */
#define VMA_NORESERVE 0x080
#define VMA_GROWSDOWN 0x100
#define VMA_LOCKED 0x200
#define VMA_STUB 0x400 /* pinned, but the process's own: freed with it */

/* what a file mapping maps, for /proc/<pid>/maps; refcounted, immutable */
struct vma_file {
	int refs;
	uint64_t dev, ino;
	char path[];
};

struct vma {
	uint64_t start, end; /* page aligned, start < end */
	uint32_t prot; /* PROT_* */
	uint32_t flags; /* VMA_* */
	uint64_t off; /* file offset of start */
	struct vma_file *file; /* NULL for anonymous memory */
	const char *name; /* PR_SET_VMA_ANON_NAME, or NULL; static storage */
};

/* an area found by a user-pointer check, kept for the next check */
struct vma_hint {
	uint64_t start, end;
	uint32_t prot;
};

#define VMA_HINTS 4

/*
 * Sorted by start, non-overlapping. The hints are read without the lock
 * of the set's owner (mm/usercopy.c): @seq is odd while they change, and
 * every change that shrinks or reprotects an area clears them.
 */
struct vma_set {
	struct vma *v;
	size_t n, cap;
	unsigned seq;
	unsigned hint_next;
	struct vma_hint hint[VMA_HINTS];
};

struct vma_file *vma_file_new(const char *path, uint64_t dev, uint64_t ino);
struct vma_file *vma_file_get(struct vma_file *f);
void vma_file_put(struct vma_file *f);

void vma_set_init(struct vma_set *s);
void vma_set_destroy(struct vma_set *s);

/* index of the first area with end > @addr (s->n if none) */
size_t vma_first_after(const struct vma_set *s, uint64_t addr);

/* the area containing @addr, or NULL */
struct vma *vma_lookup(struct vma_set *s, uint64_t addr);

/* does any area intersect [start, end)? */
bool vma_overlaps(const struct vma_set *s, uint64_t start, uint64_t end);

/* is every page of [start, end) inside some area? */
bool vma_covered(const struct vma_set *s, uint64_t start, uint64_t end);

/* does an area with any of @flags intersect [start, end)? */
bool vma_any_flag(const struct vma_set *s, uint64_t start, uint64_t end,
		  uint32_t flags);

/*
 * vma_insert - add @v, which must not overlap any area; merges it with
 * equal neighbours (same prot, flags, file and contiguous offsets).
 * Takes a reference on v->file. Returns 0 or -ENOMEM.
 */
int vma_insert(struct vma_set *s, const struct vma *v);

/* remove [start, end) from the set, splitting partly covered areas */
int vma_remove(struct vma_set *s, uint64_t start, uint64_t end);

/*
 * vma_protect - set the protection of [start, end), which must be covered.
 * Returns 0 or -ENOMEM (no room to split).
 */
int vma_protect(struct vma_set *s, uint64_t start, uint64_t end,
		uint32_t prot);

/* set or clear @flags on [start, end) (covered), splitting as needed */
int vma_set_flags(struct vma_set *s, uint64_t start, uint64_t end,
		  uint32_t set, uint32_t clear);

/*
 * vma_gap_topdown - highest page-aligned start such that
 * [start, start + len) lies in [lo, hi) and meets no area; 0 if none.
 * @align is a power of two >= PAGE_SIZE.
 */
uint64_t vma_gap_topdown(const struct vma_set *s, uint64_t len, uint64_t lo,
			 uint64_t hi, uint64_t align);

/* lowest such start; 0 if none */
uint64_t vma_gap_bottomup(const struct vma_set *s, uint64_t len, uint64_t lo,
			  uint64_t hi, uint64_t align);

/*
 * vma_hint_add - remember [start, end) with @prot for lock-free checks.
 * Locking: the owner's lock (the one writers of the set hold).
 */
void vma_hint_add(struct vma_set *s, uint64_t start, uint64_t end,
		  uint32_t prot);

/* forget every hint (any change that unmaps or reprotects) */
void vma_hints_clear(struct vma_set *s);

/* total bytes mapped */
uint64_t vma_total(const struct vma_set *s);
