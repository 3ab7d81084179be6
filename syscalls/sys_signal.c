/* sys_signal.c - signal actions, masks and alternate stacks (bookkeeping) */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "sched/sched.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif

/* the kernel's constant (glibc's MINSIGSTKSZ is a sysconf call) */
#define LINUX_MINSIGSTKSZ 2048

#define SIGBIT(s) (1ull << ((s)-1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

SYSCALL_DEFINE4(rt_sigaction, int, sig, const struct k_sigaction __user *, uact,
		struct k_sigaction __user *, uold, size_t, setsize)
{
	struct proc *p = current_proc();
	struct k_sigaction act, old;

	if (setsize != 8)
		return -EINVAL;
	if (sig < 1 || sig > NSIG_LINUX)
		return -EINVAL;
	if (uact && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (uact && copy_from_user(&act, uact, sizeof(act)))
		return -EFAULT;
	spin_lock(&p->lock);
	old = p->sigact[sig - 1];
	if (uact) {
		act.mask &= ~UNBLOCKABLE;
		p->sigact[sig - 1] = act;
		/* setting SIG_IGN discards what is pending (POSIX) */
		if (act.handler == (uint64_t)SIG_IGN ||
		    (act.handler == (uint64_t)SIG_DFL &&
		     !sig_default_kills(sig)))
			p->sig_pending &= ~SIGBIT(sig);
	}
	spin_unlock(&p->lock);
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE4(rt_sigprocmask, int, how, const uint64_t __user *, uset,
		uint64_t __user *, uold, size_t, setsize)
{
	struct thread *t = current_thread();
	uint64_t set, old = t->sigmask;

	if (setsize != 8)
		return -EINVAL;
	if (uset) {
		if (copy_from_user(&set, uset, sizeof(set)))
			return -EFAULT;
		set &= ~UNBLOCKABLE;
		switch (how) {
		case SIG_BLOCK:
			t->sigmask |= set;
			break;
		case SIG_UNBLOCK:
			t->sigmask &= ~set;
			break;
		case SIG_SETMASK:
			t->sigmask = set;
			break;
		default:
			return -EINVAL;
		}
	}
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE2(rt_sigpending, uint64_t __user *, uset, size_t, setsize)
{
	struct thread *t = current_thread();
	uint64_t set;

	if (setsize > 8)
		return -EINVAL;
	set = (t->sig_pending | t->proc->sig_pending) & t->sigmask;
	return copy_to_user(uset, &set, setsize);
}

SYSCALL_DEFINE2(sigaltstack, const stack_t __user *, uss, stack_t __user *,
		uold)
{
	struct thread *t = current_thread();
	uint64_t sp = current_tf()->rsp;
	stack_t old = t->sigaltstack, ss;
	bool on = !(old.ss_flags & SS_DISABLE) &&
		  sp - (uint64_t)old.ss_sp < (uint64_t)old.ss_size;

	old.ss_flags =
		on ? SS_ONSTACK : (old.ss_flags & (SS_DISABLE | SS_AUTODISARM));
	if (uss) {
		if (copy_from_user(&ss, uss, sizeof(ss)))
			return -EFAULT;
		if (on)
			return -EPERM;
		if (ss.ss_flags & ~(SS_DISABLE | SS_ONSTACK | SS_AUTODISARM))
			return -EINVAL;
		if (ss.ss_flags & SS_DISABLE) {
			ss.ss_sp = NULL;
			ss.ss_size = 0;
			ss.ss_flags = SS_DISABLE;
		} else if (ss.ss_size < LINUX_MINSIGSTKSZ) {
			return -ENOMEM;
		}
		ss.ss_flags &= ~SS_ONSTACK;
		t->sigaltstack = ss;
	}
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE0(rt_sigreturn)
{
	struct trapframe *tf = current_tf();
	long r = sig_return(tf);

	if (r == -EFAULT && tf->orig_rax == (uint64_t)-1) {
		/* a bad frame: SIGSEGV, which kills (as Linux) */
		sig_send(current_proc(), current_thread(), SIGSEGV);
	}
	return r;
}

SYSCALL_DEFINE2(rt_sigsuspend, const uint64_t __user *, umask, size_t, setsize)
{
	struct thread *t = current_thread();
	uint64_t m;

	if (setsize != 8)
		return -EINVAL;
	if (copy_from_user(&m, umask, 8))
		return -EFAULT;
	/* the old mask comes back after the handler (sig_handle_pending) */
	t->sigsuspend_mask = t->sigmask;
	t->restore_mask = true;
	t->sigmask = m & ~UNBLOCKABLE;
	return signal_wait();
}

SYSCALL_DEFINE4(rt_sigtimedwait, const uint64_t __user *, uset,
		siginfo_t __user *, uinfo, const struct timespec __user *, uts,
		size_t, setsize)
{
	struct thread *t = current_thread();
	struct k_siginfo info;
	uint64_t set, deadline = 0;
	int sig;
	long r = 0;

	if (setsize != 8)
		return -EINVAL;
	if (copy_from_user(&set, uset, 8))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (uts) {
		struct timespec ts;

		if (copy_from_user(&ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		deadline = kclock_ns() +
			   ns_sat((uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec);
	}
	for (;;) {
		sig = sig_dequeue(set, &info);
		if (sig)
			break;
		if (uts && !deadline)
			return -EAGAIN;
		t->sigwait_set = set;
		sched_prepare_block(true);
		if (sig_dequeue(set, &info) || signal_pending_now()) {
			sched_cancel_block();
			t->sigwait_set = 0;
			continue;
		}
		r = sched_block(deadline);
		t->sigwait_set = 0;
		if (r == -ETIMEDOUT) {
			sig = sig_dequeue(set, &info);
			if (!sig)
				return -EAGAIN;
			break;
		}
		if (r == -EINTR && signal_pending_now())
			return -EINTR;
	}
	if (uinfo && copy_to_user(uinfo, &info, sizeof(info)))
		return -EFAULT;
	return sig;
}

/* sigqueue(3): the guest's own siginfo; it may not pose as the kernel */
static long queue_info(const void __user *uinfo, struct sig_qinfo *qi)
{
	struct k_siginfo ki;

	if (copy_from_user(&ki, uinfo, sizeof(ki)))
		return -EFAULT;
	if (ki.code >= 0 || ki.code == -6 /* SI_TKILL */)
		return -EPERM;
	qi->code = ki.code;
	qi->pid = current_proc()->pid;
	qi->uid = current_proc()->cred.uid;
	qi->value = ki.kill.value;
	return 0;
}

SYSCALL_DEFINE4(rt_sigqueueinfo, int, pid, int, sig, siginfo_t __user *, info,
		int, flags)
{
	struct proc *p = proc_find(pid);
	struct sig_qinfo qi;
	long r;

	(void)flags;
	if (sig < 0 || sig > NSIG_LINUX)
		return -EINVAL;
	if (!p)
		return -ESRCH;
	r = queue_info(info, &qi);
	if (r < 0)
		return r;
	if (sig)
		sig_send_info(p, NULL, sig, &qi);
	return 0;
}

SYSCALL_DEFINE4(rt_tgsigqueueinfo, int, tgid, int, tid, int, sig,
		siginfo_t __user *, info)
{
	struct thread *t = thread_find(tid);
	struct sig_qinfo qi;
	long r;

	if (sig < 0 || sig > NSIG_LINUX)
		return -EINVAL;
	if (!t || t->proc->pid != tgid)
		return -ESRCH;
	r = queue_info(info, &qi);
	if (r < 0)
		return r;
	if (sig)
		sig_send_info(t->proc, t, sig, &qi);
	return 0;
}
