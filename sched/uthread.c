/* uthread.c - user-level threads: kernel stacks and initial contexts */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/host.h"
#include "sched/sched.h"

extern void uthread_trampoline(void);

int uthread_init(struct uthread *u, void (*fn)(void *), void *arg)
{
	long p;
	uint64_t *sp;

	memset(u, 0, sizeof(*u));
	/* guard page below the stack catches overflows of our own code */
	p = host_mmap(NULL, KSTACK_SIZE + 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p < 0)
		return (int)p;
	host_mprotect((void *)p, 4096, PROT_NONE);
	u->kstack = (char *)p;
	u->kstack_top = (uint64_t)p + 4096 + KSTACK_SIZE;
	u->tf = (struct trapframe *)(u->kstack_top - TF_SIZE);

	u->xsave = aligned_alloc(64, xstate_size());
	if (!u->xsave)
		goto undo_stack;
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

undo_stack:
	host_munmap(u->kstack, KSTACK_SIZE + 4096);
	return -ENOMEM;
}

void uthread_destroy(struct uthread *u)
{
	if (u->kstack)
		host_munmap(u->kstack, KSTACK_SIZE + 4096);
	free(u->xsave);
	u->kstack = NULL;
	u->xsave = NULL;
}
