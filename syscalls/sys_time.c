/* sys_time.c - clocks and sleeping */
#include <errno.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#include "base/host.h"
#include "kernel/proc.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

/*
 * Clocks come from the host (most calls never get here: the guest has the
 * host vDSO). CPU-time clocks measure the whole instance for now (README).
 * Dynamic CPU clocks of other processes are refused.
 */
static long check_clock(clockid_t clk)
{
	if (clk < 0) {
		/* CPUCLOCK of a pid/tid: ~pid << 3 | type; ours only */
		int id = ~clk >> 3;

		if (id && !thread_find(id) && !proc_find(id))
			return -EINVAL;
		return (clk & 4) ? CLOCK_THREAD_CPUTIME_ID
				 : CLOCK_PROCESS_CPUTIME_ID;
	}
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
	case CLOCK_TAI:
		return clk;
	default:
		return -EINVAL;
	}
}

SYSCALL_DEFINE2(clock_gettime, clockid_t, clk, struct timespec __user *, ts)
{
	long c = check_clock(clk);

	if (c < 0)
		return c;
	return host_clock_gettime((int)c, ts);
}

SYSCALL_DEFINE2(clock_getres, clockid_t, clk, struct timespec __user *, ts)
{
	long c = check_clock(clk);

	if (c < 0)
		return c;
	return host_syscall2(SYS_clock_getres, c, ts);
}

SYSCALL_DEFINE2(gettimeofday, struct timeval __user *, tv, void __user *, tz)
{
	return host_syscall2(SYS_gettimeofday, tv, tz);
}

SYSCALL_DEFINE1(time, time_t __user *, t)
{
	return host_syscall1(SYS_time, t);
}

SYSCALL_DEFINE2(clock_settime, clockid_t, clk, const struct timespec __user *,
		ts)
{
	(void)clk;
	(void)ts;
	return -EPERM; /* the host's clock is not the guest's to set */
}

SYSCALL_DEFINE2(settimeofday, const struct timeval __user *, tv,
		const void __user *, tz)
{
	(void)tv;
	(void)tz;
	return -EPERM;
}

SYSCALL_DEFINE1(adjtimex, struct timex __user *, utx)
{
	struct timex tx;

	if (copy_from_user(&tx, utx, sizeof(tx)))
		return -EFAULT;
	if (tx.modes)
		return -EPERM; /* reading is fine, adjusting is not */
	return host_syscall1(SYS_adjtimex, utx);
}

SYSCALL_DEFINE2(clock_adjtime, clockid_t, clk, struct timex __user *, utx)
{
	struct timex tx;

	if (copy_from_user(&tx, utx, sizeof(tx)))
		return -EFAULT;
	if (tx.modes)
		return -EPERM;
	return host_syscall2(SYS_clock_adjtime, clk, utx);
}

/*
 * Sleeping still blocks the host thread; with one uthread per instance
 * that is the same thing. The scheduler issue turns these into timers.
 */
SYSCALL_DEFINE2(nanosleep, const struct timespec __user *, req,
		struct timespec __user *, rem)
{
	return host_syscall2(SYS_nanosleep, req, rem);
}

SYSCALL_DEFINE4(clock_nanosleep, clockid_t, clk, int, flags,
		const struct timespec __user *, req, struct timespec __user *,
		rem)
{
	long c;

	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	c = check_clock(clk);
	if (c < 0)
		return c;
	return host_syscall4(SYS_clock_nanosleep, c, flags, req, rem);
}
