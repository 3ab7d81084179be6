/* signal.c - signal bookkeeping and default actions */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>

#include "base/log.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"

#define SIGBIT(s) (1ull << ((s) - 1))

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

void sig_send(struct proc *p, struct thread *t, int sig)
{
	if (sig < 1 || sig > NSIG_LINUX)
		return;
	/* atomic: also called from host signal handlers */
	if (t)
		__atomic_or_fetch(&t->sig_pending, SIGBIT(sig),
				  __ATOMIC_RELAXED);
	else
		__atomic_or_fetch(&p->sig_pending, SIGBIT(sig),
				  __ATOMIC_RELAXED);
}

static _Noreturn void die_of(int sig)
{
	int status = sig;

	if (default_core & SIGBIT(sig))
		status |= 0x80; /* WCOREDUMP: Linux would dump core here */
	proc_exit_group(status);
}

void sig_handle_pending(struct trapframe *tf)
{
	struct thread *t = current_thread();
	struct proc *p = t->proc;
	uint64_t pending;

	(void)tf;
	/* a synchronous fault: blocked or ignored, it kills (force_sig) */
	if (t->fault_sig) {
		int sig = t->fault_sig;
		uint64_t h = p->sigact[sig - 1].handler;

		t->fault_sig = 0;
		if (h != (uint64_t)SIG_DFL && h != (uint64_t)SIG_IGN &&
		    !(t->sigmask & SIGBIT(sig)))
			log_msg("signal %d: delivery to a guest handler is not "
				"implemented yet; terminating",
				sig);
		die_of(sig);
	}

	for (;;) {
		int sig;
		uint64_t h;

		pending = (__atomic_load_n(&t->sig_pending, __ATOMIC_RELAXED) |
			   __atomic_load_n(&p->sig_pending, __ATOMIC_RELAXED)) &
			  ~(t->sigmask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP)));
		if (!pending)
			return;
		sig = pending & SIGBIT(SIGKILL) ? SIGKILL
						: __builtin_ctzll(pending) + 1;
		__atomic_and_fetch(&t->sig_pending, ~SIGBIT(sig),
				   __ATOMIC_RELAXED);
		__atomic_and_fetch(&p->sig_pending, ~SIGBIT(sig),
				   __ATOMIC_RELAXED);
		h = p->sigact[sig - 1].handler;
		if (sig == SIGKILL || sig == SIGSTOP)
			h = (uint64_t)SIG_DFL;
		if (h == (uint64_t)SIG_IGN)
			continue;
		if (h == (uint64_t)SIG_DFL) {
			if (sig_default_kills(sig))
				die_of(sig);
			continue;
		}
		log_msg("signal %d: delivery to a guest handler is not "
			"implemented yet; terminating",
			sig);
		die_of(sig);
	}
}
