/* helpers.c - shared set-up for unit tests that call into kernel code */
#include <asm/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "base/kmalloc.h"
#include "kernel/futex.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "sched/sched.h"
#include "syscalls/syscalls.h"

#include "helpers.h"

static struct kthread unit_kt;

void unit_kthread_setup(void)
{
	memset(&unit_kt, 0, sizeof(unit_kt));
	unit_kt.self = &unit_kt;
	unit_kt.host_timer = -1; /* sched_tick_update: no host timer */
	list_init(&unit_kt.runq);
	cr_assert_eq(syscall(SYS_arch_prctl, ARCH_SET_GS, &unit_kt), 0,
		     "arch_prctl(ARCH_SET_GS) failed");
	cr_assert_eq(this_kthread(), &unit_kt);
	cr_assert_null(this_uthread());
}

void unit_kthread_teardown(void)
{
	unit_kt.cur = NULL;
	syscall(SYS_arch_prctl, ARCH_SET_GS, 0ul);
}

/* ---- the fake clock ---- */

volatile uint64_t unit_now;

void unit_clock_fake(void)
{
	kclock_set_fake(NULL);
	unit_now = kclock_ns() + 3600ull * 1000000000ull;
	kclock_set_fake(&unit_now);
}

void unit_clock_advance(uint64_t ns)
{
	__atomic_add_fetch(&unit_now, ns, __ATOMIC_SEQ_CST);
}

/* ---- the process ---- */

static struct proc uproc;
static bool uproc_ready;

struct proc *unit_proc(void)
{
	cr_assert(uproc_ready, "unit_proc_setup was not called");
	return &uproc;
}

void unit_proc_setup(void)
{
	memset(&uproc, 0, sizeof(uproc));
	spin_init(&uproc.lock);
	list_init(&uproc.threads);
	list_init(&uproc.children);
	list_init(&uproc.sibling);
	uproc.state = PROC_RUNNING;
	uproc.pid = uproc.pgid = uproc.sid = 1;
	for (int s = 0; s < NSIG_LINUX; s++)
		uproc.sigact[s].handler = (uint64_t)SIG_DFL;
	uproc.fdt = fdtab_new();
	cr_assert_not_null(uproc.fdt);
	uproc_ready = true;
}

static struct thread cur_thread;

void unit_current_setup(void)
{
	memset(&cur_thread, 0, sizeof(cur_thread));
	cur_thread.proc = unit_proc();
	cur_thread.tid = 1;
	/* nothing to save: xstate_save_current() is a no-op for it */
	cur_thread.ut.flags = UT_XSAVED;
	cur_thread.ut.state = UT_RUNNING;
	this_kthread()->cur = &cur_thread.ut;
	cr_assert_eq(current_proc(), &uproc);
}

/* ---- the scheduler ---- */

static struct kthread unit_kt0;

void unit_sched_setup(int nkthreads, bool fake_clock)
{
	sigset_t none;

	cr_assert_eq(xstate_init(), 0, "no XSAVEC");
	kclock_init();
	if (fake_clock)
		unit_clock_fake();
	futex_init();
	cr_assert_eq(hostsig_init(), 0);
	/*
	 * hostsig_init forwards these to the guest; Criterion ends a test
	 * that overran its .timeout with SIGPROF, and runners use SIGTERM.
	 */
	signal(SIGPROF, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	cr_assert_eq(kthread_init_self(&unit_kt0, 0), 0,
		     "kthread_init_self (Syscall User Dispatch?)");
	unit_proc_setup();
	cr_assert_eq(kthreads_start(nkthreads), 0);
	cr_assert_eq(kthread_count(), nkthreads);
}

struct unit_thread {
	struct thread t; /* first: current_thread() is this */
	void (*fn)(void *);
	void *arg;
	char *kstack;
	int released; /* atomic: times its release ran */
};

static int next_tid = 100;
static int nr_created, nr_released, nr_bad_release; /* atomic */

/* no address-taken locals here: the frame is left for good */
static void unit_body(void *arg)
{
	struct unit_thread *ut = arg;

	ut->fn(ut->arg);
	sched_exit_current();
}

/*
 * The struct stays (state UT_DEAD), so tests may look at a thread after
 * it exited; the test process ends soon anyway.
 */
static void unit_release(struct uthread *u)
{
	struct unit_thread *ut = (struct unit_thread *)u;

	/* no cr_assert here: this may run on another kthread's thread */
	if (__atomic_add_fetch(&ut->released, 1, __ATOMIC_ACQ_REL) != 1 ||
	    u->kstack ||
	    __atomic_load_n(&u->state, __ATOMIC_ACQUIRE) != UT_DEAD)
		__atomic_add_fetch(&nr_bad_release, 1, __ATOMIC_RELAXED);
#if defined(__SANITIZE_ADDRESS__)
	/* frames abandoned on the stack leave poison for its next user */
	ASAN_UNPOISON_MEMORY_REGION(ut->kstack + 4096, UT_MAP_BYTES - 4096);
#endif
	__atomic_add_fetch(&nr_released, 1, __ATOMIC_RELEASE);
}

struct thread *unit_thread(void (*fn)(void *), void *arg)
{
	struct unit_thread *ut = kzalloc(sizeof(*ut));

	cr_assert_not_null(ut);
	cr_assert_eq(uthread_init(&ut->t.ut, unit_body, ut), 0);
#if defined(__SANITIZE_ADDRESS__)
	ASAN_UNPOISON_MEMORY_REGION(ut->t.ut.kstack + 4096,
				    UT_MAP_BYTES - 4096);
#endif
	ut->fn = fn;
	ut->arg = arg;
	ut->kstack = ut->t.ut.kstack;
	ut->t.ut.release = unit_release;
	ut->t.proc = unit_proc();
	ut->t.tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&nr_created, 1, __ATOMIC_RELAXED);
	return &ut->t;
}

struct thread *unit_spawn(void (*fn)(void *), void *arg)
{
	struct thread *t = unit_thread(fn, arg);

	cr_assert_eq(sched_wake(&t->ut), 1);
	return t;
}

void unit_run(void)
{
	struct timespec ts = {0, 100000};

	sched_run();
	cr_assert_eq(sched_nr_live(), 0);
	/* the last exit may still be finishing on another kthread */
	for (int i = 0;
	     i < 50000 &&
	     __atomic_load_n(&nr_released, __ATOMIC_ACQUIRE) < nr_created;
	     i++)
		nanosleep(&ts, NULL);
	cr_assert_eq(nr_released, nr_created,
		     "%d uthreads created, %d released", nr_created,
		     nr_released);
	cr_assert_eq(nr_bad_release, 0,
		     "a release twice, or before exit, or with its stack");
}

/* ---- the log ---- */

static int log_vals[UNIT_LOG_MAX];
static int log_n;

void unit_log(int v)
{
	int i = __atomic_fetch_add(&log_n, 1, __ATOMIC_SEQ_CST);

	if (i < UNIT_LOG_MAX)
		__atomic_store_n(&log_vals[i], v, __ATOMIC_RELEASE);
}

int unit_log_len(void)
{
	return __atomic_load_n(&log_n, __ATOMIC_ACQUIRE);
}

int unit_log_at(int i)
{
	return __atomic_load_n(&log_vals[i], __ATOMIC_ACQUIRE);
}

void unit_log_expect(const int *want, int n)
{
	char got[1024];
	int len = unit_log_len(), off = 0;

	for (int i = 0; i < len && i < UNIT_LOG_MAX && off < 1000; i++)
		off += snprintf(got + off, sizeof(got) - (size_t)off, " %d",
				log_vals[i]);
	got[off] = '\0';
	cr_assert_eq(len, n, "log has %d entries, want %d:%s", len, n, got);
	for (int i = 0; i < n; i++)
		cr_assert_eq(log_vals[i], want[i],
			     "log[%d] = %d, want %d; log:%s", i, log_vals[i],
			     want[i], got);
}
