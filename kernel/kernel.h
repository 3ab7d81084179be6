/* kernel.h - instance-wide kernel state and the hooks entry code calls */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/sched.h"

/* options of junction-run that the kernel needs */
struct kernel_opts {
	int cores;
	bool rewrite;
	bool strace;
	const char *strace_path;
	bool stats;
	bool check_fast; /* --check-fast: verify FAST syscalls (testing aid) */
};

extern struct kernel_opts kopts;

/*
 * kernel_init - set up kthread 0 on the calling host thread, host signal
 * handlers, interception. Returns 0 or -errno.
 */
int kernel_init(void);

int kernel_nr_kthreads(void);
struct kthread *kernel_kthread(int i);

/* run the instance until its last process exits; returns its status */
int kernel_run(void);

/*
 * kernel_exit_work - last checks before a uthread returns to the guest:
 * pending signals, process exit. Called by the syscall and fault paths.
 */
void kernel_exit_work(struct trapframe *tf);

/* the scheduler loop's hook: deferred work of host signal handlers */
void kernel_loop_work(void);

/* hostpoll.c: the thread that watches host fds for readiness */
int hostpoll_init(void);

/*
 * The guest is about to have a second thread: start the other kthreads
 * (--cores), once. On kthread 0, in kernel mode.
 */
void kernel_start_kthreads(void);

/* a synchronous host fault in guest mode (from the host handler) */
void kernel_fault_pending(int sig, const siginfo_t *si, uint64_t err,
			  uint64_t trapno, uint64_t cr2);

/* an asynchronous host signal sent to junction-run (from the handler) */
void kernel_host_signal(int sig);

/* the entry of a host signal taken in guest mode (entry.S) */
void fault_entry_c(struct trapframe *tf);

/* CLOCK_MONOTONIC in ns, from the host */
uint64_t kernel_now_ns(void);

/* a CLOCK_MONOTONIC time converted to CLOCK_REALTIME / CLOCK_BOOTTIME */
uint64_t kernel_realtime_at(uint64_t mono_ns);
uint64_t kernel_boottime_at(uint64_t mono_ns);

struct proc;
struct rlimit;

/* state junction-run inherited from whoever started it, for pid 1 */
void kernel_initial_sigstate(struct proc *p);
struct rlimit kernel_initial_rlimit(int res);
unsigned kernel_initial_umask(void);
uint64_t kernel_initial_sigmask(void);
