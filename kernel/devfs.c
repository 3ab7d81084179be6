/* devfs.c - the device nodes we serve ourselves under /dev */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "base/host.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "mm/usercopy.h"

enum devnode {
	DEV_NULL = 1,
	DEV_ZERO,
	DEV_FULL,
	DEV_RANDOM,
	DEV_URANDOM,
	DEV_TTY, /* the host's controlling terminal, opened through */
	DEV_LINK, /* stdin, stdout, stderr, fd: links into /proc/self/fd */
};

static const struct {
	const char *name;
	enum devnode node;
	const char *target;
} nodes[] = {
	{"null", DEV_NULL, NULL},
	{"zero", DEV_ZERO, NULL},
	{"full", DEV_FULL, NULL},
	{"random", DEV_RANDOM, NULL},
	{"urandom", DEV_URANDOM, NULL},
	{"tty", DEV_TTY, NULL},
	{"stdin", DEV_LINK, "/proc/self/fd/0"},
	{"stdout", DEV_LINK, "/proc/self/fd/1"},
	{"stderr", DEV_LINK, "/proc/self/fd/2"},
	{"fd", DEV_LINK, "/proc/self/fd"},
};

/* @rel: the path below /dev, e.g. "/null" or "/fd/3"; index or -1 */
static int lookup(const char *rel, const char **rest)
{
	if (rel[0] != '/')
		return -1;
	rel++;
	for (unsigned i = 0; i < sizeof(nodes) / sizeof(*nodes); i++) {
		size_t n = strlen(nodes[i].name);

		if (strncmp(rel, nodes[i].name, n) != 0)
			continue;
		if (rel[n] == '\0' ||
		    (rel[n] == '/' && nodes[i].node == DEV_LINK)) {
			*rest = rel + n;
			return (int)i;
		}
	}
	return -1;
}

bool devfs_owns(const char *rel)
{
	const char *rest;

	return lookup(rel, &rest) >= 0;
}

/* fast path: none of these call glibc */
static long dev_read(struct file *f, void *buf, size_t n, off_t off)
{
	(void)off;
	switch ((enum devnode)(uintptr_t)f->priv) {
	case DEV_NULL:
		return 0;
	case DEV_ZERO:
	case DEV_FULL:
		if (n > 0x7ffff000)
			n = 0x7ffff000;
		return clear_user(buf, n) ? -EFAULT : (long)n;
	case DEV_RANDOM:
	case DEV_URANDOM:
		n = user_host_buf(&buf, n, true);
		return host_getrandom(buf, n, 0);
	default:
		return -EINVAL;
	}
}

static long dev_write(struct file *f, const void *buf, size_t n, off_t off)
{
	(void)buf;
	(void)off;
	if ((enum devnode)(uintptr_t)f->priv == DEV_FULL)
		return -ENOSPC;
	return (long)(n > 0x7ffff000 ? 0x7ffff000 : n);
}

static long dev_lseek(struct file *f, off_t off, int whence)
{
	(void)f;
	(void)off;
	(void)whence;
	return 0;
}

static long dev_fstat(struct file *f, struct stat *kst)
{
	return host_newfstatat(AT_FDCWD, f->path, kst, 0);
}

const struct file_ops devfs_file_ops = {
	.read = dev_read,
	.write = dev_write,
	.lseek = dev_lseek,
	.fstat = dev_fstat,
};

/* a devfs link followed: resolve its target instead */
static int follow_link(struct nameidata *nd, int i, const char *rest)
{
	char target[PATH_MAX];
	int n = ksnprintf(target, sizeof(target), "%s%s", nodes[i].target,
			  rest);

	if (n >= (int)sizeof(target))
		return -ENAMETOOLONG;
	n = path_normalize("/", target, nd->abs, sizeof(nd->abs));
	if (n < 0)
		return n;
	nd->fs = FS_PROC;
	nd->rel = nd->abs + 5;
	return 0;
}

long devfs_open(struct nameidata *nd, int flags, struct file **out)
{
	const char *rest;
	int i = lookup(nd->rel, &rest);
	struct file *f;
	long r;

	if (i < 0)
		return -ENOENT;
	if (nodes[i].node == DEV_LINK) {
		if ((flags & O_NOFOLLOW) && !rest[0])
			return -ELOOP;
		r = follow_link(nd, i, rest);
		return r < 0 ? r : procfs_open(nd, flags, out);
	}
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if (nodes[i].node == DEV_TTY) {
		long fd = host_openat(AT_FDCWD, "/dev/tty",
				      (flags & ~O_ASYNC) | O_CLOEXEC, 0);

		if (fd < 0)
			return fd;
		f = hostfs_wrap((int)fd,
				(unsigned)flags &
					(O_ACCMODE | O_APPEND | O_NONBLOCK),
				nd->abs);
		if (!f) {
			host_close((int)fd);
			return -ENOMEM;
		}
		*out = f;
		return 0;
	}
	f = file_alloc(&devfs_file_ops, FS_DEV,
		       (unsigned)flags & (O_ACCMODE | O_APPEND | O_NONBLOCK |
					  O_LARGEFILE),
		       -1, nd->abs);
	if (!f)
		return -ENOMEM;
	f->priv = (void *)(uintptr_t)nodes[i].node;
	*out = f;
	return 0;
}

long devfs_stat(struct nameidata *nd, bool follow, struct stat *kst)
{
	const char *rest;
	int i = lookup(nd->rel, &rest);
	long r;

	if (i < 0)
		return -ENOENT;
	if (nodes[i].node == DEV_LINK && (follow || rest[0])) {
		r = follow_link(nd, i, rest);
		return r < 0 ? r : procfs_stat(nd, follow, kst);
	}
	/* the host has the same nodes: its metadata is what Linux shows */
	return host_newfstatat(AT_FDCWD, nd->abs, kst, AT_SYMLINK_NOFOLLOW);
}

long devfs_readlink(struct nameidata *nd, char *kbuf, size_t n)
{
	const char *rest;
	int i = lookup(nd->rel, &rest);
	size_t len;

	if (i < 0)
		return -ENOENT;
	if (nodes[i].node != DEV_LINK)
		return -EINVAL;
	if (rest[0]) {
		long r = follow_link(nd, i, rest);

		return r < 0 ? r : procfs_readlink(nd, kbuf, n);
	}
	len = strlen(nodes[i].target);
	if (len > n)
		len = n;
	memcpy(kbuf, nodes[i].target, len);
	return (long)len;
}

bool devfs_is_zero(struct file *f)
{
	return f->ops == &devfs_file_ops &&
	       (enum devnode)(uintptr_t)f->priv == DEV_ZERO;
}
