/* vfs.c - path resolution across hostfs, procfs and devfs */
#include <errno.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/host.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "mm/usercopy.h"

/*
 * Mounts are found lexically: the path is made absolute against the base
 * directory's path and normalized; at or below /proc is procfs, a node of
 * ours under /dev is devfs, anything else goes to the host. For the host
 * we pass the guest's own path relative to the base directory's host fd,
 * so ".." and symlinks resolve physically, as Linux does. (A host symlink
 * into /proc or /dev reaches the host's own files, not ours.)
 */
int vfs_classify(struct nameidata *nd, unsigned lookup, int depth)
{
	nd->rel = NULL;
	if (path_under(nd->abs, "/proc")) {
		nd->fs = FS_PROC;
		nd->rel = nd->abs + 5;
		return procfs_magic(nd, lookup, depth);
	}
	if (path_under(nd->abs, "/dev") && devfs_owns(nd->abs + 4)) {
		nd->fs = FS_DEV;
		nd->rel = nd->abs + 4;
		return 0;
	}
	nd->fs = FS_HOST;
	nd->host_dirfd = AT_FDCWD;
	nd->host_path = nd->abs;
	return 0;
}

int vfs_resolve(int dirfd, const char *path, unsigned lookup,
		struct nameidata *nd, struct file **base)
{
	struct proc *p = current_proc();
	struct file *bf = NULL;
	const char *basepath = "/";
	int r;

	*base = NULL;
	if (!path[0])
		return -ENOENT;
	nd->host_dirfd = AT_FDCWD;
	nd->host_path = path;
	if (path[0] != '/') {
		if (dirfd == AT_FDCWD) {
			bf = file_get(p->fs.cwd);
			basepath = p->fs.cwd_path;
		} else {
			bf = fdtab_get(p->fdt, dirfd);
			if (!bf)
				return -EBADF;
			if (!bf->path) {
				file_put(bf);
				return -ENOTDIR;
			}
			basepath = bf->path;
		}
		if (bf->fs == FS_HOST)
			nd->host_dirfd = bf->host_fd;
	}
	r = path_normalize(basepath, path, nd->abs, sizeof(nd->abs));
	if (r < 0) {
		file_put(bf);
		return r;
	}
	nd->rel = NULL;
	if (path_under(nd->abs, "/proc")) {
		nd->fs = FS_PROC;
		nd->rel = nd->abs + 5;
		r = procfs_magic(nd, lookup, 0);
		if (r < 0) {
			file_put(bf);
			return r;
		}
	} else if (path_under(nd->abs, "/dev") && devfs_owns(nd->abs + 4)) {
		nd->fs = FS_DEV;
		nd->rel = nd->abs + 4;
	} else {
		nd->fs = FS_HOST;
		if (bf && bf->fs != FS_HOST) {
			/* left one of our trees through "..": absolute */
			nd->host_dirfd = AT_FDCWD;
			nd->host_path = nd->abs;
		}
	}
	*base = bf;
	return 0;
}

int vfs_resolve_user(int dirfd, const char *upath, unsigned lookup,
		     struct nameidata *nd, struct file **base, char *kpath)
{
	long r = strncpy_from_user(kpath, upath, PATH_MAX);

	*base = NULL;
	if (r < 0)
		return (int)r;
	return vfs_resolve(dirfd, kpath, lookup, nd, base);
}

long vfs_open(struct nameidata *nd, int flags, unsigned mode, struct file **out)
{
	struct proc *p = current_proc();
	struct file *f;
	long fd;

	switch (nd->fs) {
	case FS_PROC:
		return procfs_open(nd, flags, out);
	case FS_DEV:
		return devfs_open(nd, flags, out);
	default:
		break;
	}
	/*
	 * Host fds are close-on-exec on the host side always (we never exec
	 * there); the guest's O_CLOEXEC is a flag of its fd. The guest's
	 * umask is applied here: the host's is 0.
	 */
	if (flags & (O_CREAT | __O_TMPFILE))
		mode &= ~p->fs.umask & 07777;
	fd = host_openat(nd->host_dirfd, nd->host_path,
			 (flags & ~O_ASYNC) | O_CLOEXEC, (int)mode);
	if (fd < 0)
		return fd;
	f = hostfs_wrap((int)fd,
			(unsigned)flags &
				~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC |
				  O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY),
			nd->abs);
	if (!f) {
		host_close((int)fd);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

long vfs_stat(struct nameidata *nd, int atflags, struct stat *kst)
{
	bool follow = !(atflags & AT_SYMLINK_NOFOLLOW);

	switch (nd->fs) {
	case FS_PROC:
		return procfs_stat(nd, follow, kst);
	case FS_DEV:
		return devfs_stat(nd, follow, kst);
	default:
		return host_newfstatat(
			nd->host_dirfd, nd->host_path, kst,
			atflags & (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT));
	}
}

/* statx from a struct stat, for our own trees */
static void statx_from_stat(const struct stat *st, struct statx *x)
{
	memset(x, 0, sizeof(*x));
	x->stx_mask = STATX_BASIC_STATS;
	x->stx_blksize = (uint32_t)st->st_blksize;
	x->stx_nlink = (uint32_t)st->st_nlink;
	x->stx_uid = st->st_uid;
	x->stx_gid = st->st_gid;
	x->stx_mode = (uint16_t)st->st_mode;
	x->stx_ino = st->st_ino;
	x->stx_size = (uint64_t)st->st_size;
	x->stx_blocks = (uint64_t)st->st_blocks;
	x->stx_atime.tv_sec = st->st_atim.tv_sec;
	x->stx_atime.tv_nsec = (uint32_t)st->st_atim.tv_nsec;
	x->stx_mtime.tv_sec = st->st_mtim.tv_sec;
	x->stx_mtime.tv_nsec = (uint32_t)st->st_mtim.tv_nsec;
	x->stx_ctime.tv_sec = st->st_ctim.tv_sec;
	x->stx_ctime.tv_nsec = (uint32_t)st->st_ctim.tv_nsec;
	x->stx_rdev_major = major(st->st_rdev);
	x->stx_rdev_minor = minor(st->st_rdev);
	x->stx_dev_major = major(st->st_dev);
	x->stx_dev_minor = minor(st->st_dev);
}

long vfs_statx(struct nameidata *nd, int atflags, unsigned mask,
	       struct statx *kstx)
{
	struct stat st;
	long r;

	if (nd->fs == FS_HOST)
		return host_statx(nd->host_dirfd, nd->host_path,
				  atflags & (AT_SYMLINK_NOFOLLOW |
					     AT_NO_AUTOMOUNT |
					     AT_STATX_SYNC_TYPE),
				  mask, kstx);
	r = vfs_stat(nd, atflags, &st);
	if (r < 0)
		return r;
	statx_from_stat(&st, kstx);
	return 0;
}

long vfs_readlink(struct nameidata *nd, char *kbuf, size_t n)
{
	switch (nd->fs) {
	case FS_PROC:
		return procfs_readlink(nd, kbuf, n);
	case FS_DEV:
		return devfs_readlink(nd, kbuf, n);
	default:
		return host_readlinkat(nd->host_dirfd, nd->host_path, kbuf, n);
	}
}

long vfs_access(struct nameidata *nd, int mode, int atflags)
{
	struct stat st;
	long r;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (nd->fs == FS_HOST)
		return host_syscall4(
			SYS_faccessat2, nd->host_dirfd, nd->host_path, mode,
			atflags & (AT_SYMLINK_NOFOLLOW | AT_EACCESS));
	r = vfs_stat(nd, atflags & AT_SYMLINK_NOFOLLOW, &st);
	if (r < 0)
		return r;
	/* our trees: write only where the mode says so; exec never */
	if ((mode & W_OK) && !(st.st_mode & 0222))
		return -EACCES;
	if ((mode & X_OK) && !S_ISDIR(st.st_mode) && !(st.st_mode & 0111))
		return -EACCES;
	return 0;
}
