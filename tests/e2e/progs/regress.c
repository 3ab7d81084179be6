/* regress.c - e2e: races and corner cases found in review, one mode each */
#include "e2e.h"
#include "e2e_thr.h"

#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>

/*
 * clone-exit: a thread creates threads in a loop while main calls exit().
 * A thread created after exit_group marked the others must be killed too,
 * or the process never ends (the watchdog would say so).
 */
static void *sleeper(void *a)
{
	for (;;)
		pause();
	return a;
}

static void *spawner(void *a)
{
	for (;;) {
		pthread_t t;

		if (pthread_create(&t, NULL, sleeper, NULL) == 0)
			pthread_detach(t);
	}
	return a;
}

static void run_clone_exit(void)
{
	e2e_spawn(spawner, NULL);
	e2e_sleep_ms(20);
	say("clone-exit", "exiting with threads being created");
	fflush(stdout);
	exit(0);
}

/*
 * epoll-nested-close: EPOLL_CTL_ADD of an epoll polls it; an item of it
 * whose file another thread just closed drops its last reference there.
 */
static int inner_ep;
static volatile int stop_closer;

static void *closer(void *a)
{
	while (!stop_closer) {
		struct epoll_event ev = {.events = EPOLLIN};
		int p[2];

		must("pipe", pipe(p));
		must("write", write(p[1], "x", 1));
		epoll_ctl(inner_ep, EPOLL_CTL_ADD, p[0], &ev);
		close(p[0]);
		close(p[1]);
	}
	return a;
}

static void run_epoll_nested_close(void)
{
	int outer = epoll_create1(0);
	int64_t end;
	pthread_t t;
	long n = 0, bad = 0;

	inner_ep = epoll_create1(0);
	must("epoll_create1", outer);
	must("epoll_create1", inner_ep);
	t = e2e_spawn(closer, NULL);
	end = e2e_now_ns(CLOCK_MONOTONIC) + 1000000000;
	while (e2e_now_ns(CLOCK_MONOTONIC) < end) {
		struct epoll_event ev = {.events = EPOLLIN};

		bad += epoll_ctl(outer, EPOLL_CTL_ADD, inner_ep, &ev) != 0;
		bad += epoll_ctl(outer, EPOLL_CTL_DEL, inner_ep, NULL) != 0;
		n++;
	}
	stop_closer = 1;
	e2e_join(t);
	expect_true("epoll-nested-close: add/del rounds done", n > 0);
	expect_long("epoll-nested-close: failed ctl calls", bad, 0);
}

/* epoll-many-ready: more ready level-triggered items than one chunk */
#define MANY 1500

static void run_epoll_many_ready(void)
{
	static struct epoll_event out[2048];
	static char seen[MANY];
	struct rlimit rl = {4096, 4096};
	int ep = epoll_create1(0), n, dup = 0, n2;

	must("setrlimit", setrlimit(RLIMIT_NOFILE, &rl));
	must("epoll_create1", ep);
	for (int i = 0; i < MANY; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		int fd = eventfd(1, 0);

		must("eventfd", fd);
		must("epoll_ctl", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	}
	n = epoll_wait(ep, out, 2048, 0);
	for (int i = 0; i < n; i++)
		dup += seen[out[i].data.u32]++ != 0;
	expect_long("epoll-many-ready: events", n, MANY);
	expect_long("epoll-many-ready: duplicates", dup, 0);
	/* level-triggered: all of them again, once each */
	memset(seen, 0, sizeof(seen));
	n2 = epoll_wait(ep, out, 2048, 0);
	dup = 0;
	for (int i = 0; i < n2; i++)
		dup += seen[out[i].data.u32]++ != 0;
	expect_long("epoll-many-ready: events again", n2, MANY);
	expect_long("epoll-many-ready: duplicates again", dup, 0);
}

/* pi-signal: a signal to a thread blocked in a PI mutex lock */
static pthread_mutex_t pi_m;
static volatile int holder_in, got_while_held, pi_rc = -1;

static void on_usr1(int s)
{
	(void)s;
}

static void *pi_locker(void *a)
{
	int r = pthread_mutex_lock(&pi_m);

	pi_rc = r;
	if (holder_in)
		got_while_held = 1;
	if (r == 0)
		pthread_mutex_unlock(&pi_m);
	return a;
}

static void run_pi_signal(void)
{
	pthread_mutexattr_t at;
	struct sigaction sa;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	must("sigaction", sigaction(SIGUSR1, &sa, NULL));
	must0("mutexattr_init", pthread_mutexattr_init(&at));
	must0("setprotocol",
	      pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT));
	must0("mutex_init", pthread_mutex_init(&pi_m, &at));
	must0("lock", pthread_mutex_lock(&pi_m));
	holder_in = 1;
	t = e2e_spawn(pi_locker, NULL);
	e2e_sleep_ms(50);
	must0("pthread_kill", pthread_kill(t, SIGUSR1));
	e2e_sleep_ms(50);
	expect_long("pi-signal: locked by the waiter while held",
		    got_while_held, 0);
	holder_in = 0;
	must0("unlock", pthread_mutex_unlock(&pi_m));
	e2e_join(t);
	expect_errnum("pi-signal: the waiter's lock", pi_rc, 0);
}

/* huge-timeout: {LONG_MAX, 0} is "never", not an overflow to the past */
static sem_t huge_sem;
static volatile int huge_rc = 99, huge_errno;

static void *huge_waiter(void *a)
{
	struct timespec ts = {LONG_MAX, 0};

	huge_rc = sem_timedwait(&huge_sem, &ts);
	huge_errno = errno;
	return a;
}

static void run_huge_timeout(void)
{
	pthread_t t;
	int r;

	must("sem_init", sem_init(&huge_sem, 0, 0));
	t = e2e_spawn(huge_waiter, NULL);
	e2e_sleep_ms(100);
	expect_long("huge-timeout: still waiting after 100 ms", huge_rc, 99);
	must("sem_post", sem_post(&huge_sem));
	e2e_join(t);
	expect_long("huge-timeout: sem_timedwait", huge_rc, 0);
	r = ppoll(NULL, 0, &(struct timespec){0, 1000000}, NULL);
	expect_long("huge-timeout: ppoll 1 ms", r, 0);
}

/*
 * robust-pi-list: a thread dies holding a robust PI mutex and, further
 * down its robust list, a robust plain one. glibc marks PI entries with
 * bit 0 of the link; the walk must strip it to reach the plain mutex.
 */
static pthread_mutex_t rb_plain, rb_pi;

static void *rb_holder(void *a)
{
	must0("lock plain", pthread_mutex_lock(&rb_plain));
	must0("lock pi", pthread_mutex_lock(&rb_pi)); /* list: pi, plain */
	return a; /* dies holding both */
}

static void run_robust_pi_list(void)
{
	pthread_mutexattr_t at;
	struct timespec ts;
	int r;

	must0("mutexattr_init", pthread_mutexattr_init(&at));
	must0("setrobust",
	      pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST));
	must0("mutex_init", pthread_mutex_init(&rb_plain, &at));
	must0("setprotocol",
	      pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT));
	must0("mutex_init", pthread_mutex_init(&rb_pi, &at));
	e2e_join(e2e_spawn(rb_holder, NULL));
	ts = e2e_ts(e2e_now_ns(CLOCK_REALTIME) + 2000000000);
	r = pthread_mutex_timedlock(&rb_plain, &ts);
	expect_errnum("robust-pi-list: plain mutex of the dead", r, EOWNERDEAD);
	ts = e2e_ts(e2e_now_ns(CLOCK_REALTIME) + 2000000000);
	r = pthread_mutex_timedlock(&rb_pi, &ts);
	expect_errnum("robust-pi-list: PI mutex of the dead", r, EOWNERDEAD);
}

/*
 * pad: `add %eax,%ebx` (01 c3: a "ret" byte) followed by loop-alignment
 * NOPs that are executed, near a syscall whose number comes from a
 * register. Those NOPs are no place for the rewriter's jump.
 */
long regress_sys(long nr);
long regress_sum(long n);
__asm__(".text\n"
	".p2align 6\n"
	"ret\n"
	".fill 130,1,0x41\n"
	".p2align 4\n"
	".globl regress_sum\n"
	".type regress_sum, @function\n"
	"regress_sum:\n" /* n + (n + (n-1) + ... + 1) */
	"push %rbx\n"
	"xor %ebx, %ebx\n"
	"mov %rdi, %rax\n"
	"add %eax, %ebx\n" /* 01 c3 */
	".p2align 4\n"
	"1: add %rbx, %rax\n"
	"dec %rbx\n"
	"jnz 1b\n"
	"pop %rbx\n"
	"ret\n"
	".p2align 4\n"
	".globl regress_sys\n"
	".type regress_sys, @function\n"
	"regress_sys:\n"
	"mov %edi, %eax\n"
	"syscall\n"
	"ret\n");

static void run_pad(void)
{
	long pid = getpid(), bad = 0;

	for (int i = 0; i < 20; i++)
		bad += regress_sys(SYS_getpid) != pid;
	expect_long("pad: getpid through a register-number site, wrong", bad,
		    0);
	expect_long("pad: 10 + (10 + 9 + ... + 1), through executed NOPs",
		    regress_sum(10), 65);
}

/*
 * tf-step: a guest single-stepping itself (TF) through a syscall. Linux
 * reports a trap at the instruction after the syscall; junction must not
 * take the traps inside its own entry and exit code for its own faults.
 */
#include <ucontext.h>

static volatile long tf_traps, tf_after_syscall;
extern char regress_after_syscall[];

static void on_trap(int s, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)s;
	(void)si;
	/* after the first instruction there, a 1-byte pushfq */
	if ((char *)uc->uc_mcontext.gregs[REG_RIP] == regress_after_syscall + 1)
		tf_after_syscall++;
	if (++tf_traps > 1000)
		uc->uc_mcontext.gregs[REG_EFL] &= ~0x100l; /* enough */
}

static long tf_getpid(void)
{
	long r;

	__asm__ volatile("pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n\t" /* TF: a trap after each instruction */
			 "mov $39, %%eax\n\t"
			 "syscall\n"
			 "regress_after_syscall:\n\t"
			 "pushfq\n\t"
			 "andq $~0x100, (%%rsp)\n\t"
			 "popfq"
			 : "=a"(r)
			 :
			 : "rcx", "r11", "memory", "cc");
	return r;
}

static void run_tf_step(void)
{
	struct sigaction sa;
	long bad = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	must("sigaction", sigaction(SIGTRAP, &sa, NULL));
	for (int i = 0; i < 5; i++) /* trapped, rewritten, jumped */
		bad += tf_getpid() != getpid();
	expect_long("tf-step: getpid while single-stepping, wrong", bad, 0);
	expect_true("tf-step: traps taken", tf_traps > 0);
	expect_long("tf-step: traps one instruction after the syscall",
		    tf_after_syscall, 5);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	e2e_init();
	e2e_watchdog(20);
	if (!strcmp(mode, "clone-exit"))
		run_clone_exit();
	else if (!strcmp(mode, "epoll-nested-close"))
		run_epoll_nested_close();
	else if (!strcmp(mode, "epoll-many-ready"))
		run_epoll_many_ready();
	else if (!strcmp(mode, "pi-signal"))
		run_pi_signal();
	else if (!strcmp(mode, "huge-timeout"))
		run_huge_timeout();
	else if (!strcmp(mode, "robust-pi-list"))
		run_robust_pi_list();
	else if (!strcmp(mode, "pad"))
		run_pad();
	else if (!strcmp(mode, "tf-step"))
		run_tf_step();
	else
		say("usage", "regress clone-exit|epoll-nested-close|"
			     "epoll-many-ready|pi-signal|huge-timeout|"
			     "robust-pi-list|pad|tf-step");
	return e2e_done();
}
