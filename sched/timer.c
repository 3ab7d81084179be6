/* timer.c - per-kthread timer heaps */
#include <errno.h>
#include <stdint.h>

#include "base/kmalloc.h"
#include "sched/sched.h"

/*
 * A binary min-heap of deadlines per kthread. A timer is armed on the
 * kthread that arms it and fires there: its function runs in kernel mode
 * on that kthread (never in a signal handler), with no lock held.
 * Locking: kthread.timer_lock protects the heap and the timers' heap_idx
 * and kt fields.
 */

static void swap_at(struct kthread *k, int i, int j)
{
	struct timer *a = k->timers[i], *b = k->timers[j];

	k->timers[i] = b;
	k->timers[j] = a;
	b->heap_idx = i;
	a->heap_idx = j;
}

static void sift_up(struct kthread *k, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;

		if (k->timers[p]->deadline <= k->timers[i]->deadline)
			break;
		swap_at(k, i, p);
		i = p;
	}
}

static void sift_down(struct kthread *k, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;

		if (l < k->nr_timers &&
		    k->timers[l]->deadline < k->timers[m]->deadline)
			m = l;
		if (r < k->nr_timers &&
		    k->timers[r]->deadline < k->timers[m]->deadline)
			m = r;
		if (m == i)
			return;
		swap_at(k, i, m);
		i = m;
	}
}

/* remove the timer at @i; lock held */
static void heap_remove(struct kthread *k, int i)
{
	struct timer *t = k->timers[i];
	int last = --k->nr_timers;

	if (i != last) {
		k->timers[i] = k->timers[last];
		k->timers[i]->heap_idx = i;
		sift_down(k, i);
		sift_up(k, i);
	}
	t->heap_idx = -1;
	t->kt = NULL;
}

void timer_init(struct timer *t, void (*fn)(struct timer *), void *arg)
{
	t->running = 0;
	t->deadline = 0;
	t->heap_idx = -1;
	t->kt = NULL;
	t->fn = fn;
	t->arg = arg;
}

/* take the heap lock of the kthread @t is armed on (or NULL if none) */
static struct kthread *lock_timer(struct timer *t)
{
	for (;;) {
		struct kthread *k = __atomic_load_n(&t->kt, __ATOMIC_ACQUIRE);

		if (!k)
			return NULL;
		spin_lock(&k->timer_lock);
		if (t->kt == k)
			return k;
		spin_unlock(&k->timer_lock);
	}
}

bool timer_cancel(struct timer *t)
{
	struct kthread *k = lock_timer(t);

	if (!k)
		return false;
	heap_remove(k, t->heap_idx);
	spin_unlock(&k->timer_lock);
	return true;
}

void timer_cancel_sync(struct timer *t)
{
	timer_cancel(t);
	while (__atomic_load_n(&t->running, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	/* it may have re-armed itself while we waited */
	timer_cancel(t);
}

int timer_arm(struct timer *t, uint64_t deadline)
{
	struct kthread *k;
	bool earliest;

	timer_cancel(t);
	k = this_kthread();
	spin_lock(&k->timer_lock);
	if (k->nr_timers == k->cap_timers) {
		int cap = k->cap_timers ? k->cap_timers * 2 : 64;
		struct timer **nt =
			krealloc(k->timers, sizeof(*nt) * (size_t)cap);

		if (!nt) {
			spin_unlock(&k->timer_lock);
			return -ENOMEM;
		}
		k->timers = nt;
		k->cap_timers = cap;
	}
	t->deadline = deadline;
	t->heap_idx = k->nr_timers++;
	k->timers[t->heap_idx] = t;
	__atomic_store_n(&t->kt, k, __ATOMIC_RELEASE);
	sift_up(k, t->heap_idx);
	earliest = t->heap_idx == 0;
	spin_unlock(&k->timer_lock);
	if (earliest)
		sched_tick_update(k);
	return 0;
}

bool timer_armed(struct timer *t)
{
	return __atomic_load_n(&t->kt, __ATOMIC_ACQUIRE) != NULL;
}

uint64_t timer_next_deadline(struct kthread *k)
{
	uint64_t d = 0;

	if (!__atomic_load_n(&k->nr_timers, __ATOMIC_ACQUIRE))
		return 0; /* none: no lock (a racing arm updates the tick) */
	spin_lock(&k->timer_lock);
	if (k->nr_timers)
		d = k->timers[0]->deadline;
	spin_unlock(&k->timer_lock);
	return d;
}

int timer_run_expired(struct kthread *k, uint64_t now)
{
	int n = 0;

	if (!now) {
		if (!__atomic_load_n(&k->nr_timers, __ATOMIC_ACQUIRE))
			return 0;
		now = kclock_ns();
	}

	for (;;) {
		struct timer *t;

		spin_lock(&k->timer_lock);
		if (!k->nr_timers || k->timers[0]->deadline > now) {
			spin_unlock(&k->timer_lock);
			return n;
		}
		t = k->timers[0];
		heap_remove(k, 0);
		__atomic_store_n(&t->running, 1, __ATOMIC_RELEASE);
		spin_unlock(&k->timer_lock);
		t->fn(t);
		__atomic_store_n(&t->running, 0, __ATOMIC_RELEASE);
		n++;
	}
}
