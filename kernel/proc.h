/* proc.h - guest processes and threads */
#pragma once

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "base/list.h"
#include "base/spinlock.h"
#include "mm/mm.h"
#include "kernel/signal.h"
#include "sched/sched.h"

struct file;
struct fdtab;

#define NSIG_LINUX 64
#define NGROUPS_MAX_LINUX 65536

/* the kernel's struct sigaction for x86-64 (not glibc's) */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct cred {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	int ngroups;
	uint32_t *groups;
	uint64_t cap_effective, cap_permitted, cap_inheritable;
};

/* where relative paths start: a host directory, or a path of ours */
struct fs_ctx {
	struct file *cwd; /* an O_PATH directory (hostfs) or our dir file */
	char cwd_path[PATH_MAX];
	uint32_t umask;
};

enum proc_state {
	PROC_RUNNING,
	PROC_ZOMBIE, /* exited, waiting to be reaped */
	PROC_DEAD,
};

struct proc {
	int pid, pgid, sid;
	struct proc *parent; /* NULL for the instance's first process */
	struct spinlock lock; /* protects state, threads, children, sig* */
	enum proc_state state;

	struct mm *mm;
	struct fdtab *fdt;
	struct fs_ctx fs;
	struct cred cred;
	struct rlimit rlim[RLIM_NLIMITS];
	unsigned long personality;

	struct k_sigaction sigact[NSIG_LINUX];
	uint64_t sig_pending; /* process-directed, bit (sig - 1) */
	struct sig_qinfo sig_info[NSIG_LINUX]; /* of each pending signal */

	char exe[PATH_MAX]; /* /proc/<pid>/exe */
	uint64_t exe_dev, exe_ino;
	char comm[16];
	bool dumpable;
	int pdeath_sig;
	unsigned membarrier_reg; /* MEMBARRIER_CMD_REGISTER_* done (bits) */

	struct list_node threads;
	int nr_threads;
	struct list_node children, sibling;

	/* exit status in wait(2) form: code << 8, or the signal number */
	int exit_status;
	bool exit_group_started;
	struct thread *exec_thread; /* execve killing the other threads */
	struct waitq exit_wq; /* woken when a thread of an exec leaves */
	uint64_t start_time_ns; /* CLOCK_MONOTONIC at creation */
	uint64_t utime_ns, stime_ns; /* of exited threads */
};

struct thread {
	struct uthread ut; /* first: container_of from this_uthread() */
	struct proc *proc;
	int tid;
	struct list_node proc_node;

	uint64_t sigmask; /* blocked, bit (sig - 1) */
	uint64_t sig_pending; /* thread-directed */
	stack_t sigaltstack;
	uint64_t clear_child_tid; /* guest address, or 0 */
	uint64_t robust_list, robust_len;
	char comm[16];
	int nice; /* setpriority; recorded, no effect on scheduling */
	int policy; /* SCHED_OTHER, SCHED_BATCH or SCHED_IDLE; recorded */

	int fault_sig; /* a synchronous host fault to deliver */
	struct fault_frame fault_frame;
	struct sig_qinfo sig_info[NSIG_LINUX]; /* of thread-directed ones */
	uint64_t sigwait_set; /* rt_sigtimedwait: these wake us */
	int killed; /* atomic: the process is exiting; leave at kernel exit */
	uint64_t sigsuspend_mask; /* to restore after sigsuspend/pselect */
	bool restore_mask;
};

static inline struct thread *current_thread(void)
{
	return (struct thread *)this_uthread();
}

static inline struct proc *current_proc(void)
{
	return current_thread()->proc;
}

/* proc.c */

/*
 * proc_create_init - the instance's first process (pid 1): an empty mm,
 * fds 0-2 wrapping the host's, the host's cwd, credentials and limits.
 * Returns it, or NULL with *err set.
 */
struct proc *proc_create_init(int *err);

/* a thread of @p whose first run calls @fn(@arg); NULL on failure */
struct thread *thread_create(struct proc *p, void (*fn)(void *), void *arg);

/*
 * proc_for_each_thread - call @fn for every thread of every live process
 * (pid_lock and the process's lock held: @fn must not take either).
 */
void proc_for_each_thread(void (*fn)(struct thread *t, void *arg), void *arg);

/* look up a live process / thread by virtual id (NULL if none) */
struct proc *proc_find(int pid);
struct thread *thread_find(int tid);

/*
 * proc_exit - end the calling thread's whole process with @status (wait
 * form). Frees its memory and fds; the instance exits when the last
 * process is gone. Does not return.
 */
_Noreturn void proc_exit_group(int status);

/* end only the calling thread */
_Noreturn void thread_exit(int code);

/*
 * proc_de_thread - for execve: end every other thread of the process and
 * wait until they are gone; the caller then holds the process's pid as
 * its tid. Does not return if the process is exiting or another thread
 * is exec'ing (that one wins, as on Linux).
 */
void proc_de_thread(void);

/*
 * thread_clone - a new thread of the current process (clone/clone3 with
 * CLONE_THREAD). @tf is the parent's trapframe. Returns the new tid or
 * -errno.
 */
struct clone_req {
	uint64_t flags;
	uint64_t stack;
	uint64_t parent_tid, child_tid; /* guest addresses */
	uint64_t tls;
};
long thread_clone(const struct clone_req *req, struct trapframe *tf);

/* make @t enter the kernel soon: wake it, or interrupt its guest code */
void thread_kick(struct thread *t);

/* CPU time of a thread, and of a whole process (split if asked) */
uint64_t thread_cpu_ns(struct thread *t);
uint64_t proc_cpu_ns(struct proc *p, uint64_t *user, uint64_t *sys);

/* status of the instance's first process, for junction-run's own exit */
int proc_init_status(void);

/* allocate a virtual pid/tid; returns it or -EAGAIN */
int pid_alloc(void);
void pid_free(int pid);

/* signal.c (bookkeeping and default actions) */

/* queue @sig for process @p (or thread @t if not NULL), from the kernel */
void sig_send(struct proc *p, struct thread *t, int sig);

/* the same, with what the siginfo will say (kill, tgkill, sigqueue) */
void sig_send_info(struct proc *p, struct thread *t, int sig,
		   const struct sig_qinfo *qi);

/*
 * sig_handle_pending - before the current thread returns to the guest:
 * deliver one pending unblocked signal (a frame for its handler, or its
 * default action), and restart or fail an interrupted syscall.
 */
void sig_handle_pending(struct trapframe *tf);

/*
 * Internal returns of an interrupted syscall, as Linux's; never seen by a
 * guest (sig_handle_pending turns them into a restart or -EINTR):
 * ERESTARTSYS restarts unless a handler without SA_RESTART runs,
 * ERESTARTNOINTR always restarts.
 */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513

static inline bool sys_interrupted(long rax)
{
	return rax == -EINTR || rax == -ERESTARTSYS || rax == -ERESTARTNOINTR;
}

/* take one pending signal in @set (rt_sigtimedwait); 0 if none */
int sig_dequeue(uint64_t set, struct k_siginfo *info);

/*
 * signal_pending_now - should the current thread's blocking wait end now:
 * it is being killed or has an unblocked signal pending (a wait that
 * started must then return -EINTR; see sched_prepare_block).
 */
bool signal_pending_now(void);

/* sleep until a signal the thread does not block is pending: -EINTR */
long signal_wait(void);

/* the default action of @sig is to terminate (true) or ignore (false) */
bool sig_default_kills(int sig);
