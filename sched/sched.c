/* sched.c - run queues, blocking and waking, the scheduler loop */
#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "base/host.h"
#include "base/log.h"
#include "sched/sched.h"

/*
 * Lock order: waitq.lock, then kthread.runq_lock; kthread.timer_lock is
 * never held with another lock. Kernel code is not preempted, so per-
 * kthread state of the running kthread needs no lock against itself.
 */

#define QUANTUM_NS 1000000ull /* preemption quantum, 1 ms */
#define STEAL_AGE_NS 50000ull /* leave fresh work to its own kthread */
#define IDLE_SPIN_NS 50000ull /* poll this long before sleeping */
#define BALANCE_NS 4000000ull /* a busy kthread looks at others' queues */

static atomic_long nr_live; /* uthreads created and not yet exited */
static void (*loop_hook)(void);
static atomic_int shutting_down;
static uint64_t quantum = QUANTUM_NS;

long sched_nr_live(void)
{
	return atomic_load(&nr_live);
}

void sched_set_quantum(uint64_t ns)
{
	quantum = ns;
}

void sched_set_loop_hook(void (*fn)(void))
{
	loop_hook = fn;
}

/* ---- run queues ---- */

static void runq_push(struct kthread *k, struct uthread *u)
{
	spin_lock(&k->runq_lock);
	list_add_tail(&k->runq, &u->runq_node);
	k->runq_len++;
	spin_unlock(&k->runq_lock);
}

static struct uthread *runq_pop(struct kthread *k)
{
	struct uthread *u = NULL;

	if (!__atomic_load_n(&k->runq_len, __ATOMIC_RELAXED))
		return NULL;
	spin_lock(&k->runq_lock);
	if (!list_empty(&k->runq)) {
		u = list_entry(k->runq.next, struct uthread, runq_node);
		list_del(&u->runq_node);
		k->runq_len--;
	}
	spin_unlock(&k->runq_lock);
	return u;
}

/* take the oldest uthread of @v if it has waited at least @min_age */
static struct uthread *runq_steal(struct kthread *v, uint64_t now,
				  uint64_t min_age)
{
	struct uthread *u = NULL;

	if (!__atomic_load_n(&v->runq_len, __ATOMIC_RELAXED))
		return NULL;
	spin_lock(&v->runq_lock);
	if (!list_empty(&v->runq)) {
		struct uthread *c =
			list_entry(v->runq.next, struct uthread, runq_node);

		if (now - c->enqueued_at >= min_age) {
			list_del(&c->runq_node);
			v->runq_len--;
			u = c;
		}
	}
	spin_unlock(&v->runq_lock);
	return u;
}

/* ---- waking idle kthreads ---- */

static void kick(struct kthread *k)
{
	if (!__atomic_load_n(&k->idle, __ATOMIC_ACQUIRE))
		return;
	if (__atomic_exchange_n(&k->wake_word, 1, __ATOMIC_ACQ_REL) == 0)
		host_futex(&k->wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* wake one sleeping kthread other than @self, to steal work */
static void kick_an_idle(struct kthread *self)
{
	int n = kthread_count();

	for (int i = 0; i < n; i++) {
		struct kthread *k = kthread_get(i);

		if (k != self && __atomic_load_n(&k->idle, __ATOMIC_ACQUIRE)) {
			kick(k);
			return;
		}
	}
}

/*
 * enqueue - make @u runnable. On the current kthread if it runs uthreads
 * (a handoff then costs no host wakeup), else on @u's last kthread. A
 * second waiting uthread, or work queued on another kthread, wakes an
 * idle kthread to come and take it.
 */
static void enqueue(struct uthread *u, struct wake_list *wl)
{
	struct kthread *self = this_kthread();
	struct kthread *k = self && self->id >= 0 ? self : u->last_kt;
	int len;

	if (!k)
		k = kthread_get(0);
	/*
	 * When it became runnable, for the steal age: the current run's
	 * start is close enough (a waker that has run long is busy, and its
	 * wakee may as well go elsewhere) and saves a clock read.
	 */
	u->enqueued_at =
		self && self->cur ? self->cur->run_start : sched_clock_ns();
	runq_push(k, u);
	len = __atomic_load_n(&k->runq_len, __ATOMIC_RELAXED);
	if (wl) {
		if (k != self)
			wl->kick |= 1ull << k->id;
		else if (len >= 2)
			wl->kick_idle = true;
		if (k == self && self->cur)
			wl->tick = true;
		return;
	}
	if (k != self)
		kick(k);
	else if (len >= 2)
		kick_an_idle(self);
	if (k == self && self->cur)
		sched_tick_update(k); /* the quantum now matters */
}

void wake_list_flush(struct wake_list *wl)
{
	struct kthread *self = this_kthread();

	for (uint64_t m = wl->kick; m; m &= m - 1)
		kick(kthread_get(__builtin_ctzll(m)));
	if (wl->kick_idle)
		kick_an_idle(self);
	if (wl->tick && self->cur)
		sched_tick_update(self);
	wl->kick = 0;
	wl->kick_idle = wl->tick = false;
}

static int wake(struct uthread *u, int reason, bool need_interruptible,
		struct wake_list *wl)
{
	for (;;) {
		int s = __atomic_load_n(&u->state, __ATOMIC_ACQUIRE);

		if (need_interruptible && !u->interruptible)
			return 0;
		if (s == UT_BLOCKING) {
			u->wake_reason = reason;
			if (__atomic_compare_exchange_n(
				    &u->state, &s, UT_RUNNING, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return 1;
			continue;
		}
		if (s == UT_BLOCKED) {
			u->wake_reason = reason;
			if (__atomic_compare_exchange_n(
				    &u->state, &s, UT_RUNNABLE, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				enqueue(u, wl);
				return 1;
			}
			continue;
		}
		return 0;
	}
}

int sched_wake(struct uthread *u)
{
	if (!u->last_kt) {
		/* a new uthread */
		atomic_fetch_add(&nr_live, 1);
		u->state = UT_RUNNABLE;
		u->last_kt = this_kthread()->id >= 0 ? this_kthread()
						     : kthread_get(0);
		enqueue(u, NULL);
		return 1;
	}
	return wake(u, WAKE_EVENT, false, NULL);
}

int sched_wake_deferred(struct uthread *u, struct wake_list *wl)
{
	return wake(u, WAKE_EVENT, false, wl);
}

int sched_wake_signal(struct uthread *u)
{
	return wake(u, WAKE_SIGNAL, true, NULL);
}

/* ---- switching ---- */

static void account_out(struct uthread *u, uint64_t now)
{
	if (u->run_start)
		u->cpu_ns += now - u->run_start;
	u->run_start = 0;
}

uint64_t sched_cpu_ns(struct uthread *u)
{
	uint64_t t = __atomic_load_n(&u->cpu_ns, __ATOMIC_RELAXED);
	uint64_t s = __atomic_load_n(&u->run_start, __ATOMIC_RELAXED);
	uint64_t now = sched_clock_ns();

	/* running now (here or on another kthread): count this run too */
	if (s && now > s)
		t += now - s;
	return t;
}

/*
 * switch_to - run @next on kthread @k, leaving @prev (NULL: the loop).
 * Returns on the stack of whoever is switched back to later.
 */
static void switch_to(struct kthread *k, struct uthread *prev,
		      struct uthread *next)
{
	void **save = prev ? &prev->ksp : &k->loop_sp;
	uint64_t now = sched_clock_ns();

	/* its switch away may still be finishing on another kthread */
	while (__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	__atomic_store_n(&next->on_cpu, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&next->state, UT_RUNNING, __ATOMIC_RELAXED);
	if (prev)
		account_out(prev, now);
	next->run_start = now;
	next->last_kt = k;
	k->prev = prev;
	k->cur = next;
	k->kstack_top = next->kstack_top;
	/* others wait: @next gets a quantum (no syscall if one is armed) */
	if (__atomic_load_n(&k->runq_len, __ATOMIC_RELAXED))
		sched_tick_update(k);
	sched_switch_stack(save, next->ksp);
	sched_finish_switch();
}

static void switch_to_loop(struct kthread *k, struct uthread *prev)
{
	account_out(prev, sched_clock_ns());
	k->prev = prev;
	k->cur = NULL;
	sched_switch_stack(&prev->ksp, k->loop_sp);
	sched_finish_switch();
}

void sched_finish_switch(void)
{
	struct kthread *k = this_kthread();
	struct uthread *prev = k->prev;

	if (!prev)
		return;
	k->prev = NULL;
	if (__atomic_load_n(&prev->state, __ATOMIC_ACQUIRE) == UT_DEAD) {
		uthread_destroy(prev);
		if (prev->release)
			prev->release(prev);
		return;
	}
	__atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
}

/* @prev gives up the kthread (its state is already set) */
static void schedule(struct kthread *k, struct uthread *prev)
{
	struct uthread *next = runq_pop(k);

	if (next)
		switch_to(k, prev, next);
	else
		switch_to_loop(k, prev);
}

/* ---- blocking ---- */

static void block_timeout(struct timer *t)
{
	wake(t->arg, WAKE_TIMEOUT, false, NULL);
}

void sched_prepare_block(bool interruptible)
{
	struct uthread *u = this_uthread();

	u->interruptible = interruptible;
	u->wake_reason = WAKE_EVENT;
	__atomic_store_n(&u->state, UT_BLOCKING, __ATOMIC_SEQ_CST);
}

void sched_cancel_block(void)
{
	struct uthread *u = this_uthread();

	__atomic_store_n(&u->state, UT_RUNNING, __ATOMIC_RELEASE);
	u->interruptible = false;
}

int sched_block(uint64_t deadline)
{
	struct uthread *u = this_uthread();
	int s = UT_BLOCKING, reason;

	if (deadline) {
		if (deadline <= kclock_ns()) {
			sched_cancel_block();
			return -ETIMEDOUT;
		}
		timer_init(&u->block_timer, block_timeout, u);
		timer_arm(&u->block_timer, deadline);
	}
	if (__atomic_compare_exchange_n(&u->state, &s, UT_BLOCKED, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		xstate_save(u);
		u->nvcsw++;
		schedule(this_kthread(), u);
	}
	/* woken (maybe before we even left) */
	if (deadline)
		timer_cancel_sync(&u->block_timer);
	u->interruptible = false;
	reason = u->wake_reason;
	if (reason == WAKE_TIMEOUT)
		return -ETIMEDOUT;
	if (reason == WAKE_SIGNAL)
		return -EINTR;
	return 0;
}

void sched_yield_current(void)
{
	struct kthread *k = this_kthread();
	struct uthread *u = k->cur, *next;

	__atomic_store_n(&k->need_resched, 0, __ATOMIC_RELAXED);
	next = runq_pop(k);
	if (!next)
		return;
	xstate_save(u);
	u->state = UT_RUNNABLE;
	u->nivcsw++;
	u->enqueued_at = u->run_start; /* as in enqueue: no clock read */
	runq_push(k, u);
	switch_to(k, u, next);
}

_Noreturn void sched_exit_current(void)
{
	struct kthread *k = this_kthread();
	struct uthread *u = k->cur;

	__atomic_store_n(&u->state, UT_DEAD, __ATOMIC_RELEASE);
	atomic_fetch_sub(&nr_live, 1);
	if (atomic_load(&nr_live) == 0)
		sched_shutdown();
	schedule(k, u);
	__builtin_unreachable();
}

/* ---- the tick: quantum, timers, balance ---- */

/* the kthread other than @self with the most waiting uthreads */
static struct kthread *busiest_other(struct kthread *self, int *len)
{
	struct kthread *best = NULL;
	int n = kthread_count();

	*len = 0;
	for (int i = 0; i < n; i++) {
		struct kthread *v = kthread_get(i);
		int l;

		if (!v || v == self)
			continue;
		l = __atomic_load_n(&v->runq_len, __ATOMIC_RELAXED);
		if (l > *len) {
			*len = l;
			best = v;
		}
	}
	return best;
}

/*
 * A kthread busy with one uthread never goes idle to steal, so while
 * others have uthreads waiting it ticks every BALANCE_NS and pulls one
 * from a longer queue than its own.
 */
static void balance(struct kthread *k, uint64_t now)
{
	int len, mine = __atomic_load_n(&k->runq_len, __ATOMIC_RELAXED);
	struct kthread *v = busiest_other(k, &len);
	struct uthread *u;

	k->last_balance = now;
	if (!v || len <= mine)
		return;
	u = runq_steal(v, now, 0);
	if (!u)
		return;
	u->enqueued_at = now;
	runq_push(k, u);
}

/* a busy kthread with nothing waiting and no tick: make it balance */
static void nudge_a_lone_kthread(struct kthread *self)
{
	int n = kthread_count();

	for (int i = 0; i < n; i++) {
		struct kthread *k = kthread_get(i);

		if (!k || k == self ||
		    __atomic_load_n(&k->idle, __ATOMIC_ACQUIRE) ||
		    !__atomic_load_n(&k->cur, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&k->runq_len, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&k->tick_armed, __ATOMIC_RELAXED))
			continue;
		host_tgkill((int)host_getpid(), (int)k->host_tid, SIG_PREEMPT);
		return;
	}
}

/*
 * Arm the tick for the earliest of: the first timer (kclock), the end of
 * the current quantum if others wait, the next balance if another kthread
 * has a queue (both sched_clock). The host timer is relative, so each is
 * measured against its own clock; tick_armed is in sched_clock terms.
 */
void sched_tick_update(struct kthread *k)
{
	struct itimerspec its = {{0, 0}, {0, 0}};
	uint64_t fast, next, delay = UINT64_MAX, want;
	int others;

	if (k->host_timer < 0)
		return;
	/*
	 * The common case, a wake while the tick is armed for the current
	 * quantum: timer_arm keeps the tick no later than the earliest timer,
	 * so the heap need not be looked at.
	 */
	if (k->cur && k->tick_armed &&
	    k->tick_armed <= k->cur->run_start + quantum &&
	    __atomic_load_n(&k->runq_len, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&k->tick_pending, __ATOMIC_ACQUIRE))
		return;
	fast = sched_clock_ns();
	next = timer_next_deadline(k);
	if (next) {
		uint64_t now = kclock_ns();

		delay = next > now ? next - now : 1;
	}
	if (k->cur && __atomic_load_n(&k->runq_len, __ATOMIC_RELAXED)) {
		uint64_t q = k->cur->run_start + quantum;
		uint64_t d = q > fast ? q - fast : 1;

		if (d < delay)
			delay = d;
	} else if (k->cur && busiest_other(k, &others)) {
		uint64_t b = k->last_balance + BALANCE_NS;
		uint64_t d = b > fast ? b - fast : 1;

		if (d < delay)
			delay = d;
	}
	if (delay == UINT64_MAX)
		return; /* a stale tick costs one signal; no syscall now */
	want = fast + delay;
	/*
	 * The armed one-shot fires early enough: nothing to do. (One that
	 * fired sets tick_pending, seen at the next kernel exit or loop
	 * iteration, which clears tick_armed and calls here again.)
	 */
	if (k->tick_armed && k->tick_armed <= want &&
	    !__atomic_load_n(&k->tick_pending, __ATOMIC_ACQUIRE))
		return;
	k->tick_armed = want;
	its.it_value.tv_sec = (time_t)(delay / 1000000000ull);
	its.it_value.tv_nsec = (long)(delay % 1000000000ull);
	host_syscall4(SYS_timer_settime, k->host_timer, 0, &its, NULL);
}

void sched_tick(void)
{
	struct kthread *k = this_kthread();
	struct uthread *u = k->cur;
	uint64_t now;

	/* on every kernel exit: plain loads first, no locked instruction */
	if (__atomic_load_n(&k->tick_pending, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&k->tick_pending, 0, __ATOMIC_ACQ_REL))
		k->tick_armed = 0; /* the one-shot fired */
	else if (!__atomic_load_n(&k->need_resched, __ATOMIC_RELAXED))
		return;
	timer_run_expired(k, 0);
	now = sched_clock_ns();
	if (u && kthread_count() > 1 && now - k->last_balance >= BALANCE_NS)
		balance(k, now);
	if (u && __atomic_load_n(&k->runq_len, __ATOMIC_RELAXED) &&
	    (now - u->run_start >= quantum ||
	     __atomic_load_n(&k->need_resched, __ATOMIC_RELAXED))) {
		/* somebody waits and we had our quantum: let others run */
		if (kthread_count() > 1) {
			kick_an_idle(k);
			nudge_a_lone_kthread(k);
		}
		sched_yield_current();
		k = this_kthread();
	}
	sched_tick_update(k);
}

/* ---- the loop ---- */

void sched_shutdown(void)
{
	atomic_store(&shutting_down, 1);
	for (int i = 0; i < kthread_count(); i++) {
		struct kthread *k = kthread_get(i);

		if (k)
			kick(k);
	}
}

static struct uthread *steal(struct kthread *self, uint64_t now,
			     uint64_t min_age)
{
	int n = kthread_count();

	for (int i = 1; i <= n; i++) {
		struct kthread *v = kthread_get((self->id + i) % n);
		struct uthread *u;

		if (v == self)
			continue;
		u = runq_steal(v, now, min_age);
		if (u)
			return u;
	}
	return NULL;
}

/* sleep until kicked or until @deadline (0: none) */
static void idle_sleep(struct kthread *k, uint64_t deadline)
{
	struct timespec ts, *tp = NULL;

	if (deadline) {
		uint64_t now = kclock_ns();
		uint64_t d = deadline > now ? deadline - now : 0;

		ts.tv_sec = (time_t)(d / 1000000000ull);
		ts.tv_nsec = (long)(d % 1000000000ull);
		tp = &ts;
	}
	__atomic_store_n(&k->wake_word, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&k->idle, 1, __ATOMIC_SEQ_CST);
	/* a push racing with the store of idle is seen here */
	if (!__atomic_load_n(&k->runq_len, __ATOMIC_SEQ_CST) &&
	    !atomic_load(&shutting_down))
		host_futex(&k->wake_word, FUTEX_WAIT_PRIVATE, 0, tp, NULL, 0);
	__atomic_store_n(&k->idle, 0, __ATOMIC_RELAXED);
}

void sched_run(void)
{
	struct kthread *k = this_kthread();

	for (;;) {
		struct uthread *u;
		uint64_t now = sched_clock_ns(), spin_until;

		if (loop_hook)
			loop_hook();
		if (__atomic_exchange_n(&k->tick_pending, 0, __ATOMIC_ACQ_REL))
			k->tick_armed = 0; /* it fired while we were here */
		timer_run_expired(k, 0);
		u = runq_pop(k);
		if (!u)
			u = steal(k, now, STEAL_AGE_NS);
		if (u) {
			switch_to(k, NULL, u);
			continue;
		}
		if (atomic_load(&shutting_down))
			return;
		/* poll briefly, then sleep: idle costs nothing (rule 6) */
		spin_until = now + IDLE_SPIN_NS;
		while (!u && (now = sched_clock_ns()) < spin_until &&
		       !atomic_load(&shutting_down)) {
			uint64_t next = timer_next_deadline(k);

			if (next && next <= kclock_ns())
				break;
			u = runq_pop(k);
			if (!u)
				u = steal(k, now, STEAL_AGE_NS);
			__builtin_ia32_pause();
		}
		if (u) {
			switch_to(k, NULL, u);
			continue;
		}
		if (now < spin_until || atomic_load(&shutting_down))
			continue;
		idle_sleep(k, timer_next_deadline(k));
	}
}
