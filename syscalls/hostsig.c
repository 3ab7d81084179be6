/* hostsig.c - our host signal handlers: SIGSYS traps, faults, forwarding */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ucontext.h>
#include <time.h>

#include "base/host.h"
#include "base/log.h"
#include "kernel/kernel.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2 /* si_code of a Syscall User Dispatch SIGSYS */
#endif

extern char entry_jmp[], entry_jmp_end[];
extern char __executable_start[];
extern char return_to_guest[], return_to_guest_end[];
extern char entry_trap_resume[], entry_fault_resume[];
extern void host_sig_entry(int, siginfo_t *, void *);
extern void sig_restorer(void);

/* the kernel's struct sigaction (not glibc's) */
struct host_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

#define HOST_SA_RESTORER 0x04000000

#define EFLAGS_TF 0x100
#define EFLAGS_DF 0x400
#define EFLAGS_AC 0x40000

static bool in_range(uint64_t ip, const char *lo, const char *hi)
{
	return ip >= (uint64_t)lo && ip < (uint64_t)hi;
}

/*
 * Was the interrupted context running guest code? The selector says BLOCK
 * from the end of return_to_guest until the start of entry_jmp, where our
 * own asm still runs on both sides.
 */
static bool interrupted_guest(uint64_t sel, uint64_t ip)
{
	if (sel != 1)
		return false;
	if (in_range(ip, entry_jmp, entry_jmp_end))
		return false;
	if (in_range(ip, return_to_guest, return_to_guest_end))
		return false;
	return true;
}

/*
 * Copy the interrupted guest registers into the trapframe at the top of
 * the current kernel stack and change @uc so that the signal returns to
 * @resume in kernel mode with rsp = trapframe. The vector state in the
 * signal frame is restored by rt_sigreturn, so kernel mode starts with the
 * guest's vector registers live, exactly as after a jump entry.
 */
static struct trapframe *leave_to_kernel(struct kthread *k, ucontext_t *uc,
					 uint64_t guest_fs, void *resume,
					 uint64_t *saved_fs,
					 uint64_t *saved_sel)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct trapframe *tf = (struct trapframe *)(k->kstack_top - TF_SIZE);

	tf->r15 = (uint64_t)g[REG_R15];
	tf->r14 = (uint64_t)g[REG_R14];
	tf->r13 = (uint64_t)g[REG_R13];
	tf->r12 = (uint64_t)g[REG_R12];
	tf->rbp = (uint64_t)g[REG_RBP];
	tf->rbx = (uint64_t)g[REG_RBX];
	tf->r11 = (uint64_t)g[REG_R11];
	tf->rcx = (uint64_t)g[REG_RCX];
	tf->rax = (uint64_t)g[REG_RAX];
	tf->rdi = (uint64_t)g[REG_RDI];
	tf->rsi = (uint64_t)g[REG_RSI];
	tf->rdx = (uint64_t)g[REG_RDX];
	tf->r10 = (uint64_t)g[REG_R10];
	tf->r8 = (uint64_t)g[REG_R8];
	tf->r9 = (uint64_t)g[REG_R9];
	tf->orig_rax = (uint64_t)-1;
	tf->rip = (uint64_t)g[REG_RIP];
	tf->rflags = (uint64_t)g[REG_EFL];
	tf->rsp = (uint64_t)g[REG_RSP];
	tf->fsbase = guest_fs;

	g[REG_RIP] = (greg_t)resume;
	g[REG_RSP] = (greg_t)tf;
	g[REG_EFL] &= ~(greg_t)(EFLAGS_TF | EFLAGS_DF | EFLAGS_AC);
	*saved_fs = k->fsbase;
	*saved_sel = 0;
	return tf;
}

static void on_sigsys(struct kthread *k, siginfo_t *si, ucontext_t *uc,
		      uint64_t *saved_fs, uint64_t *saved_sel)
{
	struct trapframe *tf;

	if (si->si_code != SYS_USER_DISPATCH ||
	    !interrupted_guest(*saved_sel,
			       (uint64_t)uc->uc_mcontext.gregs[REG_RIP]))
		log_panic(
			"SIGSYS in kernel mode (code %d, syscall %d, ip %#llx)",
			si->si_code, si->si_syscall,
			(unsigned long long)uc->uc_mcontext.gregs[REG_RIP]);
	tf = leave_to_kernel(k, uc, *saved_fs, entry_trap_resume, saved_fs,
			     saved_sel);
	/* rollback by the host: rax holds the number again, as orig_rax */
	tf->orig_rax = tf->rax;
}

static void on_fault(struct kthread *k, int sig, siginfo_t *si, ucontext_t *uc,
		     uint64_t *saved_fs, uint64_t *saved_sel)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t ip = (uint64_t)g[REG_RIP];

	/*
	 * A guest that single-steps itself (TF) traps in our entry and exit
	 * asm too. Entering, each instruction traps until entry_jmp's own
	 * popfq clears TF (the saved rflags keep it): nothing to do. Leaving,
	 * the trap comes after the last popq, on the final jmp: that jmp is
	 * done here, and the CPU traps again after the guest's first
	 * instruction, as after a syscall on Linux.
	 */
	if (sig == SIGTRAP && si->si_code == TRAP_TRACE) {
		if (in_range(ip, entry_jmp, entry_jmp_end))
			return;
		if (in_range(ip, return_to_guest, return_to_guest_end) &&
		    *saved_sel == 1) {
			g[REG_RIP] = (greg_t)k->ret_rip;
			return;
		}
	}
	if (!interrupted_guest(*saved_sel, ip)) {
		/* a guest pointer we copy through: return -EFAULT there */
		if (usercopy_fixup(uc))
			return;
		log_panic(
			"signal %d in kernel mode at ip %#lx (junction-run+%#lx), "
			"address %p",
			sig, (unsigned long)ip,
			(unsigned long)(ip - (uint64_t)__executable_start),
			si->si_addr);
	}
	/* an int3 of a site being rewritten: go where the new code goes */
	if (sig == SIGTRAP && si->si_code == SI_KERNEL) {
		uint64_t to = rewrite_int3_target(ip - 1);

		if (to) {
			g[REG_RIP] = (greg_t)to;
			return;
		}
	}
	/* read the fault's details before the context is rewritten */
	uint64_t err = (uint64_t)g[REG_ERR], trapno = (uint64_t)g[REG_TRAPNO],
		 cr2 = (uint64_t)g[REG_CR2];

	leave_to_kernel(k, uc, *saved_fs, entry_fault_resume, saved_fs,
			saved_sel);
	kernel_fault_pending(sig, si, err, trapno, cr2);
}

/*
 * Kernel mode was interrupted with work for the kernel pending: it is seen
 * at the next syscall exit - unless the uthread was already on its way
 * back to the guest (return_to_guest), where it could then run guest code
 * for ever without entering the kernel. So the tick comes again, soon.
 */
static void retick_soon(struct kthread *k)
{
	struct itimerspec its = {{0, 0}, {0, 100000}};

	if (k->host_timer >= 0) {
		k->tick_armed = 0;
		host_syscall4(SYS_timer_settime, k->host_timer, 0, &its, NULL);
	}
}

/*
 * Work for the kernel is pending (a flag set by the caller): in guest
 * mode, enter the kernel now; in kernel mode the flag is seen at the next
 * syscall exit or scheduler loop iteration (kernel code is not preempted),
 * or by the quick tick retick_soon arms.
 */
static void act_soon(struct kthread *k, ucontext_t *uc, uint64_t *saved_fs,
		     uint64_t *saved_sel)
{
	if (!k->cur)
		return;
	if (interrupted_guest(*saved_sel,
			      (uint64_t)uc->uc_mcontext.gregs[REG_RIP]))
		leave_to_kernel(k, uc, *saved_fs, entry_fault_resume, saved_fs,
				saved_sel);
	else
		retick_soon(k);
}

/* the tick (preemption, timers) or a kick to act on a signal */
static void on_preempt(struct kthread *k, ucontext_t *uc, uint64_t *saved_fs,
		       uint64_t *saved_sel)
{
	__atomic_store_n(&k->tick_pending, 1, __ATOMIC_RELEASE);
	act_soon(k, uc, saved_fs, saved_sel);
}

/* an asynchronous signal sent to junction-run from outside */
static void on_forward(struct kthread *k, int sig, ucontext_t *uc,
		       uint64_t *saved_fs, uint64_t *saved_sel)
{
	kernel_host_signal(sig);
	act_soon(k, uc, saved_fs, saved_sel);
}

void host_signal_c(int sig, siginfo_t *si, void *ucv, uint64_t *saved_fs,
		   uint64_t *saved_sel);

void host_signal_c(int sig, siginfo_t *si, void *ucv, uint64_t *saved_fs,
		   uint64_t *saved_sel)
{
	struct kthread *k = this_kthread();
	ucontext_t *uc = ucv;

	switch (sig) {
	case SIGSYS:
		on_sigsys(k, si, uc, saved_fs, saved_sel);
		break;
	case SIGSEGV:
	case SIGBUS:
	case SIGFPE:
	case SIGILL:
	case SIGTRAP:
		on_fault(k, sig, si, uc, saved_fs, saved_sel);
		break;
	case SIG_PREEMPT:
		on_preempt(k, uc, saved_fs, saved_sel);
		break;
	default:
		on_forward(k, sig, uc, saved_fs, saved_sel);
		break;
	}
}

static int install(int sig, uint64_t mask, unsigned long extra)
{
	struct host_sigaction sa = {
		.handler = (void *)host_sig_entry,
		.flags = SA_SIGINFO | SA_ONSTACK | HOST_SA_RESTORER | extra,
		.restorer = (void *)sig_restorer,
		.mask = mask,
	};

	return (int)host_rt_sigaction(sig, &sa, NULL);
}

#define SIGBIT(s) (1ull << ((s)-1))

int hostsig_init(void)
{
	static const int sync_sigs[] = {SIGSYS, SIGSEGV, SIGBUS,
					SIGFPE, SIGILL,	 SIGTRAP};
	static const int fwd_sigs[] = {SIGINT,	SIGTERM, SIGHUP,    SIGQUIT,
				       SIGUSR1, SIGUSR2, SIGALRM,   SIGWINCH,
				       SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF};
	uint64_t sync_mask = 0, all = ~0ull;
	struct host_sigaction ign = {.handler = SIG_IGN};
	int ret;

	for (unsigned i = 0; i < sizeof(sync_sigs) / sizeof(*sync_sigs); i++)
		sync_mask |= SIGBIT(sync_sigs[i]);
	/* while one of our handlers runs, only synchronous signals may nest */
	for (unsigned i = 0; i < sizeof(sync_sigs) / sizeof(*sync_sigs); i++) {
		ret = install(sync_sigs[i], all & ~sync_mask, 0);
		if (ret < 0)
			return ret;
	}
	for (unsigned i = 0; i < sizeof(fwd_sigs) / sizeof(*fwd_sigs); i++) {
		ret = install(fwd_sigs[i], all & ~sync_mask, 0);
		if (ret < 0)
			return ret;
	}
	/* the tick restarts interrupted host syscalls of ours */
	ret = install(SIG_PREEMPT, all & ~sync_mask, SA_RESTART);
	if (ret < 0)
		return ret;
	/* a write to a closed pipe returns EPIPE; the guest gets its SIGPIPE */
	return (int)host_rt_sigaction(SIGPIPE, &ign, NULL);
}
