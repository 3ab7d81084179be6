/* sys_signal.c - signal actions, masks and alternate stacks (bookkeeping) */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif

#define SIGBIT(s) (1ull << ((s) - 1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

SYSCALL_DEFINE4(rt_sigaction, int, sig, const struct k_sigaction __user *,
		uact, struct k_sigaction __user *, uold, size_t, setsize)
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
		    (act.handler == (uint64_t)SIG_DFL && !sig_default_kills(sig)))
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

	old.ss_flags = on ? SS_ONSTACK : (old.ss_flags & (SS_DISABLE | SS_AUTODISARM));
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
		} else if (ss.ss_size < (size_t)MINSIGSTKSZ) {
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
	/* no frame was ever delivered, so the stack holds none: SIGSEGV */
	sig_send(current_proc(), current_thread(), SIGSEGV);
	return -EFAULT;
}

SYSCALL_DEFINE4(rt_sigqueueinfo, int, pid, int, sig, siginfo_t __user *,
		info, int, flags)
{
	struct proc *p = proc_find(pid);

	(void)info;
	(void)flags;
	if (sig < 0 || sig > NSIG_LINUX)
		return -EINVAL;
	if (!p)
		return -ESRCH;
	if (sig)
		sig_send(p, NULL, sig);
	return 0;
}

SYSCALL_DEFINE4(rt_tgsigqueueinfo, int, tgid, int, tid, int, sig,
		siginfo_t __user *, info)
{
	struct thread *t = thread_find(tid);

	(void)info;
	if (sig < 0 || sig > NSIG_LINUX)
		return -EINVAL;
	if (!t || t->proc->pid != tgid)
		return -ESRCH;
	if (sig)
		sig_send(t->proc, t, sig);
	return 0;
}
