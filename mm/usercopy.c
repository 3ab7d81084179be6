/* usercopy.c - which guest pointers are good, and the copies' fixups */
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ucontext.h>

#include "base/host.h"
#include "mm/usercopy.h"

extern char __copy_user_fault[], __copy_user_fixup[];
extern char __clear_user_fault[], __clear_user_fixup[];
extern char __strncpy_user_fault[], __strncpy_user_fixup[];
extern char __cmpxchg_user32_fault[], __cmpxchg_user32_fixup[];
extern char __xrstor_checked_fault[], __xrstor_checked_fixup[];

static const struct {
	const char *fault, *fixup;
} fixups[] = {
	{__copy_user_fault, __copy_user_fixup},
	{__clear_user_fault, __clear_user_fixup},
	{__strncpy_user_fault, __strncpy_user_fixup},
	{__cmpxchg_user32_fault, __cmpxchg_user32_fixup},
	{__xrstor_checked_fault, __xrstor_checked_fixup},
};

bool usercopy_fixup(void *ucv)
{
	ucontext_t *uc = ucv;
	uint64_t ip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];

	for (unsigned i = 0; i < sizeof(fixups) / sizeof(*fixups); i++) {
		if (ip == (uint64_t)fixups[i].fault) {
			uc->uc_mcontext.gregs[REG_RIP] =
				(greg_t)fixups[i].fixup;
			return true;
		}
	}
	return false;
}

struct mm *(*usercopy_current_mm)(void);
void *usercopy_poison;

int usercopy_init(struct mm *(*current_mm)(void))
{
	long r;

	if (!usercopy_poison) {
		r = host_mmap(NULL, 4096, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			      0);
		if (r < 0)
			return (int)r;
		usercopy_poison = (void *)r;
	}
	usercopy_current_mm = current_mm;
	return 0;
}

/* a hint covering @a (with PROT_WRITE for @write); false if none or racing */
static bool hint_find(struct vma_set *vs, uint64_t a, bool write,
		      uint64_t *end)
{
	unsigned seq = __atomic_load_n(&vs->seq, __ATOMIC_ACQUIRE);

	if (seq & 1)
		return false;
	for (int i = 0; i < VMA_HINTS; i++) {
		uint64_t s = __atomic_load_n(&vs->hint[i].start,
					     __ATOMIC_RELAXED);
		uint64_t e = __atomic_load_n(&vs->hint[i].end,
					     __ATOMIC_RELAXED);
		uint32_t prot = __atomic_load_n(&vs->hint[i].prot,
						__ATOMIC_RELAXED);

		if (a < s || a >= e || (write && !(prot & PROT_WRITE)))
			continue;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&vs->seq, __ATOMIC_RELAXED) != seq)
			return false;
		*end = e;
		return true;
	}
	return false;
}

/*
 * The area containing @a, under the lock; remembered as a hint. Returns
 * its end, or 0 if @a is not in an area the kernel may read (write).
 */
static uint64_t area_end_locked(struct mm *mm, uint64_t a, bool write)
{
	uint64_t end = 0;
	struct vma *v;

	spin_lock(&mm->lock);
	v = vma_lookup(&mm->vs, a);
	if (v && (!write || (v->prot & PROT_WRITE))) {
		end = v->end;
		vma_hint_add(&mm->vs, v->start, v->end, v->prot);
	}
	spin_unlock(&mm->lock);
	return end;
}

/*
 * A concurrent munmap may remove an area between this check and the copy
 * (Linux has the same window and simply faults). Inside the region the
 * pages go back to the PROT_NONE reservation, so the copy faults too.
 * Outside it the host may reuse the range for a mapping of the instance
 * (kmalloc, a kernel stack) before the copy runs; that needs another
 * thread of the guest to unmap its own buffer during the syscall and the
 * host to hand out exactly those addresses within that window - accepted
 * and documented in the README, rather than holding mm->lock over host
 * calls that may block.
 */
size_t __user_extent(struct mm *mm, uint64_t a, size_t n, bool write)
{
	uint64_t at = a, end = a + n;

	while (at < end) {
		uint64_t e;

		if (at >= mm->region_start && at < mm->region_end)
			e = mm->region_end;
		else if (!hint_find(&mm->vs, at, write, &e))
			e = area_end_locked(mm, at, write);
		if (!e)
			break;
		at = e;
	}
	return (at < end ? at : end) - a;
}
