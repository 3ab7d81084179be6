/* clock.c - a cheap monotonic clock for the scheduler */
#include <cpuid.h>
#include <stdint.h>
#include <time.h>

#include "base/host.h"
#include "base/vdso.h"
#include "sched/sched.h"

/*
 * Two clocks, both on CLOCK_MONOTONIC's epoch:
 *
 * kclock_ns() is the host's CLOCK_MONOTONIC itself, read through the vDSO
 * (~27 ns here; a syscall if there is no vDSO). Every time a guest can
 * compare with its own clock_gettime - timeouts, deadlines, timers, the
 * time left of a sleep - is kept in it: a wait never ends before its
 * deadline as the guest measures it, whatever the TSC or NTP do.
 *
 * sched_clock_ns() is for the scheduler's own use (CPU time, the quantum,
 * steal ages), read on every switch: with an invariant TSC (constant_tsc,
 * nonstop_tsc), the first call CALIB_NS after start measures the TSC's
 * rate over that span, and from then on ns = (tsc * mult) >> 32 + offset
 * (~16 ns). Calibrating this way costs the start of an instance nothing;
 * what it may be off by (parts per million, and NTP's slewing of the
 * host clock) only scales CPU times and quanta.
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

/*
 * A (TSC, CLOCK_MONOTONIC) pair read close together: the host clock read
 * between two TSC reads, the closest of a few tries (a preemption between
 * the reads would skew the rate by its length), the TSC at the midpoint.
 */
static void tsc_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 5; i++) {
		uint64_t t0 = rdtsc(), n = mono_ns(), t1 = rdtsc();

		if (t1 >= t0 && t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*ns = n;
		}
	}
	if (best == UINT64_MAX) {
		*tsc = rdtsc();
		*ns = mono_ns();
	}
}

void kclock_init(void)
{
	unsigned a, b, c, d;

	vdso_gettime = (long (*)(int, struct timespec *))vdso_sym(
		"__vdso_clock_gettime");
	if (__get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8))) {
		tsc_pair(&calib_tsc, &calib_ns);
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
	tsc_pair(&t1, &n1);
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
	if (__builtin_expect(fake_now != NULL, 0))
		return *fake_now;
	return mono_ns();
}

uint64_t sched_clock_ns(void)
{
	uint64_t n;

	if (__builtin_expect(fake_now != NULL, 0))
		return *fake_now;
	if (__builtin_expect(__atomic_load_n(&use_tsc, __ATOMIC_ACQUIRE), 1))
		return (uint64_t)((int64_t)(((unsigned __int128)rdtsc() *
					     mult) >>
					    32) +
				  offset);
	n = mono_ns();
	if (__atomic_load_n(&calib_state, __ATOMIC_ACQUIRE) == 1 &&
	    n - calib_ns >= CALIB_NS)
		calibrate();
	return n;
}
