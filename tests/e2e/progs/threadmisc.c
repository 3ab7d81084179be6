/*
 * threadmisc.c - threads meeting the rest of the kernel: syscall sites
 * first reached by many threads at once (rewritten while they run), execve
 * from a thread that is not the leader, CPU-time clocks, membarrier, and
 * the per-thread scheduling knobs.
 *
 * usage: threadmisc sites | exec | execed | cpuclock | membarrier | sched
 */
#include "e2e_thr.h"

#include <sys/resource.h>

/* linux/membarrier.h (musl-gcc has no kernel headers) */
#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_GLOBAL 1
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED 8
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED 16
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE 32
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE 64

/* ---- sites: fresh syscall sites hit by every thread at once ---- */

#define SITE_THREADS 8
#define SITE_ROUNDS 200

/*
 * Each SITE(n) is a function of its own with its own `mov $39,%eax;
 * syscall` (getpid), so every one is a site no thread has reached yet.
 * The odd ones put an instruction between the two, as glibc often does.
 */
#define SITE(n)                                                     \
	static __attribute__((noinline)) long site_##n(void)        \
	{                                                           \
		long r;                                             \
		if ((n)&1)                                          \
			__asm__ volatile("mov $39, %%eax\n\t"       \
					 "mov %%rdi, %%rdi\n\t"     \
					 "syscall"                  \
					 : "=a"(r)                  \
					 :                          \
					 : "rcx", "r11", "memory"); \
		else                                                \
			__asm__ volatile("mov $39, %%eax\n\t"       \
					 "syscall"                  \
					 : "=a"(r)                  \
					 :                          \
					 : "rcx", "r11", "memory"); \
		return r;                                           \
	}

/* clang-format off */
SITE(0) SITE(1) SITE(2) SITE(3) SITE(4) SITE(5) SITE(6) SITE(7)
SITE(8) SITE(9) SITE(10) SITE(11) SITE(12) SITE(13) SITE(14) SITE(15)

static long (*const sites[])(void) = {
	site_0,  site_1,  site_2,  site_3,  site_4,  site_5,  site_6,  site_7,
	site_8,  site_9,  site_10, site_11, site_12, site_13, site_14, site_15,
};
/* clang-format on */

#define NSITES (int)(sizeof(sites) / sizeof(*sites))

static pthread_barrier_t site_bar;
static long site_pid;

static void *site_worker(void *arg)
{
	long bad = 0;

	(void)arg;
	for (int s = 0; s < NSITES; s++) {
		/* all threads reach site s for the first time together */
		pthread_barrier_wait(&site_bar);
		for (int i = 0; i < SITE_ROUNDS; i++)
			bad += sites[s]() != site_pid;
	}
	return (void *)bad;
}

static void run_sites(void)
{
	pthread_t t[SITE_THREADS];
	long bad = 0;

	site_pid = getpid();
	must0("barrier", pthread_barrier_init(&site_bar, NULL, SITE_THREADS));
	for (int i = 0; i < SITE_THREADS; i++)
		t[i] = e2e_spawn(site_worker, NULL);
	for (int i = 0; i < SITE_THREADS; i++)
		bad += (long)e2e_join(t[i]);
	expect_long("sites: wrong getpid results", bad, 0);
	say("sites", "%d sites x %d threads x %d calls", NSITES, SITE_THREADS,
	    SITE_ROUNDS);
}

/* ---- exec: execve from a thread that is not the leader ---- */

static void *spinner(void *arg)
{
	volatile unsigned long x = 0;

	for (;;) {
		x++;
		if (arg && !(x & 0xffff))
			sched_yield();
	}
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *execer(void *arg)
{
	char *argv[] = {(char *)arg, "execed", NULL};

	e2e_sleep_ms(20); /* let the others get going */
	execv("/proc/self/exe", argv);
	printf("execv: %s\n", errname(errno));
	exit(1);
}

static void run_exec(const char *self)
{
	e2e_spawn(spinner, NULL);
	e2e_spawn(spinner, (void *)1);
	e2e_spawn(sleeper, NULL);
	e2e_spawn(execer, (void *)self);
	for (;;)
		pause();
}

/* the new image: one thread, and it holds the process id */
static void run_execed(void)
{
	char buf[256];
	FILE *f = fopen("/proc/self/status", "r");
	long threads = -1;

	expect_true("execed: tid is the pid", e2e_gettid() == getpid());
	while (f && fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, "Threads:", 8))
			threads = atol(buf + 9);
	if (f)
		fclose(f);
	expect_long("execed: threads", threads, 1);
}

/* ---- cpuclock: CPU-time clocks of threads and of the process ---- */

static atomic_int spin_stop;

static void *cpu_spinner(void *arg)
{
	volatile unsigned long x = 0;

	(void)arg;
	while (!atomic_load(&spin_stop))
		x++;
	return NULL;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts))
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void run_cpuclock(void)
{
	pthread_t t = e2e_spawn(cpu_spinner, NULL);
	clockid_t c;
	int64_t a, b, p0, p1, self;
	struct rusage ru;

	must0("getcpuclockid", pthread_getcpuclockid(t, &c));
	e2e_sleep_ms(60);
	a = clock_ns(c);
	e2e_sleep_ms(60);
	b = clock_ns(c);
	expect_true("cpuclock: the spinner's clock runs", a > 0 && b > a);
	expect_true("cpuclock: it ran at least 10 ms of the 120",
		    b >= 10000000);
	p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	expect_true("cpuclock: process >= spinner", p0 >= b);
	atomic_store(&spin_stop, 1);
	e2e_join(t);
	/* an exited thread's time stays in the process's */
	p1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	expect_true("cpuclock: process after the join >= spinner", p1 >= b);
	self = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	expect_true("cpuclock: main thread used less than the process",
		    self >= 0 && self < p1);
	must("getrusage", getrusage(RUSAGE_SELF, &ru));
	expect_true(
		"cpuclock: getrusage has the spinner's time",
		(int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
					1000000000 +
				(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) *
					1000 >=
			b - 20000000);
}

/* ---- membarrier: the registration rules ---- */

static long mb(int cmd)
{
	long r = syscall(SYS_membarrier, cmd, 0, 0);

	return r < 0 ? -errno : r;
}

static void run_membarrier(void)
{
	long q = mb(MEMBARRIER_CMD_QUERY);

	expect_true("membarrier: query has private expedited",
		    q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED));
	expect_raw("membarrier: private before registering",
		   mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED), EPERM);
	expect_raw("membarrier: register",
		   mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED), 0);
	expect_raw("membarrier: private", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED),
		   0);
	expect_raw("membarrier: sync-core before registering",
		   mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE), EPERM);
	expect_raw("membarrier: register sync-core",
		   mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE), 0);
	expect_raw("membarrier: sync-core",
		   mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE), 0);
	expect_raw("membarrier: global", mb(MEMBARRIER_CMD_GLOBAL), 0);
	expect_raw("membarrier: flags",
		   syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 1,
			   0) < 0
			   ? -errno
			   : 0,
		   EINVAL);
	expect_raw("membarrier: unknown command", mb(3), EINVAL);
}

/* ---- sched: nice values per thread, policies, sched_attr ---- */

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

static pthread_barrier_t nice_bar;
static long nice_tid;

static void *nice_thread(void *arg)
{
	(void)arg;
	nice_tid = e2e_gettid();
	setpriority(PRIO_PROCESS, 0, 7);
	pthread_barrier_wait(&nice_bar);
	pthread_barrier_wait(&nice_bar);
	return NULL;
}

static void run_sched(void)
{
	struct sched_param sp = {0};
	struct attr a;
	char big[128];
	pthread_t t;
	long r;

	expect_raw("sched: setpriority 5",
		   setpriority(PRIO_PROCESS, 0, 5) ? -errno : 0, 0);
	errno = 0;
	r = getpriority(PRIO_PROCESS, 0);
	expect_long("sched: getpriority", r, 5);
	must0("barrier", pthread_barrier_init(&nice_bar, NULL, 2));
	t = e2e_spawn(nice_thread, NULL);
	pthread_barrier_wait(&nice_bar);
	/* nice values belong to threads: the new one inherited 5, set 7 */
	expect_long("sched: the other thread's",
		    getpriority(PRIO_PROCESS, (id_t)nice_tid), 7);
	expect_long("sched: still ours", getpriority(PRIO_PROCESS, 0), 5);
	pthread_barrier_wait(&nice_bar);
	e2e_join(t);
	errno = 0;
	r = getpriority(PRIO_PROCESS, 999999);
	expect_err("sched: no such thread", r == -1 && errno ? -1 : 0, ESRCH);
	expect_err("sched: bad which", getpriority(9, 0), EINVAL);

	memset(&a, 0xff, sizeof(a));
	r = syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0);
	expect_raw("sched: getattr", r < 0 ? -errno : 0, 0);
	expect_long("sched: getattr size", a.size, sizeof(a));
	expect_long("sched: getattr policy", a.policy, SCHED_OTHER);
	expect_long("sched: getattr nice", a.nice, 5);
	expect_raw("sched: getattr short size",
		   syscall(SYS_sched_getattr, 0, &a, 20, 0) < 0 ? -errno : 0,
		   EINVAL);
	memset(&a, 0, sizeof(a));
	a.size = 48;
	a.policy = SCHED_BATCH;
	a.nice = 9;
	expect_raw("sched: setattr batch nice 9",
		   syscall(SYS_sched_setattr, 0, &a, 0) < 0 ? -errno : 0, 0);
	/* raw: musl's sched_getscheduler is ENOSYS by design */
	expect_long("sched: getscheduler", syscall(SYS_sched_getscheduler, 0),
		    SCHED_BATCH);
	expect_long("sched: getpriority after setattr",
		    getpriority(PRIO_PROCESS, 0), 9);
	a.policy = 77;
	expect_raw("sched: setattr bad policy",
		   syscall(SYS_sched_setattr, 0, &a, 0) < 0 ? -errno : 0,
		   EINVAL);
	memset(big, 0, sizeof(big));
	((struct attr *)big)->size = sizeof(big);
	big[100] = 1;
	expect_raw("sched: setattr unknown tail",
		   syscall(SYS_sched_setattr, 0, big, 0) < 0 ? -errno : 0,
		   E2BIG);
	expect_long("sched: E2BIG reports our size", ((struct attr *)big)->size,
		    56);
	expect_raw("sched: setscheduler idle",
		   syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &sp) < 0
			   ? -errno
			   : 0,
		   0);
	expect_long("sched: getscheduler idle",
		    syscall(SYS_sched_getscheduler, 0), SCHED_IDLE);
	expect_long("sched: rr max", sched_get_priority_max(SCHED_RR), 99);
	expect_long("sched: other min", sched_get_priority_min(SCHED_OTHER), 0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	e2e_init();
	if (strcmp(mode, "execed")) /* the new image counts its threads */
		e2e_watchdog(20);
	if (!strcmp(mode, "sites"))
		run_sites();
	else if (!strcmp(mode, "exec"))
		run_exec(argv[0]);
	else if (!strcmp(mode, "execed"))
		run_execed();
	else if (!strcmp(mode, "cpuclock"))
		run_cpuclock();
	else if (!strcmp(mode, "membarrier"))
		run_membarrier();
	else if (!strcmp(mode, "sched"))
		run_sched();
	else
		say("usage", "threadmisc sites|exec|cpuclock|membarrier|sched");
	return e2e_done();
}
