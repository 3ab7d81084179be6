/* sys_info.c - uname, sysinfo, getrandom, rlimits, resource usage */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>

#include "base/host.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

SYSCALL_DEFINE1(uname, struct utsname __user *, buf)
{
	struct utsname u;
	long r = host_syscall1(SYS_uname, &u);

	if (r < 0)
		return r;
	return copy_to_user(buf, &u, sizeof(u));
}

SYSCALL_DEFINE1(sysinfo, struct sysinfo __user *, buf)
{
	struct sysinfo si;
	long r = host_syscall1(SYS_sysinfo, &si);

	if (r < 0)
		return r;
	return copy_to_user(buf, &si, sizeof(si));
}

/* fast path: the host writes the guest's buffer itself */
SYSCALL_DEFINE3(getrandom, void __user *, buf, size_t, n, unsigned, flags)
{
	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | 0x4 /* GRND_INSECURE */))
		return -EINVAL;
	if ((flags & 0x4) && (flags & GRND_RANDOM))
		return -EINVAL;
	n = user_host_buf(&buf, n, true);
	return host_getrandom(buf, n, flags);
}

static long get_rlimit(struct proc *p, unsigned res, struct rlimit *out)
{
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	*out = p->rlim[res];
	return 0;
}

static long set_rlimit(struct proc *p, unsigned res, const struct rlimit *nl)
{
	struct rlimit *cur;

	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (nl->rlim_cur > nl->rlim_max)
		return -EINVAL;
	cur = &p->rlim[res];
	if (nl->rlim_max > cur->rlim_max && p->cred.euid != 0)
		return -EPERM;
	if (res == RLIMIT_NOFILE && nl->rlim_max > (1u << 20))
		return -EPERM; /* above fs.nr_open, as Linux */
	*cur = *nl;
	return 0;
}

SYSCALL_DEFINE2(getrlimit, unsigned, res, struct rlimit __user *, ulim)
{
	struct rlimit l;
	long r = get_rlimit(current_proc(), res, &l);

	return r < 0 ? r : copy_to_user(ulim, &l, sizeof(l));
}

SYSCALL_DEFINE2(setrlimit, unsigned, res, const struct rlimit __user *, ulim)
{
	struct rlimit l;

	if (copy_from_user(&l, ulim, sizeof(l)))
		return -EFAULT;
	return set_rlimit(current_proc(), res, &l);
}

SYSCALL_DEFINE4(prlimit64, int, pid, unsigned, res,
		const struct rlimit __user *, unew, struct rlimit __user *,
		uold)
{
	struct proc *p = pid ? proc_find(pid) : current_proc();
	struct rlimit nl, ol;
	long r;

	if (!p)
		return -ESRCH;
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (unew && copy_from_user(&nl, unew, sizeof(nl)))
		return -EFAULT;
	get_rlimit(p, res, &ol);
	if (unew) {
		r = set_rlimit(p, res, &nl);
		if (r < 0)
			return r;
	}
	if (uold && copy_to_user(uold, &ol, sizeof(ol)))
		return -EFAULT;
	return 0;
}

static struct timeval tv_of(uint64_t ns)
{
	struct timeval tv = {(time_t)(ns / 1000000000ull),
			     (suseconds_t)((ns % 1000000000ull) / 1000)};

	return tv;
}

/*
 * Resource usage from our own accounting of uthreads; memory and I/O
 * counters are the instance's host values (one host process).
 */
SYSCALL_DEFINE2(getrusage, int, who, struct rusage __user *, uru)
{
	struct thread *t = current_thread();
	struct rusage host, ru;
	uint64_t user, sys;
	struct list_node *it;

	memset(&ru, 0, sizeof(ru));
	switch (who) {
	case RUSAGE_SELF:
		proc_cpu_ns(t->proc, &user, &sys);
		spin_lock(&t->proc->lock);
		list_for_each (&t->proc->threads, it) {
			struct thread *c =
				list_entry(it, struct thread, proc_node);

			ru.ru_nvcsw += (long)c->ut.nvcsw;
			ru.ru_nivcsw += (long)c->ut.nivcsw;
		}
		spin_unlock(&t->proc->lock);
		break;
	case RUSAGE_THREAD:
		user = thread_cpu_ns(t);
		sys = t->ut.sys_ns < user ? t->ut.sys_ns : user;
		user -= sys;
		ru.ru_nvcsw = (long)t->ut.nvcsw;
		ru.ru_nivcsw = (long)t->ut.nivcsw;
		break;
	case RUSAGE_CHILDREN:
		return copy_to_user(uru, &ru, sizeof(ru)); /* no children yet */
	default:
		return -EINVAL;
	}
	ru.ru_utime = tv_of(user);
	ru.ru_stime = tv_of(sys);
	if (host_syscall2(SYS_getrusage, RUSAGE_SELF, &host) == 0) {
		ru.ru_maxrss = host.ru_maxrss;
		ru.ru_minflt = host.ru_minflt;
		ru.ru_majflt = host.ru_majflt;
		ru.ru_inblock = host.ru_inblock;
		ru.ru_oublock = host.ru_oublock;
	}
	return copy_to_user(uru, &ru, sizeof(ru));
}

SYSCALL_DEFINE1(times, struct tms __user *, ubuf)
{
	struct tms t, host;
	uint64_t user, sys;
	long r = host_syscall1(SYS_times, &host);

	if (ubuf) {
		/* clock ticks of 10 ms (AT_CLKTCK = 100) */
		proc_cpu_ns(current_proc(), &user, &sys);
		t.tms_utime = (clock_t)(user / 10000000ull);
		t.tms_stime = (clock_t)(sys / 10000000ull);
		t.tms_cutime = t.tms_cstime = 0;
		if (copy_to_user(ubuf, &t, sizeof(t)))
			return -EFAULT;
	}
	return r;
}

SYSCALL_DEFINE3(syslog, int, type, char __user *, buf, int, len)
{
	(void)buf;
	(void)len;
	/* SYSLOG_ACTION_SIZE_BUFFER is harmless; reading the host's log is not */
	return type == 10 ? 1 << 17 : -EPERM;
}
