/* kthread.c - host threads that run uthreads */
#include <asm/prctl.h>
#include <errno.h>
#include <linux/prctl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "base/host.h"
#include "base/kmalloc.h"
#include "base/log.h"
#include "sched/sched.h"

#define ALTSTACK_SIZE (256 * 1024)
#define SYS_COUNT_MAX 512
#define MAX_KTHREADS 64

extern char sud_exempt_start[], sud_exempt_end[];

static struct kthread *kthreads[MAX_KTHREADS];
static int nr_kthreads;

int kthread_count(void)
{
	return __atomic_load_n(&nr_kthreads, __ATOMIC_ACQUIRE);
}

struct kthread *kthread_get(int i)
{
	return i >= 0 && i < kthread_count() ? kthreads[i] : NULL;
}

int kthread_sys_count_max(void)
{
	return SYS_COUNT_MAX;
}

/* a one-shot host timer that signals this host thread (SIGEV_THREAD_ID) */
static int make_host_timer(struct kthread *k)
{
	struct {
		union sigval value;
		int signo, notify;
		int tid;
		int pad[12];
	} sev = {.signo = SIG_PREEMPT, .notify = 4 /* SIGEV_THREAD_ID */};
	int id = -1;
	long r;

	sev.tid = (int)k->host_tid;
	r = host_syscall3(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id);
	if (r < 0)
		return (int)r;
	k->host_timer = id;
	return 0;
}

int kthread_init_self(struct kthread *k, int id)
{
	stack_t ss;
	long p, ret;
	uint64_t fs;

	memset(k, 0, sizeof(*k));
	k->self = k;
	k->id = id;
	k->host_timer = -1;
	k->sud_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
	list_init(&k->runq);
	spin_init(&k->runq_lock);
	spin_init(&k->timer_lock);
	__asm__ volatile("rdfsbase %0" : "=r"(fs));
	k->fsbase = fs;
	k->host_tid = (uint64_t)host_gettid();

	/*
	 * Our host signal handlers run here, never on the guest's stack: it
	 * may be small (goroutines) and its red zone may be live.
	 */
	p = host_mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0)
		return (int)p;
	k->altstack = (void *)p;
	ss.ss_sp = k->altstack;
	ss.ss_size = ALTSTACK_SIZE;
	ss.ss_flags = 0;
	ret = host_sigaltstack(&ss, NULL);
	if (ret < 0)
		return (int)ret;

	ret = host_arch_prctl(ARCH_SET_GS, (unsigned long)k);
	if (ret < 0)
		return (int)ret;
	/* %gs works from here on: kmalloc may use the per-kthread cache */
	k->sys_counts = kcalloc(SYS_COUNT_MAX, sizeof(uint64_t));
	if (!k->sys_counts)
		return -ENOMEM;
	if (id < 0)
		return 0; /* a helper thread: no guest code, no tick */
	ret = make_host_timer(k);
	if (ret < 0)
		return (int)ret;

	/* Syscall User Dispatch: tier 1 of interception (DESIGN.md) */
	ret = host_prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
			 (long)sud_exempt_start,
			 (long)(sud_exempt_end - sud_exempt_start),
			 (long)&k->sud_selector);
	return ret < 0 ? (int)ret : 0;
}

struct start {
	struct kthread *k;
	int id;
	volatile int done; /* 1 ok, < 0 error */
};

static void *kthread_main(void *arg)
{
	struct start *st = arg;
	struct kthread *k = st->k;
	sigset_t none;
	int r;

	r = kthread_init_self(k, st->id);
	__atomic_store_n(&st->done, r < 0 ? r : 1, __ATOMIC_RELEASE);
	if (r < 0)
		return NULL;
	/* guest signal masks are virtual: the host's blocks nothing */
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	sched_run();
	return NULL;
}

int kthreads_start(int n)
{
	int have = kthread_count();

	if (n < 1 || n > MAX_KTHREADS)
		return -EINVAL;
	if (!have) {
		kthreads[0] = this_kthread();
		__atomic_store_n(&nr_kthreads, 1, __ATOMIC_RELEASE);
		have = 1;
	}
	for (int i = have; i < n; i++) {
		struct start st = {0};
		pthread_attr_t attr;
		pthread_t t;
		void *mem;

		/* cache-line aligned; kmalloc gives 16: over-allocate */
		mem = kzalloc(sizeof(struct kthread) + 64);
		if (!mem)
			return -ENOMEM;
		st.k = (struct kthread *)(((uintptr_t)mem + 63) &
					  ~(uintptr_t)63);
		st.id = i;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&t, &attr, kthread_main, &st)) {
			pthread_attr_destroy(&attr);
			return -EAGAIN;
		}
		pthread_attr_destroy(&attr);
		while (!__atomic_load_n(&st.done, __ATOMIC_ACQUIRE))
			__builtin_ia32_pause();
		if (st.done < 0)
			return st.done;
		kthreads[i] = st.k;
		__atomic_store_n(&nr_kthreads, i + 1, __ATOMIC_RELEASE);
	}
	return 0;
}
