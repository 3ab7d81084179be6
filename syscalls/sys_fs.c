/* sys_fs.c - operations on paths: cwd, mkdir, unlink, rename, links, modes */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#include "base/fmt.h"
#include "base/kmalloc.h"
#include "base/host.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

/*
 * A resolved guest path plus the storage it points into. Operations that
 * change the tree only exist on the host's: our /proc and /dev refuse.
 */
struct upath {
	char k[PATH_MAX];
	struct nameidata nd;
	struct file *base;
};

static long upath_get(struct upath *u, int dirfd, const char __user *p,
		      unsigned lookup)
{
	return vfs_resolve_user(dirfd, p, lookup, &u->nd, &u->base, u->k);
}

static void upath_put(struct upath *u)
{
	file_put(u->base);
}

/* what Linux answers for a change to one of our synthesized trees */
static long ours_refuse(struct upath *u, bool creating)
{
	struct stat st;

	if (creating && vfs_stat(&u->nd, AT_SYMLINK_NOFOLLOW, &st) == 0)
		return -EEXIST;
	return -EACCES;
}

SYSCALL_DEFINE2(getcwd, char __user *, buf, size_t, size)
{
	struct proc *p = current_proc();
	size_t len = strlen(p->fs.cwd_path) + 1;

	if (len > size)
		return -ERANGE;
	if (copy_to_user(buf, p->fs.cwd_path, len))
		return -EFAULT;
	return (long)len;
}

/* make @f (a directory) the cwd; @path is its absolute path */
static long set_cwd(struct file *f, const char *path)
{
	struct proc *p = current_proc();
	char phys[PATH_MAX];
	struct file *old;

	/* the host knows the physical path (symlinks resolved) */
	if (f->host_fd < 0 || file_dpath(f, phys, sizeof(phys)) < 0 ||
	    phys[0] != '/')
		ksnprintf(phys, sizeof(phys), "%s", path);
	old = p->fs.cwd;
	p->fs.cwd = f;
	ksnprintf(p->fs.cwd_path, sizeof(p->fs.cwd_path), "%s", phys);
	file_put(old);
	return 0;
}

static long chdir_to(struct upath *u)
{
	struct file *f;
	long r;

	if (u->nd.fs == FS_DEV)
		return -ENOTDIR;
	if (u->nd.fs == FS_PROC) {
		r = vfs_open(&u->nd, O_RDONLY | O_DIRECTORY, 0, &f);
		if (r < 0)
			return r;
		return set_cwd(f, u->nd.abs);
	}
	r = host_openat(u->nd.host_dirfd, u->nd.host_path,
			O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (r < 0)
		return r;
	/* then search permission, in Linux's order (ENOTDIR first) */
	{
		long a = host_syscall4(SYS_faccessat2, (int)r, "", X_OK,
				       AT_EMPTY_PATH);

		if (a < 0) {
			host_close((int)r);
			return a;
		}
	}
	f = hostfs_wrap((int)r, O_PATH, u->nd.abs);
	if (!f) {
		host_close((int)r);
		return -ENOMEM;
	}
	return set_cwd(f, u->nd.abs);
}

SYSCALL_DEFINE1(chdir, const char __user *, path)
{
	struct upath u;
	long r = upath_get(&u, AT_FDCWD, path, LOOKUP_FOLLOW);

	if (r < 0)
		return r;
	r = chdir_to(&u);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE1(fchdir, int, fd)
{
	struct file *f = fdtab_get(current_proc()->fdt, fd);
	struct stat st;
	long r;

	if (!f)
		return -EBADF;
	if (f->host_fd >= 0)
		r = host_fstat(f->host_fd, &st);
	else
		r = f->ops->fstat ? f->ops->fstat(f, &st) : -ENOTDIR;
	if (r == 0 && !S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	if (r < 0) {
		file_put(f);
		return r;
	}
	return set_cwd(f, f->path ? f->path : "/");
}

SYSCALL_DEFINE1(chroot, const char __user *, path)
{
	(void)path;
	return -EPERM; /* one root per instance (README) */
}

static long do_mkdirat(int dirfd, const char __user *path, unsigned mode)
{
	struct upath u;
	long r = upath_get(&u, dirfd, path, 0);

	if (r < 0)
		return r;
	if (u.nd.fs != FS_HOST)
		r = ours_refuse(&u, true);
	else
		r = host_syscall3(SYS_mkdirat, u.nd.host_dirfd, u.nd.host_path,
				  mode & ~current_proc()->fs.umask & 07777);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE2(mkdir, const char __user *, path, unsigned, mode)
{
	return do_mkdirat(AT_FDCWD, path, mode);
}

SYSCALL_DEFINE3(mkdirat, int, dirfd, const char __user *, path, unsigned, mode)
{
	return do_mkdirat(dirfd, path, mode);
}

static long do_mknodat(int dirfd, const char __user *path, unsigned mode,
		       unsigned dev)
{
	struct upath u;
	long r;

	switch (mode & S_IFMT) {
	case 0:
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFCHR:
	case S_IFBLK:
		/* device nodes would be the host's devices (README) */
		return -EPERM;
	default:
		return -EINVAL;
	}
	r = upath_get(&u, dirfd, path, 0);
	if (r < 0)
		return r;
	if (u.nd.fs != FS_HOST)
		r = ours_refuse(&u, true);
	else
		r = host_syscall4(
			SYS_mknodat, u.nd.host_dirfd, u.nd.host_path,
			(mode & S_IFMT) |
				(mode & ~current_proc()->fs.umask & 07777),
			dev);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE3(mknod, const char __user *, path, unsigned, mode, unsigned, dev)
{
	return do_mknodat(AT_FDCWD, path, mode, dev);
}

SYSCALL_DEFINE4(mknodat, int, dirfd, const char __user *, path, unsigned, mode,
		unsigned, dev)
{
	return do_mknodat(dirfd, path, mode, dev);
}

static long do_unlinkat(int dirfd, const char __user *path, int flags)
{
	struct upath u;
	long r;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	r = upath_get(&u, dirfd, path, 0);
	if (r < 0)
		return r;
	if (u.nd.fs != FS_HOST)
		r = ours_refuse(&u, false);
	else
		r = host_syscall3(SYS_unlinkat, u.nd.host_dirfd, u.nd.host_path,
				  flags);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE1(unlink, const char __user *, path)
{
	return do_unlinkat(AT_FDCWD, path, 0);
}

SYSCALL_DEFINE1(rmdir, const char __user *, path)
{
	return do_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

SYSCALL_DEFINE3(unlinkat, int, dirfd, const char __user *, path, int, flags)
{
	return do_unlinkat(dirfd, path, flags);
}

/* two paths: both must be the host's (else EXDEV, like across mounts) */
static long two_paths(int d1, const char __user *p1, int d2,
		      const char __user *p2, struct upath *a, struct upath *b,
		      unsigned lookup1)
{
	long r = upath_get(a, d1, p1, lookup1);

	if (r < 0)
		return r;
	r = upath_get(b, d2, p2, 0);
	if (r < 0) {
		upath_put(a);
		return r;
	}
	if (a->nd.fs != FS_HOST || b->nd.fs != FS_HOST) {
		r = a->nd.fs == b->nd.fs ? -EACCES : -EXDEV;
		upath_put(a);
		upath_put(b);
		return r;
	}
	return 0;
}

static long do_renameat2(int od, const char __user *op, int nd,
			 const char __user *np, unsigned flags)
{
	struct upath *a, *b;
	long r;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	/* two PATH_MAX buffers each: keep them off the kernel stack */
	a = kmalloc(sizeof(*a) * 2);
	if (!a)
		return -ENOMEM;
	b = a + 1;
	r = two_paths(od, op, nd, np, a, b, 0);
	if (r == 0) {
		r = host_syscall5(SYS_renameat2, a->nd.host_dirfd,
				  a->nd.host_path, b->nd.host_dirfd,
				  b->nd.host_path, flags);
		upath_put(a);
		upath_put(b);
	}
	kfree(a);
	return r;
}

SYSCALL_DEFINE2(rename, const char __user *, old, const char __user *, new)
{
	return do_renameat2(AT_FDCWD, old, AT_FDCWD, new, 0);
}

SYSCALL_DEFINE4(renameat, int, od, const char __user *, old, int, nd,
		const char __user *, new)
{
	return do_renameat2(od, old, nd, new, 0);
}

SYSCALL_DEFINE5(renameat2, int, od, const char __user *, old, int, nd,
		const char __user *, new, unsigned, flags)
{
	return do_renameat2(od, old, nd, new, flags);
}

static long do_linkat(int od, const char __user *op, int nd,
		      const char __user *np, int flags)
{
	struct upath *a, *b;
	long r;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (flags & AT_EMPTY_PATH)
		return -ENOENT; /* linking an open file: not supported */
	a = kmalloc(sizeof(*a) * 2);
	if (!a)
		return -ENOMEM;
	b = a + 1;
	r = two_paths(od, op, nd, np, a, b,
		      flags & AT_SYMLINK_FOLLOW ? LOOKUP_FOLLOW : 0);
	if (r == 0) {
		r = host_syscall5(SYS_linkat, a->nd.host_dirfd, a->nd.host_path,
				  b->nd.host_dirfd, b->nd.host_path, flags);
		upath_put(a);
		upath_put(b);
	}
	kfree(a);
	return r;
}

SYSCALL_DEFINE2(link, const char __user *, old, const char __user *, new)
{
	return do_linkat(AT_FDCWD, old, AT_FDCWD, new, 0);
}

SYSCALL_DEFINE5(linkat, int, od, const char __user *, old, int, nd,
		const char __user *, new, int, flags)
{
	return do_linkat(od, old, nd, new, flags);
}

static long do_symlinkat(const char __user *utarget, int dirfd,
			 const char __user *path)
{
	char target[PATH_MAX];
	struct upath u;
	long r = strncpy_from_user(target, utarget, sizeof(target));

	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	r = upath_get(&u, dirfd, path, 0);
	if (r < 0)
		return r;
	if (u.nd.fs != FS_HOST)
		r = ours_refuse(&u, true);
	else
		r = host_syscall3(SYS_symlinkat, target, u.nd.host_dirfd,
				  u.nd.host_path);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE2(symlink, const char __user *, target, const char __user *, path)
{
	return do_symlinkat(target, AT_FDCWD, path);
}

SYSCALL_DEFINE3(symlinkat, const char __user *, target, int, dirfd,
		const char __user *, path)
{
	return do_symlinkat(target, dirfd, path);
}

static long do_fchmodat(int dirfd, const char __user *path, unsigned mode,
			int flags)
{
	struct upath u;
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = upath_get(&u, dirfd, path,
		      flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW);
	if (r < 0)
		return r;
	if (u.nd.fs != FS_HOST)
		r = -EPERM;
	else if (flags)
		r = host_syscall4(452 /* fchmodat2 */, u.nd.host_dirfd,
				  u.nd.host_path, mode, flags);
	else
		r = host_syscall3(SYS_fchmodat, u.nd.host_dirfd, u.nd.host_path,
				  mode);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE2(chmod, const char __user *, path, unsigned, mode)
{
	return do_fchmodat(AT_FDCWD, path, mode, 0);
}

SYSCALL_DEFINE3(fchmodat, int, dirfd, const char __user *, path, unsigned, mode)
{
	return do_fchmodat(dirfd, path, mode, 0);
}

SYSCALL_DEFINE4(fchmodat2, int, dirfd, const char __user *, path, unsigned,
		mode, int, flags)
{
	return do_fchmodat(dirfd, path, mode, flags);
}

SYSCALL_DEFINE2(fchmod, int, fd, unsigned, mode)
{
	struct file *f = fdtab_get(current_proc()->fdt, fd);
	long r;

	if (!f)
		return -EBADF;
	r = f->host_fd >= 0 ? host_syscall2(SYS_fchmod, f->host_fd, mode)
			    : -EPERM;
	file_put(f);
	return r;
}

static long do_fchownat(int dirfd, const char __user *path, unsigned uid,
			unsigned gid, int flags)
{
	struct upath u;
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = upath_get(&u, dirfd, path,
		      flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW);
	if (r < 0)
		return r;
	if (u.nd.fs != FS_HOST)
		r = -EPERM;
	else
		r = host_syscall5(SYS_fchownat, u.nd.host_dirfd, u.nd.host_path,
				  uid, gid, flags & AT_SYMLINK_NOFOLLOW);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE3(chown, const char __user *, path, unsigned, uid, unsigned, gid)
{
	return do_fchownat(AT_FDCWD, path, uid, gid, 0);
}

SYSCALL_DEFINE3(lchown, const char __user *, path, unsigned, uid, unsigned, gid)
{
	return do_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

SYSCALL_DEFINE5(fchownat, int, dirfd, const char __user *, path, unsigned, uid,
		unsigned, gid, int, flags)
{
	return do_fchownat(dirfd, path, uid, gid, flags);
}

SYSCALL_DEFINE3(fchown, int, fd, unsigned, uid, unsigned, gid)
{
	struct file *f = fdtab_get(current_proc()->fdt, fd);
	long r;

	if (!f)
		return -EBADF;
	r = f->host_fd >= 0 ? host_syscall3(SYS_fchown, f->host_fd, uid, gid)
			    : -EPERM;
	file_put(f);
	return r;
}

SYSCALL_DEFINE1(umask, unsigned, mask)
{
	struct proc *p = current_proc();
	unsigned old = p->fs.umask;

	p->fs.umask = mask & 0777;
	return old;
}

/* times: a kernel copy of two timespecs, or NULL for "now" */
static long do_utimensat(int dirfd, const char __user *path,
			 const struct timespec *kts, int flags)
{
	struct upath u;
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!path) {
		/* futimens(): the file @dirfd itself */
		struct file *f = fdtab_get(current_proc()->fdt, dirfd);

		if (!f)
			return -EBADF;
		r = f->host_fd >= 0 ? host_syscall4(SYS_utimensat, f->host_fd,
						    NULL, kts, 0)
				    : -EPERM;
		file_put(f);
		return r;
	}
	r = upath_get(&u, dirfd, path,
		      flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW);
	if (r < 0)
		return r;
	if (u.nd.fs != FS_HOST)
		r = -EPERM;
	else
		r = host_syscall4(SYS_utimensat, u.nd.host_dirfd,
				  u.nd.host_path, kts,
				  flags & AT_SYMLINK_NOFOLLOW);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE4(utimensat, int, dirfd, const char __user *, path,
		const struct timespec __user *, uts, int, flags)
{
	struct timespec ts[2];

	if (uts && copy_from_user(ts, uts, sizeof(ts)))
		return -EFAULT;
	return do_utimensat(dirfd, path, uts ? ts : NULL, flags);
}

static long tv_to_ts(const struct timeval __user *utv, struct timespec ts[2])
{
	struct timeval tv[2];

	if (copy_from_user(tv, utv, sizeof(tv)))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return 0;
}

/* futimesat(2) and utimes(2): timevals instead of timespecs */
static long do_futimesat(int dirfd, const char __user *path,
			 const struct timeval __user *utv)
{
	struct timespec ts[2];
	long r;

	if (utv) {
		r = tv_to_ts(utv, ts);
		if (r < 0)
			return r;
	}
	return do_utimensat(dirfd, path, utv ? ts : NULL, 0);
}

SYSCALL_DEFINE3(futimesat, int, dirfd, const char __user *, path,
		const struct timeval __user *, utv)
{
	return do_futimesat(dirfd, path, utv);
}

SYSCALL_DEFINE2(utimes, const char __user *, path,
		const struct timeval __user *, utv)
{
	return do_futimesat(AT_FDCWD, path, utv);
}

SYSCALL_DEFINE2(utime, const char __user *, path, const struct utimbuf __user *,
		ubuf)
{
	struct utimbuf b;
	struct timespec ts[2];

	if (ubuf) {
		if (copy_from_user(&b, ubuf, sizeof(b)))
			return -EFAULT;
		ts[0].tv_sec = b.actime;
		ts[0].tv_nsec = 0;
		ts[1].tv_sec = b.modtime;
		ts[1].tv_nsec = 0;
	}
	return do_utimensat(AT_FDCWD, path, ubuf ? ts : NULL, 0);
}

/* ---- extended attributes: the host's, by absolute path ---- */

static long xattr_path(const char __user *path, struct upath *u, bool follow)
{
	long r = upath_get(u, AT_FDCWD, path, follow ? LOOKUP_FOLLOW : 0);

	if (r < 0)
		return r;
	if (u->nd.fs != FS_HOST) {
		upath_put(u);
		return -EOPNOTSUPP;
	}
	return 0;
}

static long do_getxattr(const char __user *path, const char __user *uname,
			void __user *val, size_t size, bool follow)
{
	char name[256];
	struct upath u;
	long r = strncpy_from_user(name, uname, sizeof(name));

	if (r < 0)
		return r == -ENAMETOOLONG ? -ERANGE : r;
	r = xattr_path(path, &u, follow);
	if (r < 0)
		return r;
	/* the lexical path: the host call has no *at form (README) */
	r = host_syscall4(follow ? SYS_getxattr : SYS_lgetxattr, u.nd.abs, name,
			  size ? user_host_ptr(val, size, true) : val, size);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE4(getxattr, const char __user *, path, const char __user *, name,
		void __user *, val, size_t, size)
{
	return do_getxattr(path, name, val, size, true);
}

SYSCALL_DEFINE4(lgetxattr, const char __user *, path, const char __user *, name,
		void __user *, val, size_t, size)
{
	return do_getxattr(path, name, val, size, false);
}

/*
 * f*xattr: the host's call on the file's host fd, with the attribute
 * name (when @uname is set) copied in; our own files have none.
 */
static long fd_xattr(int nr, int fd, const char __user *uname, long a2, long a3,
		     long a4)
{
	struct file *f = fdtab_get(current_proc()->fdt, fd);
	char name[256];
	long r = 0;

	if (!f)
		return -EBADF;
	if (nr == SYS_fsetxattr && (a4 & ~(long)(XATTR_CREATE | XATTR_REPLACE))) {
		file_put(f);
		return -EINVAL; /* Linux checks the flags first */
	}
	if (a3 > 0) /* the host reads or writes a3 bytes at a2 */
		a2 = (long)user_host_ptr((void *)a2, (size_t)a3,
					 nr != SYS_fsetxattr);
	if (uname)
		r = strncpy_from_user(name, uname, sizeof(name));
	if (r == -ENAMETOOLONG)
		r = -ERANGE;
	if (r >= 0 && f->host_fd < 0)
		r = nr == SYS_flistxattr ? 0 : -EOPNOTSUPP;
	else if (r >= 0 && uname)
		r = host_syscall5(nr, f->host_fd, name, a2, a3, a4);
	else if (r >= 0)
		r = host_syscall3(nr, f->host_fd, a2, a3);
	file_put(f);
	return r;
}

SYSCALL_DEFINE4(fgetxattr, int, fd, const char __user *, uname, void __user *,
		val, size_t, size)
{
	return fd_xattr(SYS_fgetxattr, fd, uname, (long)val, (long)size, 0);
}

static long do_listxattr(const char __user *path, char __user *list,
			 size_t size, bool follow)
{
	struct upath u;
	long r = xattr_path(path, &u, follow);

	if (r < 0)
		return r;
	r = host_syscall3(follow ? SYS_listxattr : SYS_llistxattr, u.nd.abs,
			  size ? user_host_ptr(list, size, true) : list, size);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE3(listxattr, const char __user *, path, char __user *, list,
		size_t, size)
{
	return do_listxattr(path, list, size, true);
}

SYSCALL_DEFINE3(llistxattr, const char __user *, path, char __user *, list,
		size_t, size)
{
	return do_listxattr(path, list, size, false);
}

SYSCALL_DEFINE3(flistxattr, int, fd, char __user *, list, size_t, size)
{
	return fd_xattr(SYS_flistxattr, fd, NULL, (long)list, (long)size, 0);
}

static long do_setxattr(const char __user *path, const char __user *uname,
			const void __user *val, size_t size, int flags,
			bool follow)
{
	char name[256];
	struct upath u;
	long r;

	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL; /* Linux checks the flags first */
	r = strncpy_from_user(name, uname, sizeof(name));
	if (r < 0)
		return r == -ENAMETOOLONG ? -ERANGE : r;
	r = xattr_path(path, &u, follow);
	if (r < 0)
		return r;
	r = host_syscall5(follow ? SYS_setxattr : SYS_lsetxattr, u.nd.abs, name,
			  size ? user_host_ptr(val, size, false) : val, size,
			  flags);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE5(setxattr, const char __user *, path, const char __user *, name,
		const void __user *, val, size_t, size, int, flags)
{
	return do_setxattr(path, name, val, size, flags, true);
}

SYSCALL_DEFINE5(lsetxattr, const char __user *, path, const char __user *, name,
		const void __user *, val, size_t, size, int, flags)
{
	return do_setxattr(path, name, val, size, flags, false);
}

SYSCALL_DEFINE5(fsetxattr, int, fd, const char __user *, uname,
		const void __user *, val, size_t, size, int, flags)
{
	return fd_xattr(SYS_fsetxattr, fd, uname, (long)val, (long)size, flags);
}

static long do_removexattr(const char __user *path, const char __user *uname,
			   bool follow)
{
	char name[256];
	struct upath u;
	long r = strncpy_from_user(name, uname, sizeof(name));

	if (r < 0)
		return r == -ENAMETOOLONG ? -ERANGE : r;
	r = xattr_path(path, &u, follow);
	if (r < 0)
		return r;
	r = host_syscall2(follow ? SYS_removexattr : SYS_lremovexattr, u.nd.abs,
			  name);
	upath_put(&u);
	return r;
}

SYSCALL_DEFINE2(removexattr, const char __user *, path, const char __user *,
		name)
{
	return do_removexattr(path, name, true);
}

SYSCALL_DEFINE2(lremovexattr, const char __user *, path, const char __user *,
		name)
{
	return do_removexattr(path, name, false);
}

SYSCALL_DEFINE2(fremovexattr, int, fd, const char __user *, uname)
{
	return fd_xattr(SYS_fremovexattr, fd, uname, 0, 0, 0);
}
