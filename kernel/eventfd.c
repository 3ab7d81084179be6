/* eventfd.c - eventfd: a 64-bit counter to wait on */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "base/fmt.h"
#include "base/kmalloc.h"
#include "kernel/objects.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "mm/usercopy.h"

#define EVENTFD_MAX 0xfffffffffffffffeull

/* see eventfd(2); lock protects count */
struct eventfd {
	struct spinlock lock;
	uint64_t count;
	bool semaphore;
	struct waitq wq; /* both readers and writers */
};

static long efd_read(struct file *f, void *ubuf, size_t n, off_t off)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	long r;

	(void)off;
	if (n < 8)
		return -EINVAL;
	spin_lock(&e->lock);
	while (e->count == 0) {
		if (f->oflags & O_NONBLOCK) {
			spin_unlock(&e->lock);
			return -EAGAIN;
		}
		r = waitq_wait_locked(&e->wq, &e->lock, 0, signal_pending_now);
		if (r < 0) {
			spin_unlock(&e->lock);
			return r;
		}
	}
	v = e->semaphore ? 1 : e->count;
	if (copy_to_user(ubuf, &v, 8)) {
		spin_unlock(&e->lock);
		return -EFAULT;
	}
	e->count -= v;
	spin_unlock(&e->lock);
	waitq_wake(&e->wq, POLLOUT, 1 << 30);
	return 8;
}

static long efd_write(struct file *f, const void *ubuf, size_t n, off_t off)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	long r;

	(void)off;
	if (n < 8)
		return -EINVAL;
	if (copy_from_user(&v, ubuf, 8))
		return -EFAULT;
	if (v == UINT64_MAX)
		return -EINVAL;
	spin_lock(&e->lock);
	while (EVENTFD_MAX - e->count < v) {
		if (f->oflags & O_NONBLOCK) {
			spin_unlock(&e->lock);
			return -EAGAIN;
		}
		r = waitq_wait_locked(&e->wq, &e->lock, 0, signal_pending_now);
		if (r < 0) {
			spin_unlock(&e->lock);
			return r;
		}
	}
	e->count += v;
	spin_unlock(&e->lock);
	if (v)
		waitq_wake(&e->wq, POLLIN, 1 << 30);
	return 8;
}

static unsigned efd_poll(struct file *f, struct poll_table *pt)
{
	struct eventfd *e = f->priv;
	unsigned m = 0;

	poll_wait(pt, &e->wq, f);
	spin_lock(&e->lock);
	if (e->count)
		m |= POLLIN | POLLRDNORM;
	if (e->count < EVENTFD_MAX)
		m |= POLLOUT | POLLWRNORM;
	spin_unlock(&e->lock);
	return m;
}

static long efd_dpath(struct file *f, char *buf, size_t n)
{
	(void)f;
	return ksnprintf(buf, n, "anon_inode:[eventfd]");
}

static void efd_release(struct file *f)
{
	kfree(f->priv);
}

static const struct file_ops eventfd_ops = {
	.read = efd_read,
	.write = efd_write,
	.poll = efd_poll,
	.fstat = anon_inode_fstat,
	.dpath = efd_dpath,
	.release = efd_release,
};

int eventfd_create(unsigned initval, int flags, struct file **out)
{
	struct eventfd *e;

	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	e = kzalloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	spin_init(&e->lock);
	waitq_init(&e->wq);
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	*out = file_alloc(&eventfd_ops, FS_ANON,
			  O_RDWR | ((unsigned)flags & EFD_NONBLOCK), -1, NULL);
	if (!*out) {
		kfree(e);
		return -ENOMEM;
	}
	(*out)->priv = e;
	return 0;
}
