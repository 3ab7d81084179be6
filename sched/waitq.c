/* waitq.c - wait queues: uthreads waiting for an event */
#include <errno.h>

#include "sched/sched.h"

void waitq_init(struct waitq *wq)
{
	spin_init(&wq->lock);
	list_init(&wq->waiters);
}

void wait_entry_init(struct wait_entry *we, struct uthread *u)
{
	list_init(&we->node);
	we->u = u;
	we->fn = NULL;
	we->priv = NULL;
	we->exclusive = false;
}

void waitq_add(struct waitq *wq, struct wait_entry *we)
{
	spin_lock(&wq->lock);
	if (we->exclusive)
		list_add_tail(&wq->waiters, &we->node);
	else
		list_add_head(&wq->waiters, &we->node);
	spin_unlock(&wq->lock);
}

void waitq_remove(struct waitq *wq, struct wait_entry *we)
{
	spin_lock(&wq->lock);
	if (!list_empty(&we->node))
		list_del(&we->node);
	spin_unlock(&wq->lock);
}

/*
 * Non-exclusive entries (at the head) are all woken; then at most
 * @nr_exclusive exclusive ones (EPOLLEXCLUSIVE, a pipe's writers...).
 */
int waitq_wake(struct waitq *wq, unsigned events, int nr_exclusive)
{
	struct wake_list wl = WAKE_LIST_INIT(wl);
	struct list_node *it, *tmp;
	int woken = 0;

	spin_lock(&wq->lock);
	list_for_each_safe (&wq->waiters, it, tmp) {
		struct wait_entry *we = list_entry(it, struct wait_entry, node);
		bool excl = we->exclusive;
		int r;

		if (we->fn)
			r = we->fn(we, events);
		else
			r = sched_wake_deferred(we->u, &wl);
		woken += r > 0;
		if (excl && r > 0 && --nr_exclusive <= 0)
			break;
	}
	spin_unlock(&wq->lock);
	/* host wakeups outside the lock the woken take next */
	wake_list_flush(&wl);
	return woken;
}

bool waitq_active(struct waitq *wq)
{
	return !list_empty(&wq->waiters);
}

int waitq_wait_locked(struct waitq *wq, struct spinlock *lock,
		      uint64_t deadline, bool (*check_signal)(void))
{
	struct wait_entry we;
	int r;

	wait_entry_init(&we, this_uthread());
	sched_prepare_block(check_signal != NULL);
	waitq_add(wq, &we);
	spin_unlock(lock);
	if (check_signal && check_signal()) {
		sched_cancel_block();
		r = -EINTR;
	} else {
		r = sched_block(deadline);
	}
	waitq_remove(wq, &we);
	spin_lock(lock);
	return r;
}
