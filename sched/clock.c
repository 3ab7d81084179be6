/* clock.c - a cheap monotonic clock for the scheduler (TSC based) */
#include <cpuid.h>
#include <stdint.h>
#include <time.h>

#include "base/host.h"
#include "sched/sched.h"

/*
 * ns = (tsc * mult) >> 32 + offset, calibrated against CLOCK_MONOTONIC at
 * start. The TSC here is invariant (constant_tsc, nonstop_tsc); without an
 * invariant TSC we fall back to the host's clock (a syscall each time).
 */
static uint64_t mult; /* ns per tick << 32 */
static int64_t offset;
static bool use_tsc;
static const volatile uint64_t *fake_now; /* unit tests: a clock they move */

static uint64_t mono_ns(void)
{
	struct timespec ts;

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
	uint64_t t0, n0, t1, n1;
	struct timespec wait = { 0, 2000000 };

	if (__get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8))) {
		n0 = mono_ns();
		t0 = rdtsc();
		host_syscall2(SYS_nanosleep, &wait, NULL);
		n1 = mono_ns();
		t1 = rdtsc();
		if (t1 > t0 && n1 > n0) {
			mult = (uint64_t)(((unsigned __int128)(n1 - n0) << 32) /
					  (t1 - t0));
			offset = (int64_t)n1 -
				 (int64_t)(((unsigned __int128)t1 * mult) >> 32);
			use_tsc = true;
		}
	}
}

void kclock_set_fake(const volatile uint64_t *now)
{
	fake_now = now;
}

uint64_t kclock_ns(void)
{
	if (__builtin_expect(fake_now != NULL, 0))
		return *fake_now;
	if (!use_tsc)
		return mono_ns();
	return (uint64_t)((int64_t)(((unsigned __int128)rdtsc() * mult) >> 32) +
			  offset);
}
