/* sys_stat.c - stat, statx, statfs, readlink, access */
#include <errno.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "base/host.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

/* fstat of an open file into the guest's buffer */
static long stat_file(struct file *f, struct stat __user *ust)
{
	struct stat st;
	long r;

	if (f->host_fd >= 0)
		return host_fstat(f->host_fd,
				  user_host_ptr(ust, sizeof(*ust), true));
	if (!f->ops->fstat)
		return -EINVAL;
	r = f->ops->fstat(f, &st);
	if (r < 0)
		return r;
	return copy_to_user(ust, &st, sizeof(st));
}

/* fstatat with AT_EMPTY_PATH: the file @dirfd itself */
static long stat_dirfd(int dirfd, struct stat __user *ust)
{
	struct proc *p = current_proc();
	struct file *f = dirfd == AT_FDCWD ? file_get(p->fs.cwd)
					   : fdtab_get(p->fdt, dirfd);
	long r;

	if (!f)
		return -EBADF;
	r = stat_file(f, ust);
	file_put(f);
	return r;
}

static long do_fstatat(int dirfd, const char __user *upath,
		       struct stat __user *ust, int flags)
{
	char kpath[PATH_MAX];
	struct nameidata nd;
	struct file *base;
	struct stat st;
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	if (flags & AT_EMPTY_PATH) {
		if (!upath)
			return stat_dirfd(dirfd, ust);
		r = strncpy_from_user(kpath, upath, sizeof(kpath));
		if (r < 0)
			return r;
		if (r == 0)
			return stat_dirfd(dirfd, ust);
	}
	r = vfs_resolve_user(dirfd, upath,
			     flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW,
			     &nd, &base, kpath);
	if (r < 0)
		return r;
	if (nd.fs == FS_HOST) {
		r = host_newfstatat(
			nd.host_dirfd, nd.host_path,
			user_host_ptr(ust, sizeof(*ust), true),
			flags & (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT));
	} else {
		r = vfs_stat(&nd, flags, &st);
		if (r == 0)
			r = copy_to_user(ust, &st, sizeof(st));
	}
	file_put(base);
	return r;
}

SYSCALL_DEFINE2(stat, const char __user *, path, struct stat __user *, st)
{
	return do_fstatat(AT_FDCWD, path, st, 0);
}

SYSCALL_DEFINE2(lstat, const char __user *, path, struct stat __user *, st)
{
	return do_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

SYSCALL_DEFINE2(fstat, int, fd, struct stat __user *, st)
{
	struct file *f;
	long r;

	if (fd == AT_FDCWD)
		return -EBADF;
	f = fdtab_get(current_proc()->fdt, fd);
	if (!f)
		return -EBADF;
	r = stat_file(f, st);
	file_put(f);
	return r;
}

SYSCALL_DEFINE4(newfstatat, int, dirfd, const char __user *, path,
		struct stat __user *, st, int, flags)
{
	return do_fstatat(dirfd, path, st, flags);
}

#define STATX_FLAGS                                              \
	(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | \
	 AT_STATX_SYNC_TYPE)

SYSCALL_DEFINE5(statx, int, dirfd, const char __user *, upath, int, flags,
		unsigned, mask, struct statx __user *, ustx)
{
	char kpath[PATH_MAX];
	struct nameidata nd;
	struct file *base, *f;
	struct statx stx;
	long r;

	if (flags & ~STATX_FLAGS)
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	kpath[0] = '\0';
	if (upath) {
		r = strncpy_from_user(kpath, upath, sizeof(kpath));
		if (r < 0)
			return r;
	} else if (!(flags & AT_EMPTY_PATH)) {
		return -EFAULT;
	}
	if (!kpath[0] && (flags & AT_EMPTY_PATH)) {
		struct proc *p = current_proc();

		f = dirfd == AT_FDCWD ? file_get(p->fs.cwd)
				      : fdtab_get(p->fdt, dirfd);
		if (!f)
			return -EBADF;
		if (f->host_fd >= 0) {
			r = host_statx(f->host_fd, "", flags, mask,
				       user_host_ptr(ustx, sizeof(*ustx),
						     true));
		} else {
			struct stat st;

			r = f->ops->fstat ? f->ops->fstat(f, &st) : -EINVAL;
			if (r == 0) {
				memset(&stx, 0, sizeof(stx));
				stx.stx_mask = STATX_BASIC_STATS;
				stx.stx_mode = (uint16_t)st.st_mode;
				stx.stx_nlink = (uint32_t)st.st_nlink;
				stx.stx_uid = st.st_uid;
				stx.stx_gid = st.st_gid;
				stx.stx_ino = st.st_ino;
				stx.stx_size = (uint64_t)st.st_size;
				stx.stx_blksize = (uint32_t)st.st_blksize;
				stx.stx_dev_major = major(st.st_dev);
				stx.stx_dev_minor = minor(st.st_dev);
				stx.stx_rdev_major = major(st.st_rdev);
				stx.stx_rdev_minor = minor(st.st_rdev);
				r = copy_to_user(ustx, &stx, sizeof(stx));
			}
		}
		file_put(f);
		return r;
	}
	r = vfs_resolve(dirfd, kpath,
			flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW, &nd,
			&base);
	if (r < 0)
		return r;
	if (nd.fs == FS_HOST) {
		r = host_statx(nd.host_dirfd, nd.host_path,
			       flags & ~AT_EMPTY_PATH, mask,
			       user_host_ptr(ustx, sizeof(*ustx), true));
	} else {
		r = vfs_statx(&nd, flags, mask, &stx);
		if (r == 0)
			r = copy_to_user(ustx, &stx, sizeof(stx));
	}
	file_put(base);
	return r;
}

/* statfs of the tree a path is in: the host answers for all three */
static long statfs_path(struct nameidata *nd, struct statfs __user *ubuf)
{
	const char *hp = nd->fs == FS_PROC  ? "/proc"
			 : nd->fs == FS_DEV ? "/dev"
					    : nd->host_path;
	int dirfd = nd->fs == FS_HOST ? nd->host_dirfd : AT_FDCWD;
	long fd = host_openat(dirfd, hp, O_PATH | O_CLOEXEC, 0);
	long r;

	if (fd < 0)
		return fd;
	r = host_syscall2(SYS_fstatfs, fd,
			  user_host_ptr(ubuf, sizeof(struct statfs), true));
	host_close((int)fd);
	return r;
}

SYSCALL_DEFINE2(statfs, const char __user *, path, struct statfs __user *, buf)
{
	char kpath[PATH_MAX];
	struct nameidata nd;
	struct file *base;
	long r = vfs_resolve_user(AT_FDCWD, path, LOOKUP_FOLLOW, &nd, &base,
				  kpath);

	if (r < 0)
		return r;
	r = statfs_path(&nd, buf);
	file_put(base);
	return r;
}

SYSCALL_DEFINE2(fstatfs, int, fd, struct statfs __user *, buf)
{
	struct file *f = fdtab_get(current_proc()->fdt, fd);
	struct nameidata nd;
	long r;

	if (!f)
		return -EBADF;
	if (f->host_fd >= 0) {
		r = host_syscall2(SYS_fstatfs, f->host_fd,
				  user_host_ptr(buf, sizeof(struct statfs),
						true));
	} else {
		nd.fs = f->fs == FS_DEV ? FS_DEV : FS_PROC;
		r = statfs_path(&nd, buf);
	}
	file_put(f);
	return r;
}

static long do_readlinkat(int dirfd, const char __user *upath,
			  char __user *ubuf, int n)
{
	char kpath[PATH_MAX], kbuf[PATH_MAX];
	struct nameidata nd;
	struct file *base;
	long r;

	if (n <= 0)
		return -EINVAL;
	r = vfs_resolve_user(dirfd, upath, 0, &nd, &base, kpath);
	if (r < 0)
		return r;
	if (nd.fs == FS_HOST) {
		void *b = ubuf;
		size_t len = user_host_buf(&b, (size_t)n, true);

		r = host_readlinkat(nd.host_dirfd, nd.host_path, b, len);
	} else {
		r = vfs_readlink(&nd, kbuf,
				 (size_t)n < sizeof(kbuf) ? (size_t)n
							  : sizeof(kbuf));
		if (r > 0 && copy_to_user(ubuf, kbuf, (size_t)r))
			r = -EFAULT;
	}
	file_put(base);
	return r;
}

SYSCALL_DEFINE3(readlink, const char __user *, path, char __user *, buf, int, n)
{
	return do_readlinkat(AT_FDCWD, path, buf, n);
}

SYSCALL_DEFINE4(readlinkat, int, dirfd, const char __user *, path,
		char __user *, buf, int, n)
{
	return do_readlinkat(dirfd, path, buf, n);
}

static long do_faccessat(int dirfd, const char __user *upath, int mode,
			 int flags)
{
	char kpath[PATH_MAX];
	struct nameidata nd;
	struct file *base;
	long r;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH))
		return -EINVAL;
	r = vfs_resolve_user(dirfd, upath,
			     flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW,
			     &nd, &base, kpath);
	if (r < 0)
		return r;
	r = vfs_access(&nd, mode, flags);
	file_put(base);
	return r;
}

SYSCALL_DEFINE2(access, const char __user *, path, int, mode)
{
	return do_faccessat(AT_FDCWD, path, mode, 0);
}

SYSCALL_DEFINE3(faccessat, int, dirfd, const char __user *, path, int, mode)
{
	return do_faccessat(dirfd, path, mode, 0);
}

SYSCALL_DEFINE4(faccessat2, int, dirfd, const char __user *, path, int, mode,
		int, flags)
{
	return do_faccessat(dirfd, path, mode, flags);
}
