/* proc.h - guest processes and threads */
#pragma once

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "base/list.h"
#include "base/spinlock.h"
#include "mm/mm.h"
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
	int nice; /* getpriority/setpriority; no effect on scheduling yet */

	struct k_sigaction sigact[NSIG_LINUX];
	uint64_t sig_pending; /* process-directed, bit (sig - 1) */

	char exe[PATH_MAX]; /* /proc/<pid>/exe */
	uint64_t exe_dev, exe_ino;
	char comm[16];
	bool dumpable;
	int pdeath_sig;

	struct list_node threads;
	int nr_threads;
	struct list_node children, sibling;

	/* exit status in wait(2) form: code << 8, or the signal number */
	int exit_status;
	bool exit_group_started;
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

	int fault_sig; /* a synchronous host fault to deliver */
	siginfo_t fault_info;
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

/* status of the instance's first process, for junction-run's own exit */
int proc_init_status(void);

/* allocate a virtual pid/tid; returns it or -EAGAIN */
int pid_alloc(void);
void pid_free(int pid);

/* signal.c (bookkeeping and default actions) */

/* queue @sig for process @p (or thread @t if not NULL) */
void sig_send(struct proc *p, struct thread *t, int sig);

/*
 * sig_handle_pending - act on pending unblocked signals of the current
 * thread before it returns to the guest: ignore, or terminate the process
 * (default actions). Handlers are not invoked yet (see README).
 */
void sig_handle_pending(struct trapframe *tf);

/* the default action of @sig is to terminate (true) or ignore (false) */
bool sig_default_kills(int sig);
