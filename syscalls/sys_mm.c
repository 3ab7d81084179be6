/* sys_mm.c - the mmap family */
#include <errno.h>
#include <fcntl.h>
#include <linux/mman.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "base/host.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "mm/mm.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

SYSCALL_DEFINE6(mmap, unsigned long, addr, unsigned long, len, int, prot,
		int, flags, int, fd, unsigned long, off)
{
	struct mm *mm = current_proc()->mm;
	struct vma_file *vf = NULL;
	struct file *f = NULL;
	int hostfd = -1;
	long r;

	if (!(flags & MAP_ANONYMOUS)) {
		f = fdtab_get(current_proc()->fdt, fd);
		if (!f)
			return -EBADF;
		if (f->oflags & O_PATH) {
			r = -EBADF;
			goto out;
		}
		if (devfs_is_zero(f)) {
			/* /dev/zero maps to anonymous memory */
			flags |= MAP_ANONYMOUS;
		} else if (f->host_fd < 0) {
			r = -ENODEV;
			goto out;
		} else {
			if ((f->oflags & O_ACCMODE) == O_WRONLY) {
				r = -EACCES;
				goto out;
			}
			hostfd = f->host_fd;
			vf = hostfs_vma_file(f);
			if (!vf) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	r = mm_mmap(mm, addr, len, prot, flags, hostfd, off, vf);
out:
	vma_file_put(vf); /* the area took its own reference */
	if (f)
		file_put(f);
	return r;
}

SYSCALL_DEFINE2(munmap, unsigned long, addr, unsigned long, len)
{
	return mm_munmap(current_proc()->mm, addr, len);
}

SYSCALL_DEFINE3(mprotect, unsigned long, addr, unsigned long, len, int, prot)
{
	return mm_mprotect(current_proc()->mm, addr, len, prot);
}

SYSCALL_DEFINE5(mremap, unsigned long, old, unsigned long, oldlen,
		unsigned long, newlen, int, flags, unsigned long, newaddr)
{
	return mm_mremap(current_proc()->mm, old, oldlen, newlen, flags,
			 newaddr);
}

SYSCALL_DEFINE1(brk, unsigned long, addr)
{
	return mm_brk(current_proc()->mm, addr);
}

SYSCALL_DEFINE3(madvise, unsigned long, addr, unsigned long, len, int,
		advice)
{
	return mm_madvise(current_proc()->mm, addr, len, advice);
}

SYSCALL_DEFINE3(msync, unsigned long, addr, unsigned long, len, int, flags)
{
	return mm_msync(current_proc()->mm, addr, len, flags);
}

SYSCALL_DEFINE3(mincore, unsigned long, addr, unsigned long, len,
		unsigned char __user *, vec)
{
	return mm_mincore(current_proc()->mm, addr, len, vec);
}

SYSCALL_DEFINE2(mlock, unsigned long, addr, unsigned long, len)
{
	return mm_mlock(current_proc()->mm, addr, len, true);
}

SYSCALL_DEFINE3(mlock2, unsigned long, addr, unsigned long, len, int, flags)
{
	if (flags & ~MLOCK_ONFAULT)
		return -EINVAL;
	return mm_mlock(current_proc()->mm, addr, len, true);
}

SYSCALL_DEFINE2(munlock, unsigned long, addr, unsigned long, len)
{
	return mm_mlock(current_proc()->mm, addr, len, false);
}

SYSCALL_DEFINE1(mlockall, int, flags)
{
	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)))
		return -EINVAL;
	/* locks the instance's memory, ours included: the host does it */
	return host_syscall1(SYS_mlockall, flags);
}

SYSCALL_DEFINE0(munlockall)
{
	return host_syscall0(SYS_munlockall);
}
