/* usercopy.h - the only way kernel code touches guest memory (rule 3) */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

size_t __copy_user(void *dst, const void *src, size_t n);
long __cmpxchg_user32(uint32_t *uaddr, uint32_t old, uint32_t nv);
/* XRSTOR from a kernel buffer that may hold a bad header: 0 or -EFAULT */
long __xrstor_checked(void *area, uint64_t mask);
size_t __clear_user(void *dst, size_t n);
long __strncpy_user(char *dst, const char *src, size_t n);

/* highest guest address + 1 (47-bit user space) */
#define USER_ADDR_END 0x800000000000ull

static inline bool user_range_ok(const void *p, size_t n)
{
	uint64_t a = (uint64_t)p;

	return a + n >= a && a + n <= USER_ADDR_END;
}

/* Returns 0 or -EFAULT; never a partial copy reported as success. */
static inline int copy_from_user(void *dst, const void *usrc, size_t n)
{
	if (!user_range_ok(usrc, n))
		return -EFAULT;
	return __copy_user(dst, usrc, n) ? -EFAULT : 0;
}

static inline int copy_to_user(void *udst, const void *src, size_t n)
{
	if (!user_range_ok(udst, n))
		return -EFAULT;
	return __copy_user(udst, src, n) ? -EFAULT : 0;
}

static inline int clear_user(void *udst, size_t n)
{
	if (!user_range_ok(udst, n))
		return -EFAULT;
	return __clear_user(udst, n) ? -EFAULT : 0;
}

/*
 * strncpy_from_user - copy a NUL-terminated guest string into @dst of size
 * @n. Returns its length, -ENAMETOOLONG if it does not fit, or -EFAULT.
 */
static inline long strncpy_from_user(char *dst, const char *usrc, size_t n)
{
	long len;

	if ((uint64_t)usrc >= USER_ADDR_END)
		return -EFAULT;
	len = __strncpy_user(dst, usrc, n);
	if (len < 0)
		return len;
	if ((size_t)len == n)
		return -ENAMETOOLONG;
	return len;
}

/*
 * cmpxchg_user32 - atomically replace *@uaddr (a guest address, 4-byte
 * aligned) by @nv if it holds @old. Returns the value found, or -EFAULT.
 */
static inline long cmpxchg_user32(uint32_t *uaddr, uint32_t old, uint32_t nv)
{
	if (!user_range_ok(uaddr, 4))
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
