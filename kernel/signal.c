/* signal.c - signal bookkeeping and default actions */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>

#include "base/log.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "syscalls/syscalls.h"

#define SIGBIT(s) (1ull << ((s)-1))

/* signals whose default action is to ignore (or stop/continue, see below) */
static const uint64_t default_ignore =
	SIGBIT(SIGCHLD) | SIGBIT(SIGURG) | SIGBIT(SIGWINCH) | SIGBIT(SIGCONT) |
	/*
	 * Stopping: Linux stops the process. There is no job control of
	 * guests yet; a stop signal sent by a guest is ignored (README).
	 */
	SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU);

static const uint64_t default_core =
	SIGBIT(SIGQUIT) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | SIGBIT(SIGABRT) |
	SIGBIT(SIGBUS) | SIGBIT(SIGFPE) | SIGBIT(SIGSEGV) | SIGBIT(SIGXCPU) |
	SIGBIT(SIGXFSZ) | SIGBIT(SIGSYS);

bool sig_default_kills(int sig)
{
	return !(default_ignore & SIGBIT(sig));
}

long signal_wait(void)
{
	for (;;) {
		sched_prepare_block(true);
		if (signal_pending_now()) {
			sched_cancel_block();
			return -EINTR;
		}
		if (sched_block(0) == -EINTR)
			return -EINTR;
	}
}

bool signal_pending_now(void)
{
	struct thread *t = current_thread();
	struct proc *p = t->proc;

	return __atomic_load_n(&t->killed, __ATOMIC_ACQUIRE) ||
	       ((__atomic_load_n(&t->sig_pending, __ATOMIC_ACQUIRE) |
		 __atomic_load_n(&p->sig_pending, __ATOMIC_ACQUIRE)) &
		~t->sigmask);
}

/* would @sig be ignored by @p if delivered now? (see sig_ignored()) */
static bool ignored(struct proc *p, int sig)
{
	uint64_t h =
		__atomic_load_n(&p->sigact[sig - 1].handler, __ATOMIC_RELAXED);

	if (sig == SIGKILL || sig == SIGSTOP)
		return false;
	return h == (uint64_t)SIG_IGN ||
	       (h == (uint64_t)SIG_DFL && !sig_default_kills(sig));
}

void sig_send(struct proc *p, struct thread *t, int sig)
{
	struct sig_qinfo qi = {.code = 0x80 /* SI_KERNEL */};

	sig_send_info(p, t, sig, &qi);
}

void sig_send_info(struct proc *p, struct thread *t, int sig,
		   const struct sig_qinfo *qi)
{
	struct list_node *it;
	struct thread *target = t;

	if (sig < 1 || sig > NSIG_LINUX)
		return;
	spin_lock(&p->lock);
	if (p->exit_group_started) {
		spin_unlock(&p->lock);
		return;
	}
	/* ignored signals are discarded when sent, unless blocked (POSIX) */
	if (ignored(p, sig)) {
		bool blocked = t ? (t->sigmask & SIGBIT(sig)) : false;

		if (!t) {
			blocked = true;
			list_for_each (&p->threads, it) {
				struct thread *c = list_entry(it, struct thread,
							      proc_node);

				if (!(c->sigmask & SIGBIT(sig)))
					blocked = false;
			}
		}
		if (!blocked) {
			spin_unlock(&p->lock);
			return;
		}
	}
	/* standard signals do not queue: the first one's info stays */
	if (t) {
		if (!(t->sig_pending & SIGBIT(sig)))
			t->sig_info[sig - 1] = *qi;
		__atomic_or_fetch(&t->sig_pending, SIGBIT(sig),
				  __ATOMIC_RELEASE);
	} else {
		if (!(p->sig_pending & SIGBIT(sig)))
			p->sig_info[sig - 1] = *qi;
		__atomic_or_fetch(&p->sig_pending, SIGBIT(sig),
				  __ATOMIC_RELEASE);
	}
	/* a thread in rt_sigtimedwait for it takes it */
	list_for_each (&p->threads, it) {
		struct thread *c = list_entry(it, struct thread, proc_node);

		if ((!t || c == t) && (c->sigwait_set & SIGBIT(sig))) {
			sched_wake_signal(&c->ut);
			spin_unlock(&p->lock);
			return;
		}
	}
	/* one thread that may take it enters the kernel to act on it */
	if (!target) {
		list_for_each (&p->threads, it) {
			struct thread *c =
				list_entry(it, struct thread, proc_node);

			if (!(c->sigmask & SIGBIT(sig)) || sig == SIGKILL) {
				target = c;
				break;
			}
		}
	}
	if (target && (!(target->sigmask & SIGBIT(sig)) || sig == SIGKILL))
		thread_kick(target);
	spin_unlock(&p->lock);
}

static _Noreturn void die_of(int sig)
{
	int status = sig;

	if (strace_enabled)
		strace_killed(sig);
	if (default_core & SIGBIT(sig))
		status |= 0x80; /* WCOREDUMP: Linux would dump core here */
	proc_exit_group(status);
}

/*
 * Syscalls whose interruption by a handled signal is never restarted
 * (Linux returns -ERESTARTNOHAND or uses a restart block for them).
 */
static bool restartable(unsigned long nr)
{
	switch (nr) {
	case SYS_poll:
	case SYS_select:
	case SYS_pause:
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	case SYS_rt_sigsuspend:
	case SYS_rt_sigtimedwait:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
	case SYS_ppoll:
	case SYS_pselect6:
	case SYS_futex:
	case SYS_futex_waitv:
		return false;
	default:
		return true;
	}
}

/* take the lowest pending signal in @allowed; its info in @qi */
static int take(struct thread *t, uint64_t allowed, struct sig_qinfo *qi)
{
	struct proc *p = t->proc;
	uint64_t tp, pp;
	int sig;

	spin_lock(&p->lock);
	tp = __atomic_load_n(&t->sig_pending, __ATOMIC_ACQUIRE) & allowed;
	pp = __atomic_load_n(&p->sig_pending, __ATOMIC_ACQUIRE) & allowed;
	if (!tp && !pp) {
		spin_unlock(&p->lock);
		return 0;
	}
	/* SIGKILL first; thread-directed before process-directed */
	if ((tp | pp) & SIGBIT(SIGKILL))
		sig = SIGKILL;
	else if (tp)
		sig = __builtin_ctzll(tp) + 1;
	else
		sig = __builtin_ctzll(pp) + 1;
	if (tp & SIGBIT(sig)) {
		*qi = t->sig_info[sig - 1];
		__atomic_and_fetch(&t->sig_pending, ~SIGBIT(sig),
				   __ATOMIC_RELEASE);
	} else {
		*qi = p->sig_info[sig - 1];
		__atomic_and_fetch(&p->sig_pending, ~SIGBIT(sig),
				   __ATOMIC_RELEASE);
	}
	spin_unlock(&p->lock);
	return sig;
}

static void make_info(int sig, const struct sig_qinfo *qi,
		      struct k_siginfo *info)
{
	memset(info, 0, sizeof(*info));
	info->signo = sig;
	info->code = qi->code;
	info->kill.pid = qi->pid;
	info->kill.uid = qi->uid;
	info->kill.value = qi->value;
}

int sig_dequeue(uint64_t set, struct k_siginfo *info)
{
	struct sig_qinfo qi;
	int sig = take(current_thread(), set, &qi);

	if (sig)
		make_info(sig, &qi, info);
	return sig;
}

void sig_handle_pending(struct trapframe *tf)
{
	struct thread *t = current_thread();
	struct proc *p = t->proc;
	unsigned long nr = (unsigned long)(long)(int)tf->orig_rax;
	bool in_syscall = tf->orig_rax != (uint64_t)-1;
	long ret = (long)tf->rax;
	bool interrupted = in_syscall && sys_interrupted(ret);
	uint64_t oldmask = t->restore_mask ? t->sigsuspend_mask : t->sigmask;
	struct k_siginfo info;
	struct sig_qinfo qi;
	int sig;

	if (__atomic_load_n(&t->killed, __ATOMIC_ACQUIRE))
		thread_exit(0); /* another thread ended the process */

	if (t->fault_sig) {
		struct fault_frame *ff = &t->fault_frame;
		uint64_t h;

		/* a synchronous fault: blocked or ignored, it kills (force_sig) */
		sig = t->fault_sig;
		t->fault_sig = 0;
		h = p->sigact[sig - 1].handler;
		memset(&info, 0, sizeof(info));
		info.signo = sig;
		info.code = ff->code;
		info.fault.addr = ff->addr;
		if (strace_enabled)
			strace_signal(sig, ff->code, ff->addr, tf->rip);
		if (h == (uint64_t)SIG_DFL || h == (uint64_t)SIG_IGN ||
		    (t->sigmask & SIGBIT(sig)))
			die_of(sig);
		goto deliver;
	}

	for (;;) {
		uint64_t h;

		sig = take(t,
			   ~(t->sigmask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))),
			   &qi);
		if (!sig)
			break;
		h = p->sigact[sig - 1].handler;
		if (sig == SIGKILL || sig == SIGSTOP)
			h = (uint64_t)SIG_DFL;
		if (h == (uint64_t)SIG_IGN)
			continue;
		if (h == (uint64_t)SIG_DFL) {
			if (sig_default_kills(sig))
				die_of(sig);
			continue; /* stop signals are ignored (README) */
		}
		make_info(sig, &qi, &info);
		if (strace_enabled)
			strace_signal(sig, info.code, 0, tf->rip);
		goto deliver;
	}
	/* nothing delivered: an interrupted call restarts transparently */
	if (interrupted && (ret != -EINTR || restartable(nr))) {
		tf->rax = tf->orig_rax;
		tf->rip -= 2;
	}
	if (t->restore_mask) {
		t->sigmask = t->sigsuspend_mask;
		t->restore_mask = false;
	}
	return;

deliver : {
	struct k_sigaction act = p->sigact[sig - 1];

	if (interrupted) {
		if (ret == -ERESTARTNOINTR ||
		    ((act.flags & SA_RESTART) &&
		     (ret == -ERESTARTSYS || restartable(nr)))) {
			tf->rax = tf->orig_rax;
			tf->rip -= 2; /* the syscall instruction, again */
		} else {
			tf->rax = (uint64_t)-EINTR;
		}
	}
	if (act.flags & SA_RESETHAND) {
		spin_lock(&p->lock);
		p->sigact[sig - 1].handler = (uint64_t)SIG_DFL;
		p->sigact[sig - 1].flags &= ~SA_SIGINFO;
		spin_unlock(&p->lock);
	}
	if (sig_setup_frame(tf, sig, &info, &act, oldmask) < 0) {
		/* no room for the frame: like Linux, a SIGSEGV that kills */
		die_of(SIGSEGV);
	}
	t->restore_mask = false;
	t->sigmask = oldmask | act.mask;
	if (!(act.flags & SA_NODEFER))
		t->sigmask |= SIGBIT(sig);
	t->sigmask &= ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
}
}
