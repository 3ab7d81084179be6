/* epoll.c - epoll: readiness of many files, level- and edge-triggered */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "base/fmt.h"
#include "base/kmalloc.h"
#include "kernel/objects.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "mm/usercopy.h"

/*
 * Each watched file is an item. The item puts wait entries on the file's
 * wait queues (through its poll op); a wakeup there puts the item on the
 * ready list and wakes epoll_wait callers (and pollers of the epoll fd
 * itself, for nested epoll). epoll_wait asks each ready item's file again
 * what it is ready for: level-triggered items stay on the list, edge-
 * triggered ones leave it until the next wakeup, one-shot ones are
 * disarmed until EPOLL_CTL_MOD.
 *
 * Lock order: a file's waitq lock, then epoll.lock (the wakeup path). So
 * no file is polled and no waitq entry added or removed with epoll.lock
 * held.
 */
#define EP_MAX_NEST 5

struct epoll;

struct epitem_wait {
	struct wait_entry we;
	struct waitq *wq;
};

struct epitem {
	struct list_node node; /* epoll.items */
	struct list_node rnode; /* epoll.ready, or self-linked */
	struct epoll *ep;
	struct file *file; /* a reference */
	int fd;
	uint32_t events; /* EPOLL* asked for, with EPOLLET etc. */
	uint64_t data;
	bool armed; /* false after a one-shot fired */
	bool dead; /* removed by EPOLL_CTL_DEL or close of the epoll */
	int refs; /* atomic: the epoll's, and epoll_wait's while it looks */
	int nwaits;
	struct epitem_wait waits[2];
};

struct epoll {
	struct spinlock lock; /* protects items, ready, and item fields */
	struct list_node items;
	struct list_node ready;
	struct waitq wq; /* epoll_wait callers */
	struct waitq poll_wq; /* polls of the epoll file itself */
};

static const struct file_ops epoll_ops;

static void item_put(struct epitem *it)
{
	if (__atomic_sub_fetch(&it->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		file_put(it->file);
		kfree(it);
	}
}

/* put @it on the ready list if @events interest it; true if queued */
static bool mark_ready(struct epitem *it, unsigned events)
{
	struct epoll *ep = it->ep;
	bool queued = false;

	spin_lock(&ep->lock);
	/* events 0: the waker did not say; let epoll_wait ask */
	if (it->armed && !it->dead &&
	    (!events || (events & (it->events | POLL_ALWAYS))) &&
	    list_empty(&it->rnode)) {
		list_add_tail(&ep->ready, &it->rnode);
		queued = true;
	}
	spin_unlock(&ep->lock);
	if (queued) {
		waitq_wake(&ep->wq, POLLIN, 1);
		waitq_wake(&ep->poll_wq, POLLIN, 1 << 30);
	}
	return queued;
}

static int item_wake(struct wait_entry *we, unsigned events)
{
	return mark_ready(we->priv, events);
}

/* the poll table of an item: an entry per queue, at EPOLL_CTL_ADD */
struct item_pt {
	struct poll_table pt;
	struct epitem *it;
};

static void item_queue(struct poll_table *pt, struct waitq *wq, struct file *f)
{
	struct epitem *it = ((struct item_pt *)pt)->it;
	struct epitem_wait *w;

	(void)f;
	if (it->nwaits == 2)
		return;
	w = &it->waits[it->nwaits++];
	wait_entry_init(&w->we, this_uthread());
	w->we.fn = item_wake;
	w->we.priv = it;
	w->we.exclusive = it->events & EPOLLEXCLUSIVE;
	w->wq = wq;
	waitq_add(wq, &w->we);
}

/* what @it's file is ready for now, of what it asks; re-arms host fds */
static unsigned item_ready(struct epitem *it)
{
	struct poll_table pt = { .queue = NULL,
				 .key = it->events | POLL_ALWAYS };

	return file_poll(it->file, &pt) & (it->events | POLL_ALWAYS);
}

static struct epitem *find_item(struct epoll *ep, int fd, struct file *f)
{
	struct list_node *n;

	list_for_each(&ep->items, n) {
		struct epitem *it = list_entry(n, struct epitem, node);

		if (it->fd == fd && it->file == f)
			return it;
	}
	return NULL;
}

static void item_unlink(struct epitem *it)
{
	for (int i = 0; i < it->nwaits; i++)
		waitq_remove(it->waits[i].wq, &it->waits[i].we);
	it->nwaits = 0;
}

/* would watching @target from @ep make a loop, or nest too deep? */
static bool makes_loop(struct epoll *ep, struct file *target, int depth)
{
	struct epoll *inner = target->priv;
	struct list_node *n;
	bool r = false;

	if (depth > EP_MAX_NEST || inner == ep)
		return true;
	spin_lock(&inner->lock);
	list_for_each(&inner->items, n) {
		struct epitem *it = list_entry(n, struct epitem, node);

		if (file_is_ep(it->file)) {
			struct file *f = file_get(it->file);

			spin_unlock(&inner->lock);
			r = makes_loop(ep, f, depth + 1);
			file_put(f);
			spin_lock(&inner->lock);
			if (r)
				break;
		}
	}
	spin_unlock(&inner->lock);
	return r;
}

#define EP_VALID                                                      \
	(EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLERR | EPOLLHUP | EPOLLRDHUP | \
	 EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND |          \
	 EPOLLMSG | EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE)

long ep_ctl(struct file *epf, int op, int fd, struct file *target,
	       const void *uevent)
{
	struct epoll *ep = epf->priv;
	struct epoll_event ev = { 0 };
	struct epitem *it;
	unsigned ready;

	if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uevent, sizeof(ev)))
		return -EFAULT;
	if (target == epf)
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && (ev.events & ~(uint32_t)EP_VALID))
		return -EINVAL;
	/* like Linux: regular files and files without readiness: EPERM */
	if (!target->ops->poll ||
	    (target->host_fd >= 0 && !hostfs_is_stream(target)))
		return -EPERM;

	switch (op) {
	case EPOLL_CTL_ADD:
		if (file_is_ep(target) && makes_loop(ep, target, 1))
			return -ELOOP;
		it = kzalloc(sizeof(*it));
		if (!it)
			return -ENOMEM;
		it->ep = ep;
		it->file = file_get(target);
		it->fd = fd;
		it->events = ev.events | EPOLLERR | EPOLLHUP;
		it->data = ev.data.u64;
		it->armed = true;
		it->refs = 1;
		list_init(&it->rnode);
		spin_lock(&ep->lock);
		if (find_item(ep, fd, target)) {
			spin_unlock(&ep->lock);
			file_put(it->file);
			kfree(it);
			return -EEXIST;
		}
		list_add_tail(&ep->items, &it->node);
		spin_unlock(&ep->lock);
		{
			struct item_pt ipt = {
				.pt = { .queue = item_queue,
					.key = it->events | POLL_ALWAYS },
				.it = it,
			};

			ready = file_poll(target, &ipt.pt) &
				(it->events | POLL_ALWAYS);
		}
		if (ready)
			mark_ready(it, ready);
		return 0;
	case EPOLL_CTL_MOD:
		if (ev.events & EPOLLEXCLUSIVE)
			return -EINVAL;
		spin_lock(&ep->lock);
		it = find_item(ep, fd, target);
		if (!it) {
			spin_unlock(&ep->lock);
			return -ENOENT;
		}
		if (it->events & EPOLLEXCLUSIVE) {
			spin_unlock(&ep->lock);
			return -EINVAL;
		}
		it->events = ev.events | EPOLLERR | EPOLLHUP;
		it->data = ev.data.u64;
		it->armed = true;
		__atomic_add_fetch(&it->refs, 1, __ATOMIC_ACQ_REL);
		spin_unlock(&ep->lock);
		ready = item_ready(it);
		if (ready)
			mark_ready(it, ready);
		item_put(it);
		return 0;
	case EPOLL_CTL_DEL:
		spin_lock(&ep->lock);
		it = find_item(ep, fd, target);
		if (!it) {
			spin_unlock(&ep->lock);
			return -ENOENT;
		}
		list_del(&it->node);
		if (!list_empty(&it->rnode))
			list_del(&it->rnode);
		it->dead = true;
		spin_unlock(&ep->lock);
		item_unlink(it);
		item_put(it);
		return 0;
	default:
		return -EINVAL;
	}
}

/* collect up to @max ready events into @out; how many */
static int collect(struct epoll *ep, struct epoll_event *out, int max)
{
	struct list_node batch;
	int count = 0;

	list_init(&batch);
	spin_lock(&ep->lock);
	while (!list_empty(&ep->ready)) {
		struct list_node *n = ep->ready.next;

		list_del(n);
		list_add_tail(&batch, n);
		__atomic_add_fetch(&list_entry(n, struct epitem, rnode)->refs,
				   1, __ATOMIC_ACQ_REL);
	}
	spin_unlock(&ep->lock);

	for (;;) {
		struct epitem *it;
		unsigned ev = 0;
		bool take;

		spin_lock(&ep->lock);
		if (list_empty(&batch)) {
			spin_unlock(&ep->lock);
			break;
		}
		it = list_entry(batch.next, struct epitem, rnode);
		/* off every list: a wakeup from now on queues it again */
		list_del(&it->rnode);
		take = count < max && !it->dead && it->armed;
		if (!take && !it->dead && count == max)
			list_add_tail(&ep->ready, &it->rnode); /* next call */
		spin_unlock(&ep->lock);
		if (take)
			ev = item_ready(it);
		if (ev) {
			out[count].events = ev;
			out[count].data.u64 = it->data;
			count++;
			spin_lock(&ep->lock);
			if (it->events & EPOLLONESHOT)
				it->armed = false;
			else if (!(it->events & EPOLLET) && !it->dead &&
				 list_empty(&it->rnode))
				list_add_tail(&ep->ready, &it->rnode); /* level */
			spin_unlock(&ep->lock);
		}
		item_put(it);
	}
	return count;
}

long ep_wait(struct file *epf, void *uevents, int maxevents,
		uint64_t deadline, bool has_timeout)
{
	struct epoll *ep = epf->priv;
	struct epoll_event *kev;
	long r;

	if (maxevents <= 0 || maxevents > 65536)
		return -EINVAL;
	if (!user_range_ok(uevents, sizeof(*kev) * (size_t)maxevents))
		return -EFAULT;
	kev = kmalloc(sizeof(*kev) * (size_t)maxevents);
	if (!kev)
		return -ENOMEM;
	for (;;) {
		r = collect(ep, kev, maxevents);
		if (r || (has_timeout && !deadline))
			break;
		spin_lock(&ep->lock);
		if (!list_empty(&ep->ready)) {
			spin_unlock(&ep->lock);
			continue;
		}
		r = waitq_wait_locked(&ep->wq, &ep->lock,
				      has_timeout ? deadline : 0,
				      signal_pending_now);
		spin_unlock(&ep->lock);
		if (r == -ETIMEDOUT) {
			r = collect(ep, kev, maxevents);
			break;
		}
		if (r < 0)
			break;
	}
	if (r > 0 && copy_to_user(uevents, kev, sizeof(*kev) * (size_t)r))
		r = -EFAULT;
	kfree(kev);
	return r;
}

static unsigned ep_poll(struct file *f, struct poll_table *pt)
{
	struct epoll *ep = f->priv;
	struct list_node *n;
	unsigned m = 0;

	poll_wait(pt, &ep->poll_wq, f);
	/* readable if some item really is ready (asked without a lock) */
	spin_lock(&ep->lock);
	if (list_empty(&ep->ready)) {
		spin_unlock(&ep->lock);
		return 0;
	}
	n = ep->ready.next;
	{
		struct epitem *it = list_entry(n, struct epitem, rnode);
		struct file *target = file_get(it->file);
		uint32_t want = it->events;

		spin_unlock(&ep->lock);
		if (file_poll(target, NULL) & (want | POLL_ALWAYS))
			m = POLLIN | POLLRDNORM;
		file_put(target);
	}
	return m;
}

static long ep_fstat(struct file *f, struct stat *st)
{
	(void)f;
	memset(st, 0, sizeof(*st));
	st->st_mode = 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static long ep_dpath(struct file *f, char *buf, size_t n)
{
	(void)f;
	return ksnprintf(buf, n, "anon_inode:[eventpoll]");
}

static void ep_release(struct file *f)
{
	struct epoll *ep = f->priv;

	for (;;) {
		struct epitem *it = NULL;

		spin_lock(&ep->lock);
		if (!list_empty(&ep->items)) {
			it = list_entry(ep->items.next, struct epitem, node);
			list_del(&it->node);
			if (!list_empty(&it->rnode))
				list_del(&it->rnode);
			it->dead = true;
		}
		spin_unlock(&ep->lock);
		if (!it)
			break;
		item_unlink(it);
		item_put(it);
	}
	kfree(ep);
}

static const struct file_ops epoll_ops = {
	.poll = ep_poll,
	.fstat = ep_fstat,
	.dpath = ep_dpath,
	.release = ep_release,
};

bool file_is_ep(struct file *f)
{
	return f->ops == &epoll_ops;
}

int ep_create(int flags, struct file **out)
{
	struct epoll *ep;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	ep = kzalloc(sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	spin_init(&ep->lock);
	list_init(&ep->items);
	list_init(&ep->ready);
	waitq_init(&ep->wq);
	waitq_init(&ep->poll_wq);
	*out = file_alloc(&epoll_ops, FS_ANON, O_RDWR, -1, NULL);
	if (!*out) {
		kfree(ep);
		return -ENOMEM;
	}
	(*out)->priv = ep;
	return 0;
}
