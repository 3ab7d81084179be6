/* mm.h - a guest process's address space */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/spinlock.h"
#include "mm/vma.h"

/*
 * Each process owns a region of the shared address space, reserved on the
 * host with PROT_NONE so that nothing else of the instance lands there;
 * guest mappings replace parts of the reservation and munmap puts it back.
 * Exit unmaps the whole region, so it frees exactly the process's memory.
 * Fixed-address mappings outside the region (non-PIE images, MAP_FIXED,
 * hints) are claimed with MAP_FIXED_NOREPLACE and never clobber memory of
 * the instance or of another process.
 */
#define MM_REGION_BASE 0x100000000000ull /* 16 TiB */
#define MM_REGION_SIZE 0x10000000000ull /* 1 TiB per process */
#define MM_MAX_REGIONS 64

/* stub pages of the syscall rewriter near this mm's code */
struct near_area {
	uint64_t base, used;
	struct near_area *next;
};

struct mm {
	struct spinlock lock; /* protects everything below */
	struct vma_set vs;
	uint64_t region_start, region_end;
	int slot;
	uint64_t mmap_base; /* top-down allocations start below this */
	uint64_t start_brk, brk; /* brk area: [start_brk, PAGE_ALIGN(brk)) */
	uint64_t brk_limit; /* brk may not grow past this */
	uint64_t stack_start, stack_end; /* main thread stack */
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv[64]; /* copy for /proc/<pid>/auxv, AT_NULL included */
	size_t auxv_words;
	struct near_area *near_stubs; /* owned by syscalls/rewrite.c */
};

/* instance-wide bytes of guest memory mapped */
uint64_t mm_instance_total(void);

/*
 * mm_create - a new, empty address space with its own region. The host's
 * vDSO pages and instance-owned pages are entered as pinned areas.
 * Returns 0 or -errno.
 */
int mm_create(struct mm *mm);

/* Unmap every guest mapping of @mm and free its region. */
void mm_destroy(struct mm *mm);

/* Record an instance-owned mapping in every new mm (e.g. syscall stubs). */
int mm_add_pinned(uint64_t start, uint64_t end, uint32_t prot,
		  const char *name);

/*
 * mm_add_pinned_release - the same, for an area the instance can do
 * without: @release unmaps it (and makes sure it is not mapped again)
 * when a guest image needs its addresses (see mm_release_pinned).
 */
int mm_add_pinned_release(uint64_t start, uint64_t end, uint32_t prot,
			  const char *name, void (*release)(void));

/*
 * mm_release_pinned - a fixed-address guest image is about to be mapped at
 * [@start, @end) in @mm: give up the releasable pinned areas there (they
 * leave @mm's VMA set and every later mm). Returns 0, or -ENOMEM if an
 * area that cannot be given up (the vDSO) is in the way.
 */
int mm_release_pinned(struct mm *mm, uint64_t start, uint64_t end);

/* enter pinned areas added since @mm was created */
void mm_pin_into(struct mm *mm);

/*
 * mm_mmap - mmap(2) semantics. @hostfd is the host file to map (ignored
 * for MAP_ANONYMOUS), @vf describes it for /proc/<pid>/maps.
 * Returns the address or -errno.
 */
long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
	     int hostfd, uint64_t off, struct vma_file *vf);
long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot);
long mm_mremap(struct mm *mm, uint64_t old, uint64_t oldlen, uint64_t newlen,
	       int flags, uint64_t newaddr);
long mm_brk(struct mm *mm, uint64_t addr);
long mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice);
long mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags);
long mm_mincore(struct mm *mm, uint64_t addr, uint64_t len,
		unsigned char *uvec);
long mm_mlock(struct mm *mm, uint64_t addr, uint64_t len, bool lock);
long mm_set_anon_name(struct mm *mm, uint64_t addr, uint64_t len,
		      const char *name);
/* the same with mm->lock held, for areas known to be mapped */
void mm_set_anon_name_locked(struct mm *mm, uint64_t start, uint64_t end,
			     const char *name);

/* set up the brk area to start at @start (page aligned) */
void mm_set_brk_start(struct mm *mm, uint64_t start);

/*
 * mm_query - protection and flags of the area containing @addr.
 * Returns 0, or -EFAULT if it is not mapped.
 */
int mm_query(struct mm *mm, uint64_t addr, uint32_t *prot, uint32_t *flags,
	     bool *file_backed);

/*
 * mm_maps_text - /proc/<pid>/maps into @buf of @size bytes; returns the
 * length needed (may exceed @size: call again with a bigger buffer).
 */
size_t mm_maps_text(struct mm *mm, char *buf, size_t size);

/* a random page-aligned offset below @max, from the host's getrandom */
uint64_t mm_random_offset(uint64_t max);
