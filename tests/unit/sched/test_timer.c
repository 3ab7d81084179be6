/* test_timer.c - the per-kthread timer heap: order, cancel, re-arm */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "base/kmalloc.h"
#include "sched/sched.h"

#include "helpers.h"

#define NT 1000

/* what fired, in order */
static struct timer *fired[4 * NT];
static int nfired;

static void record(struct timer *t)
{
	cr_assert_lt(nfired, 4 * NT);
	fired[nfired++] = t;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void setup(void)
{
	unit_kthread_setup();
	nfired = 0;
}

static void teardown(void)
{
	unit_kthread_teardown();
}

TestSuite(timer, .init = setup, .fini = teardown, .timeout = 10);

Test(timer, empty_heap)
{
	struct kthread *k = this_kthread();
	struct timer t;

	cr_assert_eq(timer_next_deadline(k), 0);
	cr_assert_eq(timer_run_expired(k, UINT64_MAX), 0);
	timer_init(&t, record, NULL);
	cr_assert_not(timer_armed(&t));
	cr_assert_not(timer_cancel(&t), "an unarmed timer is not cancelled");
	timer_cancel_sync(&t);
	cr_assert_eq(nfired, 0);
}

Test(timer, fires_at_deadline_not_before)
{
	struct kthread *k = this_kthread();
	struct timer t;

	timer_init(&t, record, &t);
	cr_assert_eq(timer_arm(&t, 1000), 0);
	cr_assert(timer_armed(&t));
	cr_assert_eq(timer_next_deadline(k), 1000);
	cr_assert_eq(timer_run_expired(k, 999), 0);
	cr_assert_eq(nfired, 0);
	cr_assert_eq(timer_run_expired(k, 1000), 1, "due at its deadline");
	cr_assert_eq(nfired, 1);
	cr_assert_eq(fired[0], &t);
	cr_assert_not(timer_armed(&t), "disarmed once it fired");
	cr_assert_not(timer_cancel(&t), "cancel of a fired timer");
	cr_assert_eq(timer_next_deadline(k), 0);
	cr_assert_eq(timer_run_expired(k, UINT64_MAX), 0, "fires once");
}

/*
 * Many timers at random deadlines (with duplicates), a third cancelled:
 * the heap gives the earliest deadline, and each run fires exactly the
 * expired ones, earliest first, each once.
 */
Test(timer, random_deadlines_fire_in_order)
{
	static struct timer t[NT];
	static bool cancelled[NT], done[NT];
	struct kthread *k = this_kthread();
	uint64_t now = 0;
	int left = 0, ncancel = 0;

	for (int i = 0; i < NT; i++) {
		timer_init(&t[i], record, (void *)(uintptr_t)i);
		/* a small range: many equal deadlines */
		cr_assert_eq(timer_arm(&t[i], 1 + rnd() % 5000), 0);
	}
	cr_assert_eq(k->nr_timers, NT);
	for (int i = 0; i < NT; i += 3) {
		cr_assert(timer_cancel(&t[i]));
		cr_assert_not(timer_cancel(&t[i]), "cancelled twice");
		cr_assert_not(timer_armed(&t[i]));
		cancelled[i] = true;
		ncancel++;
	}
	/* re-arming an armed timer moves it */
	cr_assert_eq(timer_arm(&t[1], 7), 0);
	cr_assert_eq(timer_arm(&t[1], 4321), 0);
	cr_assert_eq(k->nr_timers, NT - ncancel, "re-arm adds no entry");

	while (now < 6000) {
		uint64_t min = 0;
		int want = 0, n0 = nfired, ran;

		for (int i = 0; i < NT; i++) {
			if (cancelled[i] || done[i])
				continue;
			if (!min || t[i].deadline < min)
				min = t[i].deadline;
		}
		cr_assert_eq(timer_next_deadline(k), min);
		now += 1 + rnd() % 400;
		for (int i = 0; i < NT; i++)
			want += !cancelled[i] && !done[i] &&
				t[i].deadline <= now;
		ran = timer_run_expired(k, now);
		cr_assert_eq(ran, want, "at %lu: %d ran, %d expired",
			     (unsigned long)now, ran, want);
		cr_assert_eq(nfired - n0, want);
		for (int j = n0; j < nfired; j++) {
			int i = (int)(uintptr_t)fired[j]->arg;

			cr_assert_not(cancelled[i], "cancelled timer %d fired",
				      i);
			cr_assert_not(done[i], "timer %d fired twice", i);
			cr_assert_leq(fired[j]->deadline, now);
			if (j > n0)
				cr_assert_leq(fired[j - 1]->deadline,
					      fired[j]->deadline,
					      "out of deadline order");
			cr_assert_not(timer_armed(fired[j]));
			done[i] = true;
		}
	}
	for (int i = 0; i < NT; i++)
		left += !cancelled[i] && !done[i];
	cr_assert_eq(left, 0);
	cr_assert_eq(nfired, NT - ncancel);
	cr_assert_eq(k->nr_timers, 0);
	cr_assert_eq(timer_next_deadline(k), 0);
}

/* cancelling from the middle of the heap keeps it a heap */
Test(timer, cancel_any_position)
{
	static struct timer t[64];
	struct kthread *k = this_kthread();

	for (int i = 0; i < 64; i++) {
		timer_init(&t[i], record, NULL);
		timer_arm(&t[i], 100 + (uint64_t)((i * 37) % 64));
	}
	/* drop the earliest ten, some from the middle and the last */
	for (int d = 100; d < 110; d++)
		for (int i = 0; i < 64; i++)
			if (t[i].deadline == (uint64_t)d)
				cr_assert(timer_cancel(&t[i]));
	cr_assert(timer_cancel(&t[63]));
	cr_assert_eq(timer_next_deadline(k), 110);
	cr_assert_eq(timer_run_expired(k, 1000), 53);
	for (int j = 1; j < nfired; j++)
		cr_assert_lt(fired[j - 1]->deadline, fired[j]->deadline);
}

/* a periodic timer re-arms itself from its function */
static int periodic_runs;

static void periodic(struct timer *t)
{
	periodic_runs++;
	record(t);
	if (periodic_runs < 100)
		timer_arm(t, t->deadline + 10);
}

Test(timer, rearm_from_callback)
{
	struct kthread *k = this_kthread();
	struct timer t;

	timer_init(&t, periodic, NULL);
	timer_arm(&t, 10);
	cr_assert_eq(timer_run_expired(k, 10), 1);
	cr_assert(timer_armed(&t), "re-armed by its function");
	cr_assert_eq(timer_next_deadline(k), 20);
	/* every period up to now fires in this one call */
	cr_assert_eq(timer_run_expired(k, 55), 4);
	cr_assert_eq(periodic_runs, 5);
	cr_assert_eq(timer_next_deadline(k), 60);
	/* and a callback's timer is cancelled like any other */
	cr_assert(timer_cancel(&t));
	cr_assert_eq(timer_run_expired(k, 1000), 0);
	cr_assert_eq(periodic_runs, 5);
}

/* a function cancels a timer due at the same time, and arms a new one */
static struct timer ta, tb, tc;

static void cancel_other(struct timer *t)
{
	record(t);
	cr_assert(timer_cancel(&tb), "tb was still armed");
	timer_arm(&tc, 5); /* in the past: runs in this same call */
}

Test(timer, callback_cancels_and_arms)
{
	struct kthread *k = this_kthread();

	timer_init(&ta, cancel_other, NULL);
	timer_init(&tb, record, NULL);
	timer_init(&tc, record, NULL);
	timer_arm(&ta, 100);
	timer_arm(&tb, 101);
	cr_assert_eq(timer_run_expired(k, 200), 2);
	cr_assert_eq(nfired, 2);
	cr_assert_eq(fired[0], &ta);
	cr_assert_eq(fired[1], &tc);
	cr_assert_not(timer_armed(&tb));
}

/* a timer armed on one kthread and re-armed on another moves there */
Test(timer, rearm_moves_between_kthreads)
{
	static struct kthread other __attribute__((aligned(64)));
	struct kthread *mine = this_kthread();
	struct timer t;

	memset(&other, 0, sizeof(other));
	other.self = &other;
	other.host_timer = -1;
	timer_init(&t, record, NULL);
	timer_arm(&t, 500);
	cr_assert_eq(t.kt, mine);
	cr_assert_eq(syscall(SYS_arch_prctl, ARCH_SET_GS, &other), 0);
	timer_arm(&t, 700);
	cr_assert_eq(syscall(SYS_arch_prctl, ARCH_SET_GS, mine), 0);
	cr_assert_eq(t.kt, &other);
	cr_assert_eq(timer_next_deadline(mine), 0, "left the first heap");
	cr_assert_eq(timer_next_deadline(&other), 700);
	cr_assert_eq(timer_run_expired(mine, 1000), 0);
	/* cancel works from any kthread */
	cr_assert(timer_cancel(&t));
	cr_assert_eq(timer_next_deadline(&other), 0);
	kfree(other.timers);
}
