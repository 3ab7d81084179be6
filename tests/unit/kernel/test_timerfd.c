/* test_timerfd.c - timerfd on a fake clock: one-shot, periodic, absolute */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>

#include <criterion/criterion.h>

#include "kernel/objects.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "sched/sched.h"

#include "helpers.h"

/*
 * The timerfd's timer is armed on the current kthread's heap; here the
 * test plays the scheduler loop: it moves the fake clock and runs the
 * expired timers (expire()).
 */

#define MS 1000000ull
#define KADDR ((void *)0xffff800000000000ull)

static struct file *tf;

static int expire(void)
{
	return timer_run_expired(this_kthread(), unit_now);
}

static struct itimerspec its(uint64_t value_ns, uint64_t interval_ns)
{
	struct itimerspec v = {
		.it_interval = {(time_t)(interval_ns / 1000000000ull),
				(long)(interval_ns % 1000000000ull)},
		.it_value = {(time_t)(value_ns / 1000000000ull),
			     (long)(value_ns % 1000000000ull)},
	};

	return v;
}

static uint64_t ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

static long set(int flags, uint64_t value, uint64_t interval)
{
	struct itimerspec v = its(value, interval);

	return tfd_settime(tf, flags, &v, NULL);
}

/* expirations read, or -errno */
static long ticks(void)
{
	uint64_t n = 0;
	long r = tf->ops->read(tf, &n, sizeof(n), -1);

	return r < 0 ? r : (long)n;
}

static struct itimerspec get(void)
{
	struct itimerspec cur;

	memset(&cur, 0xff, sizeof(cur));
	cr_assert_eq(tfd_gettime(tf, &cur), 0);
	return cur;
}

/* time to the next expiry, as timerfd_gettime says */
static uint64_t left_ns(void)
{
	struct itimerspec cur = get();

	return ns(&cur.it_value);
}

static uint64_t host_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ns(&ts);
}

static void setup(void)
{
	unit_kthread_setup();
	unit_clock_fake();
	unit_proc_setup();
	unit_current_setup();
	cr_assert_eq(tfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK, &tf), 0);
}

static void teardown(void)
{
	file_put(tf);
	unit_kthread_teardown();
}

TestSuite(timerfd, .init = setup, .fini = teardown, .timeout = 10);

Test(timerfd, create_errors)
{
	struct file *f;

	cr_assert_eq(tfd_create(CLOCK_PROCESS_CPUTIME_ID, 0, &f), -EINVAL);
	cr_assert_eq(tfd_create(42, 0, &f), -EINVAL);
	cr_assert_eq(tfd_create(CLOCK_MONOTONIC, 0x4, &f), -EINVAL);
	cr_assert_eq(tfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC, &f), 0);
	cr_assert(file_is_timerfd(f));
	file_put(f);
}

Test(timerfd, disarmed_at_creation)
{
	struct itimerspec cur = get();

	cr_assert_eq(ns(&cur.it_value), 0);
	cr_assert_eq(ns(&cur.it_interval), 0);
	cr_assert_eq(ticks(), -EAGAIN);
	cr_assert_eq(file_poll(tf, NULL), 0);
	cr_assert_eq(tf->ops->read(tf, &cur, 7, -1), -EINVAL, "short read");
}

Test(timerfd, one_shot_relative)
{
	struct itimerspec cur;

	cr_assert_eq(set(0, 1000, 0), 0);
	cur = get();
	cr_assert_eq(ns(&cur.it_value), 1000);
	cr_assert_eq(ns(&cur.it_interval), 0);
	unit_clock_advance(999);
	cr_assert_eq(expire(), 0);
	cr_assert_eq(ticks(), -EAGAIN, "not yet");
	cr_assert_eq(left_ns(), 1);
	unit_clock_advance(1);
	cr_assert_eq(expire(), 1);
	cr_assert_eq(file_poll(tf, NULL), POLLIN | POLLRDNORM);
	cr_assert_eq(ticks(), 1);
	cr_assert_eq(ticks(), -EAGAIN, "read resets the count");
	cr_assert_eq(file_poll(tf, NULL), 0);
	cur = get();
	cr_assert_eq(ns(&cur.it_value), 0, "disarmed after it fired");
	unit_clock_advance(1000000);
	cr_assert_eq(expire(), 0);
	cr_assert_eq(ticks(), -EAGAIN);
}

Test(timerfd, periodic_counts_missed_periods)
{
	struct itimerspec cur;

	cr_assert_eq(set(0, 1000, 500), 0);
	unit_clock_advance(1000);
	cr_assert_eq(expire(), 1);
	cr_assert_eq(ticks(), 1);
	/* late: 1500, 2000 and 2500 have all passed */
	unit_clock_advance(1600);
	expire();
	cr_assert_eq(ticks(), 3);
	cur = get();
	cr_assert_eq(ns(&cur.it_value), 400, "next at 3000");
	cr_assert_eq(ns(&cur.it_interval), 500);
	/* expirations add up until read */
	unit_clock_advance(400);
	expire();
	unit_clock_advance(500);
	expire();
	cr_assert_eq(ticks(), 2);
}

Test(timerfd, settime_returns_old_setting_and_resets_count)
{
	struct itimerspec nv = its(5 * MS, 0), old;

	cr_assert_eq(set(0, 1000, 500), 0);
	unit_clock_advance(1000);
	expire();
	memset(&old, 0, sizeof(old));
	cr_assert_eq(tfd_settime(tf, 0, &nv, &old), 0);
	cr_assert_eq(ns(&old.it_value), 500, "the old one was due at 1500");
	cr_assert_eq(ns(&old.it_interval), 500);
	cr_assert_eq(ticks(), -EAGAIN, "a new setting drops unread ticks");
	unit_clock_advance(500);
	cr_assert_eq(expire(), 0, "the old period is gone");
	unit_clock_advance(5 * MS);
	expire();
	cr_assert_eq(ticks(), 1);
}

Test(timerfd, zero_value_disarms)
{
	cr_assert_eq(set(0, 1000, 1000), 0);
	cr_assert_eq(set(0, 0, 1000), 0);
	cr_assert_eq(left_ns(), 0);
	cr_assert_eq(timer_next_deadline(this_kthread()), 0);
	unit_clock_advance(10000);
	cr_assert_eq(expire(), 0);
	cr_assert_eq(ticks(), -EAGAIN);
}

Test(timerfd, settime_errors)
{
	struct itimerspec bad = its(1000, 0);

	bad.it_value.tv_nsec = 1000000000;
	cr_assert_eq(tfd_settime(tf, 0, &bad, NULL), -EINVAL);
	bad = its(1000, 0);
	bad.it_interval.tv_nsec = -1;
	cr_assert_eq(tfd_settime(tf, 0, &bad, NULL), -EINVAL);
	bad = its(1000, 0);
	bad.it_value.tv_sec = -1;
	cr_assert_eq(tfd_settime(tf, 0, &bad, NULL), -EINVAL);
	bad = its(1000, 0);
	cr_assert_eq(tfd_settime(tf, 0x10, &bad, NULL), -EINVAL, "flags");
	cr_assert_eq(tfd_settime(tf, 0, KADDR, NULL), -EFAULT);
	cr_assert_eq(tfd_gettime(tf, KADDR), -EFAULT);
	cr_assert_eq(left_ns(), 0, "nothing was armed");
	/* TFD_TIMER_CANCEL_ON_SET is accepted with an absolute time */
	cr_assert_eq(set(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
			 host_now(CLOCK_MONOTONIC) + 5 * MS, 0),
		     0);
}

Test(timerfd, absolute_monotonic)
{
	uint64_t left;

	cr_assert_eq(
		set(TFD_TIMER_ABSTIME, host_now(CLOCK_MONOTONIC) + 5 * MS, 0),
		0);
	left = left_ns();
	cr_assert(left > 4 * MS && left <= 5 * MS, "%lu ns left",
		  (unsigned long)left);
	unit_clock_advance(4 * MS);
	cr_assert_eq(expire(), 0);
	unit_clock_advance(1 * MS);
	cr_assert_eq(expire(), 1);
	cr_assert_eq(ticks(), 1);
}

Test(timerfd, absolute_realtime)
{
	struct file *f = tf;
	uint64_t left;

	cr_assert_eq(tfd_create(CLOCK_REALTIME, TFD_NONBLOCK, &tf), 0);
	cr_assert_eq(
		set(TFD_TIMER_ABSTIME, host_now(CLOCK_REALTIME) + 2 * MS, 0),
		0);
	left = left_ns();
	cr_assert(left > 1 * MS && left <= 2 * MS, "%lu ns left",
		  (unsigned long)left);
	unit_clock_advance(2 * MS);
	expire();
	cr_assert_eq(ticks(), 1);
	file_put(tf);
	tf = f;
}

Test(timerfd, absolute_time_in_the_past_fires_at_once)
{
	cr_assert_eq(set(TFD_TIMER_ABSTIME,
			 host_now(CLOCK_MONOTONIC) - 1000 * MS, 0),
		     0);
	cr_assert_eq(expire(), 1, "due now");
	cr_assert_eq(ticks(), 1);
}

/*
 * A periodic timer whose absolute start is in the past has already
 * expired once per period since then: Linux counts them (hrtimer_forward
 * from the start, see timerfd_read), so the first read returns 11 here.
 */
Test(timerfd, absolute_past_start_counts_elapsed_periods)
{
	cr_assert_eq(set(TFD_TIMER_ABSTIME,
			 host_now(CLOCK_MONOTONIC) - 105 * MS, 10 * MS),
		     0);
	long n;

	expire();
	n = ticks();
	cr_expect_eq(n, 11, "expirations at -105, -95, ... -5 ms: read %ld", n);
}

/* ---- blocking ---- */

static void setup_sched(void)
{
	unit_sched_setup(1, true);
	unit_proc_setup();
}

TestSuite(timerfd_block, .init = setup_sched, .timeout = 10);

static struct {
	long r;
	uint64_t n, woke_at, armed_at;
} rb;

static void blocking_reader(void *arg)
{
	struct itimerspec v = its(1000, (uint64_t)(uintptr_t)arg);

	rb.armed_at = unit_now;
	cr_expect_eq(tfd_settime(tf, 0, &v, NULL), 0);
	rb.r = tf->ops->read(tf, &rb.n, sizeof(rb.n), -1);
	rb.woke_at = unit_now;
	unit_log(1);
}

static void jump_clock(void *arg)
{
	unit_clock_advance((uint64_t)(uintptr_t)arg);
	unit_log(9);
}

Test(timerfd_block, read_waits_for_expiry)
{
	cr_assert_eq(tfd_create(CLOCK_MONOTONIC, 0, &tf), 0);
	unit_spawn(blocking_reader, (void *)0);
	unit_spawn(jump_clock, (void *)999);
	unit_spawn(jump_clock, (void *)1);
	unit_run();
	cr_assert_eq(rb.r, 8);
	cr_assert_eq(rb.n, 1);
	cr_assert_eq(rb.woke_at, rb.armed_at + 1000);
	unit_log_expect((int[]){9, 9, 1}, 3);
	file_put(tf);
}

Test(timerfd_block, read_after_several_periods)
{
	cr_assert_eq(tfd_create(CLOCK_MONOTONIC, 0, &tf), 0);
	unit_spawn(blocking_reader, (void *)100);
	unit_spawn(jump_clock, (void *)1250);
	unit_run();
	cr_assert_eq(rb.r, 8);
	cr_assert_eq(rb.n, 3, "1000, 1100 and 1200");
	file_put(tf);
}
