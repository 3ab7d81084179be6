/* mmap.c - mmap, munmap, mprotect, mremap, brk and friends */
#include <errno.h>
#include <linux/mman.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "base/fmt.h"
#include "base/host.h"
#include "base/log.h"
#include "mm/mm.h"
#include "mm/usercopy.h"

#define TASK_SIZE 0x7ffffffff000ull
#define MMAP_MIN_ADDR 0x10000ull /* Linux's default vm.mmap_min_addr */
#define LOW_2G_START 0x40000000ull /* where MAP_32BIT looks, like Linux */
#define LOW_2G_END 0x80000000ull

#define HOST_RESERVE_FLAGS \
	(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED)

static atomic_ullong instance_total;

uint64_t mm_instance_total(void)
{
	return atomic_load(&instance_total);
}

static void account(struct mm *mm, uint64_t before)
{
	uint64_t after = vma_total(&mm->vs);

	atomic_fetch_add(&instance_total, after - before);
}

static bool in_region(const struct mm *mm, uint64_t start, uint64_t end)
{
	return start >= mm->region_start && end <= mm->region_end;
}

static bool meets_region(const struct mm *mm, uint64_t start, uint64_t end)
{
	return start < mm->region_end && end > mm->region_start;
}

/*
 * Give [start, end) back: inside the region it becomes reservation again,
 * outside it is unmapped. Only call this on ranges the process owns.
 */
static void host_release(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t rs = start > mm->region_start ? start : mm->region_start;
	uint64_t re = end < mm->region_end ? end : mm->region_end;

	if (rs >= re) {
		host_munmap((void *)start, end - start);
		return;
	}
	host_mmap((void *)rs, re - rs, PROT_NONE, HOST_RESERVE_FLAGS, -1, 0);
	if (start < rs)
		host_munmap((void *)start, rs - start);
	if (end > re)
		host_munmap((void *)re, end - re);
}

/* release only the parts of [start, end) that are areas of @mm */
static void release_owned(struct mm *mm, uint64_t start, uint64_t end)
{
	size_t i = vma_first_after(&mm->vs, start);

	for (; i < mm->vs.n && mm->vs.v[i].start < end; i++) {
		uint64_t s =
			mm->vs.v[i].start > start ? mm->vs.v[i].start : start;
		uint64_t e = mm->vs.v[i].end < end ? mm->vs.v[i].end : end;

		host_release(mm, s, e);
	}
}

/*
 * claim - make every page of [start, end) the process's to map over with
 * MAP_FIXED: pages in its region or its areas already are; the rest are
 * taken with MAP_FIXED_NOREPLACE (a PROT_NONE placeholder). On failure
 * nothing is left claimed and -EEXIST is returned.
 */
static int claim(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t at = start;
	uint64_t done[32][2];
	int ndone = 0;

	while (at < end) {
		size_t i = vma_first_after(&mm->vs, at);
		uint64_t gap_end = i < mm->vs.n && mm->vs.v[i].start < end
					   ? mm->vs.v[i].start
					   : end;

		if (i < mm->vs.n && mm->vs.v[i].start <= at) {
			at = mm->vs.v[i].end;
			continue;
		}
		/* [at, gap_end) has no area; skip what lies in the region */
		uint64_t pieces[2][2] = {
			{at, gap_end < mm->region_start ? gap_end
							: mm->region_start},
			{at > mm->region_end ? at : mm->region_end, gap_end},
		};
		for (int p = 0; p < 2; p++) {
			uint64_t s = pieces[p][0], e = pieces[p][1];
			long r;

			if (s >= e)
				continue;
			r = host_mmap((void *)s, e - s, PROT_NONE,
				      MAP_PRIVATE | MAP_ANONYMOUS |
					      MAP_NORESERVE |
					      MAP_FIXED_NOREPLACE,
				      -1, 0);
			if (r < 0 || (uint64_t)r != s || ndone == 32) {
				if (r >= 0)
					host_munmap((void *)r, e - s);
				goto undo;
			}
			done[ndone][0] = s;
			done[ndone][1] = e;
			ndone++;
		}
		at = gap_end;
	}
	return 0;

undo:
	while (ndone-- > 0)
		host_munmap((void *)done[ndone][0],
			    done[ndone][1] - done[ndone][0]);
	return -EEXIST;
}

static uint32_t vma_flags_of(int flags)
{
	uint32_t vf = 0;

	if ((flags & MAP_TYPE) != MAP_PRIVATE)
		vf |= VMA_SHARED;
	if (flags & MAP_ANONYMOUS)
		vf |= VMA_ANON;
	if (flags & MAP_NORESERVE)
		vf |= VMA_NORESERVE;
	if (flags & MAP_GROWSDOWN)
		vf |= VMA_GROWSDOWN;
	if (flags & MAP_LOCKED)
		vf |= VMA_LOCKED;
	return vf;
}

#define KNOWN_MAP_FLAGS                                                    \
	(MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE |            \
	 MAP_EXECUTABLE | MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | \
	 MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK |         \
	 MAP_HUGETLB | (0x3fu << MAP_HUGE_SHIFT) | MAP_32BIT |             \
	 MAP_FIXED_NOREPLACE)

/* the flags we pass to the host, always with MAP_FIXED added */
static int host_flags_of(int flags)
{
	int hf = (flags & MAP_TYPE) == MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED;

	/*
	 * MAP_GROWSDOWN is accepted but the area does not grow: the host
	 * could not grow it into our reservation. Linux would extend it on a
	 * fault just below; no program we know relies on that.
	 */
	hf |= flags & (MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE |
		       MAP_LOCKED | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB |
		       (0x3f << MAP_HUGE_SHIFT));
	return hf | MAP_FIXED;
}

/* pick an address for a non-fixed mapping; 0 if there is none */
static uint64_t choose_addr(struct mm *mm, uint64_t hint, uint64_t len,
			    int flags)
{
	if (flags & MAP_32BIT) {
		/* outside the region: probe the low 2 GiB like Linux */
		uint64_t lo = LOW_2G_START;

		for (int tries = 0; tries < 64; tries++) {
			uint64_t a = vma_gap_bottomup(&mm->vs, len, lo,
						      LOW_2G_END, PAGE_SIZE);
			long r;

			if (!a)
				return 0;
			r = host_mmap((void *)a, len, PROT_NONE,
				      MAP_PRIVATE | MAP_ANONYMOUS |
					      MAP_NORESERVE |
					      MAP_FIXED_NOREPLACE,
				      -1, 0);
			if (r >= 0 && (uint64_t)r == a)
				return a;
			if (r >= 0)
				host_munmap((void *)r, len);
			lo = a + PAGE_SIZE * 16;
		}
		return 0;
	}
	if (hint) {
		hint &= ~(PAGE_SIZE - 1);
		if (hint >= MMAP_MIN_ADDR && hint + len > hint &&
		    hint + len <= TASK_SIZE &&
		    !vma_overlaps(&mm->vs, hint, hint + len)) {
			if (in_region(mm, hint, hint + len))
				return hint;
			if (!meets_region(mm, hint, hint + len) &&
			    claim(mm, hint, hint + len) == 0)
				return hint;
		}
	}
	return vma_gap_topdown(&mm->vs, len, mm->region_start, mm->mmap_base,
			       PAGE_SIZE);
}

long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
	     int hostfd, uint64_t off, struct vma_file *vf)
{
	int type = flags & MAP_TYPE;
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	uint64_t before;
	struct vma v;
	long r;

	if (type != MAP_PRIVATE && type != MAP_SHARED &&
	    type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && (flags & ~KNOWN_MAP_FLAGS))
		return -EOPNOTSUPP; /* MAP_SYNC included: no DAX here */
	if (len == 0)
		return -EINVAL;
	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (len == 0 || len > TASK_SIZE)
		return -ENOMEM;
	if (!(flags & MAP_ANONYMOUS) && off + len < off)
		return -EOVERFLOW;
	if (flags & MAP_ANONYMOUS) {
		hostfd = -1;
		off = 0;
		vf = NULL;
	}
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;

	if (fixed) {
		if (addr & (PAGE_SIZE - 1))
			return -EINVAL;
		if (addr + len > TASK_SIZE || addr + len < addr)
			return -ENOMEM;
		if (addr < MMAP_MIN_ADDR)
			return -EPERM;
	}

	spin_lock(&mm->lock);
	before = vma_total(&mm->vs);
	if (fixed) {
		bool noreplace = !(flags & MAP_FIXED);

		if (vma_any_flag(&mm->vs, addr, addr + len, VMA_PINNED)) {
			r = noreplace ? -EEXIST : -ENOMEM;
			goto out;
		}
		if (noreplace && vma_overlaps(&mm->vs, addr, addr + len)) {
			r = -EEXIST;
			goto out;
		}
		if (claim(mm, addr, addr + len) < 0) {
			/* the range holds memory of the instance itself */
			r = noreplace ? -EEXIST : -ENOMEM;
			goto out;
		}
	} else {
		addr = choose_addr(mm, addr, len, flags);
		if (!addr) {
			r = -ENOMEM;
			goto out;
		}
	}

	r = host_mmap((void *)addr, len, prot, host_flags_of(flags), hostfd,
		      (off_t)off);
	if (r < 0) {
		/* whatever was there is gone (MAP_FIXED semantics) or ours */
		if (fixed && vma_overlaps(&mm->vs, addr, addr + len)) {
			release_owned(mm, addr, addr + len);
			vma_remove(&mm->vs, addr, addr + len);
		}
		if (in_region(mm, addr, addr + len))
			host_release(mm, addr, addr + len);
		else
			host_munmap((void *)addr, len);
		goto out;
	}

	v = (struct vma){
		.start = addr,
		.end = addr + len,
		.prot = (uint32_t)prot,
		.flags = vma_flags_of(flags),
		.off = off,
		.file = vf,
	};
	vma_remove(&mm->vs, addr, addr + len);
	if (vma_insert(&mm->vs, &v) < 0) {
		host_release(mm, addr, addr + len);
		r = -ENOMEM;
		goto out;
	}
	r = (long)addr;
out:
	account(mm, before);
	spin_unlock(&mm->lock);
	return r;
}

long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t before;
	long r = 0;

	if ((addr & (PAGE_SIZE - 1)) || len == 0)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (len == 0 || addr + len > TASK_SIZE || addr + len < addr)
		return -EINVAL;

	spin_lock(&mm->lock);
	before = vma_total(&mm->vs);
	/* Linux would unmap the vDSO too; the instance still needs it */
	if (vma_any_flag(&mm->vs, addr, addr + len, VMA_PINNED)) {
		r = -EINVAL;
		goto out;
	}
	release_owned(mm, addr, addr + len);
	if (vma_remove(&mm->vs, addr, addr + len) < 0)
		r = -ENOMEM;
out:
	account(mm, before);
	spin_unlock(&mm->lock);
	return r;
}

long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
	long r;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM |
		     PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if ((prot & PROT_GROWSDOWN) && (prot & PROT_GROWSUP))
		return -EINVAL;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
	len = PAGE_ALIGN(len);
	if (addr + len < addr)
		return -ENOMEM;
	if (len == 0)
		return 0;

	spin_lock(&mm->lock);
	if (!vma_covered(&mm->vs, addr, addr + len)) {
		r = -ENOMEM;
		goto out;
	}
	if (vma_any_flag(&mm->vs, addr, addr + len, VMA_PINNED)) {
		r = -EACCES;
		goto out;
	}
	r = host_mprotect((void *)addr, len, prot);
	if (r == 0)
		r = vma_protect(&mm->vs, addr, addr + len, (uint32_t)prot);
out:
	spin_unlock(&mm->lock);
	return r;
}

long mm_mremap(struct mm *mm, uint64_t old, uint64_t oldlen, uint64_t newlen,
	       int flags, uint64_t newaddr)
{
	struct vma *v, moved;
	uint64_t before;
	long r;

	if (old & (PAGE_SIZE - 1))
		return -EINVAL;
	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) &&
	    !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	oldlen = PAGE_ALIGN(oldlen);
	newlen = PAGE_ALIGN(newlen);
	if (newlen == 0 || newlen > TASK_SIZE)
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) && oldlen != newlen)
		return -EINVAL;
	if (oldlen == 0) {
		/* duplicating a shared mapping: not supported */
		return -EINVAL;
	}
	if (flags & MREMAP_FIXED) {
		if (newaddr & (PAGE_SIZE - 1))
			return -EINVAL;
		if (newaddr + newlen > TASK_SIZE || newaddr < MMAP_MIN_ADDR)
			return -EINVAL;
		if (newaddr < old + oldlen && old < newaddr + newlen)
			return -EINVAL;
	}

	spin_lock(&mm->lock);
	before = vma_total(&mm->vs);
	v = vma_lookup(&mm->vs, old);
	if (!v || old + oldlen > v->end || old + oldlen < old) {
		r = -EFAULT;
		goto out;
	}
	if (v->flags & VMA_PINNED) {
		r = -EINVAL;
		goto out;
	}
	if ((flags & MREMAP_DONTUNMAP) &&
	    (v->flags & (VMA_SHARED | VMA_ANON)) != VMA_ANON) {
		r = -EINVAL;
		goto out;
	}
	moved = *v;
	moved.off += old - v->start;

	if (!(flags & MREMAP_FIXED)) {
		if (newlen <= oldlen) {
			/* shrink in place */
			if (newlen < oldlen) {
				host_release(mm, old + newlen, old + oldlen);
				vma_remove(&mm->vs, old + newlen, old + oldlen);
			}
			r = (long)old;
			goto out;
		}
		/* grow in place if the pages after it are free */
		if (!vma_overlaps(&mm->vs, old + oldlen, old + newlen) &&
		    old + newlen <= TASK_SIZE && old + newlen > old &&
		    !(flags & MREMAP_DONTUNMAP)) {
			uint64_t gs = old + oldlen, ge = old + newlen;
			bool ok = true;

			if (in_region(mm, gs, ge))
				host_munmap((void *)gs, ge - gs);
			else if (meets_region(mm, gs, ge))
				ok = false;
			if (ok) {
				r = host_mremap((void *)old, oldlen, newlen, 0,
						NULL);
				if (r >= 0) {
					moved.start = old + oldlen;
					moved.end = old + newlen;
					moved.off += oldlen;
					vma_insert(&mm->vs, &moved);
					r = (long)old;
					goto out;
				}
				if (in_region(mm, gs, ge))
					host_release(mm, gs, ge);
			}
		}
		if (!(flags & MREMAP_MAYMOVE)) {
			r = -ENOMEM;
			goto out;
		}
		newaddr = vma_gap_topdown(&mm->vs, newlen, mm->region_start,
					  mm->mmap_base, PAGE_SIZE);
		if (!newaddr) {
			r = -ENOMEM;
			goto out;
		}
	} else {
		if (vma_any_flag(&mm->vs, newaddr, newaddr + newlen,
				 VMA_PINNED) ||
		    claim(mm, newaddr, newaddr + newlen) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}

	r = host_mremap((void *)old, oldlen, newlen,
			MREMAP_MAYMOVE | MREMAP_FIXED |
				(flags & MREMAP_DONTUNMAP),
			(void *)newaddr);
	if (r < 0)
		goto out;
	/* the destination's old areas are gone; the source is a hole */
	vma_remove(&mm->vs, newaddr, newaddr + newlen);
	if (!(flags & MREMAP_DONTUNMAP)) {
		vma_remove(&mm->vs, old, old + oldlen);
		if (in_region(mm, old, old + oldlen))
			host_release(mm, old, old + oldlen);
	}
	moved.start = newaddr;
	moved.end = newaddr + newlen;
	moved.flags &= ~(VMA_STACK | VMA_HEAP);
	vma_insert(&mm->vs, &moved);
	r = (long)newaddr;
out:
	account(mm, before);
	spin_unlock(&mm->lock);
	return r;
}

void mm_set_brk_start(struct mm *mm, uint64_t start)
{
	mm->start_brk = mm->brk = start;
	mm->brk_limit = TASK_SIZE;
}

long mm_brk(struct mm *mm, uint64_t addr)
{
	uint64_t old_end, new_end, before;
	long r;

	spin_lock(&mm->lock);
	before = vma_total(&mm->vs);
	if (addr < mm->start_brk || addr > mm->brk_limit)
		goto out;
	old_end = PAGE_ALIGN(mm->brk);
	new_end = PAGE_ALIGN(addr);
	if (new_end > old_end) {
		struct vma v = {
			.start = old_end,
			.end = new_end,
			.prot = PROT_READ | PROT_WRITE,
			.flags = VMA_ANON | VMA_HEAP,
		};

		/* like Linux: fail when it would run into another mapping */
		if (vma_overlaps(&mm->vs, old_end, new_end) ||
		    claim(mm, old_end, new_end) < 0)
			goto out;
		r = host_mmap((void *)old_end, new_end - old_end,
			      PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (r < 0) {
			host_release(mm, old_end, new_end);
			goto out;
		}
		if (vma_insert(&mm->vs, &v) < 0) {
			host_release(mm, old_end, new_end);
			goto out;
		}
	} else if (new_end < old_end) {
		host_release(mm, new_end, old_end);
		vma_remove(&mm->vs, new_end, old_end);
	}
	mm->brk = addr;
out:
	account(mm, before);
	r = (long)mm->brk;
	spin_unlock(&mm->lock);
	return r;
}

static bool madvise_known(int advice)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
	case 25: /* MADV_DONTNEED_LOCKED */
	case 26: /* MADV_COLLAPSE */
		return true;
	}
	return false;
}

long mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
	long r = 0;
	bool holes;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (advice == MADV_HWPOISON || advice == MADV_SOFT_OFFLINE)
		return -EPERM; /* would poison host memory */
	if (!madvise_known(advice))
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (addr + len < addr)
		return -EINVAL;
	if (len == 0)
		return 0;

	spin_lock(&mm->lock);
	if (vma_any_flag(&mm->vs, addr, addr + len, VMA_PINNED)) {
		r = -EINVAL;
		goto out;
	}
	holes = !vma_covered(&mm->vs, addr, addr + len);
	/* one host call per run of adjacent VMAs (a stack and its guard) */
	for (size_t i = vma_first_after(&mm->vs, addr);
	     i < mm->vs.n && mm->vs.v[i].start < addr + len;) {
		uint64_t s =
			mm->vs.v[i].start > addr ? mm->vs.v[i].start : addr;
		uint64_t e = mm->vs.v[i].end;
		long hr;

		while (++i < mm->vs.n && mm->vs.v[i].start == e &&
		       e < addr + len)
			e = mm->vs.v[i].end;
		if (e > addr + len)
			e = addr + len;
		hr = host_madvise((void *)s, e - s, advice);
		if (hr < 0 && r == 0)
			r = hr;
	}
	if (r == 0 && holes)
		r = -ENOMEM;
out:
	spin_unlock(&mm->lock);
	return r;
}

long mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags)
{
	long r;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (addr + len < addr)
		return -ENOMEM;
	if (len == 0)
		return 0;
	spin_lock(&mm->lock);
	if (!vma_covered(&mm->vs, addr, addr + len))
		r = -ENOMEM;
	else
		r = host_syscall3(SYS_msync, addr, len, flags);
	spin_unlock(&mm->lock);
	return r;
}

long mm_mincore(struct mm *mm, uint64_t addr, uint64_t len, unsigned char *uvec)
{
	long r;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (addr + len < addr || addr + len > TASK_SIZE)
		return -ENOMEM;
	if (len == 0)
		return 0;
	/* Linux: access_ok of the vector first, then ENOMEM, then EFAULT */
	if (!access_ok(uvec, len / PAGE_SIZE))
		return -EFAULT;
	spin_lock(&mm->lock);
	r = vma_covered(&mm->vs, addr, addr + len) ? 0 : -ENOMEM;
	spin_unlock(&mm->lock);
	if (r < 0)
		return r;
	/* the host writes the vector: never junction's own memory */
	return host_syscall3(SYS_mincore, addr, len,
			     user_host_ptr(uvec, len / PAGE_SIZE, true));
}

long mm_mlock(struct mm *mm, uint64_t addr, uint64_t len, bool lock)
{
	uint64_t start = addr & ~(PAGE_SIZE - 1);
	uint64_t end = PAGE_ALIGN(addr + len);
	long r;

	if (addr + len < addr)
		return -EINVAL;
	if (end == start)
		return 0;
	spin_lock(&mm->lock);
	if (!vma_covered(&mm->vs, start, end))
		r = -ENOMEM;
	else if (lock)
		r = host_syscall2(SYS_mlock, start, end - start);
	else
		r = host_syscall2(SYS_munlock, start, end - start);
	if (r == 0)
		vma_set_flags(&mm->vs, start, end, lock ? VMA_LOCKED : 0,
			      lock ? 0 : VMA_LOCKED);
	spin_unlock(&mm->lock);
	return r;
}

long mm_set_anon_name(struct mm *mm, uint64_t addr, uint64_t len,
		      const char *name)
{
	long r = 0;
	uint64_t end = PAGE_ALIGN(addr + len);

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	spin_lock(&mm->lock);
	if (!vma_covered(&mm->vs, addr, end)) {
		r = -ENOMEM;
	} else {
		size_t i = vma_first_after(&mm->vs, addr);

		for (; i < mm->vs.n && mm->vs.v[i].start < end; i++) {
			if (mm->vs.v[i].file) {
				r = -EBADF;
				break;
			}
		}
		if (r == 0) {
			/* split so the name covers exactly the range */
			vma_set_flags(&mm->vs, addr, end, 0, 0);
			i = vma_first_after(&mm->vs, addr);
			for (; i < mm->vs.n && mm->vs.v[i].start < end; i++)
				mm->vs.v[i].name = name;
		}
	}
	spin_unlock(&mm->lock);
	return r;
}

void mm_set_anon_name_locked(struct mm *mm, uint64_t start, uint64_t end,
			     const char *name)
{
	vma_set_flags(&mm->vs, start, end, 0, 0);
	for (size_t i = vma_first_after(&mm->vs, start);
	     i < mm->vs.n && mm->vs.v[i].start < end; i++)
		mm->vs.v[i].name = name;
}

int mm_query(struct mm *mm, uint64_t addr, uint32_t *prot, uint32_t *flags,
	     bool *file_backed)
{
	struct vma *v;
	int r = -EFAULT;

	spin_lock(&mm->lock);
	v = vma_lookup(&mm->vs, addr);
	if (v) {
		*prot = v->prot;
		*flags = v->flags;
		*file_backed = v->file != NULL;
		r = 0;
	}
	spin_unlock(&mm->lock);
	return r;
}

uint64_t mm_random_offset(uint64_t max)
{
	uint64_t r = 0;

	if (max < PAGE_SIZE)
		return 0;
	host_getrandom(&r, sizeof(r), 0);
	return (r % max) & ~(PAGE_SIZE - 1);
}

size_t mm_maps_text(struct mm *mm, char *buf, size_t size)
{
	size_t len = 0;

	spin_lock(&mm->lock);
	for (size_t i = 0; i < mm->vs.n; i++) {
		const struct vma *v = &mm->vs.v[i];
		const char *name = NULL;
		char line[4200];
		int n;

		if (v->flags & VMA_HEAP)
			name = "[heap]";
		else if (v->flags & VMA_STACK)
			name = "[stack]";
		else if (v->flags & VMA_VDSO)
			name = "[vdso]";
		else if (v->flags & VMA_VVAR)
			name = "[vvar]";
		else if (v->file)
			name = v->file->path;
		else if ((v->flags & VMA_SHARED) && (v->flags & VMA_ANON))
			name = "/dev/zero (deleted)";
		else if (v->name)
			name = v->name;
		n = ksnprintf(
			line, sizeof(line),
			"%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu",
			(unsigned long long)v->start,
			(unsigned long long)v->end,
			v->prot & PROT_READ ? 'r' : '-',
			v->prot & PROT_WRITE ? 'w' : '-',
			v->prot & PROT_EXEC ? 'x' : '-',
			v->flags & VMA_SHARED ? 's' : 'p',
			(unsigned long long)(v->file ? v->off : 0),
			v->file ? (unsigned)((v->file->dev >> 8) & 0xfff) : 0,
			v->file ? (unsigned)((v->file->dev & 0xff) |
					     ((v->file->dev >> 12) & 0xfff00))
				: 0,
			(unsigned long long)(v->file ? v->file->ino : 0));
		if (name) {
			/* Linux pads the name to start at column 73 */
			while (n < 73 && n < (int)sizeof(line) - 1)
				line[n++] = ' ';
			n += ksnprintf(line + n, sizeof(line) - (size_t)n, "%s",
				       name);
		}
		if (n > (int)sizeof(line) - 2)
			n = (int)sizeof(line) - 2;
		line[n++] = '\n';
		if (len + (size_t)n <= size)
			memcpy(buf + len, line, (size_t)n);
		len += (size_t)n;
	}
	spin_unlock(&mm->lock);
	return len;
}
