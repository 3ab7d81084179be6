/* poll.c - poll(2) and select(2) over every kind of file */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "base/kmalloc.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "kernel/wait.h"
#include "mm/usercopy.h"

unsigned file_poll(struct file *f, struct poll_table *pt)
{
	if (f->ops->poll)
		return f->ops->poll(f, pt);
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

/*
 * A poll table that wakes the calling uthread. Entries are added on the
 * first scan only, and only until something is ready (as Linux does);
 * later scans just ask.
 */
struct pwait {
	struct wait_entry we;
	struct waitq *wq;
};

/* entries never move once on a queue: they come in chunks */
struct pwait_chunk {
	struct pwait_chunk *next;
	int n;
	struct pwait e[32];
};

struct pwaits {
	struct poll_table pt;
	struct pwait_chunk *chunks;
	int triggered; /* atomic: a registered queue was woken */
	int error;
};

static int pwake(struct wait_entry *we, unsigned events)
{
	struct pwaits *pw = we->priv;

	(void)events;
	__atomic_store_n(&pw->triggered, 1, __ATOMIC_RELEASE);
	return sched_wake(we->u);
}

static void pqueue(struct poll_table *pt, struct waitq *wq, struct file *f)
{
	struct pwaits *pw = (struct pwaits *)pt;
	struct pwait_chunk *c = pw->chunks;
	struct pwait *e;

	(void)f;
	if (!c || c->n == (int)(sizeof(c->e) / sizeof(c->e[0]))) {
		c = kmalloc(sizeof(*c));
		if (!c) {
			pw->error = -ENOMEM;
			return;
		}
		c->n = 0;
		c->next = pw->chunks;
		pw->chunks = c;
	}
	e = &c->e[c->n++];
	wait_entry_init(&e->we, this_uthread());
	e->we.fn = pwake;
	e->we.priv = pw;
	e->wq = wq;
	waitq_add(wq, &e->we);
}

static void pwaits_init(struct pwaits *pw)
{
	memset(pw, 0, sizeof(*pw));
	pw->pt.queue = pqueue;
}

static void pwaits_free(struct pwaits *pw)
{
	while (pw->chunks) {
		struct pwait_chunk *c = pw->chunks;

		for (int i = 0; i < c->n; i++)
			waitq_remove(c->e[i].wq, &c->e[i].we);
		pw->chunks = c->next;
		kfree(c);
	}
}

/* one scan of @fds; how many have events */
static int scan(struct pollfd *fds, unsigned nfds, struct pwaits *pw, bool reg)
{
	struct proc *p = current_proc();
	int count = 0;

	for (unsigned i = 0; i < nfds; i++) {
		struct file *f;
		unsigned mask;

		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		f = fdtab_get(p->fdt, fds[i].fd);
		if (!f) {
			fds[i].revents = POLLNVAL;
			count++;
			continue;
		}
		pw->pt.key = (unsigned short)fds[i].events | POLL_ALWAYS;
		mask = file_poll(f, reg ? &pw->pt : NULL);
		file_put(f);
		mask &= (unsigned short)fds[i].events | POLLERR | POLLHUP;
		fds[i].revents = (short)mask;
		if (mask) {
			count++;
			reg = false; /* something is ready: stop registering */
		}
	}
	return count;
}

long do_poll(struct pollfd *fds, unsigned nfds, uint64_t deadline,
	     bool has_timeout)
{
	struct pwaits pw;
	bool first = true;
	long r;

	pwaits_init(&pw);
	for (;;) {
		int count;

		__atomic_store_n(&pw.triggered, 0, __ATOMIC_RELEASE);
		count = scan(fds, nfds, &pw,
			     first && (!has_timeout || deadline));
		first = false;
		if (pw.error) {
			r = pw.error;
			break;
		}
		if (count || (has_timeout && !deadline)) {
			r = count;
			break;
		}
		sched_prepare_block(true);
		if (__atomic_load_n(&pw.triggered, __ATOMIC_ACQUIRE)) {
			sched_cancel_block();
			continue;
		}
		if (signal_pending_now()) {
			sched_cancel_block();
			r = -EINTR;
			break;
		}
		r = sched_block(has_timeout ? deadline : 0);
		if (r == -ETIMEDOUT) {
			/* one more look, then report what we have: nothing */
			r = scan(fds, nfds, &pw, false);
			break;
		}
		if (r == -EINTR)
			break;
	}
	pwaits_free(&pw);
	return r;
}

/* select: fd sets in, poll underneath */
long do_select(int nfds, unsigned long *in, unsigned long *out,
	       unsigned long *ex, uint64_t deadline, bool has_timeout)
{
	const unsigned bits = 8 * sizeof(unsigned long);
	struct pollfd *fds;
	unsigned n = 0;
	long r;

	fds = kmalloc(sizeof(*fds) * (size_t)(nfds ? nfds : 1));
	if (!fds)
		return -ENOMEM;
	for (int fd = 0; fd < nfds; fd++) {
		unsigned long m = 1ul << (fd % bits);
		short ev = 0;

		if (in && (in[fd / bits] & m))
			ev |= POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP |
			      POLLERR;
		if (out && (out[fd / bits] & m))
			ev |= POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR;
		if (ex && (ex[fd / bits] & m))
			ev |= POLLPRI;
		if (!ev)
			continue;
		fds[n].fd = fd;
		fds[n].events = ev;
		n++;
	}
	r = do_poll(fds, n, deadline, has_timeout);
	if (r >= 0) {
		size_t words = ((size_t)nfds + bits - 1) / bits;

		if (in)
			memset(in, 0, words * sizeof(long));
		if (out)
			memset(out, 0, words * sizeof(long));
		if (ex)
			memset(ex, 0, words * sizeof(long));
		r = 0;
		for (unsigned i = 0; i < n; i++) {
			int fd = fds[i].fd;
			unsigned long m = 1ul << (fd % bits);
			short rv = fds[i].revents;

			if (rv & POLLNVAL) {
				r = -EBADF;
				break;
			}
			if (in && (fds[i].events & POLLIN) &&
			    (rv & (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP |
				   POLLERR))) {
				in[fd / bits] |= m;
				r++;
			}
			if (out && (fds[i].events & POLLOUT) &&
			    (rv &
			     (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR))) {
				out[fd / bits] |= m;
				r++;
			}
			if (ex && (fds[i].events & POLLPRI) && (rv & POLLPRI)) {
				ex[fd / bits] |= m;
				r++;
			}
		}
	}
	kfree(fds);
	return r;
}
