/* sys_file.c - I/O on file descriptors, open/close/dup, fcntl, ioctl */
#include <errno.h>
#include <sys/mman.h>
#include <stdio.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "base/fmt.h"
#include "base/kmalloc.h"
#include "base/host.h"
#include "kernel/objects.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

#define MAX_RW_COUNT 0x7ffff000l /* Linux caps one transfer at this */
#define IOV_MAX_LINUX 1024

static inline struct file *fget(int fd)
{
	return fdtab_get(current_proc()->fdt, fd);
}

/* for the duration of this syscall only (see fdget) */
static inline struct fd fdget_cur(int fd)
{
	struct proc *p = current_proc();

	return fdget(p->fdt, fd, p->nr_threads == 1);
}

static inline unsigned nofile_limit(void)
{
	rlim_t l = current_proc()->rlim[RLIMIT_NOFILE].rlim_cur;

	return l > (1u << 20) ? (1u << 20) : (unsigned)l;
}

static inline bool can_read(const struct file *f)
{
	return !(f->oflags & O_PATH) && (f->oflags & O_ACCMODE) != O_WRONLY;
}

static inline bool can_write(const struct file *f)
{
	return !(f->oflags & O_PATH) && (f->oflags & O_ACCMODE) != O_RDONLY;
}

static inline long epipe(long r)
{
	/* Linux sends SIGPIPE with EPIPE; its default action kills */
	if (r == -EPIPE)
		sig_send(current_proc(), current_thread(), SIGPIPE);
	return r;
}

/* ---- read and write: the fast path (SYSF_FAST), no glibc below ---- */

static long do_read(int fd, void *buf, size_t n, off_t off)
{
	struct fd d = fdget_cur(fd);
	struct file *f = d.file;
	long r;

	if (!f)
		return -EBADF;
	if (!can_read(f))
		r = -EBADF;
	else if (!f->ops->read)
		r = f->fflags & FILE_DIR ? -EISDIR : -EINVAL;
	else if (!access_ok(buf, n)) /* Linux's vfs_read checks it first */
		r = -EFAULT;
	else
		r = f->ops->read(f, buf, n > MAX_RW_COUNT ? MAX_RW_COUNT : n,
				 off);
	fdput(d);
	return r;
}

static long do_write(int fd, const void *buf, size_t n, off_t off)
{
	struct fd d = fdget_cur(fd);
	struct file *f = d.file;
	long r;

	if (!f)
		return -EBADF;
	if (!can_write(f))
		r = -EBADF;
	else if (!f->ops->write)
		r = -EINVAL;
	else if (!access_ok(buf, n))
		r = -EFAULT;
	else
		r = epipe(f->ops->write(
			f, buf, n > MAX_RW_COUNT ? MAX_RW_COUNT : n, off));
	fdput(d);
	return r;
}

SYSCALL_DEFINE3(read, int, fd, void __user *, buf, size_t, n)
{
	return do_read(fd, buf, n, -1);
}

SYSCALL_DEFINE3(write, int, fd, const void __user *, buf, size_t, n)
{
	return do_write(fd, buf, n, -1);
}

SYSCALL_DEFINE4(pread64, int, fd, void __user *, buf, size_t, n, off_t, off)
{
	if (off < 0)
		return -EINVAL;
	return do_read(fd, buf, n, off);
}

SYSCALL_DEFINE4(pwrite64, int, fd, const void __user *, buf, size_t, n, off_t,
		off)
{
	if (off < 0)
		return -EINVAL;
	return do_write(fd, buf, n, off);
}

/* iovec I/O on a file without a vector op: one op call per element */
static long iov_loop(struct file *f, const struct iovec *uiov, int cnt,
		     off_t off, bool wr)
{
	long total = 0;

	for (int i = 0; i < cnt; i++) {
		struct iovec v;
		long r;

		if (copy_from_user(&v, &uiov[i], sizeof(v)))
			return total ? total : -EFAULT;
		if ((ssize_t)v.iov_len < 0)
			return total ? total : -EINVAL;
		if (!v.iov_len)
			continue;
		r = wr ? f->ops->write(f, v.iov_base, v.iov_len, off)
		       : f->ops->read(f, v.iov_base, v.iov_len, off);
		if (r < 0)
			return total ? total : r;
		total += r;
		if (off >= 0)
			off += r;
		if ((size_t)r < v.iov_len)
			break;
	}
	return total;
}

static long do_iov(int fd, const struct iovec *uiov, int cnt, off_t off,
		   int flags, bool wr)
{
	struct fd d;
	struct file *f;
	long r;

	if (cnt < 0 || cnt > IOV_MAX_LINUX)
		return -EINVAL;
	d = fdget_cur(fd);
	f = d.file;
	if (!f)
		return -EBADF;
	if (wr ? !can_write(f) : !can_read(f))
		r = -EBADF;
	else if (wr ? f->ops->writev != NULL : f->ops->readv != NULL)
		r = wr ? f->ops->writev(f, uiov, cnt, off, flags)
		       : f->ops->readv(f, uiov, cnt, off, flags);
	else if (wr ? !f->ops->write : !f->ops->read)
		r = f->fflags & FILE_DIR ? -EISDIR : -EINVAL;
	else if (flags &
		 ~(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND))
		r = -EOPNOTSUPP;
	else
		r = iov_loop(f, uiov, cnt, off, wr);
	fdput(d);
	return wr ? epipe(r) : r;
}

SYSCALL_DEFINE3(readv, int, fd, const struct iovec __user *, iov, int, cnt)
{
	return do_iov(fd, iov, cnt, -1, 0, false);
}

SYSCALL_DEFINE3(writev, int, fd, const struct iovec __user *, iov, int, cnt)
{
	return do_iov(fd, iov, cnt, -1, 0, true);
}

SYSCALL_DEFINE4(preadv, int, fd, const struct iovec __user *, iov, int, cnt,
		off_t, off)
{
	return off < 0 ? -EINVAL : do_iov(fd, iov, cnt, off, 0, false);
}

SYSCALL_DEFINE4(pwritev, int, fd, const struct iovec __user *, iov, int, cnt,
		off_t, off)
{
	return off < 0 ? -EINVAL : do_iov(fd, iov, cnt, off, 0, true);
}

/* (fd, iov, cnt, pos_lo, pos_hi, flags): on 64-bit pos_lo is the offset */
SYSCALL_DEFINE6(preadv2, int, fd, const struct iovec __user *, iov, int, cnt,
		off_t, off, long, hi, int, flags)
{
	(void)hi;
	if (off < -1)
		return -EINVAL;
	return do_iov(fd, iov, cnt, off, flags, false);
}

SYSCALL_DEFINE6(pwritev2, int, fd, const struct iovec __user *, iov, int, cnt,
		off_t, off, long, hi, int, flags)
{
	(void)hi;
	if (off < -1)
		return -EINVAL;
	return do_iov(fd, iov, cnt, off, flags, true);
}

SYSCALL_DEFINE3(lseek, int, fd, off_t, off, int, whence)
{
	struct fd d = fdget_cur(fd);
	struct file *f = d.file;
	long r;

	if (!f)
		return -EBADF;
	if (f->oflags & O_PATH)
		r = -EBADF;
	else if (!f->ops->lseek)
		r = -ESPIPE;
	else if (whence < SEEK_SET || whence > SEEK_HOLE)
		r = -EINVAL;
	else
		r = f->ops->lseek(f, off, whence);
	fdput(d);
	return r;
}

/* ---- open, close, dup ---- */

static long install(struct file *f, bool cloexec)
{
	int fd = fdtab_install(current_proc()->fdt, f, 0, cloexec,
			       nofile_limit());

	if (fd < 0)
		file_put(f);
	return fd;
}

long sys_do_open(int dirfd, const char __user *upath, int flags, unsigned mode)
{
	char kpath[PATH_MAX];
	struct nameidata nd;
	struct file *base, *f;
	long r;

	r = vfs_resolve_user(dirfd, upath,
			     flags & O_NOFOLLOW ? 0 : LOOKUP_FOLLOW, &nd, &base,
			     kpath);
	if (r < 0)
		return r;
	r = vfs_open(&nd, flags, mode, &f);
	file_put(base);
	if (r < 0)
		return r;
	return install(f, flags & O_CLOEXEC);
}

SYSCALL_DEFINE3(open, const char __user *, path, int, flags, unsigned, mode)
{
	return sys_do_open(AT_FDCWD, path, flags, mode);
}

SYSCALL_DEFINE4(openat, int, dirfd, const char __user *, path, int, flags,
		unsigned, mode)
{
	return sys_do_open(dirfd, path, flags, mode);
}

SYSCALL_DEFINE2(creat, const char __user *, path, unsigned, mode)
{
	return sys_do_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

SYSCALL_DEFINE4(openat2, int, dirfd, const char __user *, path,
		struct open_how __user *, uhow, size_t, size)
{
	struct open_how how = {0};

	if (size < sizeof(how))
		return -EINVAL;
	if (size > 4096)
		return -E2BIG;
	if (copy_from_user(&how, uhow, sizeof(how)))
		return -EFAULT;
	if (how.flags >> 32 || how.mode >> 12)
		return -EINVAL;
	if (!(how.flags & (O_CREAT | __O_TMPFILE)) && how.mode)
		return -EINVAL;
	if (how.resolve & ~(uint64_t)(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS |
				      RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |
				      RESOLVE_IN_ROOT | RESOLVE_CACHED))
		return -EINVAL;
	if (how.resolve) {
		/* only the host's tree can honour RESOLVE_*: pass it there */
		char kpath[PATH_MAX];
		struct nameidata nd;
		struct file *base, *f;
		long r = vfs_resolve_user(
			dirfd, path, how.flags & O_NOFOLLOW ? 0 : LOOKUP_FOLLOW,
			&nd, &base, kpath);

		if (r < 0)
			return r;
		if (nd.fs != FS_HOST) {
			file_put(base);
			return -EXDEV;
		}
		bool cloexec = how.flags & O_CLOEXEC;

		how.flags |= O_CLOEXEC;
		if (how.flags & (O_CREAT | __O_TMPFILE))
			how.mode &= ~current_proc()->fs.umask;
		r = host_syscall4(SYS_openat2, nd.host_dirfd, nd.host_path,
				  &how, sizeof(how));
		file_put(base);
		if (r < 0)
			return r;
		f = hostfs_wrap((int)r, (unsigned)how.flags & ~O_CLOEXEC,
				nd.abs);
		if (!f) {
			host_close((int)r);
			return -ENOMEM;
		}
		return install(f, cloexec);
	}
	return sys_do_open(dirfd, path, (int)how.flags, (unsigned)how.mode);
}

SYSCALL_DEFINE1(close, int, fd)
{
	return fdtab_close(current_proc()->fdt, fd);
}

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE 2
#define CLOSE_RANGE_CLOEXEC 4
#endif

SYSCALL_DEFINE3(close_range, unsigned, lo, unsigned, hi, unsigned, flags)
{
	if (flags & ~(unsigned)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (lo > hi)
		return -EINVAL;
	/* CLOSE_RANGE_UNSHARE: the table is not shared by threads yet */
	return fdtab_close_range(current_proc()->fdt, lo, hi,
				 flags & CLOSE_RANGE_CLOEXEC);
}

SYSCALL_DEFINE1(dup, int, fd)
{
	struct file *f = fget(fd);

	if (!f)
		return -EBADF;
	return install(f, false);
}

static long do_dup3(int oldfd, int newfd, int flags)
{
	struct file *f;
	long r;

	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	f = fget(oldfd);
	if (!f)
		return -EBADF;
	r = fdtab_install_at(current_proc()->fdt, f, newfd, flags & O_CLOEXEC,
			     nofile_limit());
	if (r < 0)
		file_put(f);
	return r;
}

SYSCALL_DEFINE2(dup2, int, oldfd, int, newfd)
{
	if (oldfd == newfd) {
		struct file *f = fget(oldfd);

		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(oldfd, newfd, 0);
}

SYSCALL_DEFINE3(dup3, int, oldfd, int, newfd, int, flags)
{
	if (oldfd == newfd)
		return -EINVAL;
	return do_dup3(oldfd, newfd, flags);
}

/* ---- fcntl and ioctl ---- */

#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_ASYNC)

static long setfl(struct file *f, unsigned flags)
{
	flags &= SETFL_MASK;
	/* no SIGIO: O_ASYNC is accepted and does nothing (README) */
	if (f->ops->setfl)
		return f->ops->setfl(f, flags & ~O_ASYNC);
	f->oflags = (f->oflags & ~SETFL_MASK) | flags;
	return 0;
}

SYSCALL_DEFINE3(fcntl, int, fd, int, cmd, unsigned long, arg)
{
	struct proc *p = current_proc();
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg >= nofile_limit()) {
			r = -EINVAL;
			break;
		}
		r = fdtab_install(p->fdt, file_get(f), (int)arg,
				  cmd == F_DUPFD_CLOEXEC, nofile_limit());
		if (r < 0)
			file_put(f);
		break;
	case F_GETFD:
		r = fdtab_get_cloexec(p->fdt, fd);
		break;
	case F_SETFD:
		r = fdtab_set_cloexec(p->fdt, fd, arg & FD_CLOEXEC);
		break;
	case F_GETFL:
		if (f->host_fd >= 0)
			r = host_fcntl(f->host_fd, F_GETFL, 0);
		else
			r = (long)(f->oflags | O_LARGEFILE);
		break;
	case F_SETFL:
		r = (f->oflags & O_PATH) ? -EBADF : setfl(f, (unsigned)arg);
		break;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		if (file_is_pipe(f)) {
			r = cmd == F_GETPIPE_SZ ? pipe_get_size(f)
						: pipe_set_size(f, arg);
			break;
		}
		r = f->host_fd >= 0 ? host_fcntl(f->host_fd, cmd, arg) : -EBADF;
		break;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
	case F_GETLEASE:
	case F_SETLEASE:
	case F_ADD_SEALS:
	case F_GET_SEALS:
	case F_GET_RW_HINT:
	case F_SET_RW_HINT:
	case F_GET_FILE_RW_HINT:
	case F_SET_FILE_RW_HINT:
		/*
		 * The host holds the locks; it reads the guest's struct
		 * flock itself. All guest processes of an instance share
		 * one host process, so POSIX locks between two of them do
		 * not conflict yet (README).
		 */
		if (cmd == F_GETLK || cmd == F_SETLK || cmd == F_SETLKW ||
		    cmd == F_OFD_GETLK || cmd == F_OFD_SETLK ||
		    cmd == F_OFD_SETLKW)
			arg = (unsigned long)user_host_ptr(
				(void *)arg, sizeof(struct flock), true);
		else if (cmd == F_GET_RW_HINT || cmd == F_SET_RW_HINT ||
			 cmd == F_GET_FILE_RW_HINT || cmd == F_SET_FILE_RW_HINT)
			arg = (unsigned long)user_host_ptr((void *)arg, 8,
							   true);
		r = f->host_fd >= 0 ? host_fcntl(f->host_fd, cmd, arg)
				    : -EINVAL;
		break;
	case F_GETOWN:
		r = 0;
		break;
	case F_SETOWN:
	case F_SETSIG:
		r = 0; /* SIGIO is not delivered (README) */
		break;
	case F_GETSIG:
		r = 0;
		break;
	case F_GETOWN_EX:
		r = clear_user((void *)arg, 8);
		break;
	case F_SETOWN_EX: {
		struct f_owner_ex o;

		/* Linux reads the struct, then checks its type */
		if (copy_from_user(&o, (void *)arg, sizeof(o)))
			r = -EFAULT;
		else if (o.type != F_OWNER_TID && o.type != F_OWNER_PID &&
			 o.type != F_OWNER_PGRP)
			r = -EINVAL;
		else
			r = 0; /* SIGIO is not delivered (README) */
		break;
	}
	default:
		r = -EINVAL;
		break;
	}
	file_put(f);
	return r;
}

SYSCALL_DEFINE3(ioctl, int, fd, unsigned long, req, unsigned long, arg)
{
	struct proc *p = current_proc();
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	if (f->oflags & O_PATH) {
		r = -EBADF;
		goto out;
	}
	switch (req) {
	case FIOCLEX:
	case FIONCLEX:
		r = fdtab_set_cloexec(p->fdt, fd, req == FIOCLEX);
		goto out;
	case FIONBIO: {
		int on;

		if (copy_from_user(&on, (void *)arg, sizeof(on))) {
			r = -EFAULT;
			goto out;
		}
		r = setfl(f, on ? ((f->oflags & SETFL_MASK) | O_NONBLOCK)
				: ((f->oflags & SETFL_MASK) & ~O_NONBLOCK));
		goto out;
	}
	default:
		break;
	}
	r = f->ops->ioctl ? f->ops->ioctl(f, req, arg) : -ENOTTY;
out:
	file_put(f);
	return r;
}

/* ---- data integrity and size ---- */

SYSCALL_DEFINE1(fsync, int, fd)
{
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	r = f->ops->fsync ? f->ops->fsync(f, false) : -EINVAL;
	file_put(f);
	return r;
}

SYSCALL_DEFINE1(fdatasync, int, fd)
{
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	r = f->ops->fsync ? f->ops->fsync(f, true) : -EINVAL;
	file_put(f);
	return r;
}

SYSCALL_DEFINE2(ftruncate, int, fd, off_t, len)
{
	struct file *f;
	long r;

	if (len < 0)
		return -EINVAL;
	f = fget(fd);
	if (!f)
		return -EBADF;
	if (!can_write(f))
		r = (f->oflags & O_PATH) ? -EBADF : -EINVAL;
	else
		r = f->ops->ftruncate ? f->ops->ftruncate(f, len) : -EINVAL;
	file_put(f);
	return r;
}

SYSCALL_DEFINE2(truncate, const char __user *, path, off_t, len)
{
	char kpath[PATH_MAX];
	struct nameidata nd;
	struct file *base;
	long r, fd;

	if (len < 0)
		return -EINVAL;
	r = vfs_resolve_user(AT_FDCWD, path, LOOKUP_FOLLOW, &nd, &base, kpath);
	if (r < 0)
		return r;
	if (nd.fs != FS_HOST) {
		file_put(base);
		return -EACCES;
	}
	fd = host_openat(nd.host_dirfd, nd.host_path,
			 O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0);
	file_put(base);
	if (fd < 0)
		return fd == -ENXIO ? -EINVAL : fd;
	r = host_syscall2(SYS_ftruncate, fd, len);
	host_close((int)fd);
	return r;
}

SYSCALL_DEFINE4(fallocate, int, fd, int, mode, off_t, off, off_t, len)
{
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	if (f->host_fd < 0)
		r = -ENODEV;
	else
		r = host_syscall4(SYS_fallocate, f->host_fd, mode, off, len);
	file_put(f);
	return r;
}

SYSCALL_DEFINE4(fadvise64, int, fd, off_t, off, off_t, len, int, advice)
{
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	if (f->host_fd >= 0)
		r = host_syscall4(SYS_fadvise64, f->host_fd, off, len, advice);
	else
		r = advice >= 0 && advice <= 5 ? 0 : -EINVAL;
	file_put(f);
	return r;
}

SYSCALL_DEFINE3(readahead, int, fd, off_t, off, size_t, n)
{
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	r = f->host_fd >= 0 ? host_syscall3(SYS_readahead, f->host_fd, off, n)
			    : -EINVAL;
	file_put(f);
	return r;
}

SYSCALL_DEFINE0(sync)
{
	host_syscall0(SYS_sync);
	return 0;
}

SYSCALL_DEFINE1(syncfs, int, fd)
{
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	r = f->host_fd >= 0 ? host_syscall1(SYS_syncfs, f->host_fd) : 0;
	file_put(f);
	return r;
}

SYSCALL_DEFINE2(flock, int, fd, int, op)
{
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	if ((op & ~LOCK_NB) != LOCK_SH && (op & ~LOCK_NB) != LOCK_EX &&
	    (op & ~LOCK_NB) != LOCK_UN)
		r = -EINVAL;
	else if (f->host_fd >= 0)
		r = host_syscall2(SYS_flock, f->host_fd, op);
	else
		r = 0; /* nobody else can open our synthesized files' locks */
	file_put(f);
	return r;
}

/* ---- directories ---- */

SYSCALL_DEFINE3(getdents64, int, fd, void __user *, buf, unsigned, n)
{
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	/* the op may hand @buf to the host: clamped to guest memory */
	n = (unsigned)user_host_buf(&buf, n, true);
	if (f->oflags & O_PATH)
		r = -EBADF;
	else
		r = f->ops->getdents64 ? f->ops->getdents64(f, buf, n)
				       : -ENOTDIR;
	file_put(f);
	return r;
}

/*
 * The old struct linux_dirent (see fs/readdir.c): d_ino, d_off, d_reclen,
 * d_name with its NUL, then d_type in the record's last byte. Its record is
 * ALIGN(18 + namelen + 2, 8) bytes, the same as struct linux_dirent64's
 * ALIGN(19 + namelen + 1, 8), so the 64-bit records read into the guest's
 * buffer are converted in place, one for one, and a buffer too small for
 * the first record is EINVAL in both forms, as on Linux.
 */
SYSCALL_DEFINE3(getdents, int, fd, void __user *, buf, unsigned, n)
{
	struct file *f = fget(fd);
	char *kb = NULL;
	long r, got;

	if (!f)
		return -EBADF;
	if (f->oflags & O_PATH) {
		r = -EBADF;
		goto out;
	}
	if (!f->ops->getdents64) {
		r = -ENOTDIR;
		goto out;
	}
	if (n > 65536)
		n = 65536; /* a short read: the caller asks again */
	got = f->ops->getdents64(f, buf, n);
	if (got <= 0) {
		r = got;
		goto out;
	}
	kb = kmalloc((size_t)got);
	if (!kb) {
		r = -ENOMEM;
		goto out;
	}
	if (copy_from_user(kb, buf, (size_t)got)) {
		r = -EFAULT;
		goto out;
	}
	for (long off = 0; off < got;) {
		char *o = kb + off;
		unsigned short reclen;
		unsigned char type;
		size_t nl, rl;

		/* another guest thread may have written the buffer meanwhile */
		memcpy(&reclen, o + 16, 2);
		if (reclen < 20 || off + reclen > got) {
			r = -EFAULT;
			goto out;
		}
		type = (unsigned char)o[18];
		nl = strnlen(o + 19, reclen - 19u);
		rl = (18 + nl + 2 + 7) & ~(size_t)7;
		if (rl > reclen) {
			r = -EFAULT;
			goto out;
		}
		memmove(o + 18, o + 19, nl);
		memset(o + 18 + nl, 0, reclen - 18 - nl);
		o[reclen - 1] = (char)type;
		off += reclen;
	}
	r = copy_to_user(buf, kb, (size_t)got) ? -EFAULT : got;
out:
	kfree(kb);
	file_put(f);
	return r;
}

/* ---- copying between files ---- */

/* sendfile between files that are not both the host's: a kernel buffer */
static long copy_loop(struct file *in, struct file *out, off_t *inoff,
		      size_t count)
{
	char *buf;
	long total = 0;

	if (!in->ops->read || !out->ops->write)
		return -EINVAL;
	if (inoff && *inoff < 0)
		return -EINVAL;
	buf = kmalloc(65536);
	if (!buf)
		return -ENOMEM;
	while ((size_t)total < count) {
		size_t chunk = count - (size_t)total;
		long r, w;

		if (chunk > 65536)
			chunk = 65536;
		/* the ops copy with copy_to_user: a kernel buffer is fine */
		r = in->ops->read(in, buf, chunk, inoff ? *inoff : -1);
		if (r <= 0) {
			if (r < 0 && !total)
				total = r;
			break;
		}
		w = out->ops->write(out, buf, (size_t)r, -1);
		if (w < 0) {
			if (!total)
				total = w;
			break;
		}
		total += w;
		if (inoff)
			*inoff += w;
		if (w < r)
			break;
	}
	kfree(buf);
	return total;
}

SYSCALL_DEFINE4(sendfile, int, outfd, int, infd, off_t __user *, uoff, size_t,
		count)
{
	struct file *in = fget(infd), *out = fget(outfd);
	off_t off;
	long r;

	if (!in || !out) {
		r = -EBADF;
		goto out;
	}
	if (!can_read(in) || !can_write(out)) {
		r = -EBADF;
		goto out;
	}
	if (in->host_fd >= 0 && out->host_fd >= 0) {
		/* the host reads and updates the guest's offset itself */
		r = host_syscall4(SYS_sendfile, out->host_fd, in->host_fd,
				  user_host_ptr(uoff, sizeof(*uoff), true),
				  count);
	} else if (uoff) {
		if (copy_from_user(&off, uoff, sizeof(off))) {
			r = -EFAULT;
			goto out;
		}
		r = copy_loop(in, out, &off, count);
		if (r >= 0 && copy_to_user(uoff, &off, sizeof(off)))
			r = -EFAULT;
	} else {
		r = copy_loop(in, out, NULL, count);
	}
	r = epipe(r);
out:
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return r;
}

SYSCALL_DEFINE6(copy_file_range, int, infd, off_t __user *, inoff, int, outfd,
		off_t __user *, outoff, size_t, len, unsigned, flags)
{
	struct file *in = fget(infd), *out = fget(outfd);
	long r;

	if (!in || !out)
		r = -EBADF;
	else if (in->host_fd >= 0 && out->host_fd >= 0)
		r = host_syscall6(
			SYS_copy_file_range, in->host_fd,
			(long)user_host_ptr(inoff, sizeof(*inoff), true),
			out->host_fd,
			(long)user_host_ptr(outoff, sizeof(*outoff), true),
			(long)len, flags);
	else
		r = -EXDEV; /* callers fall back to read and write */
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return r;
}

SYSCALL_DEFINE2(memfd_create, const char __user *, uname, unsigned, flags)
{
	char name[256], path[300];
	struct file *f;
	long r, fd;
	/* Linux checks the flags before it reads the name */
	unsigned all = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB |
		       0x8 /* MFD_NOEXEC_SEAL */ | 0x10 /* MFD_EXEC */;

	if (flags & MFD_HUGETLB)
		all |= 0x3fu << 26; /* MFD_HUGE_MASK << MFD_HUGE_SHIFT */
	if (flags & ~all)
		return -EINVAL;
	r = strncpy_from_user(name, uname, 250);
	if (r < 0)
		return r == -ENAMETOOLONG ? -EINVAL : r;
	fd = host_syscall2(SYS_memfd_create, name, flags | MFD_CLOEXEC);
	if (fd < 0)
		return fd;
	ksnprintf(path, sizeof(path), "/memfd:%s", name);
	f = hostfs_wrap((int)fd, O_RDWR | O_LARGEFILE, path);
	if (!f) {
		host_close((int)fd);
		return -ENOMEM;
	}
	return install(f, flags & MFD_CLOEXEC);
}
