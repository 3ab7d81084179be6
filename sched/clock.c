/* clock.c - a cheap monotonic clock for the scheduler */
#include <cpuid.h>
#include <stdint.h>
#include <time.h>

#include "base/host.h"
#include "base/vdso.h"
#include "sched/sched.h"

/*
 * kclock_ns() is CLOCK_MONOTONIC. It starts as the host vDSO's
 * clock_gettime (~27 ns here; a syscall if there is no vDSO). With an
 * invariant TSC (constant_tsc, nonstop_tsc) the first call CALIB_NS after
 * start measures the TSC's rate over that span, and from then on
 * ns = (tsc * mult) >> 32 + offset (~16 ns). Calibrating this way costs
 * the start of an instance nothing, and a span of CALIB_NS keeps the rate
 * within a few parts per million. Host timers are armed with relative
 * times (sched.c), so what drift remains never delays them.
 */
#define CALIB_NS 20000000ull

static uint64_t mult; /* ns per tick << 32 */
static int64_t offset;
static int use_tsc; /* atomic: mult and offset are set */
static int calib_state; /* atomic: 0 none, 1 pending, 2 taken */
static uint64_t calib_ns, calib_tsc; /* the first point */
static long (*vdso_gettime)(int, struct timespec *);
static const volatile uint64_t *fake_now; /* unit tests: a clock they move */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	if (vdso_gettime)
		vdso_gettime(CLOCK_MONOTONIC, &ts);
	else
		host_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

void kclock_init(void)
{
	unsigned a, b, c, d;

	vdso_gettime = (long (*)(int, struct timespec *))vdso_sym(
		"__vdso_clock_gettime");
	if (__get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8))) {
		calib_ns = mono_ns();
		calib_tsc = rdtsc();
		__atomic_store_n(&calib_state, 1, __ATOMIC_RELEASE);
	}
}

/* the second point, CALIB_NS after the first; one caller does it */
static void calibrate(void)
{
	int pending = 1;
	uint64_t n1, t1;

	if (!__atomic_compare_exchange_n(&calib_state, &pending, 2, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	t1 = rdtsc();
	n1 = mono_ns();
	if (t1 <= calib_tsc || n1 <= calib_ns)
		return; /* a TSC that went back: keep the host's clock */
	mult = (uint64_t)(((unsigned __int128)(n1 - calib_ns) << 32) /
			  (t1 - calib_tsc));
	offset = (int64_t)n1 - (int64_t)(((unsigned __int128)t1 * mult) >> 32);
	__atomic_store_n(&use_tsc, 1, __ATOMIC_RELEASE);
}

void kclock_set_fake(const volatile uint64_t *now)
{
	fake_now = now;
}

uint64_t kclock_ns(void)
{
	uint64_t n;

	if (__builtin_expect(fake_now != NULL, 0))
		return *fake_now;
	if (__builtin_expect(__atomic_load_n(&use_tsc, __ATOMIC_ACQUIRE), 1))
		return (uint64_t)((int64_t)(((unsigned __int128)rdtsc() *
					     mult) >> 32) +
				  offset);
	n = mono_ns();
	if (__atomic_load_n(&calib_state, __ATOMIC_ACQUIRE) == 1 &&
	    n - calib_ns >= CALIB_NS)
		calibrate();
	return n;
}
