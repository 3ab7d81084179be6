/* sys_poll.c - pipes, eventfd, timerfd, poll, select and epoll */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>

#include "base/kmalloc.h"
#include "kernel/objects.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "kernel/wait.h"
#include "mm/usercopy.h"
#include "sched/sched.h"
#include "syscalls/syscalls.h"

#ifndef O_NOTIFICATION_PIPE
#define O_NOTIFICATION_PIPE O_EXCL /* linux/watch_queue.h */
#endif

#define SIGBIT(s) (1ull << ((s)-1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

static unsigned nofile(void)
{
	rlim_t l = current_proc()->rlim[RLIMIT_NOFILE].rlim_cur;

	return l > (1u << 20) ? (1u << 20) : (unsigned)l;
}

/* install two new files as a pair of fds; 0 or -errno */
static long install_pair(struct file *a, struct file *b, bool cloexec,
			 int fds[2])
{
	struct proc *p = current_proc();

	fds[0] = fdtab_install(p->fdt, a, 0, cloexec, nofile());
	if (fds[0] < 0) {
		file_put(a);
		file_put(b);
		return fds[0];
	}
	fds[1] = fdtab_install(p->fdt, b, 0, cloexec, nofile());
	if (fds[1] < 0) {
		fdtab_close(p->fdt, fds[0]);
		file_put(b);
		return fds[1];
	}
	return 0;
}

static long install_one(struct file *f, bool cloexec)
{
	int fd = fdtab_install(current_proc()->fdt, f, 0, cloexec, nofile());

	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL_DEFINE2(pipe2, int __user *, ufds, int, flags)
{
	struct file *rd, *wr;
	int fds[2];
	long r;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE))
		return -EINVAL;
	if (flags & O_NOTIFICATION_PIPE)
		return -ENOPKG; /* as a kernel without watch queues */
	if (!user_range_ok(ufds, sizeof(fds)))
		return -EFAULT;
	r = pipe_create(flags, &rd, &wr);
	if (r < 0)
		return r;
	r = install_pair(rd, wr, flags & O_CLOEXEC, fds);
	if (r < 0)
		return r;
	if (copy_to_user(ufds, fds, sizeof(fds))) {
		fdtab_close(current_proc()->fdt, fds[0]);
		fdtab_close(current_proc()->fdt, fds[1]);
		return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE1(pipe, int __user *, ufds)
{
	uint64_t a[6] = {(uint64_t)ufds, 0};

	return sys_pipe2(a);
}

SYSCALL_DEFINE2(eventfd2, unsigned, initval, int, flags)
{
	struct file *f;
	long r = eventfd_create(initval, flags, &f);

	return r < 0 ? r : install_one(f, flags & O_CLOEXEC);
}

SYSCALL_DEFINE1(eventfd, unsigned, initval)
{
	struct file *f;
	long r = eventfd_create(initval, 0, &f);

	return r < 0 ? r : install_one(f, false);
}

SYSCALL_DEFINE2(timerfd_create, int, clockid, int, flags)
{
	struct file *f;
	long r = tfd_create(clockid, flags, &f);

	return r < 0 ? r : install_one(f, flags & O_CLOEXEC);
}

SYSCALL_DEFINE4(timerfd_settime, int, fd, int, flags, const void __user *, unew,
		void __user *, uold)
{
	struct file *f = fdtab_get(current_proc()->fdt, fd);
	long r;

	if (!f)
		return -EBADF;
	r = file_is_timerfd(f) ? tfd_settime(f, flags, unew, uold) : -EINVAL;
	file_put(f);
	return r;
}

SYSCALL_DEFINE2(timerfd_gettime, int, fd, void __user *, ucur)
{
	struct file *f = fdtab_get(current_proc()->fdt, fd);
	long r;

	if (!f)
		return -EBADF;
	r = file_is_timerfd(f) ? tfd_gettime(f, ucur) : -EINVAL;
	file_put(f);
	return r;
}

/* ---- timeouts and temporary signal masks ---- */

/* a relative timespec into a kclock deadline (>= 1); 0 or -errno */
static long rel_deadline(const struct timespec __user *uts, uint64_t *dl)
{
	struct timespec ts;
	uint64_t ns;

	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	ns = ns_sat((uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec);
	/* deadline 0 means "do not wait" to do_poll */
	*dl = ns ? kclock_ns() + ns : 0;
	return 0;
}

/* the time left until @deadline, written back (select, pselect) */
static void write_left(uint64_t deadline, void __user *u, bool timeval)
{
	uint64_t now = kclock_ns(), left = deadline > now ? deadline - now : 0;

	if (timeval) {
		struct timeval tv = {(time_t)(left / 1000000000ull),
				     (suseconds_t)(left % 1000000000ull) /
					     1000};

		copy_to_user(u, &tv, sizeof(tv));
	} else {
		struct timespec ts = {(time_t)(left / 1000000000ull),
				      (long)(left % 1000000000ull)};

		copy_to_user(u, &ts, sizeof(ts));
	}
}

struct mask_save {
	bool set;
	uint64_t old;
};

/* install the guest's temporary mask (ppoll, pselect6, epoll_pwait) */
static long mask_begin(const uint64_t __user *umask, size_t size,
		       struct mask_save *ms)
{
	struct thread *t = current_thread();
	uint64_t m;

	ms->set = false;
	if (!umask)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&m, umask, 8))
		return -EFAULT;
	ms->set = true;
	ms->old = t->sigmask;
	t->sigmask = m & ~UNBLOCKABLE;
	return 0;
}

/*
 * The temporary mask stays while a signal it let in is delivered: the
 * handler's frame then holds the old mask (see sig_handle_pending).
 */
static void mask_end(struct mask_save *ms, long r)
{
	struct thread *t = current_thread();

	if (!ms->set)
		return;
	if (r == -EINTR) {
		t->sigsuspend_mask = ms->old;
		t->restore_mask = true;
	} else {
		t->sigmask = ms->old;
	}
}

/* ---- poll ---- */

static long poll_common(struct pollfd __user *ufds, unsigned nfds,
			uint64_t deadline, bool has_timeout)
{
	struct pollfd *kfds;
	long r;

	if (nfds > nofile())
		return -EINVAL;
	kfds = kmalloc(sizeof(*kfds) * (nfds ? nfds : 1));
	if (!kfds)
		return -ENOMEM;
	if (copy_from_user(kfds, ufds, sizeof(*kfds) * nfds)) {
		kfree(kfds);
		return -EFAULT;
	}
	r = do_poll(kfds, nfds, deadline, has_timeout);
	if (r >= 0) {
		for (unsigned i = 0; i < nfds; i++) {
			if (copy_to_user(&ufds[i].revents, &kfds[i].revents,
					 sizeof(short))) {
				r = -EFAULT;
				break;
			}
		}
	}
	kfree(kfds);
	return r;
}

SYSCALL_DEFINE3(poll, struct pollfd __user *, ufds, unsigned, nfds, int,
		timeout)
{
	uint64_t dl =
		timeout > 0 ? kclock_ns() + (uint64_t)timeout * 1000000ull : 0;

	return poll_common(ufds, nfds, dl, timeout >= 0);
}

SYSCALL_DEFINE5(ppoll, struct pollfd __user *, ufds, unsigned, nfds,
		const struct timespec __user *, uts, const uint64_t __user *,
		umask, size_t, size)
{
	struct mask_save ms;
	uint64_t dl = 0;
	long r;

	if (uts) {
		r = rel_deadline(uts, &dl);
		if (r < 0)
			return r;
	}
	r = mask_begin(umask, size, &ms);
	if (r < 0)
		return r;
	r = poll_common(ufds, nfds, dl, uts != NULL);
	mask_end(&ms, r);
	return r;
}

/* ---- select ---- */

static long select_common(int nfds, unsigned long __user *uin,
			  unsigned long __user *uout, unsigned long __user *uex,
			  uint64_t deadline, bool has_timeout)
{
	size_t bytes = ((size_t)nfds + 63) / 64 * 8;
	unsigned long *set[3] = {NULL, NULL, NULL};
	unsigned long __user *u[3] = {uin, uout, uex};
	long r = 0;

	if (nfds < 0 || (unsigned)nfds > nofile())
		return -EINVAL;
	for (int i = 0; i < 3 && r == 0; i++) {
		if (!u[i])
			continue;
		set[i] = kzalloc(bytes ? bytes : 8);
		if (!set[i])
			r = -ENOMEM;
		else if (copy_from_user(set[i], u[i], bytes))
			r = -EFAULT;
	}
	if (r == 0)
		r = do_select(nfds, set[0], set[1], set[2], deadline,
			      has_timeout);
	for (int i = 0; i < 3; i++) {
		if (r >= 0 && set[i] && copy_to_user(u[i], set[i], bytes))
			r = -EFAULT;
		kfree(set[i]);
	}
	return r;
}

SYSCALL_DEFINE5(select, int, nfds, unsigned long __user *, in,
		unsigned long __user *, out, unsigned long __user *, ex,
		struct timeval __user *, utv)
{
	uint64_t dl = 0;
	long r;

	if (utv) {
		struct timeval tv;
		uint64_t ns;

		if (copy_from_user(&tv, utv, sizeof(tv)))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		/* Linux accepts usec >= 1e6 here and normalizes */
		ns = ns_sat((uint64_t)tv.tv_sec +
				    (uint64_t)tv.tv_usec / 1000000ull,
			    (uint64_t)tv.tv_usec % 1000000ull * 1000ull);
		dl = ns ? kclock_ns() + ns : 0;
	}
	r = select_common(nfds, in, out, ex, dl, utv != NULL);
	if (utv && r >= 0)
		write_left(dl, utv, true);
	return r;
}

SYSCALL_DEFINE6(pselect6, int, nfds, unsigned long __user *, in,
		unsigned long __user *, out, unsigned long __user *, ex,
		struct timespec __user *, uts, const void __user *, usig)
{
	struct {
		const uint64_t *mask;
		size_t size;
	} sig = {NULL, 0};
	struct mask_save ms;
	uint64_t dl = 0;
	long r;

	if (uts) {
		r = rel_deadline(uts, &dl);
		if (r < 0)
			return r;
	}
	if (usig && copy_from_user(&sig, usig, sizeof(sig)))
		return -EFAULT;
	r = mask_begin(sig.mask, sig.size, &ms);
	if (r < 0)
		return r;
	r = select_common(nfds, in, out, ex, dl, uts != NULL);
	mask_end(&ms, r);
	if (uts && r >= 0)
		write_left(dl, uts, false);
	return r;
}

/* ---- epoll ---- */

SYSCALL_DEFINE1(epoll_create1, int, flags)
{
	struct file *f;
	long r = ep_create(flags, &f);

	return r < 0 ? r : install_one(f, flags & EPOLL_CLOEXEC);
}

SYSCALL_DEFINE1(epoll_create, int, size)
{
	struct file *f;
	long r;

	if (size <= 0)
		return -EINVAL;
	r = ep_create(0, &f);
	return r < 0 ? r : install_one(f, false);
}

SYSCALL_DEFINE4(epoll_ctl, int, epfd, int, op, int, fd,
		const struct epoll_event __user *, ev)
{
	struct proc *p = current_proc();
	struct file *ep = fdtab_get(p->fdt, epfd), *t;
	long r;

	if (!ep)
		return -EBADF;
	t = fdtab_get(p->fdt, fd);
	if (!t) {
		file_put(ep);
		return -EBADF;
	}
	r = file_is_ep(ep) ? ep_ctl(ep, op, fd, t, ev) : -EINVAL;
	file_put(t);
	file_put(ep);
	return r;
}

static long epwait(int epfd, struct epoll_event __user *events, int max,
		   uint64_t deadline, bool has_timeout,
		   const uint64_t __user *umask, size_t size)
{
	struct file *ep = fdtab_get(current_proc()->fdt, epfd);
	struct mask_save ms;
	long r;

	if (!ep)
		return -EBADF;
	if (!file_is_ep(ep)) {
		file_put(ep);
		return -EINVAL;
	}
	r = mask_begin(umask, size, &ms);
	if (r == 0) {
		r = ep_wait(ep, events, max, deadline, has_timeout);
		mask_end(&ms, r);
	}
	file_put(ep);
	return r;
}

static uint64_t ms_deadline(int timeout)
{
	return timeout > 0 ? kclock_ns() + (uint64_t)timeout * 1000000ull : 0;
}

SYSCALL_DEFINE4(epoll_wait, int, epfd, struct epoll_event __user *, events, int,
		max, int, timeout)
{
	return epwait(epfd, events, max, ms_deadline(timeout), timeout >= 0,
		      NULL, 0);
}

SYSCALL_DEFINE6(epoll_pwait, int, epfd, struct epoll_event __user *, events,
		int, max, int, timeout, const uint64_t __user *, umask, size_t,
		size)
{
	return epwait(epfd, events, max, ms_deadline(timeout), timeout >= 0,
		      umask, size);
}

SYSCALL_DEFINE6(epoll_pwait2, int, epfd, struct epoll_event __user *, events,
		int, max, const struct timespec __user *, uts,
		const uint64_t __user *, umask, size_t, size)
{
	uint64_t dl = 0;

	if (uts) {
		long r = rel_deadline(uts, &dl);

		if (r < 0)
			return r;
	}
	return epwait(epfd, events, max, dl, uts != NULL, umask, size);
}
