/* sched.h - kthreads, uthreads and the trapframe shared with entry asm */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kmalloc.h"
#include "base/list.h"
#include "base/spinlock.h"

/*
 * Guest registers of a uthread that is not running guest code. It sits at
 * the top of the uthread's kernel stack (like Linux's pt_regs) and is built
 * by pushes in syscalls/entry.S, so the layout is pinned below. The six
 * syscall arguments are contiguous (rdi..r9) so handlers take &tf->rdi.
 */
struct trapframe {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, rcx, rax;
	uint64_t rdi, rsi, rdx, r10, r8, r9;
	uint64_t orig_rax; /* syscall number, or -1 if not in a syscall */
	uint64_t rip;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t fsbase; /* the guest's FS base */
};

#define TF_R15 0
#define TF_RAX 64
#define TF_RDI 72
#define TF_ORIG_RAX 120
#define TF_RIP 128
#define TF_RFLAGS 136
#define TF_RSP 144
#define TF_FSBASE 152
#define TF_SIZE 160

_Static_assert(offsetof(struct trapframe, rax) == TF_RAX, "tf layout");
_Static_assert(offsetof(struct trapframe, rdi) == TF_RDI, "tf layout");
_Static_assert(offsetof(struct trapframe, r9) == TF_RDI + 40, "tf args");
_Static_assert(offsetof(struct trapframe, orig_rax) == TF_ORIG_RAX, "tf");
_Static_assert(offsetof(struct trapframe, rip) == TF_RIP, "tf layout");
_Static_assert(offsetof(struct trapframe, rflags) == TF_RFLAGS, "tf");
_Static_assert(offsetof(struct trapframe, rsp) == TF_RSP, "tf layout");
_Static_assert(offsetof(struct trapframe, fsbase) == TF_FSBASE, "tf");
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "tf size");
_Static_assert(TF_SIZE % 16 == 0, "kernel stack alignment below the tf");

#define KSTACK_SIZE (64 * 1024)
#define UT_XSAVE_BYTES 4096
/* guard page, xsave area, kernel stack */
#define UT_MAP_BYTES (4096 + UT_XSAVE_BYTES + KSTACK_SIZE)

/* uthread flags */
#define UT_XSAVED 0x1 /* guest extended state is in ->xsave, not in regs */
#define UT_EXITED 0x2 /* switched away for the last time */
#define UT_IN_GUEST 0x4 /* currently running guest code */

/* how the uthread last entered the kernel (for --stats) */
enum entry_kind {
	ENTRY_NONE,
	ENTRY_TRAP, /* SIGSYS from Syscall User Dispatch */
	ENTRY_JUMP, /* a rewritten site */
	ENTRY_FAULT, /* a host signal taken in guest mode */
};

struct uthread {
	void *ksp; /* saved kernel rsp while switched out */
	char *kstack; /* mapping base: guard page, then KSTACK_SIZE */
	uint64_t kstack_top;
	struct trapframe *tf;
	unsigned flags;
	void *xsave; /* 64-byte aligned xsavec area */
	struct list_node runq_node;
	struct kthread *last_kt;
	/* called once the kernel stack is no longer in use, to free @u */
	void (*release)(struct uthread *u);
};

/* Per host thread; %gs base points here. Offsets are used by entry.S. */
struct kthread {
	struct kthread *self; /* %gs:0 */
	uint8_t sud_selector; /* %gs:8, SYSCALL_DISPATCH_FILTER_{ALLOW,BLOCK} */
	uint8_t pad[7];
	uint64_t kstack_top; /* %gs:16, top of the current uthread's kstack */
	struct uthread *cur; /* %gs:24 */
	uint64_t ret_rip; /* %gs:32, scratch of the return-to-guest path */
	uint64_t scratch; /* %gs:40, scratch of the entry path */
	uint64_t fsbase; /* %gs:48, this host thread's TLS (kernel mode FS) */
	uint64_t host_tid; /* %gs:56 */
	struct kmalloc_cache kmc; /* %gs:64, base/kmalloc.c */

	void *loop_sp; /* the scheduler loop's saved rsp */
	int id;
	struct uthread *dead; /* exited uthread whose stack is freed later */
	struct list_node runq;
	struct spinlock runq_lock; /* protects runq */
	void *altstack;

	/* statistics, summed over kthreads at exit */
	uint64_t nr_trapped, nr_jumped;
	uint64_t *sys_counts; /* indexed by syscall number */
} __attribute__((aligned(64)));

#define KT_SELF 0
#define KT_SELECTOR 8
#define KT_KSTACK_TOP 16
#define KT_CUR 24
#define KT_RET_RIP 32
#define KT_SCRATCH 40
#define KT_FSBASE 48

_Static_assert(offsetof(struct kthread, sud_selector) == KT_SELECTOR, "kt");
_Static_assert(offsetof(struct kthread, kstack_top) == KT_KSTACK_TOP, "kt");
_Static_assert(offsetof(struct kthread, cur) == KT_CUR, "kt");
_Static_assert(offsetof(struct kthread, ret_rip) == KT_RET_RIP, "kt");
_Static_assert(offsetof(struct kthread, scratch) == KT_SCRATCH, "kt");
_Static_assert(offsetof(struct kthread, fsbase) == KT_FSBASE, "kt");
_Static_assert(offsetof(struct kthread, kmc) == KMALLOC_CACHE_OFFSET, "kt");

/* this host thread's kthread; re-read after anything that may park */
static inline struct kthread *this_kthread(void)
{
	struct kthread *k;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(k));
	return k;
}

static inline struct uthread *this_uthread(void)
{
	struct uthread *u;

	__asm__ volatile("mov %%gs:24, %0" : "=r"(u));
	return u;
}

/* kthread.c */

/*
 * kthread_init_self - make the calling host thread a kthread: %gs base,
 * signal alternate stack, Syscall User Dispatch (selector ALLOW).
 * Returns 0 or -errno.
 */
int kthread_init_self(struct kthread *k, int id);

/* size of kthread.sys_counts */
int kthread_sys_count_max(void);

/* uthread.c */

/*
 * uthread_init - give @u a kernel stack with a trapframe on top and a
 * clean extended state (Linux's initial FPU state). The first switch to
 * @u calls @fn(@arg) on that stack. Returns 0 or -errno.
 */
int uthread_init(struct uthread *u, void (*fn)(void *), void *arg);

/* Free the kernel stack and xsave area of an exited uthread. */
void uthread_destroy(struct uthread *u);

/* sched.c */

/* Make @u runnable on the current kthread. */
void sched_wake(struct uthread *u);

/*
 * sched_run - the scheduler loop of the calling kthread; returns when no
 * uthread is left.
 */
void sched_run(void);

/* The current uthread is finished; switch away for good. */
_Noreturn void sched_exit_current(void);

/* Give the CPU to another runnable uthread, if any. */
void sched_yield_current(void);

/* switch.S */

/* Save callee-saved registers and rsp to *@save_sp, load @new_sp. */
void sched_switch_stack(void **save_sp, void *new_sp);

/* xstate.c */

/* Detect the xsave features and size; call once at startup. */
int xstate_init(void);
size_t xstate_size(void);

/* The clean state a new guest thread starts with. */
void xstate_init_area(void *area);

/*
 * xstate_save - save the guest's vector state of the current uthread,
 * once, before our code may touch vector registers or switch away.
 */
static inline void xstate_save(struct uthread *u)
{
	if (u->flags & UT_XSAVED)
		return;
	__asm__ volatile("xsavec64 (%0)"
			 :
			 : "r"(u->xsave), "a"(0xe7), "d"(0)
			 : "memory");
	u->flags |= UT_XSAVED;
}

/* xstate_save for the current uthread, if this kthread runs one */
static inline void xstate_save_current(void)
{
	struct uthread *u = this_uthread();

	if (u)
		xstate_save(u);
}

/* restore it, as the last step before returning to the guest */
static inline void xstate_restore(struct uthread *u)
{
	if (!(u->flags & UT_XSAVED))
		return;
	__asm__ volatile("xrstor64 (%0)"
			 :
			 : "r"(u->xsave), "a"(0xe7), "d"(0)
			 : "memory");
	u->flags &= ~UT_XSAVED;
}
