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
 * As in Linux, an item does not keep its file open: when the file's last
 * reference goes (every fd closed), eventpoll_release takes its items out
 * of every epoll. Until then an item lives on, even if the fd it was
 * added with is closed (a dup keeps the file).
 *
 * Locks: ep_mtx (global) serializes the structural changes - ctl, the
 * release of an epoll or of a watched file, loop checks; then a file's
 * waitq lock, then epoll.lock (the wakeup path). ep_mtx is recursive on
 * its kthread: a ctl polls a nested epoll, whose poll may drop the last
 * reference of a file another thread closed meanwhile, and that release
 * takes ep_mtx again (kernel code is not preempted, so the kthread names
 * the holder). An item's file is alive while the item is not dead: it is
 * marked dead, under epoll.lock, before the file goes.
 */
#define EP_MAX_NESTS 4 /* epoll-to-epoll links on a path, as Linux */
#define EP_CHUNK 1024 /* events gathered per copy to the guest */

struct epoll;

struct epitem_wait {
	struct wait_entry we;
	struct waitq *wq;
};

struct epitem {
	struct list_node node; /* epoll.items */
	struct list_node rnode; /* epoll.ready, or self-linked */
	struct list_node fnode; /* file.ep_items (under ep_mtx) */
	struct epoll *ep;
	struct file *file; /* not a reference: see above */
	int fd;
	uint32_t events; /* EPOLL* asked for, with EPOLLET etc. */
	uint64_t data;
	bool armed; /* false after a one-shot fired */
	bool dead; /* out of its epoll (DEL, or a release) */
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
	struct file *file; /* its own file (not a reference) */
};

static struct spinlock ep_mtx = SPINLOCK_INIT;
static struct kthread *ep_mtx_owner; /* atomic */
static int ep_mtx_depth; /* the owner's */

static void ep_mtx_lock(void)
{
	struct kthread *self = this_kthread();

	if (__atomic_load_n(&ep_mtx_owner, __ATOMIC_RELAXED) == self) {
		ep_mtx_depth++;
		return;
	}
	spin_lock(&ep_mtx);
	__atomic_store_n(&ep_mtx_owner, self, __ATOMIC_RELAXED);
	ep_mtx_depth = 1;
}

static void ep_mtx_unlock(void)
{
	if (--ep_mtx_depth)
		return;
	__atomic_store_n(&ep_mtx_owner, NULL, __ATOMIC_RELAXED);
	spin_unlock(&ep_mtx);
}

static const struct file_ops epoll_ops;

static void item_put(struct epitem *it)
{
	if (__atomic_sub_fetch(&it->refs, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(it);
}

/* a reference to @f unless its last one is gone already */
static struct file *file_tryget(struct file *f)
{
	int r = __atomic_load_n(&f->refs, __ATOMIC_RELAXED);

	while (r > 0) {
		if (__atomic_compare_exchange_n(&f->refs, &r, r + 1, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return f;
	}
	return NULL;
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

/* what @f is ready for now, of what @it asks; re-arms host fds */
static unsigned item_ready(struct epitem *it, struct file *f)
{
	struct poll_table pt = {.queue = NULL, .key = it->events | POLL_ALWAYS};

	return file_poll(f, &pt) & (it->events | POLL_ALWAYS);
}

static struct epitem *find_item(struct epoll *ep, int fd, struct file *f)
{
	struct list_node *n;

	list_for_each (&ep->items, n) {
		struct epitem *it = list_entry(n, struct epitem, node);

		if (it->fd == fd && it->file == f)
			return it;
	}
	return NULL;
}

/*
 * Take @it out of its epoll and its file's list and drop the epoll's
 * reference. ep_mtx held; the file is alive.
 */
static void item_remove(struct epitem *it)
{
	struct epoll *ep = it->ep;

	spin_lock(&ep->lock);
	list_del(&it->node);
	if (!list_empty(&it->rnode))
		list_del(&it->rnode);
	it->dead = true;
	spin_unlock(&ep->lock);
	list_del(&it->fnode);
	for (int i = 0; i < it->nwaits; i++)
		waitq_remove(it->waits[i].wq, &it->waits[i].we);
	it->nwaits = 0;
	item_put(it);
}

void eventpoll_release(struct file *f)
{
	ep_mtx_lock();
	while (f->ep_items.next && !list_empty(&f->ep_items))
		item_remove(list_entry(f->ep_items.next, struct epitem, fnode));
	ep_mtx_unlock();
}

/* the longest chain of epolls inside @ep (links); ep_mtx held */
static int depth_down(struct epoll *ep, struct epoll *avoid, int limit)
{
	struct list_node *n;
	int best = 0;

	list_for_each (&ep->items, n) {
		struct epitem *it = list_entry(n, struct epitem, node);
		struct epoll *inner;
		int d;

		if (!file_is_ep(it->file))
			continue;
		inner = it->file->priv;
		if (inner == avoid || limit <= 0)
			return EP_MAX_NESTS + 1; /* a loop, or too deep */
		d = 1 + depth_down(inner, avoid, limit - 1);
		if (d > best)
			best = d;
	}
	return best;
}

/* the longest chain of epolls watching @ep (links); ep_mtx held */
static int depth_up(struct epoll *ep, int limit)
{
	struct list_node *n;
	int best = 0;

	if (!ep->file->ep_items.next)
		return 0;
	list_for_each (&ep->file->ep_items, n) {
		struct epitem *it = list_entry(n, struct epitem, fnode);
		int d;

		if (limit <= 0)
			return EP_MAX_NESTS + 1;
		d = 1 + depth_up(it->ep, limit - 1);
		if (d > best)
			best = d;
	}
	return best;
}

/*
 * Would watching epoll @target from @ep make a loop, or a path of more
 * than EP_MAX_NESTS epoll links? (Bounded: the existing graph obeys the
 * limit, so the walks are short.) ep_mtx held.
 */
static bool makes_loop(struct epoll *ep, struct epoll *target)
{
	if (target == ep)
		return true;
	return depth_up(ep, EP_MAX_NESTS) + 1 +
		       depth_down(target, ep, EP_MAX_NESTS) >
	       EP_MAX_NESTS;
}

/* what EPOLLEXCLUSIVE may come with (epoll_ctl(2)) */
#define EXCLUSIVE_OK                                                        \
	(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | \
	 EPOLLEXCLUSIVE)

static long ctl_add(struct epoll *ep, int fd, struct file *target,
		    const struct epoll_event *ev)
{
	struct epitem *it;
	unsigned ready;

	if (file_is_ep(target) && makes_loop(ep, target->priv))
		return -ELOOP;
	it = kzalloc(sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->ep = ep;
	it->file = target;
	it->fd = fd;
	it->events = ev->events | EPOLLERR | EPOLLHUP;
	it->data = ev->data.u64;
	it->armed = true;
	it->refs = 1;
	list_init(&it->rnode);
	spin_lock(&ep->lock);
	if (find_item(ep, fd, target)) {
		spin_unlock(&ep->lock);
		kfree(it);
		return -EEXIST;
	}
	list_add_tail(&ep->items, &it->node);
	spin_unlock(&ep->lock);
	if (!target->ep_items.next)
		list_init(&target->ep_items);
	list_add_tail(&target->ep_items, &it->fnode);
	{
		struct item_pt ipt = {
			.pt = {.queue = item_queue,
			       .key = it->events | POLL_ALWAYS},
			.it = it,
		};

		ready = file_poll(target, &ipt.pt) & (it->events | POLL_ALWAYS);
	}
	if (ready)
		mark_ready(it, ready);
	return 0;
}

long ep_ctl(struct file *epf, int op, int fd, struct file *target,
	    const void *uevent)
{
	struct epoll *ep = epf->priv;
	struct epoll_event ev = {0};
	struct epitem *it;
	unsigned ready;
	long r = 0;

	if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uevent, sizeof(ev)))
		return -EFAULT;
	if (target == epf)
		return -EINVAL;
	/* like Linux: regular files and files without readiness: EPERM */
	if (!target->ops->poll ||
	    (target->host_fd >= 0 && !hostfs_is_stream(target)))
		return -EPERM;
	/* unknown event bits are ignored, as Linux does */
	if (op != EPOLL_CTL_DEL && (ev.events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD || file_is_ep(target) ||
	     (ev.events & ~(uint32_t)EXCLUSIVE_OK)))
		return -EINVAL;

	ep_mtx_lock();
	switch (op) {
	case EPOLL_CTL_ADD:
		r = ctl_add(ep, fd, target, &ev);
		break;
	case EPOLL_CTL_MOD:
		spin_lock(&ep->lock);
		it = find_item(ep, fd, target);
		if (!it || (it->events & EPOLLEXCLUSIVE)) {
			spin_unlock(&ep->lock);
			r = it ? -EINVAL : -ENOENT;
			break;
		}
		it->events = ev.events | EPOLLERR | EPOLLHUP;
		it->data = ev.data.u64;
		it->armed = true;
		spin_unlock(&ep->lock);
		ready = item_ready(it, target);
		if (ready)
			mark_ready(it, ready);
		break;
	case EPOLL_CTL_DEL:
		spin_lock(&ep->lock);
		it = find_item(ep, fd, target);
		spin_unlock(&ep->lock);
		if (it)
			item_remove(it);
		else
			r = -ENOENT;
		break;
	default:
		r = -EINVAL;
		break;
	}
	ep_mtx_unlock();
	return r;
}

/*
 * collect up to @max ready events into @out; how many. Items it had no
 * room for go back to the front of the ready list, level-triggered ones
 * it reported to the back: every ready item gets its turn (Linux).
 */
static int collect(struct epoll *ep, struct epoll_event *out, int max,
		   struct list_node *level)
{
	struct list_node batch, rest;
	int count = 0;

	list_init(&batch);
	list_init(&rest);
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
		struct file *f = NULL;
		unsigned ev = 0;
		bool take;

		spin_lock(&ep->lock);
		if (list_empty(&batch)) {
			/* the ones without room, ahead of the level ones */
			while (!list_empty(&rest)) {
				struct list_node *n = rest.prev;

				list_del(n);
				list_add_head(&ep->ready, n);
			}
			spin_unlock(&ep->lock);
			break;
		}
		it = list_entry(batch.next, struct epitem, rnode);
		/* off every list: a wakeup from now on queues it again */
		list_del(&it->rnode);
		take = count < max && !it->dead && it->armed;
		if (!take && !it->dead && count == max)
			list_add_tail(&rest, &it->rnode); /* the next call's */
		if (take)
			f = file_tryget(it->file);
		spin_unlock(&ep->lock);
		if (f) {
			ev = item_ready(it, f);
			file_put(f);
		}
		if (ev) {
			out[count].events = ev;
			out[count].data.u64 = it->data;
			count++;
			spin_lock(&ep->lock);
			if (it->events & EPOLLONESHOT)
				it->armed = false;
			else if (!(it->events & EPOLLET) && !it->dead &&
				 list_empty(&it->rnode))
				list_add_tail(level, &it->rnode); /* level */
			spin_unlock(&ep->lock);
		}
		item_put(it);
	}
	return count;
}

/* like Linux: at most INT_MAX / sizeof(struct epoll_event) */
#define EP_MAX_EVENTS (int)(0x7fffffff / sizeof(struct epoll_event))

long ep_wait(struct file *epf, void *uevents, int maxevents, uint64_t deadline,
	     bool has_timeout)
{
	struct epoll *ep = epf->priv;
	struct epoll_event *kev;
	int chunk = maxevents < EP_CHUNK ? maxevents : EP_CHUNK;
	struct list_node
		level; /* reported level-triggered items, under ep->lock */
	bool requeued;
	long r, total = 0;

	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
		return -EINVAL;
	if (!user_range_ok(uevents, sizeof(*kev) * (size_t)maxevents))
		return -EFAULT;
	kev = kmalloc(sizeof(*kev) * (size_t)chunk);
	if (!kev)
		return -ENOMEM;
	list_init(&level);
	for (;;) {
		r = collect(ep, kev, chunk, &level);
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
			r = collect(ep, kev, chunk, &level);
			break;
		}
		if (r < 0)
			break;
	}
	/* a full chunk: more may be ready, up to @maxevents */
	while (r > 0) {
		struct epoll_event *dst = (struct epoll_event *)uevents + total;

		if (copy_to_user(dst, kev, sizeof(*kev) * (size_t)r)) {
			r = -EFAULT;
			break;
		}
		total += r;
		if (r < chunk || total == maxevents)
			break;
		r = collect(ep, kev,
			    maxevents - total < chunk ? (int)(maxevents - total)
						      : chunk,
			    &level);
	}
	kfree(kev);
	if (total)
		r = total;
	/*
	 * The level-triggered items reported are ready again, for the next
	 * call - not for a later chunk of this one, which would report them
	 * twice. Like Linux, other waiters are told.
	 */
	spin_lock(&ep->lock);
	requeued = !list_empty(&level);
	while (!list_empty(&level)) {
		struct list_node *n = level.next;

		list_del(n);
		list_add_tail(&ep->ready, n);
	}
	spin_unlock(&ep->lock);
	if (requeued) {
		waitq_wake(&ep->wq, POLLIN, 1);
		waitq_wake(&ep->poll_wq, POLLIN, 1 << 30);
	}
	return r;
}

static unsigned ep_poll(struct file *f, struct poll_table *pt)
{
	struct epoll *ep = f->priv;
	struct epitem *it;
	struct file *target;
	unsigned m = 0;
	uint32_t want;

	poll_wait(pt, &ep->poll_wq, f);
	/* readable if some item really is ready (asked without a lock) */
	spin_lock(&ep->lock);
	if (list_empty(&ep->ready)) {
		spin_unlock(&ep->lock);
		return 0;
	}
	it = list_entry(ep->ready.next, struct epitem, rnode);
	target = it->dead ? NULL : file_tryget(it->file);
	want = it->events;
	spin_unlock(&ep->lock);
	if (!target)
		return POLLIN | POLLRDNORM; /* let the wait sort it out */
	if (file_poll(target, NULL) & (want | POLL_ALWAYS))
		m = POLLIN | POLLRDNORM;
	file_put(target);
	return m;
}

static long ep_dpath(struct file *f, char *buf, size_t n)
{
	(void)f;
	return ksnprintf(buf, n, "anon_inode:[eventpoll]");
}

static void ep_release(struct file *f)
{
	struct epoll *ep = f->priv;

	/* its own items (what watches it went in eventpoll_release) */
	ep_mtx_lock();
	while (!list_empty(&ep->items))
		item_remove(list_entry(ep->items.next, struct epitem, node));
	ep_mtx_unlock();
	kfree(ep);
}

static const struct file_ops epoll_ops = {
	.poll = ep_poll,
	.fstat = anon_inode_fstat,
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
	ep->file = *out;
	return 0;
}
