/* pipe.c - pipes: a byte ring between two files */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "base/fmt.h"
#include "base/kmalloc.h"
#include "kernel/objects.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "mm/usercopy.h"

#define PIPE_DEF_SIZE (64 * 1024) /* Linux's default: 16 pages */
#define PIPE_MAX_SIZE (1024 * 1024) /* /proc/sys/fs/pipe-max-size */
#define PIPE_BUF_LINUX 4096

/*
 * One ring for both ends; the two files hold it. In packet mode
 * (O_DIRECT) each write of up to PIPE_BUF bytes is one packet, stored
 * with a 4-byte length in front, and a read returns at most one packet
 * (the rest of it is discarded, as Linux does).
 * Locking: pipe.lock protects everything but the wait queues.
 */
struct pipe {
	struct spinlock lock;
	char *buf;
	size_t cap, head, len; /* head: where the oldest byte is */
	int readers, writers;
	bool packet;
	uint64_t ino;
	struct waitq rwait; /* readers wait for data */
	struct waitq wwait; /* writers wait for room */
};

static uint64_t next_ino = 1000;

static void ring_put(struct pipe *p, const char *src, size_t n)
{
	size_t tail = (p->head + p->len) % p->cap;
	size_t first = n < p->cap - tail ? n : p->cap - tail;

	memcpy(p->buf + tail, src, first);
	memcpy(p->buf, src + first, n - first);
	p->len += n;
}

static void ring_get(struct pipe *p, char *dst, size_t n)
{
	size_t first = n < p->cap - p->head ? n : p->cap - p->head;

	memcpy(dst, p->buf + p->head, first);
	memcpy(dst + first, p->buf, n - first);
	p->head = (p->head + n) % p->cap;
	p->len -= n;
}

/* copy up to @n bytes to the guest; bytes consumed or -EFAULT */
static long ring_to_user(struct pipe *p, char *ubuf, size_t n)
{
	size_t first = n < p->cap - p->head ? n : p->cap - p->head;

	if (copy_to_user(ubuf, p->buf + p->head, first) ||
	    copy_to_user(ubuf + first, p->buf, n - first))
		return -EFAULT;
	p->head = (p->head + n) % p->cap;
	p->len -= n;
	return (long)n;
}

static long ring_from_user(struct pipe *p, const char *ubuf, size_t n)
{
	size_t tail = (p->head + p->len) % p->cap;
	size_t first = n < p->cap - tail ? n : p->cap - tail;

	if (copy_from_user(p->buf + tail, ubuf, first) ||
	    copy_from_user(p->buf, ubuf + first, n - first))
		return -EFAULT;
	p->len += n;
	return (long)n;
}

static long pipe_read(struct file *f, void *ubuf, size_t n, off_t off)
{
	struct pipe *p = f->priv;
	long r;

	if (off >= 0)
		return -ESPIPE;
	if (n == 0)
		return 0;
	spin_lock(&p->lock);
	while (p->len == 0) {
		if (p->writers == 0) {
			spin_unlock(&p->lock);
			return 0; /* end of file */
		}
		if (f->oflags & O_NONBLOCK) {
			spin_unlock(&p->lock);
			return -EAGAIN;
		}
		r = waitq_wait_locked(&p->rwait, &p->lock, 0,
				      signal_pending_now);
		if (r < 0) {
			spin_unlock(&p->lock);
			return r;
		}
	}
	if (p->packet) {
		uint32_t plen;

		ring_get(p, (char *)&plen, 4);
		r = ring_to_user(p, ubuf, plen < n ? plen : n);
		if (r < 0) {
			spin_unlock(&p->lock);
			return r;
		}
		if (plen > n) { /* the rest of the packet is lost */
			p->head = (p->head + plen - n) % p->cap;
			p->len -= plen - n;
		}
	} else {
		r = ring_to_user(p, ubuf, n < p->len ? n : p->len);
	}
	spin_unlock(&p->lock);
	waitq_wake(&p->wwait, POLLOUT, 1 << 30);
	return r;
}

static long pipe_write(struct file *f, const void *ubuf, size_t n, off_t off)
{
	struct pipe *p = f->priv;
	const char *src = ubuf;
	size_t done = 0;
	long r = 0;

	if (off >= 0)
		return -ESPIPE;
	if (n == 0)
		return 0;
	spin_lock(&p->lock);
	while (done < n) {
		size_t room = p->cap - p->len, chunk = n - done, need;

		if (p->readers == 0) {
			r = -EPIPE; /* the caller sends SIGPIPE */
			break;
		}
		if (p->packet && chunk > PIPE_BUF_LINUX)
			chunk = PIPE_BUF_LINUX;
		/* a write of up to PIPE_BUF bytes goes in at once, never split */
		need = p->packet ? chunk + 4
				 : (n <= PIPE_BUF_LINUX ? chunk : 1);
		if (room >= need) {
			if (p->packet) {
				uint32_t plen = (uint32_t)chunk;

				ring_put(p, (const char *)&plen, 4);
			} else if (chunk > room) {
				chunk = room;
			}
			r = ring_from_user(p, src + done, chunk);
			if (r < 0)
				break;
			done += chunk;
			spin_unlock(&p->lock);
			waitq_wake(&p->rwait, POLLIN, 1 << 30);
			spin_lock(&p->lock);
			continue;
		}
		if (f->oflags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		r = waitq_wait_locked(&p->wwait, &p->lock, 0,
				      signal_pending_now);
		if (r < 0)
			break;
	}
	spin_unlock(&p->lock);
	if (done) {
		/* part went in before the readers left: SIGPIPE too (Linux) */
		if (r == -EPIPE)
			sig_send(current_proc(), current_thread(), SIGPIPE);
		return (long)done;
	}
	return r; /* -EPIPE: the caller sends SIGPIPE */
}

static unsigned pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = f->priv;
	bool rd = (f->oflags & O_ACCMODE) == O_RDONLY;
	unsigned m = 0;

	poll_wait(pt, rd ? &p->rwait : &p->wwait, f);
	spin_lock(&p->lock);
	if (rd) {
		if (p->len)
			m |= POLLIN | POLLRDNORM;
		if (!p->writers)
			m |= POLLHUP;
	} else {
		if (p->cap - p->len >= PIPE_BUF_LINUX)
			m |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			m |= POLLERR;
	}
	spin_unlock(&p->lock);
	return m;
}

static long pipe_ioctl(struct file *f, unsigned long req, unsigned long arg)
{
	struct pipe *p = f->priv;
	int n;

	if (req != FIONREAD)
		return -ENOTTY;
	spin_lock(&p->lock);
	n = (int)p->len;
	spin_unlock(&p->lock);
	return copy_to_user((void *)arg, &n, sizeof(n));
}

static long pipe_fstat(struct file *f, struct stat *st)
{
	struct pipe *p = f->priv;

	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFIFO | 0600;
	st->st_nlink = 1;
	st->st_ino = p->ino;
	st->st_dev = 0xd; /* pipefs */
	st->st_blksize = 4096;
	st->st_uid = current_proc()->cred.euid;
	st->st_gid = current_proc()->cred.egid;
	return 0;
}

static long pipe_dpath(struct file *f, char *buf, size_t n)
{
	struct pipe *p = f->priv;
	int len = ksnprintf(buf, n, "pipe:[%llu]", (unsigned long long)p->ino);

	return len < (int)n ? len : -ENAMETOOLONG;
}

static long pipe_setfl(struct file *f, unsigned flags)
{
	struct pipe *p = f->priv;

	f->oflags =
		(f->oflags & ~(O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME)) |
		flags;
	spin_lock(&p->lock);
	if (!p->len) /* packet mode changes only between packets */
		p->packet = flags & O_DIRECT;
	spin_unlock(&p->lock);
	return 0;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	bool rd = (f->oflags & O_ACCMODE) == O_RDONLY;
	bool gone;

	spin_lock(&p->lock);
	if (rd)
		p->readers--;
	else
		p->writers--;
	gone = !p->readers && !p->writers;
	spin_unlock(&p->lock);
	/* the other side sees EOF / EPIPE */
	waitq_wake(rd ? &p->wwait : &p->rwait, POLLHUP | POLLERR, 1 << 30);
	if (gone) {
		kfree(p->buf);
		kfree(p);
	}
}

const struct file_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.poll = pipe_poll,
	.ioctl = pipe_ioctl,
	.fstat = pipe_fstat,
	.dpath = pipe_dpath,
	.setfl = pipe_setfl,
	.release = pipe_release,
};

int pipe_create(int flags, struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof(*p));
	unsigned ofl = (unsigned)flags & (O_NONBLOCK | O_DIRECT);

	if (!p)
		return -ENOMEM;
	p->buf = kmalloc(PIPE_DEF_SIZE);
	if (!p->buf) {
		kfree(p);
		return -ENOMEM;
	}
	spin_init(&p->lock);
	p->cap = PIPE_DEF_SIZE;
	p->readers = p->writers = 1;
	p->packet = flags & O_DIRECT;
	p->ino = __atomic_add_fetch(&next_ino, 1, __ATOMIC_RELAXED);
	waitq_init(&p->rwait);
	waitq_init(&p->wwait);
	*rd = file_alloc(&pipe_ops, FS_ANON, O_RDONLY | ofl, -1, NULL);
	*wr = file_alloc(&pipe_ops, FS_ANON, O_WRONLY | ofl, -1, NULL);
	if (!*rd || !*wr) {
		kfree(*rd);
		kfree(*wr);
		kfree(p->buf);
		kfree(p);
		return -ENOMEM;
	}
	(*rd)->priv = p;
	(*wr)->priv = p;
	return 0;
}

bool file_is_pipe(struct file *f)
{
	return f->ops == &pipe_ops;
}

long pipe_get_size(struct file *f)
{
	struct pipe *p = f->priv;

	return (long)p->cap;
}

long pipe_set_size(struct file *f, unsigned long size)
{
	struct pipe *p = f->priv;
	size_t cap = 4096;
	char *nb;

	if (size > INT_MAX)
		return -EINVAL;
	while (cap < size)
		cap *= 2;
	if (cap > PIPE_MAX_SIZE && current_proc()->cred.euid != 0)
		return -EPERM;
	nb = kmalloc(cap);
	if (!nb)
		return -ENOMEM;
	spin_lock(&p->lock);
	if (p->len > cap) {
		spin_unlock(&p->lock);
		kfree(nb);
		return -EBUSY;
	}
	{
		size_t len = p->len;

		ring_get(p, nb, len);
		kfree(p->buf);
		p->buf = nb;
		p->cap = cap;
		p->head = 0;
		p->len = len;
	}
	spin_unlock(&p->lock);
	waitq_wake(&p->wwait, POLLOUT, 1 << 30);
	return (long)cap;
}
