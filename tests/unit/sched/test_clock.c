/* test_clock.c - kclock (the host's), sched_clock (a calibrated TSC), vdso_sym */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "base/vdso.h"
#include "sched/sched.h"

static int64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

Test(vdso, finds_clock_gettime)
{
	void *sym = vdso_sym("__vdso_clock_gettime");
	long (*fn)(int, struct timespec *);
	struct timespec ts = {0, 0};
	int64_t before = mono(), got;

	cr_assert_not_null(sym);
	memcpy(&fn, &sym, sizeof(fn)); /* an object pointer to a function's */
	cr_assert_eq(fn(CLOCK_MONOTONIC, &ts), 0);
	got = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	cr_assert(got >= before && got - before < 100000000,
		  "vdso clock %ld, libc's %ld", (long)got, (long)before);
}

Test(vdso, unknown_names)
{
	cr_assert_null(vdso_sym("__vdso_no_such_function"));
	cr_assert_null(vdso_sym(""));
}

/*
 * kclock_ns is the host's CLOCK_MONOTONIC exactly: never before a read of
 * it taken earlier, never after one taken later (guest deadlines rely on
 * this: a wait must not end early by the guest's own clock).
 */
Test(kclock, is_the_host_monotonic_clock)
{
	int64_t start;

	kclock_init();
	start = mono();
	while (mono() - start < 30000000) {
		int64_t a = mono();
		int64_t k = (int64_t)kclock_ns();
		int64_t b = mono();

		cr_assert(k >= a && k <= b, "kclock %ld outside [%ld, %ld]",
			  (long)k, (long)a, (long)b);
	}
}

/*
 * sched_clock_ns follows CLOCK_MONOTONIC: before the TSC is calibrated
 * (the first 20 ms), while it is, and after; it never goes back.
 */
Test(kclock, sched_clock_follows_monotonic_across_calibration)
{
	int64_t start, prev = 0;

	kclock_init();
	start = mono();
	while (mono() - start < 60000000) {
		int64_t a = mono();
		int64_t k = (int64_t)sched_clock_ns();
		int64_t b = mono();

		cr_assert(k >= prev, "sched_clock went back: %ld after %ld",
			  (long)k, (long)prev);
		/* within 50 us of the host's clock read around it */
		cr_assert(k >= a - 50000 && k <= b + 50000,
			  "sched_clock %ld outside [%ld, %ld]", (long)k,
			  (long)a, (long)b);
		prev = k;
	}
}

Test(kclock, fake_clock)
{
	static volatile uint64_t now = 123456789;

	kclock_init();
	kclock_set_fake(&now);
	cr_assert_eq(kclock_ns(), 123456789);
	cr_assert_eq(sched_clock_ns(), 123456789);
	now += 5;
	cr_assert_eq(kclock_ns(), 123456794);
	cr_assert_eq(sched_clock_ns(), 123456794);
	kclock_set_fake(NULL);
	cr_assert(kclock_ns() > 123456794);
}
