/* file.c - open file objects and buffer-backed files */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/kmalloc.h"
#include "base/host.h"
#include "kernel/objects.h"
#include "kernel/vfs.h"
#include "sched/sched.h"
#include "mm/usercopy.h"

struct file *file_alloc(const struct file_ops *ops, enum fs_kind fs,
			unsigned oflags, int host_fd, const char *path)
{
	size_t plen = path ? strlen(path) + 1 : 0;
	/* one block: the file, then its path */
	struct file *f = kmalloc(sizeof(*f) + plen);

	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->refs = 1;
	f->fs = fs;
	f->oflags = oflags;
	f->host_fd = host_fd;
	spin_init(&f->lock);
	if (path) {
		f->path = (char *)(f + 1);
		memcpy(f->path, path, plen);
	}
	return f;
}

struct file *file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

void file_put(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
		return;
	/* out of every epoll first: they poll it, and wait on its queues */
	if (f->ep_items.next)
		eventpoll_release(f);
	/* release ops, like every file op, must not touch vector registers */
	if (f->ops->release)
		f->ops->release(f);
	if (f->host_fd >= 0)
		host_close(f->host_fd);
	kfree(f); /* and the path, in the same block */
}

long anon_inode_fstat(struct file *f, struct stat *st)
{
	(void)f;
	memset(st, 0, sizeof(*st));
	st->st_mode = 0600; /* an anonymous inode: no file type bits */
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

long file_dpath(struct file *f, char *buf, size_t n)
{
	size_t len;

	if (f->ops->dpath)
		return f->ops->dpath(f, buf, n);
	if (!f->path)
		return -ENOENT;
	len = strlen(f->path);
	if (len >= n)
		return -ENAMETOOLONG;
	memcpy(buf, f->path, len + 1);
	return (long)len;
}

long membuf_read(struct file *f, void *buf, size_t n, off_t off)
{
	struct membuf *mb = f->priv;
	bool at_pos = off < 0;
	size_t avail;

	spin_lock(&f->lock);
	if (at_pos)
		off = f->pos;
	if ((size_t)off >= mb->len) {
		spin_unlock(&f->lock);
		return 0;
	}
	avail = mb->len - (size_t)off;
	if (n > avail)
		n = avail;
	if (copy_to_user(buf, mb->data + off, n) < 0) {
		spin_unlock(&f->lock);
		return -EFAULT;
	}
	if (at_pos)
		f->pos = off + (off_t)n;
	spin_unlock(&f->lock);
	return (long)n;
}

long membuf_lseek(struct file *f, off_t off, int whence)
{
	struct membuf *mb = f->priv;
	off_t base;

	spin_lock(&f->lock);
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		base = (off_t)mb->len;
		break;
	default:
		spin_unlock(&f->lock);
		return -EINVAL;
	}
	if (base + off < 0) {
		spin_unlock(&f->lock);
		return -EINVAL;
	}
	f->pos = base + off;
	spin_unlock(&f->lock);
	return f->pos;
}

void membuf_release(struct file *f)
{
	struct membuf *mb = f->priv;

	if (mb) {
		kfree(mb->data);
		kfree(mb);
	}
}
