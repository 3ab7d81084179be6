/* uthread.c - user-level threads: kernel stacks and initial contexts */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "base/host.h"
#include "base/kmalloc.h"
#include "sched/sched.h"

extern void uthread_trampoline(void);

/*
 * Kernel stacks are kept for reuse: a new thread then costs neither a
 * host mmap nor the page faults of fresh pages (~1.5 us each on a VM).
 */
#define POOL_MAX 256

static struct spinlock pool_lock = SPINLOCK_INIT;
static char *pool[POOL_MAX];
static int pool_len;

static char *stack_get(void)
{
	char *p = NULL;
	long r;

	spin_lock(&pool_lock);
	if (pool_len)
		p = pool[--pool_len];
	spin_unlock(&pool_lock);
	if (p)
		return p;
	r = host_mmap(NULL, UT_MAP_BYTES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r < 0)
		return NULL;
	/* the guard page below the stack catches our own overflows */
	host_mprotect((void *)r, 4096, PROT_NONE);
	return (char *)r;
}

static void stack_put(char *p)
{
	spin_lock(&pool_lock);
	if (pool_len < POOL_MAX) {
		pool[pool_len++] = p;
		p = NULL;
	}
	spin_unlock(&pool_lock);
	if (p)
		host_munmap(p, UT_MAP_BYTES);
}

int uthread_init(struct uthread *u, void (*fn)(void *), void *arg)
{
	uint64_t *sp;
	char *p;

	memset(u, 0, sizeof(*u));
	/*
	 * One mapping: a guard page, the xsave area (one page, 64-byte
	 * aligned, no allocator involved), then the kernel stack.
	 */
	if (xstate_size() > UT_XSAVE_BYTES)
		return -ENOTSUP;
	p = stack_get();
	if (!p)
		return -ENOMEM;
	u->kstack = p;
	u->xsave = p + 4096;
	u->kstack_top = (uint64_t)p + UT_MAP_BYTES;
	u->tf = (struct trapframe *)(u->kstack_top - TF_SIZE);
	xstate_init_area(u->xsave);
	u->flags = UT_XSAVED; /* the clean state is restored on first entry */
	u->state = UT_RUNNABLE;
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
		stack_put(u->kstack);
	u->kstack = NULL;
}
