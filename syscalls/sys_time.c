/* sys_time.c - clocks and sleeping */
#include <errno.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#include "base/host.h"
#include "kernel/proc.h"
#include "sched/sched.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

/*
 * Clocks come from the host (most calls never get here: the guest has the
 * host vDSO), except CPU-time clocks, which are ours: the run time of our
 * uthreads (kernel/cputime.c).
 */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_TYPE 3

/* 0 if @clk names a clock we serve, else -EINVAL (CPU clock ids are < 0) */
static long check_clock(clockid_t clk)
{
	if (clk < 0) {
		/* a CPU clock of pid/tid ~(clk >> 3) (pthread_getcpuclockid) */
		int id = ~clk >> 3;

		if ((clk & CPUCLOCK_TYPE) == 3)
			return -EINVAL;
		if (clk & CPUCLOCK_PERTHREAD) {
			if (id && !thread_find(id))
				return -EINVAL;
		} else if (id && !proc_find(id)) {
			return -EINVAL;
		}
		return 0;
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
		return 0;
	default:
		return -EINVAL;
	}
}

/* CPU time of a CPU clock; -1 if @clk is not one */
static int64_t cpu_clock_ns(clockid_t clk)
{
	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return (int64_t)thread_cpu_ns(current_thread());
	if (clk == CLOCK_PROCESS_CPUTIME_ID)
		return (int64_t)proc_cpu_ns(current_proc(), NULL, NULL);
	if (clk < 0) {
		int id = ~clk >> 3;

		if (clk & CPUCLOCK_PERTHREAD) {
			struct thread *t =
				id ? thread_find(id) : current_thread();

			return t ? (int64_t)thread_cpu_ns(t) : 0;
		} else {
			struct proc *p = id ? proc_find(id) : current_proc();

			return p ? (int64_t)proc_cpu_ns(p, NULL, NULL) : 0;
		}
	}
	return -1;
}

SYSCALL_DEFINE2(clock_gettime, clockid_t, clk, struct timespec __user *, ts)
{
	long c = check_clock(clk);
	int64_t cpu;

	if (c < 0)
		return c;
	cpu = cpu_clock_ns(clk);
	if (cpu >= 0) {
		struct timespec k = {(time_t)(cpu / 1000000000),
				     (long)(cpu % 1000000000)};

		return copy_to_user(ts, &k, sizeof(k));
	}
	return host_clock_gettime(clk, user_host_ptr(ts, sizeof(*ts), true));
}

SYSCALL_DEFINE2(clock_getres, clockid_t, clk, struct timespec __user *, ts)
{
	long c = check_clock(clk);

	if (c < 0)
		return c;
	if (clk < 0 || clk == CLOCK_THREAD_CPUTIME_ID ||
	    clk == CLOCK_PROCESS_CPUTIME_ID) {
		struct timespec k = {0, 1};

		return ts ? copy_to_user(ts, &k, sizeof(k)) : 0;
	}
	return host_syscall2(SYS_clock_getres, clk,
			     user_host_ptr(ts, sizeof(*ts), true));
}

SYSCALL_DEFINE2(gettimeofday, struct timeval __user *, tv, void __user *, tz)
{
	return host_syscall2(SYS_gettimeofday,
			     user_host_ptr(tv, sizeof(struct timeval), true),
			     user_host_ptr(tz, 8 /* struct timezone */, true));
}

SYSCALL_DEFINE1(time, time_t __user *, t)
{
	return host_syscall1(SYS_time, user_host_ptr(t, sizeof(*t), true));
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
	return host_syscall1(SYS_adjtimex,
			     user_host_ptr(utx, sizeof(*utx), true));
}

SYSCALL_DEFINE2(clock_adjtime, clockid_t, clk, struct timex __user *, utx)
{
	struct timex tx;

	if (copy_from_user(&tx, utx, sizeof(tx)))
		return -EFAULT;
	if (tx.modes)
		return -EPERM;
	return host_syscall2(SYS_clock_adjtime, clk,
			     user_host_ptr(utx, sizeof(*utx), true));
}

/*
 * Sleeping parks the uthread on a timer of its kthread. An interrupted
 * sleep reports the time left (it can only be interrupted by a signal
 * that kills, until handlers are invoked).
 */
static long sleep_until(uint64_t deadline, struct timespec __user *rem)
{
	long r;

	for (;;) {
		sched_prepare_block(true);
		if (signal_pending_now()) {
			sched_cancel_block();
			r = -EINTR;
		} else {
			r = sched_block(deadline);
		}
		if (r == -ETIMEDOUT)
			return 0;
		if (r == -EINTR)
			break;
		/* a spurious wake: keep sleeping */
	}
	if (rem) {
		uint64_t now = kclock_ns(),
			 left = deadline > now ? deadline - now : 0;
		struct timespec ts = {(time_t)(left / 1000000000ull),
				      (long)(left % 1000000000ull)};

		if (copy_to_user(rem, &ts, sizeof(ts)))
			return -EFAULT;
	}
	return -EINTR;
}

static long ts_to_ns(const struct timespec __user *uts, uint64_t *ns)
{
	struct timespec ts;

	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	*ns = ns_sat((uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec);
	return 0;
}

SYSCALL_DEFINE2(nanosleep, const struct timespec __user *, req,
		struct timespec __user *, rem)
{
	uint64_t ns;
	long r = ts_to_ns(req, &ns);

	if (r < 0)
		return r;
	return sleep_until(kclock_ns() + ns, rem);
}

/* now on @clk, in ns; the host's clocks (or ours for CPU time) */
static uint64_t clock_now(long clk)
{
	struct timespec ts;

	host_clock_gettime((int)clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

SYSCALL_DEFINE4(clock_nanosleep, clockid_t, clk, int, flags,
		const struct timespec __user *, req, struct timespec __user *,
		rem)
{
	uint64_t ns, now;
	long c, r;

	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	c = check_clock(clk);
	if (c < 0)
		return c;
	if (clk == CLOCK_PROCESS_CPUTIME_ID || clk < 0)
		return -ENOTSUP; /* sleeping on CPU time: not supported */
	r = ts_to_ns(req, &ns);
	if (r < 0)
		return r;
	if (flags & ~TIMER_ABSTIME)
		return -EINVAL;
	if (!(flags & TIMER_ABSTIME))
		return sleep_until(kclock_ns() + ns, rem);
	/* absolute on @clk: the same distance from now on our clock */
	now = clock_now(clk);
	r = sleep_until(kclock_ns() + (ns > now ? ns - now : 0), NULL);
	return r; /* an absolute sleep reports no remaining time */
}

SYSCALL_DEFINE0(pause)
{
	return signal_wait();
}
