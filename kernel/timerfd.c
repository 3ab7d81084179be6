/* timerfd.c - timers that notify through a file descriptor */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>

#include "base/fmt.h"
#include "base/host.h"
#include "base/kmalloc.h"
#include "kernel/objects.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "mm/usercopy.h"

/*
 * Expirations come from a timer of the kthread that armed it; deadlines
 * are kept on our monotonic clock. An absolute time on CLOCK_REALTIME is
 * turned into the same distance from now when armed (a later change of
 * the host's clock does not move it; TFD_TIMER_CANCEL_ON_SET is accepted
 * and never fires - README). Locking: lock protects everything but wq.
 */
struct timerfd {
	struct spinlock lock;
	int clockid;
	uint64_t deadline; /* kclock ns of the next expiry, 0: disarmed */
	uint64_t interval; /* ns, 0: one-shot */
	uint64_t ticks; /* expirations not yet read */
	struct timer timer;
	struct waitq wq;
};

static void tfd_fire(struct timer *t)
{
	struct timerfd *tf = t->arg;
	uint64_t now = kclock_ns(), n;

	spin_lock(&tf->lock);
	if (!tf->deadline || tf->deadline > now) {
		spin_unlock(&tf->lock);
		return;
	}
	n = 1;
	if (tf->interval) {
		/* count the periods missed, as Linux's overrun does */
		n += (now - tf->deadline) / tf->interval;
		tf->deadline += n * tf->interval;
		timer_arm(&tf->timer, tf->deadline);
	} else {
		tf->deadline = 0;
	}
	tf->ticks += n;
	spin_unlock(&tf->lock);
	waitq_wake(&tf->wq, POLLIN, 1 << 30);
}

static long tfd_read(struct file *f, void *ubuf, size_t n, off_t off)
{
	struct timerfd *tf = f->priv;
	uint64_t v;
	long r;

	(void)off;
	if (n < 8)
		return -EINVAL;
	spin_lock(&tf->lock);
	while (tf->ticks == 0) {
		if (f->oflags & O_NONBLOCK) {
			spin_unlock(&tf->lock);
			return -EAGAIN;
		}
		r = waitq_wait_locked(&tf->wq, &tf->lock, 0,
				      signal_pending_now);
		if (r < 0) {
			spin_unlock(&tf->lock);
			return r;
		}
	}
	v = tf->ticks;
	if (copy_to_user(ubuf, &v, 8)) {
		spin_unlock(&tf->lock);
		return -EFAULT;
	}
	tf->ticks = 0;
	spin_unlock(&tf->lock);
	return 8;
}

static unsigned tfd_poll(struct file *f, struct poll_table *pt)
{
	struct timerfd *tf = f->priv;
	unsigned m;

	poll_wait(pt, &tf->wq, f);
	spin_lock(&tf->lock);
	m = tf->ticks ? POLLIN | POLLRDNORM : 0;
	spin_unlock(&tf->lock);
	return m;
}

static long tfd_dpath(struct file *f, char *buf, size_t n)
{
	(void)f;
	return ksnprintf(buf, n, "anon_inode:[timerfd]");
}

static void tfd_release(struct file *f)
{
	struct timerfd *tf = f->priv;

	timer_cancel_sync(&tf->timer);
	kfree(tf);
}

static const struct file_ops timerfd_ops = {
	.read = tfd_read,
	.poll = tfd_poll,
	.fstat = anon_inode_fstat,
	.dpath = tfd_dpath,
	.release = tfd_release,
};

bool file_is_timerfd(struct file *f)
{
	return f->ops == &timerfd_ops;
}

int tfd_create(int clockid, int flags, struct file **out)
{
	struct timerfd *tf;

	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	switch (clockid) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		break;
	default:
		return -EINVAL;
	}
	tf = kzalloc(sizeof(*tf));
	if (!tf)
		return -ENOMEM;
	spin_init(&tf->lock);
	waitq_init(&tf->wq);
	tf->clockid = clockid;
	timer_init(&tf->timer, tfd_fire, tf);
	*out = file_alloc(&timerfd_ops, FS_ANON,
			  O_RDONLY | ((unsigned)flags & TFD_NONBLOCK), -1,
			  NULL);
	if (!*out) {
		kfree(tf);
		return -ENOMEM;
	}
	(*out)->priv = tf;
	return 0;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return ns_sat((uint64_t)ts->tv_sec, (uint64_t)ts->tv_nsec);
}

static void ns_ts(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
}

static bool ts_ok(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

/* the current setting, with the time left (locked) */
static void current_its(struct timerfd *tf, struct itimerspec *its)
{
	uint64_t now = kclock_ns();

	memset(its, 0, sizeof(*its));
	if (tf->deadline)
		ns_ts(tf->deadline > now ? tf->deadline - now : 1,
		      &its->it_value);
	ns_ts(tf->interval, &its->it_interval);
}

long tfd_settime(struct file *f, int flags, const void *unew, void *uold)
{
	struct timerfd *tf = f->priv;
	struct itimerspec nv, ov;
	uint64_t deadline = 0, missed = 0, interval;

	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (copy_from_user(&nv, unew, sizeof(nv)))
		return -EFAULT;
	if (!ts_ok(&nv.it_value) || !ts_ok(&nv.it_interval))
		return -EINVAL;
	if (nv.it_value.tv_sec || nv.it_value.tv_nsec) {
		uint64_t v = ts_ns(&nv.it_value), now = kclock_ns();

		if (flags & TFD_TIMER_ABSTIME) {
			struct timespec c;
			int clk = tf->clockid == CLOCK_REALTIME_ALARM
					  ? CLOCK_REALTIME
				  : tf->clockid == CLOCK_BOOTTIME_ALARM
					  ? CLOCK_BOOTTIME
					  : tf->clockid;
			uint64_t cnow;

			host_clock_gettime(clk, &c);
			cnow = ts_ns(&c);
			if (v >= cnow) {
				deadline = now + (v - cnow);
			} else {
				/*
				 * A start in the past: the periods since
				 * then have expired already (Linux counts
				 * them at the first expiry).
				 */
				uint64_t late = cnow - v, into = 0;

				interval = ts_ns(&nv.it_interval);
				if (interval) {
					missed = late / interval;
					into = late % interval;
				}
				deadline = now > into ? now - into : 1;
			}
		} else {
			deadline = now + v;
		}
		if (!deadline)
			deadline = 1;
	}
	timer_cancel_sync(&tf->timer);
	spin_lock(&tf->lock);
	current_its(tf, &ov);
	tf->deadline = deadline;
	tf->interval = ts_ns(&nv.it_interval);
	tf->ticks = missed; /* the rest comes with the (immediate) expiry */
	if (deadline)
		timer_arm(&tf->timer, deadline);
	spin_unlock(&tf->lock);
	if (uold && copy_to_user(uold, &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

long tfd_gettime(struct file *f, void *ucur)
{
	struct timerfd *tf = f->priv;
	struct itimerspec its;

	spin_lock(&tf->lock);
	current_its(tf, &its);
	spin_unlock(&tf->lock);
	return copy_to_user(ucur, &its, sizeof(its));
}
