/* kernel.c - bringing the instance up, and the hooks around guest entry */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "base/host.h"
#include "base/log.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "kernel/futex.h"
#include "syscalls/syscalls.h"

struct kernel_opts kopts = {.cores = 0, .rewrite = true};

static struct kthread kt0;

/* host signals sent to junction-run, not yet acted on (bit sig - 1) */
static uint64_t host_pending;

/* what junction-run inherited: the first process starts with it */
static uint64_t initial_sigmask, initial_ignored;
static struct rlimit initial_rlim[RLIM_NLIMITS];
static unsigned initial_umask;
static int64_t mono_to_real, mono_to_boot;

int kernel_nr_kthreads(void)
{
	return kthread_count();
}

struct kthread *kernel_kthread(int i)
{
	return kthread_get(i);
}

/* the CPUs junction-run may use: the default of --cores */
static int host_cpus(void)
{
	uint64_t mask[16] = {0};
	long r = host_syscall3(SYS_sched_getaffinity, 0, sizeof(mask), mask);
	int n = 0;

	for (long i = 0; r > 0 && i < r / 8; i++)
		n += __builtin_popcountll(mask[i]);
	return n > 0 ? n : 1;
}

uint64_t kernel_now_ns(void)
{
	struct timespec ts;

	host_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t clock_ns(int clk)
{
	struct timespec ts;

	host_clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

uint64_t kernel_realtime_at(uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + mono_to_real);
}

uint64_t kernel_boottime_at(uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + mono_to_boot);
}

void kernel_initial_sigstate(struct proc *p)
{
	for (int s = 1; s <= NSIG_LINUX; s++) {
		if (initial_ignored & (1ull << (s - 1)))
			p->sigact[s - 1].handler = (uint64_t)SIG_IGN;
	}
}

uint64_t kernel_initial_sigmask(void)
{
	return initial_sigmask;
}

struct rlimit kernel_initial_rlimit(int res)
{
	return initial_rlim[res];
}

unsigned kernel_initial_umask(void)
{
	return initial_umask;
}

/* record the dispositions and limits the guest inherits, then ours */
static int capture_inherited(void)
{
	struct rlimit nofile;

	host_rt_sigprocmask(SIG_SETMASK, NULL, &initial_sigmask);
	for (int s = 1; s <= NSIG_LINUX; s++) {
		struct {
			void *h;
			unsigned long f;
			void *r;
			uint64_t m;
		} old;

		if (s == SIGKILL || s == SIGSTOP)
			continue;
		if (host_rt_sigaction(s, NULL, &old) == 0 && old.h == SIG_IGN)
			initial_ignored |= 1ull << (s - 1);
	}
	for (int i = 0; i < RLIM_NLIMITS; i++)
		getrlimit(i, &initial_rlim[i]);
	/* the guest's umask is applied by our VFS; the host's becomes 0 */
	initial_umask = umask(0);

	/* host fds of every guest process come from this one table */
	nofile = initial_rlim[RLIMIT_NOFILE];
	nofile.rlim_cur = nofile.rlim_max;
	setrlimit(RLIMIT_NOFILE, &nofile);

	mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	mono_to_boot = clock_ns(CLOCK_BOOTTIME) - clock_ns(CLOCK_MONOTONIC);
	return 0;
}

int kernel_init(void)
{
	uint64_t none = 0;
	int r;

	r = xstate_init();
	if (r < 0) {
		log_msg("this CPU lacks XSAVEOPT: cannot preserve guest vector "
			"state");
		return r;
	}
	capture_inherited();
	entry_init();
	kclock_init();
	futex_init();
	r = hostsig_init();
	if (r < 0)
		return r;
	/* guest masks are virtual; ours blocks nothing (SIGSYS above all) */
	host_rt_sigprocmask(SIG_SETMASK, &none, NULL);
	r = kthread_init_self(&kt0, 0);
	if (r < 0) {
		log_msg("cannot set up the kernel thread: %s (Syscall User "
			"Dispatch needs Linux >= 5.11)",
			strerror(-r));
		return r;
	}
	/*
	 * Before the other host threads exist: with more than one, the
	 * host's membarrier registration waits for an RCU grace period.
	 */
	r = rewrite_init(kopts.rewrite);
	if (r < 0)
		return r;
	if (kopts.cores <= 0)
		kopts.cores = host_cpus() < 64 ? host_cpus() : 64;
	sched_set_loop_hook(kernel_loop_work);
	/*
	 * One kthread until the guest has a second thread: a single-threaded
	 * program then runs in a single-threaded host process, where munmap
	 * and mprotect need no TLB shootdown and exit tears down nothing.
	 */
	r = kthreads_start(1);
	if (r < 0)
		return r;
	r = hostpoll_init();
	if (r < 0)
		return r;
	if (kopts.strace) {
		r = strace_init(kopts.strace_path);
		if (r < 0) {
			log_msg("cannot open %s: %s", kopts.strace_path,
				strerror(-r));
			return r;
		}
	}
	return 0;
}

void kernel_start_kthreads(void)
{
	static bool failed;
	int r;

	if (failed || kthread_count() >= kopts.cores)
		return;
	/* glibc's pthread_create below may touch vector registers */
	xstate_save_current();
	r = kthreads_start(kopts.cores);
	if (r < 0) {
		failed = true;
		log_msg("cannot start %d kernel threads: %s (running on %d)",
			kopts.cores, strerror(-r), kthread_count());
	}
}

int kernel_run(void)
{
	sched_run();
	return proc_init_status();
}

/* act on signals sent to junction-run from outside (see on_forward) */
static void process_host_signals(void)
{
	uint64_t m;
	struct proc *p;

	if (!__atomic_load_n(&host_pending, __ATOMIC_RELAXED))
		return;
	m = __atomic_exchange_n(&host_pending, 0, __ATOMIC_ACQ_REL);
	p = proc_find(1);
	for (int s = 1; m && s <= 64; s++) {
		if (!(m & (1ull << (s - 1))))
			continue;
		m &= ~(1ull << (s - 1));
		if (p)
			sig_send(p, NULL, s);
	}
}

void kernel_loop_work(void)
{
	process_host_signals();
}

void kernel_exit_work(struct trapframe *tf)
{
	struct thread *t = current_thread();
	struct proc *p = t->proc;

	process_host_signals();
	sched_tick();
	t = current_thread(); /* the same uthread, maybe on another kthread */
	if (t->fault_sig || t->killed || t->restore_mask ||
	    ((__atomic_load_n(&t->sig_pending, __ATOMIC_RELAXED) |
	      __atomic_load_n(&p->sig_pending, __ATOMIC_RELAXED)) &
	     ~t->sigmask) ||
	    (tf->orig_rax != (uint64_t)-1 && sys_interrupted((long)tf->rax)))
		sig_handle_pending(tf);
}

void kernel_fault_pending(int sig, const siginfo_t *si, uint64_t err,
			  uint64_t trapno, uint64_t cr2)
{
	struct thread *t = current_thread();

	t->fault_sig = sig;
	t->fault_frame.sig = sig;
	t->fault_frame.code = si->si_code;
	t->fault_frame.addr = (uint64_t)si->si_addr;
	t->fault_frame.err = err;
	t->fault_frame.trapno = trapno;
	t->fault_frame.cr2 = cr2;
}

/* from a host signal handler: no lock may be taken here */
void kernel_host_signal(int sig)
{
	__atomic_or_fetch(&host_pending, 1ull << (sig - 1), __ATOMIC_RELEASE);
}

void fault_entry_c(struct trapframe *tf)
{
	struct uthread *u = this_uthread();

	xstate_save(u);
	tf->orig_rax = (uint64_t)-1;
	kernel_exit_work(tf);
	xstate_restore(u);
}
