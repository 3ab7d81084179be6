/* uthread.c - user-level threads: kernel stacks and initial contexts */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/kmalloc.h"
#include "base/host.h"
#include "sched/sched.h"

extern void uthread_trampoline(void);

int uthread_init(struct uthread *u, void (*fn)(void *), void *arg)
{
	long p;
	uint64_t *sp;

	memset(u, 0, sizeof(*u));
	/*
	 * One mapping: a guard page, the xsave area (one page, 64-byte
	 * aligned, no allocator involved), then the kernel stack. The guard
	 * catches overflows of our own code.
	 */
	if (xstate_size() > UT_XSAVE_BYTES)
		return -ENOTSUP;
	p = host_mmap(NULL, UT_MAP_BYTES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p < 0)
		return (int)p;
	host_mprotect((void *)p, 4096, PROT_NONE);
	u->kstack = (char *)p;
	u->xsave = (char *)p + 4096;
	u->kstack_top = (uint64_t)p + UT_MAP_BYTES;
	u->tf = (struct trapframe *)(u->kstack_top - TF_SIZE);
	xstate_init_area(u->xsave);
	u->flags = UT_XSAVED; /* the clean state is restored on first entry */
	list_init(&u->runq_node);

	/*
	 * The frame sched_switch_stack pops: r15 r14 r13 r12 rbx rbp, ret.
	 * After the ret rsp is 16-byte aligned, as a call site expects.
	 */
	sp = (uint64_t *)((uint64_t)u->tf - 16 - 56);
	memset(sp, 0, 56);
	sp[3] = (uint64_t)fn; /* r12 */
	sp[2] = (uint64_t)arg; /* r13 */
	sp[6] = (uint64_t)uthread_trampoline;
	u->ksp = sp;
	return 0;
}

void uthread_destroy(struct uthread *u)
{
	if (u->kstack)
		host_munmap(u->kstack, UT_MAP_BYTES);
	u->kstack = NULL;
	u->xsave = NULL;
}
