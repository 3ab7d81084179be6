/* usercopy.h - the only way kernel code touches guest memory (rule 3) */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/mm.h"

size_t __copy_user(void *dst, const void *src, size_t n);
long __cmpxchg_user32(uint32_t *uaddr, uint32_t old, uint32_t nv);
/* XRSTOR from a kernel buffer that may hold a bad header: 0 or -EFAULT */
long __xrstor_checked(void *area, uint64_t mask);
size_t __clear_user(void *dst, size_t n);
long __strncpy_user(char *dst, const char *src, size_t n);

/* highest guest address + 1 (47-bit user space) */
#define USER_ADDR_END 0x800000000000ull

/*
 * access_ok - Linux's up-front check: [p, p + n) does not wrap and lies
 * below the top of user space. Says nothing about what is mapped there.
 */
static inline bool access_ok(const void *p, size_t n)
{
	uint64_t a = (uint64_t)p;

	return a + n >= a && a + n <= USER_ADDR_END;
}

/* the old name of access_ok */
static inline bool user_range_ok(const void *p, size_t n)
{
	return access_ok(p, n);
}

/*
 * The address space guest pointers refer to: the current process's.
 * Installed by kernel/ before the first guest runs; NULL only in unit
 * tests, where guest memory is the test's own and only access_ok holds.
 */
extern struct mm *(*usercopy_current_mm)(void);

/* see user_extent; the part outside the process's region */
size_t __user_extent(struct mm *mm, uint64_t a, size_t n, bool write);

/*
 * user_extent - how many bytes from @p (at most @n) are guest memory of
 * the current process that the kernel may read (or write, @write): its
 * region, where the host itself faults on holes (they are reserved
 * PROT_NONE), and its areas outside the region (fixed-address images,
 * MAP_FIXED mappings, the vDSO); a write needs PROT_WRITE there, so the
 * instance's own pinned pages (the rewriter's slot table) stay out of
 * reach. Nothing else of the host process - junction's text, heap, kernel
 * stacks, other processes' regions - is ever in the extent. Lock-free in
 * the region and for recently checked areas.
 *
 * Every guest buffer handed to a host call is clamped to its extent
 * first (0: -EFAULT); a shorter extent gives a short transfer, as a fault
 * in the middle of a buffer does on Linux.
 */
static inline size_t user_extent(const void *p, size_t n, bool write)
{
	uint64_t a = (uint64_t)p;
	struct mm *mm;

	if (!access_ok(p, n))
		return 0;
	if (!n || !usercopy_current_mm)
		return n;
	mm = usercopy_current_mm();
	if (!mm)
		return 0;
	if (a >= mm->region_start && a + n <= mm->region_end)
		return n;
	return __user_extent(mm, a, n, write);
}

/* is all of [p, p + n) guest memory the kernel may read (write)? */
static inline bool user_ok(const void *p, size_t n, bool write)
{
	return user_extent(p, n, write) == n;
}

/* a PROT_NONE page of the instance: the host faults on it (usercopy_init) */
extern void *usercopy_poison;

/*
 * usercopy_init - install @current_mm as usercopy_current_mm and map the
 * poison page. Called once before the first guest runs; 0 or -errno.
 */
int usercopy_init(struct mm *(*current_mm)(void));

/*
 * user_host_buf - the guest buffer *@p of @n bytes, made safe to hand to a
 * host call: returns @n clamped to the extent, or, if not one byte is guest
 * memory, @n with *@p replaced by the poison page, so that the host fails
 * with EFAULT exactly where Linux would touch the buffer (not at EOF, not
 * on EAGAIN).
 */
static inline size_t user_host_buf(void **p, size_t n, bool write)
{
	size_t e;

	if (!n)
		return 0;
	e = user_extent(*p, n, write);
	if (e)
		return e;
	*p = usercopy_poison;
	return n;
}

/* @p if all of [p, p + n) is guest memory (or p is NULL), else the poison */
static inline void *user_host_ptr(const void *p, size_t n, bool write)
{
	if (!p || user_ok(p, n, write))
		return (void *)p;
	return usercopy_poison;
}

/* Returns 0 or -EFAULT; never a partial copy reported as success. */
static inline int copy_from_user(void *dst, const void *usrc, size_t n)
{
	if (!user_ok(usrc, n, false))
		return -EFAULT;
	return __copy_user(dst, usrc, n) ? -EFAULT : 0;
}

static inline int copy_to_user(void *udst, const void *src, size_t n)
{
	if (!user_ok(udst, n, true))
		return -EFAULT;
	return __copy_user(udst, src, n) ? -EFAULT : 0;
}

static inline int clear_user(void *udst, size_t n)
{
	if (!user_ok(udst, n, true))
		return -EFAULT;
	return __clear_user(udst, n) ? -EFAULT : 0;
}

/*
 * strncpy_from_user - copy a NUL-terminated guest string into @dst of size
 * @n. Returns its length, -ENAMETOOLONG if it does not fit, or -EFAULT.
 */
static inline long strncpy_from_user(char *dst, const char *usrc, size_t n)
{
	size_t lim;
	long len;

	if ((uint64_t)usrc >= USER_ADDR_END)
		return -EFAULT;
	if (!n)
		return -ENAMETOOLONG;
	/* the string may not run out of guest memory into the instance's */
	lim = USER_ADDR_END - (uint64_t)usrc;
	lim = user_extent(usrc, n < lim ? n : lim, false);
	if (!lim)
		return -EFAULT;
	len = __strncpy_user(dst, usrc, lim);
	if (len < 0)
		return len;
	if ((size_t)len == lim)
		return lim < n ? -EFAULT : -ENAMETOOLONG;
	return len;
}

/*
 * cmpxchg_user32 - atomically replace *@uaddr (a guest address, 4-byte
 * aligned) by @nv if it holds @old. Returns the value found, or -EFAULT.
 */
static inline long cmpxchg_user32(uint32_t *uaddr, uint32_t old, uint32_t nv)
{
	if (!user_ok(uaddr, 4, true))
		return -EFAULT;
	return __cmpxchg_user32(uaddr, old, nv);
}

/*
 * usercopy_fixup - called by the host SIGSEGV/SIGBUS handler for a fault
 * in kernel mode. If the faulting instruction is one of the copies above,
 * moves the context to its fixup and returns true.
 */
struct ucontext_t;
bool usercopy_fixup(void *uc);
