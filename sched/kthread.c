/* kthread.c - host threads that run uthreads */
#include <asm/prctl.h>
#include <errno.h>
#include <linux/prctl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/kmalloc.h"
#include "base/host.h"
#include "sched/sched.h"

#define ALTSTACK_SIZE (256 * 1024)
#define SYS_COUNT_MAX 512

extern char sud_exempt_start[], sud_exempt_end[];

int kthread_init_self(struct kthread *k, int id)
{
	stack_t ss;
	long p, ret;
	uint64_t fs;

	memset(k, 0, sizeof(*k));
	k->self = k;
	k->id = id;
	k->sud_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
	list_init(&k->runq);
	spin_init(&k->runq_lock);
	__asm__ volatile("rdfsbase %0" : "=r"(fs));
	k->fsbase = fs;
	k->host_tid = (uint64_t)host_gettid();

	k->sys_counts = kcalloc(SYS_COUNT_MAX, sizeof(uint64_t));
	if (!k->sys_counts)
		return -ENOMEM;

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

	/* Syscall User Dispatch: tier 1 of interception (DESIGN.md) */
	ret = host_prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
			 (long)sud_exempt_start,
			 (long)(sud_exempt_end - sud_exempt_start),
			 (long)&k->sud_selector);
	return ret < 0 ? (int)ret : 0;
}

int kthread_sys_count_max(void)
{
	return SYS_COUNT_MAX;
}
