/* sched.h - kthreads, uthreads and the trapframe shared with entry asm */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
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

/* how the uthread last entered the kernel (for --stats) */
enum entry_kind {
	ENTRY_NONE,
	ENTRY_TRAP, /* SIGSYS from Syscall User Dispatch */
	ENTRY_JUMP, /* a rewritten site */
	ENTRY_FAULT, /* a host signal taken in guest mode */
};

/*
 * Run states. A blocker sets BLOCKING, re-checks its condition, then
 * sched_block() moves it to BLOCKED and switches away; a waker that finds
 * BLOCKING sets RUNNING instead (the blocker does not sleep), one that
 * finds BLOCKED makes it RUNNABLE and queues it. So no wakeup is lost.
 * on_cpu is set while the uthread's kernel stack is in use: a kthread that
 * picks a RUNNABLE uthread waits for it to reach 0 (the switch away from
 * it may still be finishing on another kthread).
 */
enum ut_state {
	UT_RUNNING,
	UT_RUNNABLE,
	UT_BLOCKING,
	UT_BLOCKED,
	UT_DEAD,
};

/* why sched_block() returned */
enum wake_reason {
	WAKE_EVENT,
	WAKE_TIMEOUT,
	WAKE_SIGNAL,
};

struct kthread;

struct timer {
	uint64_t deadline; /* kclock_ns() */
	int heap_idx; /* -1 when not armed */
	struct kthread *kt; /* whose heap it is in, or NULL */
	int running; /* atomic: fn is running now */
	void (*fn)(struct timer *t);
	void *arg;
};

struct uthread {
	void *ksp; /* saved kernel rsp while switched out */
	char *kstack; /* mapping base: guard page, xsave area, stack */
	uint64_t kstack_top;
	struct trapframe *tf;
	unsigned flags;
	void *xsave; /* 64-byte aligned xsave area (standard format) */
	struct list_node runq_node;
	struct kthread *last_kt;
	/* called once the kernel stack is no longer in use, to free @u */
	void (*release)(struct uthread *u);

	int state; /* enum ut_state, atomic */
	int on_cpu; /* atomic */
	int wake_reason; /* enum wake_reason of the last sched_block */
	bool interruptible; /* the current block may end with WAKE_SIGNAL */
	uint64_t enqueued_at; /* sched_clock_ns() when made runnable */
	struct timer block_timer; /* the deadline of sched_block */

	/* CPU time, sched_clock ns: total run time and the part in our kernel */
	uint64_t run_start;
	uint64_t cpu_ns;
	uint64_t sys_ns;
	uint64_t nvcsw, nivcsw; /* voluntary and involuntary switches */
};

/* wait queues: uthreads waiting for an event of an object */
struct waitq {
	struct spinlock lock; /* protects waiters */
	struct list_node waiters;
};

struct wait_entry {
	struct list_node node;
	struct uthread *u;
	/* instead of waking @u (epoll, poll tables); returns > 0 if woken */
	int (*fn)(struct wait_entry *we, unsigned events);
	void *priv;
	bool exclusive; /* woken one at a time, after the others */
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

	int id; /* -1 for helper threads that run no uthreads */
	void *loop_sp; /* the scheduler loop's saved rsp */
	struct uthread *prev; /* switched away from, to finish */

	struct spinlock runq_lock; /* protects runq, runq_len */
	struct list_node runq;
	int runq_len;

	/* idle: sleeping on wake_word with the host futex */
	int idle; /* atomic */
	uint32_t wake_word; /* atomic */

	struct spinlock timer_lock; /* protects the heap: timers, nr, cap */
	struct timer **timers;
	int nr_timers, cap_timers;

	/* the preemption/timer tick: a one-shot host timer to this thread */
	int host_timer; /* host timer id, -1 if none */
	uint64_t tick_armed; /* when it fires, sched_clock_ns(); 0: disarmed */
	int tick_pending; /* atomic: the host timer fired */
	int need_resched; /* atomic: the current uthread should yield */
	uint64_t last_balance; /* when it last pulled work (sched_clock_ns) */

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
 * signal alternate stack, Syscall User Dispatch (selector ALLOW), and
 * for @id >= 0 its preemption timer. Returns 0 or -errno.
 */
int kthread_init_self(struct kthread *k, int id);

/* size of kthread.sys_counts */
int kthread_sys_count_max(void);

/*
 * Have @n kthreads in all, starting the missing ones; the first call is
 * made by kthread 0 itself, a later one on kthread 0 with the guest's
 * vector state saved (this uses glibc). 0 or -errno.
 */
int kthreads_start(int n);

int kthread_count(void);
struct kthread *kthread_get(int i);

/* the host signal of the preemption tick (never seen by guests) */
#define SIG_PREEMPT 40

/* clock.c */

void kclock_init(void);
/*
 * CLOCK_MONOTONIC nanoseconds, exactly the host's (vDSO): every deadline
 * and timeout a guest can check against its own clock is in this one.
 */
uint64_t kclock_ns(void);
/*
 * The same epoch and about the same rate, cheaper (TSC): CPU time and the
 * scheduler's own decisions only, never a guest-visible deadline.
 */
uint64_t sched_clock_ns(void);
/* unit tests: both clocks return *@now from here on (NULL: the real ones) */

/*
 * The longest time we keep, ~146 years: "never" for a guest's timeout,
 * and still no overflow when added to a clock reading or a deadline.
 */
#define KTIME_MAX (1ull << 62)

/* @sec s + @nsec ns (nsec < 1e9), saturated at KTIME_MAX */
static inline uint64_t ns_sat(uint64_t sec, uint64_t nsec)
{
	if (sec >= KTIME_MAX / 1000000000ull)
		return KTIME_MAX;
	return sec * 1000000000ull + nsec;
}
void kclock_set_fake(const volatile uint64_t *now);

/* timer.c */

void timer_init(struct timer *t, void (*fn)(struct timer *), void *arg);
/* (re)arm @t on the current kthread at @deadline; 0 or -ENOMEM */
int timer_arm(struct timer *t, uint64_t deadline);
/* disarm; true if it was armed (and so will not fire) */
bool timer_cancel(struct timer *t);
/* disarm, and wait for its function if it is running (before freeing) */
void timer_cancel_sync(struct timer *t);
bool timer_armed(struct timer *t);
/* earliest deadline on @k, or 0 */
uint64_t timer_next_deadline(struct kthread *k);
/*
 * Run the timers of @k due at @now (kclock ns; 0: read kclock_ns(), and
 * only if @k has timers). No lock held. How many ran.
 */
int timer_run_expired(struct kthread *k, uint64_t now);

/* waitq.c */

void waitq_init(struct waitq *wq);
void wait_entry_init(struct wait_entry *we, struct uthread *u);
void waitq_add(struct waitq *wq, struct wait_entry *we);
void waitq_remove(struct waitq *wq, struct wait_entry *we);
/* wake the waiters of @wq (see waitq.c); returns how many woke */
int waitq_wake(struct waitq *wq, unsigned events, int nr_exclusive);

/*
 * waitq_wait_locked - with @lock held and the caller's condition false,
 * wait on @wq until woken; @lock is dropped meanwhile and held again on
 * return. Wakers change the condition and wake under @lock, so nothing is
 * lost. @check_signal: a pending signal ends the wait (-EINTR).
 * Returns 0, -ETIMEDOUT (@deadline, kclock ns; 0: none) or -EINTR.
 */
int waitq_wait_locked(struct waitq *wq, struct spinlock *lock,
		      uint64_t deadline, bool (*check_signal)(void));
bool waitq_active(struct waitq *wq);

/* uthread.c */

/*
 * uthread_init - give @u a kernel stack with a trapframe on top and a
 * clean extended state (Linux's initial FPU state). The first switch to
 * @u calls @fn(@arg) on that stack. Returns 0 or -errno.
 */
int uthread_init(struct uthread *u, void (*fn)(void *), void *arg);

/* Free the kernel stack of an exited uthread (to a pool). */
void uthread_destroy(struct uthread *u);

/*
 * Wakes made under a lock that the woken uthread takes next: the uthread
 * is made runnable at once, but the host wakeups that may follow (a
 * kick of an idle kthread, a syscall) and the re-arming of the tick wait
 * until wake_list_flush, after the caller dropped its locks.
 */
struct wake_list {
	uint64_t kick; /* kthreads (by id) to kick */
	bool kick_idle; /* wake an idle kthread to steal */
	bool tick; /* the current quantum matters now */
};

#define WAKE_LIST_INIT(wl)      \
	{                       \
		0, false, false \
	}

/* sched_wake, with the host wakeups left on @wl; 1 if woken */
int sched_wake_deferred(struct uthread *u, struct wake_list *wl);

/* do what the wakes left on @wl (no lock held) */
void wake_list_flush(struct wake_list *wl);

/* sched.c */

/* Make @u runnable (it is new, or BLOCKED); returns 1 if it was woken. */
int sched_wake(struct uthread *u);

/* the same, for a block that may end with a signal (WAKE_SIGNAL) */
int sched_wake_signal(struct uthread *u);

/*
 * sched_prepare_block - the current uthread will block: call before the
 * last check of the condition (then sched_block, or sched_cancel_block
 * if the condition holds).
 */
void sched_prepare_block(bool interruptible);
void sched_cancel_block(void);

/*
 * sched_block - switch away until woken, or until @deadline (kclock ns;
 * 0: none). Returns 0 (woken), -ETIMEDOUT, or -EINTR (a signal). Saves
 * the guest's extended state first.
 */
int sched_block(uint64_t deadline);

/* Give the CPU to another runnable uthread, if any. */
void sched_yield_current(void);

/* The current uthread is finished; switch away for good. */
_Noreturn void sched_exit_current(void);

/* the scheduler loop of the calling kthread; returns at shutdown */
void sched_run(void);

/* end every kthread's loop (the instance is done) */
void sched_shutdown(void);

/* a preemption tick or timer came due: act on it (kernel mode, no locks) */
void sched_tick(void);

/* re-arm the tick of @k for its earliest timer / the quantum */
void sched_tick_update(struct kthread *k);

/* called once on the new stack after every switch */
void sched_finish_switch(void);

/* CPU time of @u so far, including the current run */
uint64_t sched_cpu_ns(struct uthread *u);

/* uthreads alive in the instance */
long sched_nr_live(void);

/* called at the top of every scheduler loop iteration (kernel work) */
void sched_set_loop_hook(void (*fn)(void));

/* for tests: a quantum of @ns (default 1 ms) */
void sched_set_quantum(uint64_t ns);

/* switch.S */

/* Save callee-saved registers and rsp to *@save_sp, load @new_sp. */
void sched_switch_stack(void **save_sp, void *new_sp);

/* xstate.c */

/* Detect the xsave features and size; call once at startup. */
int xstate_init(void);
size_t xstate_size(void);
/* the same (the area is in the standard format, as signal frames are) */
size_t xstate_std_size(void);
/* the components we save: x87, SSE, AVX, AVX-512, as XCR0 allows */
uint64_t xstate_mask(void);

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
	__asm__ volatile("xsaveopt64 (%0)"
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

/*
 * xstate_copy_to - the guest vector state of @u (the current uthread)
 * into @area, leaving @u's own as it is (live or saved). A plain XSAVE:
 * @area is not the one @u was restored from, so XSAVEOPT's tracking is
 * not disturbed.
 */
static inline void xstate_copy_to(struct uthread *u, void *area)
{
	if (u->flags & UT_XSAVED) {
		memcpy(area, u->xsave, xstate_size());
		return;
	}
	__asm__ volatile("xsave64 (%0)"
			 :
			 : "r"(area), "a"(0xe7), "d"(0)
			 : "memory");
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
