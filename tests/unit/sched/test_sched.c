/* test_sched.c - run queues, blocking and waking, timeouts, stealing */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "kernel/proc.h"
#include "sched/sched.h"

#include "helpers.h"

/*
 * The test thread is kthread 0: it queues uthreads, then runs the
 * scheduler loop (unit_run) until they have all exited. One kthread
 * makes every order deterministic: the run queue is FIFO and a woken
 * uthread goes to its tail. The clock is fake: time moves only when a
 * uthread moves it.
 */

static void setup1(void)
{
	unit_sched_setup(1, true);
}

TestSuite(sched, .init = setup1, .timeout = 10);

/*
 * unit_tick - what the host timer's signal and the next syscall exit do
 * (on_preempt sets tick_pending, kernel_exit_work calls sched_tick).
 */
static void unit_tick(void)
{
	__atomic_store_n(&this_kthread()->tick_pending, 1, __ATOMIC_RELEASE);
	sched_tick();
}

static struct uthread *self(void)
{
	return this_uthread();
}

static int state_of(struct thread *t)
{
	return __atomic_load_n(&t->ut.state, __ATOMIC_ACQUIRE);
}

/* ---- run queue order ---- */

static void log_live(void *arg)
{
	unit_log((int)(intptr_t)arg * 10 + (int)sched_nr_live());
}

Test(sched, run_queue_is_fifo)
{
	for (int i = 0; i < 5; i++)
		unit_spawn(log_live, (void *)(intptr_t)i);
	cr_assert_eq(sched_nr_live(), 5);
	cr_assert_eq(this_kthread()->runq_len, 5);
	unit_run();
	/* each ran once, in order, after its predecessors exited */
	unit_log_expect((int[]){5, 14, 23, 32, 41}, 5);
	cr_assert_eq(this_kthread()->runq_len, 0);
	cr_assert_null(this_kthread()->cur);
}

static void yielder(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (int round = 0; round < 3; round++) {
		unit_log(id * 10 + round);
		sched_yield_current();
	}
}

Test(sched, yield_round_robin)
{
	for (int i = 0; i < 3; i++)
		unit_spawn(yielder, (void *)(intptr_t)i);
	unit_run();
	unit_log_expect((int[]){0, 10, 20, 1, 11, 21, 2, 12, 22}, 9);
}

static int lone_nivcsw = -1;

static void lone_yielder(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		sched_yield_current(); /* nobody else: returns at once */
	unit_log(1);
	lone_nivcsw = (int)self()->nivcsw;
}

Test(sched, yield_alone_returns)
{
	unit_spawn(lone_yielder, NULL);
	unit_run();
	unit_log_expect((int[]){1}, 1);
	cr_assert_eq(lone_nivcsw, 0, "no switch without another uthread");
}

static void child(void *arg)
{
	(void)arg;
	unit_log(3);
}

static void parent(void *arg)
{
	(void)arg;
	unit_log(1);
	unit_spawn(child, NULL);
	unit_log(2 * 10 + (int)sched_nr_live());
}

Test(sched, spawn_from_uthread_runs_after)
{
	unit_spawn(parent, NULL);
	unit_run();
	unit_log_expect((int[]){1, 22, 3}, 3);
}

/* ---- blocking and waking ---- */

struct pair {
	struct thread *a;
	int r, reason, states[4];
};

static void blocker(void *arg)
{
	struct pair *p = arg;

	unit_log(1);
	sched_prepare_block(false);
	p->r = sched_block(0);
	p->reason = self()->wake_reason;
	unit_log(4);
}

static void waker(void *arg)
{
	struct pair *p = arg;

	unit_log(2);
	p->states[0] = state_of(p->a);
	p->states[1] = sched_wake(&p->a->ut);
	p->states[2] = state_of(p->a);
	p->states[3] = sched_wake(&p->a->ut); /* already runnable */
	unit_log(3);
}

Test(sched, block_then_wake)
{
	static struct pair p;

	p.a = unit_spawn(blocker, &p);
	unit_spawn(waker, &p);
	unit_run();
	unit_log_expect((int[]){1, 2, 3, 4}, 4);
	cr_assert_eq(p.states[0], UT_BLOCKED);
	cr_assert_eq(p.states[1], 1);
	cr_assert_eq(p.states[2], UT_RUNNABLE);
	cr_assert_eq(p.states[3], 0, "a second wake finds it runnable");
	cr_assert_eq(p.r, 0);
	cr_assert_eq(p.reason, WAKE_EVENT);
}

static struct {
	int wake_blocking, r, nvcsw_delta, wake_running;
} early;

static void wake_self_before_block(void *arg)
{
	uint64_t n0 = self()->nvcsw;

	(void)arg;
	sched_prepare_block(false);
	/* a waker that comes between the check and the block */
	early.wake_blocking = sched_wake(self());
	early.r = sched_block(0);
	early.nvcsw_delta = (int)(self()->nvcsw - n0);
	sched_prepare_block(false);
	sched_cancel_block();
	early.wake_running = sched_wake(self());
}

Test(sched, wake_before_block_is_not_lost)
{
	unit_spawn(wake_self_before_block, NULL);
	unit_run();
	cr_assert_eq(early.wake_blocking, 1);
	cr_assert_eq(early.r, 0, "sched_block returns at once");
	cr_assert_eq(early.nvcsw_delta, 0, "and does not switch away");
	cr_assert_eq(early.wake_running, 0, "a running uthread is not woken");
}

static struct {
	struct thread *a, *b;
	int r_a, r_b, sig_b_blocked, sig_a;
} intr;

static void intr_blocker_a(void *arg)
{
	(void)arg;
	sched_prepare_block(true);
	intr.r_a = sched_block(0);
}

static void intr_blocker_b(void *arg)
{
	(void)arg;
	sched_prepare_block(false);
	intr.r_b = sched_block(0);
}

static void intr_waker(void *arg)
{
	(void)arg;
	intr.sig_a = sched_wake_signal(&intr.a->ut);
	intr.sig_b_blocked = sched_wake_signal(&intr.b->ut);
	cr_expect_eq(state_of(intr.b), UT_BLOCKED);
	sched_wake(&intr.b->ut);
}

Test(sched, signal_ends_only_interruptible_blocks)
{
	intr.a = unit_spawn(intr_blocker_a, NULL);
	intr.b = unit_spawn(intr_blocker_b, NULL);
	unit_spawn(intr_waker, NULL);
	unit_run();
	cr_assert_eq(intr.sig_a, 1);
	cr_assert_eq(intr.r_a, -EINTR);
	cr_assert_eq(intr.sig_b_blocked, 0, "not interruptible: not woken");
	cr_assert_eq(intr.r_b, 0);
}

/* ---- timeouts on the fake clock ---- */

static struct {
	struct thread *t[3];
	int r[3];
	uint64_t woke_at[3], deadline[3];
	int state_before, state_after;
} to;

static void timed_blocker(void *arg)
{
	int i = (int)(intptr_t)arg;

	to.deadline[i] = unit_now + to.deadline[i];
	sched_prepare_block(false);
	to.r[i] = sched_block(to.deadline[i]);
	to.woke_at[i] = unit_now;
	unit_log(i);
}

/* moves the clock to just before, then to the deadline, ticking */
static void clock_driver(void *arg)
{
	(void)arg;
	unit_clock_advance(999);
	unit_tick();
	to.state_before = state_of(to.t[0]);
	unit_clock_advance(1);
	unit_tick();
	to.state_after = state_of(to.t[0]);
	unit_log(9);
}

Test(sched, block_times_out_at_deadline)
{
	to.deadline[0] = 1000;
	to.t[0] = unit_spawn(timed_blocker, (void *)0);
	unit_spawn(clock_driver, NULL);
	unit_run();
	cr_assert_eq(to.state_before, UT_BLOCKED, "not woken before");
	cr_assert_eq(to.state_after, UT_RUNNABLE, "woken at its deadline");
	cr_assert_eq(to.r[0], -ETIMEDOUT);
	cr_assert_eq(to.woke_at[0], to.deadline[0]);
	unit_log_expect((int[]){9, 0}, 2);
	cr_assert_eq(timer_next_deadline(this_kthread()), 0);
}

static void jump_clock(void *arg)
{
	unit_clock_advance((uint64_t)(uintptr_t)arg);
	unit_log(9);
}

/* the scheduler loop fires expired timers, earliest first */
Test(sched, timeouts_fire_in_deadline_order)
{
	uint64_t d[3] = {3000, 1000, 2000};

	for (int i = 0; i < 3; i++) {
		to.deadline[i] = d[i];
		to.t[i] = unit_spawn(timed_blocker, (void *)(intptr_t)i);
	}
	unit_spawn(jump_clock, (void *)5000);
	unit_run();
	unit_log_expect((int[]){9, 1, 2, 0}, 4);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(to.r[i], -ETIMEDOUT);
}

static struct {
	struct thread *a;
	int r1, r2, armed_after, state_after_deadline;
	uint64_t next_after;
} ev;

static void event_blocker(void *arg)
{
	(void)arg;
	sched_prepare_block(false);
	ev.r1 = sched_block(unit_now + 1000);
	ev.armed_after = timer_armed(&self()->block_timer);
	ev.next_after = timer_next_deadline(this_kthread());
	sched_prepare_block(false);
	ev.r2 = sched_block(0);
}

static void event_waker(void *arg)
{
	(void)arg;
	sched_wake(&ev.a->ut);
	sched_yield_current(); /* the blocker runs and blocks again */
	unit_clock_advance(5000);
	unit_tick();
	ev.state_after_deadline = state_of(ev.a);
	sched_wake(&ev.a->ut);
}

Test(sched, event_before_deadline_cancels_timeout)
{
	ev.a = unit_spawn(event_blocker, NULL);
	unit_spawn(event_waker, NULL);
	unit_run();
	cr_assert_eq(ev.r1, 0);
	cr_assert_not(ev.armed_after, "the timeout is disarmed");
	cr_assert_eq(ev.next_after, 0);
	cr_assert_eq(ev.state_after_deadline, UT_BLOCKED,
		     "the old deadline does not wake the next block");
	cr_assert_eq(ev.r2, 0);
}

static struct {
	int r1, r2, state;
	uint64_t nvcsw;
} past;

static void past_deadline(void *arg)
{
	uint64_t n0 = self()->nvcsw;

	(void)arg;
	sched_prepare_block(false);
	past.r1 = sched_block(unit_now);
	sched_prepare_block(true);
	past.r2 = sched_block(unit_now - 1);
	past.state = __atomic_load_n(&self()->state, __ATOMIC_ACQUIRE);
	past.nvcsw = self()->nvcsw - n0;
}

Test(sched, past_deadline_returns_at_once)
{
	unit_spawn(past_deadline, NULL);
	unit_run();
	cr_assert_eq(past.r1, -ETIMEDOUT);
	cr_assert_eq(past.r2, -ETIMEDOUT);
	cr_assert_eq(past.state, UT_RUNNING);
	cr_assert_eq(past.nvcsw, 0);
}

/* ---- preemption at a tick ---- */

static void spinner(void *arg)
{
	uint64_t adv = (uint64_t)(uintptr_t)arg;

	unit_log(1);
	unit_clock_advance(adv);
	unit_tick();
	unit_log(2);
}

static void other(void *arg)
{
	(void)arg;
	unit_log(3);
}

Test(sched, tick_preempts_after_quantum)
{
	unit_spawn(spinner, (void *)1000000); /* the 1 ms quantum */
	unit_spawn(other, NULL);
	unit_run();
	unit_log_expect((int[]){1, 3, 2}, 3);
}

Test(sched, tick_within_quantum_does_not_preempt)
{
	unit_spawn(spinner, (void *)999999);
	unit_spawn(other, NULL);
	unit_run();
	unit_log_expect((int[]){1, 2, 3}, 3);
}

Test(sched, quantum_is_settable)
{
	sched_set_quantum(10000);
	unit_spawn(spinner, (void *)10000);
	unit_spawn(other, NULL);
	unit_run();
	unit_log_expect((int[]){1, 3, 2}, 3);
}

/* ---- wait queues ---- */

static struct waitq wq;
static struct spinlock wq_lock;
static struct {
	struct thread *t[5];
	int first_wake, second_wake, third_wake;
	int fn_calls;
} wqs;

/* 0-2: waitq_wait_locked (non-exclusive); 3-4: exclusive entries */
static void wq_waiter(void *arg)
{
	int i = (int)(intptr_t)arg;

	if (i < 3) {
		spin_lock(&wq_lock);
		cr_expect_eq(waitq_wait_locked(&wq, &wq_lock, 0, NULL), 0);
		spin_unlock(&wq_lock);
	} else {
		struct wait_entry we;

		wait_entry_init(&we, self());
		we.exclusive = true;
		sched_prepare_block(false);
		waitq_add(&wq, &we);
		cr_expect_eq(sched_block(0), 0);
		waitq_remove(&wq, &we);
	}
	unit_log(i);
}

static void wq_waker(void *arg)
{
	(void)arg;
	cr_expect(waitq_active(&wq));
	wqs.first_wake = waitq_wake(&wq, POLLIN, 1);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(state_of(wqs.t[i]), UT_RUNNABLE, "waiter %d", i);
	cr_expect_eq(state_of(wqs.t[4]), UT_BLOCKED);
	/* the woken are still queued; they do not use up the quota */
	wqs.second_wake = waitq_wake(&wq, POLLIN, 1);
	cr_expect_eq(state_of(wqs.t[4]), UT_RUNNABLE);
	wqs.third_wake = waitq_wake(&wq, POLLIN, 1);
	unit_log(9);
}

Test(sched, waitq_exclusive_quota)
{
	waitq_init(&wq);
	spin_init(&wq_lock);
	for (int i = 0; i < 5; i++)
		wqs.t[i] = unit_spawn(wq_waiter, (void *)(intptr_t)i);
	unit_spawn(wq_waker, NULL);
	unit_run();
	cr_assert_eq(wqs.first_wake, 4, "all non-exclusive and one exclusive");
	cr_assert_eq(wqs.second_wake, 1);
	cr_assert_eq(wqs.third_wake, 0);
	cr_assert_eq(unit_log_len(), 6);
	cr_assert_eq(unit_log_at(0), 9);
	/* exclusive waiters are woken in the order they came */
	cr_assert_eq(unit_log_at(4), 3);
	cr_assert_eq(unit_log_at(5), 4);
	cr_assert_not(waitq_active(&wq), "every entry was removed");
}

static int fn_entry(struct wait_entry *we, unsigned events)
{
	int *calls = we->priv;

	(*calls)++;
	return events & POLLIN ? 1 : 0;
}

Test(sched, waitq_callback_entries)
{
	struct wait_entry a, b;
	int calls = 0;

	waitq_init(&wq);
	wait_entry_init(&a, NULL);
	wait_entry_init(&b, NULL);
	a.fn = b.fn = fn_entry;
	a.priv = b.priv = &calls;
	b.exclusive = true;
	waitq_add(&wq, &a);
	waitq_add(&wq, &b);
	cr_assert_eq(waitq_wake(&wq, POLLOUT, 1), 0, "callbacks said no");
	cr_assert_eq(calls, 2);
	cr_assert_eq(waitq_wake(&wq, POLLIN, 1), 2);
	waitq_remove(&wq, &a);
	waitq_remove(&wq, &a); /* removing twice is harmless */
	cr_assert_eq(waitq_wake(&wq, POLLIN, 1), 1);
	waitq_remove(&wq, &b);
	cr_assert_not(waitq_active(&wq));
	cr_assert_eq(waitq_wake(&wq, POLLIN, 1), 0);
}

/* producer/consumer under a lock: no wakeup is lost */
#define NCONS 4
#define NITEMS 400

static struct {
	int items, produced, consumed[NCONS], done;
	struct waitq wq_items;
} pc;

static void consumer(void *arg)
{
	int i = (int)(intptr_t)arg;

	spin_lock(&wq_lock);
	for (;;) {
		while (!pc.items && !pc.done)
			waitq_wait_locked(&pc.wq_items, &wq_lock, 0, NULL);
		if (!pc.items)
			break;
		pc.items--;
		pc.consumed[i]++;
		if (pc.consumed[i] % 3 == 0) {
			spin_unlock(&wq_lock);
			sched_yield_current();
			spin_lock(&wq_lock);
		}
	}
	spin_unlock(&wq_lock);
}

static void producer(void *arg)
{
	(void)arg;
	for (int n = 0; n < NITEMS; n++) {
		spin_lock(&wq_lock);
		pc.items++;
		pc.produced++;
		spin_unlock(&wq_lock);
		waitq_wake(&pc.wq_items, POLLIN, 1);
		if (n % 7 == 0)
			sched_yield_current();
	}
	spin_lock(&wq_lock);
	pc.done = 1;
	spin_unlock(&wq_lock);
	waitq_wake(&pc.wq_items, POLLIN, 1 << 30);
}

Test(sched, waitq_producer_consumer)
{
	int total = 0;

	waitq_init(&pc.wq_items);
	spin_init(&wq_lock);
	for (int i = 0; i < NCONS; i++)
		unit_spawn(consumer, (void *)(intptr_t)i);
	unit_spawn(producer, NULL);
	unit_run();
	for (int i = 0; i < NCONS; i++) {
		total += pc.consumed[i];
		cr_expect_gt(pc.consumed[i], 0, "consumer %d got nothing", i);
	}
	cr_assert_eq(total, NITEMS);
	cr_assert_eq(pc.items, 0);
}

/* ---- two kthreads: stealing ---- */

static void setup2(void)
{
	unit_sched_setup(2, true);
}

TestSuite(steal, .init = setup2, .timeout = 10);

/* wait (in real time) until @cond, at most 5 s */
#define WAIT_FOR(cond)                                           \
	do {                                                     \
		struct timespec ts_ = {0, 100000};               \
		int n_ = 0;                                      \
		while (!(cond) && n_++ < 50000)                  \
			nanosleep(&ts_, NULL);                   \
		cr_assert(cond, "timed out waiting for " #cond); \
	} while (0)

static bool kt_idle(struct kthread *k)
{
	return __atomic_load_n(&k->idle, __ATOMIC_ACQUIRE);
}

static void log_kthread(void *arg)
{
	unit_log(this_kthread()->id * 100 + (int)(intptr_t)arg);
}

/*
 * kthread 1 is idle; work queued on kthread 0 (busy: it is the test
 * thread, not in its loop) is taken by kthread 1, oldest first - but not
 * before it has waited STEAL_AGE_NS (50 us), fresh work being left to its
 * own kthread.
 */
Test(steal, idle_kthread_steals_oldest_first)
{
	struct kthread *k0 = this_kthread(), *k1 = kthread_get(1);

	unit_clock_advance(1000000); /* kthread 1 stops polling, sleeps */
	WAIT_FOR(kt_idle(k1));
	unit_spawn(log_kthread, (void *)0);
	unit_spawn(log_kthread, (void *)1); /* a second waiting: a kick */
	WAIT_FOR(!kt_idle(k1));
	{
		struct timespec ts = {0, 20000000};

		nanosleep(&ts, NULL);
	}
	cr_assert_eq(unit_log_len(), 0, "fresh work was stolen");
	cr_assert_eq(k0->runq_len, 2);

	unit_clock_advance(60000); /* now old enough */
	WAIT_FOR(kt_idle(k1));
	unit_spawn(log_kthread, (void *)2); /* the kick */
	WAIT_FOR(unit_log_len() == 2);
	cr_assert_eq(k0->runq_len, 1, "the fresh one stays");
	unit_run(); /* kthread 0 runs the rest */
	unit_log_expect((int[]){100, 101, 2}, 3);
}

/*
 * A kthread busy with one uthread, while another kthread has a queue,
 * pulls one uthread from it at a tick (balance) and lets it run.
 */
static void busy(void *arg)
{
	(void)arg;
	unit_log(this_kthread()->id * 100 + 9);
	unit_clock_advance(4000000); /* BALANCE_NS */
	__atomic_store_n(&this_kthread()->need_resched, 1, __ATOMIC_RELEASE);
	sched_tick();
	unit_log(this_kthread()->id * 100 + 8);
}

Test(steal, busy_kthread_pulls_from_longer_queue)
{
	struct kthread *k1 = kthread_get(1);

	unit_clock_advance(1000000);
	WAIT_FOR(kt_idle(k1));
	unit_spawn(busy, NULL);
	unit_spawn(log_kthread, (void *)1);
	WAIT_FOR(!kt_idle(k1));
	unit_clock_advance(60000);
	WAIT_FOR(kt_idle(k1));
	unit_spawn(log_kthread, (void *)2); /* kick: kthread 1 steals busy */
	WAIT_FOR(unit_log_len() == 4);
	unit_run();
	/* busy pulled 1 to kthread 1 and yielded to it; 2 was stolen after */
	unit_log_expect((int[]){109, 101, 108, 102}, 4);
}
