/* vfs.h - open files, their operations, and path resolution */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "base/list.h"
#include "base/spinlock.h"

struct proc;
struct file;
struct statx;
struct poll_table;

/* which file system a path or file belongs to */
enum fs_kind {
	FS_HOST, /* the host's tree, read-write passthrough */
	FS_PROC, /* /proc, synthesized */
	FS_DEV, /* our device nodes under /dev */
	FS_ANON, /* no path: pipes, eventfds, ... */
};

/*
 * Operations of an open file. A missing op means the call is not valid
 * for the file (EINVAL, or ESPIPE / ENOTTY / ENOTDIR as Linux says).
 * Buffers are guest pointers unless named k*.
 *
 * read, write, lseek and the iovec ops are on the syscall fast path: they
 * must not call glibc (no vector registers, DESIGN.md rule 2).
 */
struct file_ops {
	/* @off < 0: at and advancing the file position */
	long (*read)(struct file *f, void *buf, size_t n, off_t off);
	long (*write)(struct file *f, const void *buf, size_t n, off_t off);
	/* @uiov is the guest's iovec array (not yet copied) */
	long (*readv)(struct file *f, const struct iovec *uiov, int cnt,
		      off_t off, int flags);
	long (*writev)(struct file *f, const struct iovec *uiov, int cnt,
		       off_t off, int flags);
	long (*lseek)(struct file *f, off_t off, int whence);
	long (*getdents64)(struct file *f, void *buf, size_t n);
	long (*fstat)(struct file *f, struct stat *kst);
	long (*ioctl)(struct file *f, unsigned long req, unsigned long arg);
	long (*fsync)(struct file *f, bool datasync);
	long (*ftruncate)(struct file *f, off_t len);
	/* change O_APPEND / O_NONBLOCK / O_DIRECT / O_NOATIME / O_ASYNC */
	long (*setfl)(struct file *f, unsigned flags);
	/* path for /proc/<pid>/fd/N into @buf; length or -errno */
	long (*dpath)(struct file *f, char *buf, size_t n);
	/* readiness (POLL* bits); registers through @pt (kernel/poll.h) */
	unsigned (*poll)(struct file *f, struct poll_table *pt);
	void (*release)(struct file *f);
};

/* struct file.flags beyond the O_* bits we keep */
#define FILE_DIR 0x1 /* a directory we list (getdents64 works) */
#define FILE_HOST_TYPED 0x2 /* host fd: its type is known */
#define FILE_HOST_STREAM 0x4 /* host fd that can block: tty, pipe, socket */

struct file {
	const struct file_ops *ops;
	int refs;
	enum fs_kind fs;
	unsigned oflags; /* O_ACCMODE and status flags (F_GETFL) */
	unsigned fflags; /* FILE_* */
	int host_fd; /* -1 when there is none */
	struct spinlock lock; /* protects pos */
	off_t pos; /* for files we synthesize */
	char *path; /* absolute path at open (not for FS_ANON) */
	void *priv;
	void *priv2; /* a second slot (hostfs: stream state) */
	struct list_node ep_items; /* epoll items watching it (epoll.c) */
};

/* file.c */

/* a new file with one reference; @path is copied (may be NULL) */
struct file *file_alloc(const struct file_ops *ops, enum fs_kind fs,
			unsigned oflags, int host_fd, const char *path);
struct file *file_get(struct file *f);
void file_put(struct file *f);

/* fstat of an anon_inode file (epoll, eventfd, timerfd) */
long anon_inode_fstat(struct file *f, struct stat *st);

/* path of @f for /proc/<pid>/fd and /proc/<pid>/cwd */
long file_dpath(struct file *f, char *buf, size_t n);

/* generic ops for files backed by a synthesized buffer */
struct membuf {
	char *data;
	size_t len;
};
long membuf_read(struct file *f, void *buf, size_t n, off_t off);
long membuf_lseek(struct file *f, off_t off, int whence);
void membuf_release(struct file *f);

/* fdtab.c */

struct fdtab {
	struct spinlock lock; /* protects everything below */
	int refs; /* threads sharing it (CLONE_FILES) */
	unsigned cap;
	struct file **files;
	unsigned char *cloexec;
};

struct fdtab *fdtab_new(void);
struct fdtab *fdtab_dup(struct fdtab *t); /* fork: copy; -ENOMEM: NULL */
void fdtab_put(struct fdtab *t);

/*
 * fdtab_install - put @f at the lowest free fd >= @minfd below @limit
 * (RLIMIT_NOFILE). Takes the reference passed in. Returns fd or -EMFILE.
 */
int fdtab_install(struct fdtab *t, struct file *f, int minfd, bool cloexec,
		  unsigned limit);

/* install at exactly @fd, closing what was there (dup2/dup3) */
int fdtab_install_at(struct fdtab *t, struct file *f, int fd, bool cloexec,
		     unsigned limit);

/* a new reference to the file at @fd, or NULL */
struct file *fdtab_get(struct fdtab *t, int fd);

/*
 * fdget/fdput - the file at @fd for the duration of one syscall. If the
 * table is the caller's alone and its process has one thread, nobody can
 * close the fd meanwhile, so no lock or reference is taken (Linux's fdget
 * does the same); otherwise a reference. Always pair with fdput.
 */
struct fd {
	struct file *file;
	bool borrowed;
};

struct fd fdget(struct fdtab *t, int fd, bool sole_user);

static inline void fdput(struct fd f)
{
	if (f.file && !f.borrowed)
		file_put(f.file);
}

int fdtab_close(struct fdtab *t, int fd);
int fdtab_close_range(struct fdtab *t, unsigned lo, unsigned hi,
		      bool cloexec_only);
void fdtab_close_on_exec(struct fdtab *t);
int fdtab_get_cloexec(struct fdtab *t, int fd);
int fdtab_set_cloexec(struct fdtab *t, int fd, bool on);
/* highest open fd + 1 (for /proc and select) */
int fdtab_count_open(struct fdtab *t);

/* path.c */

/*
 * path_normalize - make @path absolute against @base (absolute) and
 * remove ".", ".." and repeated slashes, lexically. Returns the length
 * or -ENAMETOOLONG.
 */
int path_normalize(const char *base, const char *path, char *out, size_t n);

/* is @abs (normalized) at or below @prefix, e.g. "/proc"? */
bool path_under(const char *abs, const char *prefix);

/* where a guest path leads */
struct nameidata {
	enum fs_kind fs;
	int host_dirfd; /* FS_HOST: openat() base */
	const char *host_path; /* FS_HOST: path relative to host_dirfd */
	char abs[PATH_MAX]; /* normalized absolute path */
	const char *rel; /* FS_PROC/FS_DEV: abs past the mount point */
	char hostbuf[PATH_MAX]; /* host_path when it is not the guest's */
};

/* vfs_resolve @lookup flags */
#define LOOKUP_FOLLOW 0x1 /* follow a /proc magic link as the last component */

/*
 * vfs_resolve - resolve guest path @path (a kernel copy) relative to
 * @dirfd of the current process. The caller holds the reference in
 * *@base (to release with file_put; may be NULL).
 * Returns 0 or -errno (-ENOENT for "", -EBADF, -ENOTDIR).
 */
int vfs_resolve(int dirfd, const char *path, unsigned lookup,
		struct nameidata *nd, struct file **base);

/*
 * vfs_classify - set the file system of @nd from nd->abs (absolute,
 * normalized), following /proc magic links per @lookup. A host path is
 * used as it is. @depth counts nested links (-ELOOP past 8).
 */
int vfs_classify(struct nameidata *nd, unsigned lookup, int depth);

/* copy a guest path and resolve it; -EFAULT, -ENAMETOOLONG, ... */
int vfs_resolve_user(int dirfd, const char *upath, unsigned lookup,
		     struct nameidata *nd, struct file **base, char *kpath);

/* open: returns a new file or -errno (via PTR_ERR-like helpers below) */
long vfs_open(struct nameidata *nd, int flags, unsigned mode,
	      struct file **out);

/* stat-like operations on a resolved path; AT_* flags as Linux */
long vfs_stat(struct nameidata *nd, int atflags, struct stat *kst);
long vfs_statx(struct nameidata *nd, int atflags, unsigned mask,
	       struct statx *kstx);
long vfs_readlink(struct nameidata *nd, char *kbuf, size_t n);
long vfs_access(struct nameidata *nd, int mode, int atflags);

/* hostfs.c */

extern const struct file_ops hostfs_file_ops;

struct vma_file;

/* what mappings of host file @f show in maps (new reference or NULL) */
struct vma_file *hostfs_vma_file(struct file *f);

/* can host file @f block (a tty, pipe or socket, not a regular file)? */
bool hostfs_is_stream(struct file *f);

/* wrap host fd @fd (opened by us) as a file */
struct file *hostfs_wrap(int fd, unsigned oflags, const char *path);

/* procfs.c and devfs.c: open/stat/readlink within the mount */
long procfs_open(struct nameidata *nd, int flags, struct file **out);
long procfs_stat(struct nameidata *nd, bool follow, struct stat *kst);
long procfs_readlink(struct nameidata *nd, char *kbuf, size_t n);
long devfs_open(struct nameidata *nd, int flags, struct file **out);
long devfs_stat(struct nameidata *nd, bool follow, struct stat *kst);
long devfs_readlink(struct nameidata *nd, char *kbuf, size_t n);
bool devfs_owns(const char *rel);

/*
 * procfs_magic - if @nd names something through one of /proc's magic
 * links (<pid>/fd/N, cwd, exe, root) - in the middle of the path, or at
 * its end with LOOKUP_FOLLOW - make @nd name the target instead, as Linux
 * does. Returns 0 (possibly unchanged) or -errno.
 */
int procfs_magic(struct nameidata *nd, unsigned lookup, int depth);

/* /dev/zero: mmap of it is anonymous memory */
bool devfs_is_zero(struct file *f);
